"""One typed settings object. Environment variables are read here and nowhere else.

Every field maps to an environment variable ``ASSISTANT_<FIELD>`` (for example
``ASSISTANT_DATA_DIR``) and, in the CLI, to a flag ``--field-name``. Precedence:
explicit arguments > CLI flags > environment > defaults.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

from .errors import ConfigError

ENV_PREFIX = "ASSISTANT_"
StoreMode = Literal["embedded", "server"]


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    """Where the embedded Chroma store and the embedding cache live."""

    store: StoreMode = "embedded"
    """"embedded": a persistent Chroma store in data_dir; "server": a Chroma server over HTTP."""

    chroma_host: str = "127.0.0.1"
    """Chroma server host (store = "server")."""

    chroma_port: int = 8000
    """Chroma server port (store = "server")."""

    collection: str = "news"
    """Name prefix of the Chroma collections; several corpora can share one store."""

    embedder: str = "local:minilm"
    """"local:minilm" (bundled all-MiniLM-L6-v2, offline) or "openai:<model>"."""

    top_k: int = 5
    """How many ranked sentences are handed to the answerer and shown as sources."""

    candidates: int = 40
    """How many sentences each retriever (dense, lexical) proposes before fusion."""

    chunk_tokens: int = 200
    """Token budget of a chunk (cl100k tokens); chunks are whole sentences."""

    chunk_overlap_tokens: int = 40
    """Tokens of trailing sentences repeated at the start of the next chunk."""

    max_question_chars: int = 2000
    """Longer questions are rejected with a clear error instead of being truncated."""

    max_file_mb: float = 50.0
    """Files larger than this are refused at ingest."""

    onnx_threads: int = 1
    """Threads for the local embedding model (one is fastest on a 2-core machine)."""

    ui_host: str = "127.0.0.1"
    """Address the web UI listens on."""

    ui_port: int = 7860
    """Port of the web UI."""

    ui_username: str | None = None
    """With ui_password, the web UI asks for this login (Gradio auth)."""

    ui_password: str | None = field(default=None, repr=False)
    """Password of the web UI login. Never logged."""

    openai_api_key: str | None = field(default=None, repr=False)
    """Key for OpenAI embeddings (env OPENAI_API_KEY also works). Never logged."""

    openai_base_url: str | None = None
    """OpenAI-compatible endpoint (env OPENAI_BASE_URL also works)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``ASSISTANT_*`` variables, then apply non-None overrides."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        hints = get_type_hints(cls)
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, hints[f.name], raw)
        values.setdefault("openai_api_key", env.get("OPENAI_API_KEY") or None)
        values.setdefault("openai_base_url", env.get("OPENAI_BASE_URL") or None)
        for name, value in overrides.items():
            if value is not None:
                if name not in hints:
                    raise ConfigError(f"unknown setting {name!r}")
                values[name] = _coerce(name, hints[name], value)
        return cls(**values).validated()

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes).validated()

    def validated(self) -> Settings:
        if self.store not in get_args(StoreMode):
            raise ConfigError(f"store must be one of {get_args(StoreMode)}, not {self.store!r}")
        for name in ("top_k", "candidates", "chunk_tokens", "max_question_chars"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ConfigError("chunk_overlap_tokens must be smaller than chunk_tokens")
        return self


def _coerce(name: str, hint: Any, value: Any) -> Any:
    if not isinstance(value, str):
        return Path(value) if hint is Path else value
    try:
        if hint is Path:
            return Path(value).expanduser()
        if hint is int:
            return int(value)
        if hint is float:
            return float(value)
    except ValueError:
        raise ConfigError(
            f"setting {name} expects a number, got {value!r} (check {ENV_PREFIX}{name.upper()})"
        ) from None
    return value
