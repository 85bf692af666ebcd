"""Deterministic fakes for unit tests of logic; integration tests use the real parts."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from .embeddings import normalize


class HashEmbedder:
    """Bag-of-words vectors from hashed lower-case words: fast, stable, no model."""

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
