"""Answer backends: the one registry that settings, the library, the CLI and the UI read.

Adding a backend is adding an entry to ``BACKENDS``; its factory imports what it needs
lazily, so an unused backend costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:
    from .answer import ReaderAnswerer
    from .config import Settings
    from .protocols import Answerer, Embedder


@dataclass(frozen=True)
class Backend:
    name: str
    """The key: Settings.backend, --backend, Assistant.ask(backend=...)."""
    label: str
    """What the web UI shows."""
    needs_llm: bool
    """Offered only when an LLM endpoint (or a GGUF file to serve) is configured."""
    build: Callable[[Settings, Embedder], Answerer]


def _extractive(settings: Settings, embedder: Embedder) -> ReaderAnswerer:
    from .answer import ReaderAnswerer, names_and_numbers_near
    from .reader import card, shipped_reader

    fitted = card()
    return ReaderAnswerer(
        shipped_reader(settings.onnx_threads),
        margin=fitted["no_answer_margin"],
        retrieval_weight=fitted["retrieval_weight"],
        passages=settings.reader_passages,
        evidence=names_and_numbers_near,
        settled=math.inf if fitted.get("settled_score") is None else fitted["settled_score"],
    )


def _openai(settings: Settings, embedder: Embedder) -> Answerer:
    from .llm import LLMAnswerer

    fallback = _extractive(settings, embedder)
    return LLMAnswerer.from_settings(settings, embedder, fallback=fallback, reader=fallback.reader)


BACKENDS: dict[str, Backend] = {
    "extractive": Backend("extractive", "offline (extractive)", needs_llm=False, build=_extractive),
    "openai": Backend("openai", "LLM (OpenAI-compatible)", needs_llm=True, build=_openai),
}
DEFAULT = "extractive"


def backend(name: str) -> Backend:
    try:
        return BACKENDS[name]
    except KeyError:
        raise ConfigError(
            f"unknown answer backend {name!r}; choose one of {', '.join(BACKENDS)} "
            "(ASSISTANT_BACKEND, --backend)"
        ) from None


def make_answerer(name: str, settings: Settings, embedder: Embedder) -> Answerer:
    return backend(name).build(settings, embedder)


def available(settings: Settings) -> list[Backend]:
    """The backends a user may pick with these settings: the LLM only when one is configured."""
    return [b for b in BACKENDS.values() if settings.llm_configured or not b.needs_llm]
