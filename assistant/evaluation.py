"""Scripted question sets: load, run through the assistant, score, report.

This is the one way we measure quality. The format is that of ``shared/eval``:
one JSON object a line with ``qid``, ``question``, ``answers``, ``evidence``,
``answerable`` and optionally ``history`` ([[question, answer], ...]).
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .core import Assistant
from .errors import AssistantError, EmptyStoreError, QuestionSetError
from .types import Answer, Citation, ScoredSentence, Turn

REQUIRED = {"qid": str, "question": str, "answers": list, "answerable": bool}


@dataclass(frozen=True)
class Evidence:
    text: str
    doc_id: str | None = None


@dataclass(frozen=True)
class EvalQuestion:
    qid: str
    question: str
    answers: tuple[str, ...]
    answerable: bool
    evidence: tuple[Evidence, ...] = ()
    history: tuple[Turn, ...] = ()
    question_type: str | None = None
    context_doc_id: str | None = None
    """The document the question was written against (SQuAD sets name it for every question)."""


def load_questions(path: Path) -> list[EvalQuestion]:
    if not path.is_file():
        raise QuestionSetError(f"{path}: no such question file")
    questions = []
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise QuestionSetError(f"{path}:{number}: not UTF-8 text; save the file as UTF-8") from None
        if line.strip():
            questions.append(_parse_question(line, f"{path}:{number}"))
    if not questions:
        raise QuestionSetError(f"{path}: the file has no questions")
    return questions


def _parse_question(line: str, where: str) -> EvalQuestion:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise QuestionSetError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(row, dict):
        raise QuestionSetError(f"{where}: expected a JSON object, got {type(row).__name__}")
    for key, kind in REQUIRED.items():
        if key not in row:
            raise QuestionSetError(f"{where}: missing required field {key!r}")
        if not isinstance(row[key], kind):
            raise QuestionSetError(f"{where}: field {key!r} must be a {kind.__name__}")
    if not all(isinstance(a, str) for a in row["answers"]):
        raise QuestionSetError(f"{where}: 'answers' must be a list of strings")
    if row["answerable"] and not row["answers"]:
        raise QuestionSetError(f"{where}: an answerable question needs at least one answer")
    evidence = []
    for item in row.get("evidence") or []:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise QuestionSetError(f"{where}: each evidence item must be an object with a 'text' string")
        evidence.append(Evidence(item["text"], item.get("doc_id")))
    history = []
    for turn in row.get("history") or []:
        if not (isinstance(turn, list | tuple) and len(turn) == 2 and all(isinstance(t, str) for t in turn)):
            raise QuestionSetError(f"{where}: 'history' must be a list of [question, answer] pairs")
        history.append(Turn(turn[0], turn[1]))
    return EvalQuestion(
        qid=row["qid"],
        question=row["question"],
        answers=tuple(row["answers"]),
        answerable=row["answerable"],
        evidence=tuple(evidence),
        history=tuple(history),
        question_type=row.get("question_type"),
        context_doc_id=row.get("context_doc_id") if isinstance(row.get("context_doc_id"), str) else None,
    )


# SQuAD's official normalisation and scores ------------------------------------------------


def normalize_answer(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1_score(prediction: str, gold: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def contains_answer(prediction: str, gold: str) -> bool:
    gold_norm = normalize_answer(gold)
    return bool(gold_norm) and f" {gold_norm} " in f" {normalize_answer(prediction)} "


# Scoring one answer ---------------------------------------------------------------------


@dataclass
class Scored:
    qid: str
    question: str
    answerable: bool
    answer: str
    short: str | None
    refused: bool
    correct: bool
    em: float
    f1: float
    citations: list[dict[str, Any]]
    citation_good: list[bool]
    citation_verbatim: list[bool]
    citation_hits_evidence: bool
    retrieved_ids: list[str]
    retrieval_rank: int | None
    latency_ms: float
    question_type: str | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    ttft_ms: float | None = None
    flagged: bool = False
    """The model's reply had at least one sentence its citations do not support."""
    shows_flagged: bool = False
    """The answer shown still contains a flagged sentence (no fallback ran)."""
    fallback: str | None = None
    """"extractive" or "refusal" when verification replaced the model's reply."""
    verification: dict[str, Any] | None = None


class _Spans:
    """Locates evidence texts in the stored documents, once per (doc, text)."""

    def __init__(self, text_of: Callable[[str], str]) -> None:
        self._text_of = text_of
        self._texts: dict[str, str | None] = {}

    def text(self, doc_id: str) -> str | None:
        if doc_id not in self._texts:
            try:
                self._texts[doc_id] = self._text_of(doc_id)
            except AssistantError:
                self._texts[doc_id] = None
        return self._texts[doc_id]

    def overlaps(self, doc_id: str, start: int, end: int, text: str, evidence: Sequence[Evidence]) -> bool:
        for item in evidence:
            if item.doc_id is not None and item.doc_id != doc_id:
                continue
            document = self.text(doc_id) if item.doc_id is not None else None
            position = document.find(item.text) if document else -1
            if position >= 0:
                if start < position + len(item.text) and position < end:
                    return True
            elif text in item.text or item.text in text:
                return True
        return False


def score_answer(question: EvalQuestion, answer: Answer, spans: _Spans) -> Scored:
    short = answer.short or ""
    answered = not answer.refused
    correct = answered and question.answerable and any(contains_answer(short, g) for g in question.answers)
    em = max((exact_match(short, g) for g in question.answers), default=0.0) if answered else 0.0
    f1 = max((f1_score(short, g) for g in question.answers), default=0.0) if answered else 0.0
    good, verbatim = [], []
    for c in answer.citations:
        on_evidence = spans.overlaps(c.doc_id, c.start, c.end, c.text, question.evidence)
        has_answer = any(contains_answer(c.text, g) for g in question.answers)
        good.append(question.answerable and (on_evidence or has_answer))
        document = spans.text(c.doc_id)
        verbatim.append(document is not None and document[c.start : c.end] == c.text)
    rank = _first_hit(answer.retrieved, question.evidence, spans) if question.answerable else None
    return Scored(
        qid=question.qid,
        question=question.question,
        answerable=question.answerable,
        answer=answer.text,
        short=answer.short,
        refused=answer.refused,
        correct=correct,
        em=em if question.answerable else 0.0,
        f1=f1 if question.answerable else 0.0,
        citations=[_citation_dict(c) for c in answer.citations],
        citation_good=good,
        citation_verbatim=verbatim,
        citation_hits_evidence=any(
            spans.overlaps(c.doc_id, c.start, c.end, c.text, question.evidence) for c in answer.citations
        ),
        retrieved_ids=[p.sentence.sentence_id for p in answer.retrieved],
        retrieval_rank=rank,
        latency_ms=answer.latency_ms,
        question_type=question.question_type,
        notes=list(answer.notes),
        ttft_ms=answer.ttft_ms,
        flagged=bool(answer.verification and answer.verification.flagged),
        shows_flagged=bool(answer.verification and answer.verification.shows_flagged),
        fallback=answer.verification.fallback if answer.verification else None,
        verification=asdict(answer.verification) if answer.verification else None,
    )


def _first_hit(
    retrieved: Sequence[ScoredSentence], evidence: Sequence[Evidence], spans: _Spans
) -> int | None:
    for rank, passage in enumerate(retrieved[:10], start=1):
        s = passage.sentence
        if spans.overlaps(s.doc_id, s.start, s.end, s.text, evidence):
            return rank
    return None


def _citation_dict(c: Citation) -> dict[str, Any]:
    return asdict(c)


# The report ------------------------------------------------------------------------------


def data_use(
    questions: Sequence[EvalQuestion], trained: Iterable[str], tuned: Iterable[str]
) -> dict[str, float]:
    """How many questions come from articles the reader was trained or tuned on.

    An article is the part of a document id before '#' (SQuAD's ``Title#paragraph``);
    ``trained`` and ``tuned`` are the article lists of the reader's card. A figure measured
    on such questions is not a held-out figure, and the report says so.
    """
    trained, tuned = set(trained), set(tuned)

    def articles(q: EvalQuestion) -> set[str]:
        ids = [q.context_doc_id, *(e.doc_id for e in q.evidence)]
        return {i.rsplit("#", 1)[0] for i in ids if i and "#" in i}

    return {
        "questions_from_training_articles": sum(1 for q in questions if articles(q) & trained),
        "questions_from_tuning_articles": sum(1 for q in questions if articles(q) & tuned),
    }


def data_use_label(summary: dict[str, float]) -> str:
    """ "held out", or what share of the set the reader saw in training or tuning."""
    n = summary.get("n", 0) or 1
    trained = summary.get("questions_from_training_articles", 0)
    tuned = summary.get("questions_from_tuning_articles", 0)
    if not trained and not tuned:
        return "held out (no question comes from an article the reader was trained or tuned on)"
    return (
        f"NOT held out: {trained / n:.0%} of questions from training articles, "
        f"{tuned / n:.0%} from tuning articles"
    )


def report(scored: Sequence[Scored], verification: bool | None = None) -> dict[str, float]:
    """The metrics of a run. With ``verification`` (default: when an answer carries a verifier
    record, i.e. an LLM backend ran) also ``supported_precision``, ``flagged_rate``,
    ``fallback_rate``, ``ttft_ms_p50`` and ``ttft_ms_p95``.
    """
    answerable = [s for s in scored if s.answerable]
    unanswerable = [s for s in scored if not s.answerable]
    citations_good = [g for s in scored for g in s.citation_good]
    verbatim = [v for s in scored for v in s.citation_verbatim]
    latencies = np.array([s.latency_ms for s in scored if s.error is None] or [0.0])

    def share(items: Iterable[bool], n: int) -> float:
        return round(sum(items) / n, 4) if n else 0.0

    ranks = [s.retrieval_rank for s in answerable]
    done = [s for s in scored if s.error is None]
    # What a user who trusts the "verified" mark sees: answers shown without a flagged sentence.
    trusted = [s for s in answerable if s.error is None and not s.refused and not s.shows_flagged]
    ttfts = np.array([s.ttft_ms for s in done if s.ttft_ms is not None] or [0.0])
    summary: dict[str, float] = {
        "n": len(scored),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "answer_accuracy": share((s.correct for s in answerable), len(answerable)),
        "answer_em": round(sum(s.em for s in answerable) / len(answerable), 4) if answerable else 0.0,
        "answer_f1": round(sum(s.f1 for s in answerable) / len(answerable), 4) if answerable else 0.0,
        "refusal_accuracy": share((s.refused for s in unanswerable), len(unanswerable)),
        "false_refusal_rate": share((s.refused for s in answerable), len(answerable)),
        "citation_precision": share(citations_good, len(citations_good)),
        "citation_recall": share((s.citation_hits_evidence for s in answerable), len(answerable)),
        "citation_verbatim": share(verbatim, len(verbatim)) if verbatim else 1.0,
        "n_citations": len(citations_good),
        "retrieval_hit_at_1": share((r is not None and r <= 1 for r in ranks), len(answerable)),
        "retrieval_hit_at_5": share((r is not None and r <= 5 for r in ranks), len(answerable)),
        "retrieval_hit_at_10": share((r is not None and r <= 10 for r in ranks), len(answerable)),
        "retrieval_mrr_at_10": round(sum(1 / r for r in ranks if r) / len(answerable), 4)
        if answerable
        else 0.0,
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 2),
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 2),
        "n_errors": sum(1 for s in scored if s.error is not None),
    }
    if verification is None:
        verification = any(s.verification is not None for s in scored)
    if not verification:
        return summary
    return summary | {
        "supported_precision": share((s.correct for s in trusted), len(trusted)),
        "flagged_rate": share((s.flagged for s in done), len(done)),
        "fallback_rate": share((s.fallback is not None for s in done), len(done)),
        "ttft_ms_p50": round(float(np.percentile(ttfts, 50)), 2),
        "ttft_ms_p95": round(float(np.percentile(ttfts, 95)), 2),
    }


def run(
    bot: Assistant,
    questions: Sequence[EvalQuestion],
    progress: Callable[[int, int], None] | None = None,
) -> list[Scored]:
    """Ask every question and score its answer; a question that fails is scored with its error.

    Raises ``EmptyStoreError`` when the collection has no documents.
    """
    if bot.is_empty():
        # Every question would be refused: accuracy 0 and false refusal rate 1.0 that measure
        # nothing but the missing documents.
        raise EmptyStoreError(
            f"collection {bot.settings.collection!r} has no documents, so every question would be "
            "refused and the report would measure nothing; ingest the documents the questions are "
            "about first: `assistant eval` with --corpus FOLDER or --documents FILE.jsonl (each "
            "question set gets a collection of its own; --collection NAME picks one you filled), "
            "or Assistant.ingest(...) before evaluation.run"
        )
    spans = _Spans(bot.document_text)
    out = []
    for number, question in enumerate(questions, start=1):
        try:
            answer = bot.ask(question.question, question.history)
            out.append(score_answer(question, answer, spans))
        except AssistantError as exc:
            out.append(_failed(question, str(exc)))
        if progress:
            progress(number, len(questions))
    return out


def _failed(question: EvalQuestion, error: str) -> Scored:
    return Scored(
        qid=question.qid,
        question=question.question,
        answerable=question.answerable,
        answer="",
        short=None,
        refused=False,
        correct=False,
        em=0.0,
        f1=0.0,
        citations=[],
        citation_good=[],
        citation_verbatim=[],
        citation_hits_evidence=False,
        retrieved_ids=[],
        retrieval_rank=None,
        latency_ms=0.0,
        question_type=question.question_type,
        error=error,
    )


def write(out_dir: Path, scored: Sequence[Scored], summary: dict[str, float]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    with (out_dir / "results.jsonl").open("w", encoding="utf-8") as handle:
        for s in scored:
            handle.write(json.dumps(asdict(s), ensure_ascii=False) + "\n")


def format_table(summary: dict[str, float]) -> str:
    width = max(len(k) for k in summary)
    lines = [f"{'metric':<{width}}  value", f"{'-' * width}  -------"]
    for key, value in summary.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        lines.append(f"{key:<{width}}  {shown}")
    return "\n".join(lines)
