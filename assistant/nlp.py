"""Language helpers: index terms for lexical search.

Terms are lower-cased, stemmed words and normalised numbers ("30,000" -> "30000",
"1.5" stays "1.5"), so "proposed" matches "propose" and "30,000" matches "30000".
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import snowballstemmer

# Words nearly every sentence has: as terms they would make any sentence look relevant.
# NLTK's English list plus the contraction tails and "also", "did", "does", "many", "much".
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
NUMBER_WORDS = {
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
    if word in NUMBER_WORDS:  # "fourth season" matches "season 4"
        return NUMBER_WORDS[word]
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
