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

from .lexical import LexicalIndex
from .nlp import normalize_term, terms
from .protocols import Embedder, VectorIndex
from .question import Question
from .types import ScoredSentence

WEIGHT_DENSE = 0.40
WEIGHT_LEXICAL = 0.20
WEIGHT_COVERAGE = 0.40
CONTEXT_COVERAGE_SHARE = 0.35  # of coverage credited for terms found only in nearby sentences


class HybridRetriever:
    def __init__(
        self, index: VectorIndex, embedder: Embedder, lexical: LexicalIndex, candidates: int
    ) -> None:
        self._index = index
        self._embedder = embedder
        self._lexical = lexical
        self._candidates = candidates

    def retrieve(self, question: Question, k: int, query_text: str | None = None) -> list[ScoredSentence]:
        table = self._lexical.table()
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
