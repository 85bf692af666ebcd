"""Typos in questions: a word that neither the corpus nor English knows is read as the corpus
word it most likely meant ("extra tme" -> "extra time"), and the answer says so.

What counts as unknown is decided by the corpus: a word whose index term some sentence or
title holds is never touched (names, jargon, inflections the corpus has), and neither is a
number, a stopword or a word of English the corpus happens not to contain ("weather" is not
"whether"): questions about what the documents do not cover must stay as asked, so that
they are refused as asked. English is symspellpy's frequency dictionary (82,765 words, with
a bigram dictionary), shipped in its wheel.

A replacement is a corpus term close in edit distance (rapidfuzz, optimal string
alignment: a swap of two letters is one edit), ranked by how well it fits the rest of the
question: it follows or precedes its neighbours in English ("extra time", never "extra
the"), or shares a sentence with the question's other terms; then by distance and
frequency. A capitalised word (not the first) is a name: it is only read as a name of the
corpus.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass
from importlib import resources

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from .lexical import LexicalTable
from .nlp import STOPWORDS, normalize_term, tokens
from .types import Correction

# Words this short are too often a real word of another language, an abbreviation or a
# unit; one edit away from them lies half the dictionary.
MIN_TYPO_LENGTH = 3
# Most typos are one edit (a letter dropped, doubled, swapped); a longer word may carry two.
# Up to this many letters a term may be corrected by one edit only: at two, "tme" would be
# as close to "tie", "tree" and "team" as to "time".
ONE_EDIT_UP_TO = 4
# Sentences whose surface forms are read to find how the corpus writes a term (its most
# common form): enough for a stable majority, few enough to cost nothing.
SURFACE_SAMPLE = 40
# Corpus terms within reach of a typo whose surface and English usage are read: the ones that
# share a sentence with the question's other terms first, then the most frequent.
CANDIDATES = 10

_ENGLISH = "frequency_dictionary_en_82_765.txt"
_BIGRAMS = "frequency_bigramdictionary_en_243_342.txt"
_lock = threading.Lock()
_english: frozenset[str] | None = None
_bigrams: str | None = None


@dataclass(frozen=True)
class Spelled:
    """A question with its typos corrected; ``corrections`` is empty when nothing changed."""

    text: str
    corrections: tuple[Correction, ...] = ()

    def apply(self, other: str) -> str:
        """The same corrections made in another text (the retrieval query, which repeats the question)."""
        for c in self.corrections:
            other = re.sub(rf"(?<!\w){re.escape(c.original)}(?!\w)", c.corrected, other)
        return other


def correct(text: str, table: LexicalTable) -> Spelled:
    """``text`` with each word that neither the corpus nor English knows replaced by the corpus
    word it most likely meant; a word with no close corpus word stays as it is."""
    if not len(table):
        return Spelled(text)
    words = tokens(text)
    unknown = [i for i, (_, _, w) in enumerate(words) if _is_typo(w, table)]
    if not unknown:
        return Spelled(text)
    known = [t for _, _, w in words if (t := normalize_term(w)) and table.knows(t)]
    context = table.bm25.scores(known) if known else None
    out, last, corrections = [], 0, []
    for i in unknown:
        start, end, word = words[i]
        before = words[i - 1][2].lower() if i > 0 else ""
        after = words[i + 1][2].lower() if i + 1 < len(words) else ""
        name = i > 0 and word[0].isupper()
        replacement = _best(word, before, after, name, table, context)
        if replacement is None:
            continue
        if word[0].isupper():
            replacement = replacement[0].upper() + replacement[1:]
        out += [text[last:start], replacement]
        last = end
        corrections.append(Correction(word, replacement))
    if not corrections:
        return Spelled(text)
    return Spelled("".join([*out, text[last:]]), tuple(corrections))


def _is_typo(word: str, table: LexicalTable) -> bool:
    """Neither a number, a stopword, nor a word the corpus or English knows."""
    if len(word) < MIN_TYPO_LENGTH or not word.isalpha() or word.isupper():
        return False  # numbers, acronyms ("AFC"), "Zelensky's" (its stem is checked when bare)
    term = normalize_term(word)
    if not term or table.knows(term):
        return False
    return word.lower() not in english()


def _best(
    word: str, before: str, after: str, name: bool, table: LexicalTable, context: np.ndarray | None
) -> str | None:
    """The corpus word ``word`` most likely meant, or None when no corpus word is close."""
    term = normalize_term(word)
    limit = 1 if len(term) <= ONE_EDIT_UP_TO else 2
    near = process.extract(term, table.vocabulary(), scorer=OSA.distance, score_cutoff=limit, limit=None)
    # Shared sentences are cheap to score for every candidate; surfaces and English usage
    # are read for the likeliest CANDIDATES only.
    scored = []
    for candidate, _, _ in near:
        rows = table.bm25.rows(candidate)
        # The best sentence holding the candidate, scored on the question's other terms.
        shared = float(context[rows].max()) if context is not None and len(rows) else 0.0
        scored.append((shared, len(rows), candidate))
    scored.sort(key=lambda c: (c[0] <= 0, -c[1]))
    ranked = []
    for shared, frequency, candidate in scored[:CANDIDATES]:
        surface, capitalised = _surface(candidate, word.lower(), table)
        if surface is None or (name and not capitalised):
            continue
        distance = OSA.distance(word.lower(), surface)
        if distance > limit:
            continue
        usage = bigram_count(before, surface) + bigram_count(surface, after)
        fits = usage > 0 or shared > 0
        ranked.append(((not fits, distance, -usage, -shared, -frequency), surface))
    # Stopwords are no terms, so a typo of one ("waht") is matched to them here.
    if not name:
        lower = word.lower()
        for stopword in STOPWORDS:
            if len(stopword) >= MIN_TYPO_LENGTH and OSA.distance(lower, stopword) <= 1:
                usage = bigram_count(before, stopword) + bigram_count(stopword, after)
                ranked.append(((usage == 0, 1, -usage, 0.0, 0), stopword))
    return min(ranked)[1] if ranked else None


def _surface(term: str, typed: str, table: LexicalTable) -> tuple[str | None, bool]:
    """The corpus's form of ``term`` closest to ``typed`` ("represented", not "representation",
    for "reprsented"), lower-cased, then the most common; and whether it is a name there:
    capitalised wherever a sentence has it."""
    forms: Counter[str] = Counter()
    lower = 0
    for row in table.bm25.rows(term)[:SURFACE_SAMPLE]:
        for _, _, w in tokens(table.texts[int(row)]):
            if normalize_term(w) == term and w.isalpha():
                forms[w.lower()] += 1
                lower += w[0].islower()
    if not forms:  # a term only titles hold
        titles = (t for t in table.title_terms.items() if term in t[1])
        for doc_id, _ in titles:
            for _, _, w in tokens(table.titles[table.doc_rows[doc_id][0]]):
                if normalize_term(w) == term and w.isalpha():
                    forms[w.lower()] += 1
            break
    if not forms:
        return None, False
    best = min(forms, key=lambda f: (OSA.distance(typed, f), -forms[f]))
    return best, lower == 0


def english() -> frozenset[str]:
    """English words (symspellpy's frequency dictionary), loaded on the first typo."""
    global _english
    with _lock:
        if _english is None:
            text = resources.files("symspellpy").joinpath(_ENGLISH).read_text(encoding="utf-8")
            _english = frozenset(line.split(" ", 1)[0] for line in text.splitlines() if line)
        return _english


def bigram_count(first: str, second: str) -> int:
    """How often ``second`` follows ``first`` in English (symspellpy's bigram dictionary).
    The file is searched as text: parsed into a dict it took 0.5 s, on the first typo."""
    global _bigrams
    with _lock:
        if _bigrams is None:
            _bigrams = "\n" + resources.files("symspellpy").joinpath(_BIGRAMS).read_text(encoding="utf-8")
        text = _bigrams
    if not first or not second:
        return 0
    at = text.find(f"\n{first} {second} ")
    if at < 0:
        return 0
    start = at + len(first) + len(second) + 3
    end = text.find("\n", start)
    return int(text[start : end if end >= 0 else None])
