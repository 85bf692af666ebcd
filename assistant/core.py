"""The library API: ``Assistant`` ties store, retriever and answerer together."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .answer import Answerer, Draft, ExtractiveAnswerer
from .config import Settings
from .conversation import resolve
from .embeddings import Embedder, make_embedder
from .errors import EmptyQuestionError, QuestionTooLongError
from .ingest import Ingestor, Progress
from .nlp import EntityTagger
from .question import analyze
from .retrieval import HybridRetriever
from .store import ChromaIndex, VectorIndex, make_client
from .types import Answer, Chunk, Document, DocumentInfo, IngestReport, ScoredSentence, Turn


class Assistant:
    """Grounded question answering over a document store.

    >>> bot = Assistant.open("data/")
    >>> bot.ingest("corpus/")
    >>> bot.ask("Who proposed 30,000 troops?").short
    'Keir Starmer'
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
        tagger = EntityTagger()
        self.answerer: Answerer = answerer or ExtractiveAnswerer(tagger)
        self.retriever = HybridRetriever(index, embedder, settings.candidates)
        self._ingestor = Ingestor(index, embedder, tagger, settings)

    @classmethod
    def open(
        cls, data_dir: str | Path | None = None, settings: Settings | None = None, **overrides: Any
    ) -> Assistant:
        """Open (or create) the store. ``data_dir`` and keyword overrides beat the environment."""
        settings = settings or Settings.from_env()
        if data_dir is not None:
            overrides["data_dir"] = Path(data_dir)
        if overrides:
            settings = settings.replace(**overrides)
        embedder = make_embedder(settings)
        index = ChromaIndex(make_client(settings), settings.collection, embedder.name)
        return cls(settings, index, embedder)

    # Documents -------------------------------------------------------------------------

    def ingest(self, *paths: str | Path, progress: Progress | bool = False) -> IngestReport:
        """Ingest files, folders (.txt .md .html .pdf) or documents.jsonl files."""
        report = self._ingestor.ingest_paths([Path(p) for p in paths], progress)
        if report.added or report.updated:
            self.retriever.invalidate()
        return report

    def ingest_documents(
        self, documents: Iterable[Document], progress: Progress | bool = False
    ) -> IngestReport:
        report = self._ingestor.ingest_documents(documents, progress)
        if report.added or report.updated:
            self.retriever.invalidate()
        return report

    def documents(self) -> list[DocumentInfo]:
        return self.index.documents()

    def document_text(self, doc_id: str) -> str:
        return self.index.text(doc_id)

    def chunks(self, doc_id: str) -> list[Chunk]:
        return self.index.chunks(doc_id)  # type: ignore[attr-defined]

    def remove(self, doc_id: str) -> None:
        self.index.remove(doc_id)
        self.retriever.invalidate()

    # Questions -------------------------------------------------------------------------

    def retrieve(self, question: str, k: int | None = None) -> list[ScoredSentence]:
        question = self._check(question)
        return self.retriever.retrieve(analyze(question), k or self.settings.top_k)

    def ask(
        self,
        question: str,
        history: Sequence[Turn] | Sequence[tuple[str, str]] = (),
        top_k: int | None = None,
    ) -> Answer:
        """Answer ``question``; ``history`` is the conversation before it, oldest first.

        ``Answer.retrieved`` holds the ranked passages considered: at least ``top_k``
        (default ``settings.top_k``) and at least the 10 the answerer reads.
        """
        started = time.perf_counter()
        question = self._check(question)
        turns = [t if isinstance(t, Turn) else Turn(*t) for t in history]
        standalone, query = resolve(question, turns)
        analysed = analyze(standalone)
        passages = self.retriever.retrieve(analysed, max(top_k or self.settings.top_k, 10), query_text=query)
        draft: Draft = self.answerer.answer(analysed, passages, self.retriever)
        return Answer(
            question=question,
            text=draft.text,
            short=draft.short,
            citations=draft.citations,
            refused=draft.refused,
            standalone_question=standalone,
            retrieved=tuple(passages),
            backend=self.answerer.name,
            latency_ms=(time.perf_counter() - started) * 1000,
            notes=draft.notes,
        )

    def conversation(self) -> Conversation:
        return Conversation(self)

    def _check(self, question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise EmptyQuestionError("the question is empty; type a question about the documents")
        question = question.strip()
        if len(question) > self.settings.max_question_chars:
            raise QuestionTooLongError(
                f"the question has {len(question):,} characters; the limit is "
                f"{self.settings.max_question_chars:,} (ASSISTANT_MAX_QUESTION_CHARS). "
                "Ask a shorter question."
            )
        return question

    def close(self) -> None:
        close = getattr(self.embedder, "close", None)
        if close:
            close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Conversation:
    """A chat: each question is answered in the light of the earlier turns."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.turns: list[Turn] = []

    def ask(self, question: str) -> Answer:
        answer = self.assistant.ask(question, self.turns)
        self.turns.append(Turn(question, answer.short or answer.text))
        return answer

    def reset(self) -> None:
        self.turns.clear()
