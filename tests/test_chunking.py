"""Chunking: whole sentences within a token budget, overlapping by trailing sentences, exact offsets."""

from __future__ import annotations

import itertools

import pytest
from conftest import SEED_ID

from assistant.chunking import make_chunks
from assistant.segment import split_sentences
from assistant.tokens import count_tokens, count_tokens_batch
from assistant.types import Chunk, Sentence


def as_sentences(text: str, doc_id: str = "doc") -> list[Sentence]:
    return [Sentence(doc_id, i, s, e, text[s:e]) for i, (s, e) in enumerate(split_sentences(text))]


def check_chunks(text: str, sentences: list[Sentence], chunks: list[Chunk], budget: int) -> None:
    assert chunks, "no chunks"
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert chunks[0].first_sentence == 0
    assert chunks[-1].last_sentence == len(sentences) - 1
    for chunk in chunks:
        first, last = sentences[chunk.first_sentence], sentences[chunk.last_sentence]
        assert chunk.start == first.start and chunk.end == last.end, "chunk does not begin/end on a sentence"
        assert text[chunk.start : chunk.end] == chunk.text
        sizes = count_tokens_batch(
            [s.text for s in sentences[chunk.first_sentence : chunk.last_sentence + 1]]
        )
        assert chunk.n_tokens == sum(sizes)
        if chunk.first_sentence != chunk.last_sentence:
            assert chunk.n_tokens <= budget, f"chunk {chunk.index} has {chunk.n_tokens} > {budget} tokens"
    for before, after in itertools.pairwise(chunks):
        assert after.first_sentence > before.first_sentence, "no progress"
        assert after.first_sentence <= before.last_sentence + 1, "a sentence fell between chunks"


def test_count_tokens_offline() -> None:
    """Token counting works without a network (the offline cl100k ranks) and batch agrees with single."""
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2
    texts = ["Starmer is slated to travel to Washington.", "€6 billion", "1.5 million artillery rounds"]
    assert count_tokens_batch(texts) == [count_tokens(t) for t in texts]
    assert all(n > 0 for n in count_tokens_batch(texts))


def test_seed_article_chunks(seed_text: str) -> None:
    """The seed article's chunks are whole sentences within the 200-token budget, offsets exact."""
    sentences = as_sentences(seed_text, SEED_ID)
    chunks = make_chunks(seed_text, SEED_ID, sentences, 200, 40)
    check_chunks(seed_text, sentences, chunks, 200)
    assert len(chunks) >= 2
    assert all(c.doc_id == SEED_ID and c.chunk_id == f"{SEED_ID}::c{c.index}" for c in chunks)


@pytest.mark.parametrize(("budget", "overlap"), [(30, 0), (40, 15), (60, 25), (120, 60), (1000, 100)])
def test_budget_and_overlap_variants(seed_text: str, budget: int, overlap: int) -> None:
    """Any budget/overlap gives whole-sentence chunks that cover the document in order."""
    sentences = as_sentences(seed_text)
    chunks = make_chunks(seed_text, "doc", sentences, budget, overlap)
    check_chunks(seed_text, sentences, chunks, budget)
    if overlap == 0:
        for before, after in itertools.pairwise(chunks):
            assert after.first_sentence == before.last_sentence + 1


def test_overlap_repeats_trailing_sentences() -> None:
    """The next chunk starts with the previous chunk's trailing sentences that fit in the overlap budget."""
    text = " ".join(
        f"Sentence number {word} is here." for word in ["one", "two", "three", "four", "five", "six", "seven"]
    )
    sentences = as_sentences(text)
    size = count_tokens(sentences[0].text)
    assert all(count_tokens(s.text) == size for s in sentences)
    chunks = make_chunks(text, "doc", sentences, max_tokens=3 * size, overlap_tokens=size)
    check_chunks(text, sentences, chunks, 3 * size)
    assert [(c.first_sentence, c.last_sentence) for c in chunks] == [(0, 2), (2, 4), (4, 6)]
    assert chunks[1].text.startswith(sentences[2].text)


def test_overlong_sentence_is_a_chunk_alone() -> None:
    """A sentence longer than the budget becomes a chunk of its own instead of being cut."""
    long = "The minister listed " + ", ".join(f"item {i}" for i in range(80)) + "."
    text = f"Short opener here. {long} Short closer here."
    sentences = as_sentences(text)
    assert len(sentences) == 3
    chunks = make_chunks(text, "doc", sentences, max_tokens=30, overlap_tokens=10)
    check_chunks(text, sentences, chunks, 30)
    alone = [c for c in chunks if c.text == long]
    assert len(alone) == 1 and alone[0].n_tokens > 30
    assert alone[0].first_sentence == alone[0].last_sentence == 1


def test_no_sentences_no_chunks() -> None:
    """A document without sentences has no chunks."""
    assert make_chunks("", "doc", [], 200, 40) == []


def test_stored_chunks_match_document(seed_bot) -> None:
    """Chunks read back from the store are exact slices of the stored document text."""
    text = seed_bot.document_text(SEED_ID)
    chunks = seed_bot.chunks(SEED_ID)
    sentences = as_sentences(text, SEED_ID)
    check_chunks(text, sentences, chunks, seed_bot.settings.chunk_tokens)
    info = {d.doc_id: d for d in seed_bot.documents()}[SEED_ID]
    assert info.n_chunks == len(chunks)
