"""The lexical index: every sentence of the corpus in memory with its terms, BM25 over them,
and the answerers' view of the corpus (a document's sentences, a sentence's context terms).

It is derived from the vector store, kept in step with it by the stored documents' content
hashes, and persisted beside the store so that a new process loads it instead of rebuilding
it (the rebuild took 21 s at 100k sentences).
"""

from __future__ import annotations

import gc
import logging
import math
import os
import pickle
import threading
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import groupby
from pathlib import Path

import numpy as np

from .nlp import terms
from .protocols import VectorIndex
from .types import Sentence

CONTEXT_WINDOW = 2  # sentences either side, plus the title, that a sentence "knows"
SNAPSHOT_VERSION = 5  # bump when LexicalTable changes shape

log = logging.getLogger(__name__)
# What a table derives on demand and never persists.
_DERIVED = ("_term_sets", "_doc_terms", "_vocabulary", "_title_terms")


class BM25:
    """BM25 over term lists. The postings of all terms sit in two flat numpy arrays (each term
    owns a slice), so a snapshot of 100k sentences loads in milliseconds, not as 25k arrays."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.n = len(documents)
        lengths = np.array([len(d) for d in documents], dtype=np.float32)
        average = float(lengths.mean()) if self.n else 1.0
        self._norm = k1 * (1 - b + b * lengths / max(average, 1e-9))
        self._k1 = k1
        rows: dict[str, list[int]] = defaultdict(list)
        freqs: dict[str, list[int]] = defaultdict(list)
        for row, doc in enumerate(documents):
            for term, tf in Counter(doc).items():
                rows[term].append(row)
                freqs[term].append(tf)
        self._slices: dict[str, tuple[int, int]] = {}
        offset = 0
        for term, term_rows in rows.items():
            self._slices[term] = (offset, offset + len(term_rows))
            offset += len(term_rows)
        self._rows = np.fromiter((r for t in rows.values() for r in t), dtype=np.int32, count=offset)
        self._tfs = np.fromiter((f for t in freqs.values() for f in t), dtype=np.float32, count=offset)

    def __contains__(self, term: object) -> bool:
        return term in self._slices

    def vocabulary(self) -> list[str]:
        """Every term that some row holds."""
        return list(self._slices)

    def rows(self, term: str) -> np.ndarray:
        """The rows that hold ``term``."""
        lo, hi = self._slices.get(term, (0, 0))
        return self._rows[lo:hi]

    def idf(self, term: str) -> float:
        lo, hi = self._slices.get(term, (0, 0))
        df = hi - lo
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        for term in set(query_terms):
            if term not in self._slices:
                continue
            lo, hi = self._slices[term]
            rows, tf = self._rows[lo:hi], self._tfs[lo:hi]
            out[rows] += self.idf(term) * tf * (self._k1 + 1) / (tf + self._norm[rows])
        return out


def best_rows(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` highest-scoring rows with a score above zero, best first."""
    k = min(k, len(scores))
    if not k:
        return []
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best])]
    return [(int(i), float(scores[i])) for i in best if scores[i] > 0]


@dataclass
class LexicalTable:
    """One immutable build of the index; rows are sentences in (document, position) order,
    kept as columns. ``doc_hashes`` says which version of each document it was built from,
    ``revision`` which revision of the store.

    Only what cannot be derived cheaply is persisted: a question touches a hundred rows, so
    their ``Sentence`` objects, term sets and documents' term sets are made on demand. Loading
    100k ready-made objects took 0.8 s of every cold start."""

    revision: str
    doc_hashes: dict[str, str]
    doc_ids: list[str]
    positions: array[int]
    starts: array[int]
    ends: array[int]
    texts: list[str]
    titles: list[str]
    term_lists: list[tuple[str, ...]]
    doc_rows: dict[str, range]
    title_terms: dict[str, frozenset[str]]
    bm25: BM25
    _term_sets: dict[int, frozenset[str]] = field(default_factory=dict, repr=False)
    _doc_terms: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _vocabulary: list[str] | None = field(default=None, repr=False)
    _title_terms: frozenset[str] | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        revision: str,
        doc_hashes: dict[str, str],
        rows: Iterable[tuple[Sentence, str]],
        known: LexicalTable | None = None,
    ) -> LexicalTable:
        """``rows``: sentences with their document's title, in any order. The terms of a row
        that ``known`` already holds are reused instead of computed again."""
        ordered = sorted(rows, key=lambda r: (r[0].doc_id, r[0].index))
        sentences = [s for s, _ in ordered]
        term_lists = []
        for s in sentences:
            row = known.row(s.sentence_id) if known else None
            term_lists.append(known.term_lists[row] if known and row is not None else tuple(terms(s.text)))
        doc_rows: dict[str, range] = {}
        first = 0
        for doc_id, group in groupby(s.doc_id for s in sentences):  # a document's rows are adjacent
            last = first + sum(1 for _ in group)
            doc_rows[doc_id] = range(first, last)
            first = last
        return cls(
            revision=revision,
            doc_hashes=dict(doc_hashes),
            doc_ids=[s.doc_id for s in sentences],
            positions=array("q", (s.index for s in sentences)),
            starts=array("q", (s.start for s in sentences)),
            ends=array("q", (s.end for s in sentences)),
            texts=[s.text for s in sentences],
            titles=[t for _, t in ordered],
            term_lists=term_lists,
            doc_rows=doc_rows,
            title_terms={s.doc_id: frozenset(terms(t)) for s, t in ordered if s.index == 0 and t},
            bm25=BM25(term_lists),
        )

    def __len__(self) -> int:
        return len(self.texts)

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k not in _DERIVED}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state, _term_sets={}, _doc_terms={}, _vocabulary=None, _title_terms=None)

    def sentence(self, row: int) -> Sentence:
        return Sentence(
            doc_id=self.doc_ids[row],
            index=self.positions[row],
            start=self.starts[row],
            end=self.ends[row],
            text=self.texts[row],
        )

    def row(self, sentence_id: str) -> int | None:
        """The row of ``Sentence.sentence_id``, or None when the table does not hold it."""
        parsed = Sentence.parse_id(sentence_id)
        rows = self.doc_rows.get(parsed[0]) if parsed else None
        return rows[parsed[1]] if parsed and rows is not None and parsed[1] < len(rows) else None

    def knows(self, term: str) -> bool:
        """Is ``term`` in some sentence or title of the corpus?"""
        return term in self.bm25 or term in self._title_vocabulary()

    def vocabulary(self) -> list[str]:
        """Every term of the corpus (sentences and titles), listed once per table on demand:
        only a question with a word the corpus does not know needs it (``spelling``)."""
        if self._vocabulary is None:
            self._vocabulary = sorted(self._title_vocabulary().union(self.bm25.vocabulary()))
        return self._vocabulary

    def _title_vocabulary(self) -> frozenset[str]:
        if self._title_terms is None:
            self._title_terms = frozenset(t for terms_ in self.title_terms.values() for t in terms_)
        return self._title_terms

    def document_titles(self) -> dict[str, str]:
        """Every document's title ('' when it has none), in the table's order."""
        return {doc_id: self.titles[rows[0]] for doc_id, rows in self.doc_rows.items() if len(rows)}

    def term_set(self, row: int) -> frozenset[str]:
        found = self._term_sets.get(row)
        if found is None:
            found = self._term_sets[row] = frozenset(self.term_lists[row])
        return found

    def document_terms(self, doc_id: str) -> frozenset[str]:
        """Every term of the document and its title."""
        found = self._doc_terms.get(doc_id)
        if found is None:
            rows = self.doc_rows.get(doc_id, range(0))
            found = frozenset(t for r in rows for t in self.term_lists[r]).union(
                self.title_terms.get(doc_id, frozenset())
            )
            self._doc_terms[doc_id] = found
        return found

    def rows(self, keep: set[str]) -> list[tuple[Sentence, str]]:
        """The rows of the documents in ``keep``."""
        return [
            (self.sentence(r), self.titles[r]) for doc_id in keep for r in self.doc_rows.get(doc_id, range(0))
        ]

    def context_sets(self, sentence: Sentence) -> list[frozenset[str]]:
        """The term sets of the sentence's neighbours and its title, unioned only on demand:
        ranking asks whether a few question terms are in them, and building the union per
        candidate per question was a tenth of retrieval time."""
        rows = self.doc_rows.get(sentence.doc_id, range(0))
        lo, hi = max(0, sentence.index - CONTEXT_WINDOW), sentence.index + CONTEXT_WINDOW + 1
        title = self.title_terms.get(sentence.doc_id, frozenset())
        return [title, *(self.term_set(r) for r in rows[lo:hi])]


class LexicalIndex:
    """Keeps a ``LexicalTable`` in step with the vector store and serves it as the answerers'
    ``CorpusView``. ``snapshot``: the file where the table is kept between processes.

    After a change only the documents that changed are read back from the store and
    analysed; the rest of the table, in memory or in the snapshot, is reused."""

    def __init__(self, index: VectorIndex, snapshot: Path | None = None) -> None:
        self._index = index
        self._snapshot = snapshot
        self._lock = threading.Lock()
        self._table: LexicalTable | None = None

    def table(self) -> LexicalTable:
        """The table for the store as it is now, whoever changed it: each call reads the
        store's revision (under a millisecond) and brings the table up to date if it moved."""
        with self._lock:
            revision = self._index.revision()
            if self._table is None or not revision or self._table.revision != revision:
                self._table = self._sync(self._table, revision)
            return self._table

    def _sync(self, known: LexicalTable | None, revision: str) -> LexicalTable:
        if known is None:
            known = self._read_snapshot()
            if known is not None and revision and known.revision == revision:
                return known
        stored = {d.doc_id: d.content_hash for d in self._index.documents()}
        if known is not None and known.doc_hashes == stored:
            return replace(known, revision=revision)
        same = {d for d, h in stored.items() if known is not None and known.doc_hashes.get(d) == h}
        rows = known.rows(same) if known is not None else []
        if len(same) < len(stored):
            rows += self._index.sentences(sorted(set(stored) - same))
        table = LexicalTable.build(revision, stored, rows, known)
        self._write_snapshot(table)
        return table

    def _read_snapshot(self) -> LexicalTable | None:
        if self._snapshot is None or not self._snapshot.is_file():
            return None
        try:
            with self._snapshot.open("rb") as f, _no_gc():
                saved = pickle.load(f)
        except Exception:  # an old, partial or foreign file: rebuild, never fail a question on it
            log.warning("ignoring the unreadable lexical snapshot %s", self._snapshot)
            return None
        if not isinstance(saved, dict) or saved.get("version") != SNAPSHOT_VERSION:
            return None
        return saved["table"]

    def _write_snapshot(self, table: LexicalTable) -> None:
        if self._snapshot is None:
            return
        try:
            self._snapshot.parent.mkdir(parents=True, exist_ok=True)
            partial = self._snapshot.with_suffix(f".{os.getpid()}.tmp")
            with partial.open("wb") as f:
                pickle.dump(
                    {"version": SNAPSHOT_VERSION, "table": table}, f, protocol=pickle.HIGHEST_PROTOCOL
                )
            partial.replace(self._snapshot)  # atomic: readers see the old file or the new one
        except OSError as exc:
            log.warning("cannot keep the lexical snapshot at %s: %s", self._snapshot, exc)

    # CorpusView: the table the question's retrieval used (``table()`` checked the store then).

    def _current(self) -> LexicalTable:
        return self._table or self.table()

    def document_sentences(self, doc_id: str) -> list[Sentence]:
        table = self._current()
        return [table.sentence(r) for r in table.doc_rows.get(doc_id, range(0))]

    def sentence(self, doc_id: str, index: int) -> Sentence | None:
        """One sentence by position, without copying its document's list (large files)."""
        table = self._current()
        rows = table.doc_rows.get(doc_id, range(0))
        return table.sentence(rows[index]) if 0 <= index < len(rows) else None

    def document_terms(self, doc_id: str) -> frozenset[str]:
        return self._current().document_terms(doc_id)

    def document_titles(self) -> dict[str, str]:
        return self._current().document_titles()

    def context_terms(self, sentence: Sentence) -> frozenset[str]:
        """Terms of the sentence, its neighbours and its document's title."""
        return frozenset().union(*self._current().context_sets(sentence))


@contextmanager
def _no_gc() -> Iterator[None]:
    """Loading a million small objects triggers the collector again and again for nothing
    (0.9 s instead of 0.5 s at 100k sentences)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
