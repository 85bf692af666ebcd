"""Does each remaining rule earn its place? Ablations on held-out articles, end to end.

    .venv/bin/python -m training.ablation

Every question of the calibration and test articles is retrieved and its top sentences are
read once, unfiltered; each variant (which evidence filter, how many sentences read) then
picks its candidates from those reads, gets its own margin and weight fitted on the
calibration articles, and is scored on the test articles. Prints a markdown table.
"""

from __future__ import annotations

import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

from assistant.answer import Candidate, ReaderAnswerer, names_and_numbers_near, supports
from assistant.question import analyze
from assistant.reader import ReaderModel

from . import data
from .calibrate import Read, articles_store, fit, scores

DEPTH = 10


@dataclass(frozen=True)
class Flagged:
    answers: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    near: tuple[bool, ...]
    """names_and_numbers_near, per candidate"""
    supported: tuple[bool, ...]


def read_deep(model: Path, articles: tuple[str, ...], work: Path) -> list[Flagged]:
    reader = ReaderAnswerer(
        ReaderModel(model, threads=2), margin=0.0, retrieval_weight=0.0, passages=DEPTH, evidence=None
    )
    out = []
    with articles_store(articles, work, reader) as (bot, questions):
        for q in questions:
            question = analyze(q["question"])
            candidates = reader.candidates(question, bot.retriever.retrieve(question, DEPTH), bot.lexical)
            out.append(
                Flagged(
                    tuple(q["answers"]),
                    tuple(candidates),
                    tuple(names_and_numbers_near(question, c.passage, bot.lexical) for c in candidates),
                    tuple(supports(question, c.passage, bot.lexical) for c in candidates),
                )
            )
    return out


def variant(reads: list[Flagged], evidence: str, passages: int) -> list[Read]:
    out = []
    for r in reads:
        keep = [
            c
            for c, n, s in zip(r.candidates, r.near, r.supported, strict=True)
            if evidence == "none" or (evidence == "names+numbers" and n) or (evidence == "supports" and s)
        ]
        out.append(Read(r.answers, tuple(keep[:passages])))
    return out


def main() -> None:
    from .reader import RESOURCES

    work = Path("build/reader")
    saved = work / "ablation-reads.pickle"
    if "--reuse" in sys.argv and saved.exists():
        with saved.open("rb") as f:
            reads = pickle.load(f)
        calibration, test = reads["calibration"], reads["test"]
    else:
        calibration = read_deep(RESOURCES / "reader.onnx", data.CALIBRATION_ARTICLES, work)
        test = read_deep(RESOURCES / "reader.onnx", data.TEST_ARTICLES, work)
        with saved.open("wb") as f:
            pickle.dump({"calibration": calibration, "test": test}, f)
    print()
    print(
        "| evidence filter | sentences read | margin | weight | SQuAD 2.0 F1 (all) | answer F1 (answerable) "
        "| refusal acc. | false refusals |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for evidence in ("none", "names+numbers", "supports"):
        for passages in (2, 4, 6, 8):
            margin, weight = fit(variant(calibration, evidence, passages))
            s = scores(variant(test, evidence, passages), margin, weight)
            print(
                f"| {evidence} | {passages} | {margin:.2f} | {weight:g} | {s['f1']:.3f} "
                f"| {s['answerable_f1']:.3f} "
                f"| {s['refusal_accuracy']:.3f} | {s['false_refusal_rate']:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
