"""Hybrid retrieval ranked at sentence level.

Dense (Chroma, cosine) and lexical (BM25 with stemming and number-aware terms) each
propose candidates; every candidate then gets all three signals (dense similarity,
normalised BM25, and idf-weighted coverage of the question's terms by the sentence and,
more weakly, by its document) and a weighted sum ranks them. Coverage is what puts
"...propose a deployment of 30,000 European troops" above the semantically closer
"...up to 200,000 European soldiers" for "Who proposed 30,000 troops?": naive rank
fusion of dense and BM25 does not.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .lexical import BM25
from .nlp import normalize_term, terms
from .protocols import Embedder, VectorIndex
from .question import Question
from .types import ScoredSentence, Sentence

WEIGHT_DENSE = 0.40
WEIGHT_LEXICAL = 0.20
WEIGHT_COVERAGE = 0.40
CONTEXT_COVERAGE_SHARE = 0.35  # of coverage credited for terms found only in nearby sentences
CONTEXT_WINDOW = 2  # sentences either side, plus the title, that a sentence "knows"


SNAPSHOT_VERSION = 1  # bump when _Table changes shape
log = logging.getLogger(__name__)


@dataclass
class _Table:
    """Every sentence of the corpus in memory, with its terms, for lexical search."""

    sentences: list[Sentence]
    titles: list[str]
    row_of: dict[str, int]
    term_sets: list[frozenset[str]]
    doc_terms: dict[str, frozenset[str]]
    title_terms: dict[str, frozenset[str]]
    doc_rows: dict[str, list[int]]
    bm25: BM25


class HybridRetriever:
    """``snapshot``: a file where the lexical table is kept between processes, so a new
    process loads it instead of rebuilding it from the store (21 s at 100k sentences)."""

    def __init__(
        self, index: VectorIndex, embedder: Embedder, candidates: int, snapshot: Path | None = None
    ) -> None:
        self._index = index
        self._embedder = embedder
        self._candidates = candidates
        self._snapshot = snapshot
        self._lock = threading.Lock()
        self._table: _Table | None = None

    def invalidate(self) -> None:
        """Call after the store changed; the lexical index is rebuilt on next use."""
        with self._lock:
            self._table = None

    def _load(self) -> _Table:
        with self._lock:
            if self._table is None:
                fingerprint = self._fingerprint()
                self._table = self._read_snapshot(fingerprint)
                if self._table is None:
                    self._table = self._build()
                    self._write_snapshot(fingerprint, self._table)
            return self._table

    def _fingerprint(self) -> str:
        """What the table was built from: every document's id and content hash."""
        ids = sorted(f"{d.doc_id}\0{d.content_hash}" for d in self._index.documents())
        return hashlib.sha256("\n".join(ids).encode()).hexdigest()

    def _read_snapshot(self, fingerprint: str) -> _Table | None:
        if self._snapshot is None or not self._snapshot.is_file():
            return None
        try:
            with self._snapshot.open("rb") as f:
                saved = pickle.load(f)
        except Exception:  # an old, partial or foreign file: rebuild, never fail a question on it
            log.warning("ignoring the unreadable lexical snapshot %s", self._snapshot)
            return None
        if not isinstance(saved, dict) or saved.get("version") != SNAPSHOT_VERSION:
            return None
        return saved["table"] if saved.get("fingerprint") == fingerprint else None

    def _write_snapshot(self, fingerprint: str, table: _Table) -> None:
        if self._snapshot is None:
            return
        try:
            self._snapshot.parent.mkdir(parents=True, exist_ok=True)
            partial = self._snapshot.with_suffix(f".{os.getpid()}.tmp")
            with partial.open("wb") as f:
                pickle.dump({"version": SNAPSHOT_VERSION, "fingerprint": fingerprint, "table": table}, f)
            partial.replace(self._snapshot)  # atomic: readers see the old file or the new one
        except OSError as exc:
            log.warning("cannot keep the lexical snapshot at %s: %s", self._snapshot, exc)

    def _build(self) -> _Table:
        rows = sorted(self._index.sentences(), key=lambda r: (r[0].doc_id, r[0].index))
        sentences = [s for s, _ in rows]
        term_lists = [terms(s.text) for s in sentences]
        doc_terms: dict[str, set[str]] = defaultdict(set)
        doc_rows: dict[str, list[int]] = defaultdict(list)
        for row, (sentence, title) in enumerate(rows):
            doc_rows[sentence.doc_id].append(row)
            doc_terms[sentence.doc_id].update(term_lists[row])
            if sentence.index == 0 and title:
                doc_terms[sentence.doc_id].update(terms(title))
        return _Table(
            sentences=sentences,
            titles=[t for _, t in rows],
            row_of={s.sentence_id: i for i, s in enumerate(sentences)},
            term_sets=[frozenset(t) for t in term_lists],
            doc_terms={d: frozenset(t) for d, t in doc_terms.items()},
            title_terms={s.doc_id: frozenset(terms(t)) for s, t in rows if s.index == 0 and t},
            doc_rows=dict(doc_rows),
            bm25=BM25(term_lists),
        )

    def document_sentences(self, doc_id: str) -> list[Sentence]:
        table = self._load()
        return [table.sentences[r] for r in table.doc_rows.get(doc_id, [])]

    def sentence(self, doc_id: str, index: int) -> Sentence | None:
        """One sentence by position, without copying its document's list (large files)."""
        table = self._load()
        rows = table.doc_rows.get(doc_id, [])
        return table.sentences[rows[index]] if 0 <= index < len(rows) else None

    def document_terms(self, doc_id: str) -> frozenset[str]:
        return self._load().doc_terms.get(doc_id, frozenset())

    def context_terms(self, sentence: Sentence) -> frozenset[str]:
        """Terms of the sentence, its neighbours and its document's title."""
        return frozenset().union(*self._context_sets(self._load(), sentence))

    def _context_sets(self, table: _Table, sentence: Sentence) -> list[frozenset[str]]:
        """The term sets whose union is ``context_terms(sentence)``, without building the union:
        ranking only asks whether a few question terms are in it (a union per candidate per
        question was a tenth of retrieval time)."""
        rows = table.doc_rows.get(sentence.doc_id, [])
        lo, hi = max(0, sentence.index - CONTEXT_WINDOW), sentence.index + CONTEXT_WINDOW + 1
        title = table.title_terms.get(sentence.doc_id, frozenset())
        return [title, *(table.term_sets[r] for r in rows[lo:hi])]

    def retrieve(self, question: Question, k: int, query_text: str | None = None) -> list[ScoredSentence]:
        table = self._load()
        if not table.sentences:
            return []
        query_text = query_text or question.text
        query_terms = list(dict.fromkeys(terms(query_text))) or list(question.terms)
        vector = self._embedder.embed([query_text])[0]
        dense = dict(self._index.search(vector, self._candidates))
        lexical = dict(table.bm25.top(query_terms, self._candidates))
        rows = {table.row_of[i] for i in dense if i in table.row_of} | set(lexical)
        missing = [
            table.sentences[r].sentence_id for r in rows if table.sentences[r].sentence_id not in dense
        ]
        for sentence_id, other in self._index.vectors(missing).items():
            dense[sentence_id] = float(other @ vector)
        all_lexical = table.bm25.scores(query_terms) if rows - set(lexical) else None
        best_lexical = max(lexical.values(), default=0.0) or 1.0
        # The word naming the answer type ("which country") is not content to cover.
        type_term = normalize_term(question.type_word) if question.type_word else ""
        idf = {t: table.bm25.idf(t) for t in query_terms if t != type_term}
        total_idf = sum(idf.values()) or 1.0
        scored = []
        for row in rows:
            sentence = table.sentences[row]
            lex = lexical.get(row)
            if lex is None:
                lex = float(all_lexical[row]) if all_lexical is not None else 0.0
            in_sentence = table.term_sets[row]
            around = self._context_sets(table, sentence)
            coverage = (
                sum(
                    w
                    if t in in_sentence
                    else (CONTEXT_COVERAGE_SHARE * w if any(t in terms_ for terms_ in around) else 0.0)
                    for t, w in idf.items()
                )
                / total_idf
            )
            d = dense.get(sentence.sentence_id, 0.0)
            score = WEIGHT_DENSE * d + WEIGHT_LEXICAL * lex / best_lexical + WEIGHT_COVERAGE * coverage
            scored.append(
                ScoredSentence(
                    sentence=sentence,
                    title=table.titles[row],
                    score=score,
                    dense=d,
                    lexical=lex,
                    coverage=coverage,
                )
            )
        scored.sort(key=lambda s: (-s.score, s.sentence.doc_id, s.sentence.index))
        return scored[:k]
