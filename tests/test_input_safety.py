"""Bad input gets a clear error of our own, or is cleaned; it never ends in a traceback."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import CORPUS, HEADLINE_QUESTION, cli_command, cli_env, open_bot, run_cli

from assistant import Assistant, Document, UserInputError
from assistant.errors import InvalidArgumentError
from assistant.protocols import Embedder


@pytest.mark.parametrize("question", [42, None, b"Who proposed 30,000 troops?", ["a"]])
def test_question_of_the_wrong_type_is_named(seed_bot: Assistant, question: object) -> None:
    """ask(42) says the question must be a str (it used to say 'the question is empty')."""
    with pytest.raises(InvalidArgumentError, match=r"question must be a str, not"):
        seed_bot.ask(question)  # type: ignore[arg-type]


def test_lone_surrogates_in_a_question_are_answered(seed_bot: Assistant, assert_citations_exact) -> None:
    """A question holding a lone surrogate (undecodable terminal bytes) is cleaned, not crashed on."""
    answer = seed_bot.ask("Who proposed \udcff 30,000 troops?")
    assert_citations_exact(seed_bot, answer)
    assert "\udcff" not in answer.question and "\ufffd" in answer.question


def test_cli_question_with_invalid_bytes(tmp_path: Path) -> None:
    """`assistant ask $'Who proposed \\xff troops?'` answers or refuses; no UnicodeEncodeError."""
    data_dir = tmp_path / "data"
    env = cli_env(data_dir)
    assert subprocess.run(cli_command("ingest", str(CORPUS)), env=env, capture_output=True).returncode == 0
    argv = [os.fsencode(a) for a in cli_command("ask", "--json")] + [b"Who proposed \xff 30,000 troops?"]
    done = subprocess.run(argv, env=env, capture_output=True, timeout=180)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"Traceback" not in done.stderr
    assert "question" in json.loads(done.stdout)


def test_ingest_accepts_a_list_and_names_a_wrong_type(tmp_path: Path, shared_embedder: Embedder) -> None:
    """ingest([a, b]) ingests both; ingest(42) raises our error naming the argument, not a TypeError."""
    bot = open_bot(tmp_path / "data", shared_embedder)
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("Alpha is the first letter of the Greek alphabet.", encoding="utf-8")
    b.write_text("Omega is the last letter of the Greek alphabet.", encoding="utf-8")
    report = bot.ingest([a, b])
    assert len(report.added) == 2
    with pytest.raises(InvalidArgumentError, match="paths must be str or Path, not int"):
        bot.ingest(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="documents must be Document objects"):
        bot.ingest_documents(["just a string"])  # type: ignore[list-item]
    assert issubclass(InvalidArgumentError, UserInputError)


def test_document_with_lone_surrogates_ingests(tmp_path: Path, shared_embedder: Embedder) -> None:
    """A Document whose text holds a lone surrogate is stored with U+FFFD in its place (same offsets)."""
    bot = open_bot(tmp_path / "data", shared_embedder)
    text = "Keir Starmer \udce9 proposed 30,000 troops."
    report = bot.ingest_documents([Document("s.txt", "S", text)])
    assert report.added == ("s.txt",)
    stored = bot.document_text("s.txt")
    assert len(stored) == len(text) and "\ufffd" in stored


def test_json_errors_are_json(tmp_path: Path) -> None:
    """With --json, an error is one JSON object on stdout ({"error", "kind"}) with the usual exit code."""
    done = run_cli(tmp_path / "data", "ask", "--json", "   ")
    assert done.returncode == 2
    error = json.loads(done.stdout)
    assert error["kind"] == "EmptyQuestionError" and "empty" in error["error"]
    assert "Traceback" not in done.stderr


def test_headline_still_answered_after_cleaning(seed_bot: Assistant) -> None:
    """Cleaning leaves ordinary questions as they were."""
    assert seed_bot.ask(f" {HEADLINE_QUESTION} ").question == HEADLINE_QUESTION


def test_file_name_that_is_not_utf8_fails_alone(tmp_path: Path) -> None:
    """A folder holding a file whose name is not valid UTF-8 ingests its other files; the bad
    one is reported (or ingested under a cleaned name), and the store error about a server
    never appears."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text("The ferry to Skye leaves at 9 o'clock.", encoding="utf-8")
    (Path(os.fsdecode(bytes(folder) + b"/caf\xe9.txt"))).write_text("Coffee costs 3 euros.", encoding="utf-8")
    done = run_cli(tmp_path / "data", "ingest", str(folder), embedder="hash:64")
    assert "Traceback" not in done.stderr and "Chroma server" not in done.stderr, done.stderr
    assert "good.txt" in done.stdout or "added" in done.stdout, done.stdout
    listed = run_cli(tmp_path / "data", "docs", embedder="hash:64")
    assert "good.txt" in listed.stdout


def test_damaged_pdf_warnings_stay_off_the_terminal(tmp_path: Path) -> None:
    """A PDF with a broken cross-reference table ingests (pypdf repairs it) and pypdf's
    warnings about the damage do not reach the user's stderr."""
    from test_ingest import make_pdf

    pdf = make_pdf(["Storm Ciaran reached Brittany on Thursday."])
    damaged = pdf.replace(b"startxref", b"startxref\n999999\n%%", 1)  # a wrong xref offset
    (tmp_path / "storm.pdf").write_bytes(damaged)
    done = run_cli(tmp_path / "data", "ingest", str(tmp_path / "storm.pdf"), embedder="hash:64")
    assert done.returncode == 0, done.stderr
    assert "1 added" in done.stdout, done.stdout
    # Unsilenced, pypdf logs "incorrect startxref pointer(2)" and more here.
    assert done.stderr.strip() == "", done.stderr
