"""Many users at once through the real app: one slow LLM answer holds up nobody else.

The app runs with an OpenAI-compatible endpoint on 127.0.0.1 that trickles one (empty)
answer out over several seconds and answers every other question at once, empty too, so
every answer is the offline one after the LLM's; 19 other sessions ask while it trickles.
Before, one process-wide lock made them all wait for the slow one.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from ui_support import running_app

from assistant.testing import BlankLLMServer

pytestmark = pytest.mark.server
client_module = pytest.importorskip("gradio_client", reason="needs gradio_client (pip install -e '.[test]')")

SLOW_S = 8.0
SLOW_QUESTION = "Who proposed 30,000 troops to Washington?"
QUESTIONS = [
    ("Who proposed 30,000 troops?", "Starmer"),
    ("Who is the US Defense Secretary?", "Hegseth"),
    ("Which radio station interviewed Podoliak?", "RMF"),
]


def test_twenty_sessions_one_slow_stream(tmp_path: Path) -> None:
    """19 sessions asking while one LLM answer trickles for 8 s all get their own right answer,
    each well before the slow one ends."""
    with BlankLLMServer(SLOW_QUESTION, SLOW_S) as llm:
        settings = {
            "backend": "openai",
            "openai_base_url": llm.url,
            "llm_model": "blank",
            "llm_timeout": "30",
        }
        with running_app(tmp_path / "data", tmp_path / "app.log", **settings) as url:
            clients = [client_module.Client(url, verbose=False) for _ in range(20)]
            asked = [(SLOW_QUESTION, "Starmer")] + [QUESTIONS[i % len(QUESTIONS)] for i in range(19)]

            def ask(i: int) -> tuple[str, str, float]:
                question, expected = asked[i]
                started = time.perf_counter()
                result = clients[i].predict(question, api_name="/ask")
                return result["text"], expected, time.perf_counter() - started

            with ThreadPoolExecutor(max_workers=20) as pool:
                slow = pool.submit(ask, 0)
                time.sleep(1.0)  # the slow stream is under way
                others = [pool.submit(ask, i) for i in range(1, 20)]
                results = [f.result(timeout=120) for f in others]
                _, _, slow_seconds = slow.result(timeout=120)
    assert slow_seconds >= SLOW_S - 1
    for answer, expected, seconds in results:
        assert expected in answer, (expected, answer)
        assert seconds < SLOW_S - 2, f"a session waited {seconds:.1f}s behind the slow stream"
