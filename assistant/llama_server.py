"""A local llama.cpp OpenAI-compatible server for a GGUF file, on 127.0.0.1 and a free port.

``LlamaServer(path).start()`` runs ``python -m assistant.llama_server PATH`` in its own
process group (llama.cpp through the ``xllamacpp`` binding), waits until it listens, and
returns its base URL (``http://127.0.0.1:PORT/v1``). ``stop()`` (also run at exit) kills the
group. The child also exits by itself when its parent dies: it blocks reading its stdin,
which closes with the parent.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from .errors import BackendError, ConfigError

# llama.cpp writes its own log to the same stream from other threads, so our line can
# arrive glued to one of theirs (a log line once followed the port with no space between,
# turning port 39583 into "39583I"): the URL sits between two markers, written in one
# write() call, which a pipe never splits or interleaves.
READY = "ASSISTANT_LLAMA_READY "
READY_END = " ASSISTANT_LLAMA_END"
_READY_URL = re.compile(re.escape(READY) + r"(http://\S+?)" + re.escape(READY_END))
START_TIMEOUT_S = 120.0


class LlamaServer:
    def __init__(self, gguf: str | Path, threads: int = 1, context: int = 2048) -> None:
        self.gguf = Path(gguf).expanduser()
        self.threads = threads
        self.context = context
        self.base_url: str | None = None
        self._process: subprocess.Popen[str] | None = None
        self._log: deque[str] = deque(maxlen=30)

    def start(self, timeout: float = START_TIMEOUT_S) -> str:
        if self._process is not None and self.base_url:
            return self.base_url
        if not self.gguf.is_file():
            raise ConfigError(f"GGUF file {self.gguf} not found (ASSISTANT_LLM_GGUF / --gguf)")
        try:
            import xllamacpp  # noqa: F401
        except ImportError:
            raise ConfigError(
                "serving a GGUF file needs the 'xllamacpp' package: pip install xllamacpp"
            ) from None
        command = [
            sys.executable,
            "-m",
            "assistant.llama_server",
            str(self.gguf),
            "--threads",
            str(self.threads),
            "--context",
            str(self.context),
        ]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: stop() kills all of it
        )
        atexit.register(self.stop)
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._drain, args=(lines,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise BackendError(f"the llama.cpp server did not start within {timeout:.0f}s")
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self._process.wait() if self._process else None
                self.stop()
                tail = " | ".join(list(self._log)[-3:])
                raise BackendError(f"the llama.cpp server exited ({code}) before listening: {tail}")
            if ready := _READY_URL.search(line):
                self.base_url = ready.group(1) + "/v1"
                return self.base_url

    def _drain(self, lines: queue.Queue[str | None]) -> None:
        process = self._process
        assert process is not None and process.stdout is not None
        for line in process.stdout:  # keep reading so the child never blocks on a full pipe
            self._log.append(line.rstrip())
            lines.put(line)
        lines.put(None)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        process, self._process = self._process, None
        self.base_url = None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        for stream in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
                if stream:
                    stream.close()
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)

    def __enter__(self) -> LlamaServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(gguf: str, threads: int, context: int) -> int:
    """Child process: run llama.cpp's server until stdin closes or a signal arrives."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = gguf
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.n_ctx = context
    params.n_parallel = 1
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # a free port; the server tells us which
    server = xllamacpp.Server(params)
    announce = f"\n{READY}{server.listening_address.rstrip('/')}{READY_END}\n"
    sys.stdout.flush()
    os.write(sys.stdout.fileno(), announce.encode())
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    with contextlib.suppress(KeyboardInterrupt):
        sys.stdin.read()  # returns when the parent closes the pipe or dies
    os._exit(0)  # llama.cpp's threads do not stop on their own


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.llama_server", description=__doc__)
    parser.add_argument("gguf")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--context", type=int, default=2048)
    args = parser.parse_args(argv)
    return serve(args.gguf, args.threads, args.context)


if __name__ == "__main__":
    sys.exit(main())
