"""Shared fixtures: the seed corpus in a real embedded Chroma store, with the real MiniLM embedder.

Opening the embedder and ingesting the corpus costs seconds, so the read-only ``seed_bot``
is built once per session; tests that write to a store get their own ``fresh_bot``
(a new Chroma directory) that shares the already-loaded embedder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant import Answer, Assistant, Settings
from assistant.embeddings import CachedEmbedder, Embedder, make_embedder
from assistant.store import ChromaIndex, make_client

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"
SEED_ID = "000_e9579f8486474fbb.txt"
SEED_FILE = CORPUS / SEED_ID
HEADLINE_QUESTION = "Who proposed 30,000 troops?"
STARMER_SENTENCE = (
    "Starmer is slated to travel to Washington next week, where The Telegraph reports he plans to "
    "propose a deployment of 30,000 European troops to Ukraine, seeking American assurances for "
    "their protection."
)


def test_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings that ignore the caller's ASSISTANT_* environment."""
    return Settings.from_env(env={}, data_dir=data_dir, **overrides)


test_settings.__test__ = False  # type: ignore[attr-defined]  # not a test, despite the name


def cli_env(data_dir: Path) -> dict[str, str]:
    """Environment for a CLI subprocess: a private store, no inherited ASSISTANT_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "assistant.cli", *args]


def run_cli(
    data_dir: Path, *args: str, timeout: float = 180, embedder: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`assistant ARGS` as a real subprocess on a private store; ``embedder="hash:64"`` when
    the test is about files and bars, not meaning, and should not wait for the model."""
    env = cli_env(data_dir) | ({"ASSISTANT_EMBEDDER": embedder} if embedder else {})
    return subprocess.run(cli_command(*args), env=env, capture_output=True, text=True, timeout=timeout)


def _assert_citations_exact(bot: Assistant, answer: Answer) -> None:
    """Every citation is a verbatim slice of its stored document, markers numbered 1..n."""
    for number, c in enumerate(answer.citations, start=1):
        assert c.marker == number, f"citation markers out of order: {answer.citations}"
        document = bot.document_text(c.doc_id)
        assert 0 <= c.start < c.end <= len(document), f"citation span out of range: {c}"
        assert document[c.start : c.end] == c.text, (
            f"citation [{c.marker}] is not verbatim: document[{c.start}:{c.end}]="
            f"{document[c.start : c.end]!r} but citation text={c.text!r}"
        )
    if answer.refused:
        assert not answer.citations, f"a refusal carries citations: {answer.citations}"


@pytest.fixture(scope="session")
def assert_citations_exact() -> Callable[[Assistant, Answer], None]:
    """``assert_citations_exact(bot, answer)``: check every citation against the stored text."""
    return _assert_citations_exact


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """corpus/ ingested into a real on-disk Chroma store. Read-only: do not ingest or remove."""
    bot = Assistant.open(settings=test_settings(tmp_path_factory.mktemp("seed-store")))
    report = bot.ingest(CORPUS)
    assert report.added == (SEED_ID,), report
    yield bot
    bot.close()


@pytest.fixture(scope="session")
def shared_embedder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedder]:
    """The real MiniLM embedder, loaded once, with a session-wide vector cache."""
    embedder = make_embedder(test_settings(tmp_path_factory.mktemp("embedder")))
    yield embedder
    if isinstance(embedder, CachedEmbedder):
        embedder.close()


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as a wheel, as `pip install .` would (build isolation included)."""
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = out.glob("assistant-*.whl")
    return wheel


def open_bot(data_dir: Path, embedder: Embedder, **overrides: object) -> Assistant:
    """An Assistant on a new embedded Chroma store in ``data_dir``, reusing a loaded embedder."""
    settings = test_settings(data_dir, **overrides)
    index = ChromaIndex(make_client(settings), settings.collection, embedder.name)
    return Assistant(settings, index, embedder)


def bot_of_files(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, files: dict[str, str]
) -> Assistant:
    """``files`` (name -> text) written to a folder and uploaded into a new real store, every
    one of them added."""
    folder = tmp_path_factory.mktemp("files")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    bot = open_bot(tmp_path_factory.mktemp("store"), embedder)
    report = bot.ingest(sorted(folder.iterdir()))
    assert sorted(report.added) == sorted(files), report
    return bot


@pytest.fixture
def fresh_bot(tmp_path: Path, shared_embedder: Embedder) -> Assistant:
    """An empty store of its own (real Chroma on disk, real embedder) for tests that write."""
    return open_bot(tmp_path / "store", shared_embedder)
