"""A plain (non-editable) install carries everything the assistant reads at run time."""

from __future__ import annotations

import zipfile
from pathlib import Path


def test_wheel_ships_model_card_tokenizer_and_prompts(built_wheel: Path) -> None:
    """The wheel holds the reader model and its card, the tokenizer and the prompt files, so
    `pip install .` answers offline and through an LLM without the repository beside it
    (tests/test_llm_real.py answers through llama.cpp from such an install)."""
    names = set(zipfile.ZipFile(built_wheel).namelist())
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
