"""Who wrote a news article: its byline, and the questions that ask for it.

A byline ("By Jane Doe", "Ramin Sohrabi for TROIB News", "Jane Doe, Reuters") shares no word
with "Who wrote the article?", so retrieval never offers it to the reader. It sits on a line
of its own at the top or the foot of the story, and reads as names; that is what is looked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .nlp import STOPWORDS
from .types import Sentence

# Where a byline may stand: this many sentences from either end of the document.
BYLINE_WINDOW = 3
# A byline line is short: the names and at most an outlet or a role.
MAX_BYLINE_WORDS = 16

# One name: two to four capitalised words or initials ("Niels B. Christiansen", "Mary-Jo O'Neil").
_WORD = r"[A-Z][\w'’-]*\.?"
_NAME = rf"{_WORD}(?:\s+{_WORD}){{1,3}}"
# Several names are a list that ends in "and": "Ana Lima, Tom Reed and Joe Park". A comma with
# no "and" after it starts the outlet ("Jane Doe, BBC News").
_NAMES = rf"{_NAME}(?:(?:\s*,\s*{_NAME})*,?\s+(?:and|&)\s+{_NAME})?"
# What may follow the names: the outlet or role, after "for", "of", a comma, a bar or a dash.
_AFTER = r"(?:\s*(?:[,;|]|[-–—]|\bfor\b|\bof\b|\bat\b|\bin\b)\s*.*)?"
# Not IGNORECASE: the names are told apart by their capitals.
_LEAD_IN = r"(?:(?:[Ww]ritten|[Rr]eporting|[Rr]eported|[Ww]ords|[Ss]tory)\s+)?(?:By|BY|by)"
_BY = re.compile(rf"^{_LEAD_IN}\s+({_NAMES}){_AFTER}$")
# Without "By" the names come first and an outlet after ("Jane Doe for Reuters"). A headline in
# title case reads the same ("Starmer Offers Troops - BBC News"), so a document's first line is
# never taken for one.
_NAMES_FOR = re.compile(rf"^({_NAMES})\s*(?:,|\||[-–—]|\bfor\b)\s*{_WORD}(?:\s+[\w&'’.-]+)*$")

# A question for the writer's name: "Who wrote ...", "Tell me who is the author of ...". Not
# "What does the author of this post prefer?" nor "What console is the person who wrote this
# post playing?", which ask about what the writer says.
_ASKS_FOR_AUTHOR = re.compile(
    r"^\W*(?:[\w'’]+\s+){0,3}?who\s+(?:wrote|writes|has\s+written|authored|penned"
    r"|(?:is|was|are|were)\s+(?:the\s+)?(?:author|writer|reporter|journalist)s?)\b"
    r"|\bwritten\s+by\s+whom\b",
    re.IGNORECASE,
)
# "Who wrote the article/this story/the cup final piece?": the document itself, not a report or
# letter it mentions, nor a work it names in capitals ("the book The Story of Tibet").
_ABOUT_THE_DOCUMENT = re.compile(
    r"\b(?:[Tt]he|[Tt]his|[Tt]hat)\s+(?:[a-z][\w'’-]*\s+){0,5}?(?:news\s+)?"
    r"(?:article|story|piece|column|post|document)s?\b(?!-)"
)


@dataclass(frozen=True)
class Byline:
    sentence: Sentence
    names: str
    """The author names as written in the sentence: ``sentence.text`` holds them verbatim."""


def asks_for_author(question: str) -> bool:
    """Does the question ask who wrote the document itself ("Who wrote the article?")?"""
    return bool(_ASKS_FOR_AUTHOR.search(question) and _ABOUT_THE_DOCUMENT.search(question))


def find_byline(sentences: Sequence[Sentence]) -> Byline | None:
    """The document's byline, if one of its first or last sentences reads as one."""
    ends = [*sentences[:BYLINE_WINDOW], *reversed(sentences[-BYLINE_WINDOW:])]
    for sentence in dict.fromkeys(ends):
        text = sentence.text.strip()
        if len(text.split()) > MAX_BYLINE_WORDS:
            continue
        if by := _BY.match(text):
            return Byline(sentence, by.group(1))
        names = _NAMES_FOR.match(text) if sentence is not sentences[0] else None
        if names and _reads_as_names(names.group(1)):
            return Byline(sentence, names.group(1))
    return None


def _reads_as_names(names: str) -> bool:
    """Without "By", a footer in title case ("Sign Up for Our Newsletter") reads like a byline;
    its words are common ones, while names are not."""
    return not any(word.lower().strip(".,&") in STOPWORDS for word in names.split())
