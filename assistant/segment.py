"""Sentence segmentation that keeps exact character offsets and survives news text.

Rules, in order: every line is a block of its own (a headline without final
punctuation is a sentence); inside a block a sentence ends at ., !, ? or an ellipsis,
optionally followed by closing quotes or brackets, then whitespace, unless the word
before is a known abbreviation ("Mr.", "Feb.", "Gen.") or an initialism ("U.S.")
that is not followed by a typical sentence opener, or the next word starts in lower case.
Decimals ("1.5") and money ("€6 billion") never contain whitespace after the dot, so
they are never split.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "ft",
        "gen",
        "col",
        "lt",
        "capt",
        "cpt",
        "sgt",
        "maj",
        "cmdr",
        "adm",
        "gov",
        "sen",
        "rep",
        "rev",
        "hon",
        "pres",
        "supt",
        "insp",
        "det",
        "cpl",
        "pvt",
        "inc",
        "ltd",
        "co",
        "corp",
        "bros",
        "plc",
        "llc",
        "dept",
        "univ",
        "assn",
        "est",
        "approx",
        "etc",
        "vs",
        "v",
        "al",
        "cf",
        "viz",
        "ca",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
        "no",
        "nos",
        "vol",
        "vols",
        "pp",
        "fig",
        "figs",
        "ch",
        "sec",
        "art",
        "para",
        "op",
        "ed",
        "eds",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
        "ave",
        "blvd",
        "rd",
    ]
)

# Words that usually begin a sentence; after an initialism such as "U.S." they signal
# that the initialism also ended the sentence.
SENTENCE_OPENERS = frozenset(
    [
        "the",
        "a",
        "an",
        "he",
        "she",
        "it",
        "they",
        "we",
        "i",
        "you",
        "his",
        "her",
        "its",
        "their",
        "our",
        "this",
        "that",
        "these",
        "those",
        "there",
        "in",
        "on",
        "at",
        "but",
        "and",
        "however",
        "meanwhile",
        "after",
        "before",
        "when",
        "while",
        "if",
        "as",
        "since",
        "so",
        "yet",
        "according",
        "last",
        "next",
        "earlier",
        "later",
        "still",
        "also",
        "then",
        "now",
        "today",
        "yesterday",
    ]
)

_BOUNDARY = re.compile(r"(?:[.!?]+|…)[\"'”’»)\]]*(?=\s)")
_LINE = re.compile(r"[^\n]+")
_WORD_BEFORE = re.compile(r"([\w.’'-]+)$")
_INITIALISM = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]?$")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of the sentences of ``text``, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        spans.extend(_split_block(text, line.start(), line.end()))
    return spans


def _split_block(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    sentence_start = start
    block = text[start:end]
    for match in _BOUNDARY.finditer(block):
        cut = start + match.end()
        if _is_boundary(text, sentence_start, start + match.start(), cut, end):
            spans.append((sentence_start, cut))
            sentence_start = cut
    spans.append((sentence_start, end))
    return [trimmed for s, e in spans if (trimmed := _trim(text, s, e))]


def _is_boundary(text: str, sentence_start: int, mark: int, cut: int, end: int) -> bool:
    following = text[cut:end].lstrip()
    if not following:
        return True
    first = following[0]
    if first.islower():
        return False
    punct = text[mark:cut]
    if punct.startswith(".") and not punct.startswith(".."):
        word_match = _WORD_BEFORE.search(text[sentence_start : mark + 1])
        word = word_match.group(1) if word_match else ""
        bare = word.rstrip(".").lstrip("(\"'“‘").lower()
        if bare in ABBREVIATIONS and not _closes(punct):
            return False
        if _INITIALISM.match(word.lstrip("(\"'“‘")) and not _closes(punct):
            next_word = re.match(r"[\w’']+", following)
            return bool(next_word) and next_word.group(0).lower() in SENTENCE_OPENERS
    return first.isupper() or first.isdigit() or first in "\"'“‘«([¿¡—-*•"


def _closes(punct: str) -> bool:
    """A closing quote or bracket after the dot means the sentence really ended."""
    return len(punct.rstrip()) > 1 and punct[-1] in "\"'”’»)]"


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None
