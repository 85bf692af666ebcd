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

import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Protocol

from .embeddings import Embedder
from .lexical import BM25
from .nlp import normalize_term, terms
from .question import Question
from .store import VectorIndex
from .types import ScoredSentence, Sentence

WEIGHT_DENSE = 0.40
WEIGHT_LEXICAL = 0.20
WEIGHT_COVERAGE = 0.40
CONTEXT_COVERAGE_SHARE = 0.35  # of coverage credited for terms found only in nearby sentences
CONTEXT_WINDOW = 2  # sentences either side, plus the title, that a sentence "knows"


class Retriever(Protocol):
    def retrieve(self, question: Question, k: int, query_text: str | None = None) -> list[ScoredSentence]: ...


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
    def __init__(self, index: VectorIndex, embedder: Embedder, candidates: int) -> None:
        self._index = index
        self._embedder = embedder
        self._candidates = candidates
        self._lock = threading.Lock()
        self._table: _Table | None = None

    def invalidate(self) -> None:
        """Call after the store changed; the lexical index is rebuilt on next use."""
        with self._lock:
            self._table = None

    def _load(self) -> _Table:
        with self._lock:
            if self._table is None:
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
                self._table = _Table(
                    sentences=sentences,
                    titles=[t for _, t in rows],
                    row_of={s.sentence_id: i for i, s in enumerate(sentences)},
                    term_sets=[frozenset(t) for t in term_lists],
                    doc_terms={d: frozenset(t) for d, t in doc_terms.items()},
                    title_terms={s.doc_id: frozenset(terms(t)) for s, t in rows if s.index == 0 and t},
                    doc_rows=dict(doc_rows),
                    bm25=BM25(term_lists),
                )
            return self._table

    def document_sentences(self, doc_id: str) -> list[Sentence]:
        table = self._load()
        return [table.sentences[r] for r in table.doc_rows.get(doc_id, [])]

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
