"""A process ends cleanly: no background work outlives the Assistant that started it (issue 26).

`assistant ask --collection nothing ...` on a data dir whose other collection is filled
exited 139 (a segmentation fault) after printing its answer: on an empty collection the
retriever returned at once, leaving its dense job (embedding the question, searching Chroma)
running on a worker thread, and `Assistant.close` then closed the embedding cache's SQLite
connection under it.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import CORPUS, HEADLINE_QUESTION, cli_command, cli_env, open_bot

from assistant.embeddings import CachedEmbedder, Embedder

RUNS = 10


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose default collection holds corpus/ (ingested by a real `assistant ingest`)."""
    data_dir = tmp_path_factory.mktemp("filled")
    done = subprocess.run(
        cli_command("ingest", str(CORPUS)), env=cli_env(data_dir), capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    return data_dir


def test_ask_on_an_empty_collection_beside_a_filled_one_exits_cleanly_every_time(filled_store: Path) -> None:
    """`assistant ask --collection <empty>` in fresh processes, beside a filled collection: every
    run exits 0 with its refusal (it segfaulted after the answer in about 1 run in 3)."""
    env = cli_env(filled_store) | {"PYTHONFAULTHANDLER": "1"}
    failures = []
    for run in range(RUNS):
        done = subprocess.run(
            cli_command("ask", "--collection", f"nothing{os.getpid()}", HEADLINE_QUESTION),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0 or "don't say" not in done.stdout:
            failures.append(f"run {run}: exit {done.returncode}\n{done.stdout}\n{done.stderr[-1500:]}")
    assert not failures, f"{len(failures)} of {RUNS} runs failed:\n" + "\n".join(failures)


def test_close_waits_for_background_retrieval(tmp_path: Path, shared_embedder: Embedder) -> None:
    """After `Assistant.close()` returns, no dense-retrieval worker is alive: what it was doing
    with the embedder and the store has ended before they are closed."""
    assert isinstance(shared_embedder, CachedEmbedder)
    # Its own cache, so closing this Assistant leaves the session's shared embedder open.
    embedder = CachedEmbedder(shared_embedder.inner, tmp_path / "cache.sqlite")
    before = {t.ident for t in threading.enumerate()}
    bot = open_bot(tmp_path / "store", embedder, collection="empty")
    answer = bot.ask(HEADLINE_QUESTION)
    assert answer.refused
    bot.close()
    alive = [
        t.name
        for t in threading.enumerate()
        if t.ident not in before and t.name.startswith("dense-retrieval") and t.is_alive()
    ]
    assert not alive, f"still running after close(): {alive}"
