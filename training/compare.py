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

from assistant.reader import ReaderModel

from . import data
from .calibrate import read_articles, scores, settle

RESAMPLES = 10_000
SEED = 13


@dataclass(frozen=True)
class Reader:
    model: ReaderModel
    margin: float
    weight: float
    settled: float | None

    @classmethod
    def load(cls, model: Path, card: dict) -> Reader:
        return cls(
            ReaderModel(model, threads=2),
            card["no_answer_margin"],
            card["retrieval_weight"],
            card["settled_score"],
        )

    def f1(self, article: str, work: Path) -> tuple[int, float]:
        reads = read_articles(self.model, (article,), work)
        scored = scores(settle(reads, self.settled, self.weight), self.margin, self.weight)
        return scored["questions"], scored["f1"]


def held_out_card(name: str, model: Path, card: Path | None) -> dict:
    """The card beside ``model`` (or ``card``); refused when the model trained on a compared article."""
    card_path = card or model.with_name(model.stem + ".card.json")
    if not card_path.exists():
        raise SystemExit(f"{model}: no card at {card_path}; pass it with --card-a / --card-b")
    fitted = json.loads(card_path.read_text(encoding="utf-8"))
    compared = set(data.CALIBRATION_ARTICLES + data.TEST_ARTICLES)
    seen = set(fitted.get("trained_on_articles", ())) & compared
    if seen:
        raise SystemExit(f"reader {name} trained on {sorted(seen)}: it cannot be compared on them")
    return fitted


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
    # Both cards are checked before either model is loaded.
    cards = {"A": held_out_card("A", args.a, args.card_a), "B": held_out_card("B", args.b, args.card_b)}
    readers = {"A": Reader.load(args.a, cards["A"]), "B": Reader.load(args.b, cards["B"])}
    splits = {"calibration": data.CALIBRATION_ARTICLES, "test": data.TEST_ARTICLES}

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
