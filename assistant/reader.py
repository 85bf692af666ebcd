"""The extractive reader: a small trained model that marks the answer in a sentence.

Question + sentence (with the head of the sentence before it, for "he" or "the company")
-> the best answer span inside the sentence, and a no-answer score ([CLS]). The model is
all-MiniLM-L6-v2 fine-tuned by ``training/reader.py``; it ships as int8 ONNX inside this
package with its card (``resources/reader.card.json``) and runs on onnxruntime alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError

MAX_TOKENS = 160
MAX_QUESTION_TOKENS = 40
PREVIOUS_TOKENS = 24
MAX_ANSWER_TOKENS = 30
CLS, SEP = 101, 102


@dataclass(frozen=True)
class Encoded:
    """Token ids of ``[CLS] question [SEP] previous sentence [SEP]`` with, per token, its
    character span in the sentence and whether an answer may start or end there."""

    ids: list[int]
    type_ids: list[int]
    offsets: list[tuple[int, int]]
    allowed: list[bool]


@dataclass(frozen=True)
class Span:
    """The reader's best answer in one sentence: ``sentence[start:end]``.

    ``score`` is the span's start + end logit, ``null`` the same for [CLS] (no answer);
    their difference, ``margin``, says how sure the reader is that the sentence answers.
    """

    start: int
    end: int
    score: float
    null: float

    @property
    def margin(self) -> float:
        return self.score - self.null


@lru_cache(maxsize=1)
def tokenizer() -> Any:
    """The MiniLM WordPiece tokenizer (shipped vocabulary), without truncation or padding."""
    from tokenizers import Tokenizer

    text = (resources.files("assistant") / "resources/minilm-tokenizer.json").read_text(encoding="utf-8")
    tokenizer = Tokenizer.from_str(text)
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def encode_pair(question: str, previous: str, sentence: str) -> Encoded:
    """The model's input for one (question, sentence) pair; answers may only fall in ``sentence``."""
    tok = tokenizer()
    q, prev, sent = tok.encode_batch([question, previous, sentence], add_special_tokens=False)
    q_ids = q.ids[:MAX_QUESTION_TOKENS]
    room = MAX_TOKENS - len(q_ids) - 3
    sent_ids, sent_offsets = sent.ids[:room], sent.offsets[:room]
    prev_ids = prev.ids[: max(0, min(PREVIOUS_TOKENS, room - len(sent_ids)))]
    ids = [CLS, *q_ids, SEP, *prev_ids, *sent_ids, SEP]
    n_first = len(q_ids) + 2
    type_ids = [0] * n_first + [1] * (len(ids) - n_first)
    offsets = [(0, 0)] * (n_first + len(prev_ids)) + list(sent_offsets) + [(0, 0)]
    allowed = [True] + [False] * (n_first - 1 + len(prev_ids)) + [True] * len(sent_ids) + [False]
    return Encoded(ids, type_ids, offsets, allowed)


def best_span(start: np.ndarray, end: np.ndarray, allowed: np.ndarray) -> tuple[int, int, float]:
    """The (i, j) maximising start[i] + end[j] with i <= j < i + MAX_ANSWER_TOKENS, both
    allowed and neither [CLS]; and that score."""
    ok = allowed.copy()
    ok[0] = False
    s = np.where(ok, start, -np.inf)
    e = np.where(ok, end, -np.inf)
    scores = s[:, None] + e[None, :]
    n = len(start)
    i, j = np.indices((n, n))
    scores[(j < i) | (j >= i + MAX_ANSWER_TOKENS)] = -np.inf
    flat = int(np.argmax(scores))
    i0, j0 = divmod(flat, n)
    return i0, j0, float(scores[i0, j0])


_WORD_CHAR = re.compile(r"[\w'’-]")


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a span that starts or ends inside a word to the whole word."""
    while start > 0 and _WORD_CHAR.match(text[start - 1]) and _WORD_CHAR.match(text[start]):
        start -= 1
    while end < len(text) and _WORD_CHAR.match(text[end]) and _WORD_CHAR.match(text[end - 1]):
        end += 1
    return start, end


class ReaderModel:
    """The ONNX reader. Thread-safe; one onnxruntime session per instance."""

    def __init__(self, path: Path | None = None, threads: int = 1) -> None:
        import onnxruntime as ort

        path = path or shipped_model()
        if not path.exists():
            raise ConfigError(
                f"the reader model {path} is missing; reinstall the package or run `make train`"
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Spinning worker threads make latency jump when the two cores are shared.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def read(self, question: str, previous: Sequence[str], sentences: Sequence[str]) -> list[Span]:
        """The best span of each sentence for ``question``, in one batch."""
        return self.read_encoded(
            [encode_pair(question, p, s) for p, s in zip(previous, sentences, strict=True)], sentences
        )

    def read_encoded(self, encoded: Sequence[Encoded], sentences: Sequence[str]) -> list[Span]:
        if not encoded:
            return []
        width = max(len(e.ids) for e in encoded)
        ids = np.zeros((len(encoded), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, e in enumerate(encoded):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
            types[row, : len(e.ids)] = e.type_ids
        start, end = self._session.run(
            ["start_logits", "end_logits"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": types},
        )
        spans = []
        for row, (e, sentence) in enumerate(zip(encoded, sentences, strict=True)):
            n = len(e.ids)
            allowed = np.array(e.allowed)
            i, j, score = best_span(start[row, :n], end[row, :n], allowed)
            null = float(start[row, 0] + end[row, 0])
            if not np.isfinite(score):
                spans.append(Span(0, 0, -np.inf, null))
                continue
            s, t = _whole_words(sentence, e.offsets[i][0], e.offsets[j][1])
            spans.append(Span(s, t, score, null))
        return spans


@cache
def shipped_reader(threads: int) -> ReaderModel:
    """One session per process and thread count, shared by every answerer that reads (the
    offline backend and the LLM backend's fallback and verifier)."""
    return ReaderModel(threads=threads)


def shipped_model() -> Path:
    return Path(str(resources.files("assistant") / "resources/reader.onnx"))


def card() -> dict[str, Any]:
    """The shipped model's card: base weights, data, split, seed, metrics, margin, sha256."""
    path = resources.files("assistant") / "resources/reader.card.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            "the reader's model card is missing; reinstall the package or run `make train`"
        ) from None
