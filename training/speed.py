"""How many examples per second the reader's training step runs, per batch size and length limit.

    python -m training.speed                       # the settings in training/RESEARCH.md
    python -m training.speed --batch-sizes 32 --limits 160,96 --seconds 60

The step is ``training/reader.py``'s (the shipped model and optimiser, bf16 autocast unless
``--precision fp32``), timed on a seeded draw of the shipped mix after a few warm-up steps. A
length limit leaves out the pairs longer than it, so it shows what reading fewer tokens saves.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np
import torch

from .reader import Features, Recipe, batches, featurize, fresh_model, recipe_pairs, train_step

WARMUP_STEPS = 5


def examples_per_second(
    features: list[Features], batch_size: int, limit: int, seconds: float, bf16: bool
) -> float:
    torch.manual_seed(Recipe.seed)
    model, params, optimizer = fresh_model(Recipe())
    kept = [f for f in features if len(f.ids) <= limit]
    seen, started = 0, 0.0
    for step, batch in enumerate(batches(kept, batch_size, random.Random(1)), start=1):
        train_step(model, batch, params, optimizer, bf16)
        if step == WARMUP_STEPS:
            started = time.perf_counter()
        elif step > WARMUP_STEPS:
            seen += len(batch)
            if time.perf_counter() - started > seconds:
                break
    return seen / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-sizes", default="32,64,128")
    parser.add_argument(
        "--limits", default="160,96,64", help="token limits (the first is tried at every batch size)"
    )
    parser.add_argument("--pairs", type=int, default=12_000, help="how many pairs of the mix to draw")
    parser.add_argument("--seconds", type=float, default=100.0, help="timed seconds per setting")
    parser.add_argument("--precision", choices=("bf16", "fp32"), default="bf16")
    parser.add_argument("--threads", type=int, default=Recipe.threads)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    pairs = recipe_pairs(Recipe())
    random.Random(Recipe.seed).shuffle(pairs)
    features = [f for f in map(featurize, pairs[: args.pairs]) if f is not None]
    lengths = np.array([len(f.ids) for f in features])
    p50, p90, p99 = np.percentile(lengths, [50, 90, 99])
    print(
        f"tokens per pair: median {p50:.0f}, 90th percentile {p90:.0f}, 99th {p99:.0f}, max {lengths.max()}"
    )
    sizes = [int(s) for s in args.batch_sizes.split(",")]
    limits = [int(x) for x in args.limits.split(",")]
    settings = [(size, limits[0]) for size in sizes] + [(sizes[0], limit) for limit in limits[1:]]
    for size, limit in settings:
        share = float(np.mean(lengths <= limit))
        rate = examples_per_second(features, size, limit, args.seconds, args.precision == "bf16")
        print(
            f"batch {size:3d}, pairs up to {limit:3d} tokens ({share:.1%} of them): {rate:.1f} examples/s",
            flush=True,
        )


if __name__ == "__main__":
    main()
