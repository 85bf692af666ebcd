"""A plain (non-editable) install carries everything the assistant reads at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT


def test_wheel_ships_model_card_tokenizer_and_prompts(tmp_path: Path) -> None:
    """The wheel holds the reader model and its card, the tokenizer and the prompt files, so
    `pip install .` answers offline and through an LLM without the repository beside it."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = tmp_path.glob("assistant-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "assistant/resources/reader.onnx",
        "assistant/resources/reader.card.json",
        "assistant/resources/minilm-tokenizer.json",
        "assistant/prompts/system.txt",
        "assistant/prompts/answer.txt",
        "assistant/prompts/condense.txt",
        "assistant/static/app.css",
        "assistant/static/scroll-to-mark.js",
    ):
        assert needed in names, f"{needed} is missing from the wheel"
    assert not any(n.startswith(("training/", "tests/")) for n in names)
