"""The OpenAI embedder against a real HTTP server on 127.0.0.1 speaking the embeddings API."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import numpy as np
import pytest

from assistant import Settings
from assistant.embeddings import make_embedder
from assistant.errors import BackendError, ConfigError


class _EmbeddingsHandler(BaseHTTPRequestHandler):
    calls: ClassVar[list[list[str]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.headers.get("Authorization") != "Bearer test-key":
            self._send(401, {"error": {"message": "bad key", "type": "invalid_request_error"}})
            return
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        type(self).calls.append(texts)
        data = [{"object": "embedding", "index": i, "embedding": _vector(t)} for i, t in enumerate(texts)]
        self._send(200, {"object": "list", "data": data, "model": body["model"], "usage": {}})

    def _send(self, status: int, payload: dict) -> None:
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass


def _vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [b / 255 for b in digest[:8]]


@pytest.fixture()
def server() -> Iterator[str]:
    _EmbeddingsHandler.calls = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _EmbeddingsHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_openai_embeddings_are_normalised_and_cached(server: str, tmp_path) -> None:
    """Configured OpenAI embeddings go through the endpoint once per text, then come from the cache."""
    settings = Settings.from_env(
        env={},
        data_dir=tmp_path,
        embedder="openai:test-model",
        openai_api_key="test-key",
        openai_base_url=server,
    )
    embedder = make_embedder(settings)
    first = embedder.embed(["alpha", "beta", "alpha"])
    assert first.shape == (3, 8)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0)
    assert np.allclose(first[0], first[2])
    again = make_embedder(settings).embed(["beta", "alpha"])  # a new process would see the same cache
    assert np.allclose(again[0], first[1])
    sent = [t for call in _EmbeddingsHandler.calls for t in call if t != "dimension probe"]
    assert sorted(sent) == ["alpha", "beta"]


def test_openai_embedder_without_key_says_what_to_set(tmp_path) -> None:
    """No key and no local endpoint: a ConfigError naming OPENAI_API_KEY, not a stack trace."""
    settings = Settings.from_env(env={}, data_dir=tmp_path, embedder="openai:text-embedding-3-small")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_embedder(settings).embed(["x"])


def test_openai_embedder_wrong_key_is_a_backend_error(server: str, tmp_path) -> None:
    """A rejected key surfaces as BackendError with the endpoint's reason."""
    settings = Settings.from_env(
        env={},
        data_dir=tmp_path,
        embedder="openai:test-model",
        openai_api_key="wrong",
        openai_base_url=server,
    )
    with pytest.raises(BackendError, match="failed"):
        make_embedder(settings).embed(["x"])
