"""The swappable parts, one small Protocol each. Implementations live in the modules named.

- ``Embedder``          texts -> vectors             embeddings.py (bundled MiniLM, OpenAI, cache)
- ``VectorIndex``       documents, sentences, chunks and their vectors   store.py (Chroma)
- ``Retriever``         question -> ranked sentences                     retrieval.py (hybrid)
- ``CorpusView``        what an answerer may look up besides them        retrieval.py
- ``Answerer``          question + sentences -> a cited Draft            answer.py (reader), llm.py
- ``StreamingAnswerer`` the same, as text deltas then the Draft          llm.py
- ``Condenser``         follow-up -> standalone question                 llm.py

``tests/test_protocols.py`` runs every implementation through the same conformance checks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from .question import Question
from .types import Chunk, DocumentInfo, DocumentRecord, Draft, ScoredSentence, Sentence, Turn


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class VectorIndex(Protocol):
    """Where documents, sentences and chunks with their vectors are kept."""

    def put_sentences(self, sentences: Sequence[Sentence], vectors: np.ndarray) -> None:
        """Store sentence rows (a large document arrives in several calls); they are part of
        the corpus only once ``complete`` has stored their document."""
        ...

    def complete(self, records: Sequence[DocumentRecord]) -> None:
        """Store the chunks and document rows of documents whose sentences are all stored."""
        ...

    def remove(self, doc_id: str) -> None:
        """Remove a stored document; UnknownDocumentError if there is none."""
        ...

    def discard(self, doc_ids: Sequence[str]) -> None:
        """Remove these documents and any rows of theirs, complete or not; absent ones are fine."""
        ...

    def documents(self) -> list[DocumentInfo]: ...

    def revision(self) -> str:
        """A token that changes whenever documents are stored or removed, by any client ("" if
        unknown): a cheap way to tell that what was derived from the store is stale."""
        ...

    def content_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]: ...

    def text(self, doc_id: str) -> str: ...

    def sentences(self, doc_ids: Sequence[str] | None = None) -> list[tuple[Sentence, str]]:
        """Every sentence of complete documents (of ``doc_ids`` only, if given), with its title."""
        ...

    def chunks(self, doc_id: str) -> list[Chunk]: ...

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]: ...

    def warm(self) -> None:
        """Load what the first search needs, so that it can happen beside other start-up work."""
        ...

    def vectors(self, sentence_ids: Sequence[str]) -> dict[str, np.ndarray]: ...


@runtime_checkable
class Retriever(Protocol):
    def retrieve(self, question: Question, k: int, query_text: str | None = None) -> list[ScoredSentence]: ...


@runtime_checkable
class CorpusView(Protocol):
    """What an answerer may look up besides the retrieved sentences."""

    def document_sentences(self, doc_id: str) -> list[Sentence]: ...

    def sentence(self, doc_id: str, index: int) -> Sentence | None: ...

    def context_terms(self, sentence: Sentence) -> frozenset[str]: ...

    def document_terms(self, doc_id: str) -> frozenset[str]: ...

    def document_titles(self) -> dict[str, str]:
        """Every document's id and title ('' when it has none): which article a question names."""
        ...


@runtime_checkable
class Answerer(Protocol):
    name: str

    def answer(self, question: Question, passages: Sequence[ScoredSentence], corpus: CorpusView) -> Draft: ...


@runtime_checkable
class StreamingAnswerer(Protocol):
    """An answerer that can stream: text deltas, then exactly one final Draft."""

    name: str

    def stream(
        self, question: Question, passages: Sequence[ScoredSentence], corpus: CorpusView
    ) -> Iterator[str | Draft]: ...


@runtime_checkable
class Condenser(Protocol):
    """Rewrites a follow-up into a standalone question (an LLM); raises AssistantError on failure."""

    def condense(self, question: str, history: Sequence[Turn]) -> str: ...
