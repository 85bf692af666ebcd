"""A file is known by where it came from: same-named files from different folders never replace each other."""

from __future__ import annotations

from pathlib import Path

from conftest import open_bot

from assistant import Document
from assistant.protocols import Embedder


def _notes(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "notes.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_same_name_in_two_folders_is_added_beside(tmp_path: Path, shared_embedder: Embedder) -> None:
    """`ingest a/notes.txt` then `ingest b/notes.txt` keeps both documents; re-ingesting either
    is 'unchanged', editing one 'updates' that one only."""
    bot = open_bot(tmp_path / "data", shared_embedder)
    a = _notes(tmp_path / "a", "Alpha notes say the bridge opened in 1932.")
    b = _notes(tmp_path / "b", "Beta notes say the tunnel opened in 1988.")
    assert bot.ingest(a).added == ("notes.txt",)
    second = bot.ingest(b)
    assert second.added == ("b/notes.txt",) and second.updated == ()
    texts = {d.doc_id: bot.document_text(d.doc_id) for d in bot.documents()}
    assert texts == {"notes.txt": a.read_text(), "b/notes.txt": b.read_text()}
    assert bot.ingest(a).unchanged == ("notes.txt",)
    assert bot.ingest(b).unchanged == ("b/notes.txt",)
    a.write_text("Alpha notes now say the bridge opened in 1933.", encoding="utf-8")
    edited = bot.ingest(a)
    assert edited.updated == ("notes.txt",) and edited.added == ()
    assert "1988" in bot.document_text("b/notes.txt")


def test_same_name_in_one_call(tmp_path: Path, shared_embedder: Embedder) -> None:
    """`ingest a/notes.txt b/notes.txt` keeps both and says so."""
    bot = open_bot(tmp_path / "data", shared_embedder)
    a = _notes(tmp_path / "a", "Alpha notes say the bridge opened in 1932.")
    b = _notes(tmp_path / "b", "Beta notes say the tunnel opened in 1988.")
    report = bot.ingest(a, b)
    assert sorted(report.added) == ["b/notes.txt", "notes.txt"]
    assert len(bot.documents()) == 2


def test_store_from_before_keeps_working(tmp_path: Path, shared_embedder: Embedder) -> None:
    """A document stored with a relative source (stores written before this change) is still
    the same file: re-ingesting it is 'unchanged', not a second copy."""
    bot = open_bot(tmp_path / "data", shared_embedder)
    a = _notes(tmp_path / "a", "Alpha notes say the bridge opened in 1932.")
    legacy = Document(
        "notes.txt", "Alpha notes say the bridge opened in 1932.", a.read_text(), source="a/notes.txt"
    )
    bot.ingest_documents([legacy])
    report = bot.ingest(a)
    assert report.unchanged == ("notes.txt",) and report.added == ()
    assert len(bot.documents()) == 1
