"""Is reader B better than reader A, or is the difference article noise? Article by article.

    .venv/bin/python -m training.compare A.onnx B.onnx

Each model is read with the margin, weight and settled score of its own card (the ``.card.json``
beside it, or ``--card-a`` / ``--card-b``). Every calibration and test article gets its own
store, and each model is scored on each article end to end, as ``training.calibrate`` scores
them. A model may only be compared on articles it never trained on (its card's
``trained_on_articles``).

One change to the reader moves single articles by several F1 points either way, so a mean over
three articles says little. This prints each article's difference, then per split the mean
difference and a 90% interval from resampling articles (seeded), so a decision can ask whether
the interval stays above zero.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path

from . import data
from .calibrate import read_articles, scores, settle

RESAMPLES = 10_000
SEED = 13


@dataclass(frozen=True)
class Reader:
    model: Path
    margin: float
    weight: float
    settled: float | None
    trained_on: frozenset[str]

    @classmethod
    def load(cls, model: Path, card: Path | None) -> Reader:
        card_path = card or model.with_name(model.stem + ".card.json")
        if not card_path.exists():
            raise SystemExit(f"{model}: no card at {card_path}; pass it with --card-a / --card-b")
        fitted = json.loads(card_path.read_text(encoding="utf-8"))
        return cls(
            model,
            fitted["no_answer_margin"],
            fitted["retrieval_weight"],
            fitted["settled_score"],
            frozenset(fitted.get("trained_on_articles", ())),
        )

    def f1(self, article: str, work: Path) -> tuple[int, float]:
        reads = read_articles(self.model, (article,), work)
        scored = scores(settle(reads, self.settled, self.weight), self.margin, self.weight)
        return scored["questions"], scored["f1"]


def interval(differences: list[float]) -> tuple[float, float]:
    """The 5th and 95th percentiles of the mean difference over articles drawn with replacement."""
    rng = random.Random(SEED)
    means = sorted(
        sum(rng.choices(differences, k=len(differences))) / len(differences) for _ in range(RESAMPLES)
    )
    return means[int(0.05 * RESAMPLES)], means[int(0.95 * RESAMPLES) - 1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="reader A (.onnx)")
    parser.add_argument("b", type=Path, help="reader B (.onnx)")
    parser.add_argument("--card-a", type=Path)
    parser.add_argument("--card-b", type=Path)
    parser.add_argument("--work", type=Path, default=Path("build/compare"), help="scratch folder")
    args = parser.parse_args(argv)
    readers = {"A": Reader.load(args.a, args.card_a), "B": Reader.load(args.b, args.card_b)}
    splits = {"calibration": data.CALIBRATION_ARTICLES, "test": data.TEST_ARTICLES}
    for name, reader in readers.items():
        seen = reader.trained_on & set(data.CALIBRATION_ARTICLES + data.TEST_ARTICLES)
        if seen:
            raise SystemExit(f"reader {name} trained on {sorted(seen)}: it cannot be compared on them")

    print("| split | article | questions | A F1 | B F1 | B − A |\n|---|---|---|---|---|---|")
    differences: dict[str, list[float]] = {split: [] for split in splits}
    for split, articles in splits.items():
        for article in articles:
            # A separate folder per model: Chroma cannot reopen a path it removed in this process.
            n, a = readers["A"].f1(article, args.work / "A")
            _, b = readers["B"].f1(article, args.work / "B")
            differences[split].append(b - a)
            print(f"| {split} | {article} | {n} | {a:.3f} | {b:.3f} | {b - a:+.3f} |", flush=True)
    for split, diffs in differences.items():
        low, high = interval(diffs)
        mean = sum(diffs) / len(diffs)
        print(f"\n{split}: mean B − A {mean:+.3f} over {len(diffs)} articles,", end=" ")
        print(f"90% interval [{low:+.3f}, {high:+.3f}]")


if __name__ == "__main__":
    main()
