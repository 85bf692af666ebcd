"""The assistant against a real Chroma server process (store = "server") on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from conftest import CORPUS, HEADLINE_QUESTION, SEED_ID, STARMER_SENTENCE, cli_command, cli_env

from assistant import Assistant, BackendError, Settings
from assistant.errors import AssistantError

pytestmark = pytest.mark.server

CHROMA = Path(sys.executable).parent / "chroma"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(port: int, process: subprocess.Popen, log: Path) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    deadline = time.monotonic() + START_TIMEOUT
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chroma exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            client = chromadb.HttpClient(
                host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)
            )
            client.heartbeat()
            return
        except Exception as exc:  # not up yet
            last = exc
            time.sleep(0.2)  # polling interval, bounded by the deadline
    raise RuntimeError(
        f"chroma did not answer on port {port} in {START_TIMEOUT}s ({last}):\n{log.read_text()}"
    )


def stop(process: subprocess.Popen) -> None:
    """Terminate the server's whole process group; kill it if it does not exit in time."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def chroma_server(path: Path) -> Iterator[tuple[int, subprocess.Popen]]:
    if not CHROMA.exists():
        pytest.skip(f"no chroma executable at {CHROMA}")
    port = free_port()
    path.mkdir(parents=True, exist_ok=True)
    log = path.parent / f"chroma-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(CHROMA), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        wait_until_up(port, process, log)
        yield port, process
    finally:
        stop(process)


def server_settings(port: int, data_dir: Path) -> Settings:
    return Settings.from_env(
        env={}, store="server", chroma_host="127.0.0.1", chroma_port=port, data_dir=data_dir
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "db") as (port, _process):
        yield port


@pytest.fixture(scope="module")
def server_bot(server: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    bot = Assistant.open(settings=server_settings(server, tmp_path_factory.mktemp("server-client")))
    yield bot
    bot.close()


def test_server_store_answers_headline(server_bot: Assistant, assert_citations_exact) -> None:
    """With a Chroma server as the store, corpus/ ingests and the headline question is answered and cited."""
    report = server_bot.ingest(CORPUS)
    assert report.added == (SEED_ID,) and report.n_sentences == 17
    assert [d.doc_id for d in server_bot.documents()] == [SEED_ID]
    answer = server_bot.ask(HEADLINE_QUESTION)
    assert_citations_exact(server_bot, answer)
    assert not answer.refused and "Starmer" in (answer.short or ""), answer.text
    first = answer.citations[0]
    assert first.text == STARMER_SENTENCE and (first.start, first.end) == (1490, 1691)
    assert server_bot.ingest(CORPUS).unchanged == (SEED_ID,)


def test_server_store_is_shared_between_clients(server: int, server_bot: Assistant, tmp_path: Path) -> None:
    """A second client of the same server sees the documents the first one ingested."""
    server_bot.ingest(CORPUS)
    with Assistant.open(settings=server_settings(server, tmp_path)) as other:
        assert [d.doc_id for d in other.documents()] == [SEED_ID]
        assert other.retrieve(HEADLINE_QUESTION, k=1)[0].sentence.text == STARMER_SENTENCE


def test_unreachable_server_is_a_clean_error(tmp_path: Path) -> None:
    """No server on the port: BackendError whose message names the address and how to start one."""
    port = free_port()
    with pytest.raises(BackendError) as caught:
        Assistant.open(settings=server_settings(port, tmp_path))
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message
    assert "chroma run" in message and f"--port {port}" in message


def test_unreachable_server_cli(tmp_path: Path) -> None:
    """`assistant --store server` with no server exits 1 with one 'error:' line saying how to start one."""
    port = free_port()
    done = subprocess.run(
        cli_command("docs", "--store", "server", "--chroma-port", str(port)),
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("error: ") and "chroma run" in done.stderr, done.stderr


def test_server_going_away_is_a_backend_error(tmp_path: Path, assert_citations_exact) -> None:
    """If the server stops after opening, asking raises BackendError, not a raw HTTP error."""
    with chroma_server(tmp_path / "db") as (port, process):
        bot = Assistant.open(settings=server_settings(port, tmp_path / "client"))
        bot.ingest(CORPUS)
        assert_citations_exact(bot, bot.ask(HEADLINE_QUESTION))
        stop(process)
        try:
            bot.ask("Who is Russia's foreign minister?")
        except AssistantError as exc:
            assert isinstance(exc, BackendError), f"{type(exc).__name__}: {exc}"
        except Exception as exc:
            pytest.fail(f"a stopped server surfaced as {type(exc).__module__}.{type(exc).__name__}: {exc}")
        else:
            pytest.fail("asking with the server stopped did not raise")
        finally:
            bot.close()
