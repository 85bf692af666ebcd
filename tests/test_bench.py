"""Smoke test: the benchmark runs end to end on corpus/ (``--quick``), so its code does not rot.

Timing belongs to the benchmark (``python -m bench``); nothing here asserts a duration or a score.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("langchain_text_splitters")
pytest.importorskip("psutil")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is not an installed package; `python -m pytest` adds the cwd
    sys.path.insert(0, str(ROOT))


@pytest.mark.bench
def test_quick_benchmark_writes_tables_and_plots(tmp_path: Path) -> None:
    out, cache = tmp_path / "results", tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out), "--cache", str(cache)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ("latest.md", "latest.json", "latency_vs_size.png", "quality_per_dataset.png"):
        assert (out / name).stat().st_size > 0, name
    results = json.loads((out / "latest.json").read_text())
    assert results["machine"]["cores_logical"] >= 1
    seed = results["quality"][0]
    assert seed["name"] == "seed"
    assert 0.0 <= seed["retrieval"]["ours_hit_at_5"] <= 1.0
    assert 0.0 <= seed["retrieval"]["theirs_hit_at_4"] <= 1.0
    assert seed["answers"]["n"] == seed["questions"]
    assert [p["size"] for p in results["scale"]] == [100, 300]
    assert results["scale"][-1]["ours_peak_rss_mb"] > 0
    markdown = (out / "latest.md").read_text()
    for heading in ("## Targets", "## Quality per data set", "## Ingestion", "## Speed and memory"):
        assert heading in markdown


@pytest.mark.bench
def test_hit_needs_half_of_the_evidence_span() -> None:
    from assistant.evaluation import EvalQuestion, Evidence
    from bench.quality import EvidenceLocator, Unit, first_hit

    document = "First sentence here. The answer sentence is this one. Last one."
    evidence = "The answer sentence is this one."
    at = document.find(evidence)
    question = EvalQuestion("q", "?", ("answer",), True, (Evidence(evidence, "d"),))
    locator = EvidenceLocator({"d": document}.get)
    half = Unit("d", at, at + len(evidence) // 2, document[at : at + len(evidence) // 2])
    too_little = Unit("d", at, at + 5, document[at : at + 5])
    other_doc = Unit("e", at, at + len(evidence), evidence)
    assert first_hit([too_little, half], question, locator) == 2
    assert first_hit([other_doc, too_little], question, locator) is None
