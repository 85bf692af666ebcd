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

from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np

from .lexical import LexicalIndex, best_rows
from .nlp import normalize_term, terms
from .protocols import Embedder, VectorIndex
from .question import Question
from .types import ScoredSentence

# Weights of the three signals (they sum to 1), fitted by `python -m training.retrieval` on the
# 26 squad2_dev articles the reader trains on: the answer's sentence is among the 4 the reader
# reads for 0.903 of their questions (0.888 at the hand-set 0.40 / 0.20 / 0.40 of the first
# version), 0.919 on the held-out test articles (0.907). BM25 still proposes candidates;
# ranked beside coverage it added nothing.
WEIGHT_DENSE = 0.55
WEIGHT_LEXICAL = 0.0
WEIGHT_COVERAGE = 0.45
# Share of coverage credited for terms found only in nearby sentences (hand-set, not fitted).
CONTEXT_COVERAGE_SHARE = 0.35


class HybridRetriever:
    def __init__(
        self, index: VectorIndex, embedder: Embedder, lexical: LexicalIndex, candidates: int
    ) -> None:
        self._index = index
        self._embedder = embedder
        self._lexical = lexical
        self._candidates = candidates
        # The dense side (onnxruntime, Chroma's Rust core) releases the GIL, so it runs beside
        # the lexical side: in a new process that overlaps loading the embedder and the
        # vector index with loading the lexical snapshot (0.3 s of a 2.5 s cold start).
        self._dense_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dense-retrieval")
        self._index_warmed = False

    def retrieve(self, question: Question, k: int, query_text: str | None = None) -> list[ScoredSentence]:
        query_text = query_text or question.text
        if not self._index_warmed:  # the vector index loads while the embedder loads
            self._index_warmed = True
            self._dense_pool.submit(self._index.warm)
        dense_side = self._dense_pool.submit(self._dense, query_text)
        table = self._lexical.table()
        if not len(table):
            # Nothing to rank, but a dense job that already started cannot be cancelled: wait for
            # it, so that no work on the embedder or Chroma outlives this call (one left running
            # while the caller closed the embedder's cache crashed the process, issue 26).
            if not dense_side.cancel():
                wait([dense_side])
            return []
        query_terms = list(dict.fromkeys(terms(query_text))) or list(question.terms)
        all_lexical = table.bm25.scores(query_terms)
        lexical = dict(best_rows(all_lexical, self._candidates))
        # The lexical candidates' vectors load while the question is embedded: the dense
        # side's answer decides which of them it already scored, but waiting for it to ask
        # only for those put the fetch on every question's critical path.
        lexical_vectors = self._index.vectors([table.sentence(r).sentence_id for r in lexical])
        vector, dense = dense_side.result()
        for sentence_id, other in lexical_vectors.items():
            dense.setdefault(sentence_id, float(other @ vector))
        rows = {r for r in map(table.row, dense) if r is not None} | set(lexical)
        sentences = {r: table.sentence(r) for r in rows}
        best_lexical = max(lexical.values(), default=0.0) or 1.0
        # The word naming the answer type ("which country") is not content to cover.
        type_term = normalize_term(question.type_word) if question.type_word else ""
        idf = {t: table.bm25.idf(t) for t in query_terms if t != type_term}
        total_idf = sum(idf.values()) or 1.0
        scored = []
        for row in rows:
            sentence = sentences[row]
            lex = float(all_lexical[row])
            in_sentence = table.term_set(row)
            around = table.context_sets(sentence)
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

    def close(self) -> None:
        """Stop the dense workers and wait for a running job (the index warm-up or a question's
        embedding and search) to end: the caller closes the embedder and the store next, and a
        job still inside them then crashes the process (a segmentation fault, issue 26)."""
        self._dense_pool.shutdown(wait=True, cancel_futures=True)

    def _dense(self, query_text: str) -> tuple[np.ndarray, dict[str, float]]:
        vector = self._embedder.embed([query_text])[0]
        return vector, dict(self._index.search(vector, self._candidates))
