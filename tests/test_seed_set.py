"""Our own scripted question set over the seed article, scored by the evaluator, question by question."""

from __future__ import annotations

import json

import pytest
from conftest import DATA, SEED_FILE, SEED_ID

from assistant import Assistant
from assistant.evaluation import Scored, load_questions, report, run

QUESTIONS = DATA / "seed_questions.jsonl"


@pytest.fixture(scope="module")
def seed_results(seed_bot: Assistant) -> list[Scored]:
    return run(seed_bot, load_questions(QUESTIONS))


def describe(s: Scored) -> str:
    cited = "; ".join(f"[{c['marker']}] {c['text'][:70]!r}" for c in s.citations) or "no citations"
    state = "REFUSED" if s.refused else f"short={s.short!r}"
    return f"  {s.qid}: {s.question!r} -> {state} | {cited}" + (f" | error={s.error}" if s.error else "")


def test_question_file_is_well_formed() -> None:
    """The seed set has >= 24 questions of varied kinds, verbatim evidence, unanswerables and a follow-up."""
    questions = load_questions(QUESTIONS)
    text = SEED_FILE.read_text(encoding="utf-8")
    answerable = [q for q in questions if q.answerable]
    unanswerable = [q for q in questions if not q.answerable]
    assert len(questions) >= 24
    assert len(answerable) >= 16 and len(unanswerable) >= 7
    assert len({q.qid for q in questions}) == len(questions), "duplicate qids"
    assert any(q.history for q in questions), "no follow-up question"
    for q in answerable:
        assert q.evidence, q.qid
        for e in q.evidence:
            assert e.doc_id == SEED_ID and e.text in text, f"{q.qid}: evidence is not verbatim in the article"
        assert any(a in e.text for a in q.answers for e in q.evidence), f"{q.qid}: answer not in its evidence"
    for q in unanswerable:
        assert q.answers == () and q.evidence == ()
    kinds = {q.question.split()[0].lower() for q in answerable}
    assert {"who", "how", "when", "where", "which", "what"} <= kinds
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        assert set(json.loads(line)) <= {
            "qid",
            "question",
            "answers",
            "evidence",
            "answerable",
            "history",
            "question_type",
        }


# Questions the offline answerer is known to get wrong, with the reason. Strict xfail:
# when the method improves and one passes, the test fails until it is taken off the list.
KNOWN_GAPS: dict[str, str] = {
    "un-uk-aid": "the article gives one aid figure, the EU's ('Brussels is reportedly preparing "
    "military aid for Ukraine amounting to at least €6 billion'), and says nothing of the UK's; the "
    "reader shipped 2026-12-06 reads '€6 billion' there above its margin (the one before refused it)",
}


def _cases() -> list:
    return [
        pytest.param(q.qid, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[q.qid]))
        if q.qid in KNOWN_GAPS
        else q.qid
        for q in load_questions(QUESTIONS)
    ]


@pytest.mark.parametrize("qid", _cases())
def test_seed_question(qid: str, seed_results: list[Scored]) -> None:
    """Each answerable seed question is answered right, citing its evidence; each other one is refused."""
    result = next(s for s in seed_results if s.qid == qid)
    assert result.error is None, describe(result)
    if result.answerable:
        assert result.correct, describe(result)
        assert result.citation_hits_evidence, describe(result)
    else:
        assert result.refused, describe(result)
    assert all(result.citation_verbatim), describe(result)


def test_seed_set_report(seed_results: list[Scored]) -> None:
    """The evaluator's report over the seed set: every citation verbatim, gaps only where listed."""
    summary = report(seed_results)
    n_answerable = summary["n_answerable"]
    assert summary["n_errors"] == 0
    assert summary["citation_verbatim"] == 1.0
    questions = {q.qid: q for q in load_questions(QUESTIONS)}
    gaps_answerable = sum(1 for qid in KNOWN_GAPS if questions[qid].answerable)
    gaps_unanswerable = len(KNOWN_GAPS) - gaps_answerable
    expected_refusals = (summary["n_unanswerable"] - gaps_unanswerable) / summary["n_unanswerable"]
    assert summary["refusal_accuracy"] >= round(expected_refusals, 4), json.dumps(summary)
    expected = (n_answerable - gaps_answerable) / n_answerable
    assert summary["answer_accuracy"] >= round(expected, 4), json.dumps(summary)  # the report rounds to 4


def test_seed_set_citations_exact(seed_bot: Assistant, seed_results: list[Scored]) -> None:
    """Every citation the seed set produced is an exact slice of the stored article."""
    text = seed_bot.document_text(SEED_ID)
    for s in seed_results:
        for c in s.citations:
            assert c["doc_id"] == SEED_ID
            assert text[c["start"] : c["end"]] == c["text"], f"{s.qid}: citation not verbatim: {c}"
        if s.refused:
            assert s.citations == [], f"{s.qid}: a refusal with citations"
