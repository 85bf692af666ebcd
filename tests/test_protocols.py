"""Conformance: every implementation of a swappable part keeps its Protocol's promises."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import HEADLINE_QUESTION, SEED_ID, test_settings

from assistant import Assistant
from assistant.backends import BACKENDS, make_answerer
from assistant.embeddings import CachedEmbedder, HashEmbedder, MiniLMEmbedder
from assistant.protocols import (
    Answerer,
    Condenser,
    CorpusView,
    Embedder,
    Retriever,
    StreamingAnswerer,
    VectorIndex,
)
from assistant.question import analyze
from assistant.types import Draft

TEXTS = ["Keir Starmer proposed 30,000 troops.", "", "Brussels prepares €6 billion in aid."]


def embedders(tmp_path: Path) -> list[Embedder]:
    return [MiniLMEmbedder(), CachedEmbedder(MiniLMEmbedder(), tmp_path / "cache.sqlite"), HashEmbedder()]


def test_embedders(tmp_path: Path) -> None:
    """One L2-normalised float32 row per text (the empty text too), of the declared dimension,
    the same vector for the same text."""
    for embedder in embedders(tmp_path):
        assert isinstance(embedder, Embedder), embedder
        vectors = embedder.embed(TEXTS)
        assert vectors.shape == (len(TEXTS), embedder.dimension) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
        assert np.allclose(embedder.embed(TEXTS[:1])[0], vectors[0], atol=1e-5)
        assert embedder.embed([]).shape[0] == 0


def test_index_retriever_and_corpus_view(seed_bot: Assistant) -> None:
    """The Chroma index holds exact texts and finds sentences by vector; the retriever ranks at
    most k sentences, best first; the corpus view gives a document's sentences in order."""
    index, retriever, corpus = seed_bot.index, seed_bot.retriever, seed_bot.lexical
    assert isinstance(index, VectorIndex)
    assert isinstance(retriever, Retriever) and isinstance(corpus, CorpusView)
    text = index.text(SEED_ID)
    sentences = [s for s, _ in index.sentences() if s.doc_id == SEED_ID]
    assert all(text[s.start : s.end] == s.text for s in sentences)
    vector = seed_bot.embedder.embed([sentences[3].text])[0]
    assert index.search(vector, 1)[0][0] == sentences[3].sentence_id
    ranked = retriever.retrieve(analyze(HEADLINE_QUESTION), 3)
    assert len(ranked) == 3 and [p.score for p in ranked] == sorted((p.score for p in ranked), reverse=True)
    in_order = corpus.document_sentences(SEED_ID)
    assert [s.index for s in in_order] == list(range(len(in_order)))


@pytest.mark.parametrize("name", list(BACKENDS))
def test_answerers(name: str, seed_bot: Assistant, tmp_path: Path) -> None:
    """Every backend builds an Answerer; the offline one answers with a Draft whose citations
    are retrieved sentences; the LLM one also streams and condenses."""
    settings = test_settings(tmp_path, backend=name, openai_base_url="http://127.0.0.1:9/v1")
    answerer = make_answerer(name, settings, seed_bot.embedder)
    assert isinstance(answerer, Answerer)
    if name == "openai":
        assert isinstance(answerer, StreamingAnswerer) and isinstance(answerer, Condenser)
        return
    question = analyze(HEADLINE_QUESTION)
    passages = seed_bot.retriever.retrieve(question, 10)
    draft = answerer.answer(question, passages, seed_bot.lexical)
    assert isinstance(draft, Draft) and not draft.refused and draft.citations
    retrieved = {(p.sentence.doc_id, p.sentence.start, p.sentence.end) for p in passages}
    assert all((c.doc_id, c.start, c.end) in retrieved for c in draft.citations)
    empty = answerer.answer(question, [], seed_bot.lexical)
    assert empty.refused and empty.citations == ()


def test_minilm_batches_hold_fewer_long_sentences() -> None:
    """Peak memory of a large ingest: a batch of long sentences holds fewer rows (attention
    grows with rows x width^2), every sentence is embedded once, and a sentence's vector does
    not depend on the batch it fell in."""
    embedder = MiniLMEmbedder()
    lengths = [10] * 40 + [250] * 12
    batches = list(embedder._batches(list(range(len(lengths))), lengths))
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(len(b) <= embedder.batch_size for b in batches)
    assert all(
        len(b) * max(lengths[i] for i in b) ** 2 <= embedder.batch_budget for b in batches if len(b) > 1
    )
    long_text = " ".join(["The committee reviewed the budget line by line and found errors."] * 20)
    together = embedder.embed([*TEXTS, long_text, long_text])
    assert np.allclose(together[-1], embedder.embed([long_text])[0], atol=1e-4)


def test_minilm_bulk_session_gives_the_question_sessions_vectors() -> None:
    """Ingest-sized calls run on a session with more threads; a sentence must get the same
    vector there as when a question embeds it alone, or stored and asked vectors drift."""
    embedder = MiniLMEmbedder(threads=1, bulk_threads=2)
    texts = [f"Sentence {n} about troops, ships and budgets in the year {1900 + n}." for n in range(80)]
    assert len(texts) >= embedder.bulk_texts
    bulk = embedder.embed(texts)
    assert embedder._bulk_session is not embedder._session
    alone = np.stack([embedder.embed([t])[0] for t in texts[:5]])
    np.testing.assert_allclose(bulk[:5], alone, atol=1e-5)
