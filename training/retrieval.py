"""Fit the weights of retrieval's three signals on training articles; report held-out ones.

    python -m training.retrieval

Retrieval ranks each candidate sentence by ``dense * cosine + lexical * BM25 / best BM25 +
coverage * idf-weighted share of the question's terms``. The weights are fitted here: on
the squad2_dev articles the reader trains on, the ones that put a question's answer sentence
among the sentences the reader reads (``reader_passages``) most often, MRR breaking ties. The
test articles are then scored once with them. Each article set is its own store, as a user's
corpus would be.
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant import Settings
from assistant.question import analyze
from assistant.retrieval import WEIGHT_COVERAGE, WEIGHT_DENSE, WEIGHT_LEXICAL
from assistant.types import ScoredSentence

from . import data
from .calibrate import articles_store

STEP = 0.05
READ = Settings().reader_passages


@dataclass(frozen=True)
class Ranked:
    """One question's candidates: their signals, and which one holds the answer (or -1)."""

    signals: np.ndarray  # candidates x (dense, normalised BM25, coverage)
    gold: int


def _signals(passages: list[ScoredSentence]) -> np.ndarray:
    best_lexical = max((p.lexical for p in passages), default=0.0) or 1.0
    return np.array([(p.dense, p.lexical / best_lexical, p.coverage) for p in passages]).reshape(-1, 3)


def rank_articles(
    articles: tuple[str, ...], paragraphs: dict[str, data.Paragraph], work: Path
) -> list[Ranked]:
    """Every answerable question of ``articles``, with all its retrieval candidates."""
    out = []
    with articles_store(articles, work, answerer=None) as (bot, questions):
        for q in questions:
            if not q["answerable"]:
                continue
            paragraph = paragraphs[q["context_doc_id"]]
            start = q["answer_start"]
            holding = [i for i, (s, e) in enumerate(paragraph.sentences) if s <= start < e]
            passages = bot.retriever.retrieve(analyze(q["question"]), 1000)
            gold = next(
                (
                    k
                    for k, p in enumerate(passages)
                    if p.sentence.doc_id == paragraph.doc_id and p.sentence.index in holding
                ),
                -1,
            )
            out.append(Ranked(_signals(passages), gold))
    return out


def measure(ranked: list[Ranked], weights: tuple[float, float, float]) -> dict[str, float]:
    """hit@READ (the answer sentence is among those the reader reads) and MRR@10."""
    w = np.array(weights)
    hits, reciprocal = [], []
    for r in ranked:
        if r.gold < 0:
            hits.append(0.0)
            reciprocal.append(0.0)
            continue
        scores = r.signals @ w
        # Ties go against the answer: a weight that cannot tell sentences apart earns nothing.
        rank = int((scores >= scores[r.gold]).sum())
        hits.append(float(rank <= READ))
        reciprocal.append(1.0 / rank if rank <= 10 else 0.0)
    return {
        "questions": len(ranked),
        f"hit@{READ}": round(float(np.mean(hits)), 4),
        "mrr@10": round(float(np.mean(reciprocal)), 4),
    }


def fit(ranked: list[Ranked]) -> tuple[float, float, float]:
    steps = round(1 / STEP)
    grid = [
        (d * STEP, lex * STEP, (steps - d - lex) * STEP)
        for d, lex in itertools.product(range(steps + 1), repeat=2)
        if d + lex <= steps
    ]
    measured = {w: measure(ranked, w) for w in grid}
    best = max(grid, key=lambda w: (measured[w][f"hit@{READ}"], measured[w]["mrr@10"]))
    return (round(best[0], 2), round(best[1], 2), round(best[2], 2))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m training.retrieval", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--work", type=Path, default=Path("build/retrieval"), help="scratch folder")
    args = parser.parse_args(argv)
    held_out = data.TEST_ARTICLES + data.CALIBRATION_ARTICLES
    paragraphs = data.load_paragraphs(data.SQUAD2)  # segmenting them takes seconds: once
    training = tuple(sorted({p.article for p in paragraphs.values()} - set(held_out)))
    train_ranked = rank_articles(training, paragraphs, args.work)
    test_ranked = rank_articles(data.TEST_ARTICLES, paragraphs, args.work)
    weights = fit(train_ranked)
    current = (WEIGHT_DENSE, WEIGHT_LEXICAL, WEIGHT_COVERAGE)
    report = {
        "weights (dense, lexical, coverage)": {"current": current, "fitted": weights},
        "training articles (fitted here)": {
            "articles": len(training),
            "current": measure(train_ranked, current),
            "fitted": measure(train_ranked, weights),
        },
        "test articles (held out)": {
            "articles": list(data.TEST_ARTICLES),
            "current": measure(test_ranked, current),
            "fitted": measure(test_ranked, weights),
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
