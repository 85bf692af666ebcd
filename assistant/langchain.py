"""LangChain adapters, so our parts plug into LangChain pipelines and theirs into ours.

- ``as_langchain_embeddings(embedder)``: our (cached, offline) embedder as LangChain
  ``Embeddings``, usable by any LangChain vector store (``langchain_chroma.Chroma`` ...).
- ``AssistantRetriever``: our hybrid, sentence-level retrieval as a LangChain
  ``BaseRetriever`` (a Runnable): each LangChain ``Document`` is one sentence with its
  exact ``doc_id``/``start``/``end`` in ``metadata``.
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .core import Assistant
from .protocols import Embedder


class _EmbedderAdapter(Embeddings):
    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0].tolist()


def as_langchain_embeddings(embedder: Embedder) -> Embeddings:
    return _EmbedderAdapter(embedder)


class AssistantRetriever(BaseRetriever):
    """``AssistantRetriever(assistant=bot, k=5).invoke("Who proposed 30,000 troops?")``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    assistant: Assistant
    k: int = 5

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        return [
            LCDocument(
                page_content=p.sentence.text,
                id=p.sentence.sentence_id,
                metadata={
                    "doc_id": p.sentence.doc_id,
                    "title": p.title,
                    "start": p.sentence.start,
                    "end": p.sentence.end,
                    "score": p.score,
                },
            )
            for p in self.assistant.retrieve(query, self.k)
        ]
