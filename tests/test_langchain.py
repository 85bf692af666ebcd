"""The LangChain adapters: our retriever as a Runnable, our embedder inside a LangChain Chroma store."""

from __future__ import annotations

import chromadb
from langchain_chroma import Chroma

from assistant.langchain import AssistantRetriever, as_langchain_embeddings


def test_retriever_is_a_runnable_with_exact_spans(seed_bot):
    """LangChain users get our sentence-level ranking with offsets they can check."""
    docs = AssistantRetriever(assistant=seed_bot, k=3).invoke("Who proposed 30,000 troops?")
    assert len(docs) == 3
    first = docs[0]
    assert first.page_content.startswith("Starmer is slated to travel to Washington")
    text = seed_bot.document_text(first.metadata["doc_id"])
    assert text[first.metadata["start"] : first.metadata["end"]] == first.page_content


def test_embedder_plugs_into_langchain_chroma(seed_bot, tmp_path):
    """Our offline embedder works as the embedding function of a LangChain vector store."""
    client = chromadb.PersistentClient(path=str(tmp_path / "lc"))
    store = Chroma(
        collection_name="plug-in",
        embedding_function=as_langchain_embeddings(seed_bot.embedder),
        client=client,
    )
    store.add_texts(["Starmer will propose 30,000 troops.", "Brussels prepares €6 billion in aid."])
    best = store.similarity_search("How much aid is Brussels preparing?", k=1)[0]
    assert "Brussels" in best.page_content
