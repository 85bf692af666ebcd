"""What retrieval and the verifiers need from a question: its terms, key terms and wh-word."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .nlp import STOPWORDS, normalize_term, tokens

_WH = re.compile(
    r"\b(who|whom|whose|when|where|why|how\s+(?:many|much|long|old|far|big|large|often)|how|which|what)\b",
    re.IGNORECASE,
)
# After "what"/"which" these start a clause ("what did ..."), not the noun naming the answer.
AUXILIARIES = frozenset("did does do is was are were has have had will would can could should".split())  # noqa: SIM905
# "What did Podoliak say (about foreign troops)?" asks for what was said, a statement; "What
# did Podoliak say Europe should prioritize?" asks for a noun.
_STATEMENT = re.compile(
    r"\bwhat\b.*\b(?:say|says|said|tell|tells|told|claim|claims|claimed|argue|argues|argued|think|thinks|"
    r"thought|believe|believes|believed|feel|feels|felt|write|writes|wrote|warn|warns|warned|suggest|"
    r"suggests|suggested)(?:\s+(?:about|of|on|regarding|concerning)\b|\W*$)",
    re.IGNORECASE,
)
# "Who is Mikhail Podoliak?" asks what the text says a named person is, not for a name: every
# word of what follows "who is/was" capitalised ("Who is the US Defense Secretary?" and "Who is
# Russia's foreign minister?" ask for a name, and keep the reader's span).
_WHO_IS_NAME = re.compile(r"^\s*[Ww]ho\s+(?:is|was)\s+([A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)*)\s*\?*\s*$")


# How a question names a document: "the article", "this story", "the earnings report".
DOCUMENT_NOUN = r"(?:article|story|document|text|piece|news|report|file)s?"

AnswerForm = Literal["span", "clause", "sentence", "description"]


@dataclass(frozen=True)
class Question:
    text: str
    wh: str
    """who, when, where, why, how many, how much, how, which, what, or '' (keyword query)."""
    terms: tuple[str, ...]
    """Normalised content terms, in order, unique."""
    key_terms: frozenset[str]
    """Terms a supporting passage must not contradict: numbers, years, proper names."""
    surface_words: frozenset[str]
    """Lower-cased words of the question, to keep them out of the answer."""
    type_word: str = ""
    """The noun a "what"/"which" asks about ("country" in "which country"): naming the kind of
    answer, it is not content a sentence needs to cover."""
    form: AnswerForm = "span"
    """What the answer is: the reader's ``span`` (a name, a number, a noun); a ``clause`` for
    a reason ("why ...") or a statement ("what did X say about ..."), which a single word
    cannot be; the whole ``sentence`` for a yes/no question ("Did Starmer say ...?"), whose
    verdict the reader cannot give but whose evidence it can find; a ``description`` for "who
    is <a name>?", whose answer is what the text calls that person ("a key adviser to President
    Vladimir Zelensky"), where the reader, trained mostly on questions answered by a name,
    may mark only the other name in it."""
    subject: str = ""
    """The name a "who is <a name>?" question asks about ("Mikhail Podoliak"); '' otherwise."""


def analyze(text: str) -> Question:
    match = _WH.search(text)
    wh = re.sub(r"\s+", " ", match.group(1).lower()) if match else ""
    words = [surface for _, _, surface in tokens(text)]
    lower = [w.lower() for w in words]
    terms = tuple(dict.fromkeys(t for t in (normalize_term(w) for w in words) if t))
    key_terms = frozenset(
        normalize_term(w)
        for i, w in enumerate(words)
        if normalize_term(w) and (w[0].isdigit() or (w[0].isupper() and i > 0))
    )
    type_word = ""
    if match and wh in ("what", "which"):
        after = [w.lower() for _, _, w in tokens(text[match.end() :])][:1]
        if after and after[0] not in AUXILIARIES and after[0] not in STOPWORDS:
            type_word = after[0]
    form: AnswerForm = "span"
    subject = ""
    if wh == "why" or _STATEMENT.search(text):
        form = "clause"
    elif not match and lower and lower[0] in AUXILIARIES:
        form = "sentence"
    elif who_is := _WHO_IS_NAME.match(text):
        form = "description"
        subject = re.sub(r"\s+", " ", who_is.group(1))
    return Question(text, wh, terms, key_terms, frozenset(lower), type_word, form, subject)
