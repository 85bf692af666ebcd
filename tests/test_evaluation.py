"""The evaluator: SQuAD scoring, question-file validation, report contents and the `assistant eval` CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import CORPUS, SEED_ID, STARMER_SENTENCE, cli_command, cli_env

from assistant import Assistant
from assistant.errors import QuestionSetError
from assistant.evaluation import (
    contains_answer,
    exact_match,
    f1_score,
    load_questions,
    normalize_answer,
    report,
    run,
)

DATA_USE_KEYS = {"questions_from_training_articles", "questions_from_tuning_articles"}
REPORT_KEYS = {
    "n",
    "n_answerable",
    "n_unanswerable",
    "answer_accuracy",
    "answer_em",
    "answer_f1",
    "refusal_accuracy",
    "false_refusal_rate",
    "citation_precision",
    "citation_recall",
    "citation_verbatim",
    "n_citations",
    "retrieval_hit_at_1",
    "retrieval_hit_at_5",
    "retrieval_hit_at_10",
    "retrieval_mrr_at_10",
    "latency_ms_p50",
    "latency_ms_p95",
    "n_errors",
}

TINY_SET = [
    {
        "qid": "q1",
        "question": "Who proposed 30,000 troops?",
        "answers": ["Keir Starmer"],
        "evidence": [{"doc_id": SEED_ID, "text": STARMER_SENTENCE}],
        "answerable": True,
    },
    {
        "qid": "q2",
        "question": "Who won the 2018 FIFA World Cup?",
        "answers": [],
        "evidence": [],
        "answerable": False,
    },
]


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("The Eiffel Tower.", "eiffel tower"),
        ("  An   apple, a DAY! ", "apple day"),
        ("Keir Starmer's plan", "keir starmers plan"),
        ("1.5 million", "15 million"),
        ("the", ""),
    ],
)
def test_normalize_answer(text: str, normal: str) -> None:
    """Answers are normalised as in the official SQuAD script (case, punctuation, articles, spaces)."""
    assert normalize_answer(text) == normal


@pytest.mark.parametrize(
    ("prediction", "gold", "em", "f1"),
    [
        ("Keir Starmer", "Keir Starmer", 1.0, 1.0),
        ("the Keir Starmer.", "keir starmer", 1.0, 1.0),
        ("Starmer", "Keir Starmer", 0.0, 2 / 3),
        ("Prime Minister Keir Starmer", "Keir Starmer", 0.0, 2 / 3),
        ("the cat sat", "a dog sat", 0.0, 0.5),
        ("Washington", "Paris", 0.0, 0.0),
        ("", "Paris", 0.0, 0.0),
    ],
)
def test_exact_match_and_f1(prediction: str, gold: str, em: float, f1: float) -> None:
    """EM and token F1 give the SQuAD values on known examples."""
    assert exact_match(prediction, gold) == em
    assert f1_score(prediction, gold) == pytest.approx(f1)


def test_contains_answer() -> None:
    """An answer counts when the gold answer appears in it as whole words, after normalisation."""
    assert contains_answer("Prime Minister Keir Starmer", "keir starmer")
    assert contains_answer("at least €6 billion", "€6 billion")
    assert not contains_answer("Starmer", "Keir Starmer")
    assert not contains_answer("30,0001 troops", "30,000")
    assert not contains_answer("anything", "the")


def test_report_on_seed_bot(seed_bot: Assistant, tmp_path: Path) -> None:
    """run + report give every metric as a number, with the tiny set scored as expected."""
    scored = run(seed_bot, load_questions(write_jsonl(tmp_path / "q.jsonl", TINY_SET)))
    summary = report(scored)
    assert set(summary) == REPORT_KEYS
    assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in summary.values()), summary
    assert summary["n"] == 2 and summary["n_answerable"] == 1 and summary["n_unanswerable"] == 1
    assert summary["n_errors"] == 0
    assert summary["citation_verbatim"] == 1.0
    assert summary["retrieval_hit_at_1"] == 1.0
    for key, value in summary.items():
        if key.startswith(("answer_", "citation_", "retrieval_", "refusal_", "false_")):
            assert 0.0 <= value <= 1.0, key


def test_report_of_nothing() -> None:
    """A report over no results is all zeros, not a division error."""
    summary = report([])
    assert set(summary) == REPORT_KEYS
    assert summary["n"] == 0 and summary["answer_accuracy"] == 0.0


def test_load_questions_reads_history_and_evidence(tmp_path: Path) -> None:
    """A valid line with evidence and history loads into typed fields; blank lines are ignored."""
    row = dict(TINY_SET[0], history=[["Who proposed 30,000 troops?", "Keir Starmer"]], question_type="who")
    path = write_jsonl(tmp_path / "q.jsonl", [row, "", TINY_SET[1]])
    first, second = load_questions(path)
    assert first.qid == "q1" and first.answers == ("Keir Starmer",) and first.question_type == "who"
    assert first.evidence[0].doc_id == SEED_ID and first.evidence[0].text == STARMER_SENTENCE
    assert [(t.question, t.answer) for t in first.history] == [
        ("Who proposed 30,000 troops?", "Keir Starmer")
    ]
    assert not second.answerable and second.answers == ()


GOOD = json.dumps(TINY_SET[0])


@pytest.mark.parametrize(
    ("second_line", "words"),
    [
        ('{"qid": "q2", "question": "Who?"', "not valid JSON"),
        (json.dumps({"qid": "q2", "answers": [], "answerable": False}), "'question'"),
        (
            json.dumps({"qid": "q2", "question": "Who?", "answers": "Starmer", "answerable": True}),
            "'answers'",
        ),
        (json.dumps({"qid": "q2", "question": "Who?", "answers": [1], "answerable": True}), "'answers'"),
        (json.dumps({"qid": "q2", "question": "Who?", "answers": [], "answerable": True}), "at least one"),
        (json.dumps({"qid": "q2", "question": "Who?", "answers": [], "answerable": "no"}), "'answerable'"),
        (json.dumps(dict(TINY_SET[1], history=[["only the question"]])), "'history'"),
        (json.dumps(dict(TINY_SET[1], history="Who proposed?")), "'history'"),
        (json.dumps(dict(TINY_SET[1], evidence=["just a string"])), "evidence"),
        ("[1, 2, 3]", "JSON object"),
    ],
)
def test_malformed_question_file(tmp_path: Path, second_line: str, words: str) -> None:
    """A malformed line raises QuestionSetError naming the file, the line number and the problem."""
    path = tmp_path / "questions.jsonl"
    path.write_text(f"{GOOD}\n{second_line}\n", encoding="utf-8")
    with pytest.raises(QuestionSetError) as caught:
        load_questions(path)
    message = str(caught.value)
    assert f"{path}:2" in message, message
    assert words in message, message


@pytest.mark.parametrize("contents", [None, "", "\n\n"])
def test_missing_or_empty_question_file(tmp_path: Path, contents: str | None) -> None:
    """A missing or empty question file raises QuestionSetError naming the file."""
    path = tmp_path / "questions.jsonl"
    if contents is not None:
        path.write_text(contents, encoding="utf-8")
    with pytest.raises(QuestionSetError, match=r"questions\.jsonl"):
        load_questions(path)


def test_non_utf8_question_file(tmp_path: Path) -> None:
    """A question file that is not UTF-8 raises QuestionSetError naming the file, not UnicodeDecodeError."""
    path = tmp_path / "questions.jsonl"
    row = dict(TINY_SET[1], question="Qui a gagné à Zürich?")
    path.write_bytes((json.dumps(row, ensure_ascii=False) + "\n").encode("latin-1"))
    with pytest.raises(QuestionSetError, match=r"questions\.jsonl"):
        load_questions(path)


def test_eval_cli_writes_report_and_results(tmp_path: Path) -> None:
    """`assistant eval Q --corpus corpus --out DIR` prints the table, writes report.json and results.jsonl."""
    (tmp_path / "set").mkdir()
    questions = write_jsonl(tmp_path / "set" / "questions.jsonl", TINY_SET)
    out = tmp_path / "out"
    done = subprocess.run(
        cli_command("eval", str(questions), "--corpus", str(CORPUS), "--out", str(out)),
        env=cli_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert "answer_accuracy" in done.stdout and "report.json" in done.stdout
    summary = json.loads((out / "report.json").read_text(encoding="utf-8"))
    # The CLI also says how many questions come from articles the reader saw in training or tuning.
    assert set(summary) == REPORT_KEYS | DATA_USE_KEYS and summary["n"] == 2
    assert summary["questions_from_training_articles"] == summary["questions_from_tuning_articles"] == 0
    assert "held out" in done.stdout
    results = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["qid"] for r in results] == ["q1", "q2"]
    assert results[0]["citation_verbatim"] and all(results[0]["citation_verbatim"])
    assert "Traceback" not in done.stderr


def test_eval_cli_bad_question_file(tmp_path: Path) -> None:
    """`assistant eval` on a malformed file exits non-zero with a one-line error naming the line."""
    path = tmp_path / "questions.jsonl"
    path.write_text(f"{GOOD}\nnot json\n", encoding="utf-8")
    done = subprocess.run(
        cli_command("eval", str(path), "--out", str(tmp_path / "out")),
        env=cli_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error:") and f"{path}:2" in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


def test_data_use_counts_questions_from_trained_articles() -> None:
    """A question whose paragraph belongs to a training or tuning article is counted as such,
    so a figure measured on it is never labelled held out."""
    from assistant.evaluation import EvalQuestion, Evidence, data_use, data_use_label

    questions = [
        EvalQuestion("a", "?", ("x",), True, (Evidence("t", "Normans#3"),)),
        EvalQuestion("b", "?", (), False, context_doc_id="Rhine#0"),
        EvalQuestion("c", "?", ("x",), True, (Evidence("t", "news.txt"),)),
    ]
    use = data_use(questions, trained=["Normans"], tuned=["Rhine"])
    assert use == {"questions_from_training_articles": 1, "questions_from_tuning_articles": 1}
    assert data_use_label({"n": 3, **use}).startswith("NOT held out")
    assert data_use_label({"n": 3, "questions_from_training_articles": 0}).startswith("held out")


def test_eval_cli_on_an_empty_collection_is_an_error(tmp_path: Path) -> None:
    """`assistant eval` without --corpus/--documents on an empty collection exits 2 with one error
    line saying to pass --corpus or --documents, instead of reporting accuracy 0 and false
    refusal rate 1.0 as if the assistant had been measured; no report is written."""
    (tmp_path / "set").mkdir()
    questions = write_jsonl(tmp_path / "set" / "questions.jsonl", TINY_SET)
    out = tmp_path / "out"
    done = subprocess.run(
        cli_command("eval", str(questions), "--out", str(out)),
        env=cli_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert "no documents" in error and "--corpus" in error and "--documents" in error, error
    assert "answer_accuracy" not in done.stdout
    assert not (out / "report.json").exists()


def test_run_on_an_empty_store_raises(fresh_bot: Assistant, tmp_path: Path) -> None:
    """`evaluation.run` on a store without documents raises EmptyStoreError (a UserInputError)
    naming the collection, rather than scoring every question as a false refusal."""
    from assistant.errors import EmptyStoreError

    with pytest.raises(EmptyStoreError, match=r"'news' has no documents"):
        run(fresh_bot, load_questions(write_jsonl(tmp_path / "q.jsonl", TINY_SET)))
