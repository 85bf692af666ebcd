"""A new process does not rebuild the lexical index: it loads the snapshot kept beside the
store, and after a change reads back only the documents that changed."""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, HEADLINE_QUESTION, SEED_ID, open_bot

from assistant.lexical import best_rows
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


def test_a_loaded_snapshot_holds_what_the_built_table_held(seed_bot) -> None:
    """The snapshot keeps columns and derives sentences, term sets and document terms on
    demand: after a pickle round trip each of them equals what the freshly built table gave."""
    built = seed_bot.lexical.table()
    loaded = pickle.loads(pickle.dumps(built))
    assert len(loaded) == len(built) > 10
    for row in (0, 1, len(built) // 2, len(built) - 1):
        sentence = built.sentence(row)
        assert loaded.sentence(row) == sentence
        assert loaded.row(sentence.sentence_id) == row
        assert loaded.term_set(row) == frozenset(built.term_lists[row])
        assert loaded.context_sets(sentence) == built.context_sets(sentence)
    assert loaded.document_terms(SEED_ID) == built.document_terms(SEED_ID) >= loaded.term_set(0)
    assert loaded.row(f"{SEED_ID}::s{len(built)}") is None and loaded.row("elsewhere::s0") is None
    question = ["starmer", "troop"]
    assert loaded.bm25.scores(question).tolist() == built.bm25.scores(question).tolist()
    assert best_rows(loaded.bm25.scores(question), 5)


def test_bm25_candidates_are_the_best_rows_that_match_at_all() -> None:
    """Retrieval takes its lexical candidates from the one BM25 pass it also reads each
    candidate's score from: best first, never a row sharing no term, fewer when few match."""
    scores = np.array([0.0, 2.5, 0.7, 0.0, 3.1], dtype=np.float32)
    assert best_rows(scores, 2) == [(4, pytest.approx(3.1)), (1, 2.5)]
    assert [row for row, _ in best_rows(scores, 10)] == [4, 1, 2]
    assert best_rows(np.zeros(3, dtype=np.float32), 2) == []
    assert best_rows(np.zeros(0, dtype=np.float32), 2) == []


def test_warming_the_vector_index_is_harmless_empty_or_full(fresh_bot, seed_bot) -> None:
    """The first question warms the vector index beside loading the embedder; on an empty
    store there is nothing to load and nothing may fail."""
    fresh_bot.index.warm()
    seed_bot.index.warm()
    assert fresh_bot.retrieve(HEADLINE_QUESTION) == []
    assert "Starmer" in (seed_bot.ask(HEADLINE_QUESTION).short or "")
