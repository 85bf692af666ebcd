"""The assistant's error tree.

AssistantError
├── UserInputError          you asked for something we cannot do; the message says what to change
│   ├── EmptyQuestionError
│   ├── QuestionTooLongError
│   ├── PathNotFoundError
│   ├── UnreadableDocumentError
│   ├── NothingToIngestError
│   ├── UnknownDocumentError
│   ├── EmptyStoreError     the collection has no documents where some are needed
│   ├── DataDirError        the data dir cannot be used (a file, not writable)
│   ├── InvalidArgumentError  a library call got an argument of the wrong type
│   └── QuestionSetError    a line of a scripted question set is malformed
├── ConfigError             a setting is missing or invalid
└── BackendError            a store, model or endpoint failed while doing its job
    └── LLMError            the LLM endpoint failed (timeout, 401, 429, 500, garbage, ...)
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class of every error the assistant raises on purpose."""


class UserInputError(AssistantError):
    """The input cannot be used as given; the message says how to fix it."""


class EmptyQuestionError(UserInputError):
    pass


class QuestionTooLongError(UserInputError):
    pass


class PathNotFoundError(UserInputError):
    pass


class UnreadableDocumentError(UserInputError):
    """A file exists but its text cannot be extracted (binary, wrong encoding, broken PDF)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class NothingToIngestError(UserInputError):
    pass


class UnknownDocumentError(UserInputError):
    pass


class EmptyStoreError(UserInputError):
    """The collection has no documents, and what was asked makes no sense without some."""


class DataDirError(UserInputError):
    """The data dir is not a folder we can create and write; the message names the path."""


class InvalidArgumentError(UserInputError, TypeError):
    """A library call got an argument of the wrong type; the message names the argument."""


class QuestionSetError(UserInputError):
    """A question file line is malformed; the message names the file and line."""


class ConfigError(AssistantError):
    pass


class BackendError(AssistantError):
    pass


class LLMError(BackendError):
    """The LLM endpoint failed; ``kind`` names how (see ``assistant.llm``)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
