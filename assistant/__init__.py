"""Grounded question answering over news articles, with exact, checkable citations."""

from .config import Settings
from .conversation import Conversation
from .core import Assistant
from .errors import (
    AssistantError,
    BackendError,
    ConfigError,
    UserInputError,
)
from .types import (
    Answer,
    Chunk,
    Citation,
    Document,
    DocumentInfo,
    IngestReport,
    ScoredSentence,
    Sentence,
    Turn,
)

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "BackendError",
    "Chunk",
    "Citation",
    "ConfigError",
    "Conversation",
    "Document",
    "DocumentInfo",
    "IngestReport",
    "ScoredSentence",
    "Sentence",
    "Settings",
    "Turn",
    "UserInputError",
]
