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
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .nlp import terms
from .protocols import VectorIndex
from .types import Sentence

CONTEXT_WINDOW = 2  # sentences either side, plus the title, that a sentence "knows"
SNAPSHOT_VERSION = 4  # bump when LexicalTable changes shape

log = logging.getLogger(__name__)


class BM25:
    """BM25 over term lists, with numpy postings: built once, queried in microseconds."""

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
        self._postings = {
            term: (np.array(rows[term], dtype=np.int32), np.array(freqs[term], dtype=np.float32))
            for term in rows
        }

    def idf(self, term: str) -> float:
        df = len(self._postings[term][0]) if term in self._postings else 0
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        for term in set(query_terms):
            posting = self._postings.get(term)
            if posting is None:
                continue
            rows, tf = posting
            out[rows] += self.idf(term) * tf * (self._k1 + 1) / (tf + self._norm[rows])
        return out

    def top(self, query_terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        scores = self.scores(query_terms)
        if not self.n:
            return []
        k = min(k, self.n)
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best])]
        return [(int(i), float(scores[i])) for i in best if scores[i] > 0]


@dataclass
class LexicalTable:
    """One immutable build of the index; rows are sentences in (document, position) order.
    ``doc_hashes`` says which version of each document it was built from, ``revision`` which
    revision of the store."""

    revision: str
    doc_hashes: dict[str, str]
    sentences: list[Sentence]
    titles: list[str]
    term_lists: list[tuple[str, ...]]
    row_of: dict[str, int]
    term_sets: list[frozenset[str]]
    doc_terms: dict[str, frozenset[str]]
    title_terms: dict[str, frozenset[str]]
    doc_rows: dict[str, list[int]]
    bm25: BM25

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
        reused = known.row_of if known else {}
        term_lists = [
            known.term_lists[reused[s.sentence_id]]
            if known and s.sentence_id in reused
            else tuple(terms(s.text))
            for s in sentences
        ]
        doc_terms: dict[str, set[str]] = defaultdict(set)
        doc_rows: dict[str, list[int]] = defaultdict(list)
        for row, (sentence, title) in enumerate(ordered):
            doc_rows[sentence.doc_id].append(row)
            doc_terms[sentence.doc_id].update(term_lists[row])
            if sentence.index == 0 and title:
                doc_terms[sentence.doc_id].update(terms(title))
        return cls(
            revision=revision,
            doc_hashes=dict(doc_hashes),
            sentences=sentences,
            titles=[t for _, t in ordered],
            term_lists=term_lists,
            row_of={s.sentence_id: i for i, s in enumerate(sentences)},
            term_sets=[frozenset(t) for t in term_lists],
            doc_terms={d: frozenset(t) for d, t in doc_terms.items()},
            title_terms={s.doc_id: frozenset(terms(t)) for s, t in ordered if s.index == 0 and t},
            doc_rows=dict(doc_rows),
            bm25=BM25(term_lists),
        )

    def rows(self, keep: set[str]) -> list[tuple[Sentence, str]]:
        """The rows of the documents in ``keep``."""
        return [(self.sentences[r], self.titles[r]) for doc_id in keep for r in self.doc_rows.get(doc_id, [])]

    def context_sets(self, sentence: Sentence) -> list[frozenset[str]]:
        """The term sets of the sentence's neighbours and its title, unioned only on demand:
        ranking asks whether a few question terms are in them, and building the union per
        candidate per question was a tenth of retrieval time."""
        rows = self.doc_rows.get(sentence.doc_id, [])
        lo, hi = max(0, sentence.index - CONTEXT_WINDOW), sentence.index + CONTEXT_WINDOW + 1
        title = self.title_terms.get(sentence.doc_id, frozenset())
        return [title, *(self.term_sets[r] for r in rows[lo:hi])]


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
        return [table.sentences[r] for r in table.doc_rows.get(doc_id, [])]

    def sentence(self, doc_id: str, index: int) -> Sentence | None:
        """One sentence by position, without copying its document's list (large files)."""
        table = self._current()
        rows = table.doc_rows.get(doc_id, [])
        return table.sentences[rows[index]] if 0 <= index < len(rows) else None

    def document_terms(self, doc_id: str) -> frozenset[str]:
        return self._current().doc_terms.get(doc_id, frozenset())

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
