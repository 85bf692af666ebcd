"""The library API: ``Assistant`` ties store, retriever and answerer together."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .backends import make_answerer
from .config import Settings
from .conversation import resolve
from .embeddings import make_embedder
from .errors import (
    AssistantError,
    BackendError,
    EmptyQuestionError,
    InvalidArgumentError,
    QuestionTooLongError,
)
from .ingest import Ingestor, Progress
from .lexical import LexicalIndex
from .loaders import without_surrogates
from .protocols import Answerer, Condenser, Embedder, StreamingAnswerer, VectorIndex
from .question import analyze
from .retrieval import HybridRetriever
from .spelling import correct as correct_spelling
from .store import ChromaIndex, compact_store, make_client, prepare_data_dir
from .types import Answer, Chunk, Document, DocumentInfo, Draft, IngestReport, ScoredSentence, Turn

if TYPE_CHECKING:
    from .conversation import Conversation


class AnswerStream:
    """An answer as it is written: iterate for text deltas; ``answer`` is final when they end.

    >>> stream = bot.stream("Who proposed 30,000 troops?")
    >>> for delta in stream:
    ...     print(delta, end="")
    >>> stream.answer.citations, stream.answer.verification

    The final ``Answer`` is authoritative: its text has the markers renumbered, and when the
    verifier rejected the model's reply it is the offline answer or a refusal instead
    (``answer.verification.fallback`` says which). Reading ``answer`` before the end
    consumes the rest of the stream.
    """

    def __init__(self, events: Iterator[str | Answer]) -> None:
        self._events = events
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        for event in self._events:
            if isinstance(event, Answer):
                self._answer = event
            else:
                yield event

    def close(self) -> None:
        """Stop early (the user went away): closes the model's connection."""
        close = getattr(self._events, "close", None)
        if close:
            close()

    @property
    def answer(self) -> Answer:
        if self._answer is None:
            for _ in self:
                pass
        if self._answer is None:
            raise BackendError("the answer stream ended without an answer")
        return self._answer


class Assistant:
    """Grounded question answering over a document store.

    >>> bot = Assistant.open("data/")
    >>> bot.ingest("corpus/")
    >>> bot.ask("Who proposed 30,000 troops?").short
    'Starmer'
    """

    def __init__(
        self,
        settings: Settings,
        index: VectorIndex,
        embedder: Embedder,
        answerer: Answerer | None = None,
    ) -> None:
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self.answerer: Answerer = answerer or make_answerer(settings.backend, settings, embedder)
        self._answerers: dict[str, Answerer] = {self.answerer.name.partition(":")[0]: self.answerer}
        self._answerers_lock = threading.Lock()
        snapshot = settings.data_dir / f"lexical-{settings.collection}.pickle"
        self.lexical = LexicalIndex(index, snapshot)
        self.retriever = HybridRetriever(index, embedder, self.lexical, settings.candidates)
        self._ingestor = Ingestor(index, embedder, settings)

    @classmethod
    def open(
        cls,
        data_dir: str | Path | None = None,
        settings: Settings | None = None,
        answerer: Answerer | None = None,
        **overrides: Any,
    ) -> Assistant:
        """Open (or create) the store. ``data_dir`` and keyword overrides beat the environment;
        ``answerer`` replaces the configured backend's."""
        if data_dir is not None and not isinstance(data_dir, str | os.PathLike):
            raise InvalidArgumentError(
                f"data_dir must be a folder path (str or Path), not {type(data_dir).__name__} "
                f"({data_dir!r:.60}); for example Assistant.open('data/')"
            )
        if settings is not None and not isinstance(settings, Settings):
            raise InvalidArgumentError(
                f"settings must be an assistant.Settings, not {type(settings).__name__}; "
                "build one with Settings.from_env(...) or pass keyword overrides instead"
            )
        settings = settings or Settings.from_env()
        if data_dir is not None:
            overrides["data_dir"] = Path(data_dir)
        if overrides:
            settings = settings.replace(**overrides)
        # Before anything writes into it (the embedding cache comes first).
        prepare_data_dir(settings.data_dir)
        embedder = make_embedder(settings)
        index = ChromaIndex(make_client(settings), settings.collection, embedder.name)
        return cls(settings, index, embedder, answerer)

    # Documents -------------------------------------------------------------------------

    def ingest(
        self, *paths: str | Path | Sequence[str | Path], progress: Progress | bool = False
    ) -> IngestReport:
        """Ingest files, folders (.txt .md .html .pdf) or documents.jsonl files (a list of them works too)."""
        flat = [p for item in paths for p in (item if isinstance(item, list | tuple) else [item])]
        for p in flat:
            if not isinstance(p, str | Path):
                raise InvalidArgumentError(f"paths must be str or Path, not {type(p).__name__} ({p!r:.60})")
        report = self._ingestor.ingest_paths([Path(p) for p in flat], progress)
        self._changed(report)
        return report

    def ingest_documents(
        self, documents: Iterable[Document], progress: Progress | bool = False
    ) -> IngestReport:
        documents = list(documents)
        for d in documents:
            if not isinstance(d, Document):
                raise InvalidArgumentError(f"documents must be Document objects, not {type(d).__name__}")
        report = self._ingestor.ingest_documents(
            [
                replace(
                    d,
                    text=without_surrogates(d.text),
                    title=without_surrogates(d.title),
                )
                for d in documents
            ],
            progress,
        )
        self._changed(report)
        return report

    def _changed(self, report: IngestReport) -> None:
        """Bring the lexical index (and its snapshot) up to date now, so that the first question
        after an ingest, in this process or a new one, does not wait for it."""
        if report.added or report.updated:
            self.lexical.table()

    def documents(self) -> list[DocumentInfo]:
        return self.index.documents()

    def is_empty(self) -> bool:
        """Whether no document is stored (listing them all took 1.8 s at 19k documents; the
        lexical index is loaded by the first question anyway)."""
        return not len(self.lexical.table())

    def document_text(self, doc_id: str) -> str:
        return self.index.text(doc_id)

    def chunks(self, doc_id: str) -> list[Chunk]:
        return self.index.chunks(doc_id)

    def remove(self, doc_id: str) -> None:
        """Remove a document and give back the disk space it used: its cached vectors, its
        rows in the lexical snapshot and, once enough is free, in Chroma's SQLite file."""
        sentences = [s.text for s, _ in self.lexical.table().rows({doc_id})]
        self.index.remove(doc_id)
        forget = getattr(self.embedder, "forget", None)
        if forget:
            forget(sentences)
        self.lexical.table()  # rewrites the snapshot without the document
        compact_store(self.settings)

    # Questions -------------------------------------------------------------------------

    def retrieve(self, question: str, k: int | None = None) -> list[ScoredSentence]:
        """The ``k`` best-ranked sentences for ``question``, read as ``ask`` reads it: a word the
        corpus does not know is read as the corpus's word it is a typo of."""
        question = self._check(question)
        spelled = correct_spelling(question, self.lexical.table())
        return self.retriever.retrieve(analyze(spelled.text), k or self.settings.top_k)

    def ask(
        self,
        question: str,
        history: Sequence[Turn] | Sequence[tuple[str, str]] = (),
        top_k: int | None = None,
        backend: str | None = None,
    ) -> Answer:
        """Answer ``question``; ``history`` is the conversation before it, oldest first.

        ``Answer.retrieved`` holds the ranked passages considered: at least ``top_k``
        (default ``settings.top_k``) and at least the 10 the answerer reads. ``backend``
        ("extractive", "openai") overrides the configured answerer for this question.
        """
        return self.stream(question, history, top_k, backend).answer

    def stream(
        self,
        question: str,
        history: Sequence[Turn] | Sequence[tuple[str, str]] = (),
        top_k: int | None = None,
        backend: str | None = None,
    ) -> AnswerStream:
        """Like ``ask``, but the answer arrives as text deltas; see ``AnswerStream``.

        Bad questions raise here, before streaming starts; backend failures never escape
        the stream (an LLM answer falls back to the offline one, with the reason recorded).
        """
        started = time.perf_counter()
        question = self._check(question)
        answerer = self.answerer_for(backend)
        turns = [t if isinstance(t, Turn) else Turn(*t) for t in history]
        return AnswerStream(self._events(question, turns, top_k, answerer, started))

    def _events(
        self, question: str, turns: list[Turn], top_k: int | None, answerer: Answerer, started: float
    ) -> Iterator[str | Answer]:
        standalone, query = self._standalone(question, turns, answerer)
        # Typos are read as the corpus's words before retrieval; the answer names each one.
        spelled = correct_spelling(standalone, self.lexical.table())
        standalone, query = spelled.text, spelled.apply(query)
        analysed = analyze(standalone)
        passages = self.retriever.retrieve(analysed, max(top_k or self.settings.top_k, 10), query_text=query)
        first: float | None = None
        draft: Draft | None = None
        if isinstance(answerer, StreamingAnswerer):
            for item in answerer.stream(analysed, passages, self.lexical):
                if isinstance(item, Draft):
                    draft = item
                    continue
                if first is None:
                    first = time.perf_counter()
                yield item
        else:
            draft = answerer.answer(analysed, passages, self.lexical)
        if draft is None:
            raise BackendError(f"the {answerer.name} answerer ended without an answer")
        if first is None:
            first = time.perf_counter()
            yield from re.findall(r"\S+\s*", draft.text) or [draft.text]
        yield Answer(
            question=question,
            text=draft.text,
            short=draft.short,
            citations=draft.citations,
            refused=draft.refused,
            standalone_question=standalone,
            retrieved=tuple(passages),
            backend=answerer.name,
            latency_ms=(time.perf_counter() - started) * 1000,
            notes=draft.notes,
            verification=draft.verification,
            ttft_ms=(first - started) * 1000,
            corrections=spelled.corrections,
        )

    def _standalone(self, question: str, turns: list[Turn], answerer: Answerer) -> tuple[str, str]:
        """(standalone question, retrieval query): the offline rules, or the LLM for a follow-up."""
        standalone, query = resolve(question, turns)
        if not turns or query == question or not isinstance(answerer, Condenser):
            return standalone, query
        try:
            condensed = answerer.condense(question, turns)
        except AssistantError:
            return standalone, query  # the offline rewrite is a fine fallback
        # The offline query keeps the previous turn's words, so retrieval finds the same
        # evidence even when the model's rewrite is poor.
        return condensed, f"{condensed} {query}"

    def answerer_for(self, backend: str | None = None) -> Answerer:
        """The answerer of a backend ("extractive", "openai"), built on first use."""
        if backend is None:
            return self.answerer
        with self._answerers_lock:
            if backend not in self._answerers:
                self._answerers[backend] = make_answerer(backend, self.settings, self.embedder)
            return self._answerers[backend]

    def conversation(self) -> Conversation:
        from .conversation import Conversation

        return Conversation(self)

    def _check(self, question: str) -> str:
        if not isinstance(question, str):
            raise InvalidArgumentError(f"question must be a str, not {type(question).__name__}")
        question = without_surrogates(question).strip()
        if not question:
            raise EmptyQuestionError("the question is empty; type a question about the documents")
        if len(question) > self.settings.max_question_chars:
            raise QuestionTooLongError(
                f"the question has {len(question):,} characters; the limit is "
                f"{self.settings.max_question_chars:,} (ASSISTANT_MAX_QUESTION_CHARS). "
                "Ask a shorter question."
            )
        return question

    def close(self) -> None:
        # The retriever first: it waits for its background jobs, which use the embedder and the
        # store closed below.
        self.retriever.close()
        for answerer in self._answerers.values():
            close_answerer = getattr(answerer, "close", None)
            if close_answerer:
                close_answerer()
        close = getattr(self.embedder, "close", None)
        if close:
            close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
