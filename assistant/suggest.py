"""Questions to suggest for the user's own documents, each one the assistant actually answers.

Candidates are built from the documents' sentences by one grammatical rewrite (the sentence's
subject becomes "Who"/"Which"/"What": "The council approved a levy of 2%." -> "Which council
approved a levy of 2%?"), then each is put to the real answerer; only questions it answers,
citing the document they came from, are suggested. Nothing here knows any particular document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import zip_longest
from typing import TYPE_CHECKING

from .segment import split_sentences

if TYPE_CHECKING:
    from .core import Assistant
    from .types import DocumentInfo

# A suggestion is read at a glance: candidates come from short, plain clauses only.
MAX_SUBJECT_WORDS = 5
MAX_OPENING_WORDS = 4  # "In January," / "Last week," before the subject is dropped
MIN_REST_WORDS = 2
MAX_REST_WORDS = 14
# Each candidate costs one answer (0.1-0.8 s offline); this bounds the work per refresh.
MAX_TRIES = 12
SUGGESTIONS = 4

_WORD = re.compile(r"\S+")
# A regular past-tense verb ("approved", "scored"): the main verb of many news sentences.
_PAST_TENSE = re.compile(r"^[a-z]{3,}ed$")
_CAPITALISED = re.compile(r"^[A-Z][\w'’.-]*$")
_LOWERCASE = re.compile(r"^[a-z]")
# Quotes, brackets and questions make poor one-line questions.
_UNSUITABLE = re.compile(r"[\"“”()\[\]?:;]")


def question_from_sentence(sentence: str, vocabulary: frozenset[str] = frozenset()) -> str | None:
    """Turn a sentence's subject into a question word, or None if the sentence does not fit.

    "Podoliak has emphasized that Europe should prioritize weapons." -> "Who has emphasized
    that Europe should prioritize weapons?". The subject is a name (a run of capitalised words:
    "Who", or "What" after a common word such as "The"), or up to five words before a past-tense
    verb ("Which <its last word>", "What" for one word). A short opening phrase before a comma
    ("In January,") is dropped, and the question ends where the clause does (the next comma).
    ``vocabulary``, the document's lowercase words, tells a name ("Starmer") from a capitalised
    common word ("The").
    """
    sentence = " ".join(sentence.split())
    if not sentence.endswith((".", "!")):
        return None  # a title or a byline, not a statement
    clauses = sentence.rstrip(".!").split(", ")
    if len(clauses) > 1 and len(clauses[0].split()) <= MAX_OPENING_WORDS:
        clauses = clauses[1:]
    clause = clauses[0]
    if _UNSUITABLE.search(clause):
        return None
    words = _WORD.findall(clause)
    names = 0
    while names < len(words) and _CAPITALISED.match(words[names]):
        names += 1
    is_name = (
        0 < names <= MAX_SUBJECT_WORDS
        and (names > 1 or words[0].lower() not in vocabulary)
        and not words[names - 1].endswith(("'s", "’s"))  # "Zelensky's aide": the name is not the subject
    )
    if is_name and names < len(words) and _LOWERCASE.match(words[names]):
        # "The Zorblat Festival takes place ..." names a thing: "What takes place ...?"
        asker, verb = ("What" if words[0].lower() in vocabulary else "Who"), names
    else:
        verb = next((i for i, w in enumerate(words[: MAX_SUBJECT_WORDS + 1]) if _PAST_TENSE.match(w)), 0)
        # "The city council approved ..." -> "Which council approved ...?"; "Prices rose" -> "What".
        asker = f"Which {words[verb - 1]}" if verb > 1 and _LOWERCASE.match(words[verb - 1]) else "What"
    if verb == 0:
        return None
    rest = words[verb:]
    if not MIN_REST_WORDS <= len(rest) - 1 <= MAX_REST_WORDS:
        return None
    return f"{asker} {' '.join(rest)}?"


def candidate_questions(text: str) -> list[str]:
    """Every question ``question_from_sentence`` makes from ``text``, in document order, no repeats."""
    vocabulary = frozenset(w for w in re.findall(r"[a-z][\w'’-]*", text))
    seen: dict[str, None] = {}
    for start, end in split_sentences(text):
        question = question_from_sentence(text[start:end], vocabulary)
        if question is not None:
            seen.setdefault(question, None)
    return list(seen)


def _interleaved(per_document: Sequence[Sequence[tuple[str, str]]]) -> Iterator[tuple[str, str]]:
    """One candidate of each document in turn, so a long document does not take every slot."""
    for row in zip_longest(*per_document):
        yield from (item for item in row if item is not None)


def suggest(
    bot: Assistant, documents: Sequence[DocumentInfo], limit: int = SUGGESTIONS, tries: int = MAX_TRIES
) -> list[str]:
    """Up to ``limit`` questions about ``documents`` (most relevant first) that ``bot`` answers
    offline, each citing the document it was made from. Empty when none qualifies."""
    # Each try takes one candidate per document in turn, so later documents are never reached.
    per_document = [
        [(doc.doc_id, q) for q in candidate_questions(bot.document_text(doc.doc_id))]
        for doc in documents[:tries]
    ]
    chosen: list[str] = []
    for attempt, (doc_id, question) in enumerate(_interleaved(per_document)):
        if len(chosen) >= limit or attempt >= tries:
            break
        answer = bot.ask(question, backend="extractive")
        if not answer.refused and any(c.doc_id == doc_id for c in answer.citations):
            chosen.append(question)
    return chosen
