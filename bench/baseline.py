"""The LangChain RAG tutorial pipeline, as a user writes it, on the same offline embedder.

RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True),
langchain_chroma.Chroma, top-4 ``similarity_search``. Only the embedder differs from the
tutorial: it is ours (bundled MiniLM), so both pipelines embed with the same model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document as LCDocument
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.langchain import as_langchain_embeddings
from assistant.protocols import Embedder
from assistant.types import Document

TOP_K = 4  # the tutorial's retriever default


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with where it sits in its document."""

    doc_id: str
    start: int
    end: int
    text: str


class TutorialRAG:
    def __init__(self, directory: Path, embedder: Embedder, collection: str = "tutorial") -> None:
        self.splitter = RecursiveCharacterTextSplitter(
            chunk_size=1000, chunk_overlap=200, add_start_index=True
        )
        self.store = Chroma(
            collection_name=collection,
            embedding_function=as_langchain_embeddings(embedder),
            persist_directory=str(directory),
            # Same as ours: no telemetry calls from an offline benchmark.
            client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True),
        )

    def count(self) -> int:
        return self.store._collection.count()

    def ingest(self, documents: Sequence[Document]) -> int:
        """Split and add, as the tutorial does; returns the number of chunks added."""
        docs = [LCDocument(page_content=d.text, metadata={"doc_id": d.doc_id}) for d in documents]
        splits = self.splitter.split_documents(docs)
        for begin in range(0, len(splits), 2000):  # Chroma caps one add at ~5k records
            self.store.add_documents(splits[begin : begin + 2000])
        return len(splits)

    def search(self, question: str, k: int = TOP_K) -> list[Passage]:
        return [
            Passage(
                d.metadata["doc_id"],
                d.metadata["start_index"],
                d.metadata["start_index"] + len(d.page_content),
                d.page_content,
            )
            for d in self.store.similarity_search(question, k=k)
        ]
