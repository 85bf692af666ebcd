"""Retrieval and context metrics for both pipelines, on the same gold evidence.

A retrieved unit (our sentence, their chunk) hits when it covers at least half of a gold
evidence span. The span is found in the stored document by doc_id + ``str.find``; when
the evidence has no doc_id or is not verbatim in its document, we fall back to text
containment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.evaluation import EvalQuestion, Evidence, contains_answer

RANKS = 10
COVER = 0.5  # share of an evidence span a retrieved unit must cover to hit


@dataclass(frozen=True)
class Unit:
    """A retrieved sentence or chunk, in reading order of the ranking."""

    doc_id: str
    start: int
    end: int
    text: str


class EvidenceLocator:
    def __init__(self, text_of: Callable[[str], str | None]) -> None:
        self._text_of = text_of
        self._spans: dict[tuple[str, str], tuple[int, int] | None] = {}

    def span(self, doc_id: str, evidence_text: str) -> tuple[int, int] | None:
        key = (doc_id, evidence_text)
        if key not in self._spans:
            document = self._text_of(doc_id)
            at = document.find(evidence_text) if document else -1
            self._spans[key] = (at, at + len(evidence_text)) if at >= 0 else None
        return self._spans[key]

    def hits(self, unit: Unit, evidence: Sequence[Evidence]) -> bool:
        for item in evidence:
            if item.doc_id is not None and item.doc_id != unit.doc_id:
                continue
            span = self.span(unit.doc_id, item.text)
            if span is not None:
                start, end = span
                covered = min(end, unit.end) - max(start, unit.start)
                if covered >= COVER * (end - start):
                    return True
            elif item.text in unit.text or (
                unit.text in item.text and len(unit.text) >= COVER * len(item.text)
            ):
                return True
        return False


def first_hit(units: Sequence[Unit], question: EvalQuestion, locator: EvidenceLocator) -> int | None:
    for rank, unit in enumerate(units[:RANKS], start=1):
        if locator.hits(unit, question.evidence):
            return rank
    return None


def answer_in(text: str, question: EvalQuestion) -> bool:
    return any(contains_answer(text, gold) for gold in question.answers)


def within(units: Sequence[Unit], budget: int) -> str:
    """What a reader gets from the ranking, cut at ``budget`` characters."""
    out, used = [], 0
    for unit in units:
        if used >= budget:
            break
        piece = unit.text[: budget - used]
        out.append(piece)
        used += len(piece) + 1
    return "\n".join(out)


@dataclass
class QuestionResult:
    """Per answerable question: first-hit ranks and answer-in-context flags of both."""

    ours_rank: int | None
    theirs_rank: int | None
    ours_context: bool  # our top-k sentences
    theirs_context: bool  # their top-4 chunks
    ours_at_their_size: bool  # our ranking cut at the characters of their top-4
    theirs_at_our_size: bool  # their ranking cut at the characters of our top-k
    ours_1000: bool  # 1,000 characters each: one chunk's reading cost
    theirs_1000: bool
    ours_chars: int
    theirs_chars: int


def score(
    question: EvalQuestion,
    ours: Sequence[Unit],
    theirs: Sequence[Unit],
    top_k: int,
    their_k: int,
    ours_locator: EvidenceLocator,
    theirs_locator: EvidenceLocator,
) -> QuestionResult:
    our_context = "\n".join(u.text for u in ours[:top_k])
    their_context = "\n".join(u.text for u in theirs[:their_k])
    return QuestionResult(
        ours_rank=first_hit(ours, question, ours_locator),
        theirs_rank=first_hit(theirs, question, theirs_locator),
        ours_context=answer_in(our_context, question),
        theirs_context=answer_in(their_context, question),
        ours_at_their_size=answer_in(within(ours, len(their_context)), question),
        theirs_at_our_size=answer_in(within(theirs, len(our_context)), question),
        ours_1000=answer_in(within(ours, 1000), question),
        theirs_1000=answer_in(within(theirs, 1000), question),
        ours_chars=len(our_context),
        theirs_chars=len(their_context),
    )


def summarise(results: Sequence[QuestionResult]) -> dict[str, float]:
    n = len(results) or 1

    def share(flags: Sequence[bool]) -> float:
        return round(sum(flags) / n, 4)

    out: dict[str, float] = {"n_answerable": len(results)}
    for side in ("ours", "theirs"):
        ranks = [getattr(r, f"{side}_rank") for r in results]
        for k in (1, 4, 5, 10):
            out[f"{side}_hit_at_{k}"] = share([r is not None and r <= k for r in ranks])
        out[f"{side}_mrr_at_10"] = round(sum(1 / r for r in ranks if r) / n, 4)
        out[f"{side}_answer_in_context"] = share([getattr(r, f"{side}_context") for r in results])
        out[f"{side}_answer_in_1000_chars"] = share([getattr(r, f"{side}_1000") for r in results])
        out[f"{side}_context_chars_mean"] = round(sum(getattr(r, f"{side}_chars") for r in results) / n, 1)
    out["ours_answer_in_context_at_their_size"] = share([r.ours_at_their_size for r in results])
    out["theirs_answer_in_context_at_our_size"] = share([r.theirs_at_our_size for r in results])
    return out
