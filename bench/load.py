"""Data-safety and scale figures: one large file through `assistant ingest`, and many users at once.

- ``large_file``: a text file of N MB made of shared-set documents goes through the real CLI
  in a fresh process (wall time, peak RSS); the bare model embeds a seeded sample of the same
  sentences for its sentences/s (embedding time is linear in the sentences).
- ``ui_load``: the real app with a blank local LLM endpoint; 20 sessions ask through
  gradio_client at once, first all offline-answered, then again while one session's LLM answer
  trickles for 8 s. p50/p95 of the 19 others' answer times, both ways.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from assistant.embeddings import MiniLMEmbedder
from assistant.segment import split_sentences
from assistant.testing import BlankLLMServer
from assistant.types import Document

from .measure import fresh, percentiles, run_timed

ROOT = Path(__file__).resolve().parents[1]
RAW_SAMPLE = 5_000  # sentences the bare model embeds for its speed
SLOW_S = 8.0
SLOW_QUESTION = "Who proposed 30,000 troops to Washington?"
LOAD_QUESTIONS = ["Who proposed 30,000 troops?", "Who is the US Defense Secretary?", "Which radio station?"]


def distinct_text(documents: list[Document], megabytes: float) -> str:
    """About ``megabytes`` of text in which no sentence repeats: a repeated one would come from
    the embedding cache and flatter our speed. The shared sets hold under 2 MB of distinct
    text, so after one pass every further pass rotates the words of each sentence by the pass
    number: the same words and tokens (the embedder's cost), in new strings."""
    target, parts, size = int(megabytes * 1e6), [], 0
    texts = list(dict.fromkeys(d.text for d in documents))
    for rotation in range(1_000):
        for text in texts:
            if size >= target:
                return "\n\n".join(parts)
            if rotation:
                text = " ".join(_rotated(text[s:e].split(), rotation) for s, e in split_sentences(text))
            parts.append(text)
            size += len(text.encode()) + 2
    return "\n\n".join(parts)


def _rotated(words: list[str], by: int) -> str:
    by %= max(len(words), 1)
    return " ".join(words[by:] + words[:by])


def large_file(
    documents: list[Document], megabytes: float, model: MiniLMEmbedder, work: Path
) -> dict[str, Any]:
    directory = fresh(work / "large-file")
    path = directory / "large.txt"
    text = distinct_text(documents, megabytes)
    path.write_text(text, encoding="utf-8")
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(directory / "data"), "ASSISTANT_MAX_FILE_MB": "1000"}
    seconds, peak_mb, out = run_timed([sys.executable, "-m", "assistant.cli", "ingest", str(path)], env)
    sentences = [text[s:e] for s, e in split_sentences(text)]
    sample = random.Random(3).sample(sentences, min(RAW_SAMPLE, len(sentences)))
    model.embed(sample[:32])
    started = time.perf_counter()
    model.embed(sample)
    raw_sps = len(sample) / (time.perf_counter() - started)
    one_thread = MiniLMEmbedder(threads=1)  # the question-time setting, for reference
    one_thread.embed(sample[:32])
    started = time.perf_counter()
    one_thread.embed(sample)
    raw_one_thread_sps = len(sample) / (time.perf_counter() - started)
    ours_sps = len(sentences) / seconds
    return {
        "megabytes": round(len(text.encode()) / 1e6, 2),
        "sentences": len(sentences),
        "ours_s": round(seconds, 1),
        "ours_sentences_per_s": round(ours_sps, 1),
        "raw_sentences_per_s": round(raw_sps, 1),
        "ours_vs_raw": round(ours_sps / raw_sps, 3),
        "raw_one_thread_sentences_per_s": round(raw_one_thread_sps, 1),
        "ours_vs_raw_one_thread": round(ours_sps / raw_one_thread_sps, 3),
        "peak_rss_mb": round(peak_mb),
        "cli_summary": out.strip().splitlines()[-1] if out.strip() else "",
    }


def ui_load(work: Path, sessions: int = 20) -> dict[str, Any]:
    from gradio_client import Client

    directory = fresh(work / "ui-load")
    with BlankLLMServer(SLOW_QUESTION, SLOW_S) as llm:
        port = _free_port()
        env = {
            **os.environ,
            "ASSISTANT_DATA_DIR": str(directory / "data"),
            "ASSISTANT_BACKEND": "openai",
            "ASSISTANT_OPENAI_BASE_URL": llm.url,
            "ASSISTANT_LLM_MODEL": "blank",
            "GRADIO_ANALYTICS_ENABLED": "False",
        }
        app = subprocess.Popen(
            [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            _wait(url)
            clients = [Client(url, verbose=False) for _ in range(sessions)]
            clients[0].predict(LOAD_QUESTIONS[0], api_name="/ask")  # warm

            def ask(i: int, question: str) -> float:
                started = time.perf_counter()
                clients[i].predict(question, api_name="/ask")
                return (time.perf_counter() - started) * 1000

            with ThreadPoolExecutor(sessions) as pool:
                alone = list(pool.map(ask, range(1, sessions), _questions(sessions - 1)))
                slow = pool.submit(ask, 0, SLOW_QUESTION)
                time.sleep(1.0)
                beside = list(pool.map(ask, range(1, sessions), _questions(sessions - 1)))
                slow_ms = slow.result()
        finally:
            app.terminate()
            app.wait(timeout=30)
    return {
        "sessions": sessions,
        "answer_ms_without_slow_stream": percentiles(alone),
        "answer_ms_beside_slow_stream": percentiles(beside),
        "slow_stream_ms": round(slow_ms),
    }


def _questions(n: int) -> list[str]:
    return [LOAD_QUESTIONS[i % len(LOAD_QUESTIONS)] for i in range(n)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the app did not come up at {url}")


if __name__ == "__main__":
    print(json.dumps(ui_load(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "cache"), indent=2))
