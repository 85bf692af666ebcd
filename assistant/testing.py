"""A blank local LLM endpoint for load tests (the UI under many sessions)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _BlankReplies(BaseHTTPRequestHandler):
    """OpenAI-compatible chat completions that say nothing (the assistant falls back to its
    offline answer); streamed slowly when the prompt holds the server's ``slow_marker``."""

    protocol_version = "HTTP/1.1"
    server: BlankLLMServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][-1]["content"]
        chunks = [" "] * 5
        delay = self.server.slow_seconds / len(chunks) if self.server.slow_marker in prompt else 0.0
        if not body.get("stream"):
            raw = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": ""}}]})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw.encode())
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for chunk in chunks:
            time.sleep(delay)
            event = {"choices": [{"index": 0, "delta": {"content": chunk}, "finish_reason": None}]}
            self.wfile.write(b"data: " + json.dumps(event).encode() + b"\n\n")
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


class BlankLLMServer(ThreadingHTTPServer):
    """A local OpenAI-compatible endpoint on 127.0.0.1 whose replies are empty: a slow stream
    (``slow_seconds``) for prompts holding ``slow_marker``, an instant one for the others.
    Used to show that one slow LLM answer holds up no other user (tests and benchmark)."""

    daemon_threads = True

    def __init__(self, slow_marker: str, slow_seconds: float) -> None:
        super().__init__(("127.0.0.1", 0), _BlankReplies)
        self.slow_marker, self.slow_seconds = slow_marker, slow_seconds

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/v1"

    def __enter__(self) -> BlankLLMServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
