"""What a question asks for: its answer type, its content terms and its key terms."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .nlp import STOPWORDS, normalize_term, tokens

PERSON = ("PERSON",)
AGENT = ("PERSON", "ORG", "NORP", "GPE")
ORGANIZATION = ("ORG", "PERSON", "NORP", "GPE")
PLACE = ("GPE", "LOC", "FAC")
TIME = ("DATE", "TIME")
COUNT = ("CARDINAL", "QUANTITY", "MONEY", "PERCENT")
PROPER_NAME = ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "WORK_OF_ART", "PRODUCT", "EVENT")
AMOUNT = ("MONEY", "QUANTITY", "CARDINAL", "PERCENT")

# Nouns that name the answer type after "what"/"which" ("which country", "what year").
TYPE_NOUNS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ["movie", "film", "song", "album", "book", "novel", "show", "series", "painting"], ("WORK_OF_ART",)
    ),
    **dict.fromkeys(["name", "named", "called"], PROPER_NAME),
    **dict.fromkeys(
        ["year", "years", "date", "day", "month", "decade", "century", "era", "period", "time"], TIME
    ),
    **dict.fromkeys(
        [
            "country",
            "countries",
            "city",
            "cities",
            "town",
            "state",
            "province",
            "region",
            "place",
            "location",
            "continent",
            "capital",
            "island",
            "venue",
            "stadium",
            "site",
            "river",
        ],
        PLACE,
    ),
    **dict.fromkeys(
        [
            "company",
            "station",
            "channel",
            "broadcaster",
            "magazine",
            "outlet",
            "alliance",
            "ministry",
            "bloc",
            "companies",
            "organization",
            "organisation",
            "team",
            "club",
            "band",
            "group",
            "firm",
            "party",
            "university",
            "school",
            "agency",
            "airline",
            "brand",
            "newspaper",
            "network",
            "manufacturer",
        ],
        ("ORG",),
    ),
    **dict.fromkeys(
        [
            "politician",
            "official",
            "lawmaker",
            "diplomat",
            "adviser",
            "advisor",
            "aide",
            "spokesman",
            "spokeswoman",
            "spokesperson",
            "journalist",
            "reporter",
            "secretary",
            "commander",
            "candidate",
            "senator",
            "governor",
            "mayor",
            "judge",
            "scientist",
            "artist",
            "musician",
            "person",
            "man",
            "woman",
            "president",
            "minister",
            "king",
            "queen",
            "leader",
            "player",
            "actor",
            "actress",
            "singer",
            "author",
            "writer",
            "director",
            "ceo",
            "founder",
            "winner",
            "champion",
            "chancellor",
            "emperor",
            "duke",
            "pope",
            "coach",
            "captain",
            "prime",
        ],
        PERSON,
    ),
    **dict.fromkeys(["nationality", "religion", "ethnicity"], ("NORP",)),
    **dict.fromkeys(["language", "languages"], ("LANGUAGE", "NORP")),
    **dict.fromkeys(["percentage", "percent", "share", "proportion"], ("PERCENT",)),
    **dict.fromkeys(["price", "cost", "amount", "sum", "fee", "salary", "budget", "revenue"], AMOUNT),
    **dict.fromkeys(["number"], COUNT),
    **dict.fromkeys(
        ["award", "prize", "title", "event", "war", "battle", "law", "treaty"],
        ("EVENT", "WORK_OF_ART", "LAW", "ORG"),
    ),
}

# Words of keyword-style questions ("Super Bowl 2021 location") that name the type.
_KEYWORD_TYPES: dict[str, tuple[str, ...]] = {
    "location": PLACE,
    "venue": PLACE,
    "date": TIME,
    "when": TIME,
    "winner": AGENT,
    "champion": AGENT,
    "ceo": PERSON,
    "founder": PERSON,
}

_HEAD_PHRASE_END = frozenset(
    ["in", "on", "at", "for", "from", "to", "by", "with", "did", "does", "do", "has", "have", "had"]
)

_AUXILIARIES = frozenset("did does do is was are were has have had will would can could should".split())  # noqa: SIM905
_WH_TYPES: dict[str, tuple[str, ...]] = {
    "whose": PERSON,
    "when": TIME,
    "where": PLACE,
    "how many": COUNT,
    "how much": AMOUNT,
    "how big": AMOUNT,
    "how large": AMOUNT,
    "how far": AMOUNT,
    "how long": ("DATE", "TIME", "QUANTITY", "CARDINAL"),
    "how old": ("DATE", "TIME", "QUANTITY", "CARDINAL"),
    "how often": ("DATE", "TIME", "QUANTITY", "CARDINAL"),
}

_WH = re.compile(
    r"\b(who|whom|whose|when|where|why|how\s+(?:many|much|long|old|far|big|large|often)|how|which|what)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Question:
    text: str
    wh: str
    """who, when, where, why, how many, how much, how, which, what, or '' (keyword query)."""
    expected: tuple[str, ...]
    """Entity labels a concise answer should have, best first; () when any span will do."""
    terms: tuple[str, ...]
    """Normalised content terms, in order, unique."""
    key_terms: frozenset[str]
    """Terms a supporting passage must not contradict: numbers, years, proper names."""
    surface_words: frozenset[str]
    """Lower-cased words of the question, to keep them out of the answer."""
    type_word: str = ""
    """The question word that named the answer type ("century" in "what century"), if any."""
    subject_answer: bool = False
    """The answer is the subject of the question's verb ("Who won ...?"), not its object."""
    object_answer: bool = False
    """The answer is the object of the question's verb ("Who did Emma marry?")."""
    proper_words: frozenset[str] = frozenset()
    """Lower-cased capitalised words of the question after its first word: its names."""


def analyze(text: str) -> Question:
    match = _WH.search(text)
    wh = re.sub(r"\s+", " ", match.group(1).lower()) if match else ""
    words = [surface for _, _, surface in tokens(text)]
    lower = [w.lower() for w in words]
    # Words of hyphenated compounds are not nouns of their own: "year-end" names no year.
    tail = re.sub(r"\w+-(?=\w)", "", text[match.end() :]) if match else ""
    after_wh = [re.sub(r"['’]s?$", "", w.lower()) for _, _, w in tokens(tail)]
    expected, type_word = _expected_types(wh, lower, after_wh)
    terms = tuple(dict.fromkeys(t for t in (normalize_term(w) for w in words) if t))
    key_terms = frozenset(
        normalize_term(w)
        for i, w in enumerate(words)
        if normalize_term(w) and (w[0].isdigit() or (w[0].isupper() and i > 0 and lower[i] not in TYPE_NOUNS))
    )
    # "Who won ...", "Which company acquired ...": the verb follows the wh-phrase directly.
    verb_at = 1 if wh in ("what", "which") and type_word and after_wh[:1] == [type_word] else 0
    subject_answer = (
        wh in ("who", "what", "which") and len(after_wh) > verb_at and after_wh[verb_at] not in _AUXILIARIES
    )
    object_answer = wh in ("who", "whom", "what", "which") and after_wh[verb_at : verb_at + 1] in (
        ["did"],
        ["does"],
        ["do"],
    )
    proper = frozenset(lower[i] for i, w in enumerate(words) if i > 0 and w[0].isupper())
    return Question(
        text,
        wh,
        expected,
        terms,
        key_terms,
        frozenset(lower),
        type_word,
        subject_answer,
        object_answer,
        proper,
    )


def _expected_types(wh: str, lower: list[str], after_wh: list[str]) -> tuple[tuple[str, ...], str]:
    """The labels the answer should carry, and the question word that named them."""
    if wh in ("who", "whom"):
        # "Who is the CEO of ..." names a role only a person fills.
        role = next((w for w in lower if TYPE_NOUNS.get(w) == PERSON), "")
        return (PERSON, role) if role else (AGENT, "")
    if wh in _WH_TYPES:
        return _WH_TYPES[wh], ""
    if wh in ("what", "which"):
        # The answer's type is named by the first noun of the question's head phrase:
        # "what year", "what was Tesla's revenue in ...", "the release date of ...".
        for i, word in enumerate(after_wh[:6]):
            if word in TYPE_NOUNS:
                if TYPE_NOUNS[word] == PROPER_NAME:
                    # "the name of Zelensky's top aide" asks for a person: the noun after
                    # "name of" is the more specific type.
                    specific = [w for w in after_wh[i + 1 : i + 6] if w in TYPE_NOUNS]
                    if specific and TYPE_NOUNS[specific[0]] != PROPER_NAME:
                        return TYPE_NOUNS[specific[0]], specific[0]
                return TYPE_NOUNS[word], word
            if word in _HEAD_PHRASE_END:
                break
        # Otherwise the head noun still names what kind of thing is asked for ("which
        # troops", "what kind of forces"): a phrase containing it is a candidate, not
        # an echo of the question.
        head = after_wh[:4]
        if len(head) >= 3 and head[0] in ("kind", "type", "sort") and head[1] == "of":
            return (), head[2]
        if head and head[0] not in _AUXILIARIES and head[0] not in STOPWORDS:
            return (), head[0]
        return (), ""
    if not wh:
        for word in lower:
            if word in _KEYWORD_TYPES:
                return _KEYWORD_TYPES[word], word
    return (), ""
