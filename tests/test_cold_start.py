"""A new process does not rebuild the lexical index: it loads the snapshot kept beside the
store, and after a change reads back only the documents that changed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import CORPUS, HEADLINE_QUESTION, SEED_ID, open_bot

from assistant.protocols import Embedder
from assistant.store import ChromaIndex


def _record_reads(monkeypatch: pytest.MonkeyPatch) -> list[Sequence[str] | None]:
    """Which documents' sentences are read back from the store (None: all of them)."""
    reads: list[Sequence[str] | None] = []
    real = ChromaIndex.sentences

    def recorded(self: ChromaIndex, doc_ids: Sequence[str] | None = None) -> list:
        reads.append(None if doc_ids is None else list(doc_ids))
        return real(self, doc_ids)

    monkeypatch.setattr(ChromaIndex, "sentences", recorded)
    return reads


def test_second_process_loads_the_snapshot(
    tmp_path: Path, shared_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot is written when ingest returns; another bot on the same store answers
    without reading a sentence back from the store; after a new document only that document
    is read, and it is found."""
    data = tmp_path / "data"
    first = open_bot(data, shared_embedder)
    first.ingest(CORPUS)
    assert (data / "lexical-news.pickle").is_file()
    reads = _record_reads(monkeypatch)

    second = open_bot(data, shared_embedder)
    assert "Starmer" in (second.ask(HEADLINE_QUESTION).short or "")
    assert reads == [], "the lexical index was rebuilt although the snapshot matches the store"

    extra = tmp_path / "extra.txt"
    extra.write_text("The lighthouse keeper counted 412 ships in one winter.", encoding="utf-8")
    second.ingest(extra)
    assert reads == [["extra.txt"]]
    third = open_bot(data, shared_embedder)
    top = third.retrieve("How many ships did the lighthouse keeper count?")[0]
    assert "412 ships" in top.sentence.text
    assert "Starmer" in (third.ask(HEADLINE_QUESTION).short or "")
    assert reads == [["extra.txt"]]

    third.remove("extra.txt")
    fourth = open_bot(data, shared_embedder)
    assert all(p.sentence.doc_id == SEED_ID for p in fourth.retrieve("How many ships did the keeper count?"))
    assert reads == [["extra.txt"]], "a removal needs no sentence read back"


def test_a_broken_snapshot_is_rebuilt(tmp_path: Path, shared_embedder: Embedder) -> None:
    """A truncated or foreign snapshot file never fails a question: the index is rebuilt."""
    data = tmp_path / "data"
    bot = open_bot(data, shared_embedder)
    bot.ingest(CORPUS)
    (data / "lexical-news.pickle").write_bytes(b"not a pickle")
    again = open_bot(data, shared_embedder)
    assert "Starmer" in (again.ask(HEADLINE_QUESTION).short or "")


def test_a_running_bot_sees_documents_another_process_added(
    tmp_path: Path, shared_embedder: Embedder
) -> None:
    """A long-running process (the web UI) finds a document that another process (the CLI)
    ingested into the same store after the UI had answered, without a restart."""
    data = tmp_path / "data"
    ui = open_bot(data, shared_embedder)
    ui.ingest(CORPUS)
    assert "Starmer" in (ui.ask(HEADLINE_QUESTION).short or "")
    cli = open_bot(data, shared_embedder)
    extra = tmp_path / "extra.txt"
    extra.write_text("The lighthouse keeper counted 412 ships in one winter.", encoding="utf-8")
    cli.ingest(extra)
    top = ui.retrieve("How many ships did the lighthouse keeper count?")[0]
    assert "412 ships" in top.sentence.text
    cli.remove("extra.txt")
    assert all(p.sentence.doc_id == SEED_ID for p in ui.retrieve("How many ships did the keeper count?"))
