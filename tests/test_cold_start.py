"""A new process does not rebuild the lexical index: it loads the snapshot kept beside the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, HEADLINE_QUESTION, open_bot

from assistant.lexical import LexicalIndex
from assistant.protocols import Embedder


def test_second_process_loads_the_snapshot(
    tmp_path: Path, shared_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After one bot has answered, another on the same store answers without rebuilding; a
    changed store (a new document) is noticed and the snapshot rebuilt."""
    data = tmp_path / "data"
    first = open_bot(data, shared_embedder)
    first.ingest(CORPUS)
    assert "Starmer" in (first.ask(HEADLINE_QUESTION).short or "")
    snapshot = data / "lexical-news.pickle"
    assert snapshot.is_file()

    def no_rebuild(self: LexicalIndex) -> None:
        raise AssertionError("the lexical index was rebuilt although the snapshot matches the store")

    with monkeypatch.context() as patched:
        patched.setattr(LexicalIndex, "_build", no_rebuild)
        second = open_bot(data, shared_embedder)
        assert "Starmer" in (second.ask(HEADLINE_QUESTION).short or "")

    extra = tmp_path / "extra.txt"
    extra.write_text("The lighthouse keeper counted 412 ships in one winter.", encoding="utf-8")
    second.ingest(extra)
    third = open_bot(data, shared_embedder)
    top = third.retrieve("How many ships did the lighthouse keeper count?")[0]
    assert "412 ships" in top.sentence.text


def test_a_broken_snapshot_is_rebuilt(tmp_path: Path, shared_embedder: Embedder) -> None:
    """A truncated or foreign snapshot file never fails a question: the index is rebuilt."""
    data = tmp_path / "data"
    bot = open_bot(data, shared_embedder)
    bot.ingest(CORPUS)
    (data / "lexical-news.pickle").write_bytes(b"not a pickle")
    again = open_bot(data, shared_embedder)
    assert "Starmer" in (again.ask(HEADLINE_QUESTION).short or "")
