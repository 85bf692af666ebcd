"""The extractive reader: a small trained model that marks the answer in a sentence.

Question + sentence (with the head of the sentence before it, for "he" or "the company")
-> the best answer span inside the sentence, and a no-answer score ([CLS]). The model is
all-MiniLM-L6-v2 fine-tuned by ``training/reader.py``; it ships as int8 ONNX inside this
package with its card (``resources/reader.card.json``) and runs on onnxruntime alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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


_POSSESSIVE = ("'s", "’s")


def whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a span that starts or ends inside a word to the whole word, less a possessive
    "'s": the training sets' gold answers almost never end in one ("Garry Marshall", not
    "Garry Marshall's"), so neither should the reader's."""
    while start > 0 and _WORD_CHAR.match(text[start - 1]) and _WORD_CHAR.match(text[start]):
        start -= 1
    while end < len(text) and _WORD_CHAR.match(text[end]) and _WORD_CHAR.match(text[end - 1]):
        end += 1
    if end - start > 2 and text[end - 2 : end] in _POSSESSIVE:
        end -= 2
    return start, end


class ReaderModel:
    """The ONNX reader. Thread-safe.

    Each sentence runs on its own, ``threads`` of them at a time on one single-threaded
    session. Alone, a sentence pads to nothing, and its scores do not depend on what else is
    read (the int8 model quantises each input tensor with one scale, so in a batch one long
    sentence would move another's logits). Measured: 4 sentences of ~76 tokens, p50 32 ms
    this way on 2 cores, 50 ms as one batch on a 2-thread session.
    """

    def __init__(self, path: Path | None = None, threads: int = 1) -> None:
        import onnxruntime as ort

        path = path or shipped_model()
        if not path.exists():
            raise ConfigError(
                f"the reader model {path} is missing; reinstall the package or run `make train`"
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # Spinning worker threads make latency jump when the two cores are shared.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._pool = ThreadPoolExecutor(threads) if threads > 1 else None

    def read(self, question: str, previous: Sequence[str], sentences: Sequence[str]) -> list[Span]:
        """The best span of each sentence for ``question``."""
        return self.read_encoded(
            [encode_pair(question, p, s) for p, s in zip(previous, sentences, strict=True)], sentences
        )

    def read_encoded(self, encoded: Sequence[Encoded], sentences: Sequence[str]) -> list[Span]:
        mapper = self._pool.map if self._pool is not None else map
        # Longest first, so the last sentence to start is a short one and the threads finish together.
        order = sorted(range(len(encoded)), key=lambda k: -len(encoded[k].ids))
        spans = mapper(self._read_one, [encoded[k] for k in order], [sentences[k] for k in order])
        by_position = dict(zip(order, spans, strict=True))
        return [by_position[k] for k in range(len(encoded))]

    def logits(self, encoded: Encoded) -> tuple[np.ndarray, np.ndarray]:
        """Start and end logits of every token of one pair."""
        ids = np.array([encoded.ids], dtype=np.int64)
        start, end = self._session.run(
            ["start_logits", "end_logits"],
            {
                "input_ids": ids,
                "attention_mask": np.ones_like(ids),
                "token_type_ids": np.array([encoded.type_ids], dtype=np.int64),
            },
        )
        return start[0], end[0]

    def best_within(
        self, question: str, sentence: str, keep: Callable[[str], bool]
    ) -> tuple[Span, Span | None]:
        """The best span of ``sentence``, and the best made only of words ``keep`` accepts
        (None when no word is kept): how much lower the reader scores a given answer than its own."""
        encoded = encode_pair(question, "", sentence)
        start, end = self.logits(encoded)
        best = self._read_one(encoded, sentence, (start, end))
        allowed = np.array(encoded.allowed)
        for i, (s, t) in enumerate(encoded.offsets):
            if i and allowed[i]:
                allowed[i] = keep(sentence[slice(*whole_words(sentence, s, t))])
        i, j, score = best_span(start, end, allowed)
        if not np.isfinite(score):  # no word kept
            return best, None
        left, right = whole_words(sentence, encoded.offsets[i][0], encoded.offsets[j][1])
        return best, Span(left, right, score, best.null)

    def _read_one(
        self, encoded: Encoded, sentence: str, logits: tuple[np.ndarray, np.ndarray] | None = None
    ) -> Span:
        start, end = logits or self.logits(encoded)
        null = float(start[0] + end[0])
        i, j, score = best_span(start, end, np.array(encoded.allowed))
        if not np.isfinite(score):
            return Span(0, 0, -np.inf, null)
        s, t = whole_words(sentence, encoded.offsets[i][0], encoded.offsets[j][1])
        return Span(s, t, score, null)


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
