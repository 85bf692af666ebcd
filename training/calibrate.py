"""Fit the reader's no-answer margin and retrieval weight end to end, and measure held-out articles.

End to end means as the product answers: the articles' paragraphs are ingested into a real
store, each question is retrieved against them, and the reader reads the top sentences.
The margin and weight are chosen on the calibration parts only: the squad2_dev calibration
articles and the SQuADShifts calibration parts (at most 15% of the answerable questions of
each refused, then as many of squad2_dev's unanswerable ones refused as possible). The test
articles and the SQuADShifts test parts are then scored once with them.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant import Assistant, Settings
from assistant.answer import FIRST_ROUND, Candidate, ReaderAnswerer, names_and_numbers_near, settles
from assistant.evaluation import exact_match, f1_score
from assistant.question import analyze
from assistant.reader import ReaderModel
from assistant.types import Document

from . import data

RETRIEVAL_WEIGHTS = (0.0, 2.0, 4.0, 8.0, 16.0, 32.0)
# The operating point: a user asking what the documents do say should rarely be refused, on
# Wikipedia, reviews or forum posts alike; within that, refuse as many questions the documents
# cannot answer as the reader can tell apart.
MAX_FALSE_REFUSALS = 0.15
# Questions read from each SQuADShifts part (drawn with SAMPLE_SEED): a false-refusal rate of
# 0.15 measured on 500 questions is within about 1.6 points.
SHIFTS_SAMPLE = {"calibration": 400, "test": 500}
SAMPLE_SEED = 28
# Where the first round's answer may stand without reading the rest (see ReaderAnswerer).
SETTLED_SCORES = tuple(float(t) for t in np.arange(2.0, 12.01, 0.5))
# As many as the product reads by default: the fitted margin is for that many candidates.
PASSAGES_READ = Settings().reader_passages


@dataclass(frozen=True)
class Read:
    answers: tuple[str, ...]
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class Part:
    """Held-out questions read end to end: some articles of one set, all in one store;
    ``sample`` questions of them drawn with SAMPLE_SEED (None: every question)."""

    name: str
    folder: Path
    articles: tuple[str, ...]
    sample: int | None = None


def shifts_parts(split: str) -> list[Part]:
    """The SQuADShifts ``split`` ("calibration" or "test") of each set: never trained on."""
    return [
        Part(f"squadshifts_{name}", folder, data.shifts_split(folder)[split], SHIFTS_SAMPLE[split])
        for name, folder in data.SHIFTS.items()
    ]


def store_path(work: Path, folder: Path, articles: tuple[str, ...]) -> Path:
    """A folder of its own for each set of articles. Named by a digest of the articles: Chroma
    cannot reopen a path it removed in this process, and a prefix of the names is not unique
    ("Reddit_post_0001", "Reddit_post_0002")."""
    digest = hashlib.sha256("\n".join(articles).encode()).hexdigest()[:12]
    return work / f"store-{folder.name}-{digest}"


@contextmanager
def articles_store(
    articles: tuple[str, ...],
    work: Path,
    answerer: ReaderAnswerer | None,
    folder: Path = data.SQUAD2,
    sample: int | None = None,
) -> Iterator[tuple[Assistant, list[dict]]]:
    """A fresh store holding the paragraphs of ``articles`` (of ``folder``), and their questions."""
    chosen = set(articles)
    store = store_path(work, folder, articles)
    shutil.rmtree(store, ignore_errors=True)
    questions = [q for q in data.load_questions(folder) if data.article_of(q["context_doc_id"]) in chosen]
    if sample is not None and sample < len(questions):
        questions = random.Random(SAMPLE_SEED).sample(questions, sample)
    # Raw paragraphs, not data.load_paragraphs: the store segments them itself.
    documents = [
        Document(doc["doc_id"], data.article_of(doc["doc_id"]).replace("_", " "), doc["text"])
        for doc in data.load_documents(folder)
        if data.article_of(doc["doc_id"]) in chosen
    ]
    try:
        with Assistant.open(store, collection="calibration", answerer=answerer) as bot:
            bot.ingest_documents(documents)
            yield bot, questions
    finally:
        shutil.rmtree(store, ignore_errors=True)


def read_articles(
    model: ReaderModel,
    articles: tuple[str, ...],
    work: Path,
    folder: Path = data.SQUAD2,
    sample: int | None = None,
) -> list[Read]:
    """Every question of ``articles`` (or ``sample`` of them), retrieved and read: every
    sentence (no early stop), candidates in reading order, unthresholded."""
    reader = ReaderAnswerer(
        model,
        margin=0.0,
        retrieval_weight=0.0,
        passages=PASSAGES_READ,
        evidence=names_and_numbers_near,
    )
    out = []
    with articles_store(articles, work, reader, folder, sample) as (bot, questions):
        for q in questions:
            analysed = analyze(q["question"])
            passages = bot.retriever.retrieve(analysed, 10)
            out.append(Read(tuple(q["answers"]), tuple(reader.candidates(analysed, passages, bot.lexical))))
    return out


def _outcomes(reads: list[Read], weight: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per question: best score, F1 and EM if answered, and whether it is answerable."""
    best, f1, em, answerable = [], [], [], []
    for r in reads:
        top = max(r.candidates, key=lambda c: c.score(weight), default=None)
        best.append(top.score(weight) if top else -np.inf)
        text = top.text if top else ""
        f1.append(max((f1_score(text, a) for a in r.answers), default=0.0))
        em.append(max((exact_match(text, a) for a in r.answers), default=0.0))
        answerable.append(bool(r.answers))
    return np.array(best), np.array(f1), np.array(em), np.array(answerable)


def _summary(outcomes: tuple[np.ndarray, ...], margin: float) -> dict[str, float]:
    best, f1, em, answerable = outcomes
    answered = best >= margin
    per_f1 = np.where(answered, np.where(answerable, f1, 0.0), (~answerable).astype(float))
    per_em = np.where(answered, np.where(answerable, em, 0.0), (~answerable).astype(float))
    return {
        "questions": len(best),
        "f1": round(float(per_f1.mean()), 4),
        "em": round(float(per_em.mean()), 4),
        "answerable_f1": round(float(per_f1[answerable].mean()), 4),
        "refusal_accuracy": round(float((~answered[~answerable]).mean()), 4) if (~answerable).any() else 1.0,
        "false_refusal_rate": round(float((~answered[answerable]).mean()), 4),
    }


def scores(reads: list[Read], margin: float, weight: float) -> dict[str, float]:
    return _summary(_outcomes(reads, weight), margin)


def settle(reads: list[Read], settled: float | None, weight: float) -> list[Read]:
    """``reads`` as the answerer reads them when it stops after the first round at ``settled``
    (None: it never stops early)."""
    if settled is None:
        return reads
    out = []
    for r in reads:
        first = tuple(c for c in r.candidates if c.position < FIRST_ROUND)
        stops = len(first) < len(r.candidates) and settles(first, weight, settled)
        out.append(Read(r.answers, first) if stops else r)
    return out


def fit_settled(reads: list[Read], margin: float, weight: float) -> float | None:
    """The lowest score at which the first round's answer stands with calibration F1 no
    lower than reading every sentence; None when there is none."""
    full = scores(reads, margin, weight)["f1"]
    for settled in SETTLED_SCORES:
        if scores(settle(reads, settled, weight), margin, weight)["f1"] >= full:
            return settled
    return None


def left_unread(settled_reads: list[Read], reads: list[Read]) -> float:
    """The share of questions whose later sentences ``settle`` left unread."""
    return round(sum(s is not r for s, r in zip(settled_reads, reads, strict=True)) / len(reads), 4)


def _answering_margin(best: np.ndarray, answerable: np.ndarray) -> float:
    """The highest margin that still answers 1 - MAX_FALSE_REFUSALS of the answerable questions."""
    return float(np.quantile(best[answerable], MAX_FALSE_REFUSALS, method="lower"))


def fit(reads: list[Read], answerable_parts: Sequence[list[Read]] = ()) -> tuple[float, float]:
    """The (margin, retrieval weight) that refuses the most unanswerable questions of ``reads``
    while refusing at most MAX_FALSE_REFUSALS of the answerable ones of ``reads`` and of each of
    ``answerable_parts`` (ties: higher F1)."""
    chosen: tuple[float, float, float, float] | None = None
    for weight in RETRIEVAL_WEIGHTS:
        best, f1, _, answerable = _outcomes(reads, weight)
        # Every part keeps its false refusals under the bound: one that reads worse (reviews,
        # forum posts) must not be refused more.
        margin = _answering_margin(best, answerable)
        for part in answerable_parts:
            part_best, _, _, part_answerable = _outcomes(part, weight)
            margin = min(margin, _answering_margin(part_best, part_answerable))
        summary = _summary((best, f1, f1, answerable), margin)
        key = (summary["refusal_accuracy"], summary["answerable_f1"])
        if chosen is None or key > chosen[:2]:
            chosen = (*key, margin, weight)
    assert chosen is not None
    return round(chosen[2], 4), chosen[3]


def read_part(model: ReaderModel, part: Part, work: Path) -> list[Read]:
    return read_articles(model, part.articles, work, part.folder, part.sample)


def calibration_articles(trained_on: Sequence[str]) -> tuple[str, ...]:
    """The calibration articles less any the model trained on (a reader made before the
    calibration set grew trained on some): a margin fitted on training text would be too bold."""
    return tuple(a for a in data.CALIBRATION_ARTICLES if a not in set(trained_on))


def calibrate(
    model: ReaderModel, work: Path, trained_on: Sequence[str] = ()
) -> tuple[float, float, float | None, dict]:
    articles = calibration_articles(trained_on)
    reads = read_articles(model, articles, work)
    shifts = {part.name: read_part(model, part, work) for part in shifts_parts("calibration")}
    margin, weight = fit(reads, list(shifts.values()))
    everything = reads + [r for part in shifts.values() for r in part]
    settled = fit_settled(everything, margin, weight)
    stopped = settle(reads, settled, weight)
    return (
        margin,
        weight,
        settled,
        {
            "articles": list(articles),
            "squadshifts_parts (tuning data)": {
                name: scores(settle(part, settled, weight), margin, weight) for name, part in shifts.items()
            },
            "passages_read": PASSAGES_READ,
            "retrieval_weights_tried": list(RETRIEVAL_WEIGHTS),
            "settled_scores_tried": f"{SETTLED_SCORES[0]} to {SETTLED_SCORES[-1]} in steps of 0.5",
            "scores_at_fitted_values (tuning data)": scores(stopped, margin, weight),
            "later_sentences_left_unread": left_unread(stopped, reads),
        },
    )


def evaluate_shifts(
    model: ReaderModel, margin: float, weight: float, settled: float | None, work: Path
) -> dict[str, dict]:
    """The SQuADShifts test parts (answerable questions on text never trained or tuned on)."""
    out = {}
    for part in shifts_parts("test"):
        reads = read_part(model, part, work)
        out[part.name] = {
            "articles": len(part.articles),
            **scores(settle(reads, settled, weight), margin, weight),
        }
    return out


def evaluate(model: ReaderModel, margin: float, weight: float, settled: float | None, work: Path) -> dict:
    reads = read_articles(model, data.TEST_ARTICLES, work)
    stopped = settle(reads, settled, weight)
    return {
        "articles": list(data.TEST_ARTICLES),
        "corpus": "the test articles' paragraphs only",
        **scores(stopped, margin, weight),
        "later_sentences_left_unread": left_unread(stopped, reads),
        "f1_reading_every_sentence": scores(reads, margin, weight)["f1"],
    }


def update_card(model: Path, card_path: Path, work: Path, trained_on: list[str]) -> dict:
    """Fit the margin, weight and settled score for the answerer as it is now, score the
    test articles, and write them into the card. Rerun (``python -m training.calibrate``)
    whenever the way answers are chosen changes; the model itself stays as trained."""
    reader = ReaderModel(model, threads=2)
    margin, weight, settled, calibration = calibrate(reader, work, trained_on)
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {}
    card |= {
        "no_answer_margin": margin,
        "retrieval_weight": weight,
        "settled_score": settled,
        "trained_on_articles": trained_on,
        # Every article the margin was fitted on, so that the evaluator labels questions from
        # the SQuADShifts calibration parts as tuning data too.
        "tuned_on_articles": list(calibration_articles(trained_on))
        + [a for part in shifts_parts("calibration") for a in part.articles],
        "calibration": calibration,
        "end_to_end_on_test_articles": evaluate(reader, margin, weight, settled, work),
        "end_to_end_on_squadshifts_test_parts (never trained or tuned on)": evaluate_shifts(
            reader, margin, weight, settled, work
        ),
    }
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def main(argv: list[str] | None = None) -> None:
    import argparse

    from .reader import RESOURCES

    parser = argparse.ArgumentParser(
        prog="python -m training.calibrate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--model", type=Path, default=RESOURCES / "reader.onnx", help="reader to calibrate")
    parser.add_argument("--card", type=Path, help="its card, updated in place (default: beside the model)")
    parser.add_argument("--work", type=Path, default=Path("build/reader"), help="scratch folder")
    args = parser.parse_args(argv)
    card_path = args.card or args.model.with_name(args.model.stem + ".card.json")
    trained_on = json.loads(card_path.read_text(encoding="utf-8")).get("trained_on_articles")
    if trained_on is None:
        raise SystemExit(f"{card_path} names no trained_on_articles: calibration cannot keep clear of them")
    card = update_card(args.model, card_path, args.work, trained_on)
    print(
        json.dumps(
            {
                k: card[k]
                for k in (
                    "no_answer_margin",
                    "retrieval_weight",
                    "settled_score",
                    "calibration",
                    "end_to_end_on_test_articles",
                    "end_to_end_on_squadshifts_test_parts (never trained or tuned on)",
                )
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
