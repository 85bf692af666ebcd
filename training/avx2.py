"""Does the int8 reader compute the same logits on every CPU? It does when its weights are 7-bit.

onnxruntime multiplies the reader's uint8 activations by its int8 weights. x86 CPUs with
VNNI (AVX-512 VNNI, AVX-VNNI) add every product exactly in int32. x86 CPUs without it (AVX2
only) use VPMADDUBSW, which first adds two neighbouring products into an int16 and saturates
there: 255 x 127 x 2 = 64,770 does not fit in 32,767. So an 8-bit reader answers differently
on those CPUs, and a margin fitted on one kind of CPU is wrong on the other. Weights within
[-64, 64] cannot overflow (255 x 64 x 2 = 32,640), whatever the CPU.

``python -m training.avx2 MODEL.onnx`` shows the difference on held-out sentences by
rewriting each integer matrix product into float operations twice: exact, and as VPMADDUBSW
computes it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# The largest |weight| for which no two uint8 x int8 products can overflow an int16.
SAFE_WEIGHT = 64


def largest_weight(model: Path) -> int:
    """The largest |int8 weight| any integer matrix product of ``model`` multiplies by."""
    graph = onnx.load(str(model)).graph
    weights = {i.name: i for i in graph.initializer}
    largest = 0
    for node in graph.node:
        if node.op_type == "MatMulInteger" and node.input[1] in weights:
            values = numpy_helper.to_array(weights[node.input[1]]).astype(np.int32)
            largest = max(largest, int(np.abs(values).max()))
    return largest


def emulated(model: Path, out: Path, saturate: bool) -> Path:
    """``model`` with every MatMulInteger as float operations: exact integer products, or
    neighbouring products summed and clipped to int16 first, as VPMADDUBSW does."""
    proto = onnx.load(str(model))
    graph = proto.graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    nodes, extra = [], []

    def constant(name: str, value: np.ndarray) -> str:
        extra.append(numpy_helper.from_array(value, name))
        return name

    for node in graph.node:
        if node.op_type != "MatMulInteger":
            nodes.append(node)
            continue
        a, b, a_zero, b_zero = node.input
        w = weights[b].astype(np.float32)
        if weights[b_zero].any():
            raise ValueError(f"{node.name}: only symmetric weights (zero point 0) are emulated")
        k = w.shape[0]
        p = node.name.replace("/", "_")
        nodes += [
            helper.make_node("Cast", [a], [f"{p}_a"], to=TensorProto.FLOAT),
            helper.make_node("Cast", [a_zero], [f"{p}_z"], to=TensorProto.FLOAT),
            # The activations' zero point comes off afterwards, through the weights' column sums.
            helper.make_node("Mul", [f"{p}_z", constant(f"{p}_colsum", w.sum(axis=0))], [f"{p}_shift"]),
        ]
        if not saturate:
            nodes.append(helper.make_node("MatMul", [f"{p}_a", constant(f"{p}_w", w)], [f"{p}_sum"]))
        else:
            pairs = constant(f"{p}_pairs", np.array([0, 0, k // 2, 2], dtype=np.int64))
            low, high = constant(f"{p}_lo", np.float32(-32768)), constant(f"{p}_hi", np.float32(32767))
            nodes += [
                helper.make_node("Reshape", [f"{p}_a", pairs], [f"{p}_a2"]),
                helper.make_node("Split", [f"{p}_a2"], [f"{p}_even", f"{p}_odd"], axis=3),
                # (..., k/2, 1) x (k/2, n): each pair of products side by side, then clipped.
                helper.make_node("Mul", [f"{p}_even", constant(f"{p}_w0", w[0::2])], [f"{p}_m0"]),
                helper.make_node("Mul", [f"{p}_odd", constant(f"{p}_w1", w[1::2])], [f"{p}_m1"]),
                helper.make_node("Add", [f"{p}_m0", f"{p}_m1"], [f"{p}_pair"]),
                helper.make_node("Clip", [f"{p}_pair", low, high], [f"{p}_clipped"]),
                helper.make_node(
                    "ReduceSum",
                    [f"{p}_clipped", constant(f"{p}_axis", np.array([2], dtype=np.int64))],
                    [f"{p}_sum"],
                    keepdims=0,
                ),
            ]
        nodes += [
            helper.make_node("Sub", [f"{p}_sum", f"{p}_shift"], [f"{p}_int"]),
            helper.make_node("Cast", [f"{p}_int"], [node.output[0]], to=TensorProto.INT32),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(extra)
    onnx.save(proto, str(out))
    return out


def main(argv: list[str] | None = None) -> None:
    from assistant.reader import ReaderModel, encode_pair

    from . import data

    parser = argparse.ArgumentParser(prog="python -m training.avx2", description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--pairs", type=int, default=100, help="held-out sentence pairs to compare")
    parser.add_argument("--work", type=Path, default=Path("build/avx2"))
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    exact = ReaderModel(emulated(args.model, args.work / "exact.onnx", saturate=False))
    avx2 = ReaderModel(emulated(args.model, args.work / "avx2.onnx", saturate=True))
    gaps = []
    for pair in data.held_out_pairs(data.TEST_ARTICLES)[: args.pairs]:
        encoded = encode_pair(pair.question, pair.previous, pair.sentence)
        logits = [model.logits(encoded) for model in (exact, avx2)]
        gaps.append(max(float(np.abs(x - y).max()) for x, y in zip(*logits, strict=True)))
    print(f"largest |weight|: {largest_weight(args.model)} (safe up to {SAFE_WEIGHT})")
    print(f"|exact - AVX2| logit gap, {len(gaps)} pairs: median {np.median(gaps):.4f}, max {max(gaps):.4f}")


if __name__ == "__main__":
    main()
