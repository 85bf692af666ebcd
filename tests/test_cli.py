"""The `assistant` command line, run as a real subprocess against a private on-disk store."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import (
    CORPUS,
    HEADLINE_QUESTION,
    SEED_ID,
    STARMER_SENTENCE,
    cli_command,
    cli_env,
    open_bot,
    run_cli,
)


def assert_clean_error(done: subprocess.CompletedProcess[str]) -> str:
    """Non-zero exit, no traceback, and one "error: ..." line on stderr; returns that line."""
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    return errors[0]


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with corpus/ ingested through `assistant ingest`."""
    data_dir = tmp_path_factory.mktemp("cli-store")
    done = run_cli(data_dir, "ingest", str(CORPUS))
    assert done.returncode == 0, done.stderr
    assert "1 added" in done.stdout and "17 sentences" in done.stdout, done.stdout
    return data_dir


def test_ingest_twice_reports_unchanged(cli_store: Path) -> None:
    """A second `assistant ingest` of the same folder reports the file unchanged."""
    done = run_cli(cli_store, "ingest", str(CORPUS))
    assert done.returncode == 0, done.stderr
    assert "0 added" in done.stdout and "1 unchanged" in done.stdout, done.stdout


def test_ask_prints_answer_with_citation(cli_store: Path) -> None:
    """`assistant ask` prints the answer, the [1] marker, the cited sentence and its character span."""
    done = run_cli(cli_store, "ask", HEADLINE_QUESTION)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Starmer [1]" in out
    assert "[1]" in out
    assert STARMER_SENTENCE in out
    assert "chars 1490–1691" in out, out
    assert SEED_ID in out


def test_ask_json(cli_store: Path) -> None:
    """`assistant ask --json` prints machine-readable JSON with exact citation offsets."""
    done = run_cli(cli_store, "ask", "--json", HEADLINE_QUESTION)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert "Starmer" in data["short"] and data["refused"] is False
    first = data["citations"][0]
    assert (first["doc_id"], first["start"], first["end"], first["text"]) == (
        SEED_ID,
        1490,
        1691,
        STARMER_SENTENCE,
    )
    text = (CORPUS / SEED_ID).read_text(encoding="utf-8")
    for c in data["citations"]:
        assert text[c["start"] : c["end"]] == c["text"]


def test_docs_lists_documents(cli_store: Path) -> None:
    """`assistant docs` lists each document with its id, title and counts."""
    done = run_cli(cli_store, "docs")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    fields = lines[0].split("\t")
    assert fields[0] == SEED_ID
    assert fields[1].startswith("Zelensky's top aide")
    assert "17 sentences" in lines[0]


def test_empty_question_is_a_clean_error(cli_store: Path) -> None:
    """An empty question exits non-zero with one 'error: ...' line and no traceback."""
    line = assert_clean_error(run_cli(cli_store, "ask", "  "))
    assert "empty" in line


def test_missing_path_is_a_clean_error(tmp_path: Path) -> None:
    """Ingesting a path that does not exist exits non-zero with a one-line error naming it."""
    missing = tmp_path / "nowhere"
    line = assert_clean_error(run_cli(tmp_path / "data", "ingest", str(missing)))
    assert str(missing) in line


def test_ingest_of_only_bad_files_fails(tmp_path: Path) -> None:
    """Ingesting only unreadable files exits non-zero and names each failed file and why."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "empty.txt").write_bytes(b"")
    done = run_cli(tmp_path / "data", "ingest", str(tmp_path / "docs"))
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "failed: " in done.stderr and "empty.txt" in done.stderr and "empty" in done.stderr


def test_remove(tmp_path: Path, shared_embedder) -> None:
    """`assistant remove ID` removes the document; removing it again is a clean error."""
    data_dir = tmp_path / "data"
    open_bot(data_dir, shared_embedder).ingest(CORPUS)  # the same store layout the CLI opens
    done = run_cli(data_dir, "remove", SEED_ID)
    assert done.returncode == 0, done.stderr
    assert f"removed {SEED_ID}" in done.stdout
    docs = run_cli(data_dir, "docs")
    assert docs.returncode == 0 and SEED_ID not in docs.stdout
    assert "no documents" in docs.stdout
    line = assert_clean_error(run_cli(data_dir, "remove", SEED_ID))
    assert SEED_ID in line and "assistant docs" in line


def test_ask_on_empty_store_warns(tmp_path: Path) -> None:
    """`assistant ask` on an empty store warns how to add documents and refuses instead of crashing."""
    done = run_cli(tmp_path / "data", "ask", HEADLINE_QUESTION)
    assert done.returncode == 0, done.stderr
    assert "assistant ingest" in done.stderr
    assert "[1]" not in done.stdout


def test_ingest_shows_progress_naming_each_large_file(tmp_path: Path) -> None:
    """Ingesting large files draws a progress bar (characters embedded) that names the file
    being embedded and its place in the run, and ends at 100%."""
    folder = tmp_path / "big"
    folder.mkdir()
    for name, word in (("first.txt", "river"), ("second.txt", "canal")):
        text = " ".join(
            f"Gauge {i} shows that the {word} rose by {i} centimetres overnight." for i in range(2500)
        )
        (folder / name).write_text(text, encoding="utf-8")
    done = run_cli(tmp_path / "data", "ingest", str(folder), timeout=300, embedder="hash:64")
    assert done.returncode == 0, done.stderr
    assert "ingest 1/2 first.txt" in done.stderr and "ingest 2/2 second.txt" in done.stderr, done.stderr[
        -1500:
    ]
    assert "100%" in done.stderr and "2 added" in done.stdout


def test_settings_work_before_the_command(cli_store: Path, tmp_path: Path) -> None:
    """`assistant --data-dir X docs` uses X (it was "invalid choice: 'X'"); a setting given
    before the command is not overwritten by the command's own default."""
    done = run_cli(tmp_path / "elsewhere", "--data-dir", str(cli_store), "docs")
    assert done.returncode == 0, done.stderr
    assert SEED_ID in done.stdout, done.stdout
    # The same setting after the command wins over the one before it.
    after = run_cli(
        tmp_path / "elsewhere", "--data-dir", str(tmp_path / "empty"), "docs", "--data-dir", str(cli_store)
    )
    assert after.returncode == 0 and SEED_ID in after.stdout, after.stdout + after.stderr


def test_data_dir_that_is_a_file_is_a_clean_error(tmp_path: Path) -> None:
    """ASSISTANT_DATA_DIR naming a file: `assistant ask` prints one error line naming the path and
    how to fix it, exit 2, no traceback (it was a FileExistsError traceback)."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    done = run_cli(a_file, "ask", "hi", embedder="hash:64")
    assert done.returncode == 2, done.stderr
    line = assert_clean_error(done)
    assert str(a_file) in line and "not a folder" in line and "ASSISTANT_DATA_DIR" in line, line


def test_chat_commands_say_what_they_did(tmp_path: Path) -> None:
    """In `assistant chat`, /new says that a new conversation started (it printed nothing),
    /help lists the commands, and an unknown /command says so instead of being asked."""
    done = subprocess.run(
        cli_command("chat"),
        input="/help\n/new\n/nope\n\n",
        env=cli_env(tmp_path / "data") | {"ASSISTANT_EMBEDDER": "hash:64"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "/new" in out and "/help" in out
    assert "Started a new conversation" in out, out
    assert "unknown command /nope" in out, out
