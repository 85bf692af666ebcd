"""A fresh process that opens an existing store and answers: cold start and peak memory.

``python -m bench.worker ours|tutorial DIR QUESTIONS.json T0`` prints one JSON line. T0 is
the parent's ``time.time()`` just before it started this process, so ``first_answer_s``
is process start (interpreter, imports, model loads, store open) to the first answer.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    kind, directory, questions_file, t0 = argv[0], Path(argv[1]), Path(argv[2]), float(argv[3])
    questions: list[str] = json.loads(questions_file.read_text(encoding="utf-8"))
    if kind == "ours":
        from assistant import Assistant, Settings

        bot = Assistant.open(settings=Settings.from_env(env={}, data_dir=directory, collection="bench"))
        ask = bot.ask
    else:
        from assistant.embeddings import MiniLMEmbedder

        from .baseline import TutorialRAG

        rag = TutorialRAG(directory, MiniLMEmbedder())
        ask = rag.search
    ask(questions[0])
    first = time.time() - t0
    for question in questions[1:]:
        ask(question)
    print(json.dumps({"first_answer_s": first, "peak_rss_mb": _peak_rss_mb(), "n": len(questions)}))
    return 0


def _peak_rss_mb() -> float:
    """This process's high-water RSS. Not ru_maxrss: on Linux that carries over the RSS the
    parent had when it forked us, which would report the benchmark's own memory."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
