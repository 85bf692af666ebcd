"""Removing a document gives its disk space back (issue 26: after removing a 5 MB file the data
dir stayed at 253 MB): its cached vectors, its lexical-snapshot rows and, once enough of the file
is free, its rows in Chroma's SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import CORPUS, SEED_ID, test_settings

from assistant import Assistant


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _big_document(folder: Path, sentences: int) -> Path:
    path = folder / "gauges.txt"
    path.write_text(
        "River gauges\n\n"
        + " ".join(
            f"Gauge {i} on the {('north', 'south', 'east', 'west')[i % 4]} bank shows that the river "
            f"rose by {i % 97} centimetres overnight after {i % 13} hours of rain."
            for i in range(sentences)
        ),
        encoding="utf-8",
    )
    return path


def test_removing_a_large_document_shrinks_the_data_dir(tmp_path: Path) -> None:
    """After ingesting a large document and removing it, the data dir is back near its size
    before the ingest: the embedding cache, the lexical snapshot and chroma.sqlite3 each shrink
    (the HNSW files of Chroma do not; see the README), and the remaining document still answers."""
    data_dir = tmp_path / "data"
    # The hash embedder: this is about files on disk, not meaning, and it needs no model.
    bot = Assistant.open(settings=test_settings(data_dir, embedder="hash:64"))
    try:
        bot.ingest(CORPUS)
        before = _size(data_dir)
        big = _big_document(tmp_path, 6000)
        assert bot.ingest(big).added == ("gauges.txt",)
        grown = _size(data_dir)
        files = {
            "cache": data_dir / "embedding-cache.sqlite",
            "snapshot": data_dir / "lexical-news.pickle",
            "chroma": data_dir / "chroma" / "chroma.sqlite3",
        }
        sizes = {name: path.stat().st_size for name, path in files.items()}

        bot.remove("gauges.txt")

        after = _size(data_dir)
        shrunk = {name: path.stat().st_size for name, path in files.items()}
        for name in files:
            assert shrunk[name] < sizes[name] / 2, f"{name}: {sizes[name]:,} -> {shrunk[name]:,} bytes"
        assert after - before < (grown - before) / 2, f"{before:,} -> {grown:,} -> {after:,} bytes"
        assert [d.doc_id for d in bot.documents()] == [SEED_ID]
        assert not bot.ask("Who proposed 30,000 troops?").refused
    finally:
        bot.close()
    with sqlite3.connect(files["cache"]) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with sqlite3.connect(files["chroma"]) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
