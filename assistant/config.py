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

from .backends import backend
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

    max_file_mb: float = 10.0
    """Files larger than this are refused at ingest (about 0.8 minutes per MB on 2 cores)."""

    onnx_threads: int = 2
    """Threads for the local embedding model and the reader at question time. On 2 cores two
    answer a question about a third faster than one (the reader's batch dominates: p50 39-46 ms
    against 57-67 ms at 1k sentences), with p95 still under twice p50."""

    ingest_threads: int = 2
    """Threads for the local embedding model when it embeds many texts at once (ingest): bulk
    work, where a second thread embeds 1.4x as fast on 2 cores."""

    reader_passages: int = 4
    """How many top-ranked sentences the offline reader reads per question, at most: past the
    first two only when those did not settle the answer (the card's ``settled_score``)."""

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

    backend: str = "extractive"
    """Who writes answers: "extractive" (offline default) or "openai" (any OpenAI-compatible chat
    endpoint: OpenAI, vLLM, Ollama, llama.cpp). Setting llm_gguf implies "openai"."""

    llm_model: str | None = None
    """Chat model name sent to the endpoint; default: the GGUF file's name with llm_gguf, else
    "gpt-4o-mini" (local servers accept any name)."""

    llm_gguf: Path | None = None
    """A GGUF file: the assistant starts a local llama.cpp server for it on 127.0.0.1 (needs xllamacpp)."""

    llm_threads: int = 1
    """Threads of the local llama.cpp server (one when anything else runs on a 2-core machine)."""

    llm_timeout: float = 60.0
    """Seconds to wait for the endpoint: for a response, and between two streamed chunks."""

    llm_total_timeout: float = 180.0
    """Hard limit in seconds on one whole LLM reply, however slowly it trickles in."""

    llm_max_retries: int = 2
    """Retries, with exponential backoff, after a 429 (rate limit) or a refused connection."""

    llm_max_tokens: int = 200
    """Most tokens the model may write per answer."""

    llm_context_tokens: int = 2048
    """The model's context window in tokens; sources are dropped, lowest ranked first, to fit."""

    llm_sources: int = 6
    """How many ranked sentences, at most, are offered to the model as numbered sources."""

    llm_temperature: float = 0.0
    """Sampling temperature for the LLM."""

    prompts_dir: Path | None = None
    """Folder of the prompt files (system.txt, answer.txt, condense.txt); default: the package's
    own (prompts/ in the repo)."""

    verify_threshold: float = 0.40  # fitted: assistant/verify.py DEFAULT_THRESHOLD
    """Cosine similarity (local embedder) a claim needs with its cited sentences to count as supported."""

    @property
    def llm_configured(self) -> bool:
        """Is an LLM endpoint (or a GGUF to serve) configured?"""
        return self.backend == "openai" or bool(self.openai_base_url) or self.llm_gguf is not None

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
        # A GGUF file to serve only makes sense with the LLM backend.
        if values.get("llm_gguf") is not None and "backend" not in values:
            values["backend"] = "openai"
        return cls(**values).validated()

    def replace(self, **changes: Any) -> Settings:
        hints = get_type_hints(type(self))
        unknown = sorted(set(changes) - set(hints))
        if unknown:
            # dataclasses.replace would raise a bare TypeError.
            raise ConfigError(f"unknown setting {unknown[0]!r}; the settings are: {', '.join(hints)}")
        changes = {
            k: _coerce(k, hints[k], v) if k in hints and v is not None else v for k, v in changes.items()
        }
        if changes.get("llm_gguf") is not None and "backend" not in changes:
            changes["backend"] = "openai"
        return dataclasses.replace(self, **changes).validated()

    def validated(self) -> Settings:
        if self.store not in get_args(StoreMode):
            raise ConfigError(f"store must be one of {get_args(StoreMode)}, not {self.store!r}")
        for name in ("top_k", "candidates", "chunk_tokens", "max_question_chars", "reader_passages"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ConfigError("chunk_overlap_tokens must be smaller than chunk_tokens")
        backend(self.backend)  # raises, naming the choices, for an unknown one
        for name in (
            "llm_max_tokens",
            "llm_context_tokens",
            "llm_sources",
            "llm_threads",
            "onnx_threads",
            "ingest_threads",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        if self.llm_timeout <= 0 or self.llm_total_timeout <= 0:
            raise ConfigError("llm_timeout and llm_total_timeout must be positive")
        if self.llm_max_tokens >= self.llm_context_tokens:
            raise ConfigError("llm_max_tokens must be smaller than llm_context_tokens")
        return self


def _coerce(name: str, hint: Any, value: Any) -> Any:
    if not isinstance(value, str):
        return Path(value) if hint in (Path, Path | None) else value
    if hint == Path | None:
        hint = Path
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
