"""Group a document's sentences into token-budgeted chunks of whole sentences."""

from __future__ import annotations

from .tokens import count_tokens_batch
from .types import Chunk, Sentence


def make_chunks(
    text: str,
    doc_id: str,
    sentences: list[Sentence],
    max_tokens: int,
    overlap_tokens: int,
) -> list[Chunk]:
    """Chunks never cut a sentence; a sentence longer than the budget is a chunk alone.

    Each new chunk starts with as many trailing sentences of the previous chunk as fit
    in ``overlap_tokens``, so an answer that spans a chunk border is whole in one chunk.
    """
    if not sentences:
        return []
    sizes = count_tokens_batch([s.text for s in sentences])
    chunks: list[Chunk] = []
    first = 0
    while first < len(sentences):
        last, used = first, sizes[first]
        while last + 1 < len(sentences) and used + sizes[last + 1] <= max_tokens:
            last += 1
            used += sizes[last]
        start, end = sentences[first].start, sentences[last].end
        chunks.append(
            Chunk(
                doc_id=doc_id,
                index=len(chunks),
                start=start,
                end=end,
                text=text[start:end],
                first_sentence=first,
                last_sentence=last,
                n_tokens=used,
            )
        )
        if last + 1 >= len(sentences):
            break
        next_first, overlap = last + 1, 0
        while next_first - 1 > first and overlap + sizes[next_first - 1] <= overlap_tokens:
            next_first -= 1
            overlap += sizes[next_first]
        first = next_first
    return chunks
