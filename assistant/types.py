"""Value objects that cross module boundaries. All frozen: they are facts, not state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Document:
    """A source text as ingested. Offsets everywhere refer to ``text``."""

    doc_id: str
    title: str
    text: str
    source: str = ""
    url: str | None = None
    published_at: str | None = None


@dataclass(frozen=True)
class Sentence:
    doc_id: str
    index: int
    start: int
    end: int
    text: str

    @property
    def sentence_id(self) -> str:
        return f"{self.doc_id}::s{self.index}"

    @staticmethod
    def parse_id(sentence_id: str) -> tuple[str, int] | None:
        """``(doc_id, index)`` of a ``sentence_id``, or None when it is not one."""
        doc_id, _, index = sentence_id.rpartition("::s")
        return (doc_id, int(index)) if doc_id and index.isdigit() else None


@dataclass(frozen=True)
class Chunk:
    """Whole sentences [first_sentence, last_sentence] of one document, within a token budget."""

    doc_id: str
    index: int
    start: int
    end: int
    text: str
    first_sentence: int
    last_sentence: int
    n_tokens: int

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}::c{self.index}"


@dataclass(frozen=True)
class DocumentInfo:
    """What the store knows about an indexed document."""

    doc_id: str
    title: str
    source: str
    content_hash: str
    added_at: str
    n_sentences: int
    n_chunks: int
    n_chars: int
    url: str | None = None
    published_at: str | None = None


@dataclass(frozen=True)
class ScoredSentence:
    """A retrieved sentence with the signals that ranked it."""

    sentence: Sentence
    title: str
    score: float
    dense: float = 0.0
    lexical: float = 0.0
    coverage: float = 0.0


@dataclass(frozen=True)
class Citation:
    """An exact, checkable pointer: ``text == document_text[start:end]``."""

    marker: int
    doc_id: str
    title: str
    text: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class ClaimCheck:
    """One sentence of a generated answer and what the verifier found about it.

    ``start``/``end`` locate the sentence in ``Answer.text`` (so a UI can mark it);
    ``markers`` are the citation markers it carries there.
    """

    text: str
    start: int
    end: int
    markers: tuple[int, ...]
    supported: bool
    reasons: tuple[str, ...] = ()
    """Why it is not supported: "no citation", "not in its sources: 'Mikhail'", ..."""
    similarity: float = 0.0
    """Best cosine similarity between the sentence and the sentences it cites."""


@dataclass(frozen=True)
class Verification:
    """The verifier's record for one generated answer: what was checked, what failed, what ran instead."""

    checked: int
    """Answer sentences that make a claim (and were checked)."""
    supported: int
    """Of those, how many their cited sentences support."""
    claims: tuple[ClaimCheck, ...] = ()
    dropped_markers: tuple[int, ...] = ()
    """Markers the model wrote that point to no source; removed from the text."""
    fallback: str | None = None
    """None (the model's answer is shown), "extractive" or "refusal" (it was replaced)."""
    reason: str = ""
    """Why the fallback ran, or "" when it did not."""
    draft: str = ""
    """The model's reply as written, before markers were renumbered or the answer replaced."""
    threshold: float = 0.0
    """Similarity a claim needed to count as supported."""
    error: str | None = None
    """The backend failure (timeout, 401, 429, ...) when the model could not answer."""

    @property
    def flagged(self) -> tuple[ClaimCheck, ...]:
        """Claims of the model's reply that their sources do not support."""
        return tuple(c for c in self.claims if not c.supported)

    @property
    def shows_flagged(self) -> bool:
        """Does the answer shown to the user contain a flagged sentence?"""
        return self.fallback is None and bool(self.flagged)


@dataclass(frozen=True)
class Correction:
    """A word of the question that was read as another: a typo matched to the corpus's words."""

    original: str
    corrected: str

    @property
    def note(self) -> str:
        return f"Read “{self.original}” as “{self.corrected}”."


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    short: str | None
    citations: tuple[Citation, ...]
    refused: bool
    standalone_question: str = ""
    retrieved: tuple[ScoredSentence, ...] = ()
    backend: str = "extractive"
    latency_ms: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)
    verification: Verification | None = None
    """The citation verifier's record (LLM answers); None for the extractive answerer."""
    ttft_ms: float | None = None
    """Time to the first streamed text, from the question (the whole text at once offline)."""
    corrections: tuple[Correction, ...] = ()
    """Typos read as the corpus's words; ``standalone_question`` is the question as read."""

    def to_dict(self, passages: int = 5) -> dict[str, Any]:
        """The answer as plain JSON (``assistant ask --json``, the web UI's ``/ask`` API and the
        conversation a browser tab keeps): citations with exact offsets, the top ``passages``
        retrieved sentences, the verifier's record. ``from_dict`` reads it back."""
        v = self.verification
        return {
            "question": self.question,
            "text": self.text,
            "short": self.short,
            "refused": self.refused,
            "standalone_question": self.standalone_question,
            "corrections": [asdict(c) | {"note": c.note} for c in self.corrections],
            "citations": [asdict(c) for c in self.citations],
            "passages": [
                {
                    "doc_id": p.sentence.doc_id,
                    "index": p.sentence.index,
                    "title": p.title,
                    "text": p.sentence.text,
                    "start": p.sentence.start,
                    "end": p.sentence.end,
                    "score": round(p.score, 4),
                    "dense": round(p.dense, 4),
                    "lexical": round(p.lexical, 4),
                }
                for p in self.retrieved[:passages]
            ],
            "backend": self.backend,
            "latency_ms": round(self.latency_ms, 2),
            "verification": None
            if v is None
            else {
                "checked": v.checked,
                "supported": v.supported,
                "fallback": v.fallback,
                "reason": v.reason,
                "error": v.error,
                "dropped_markers": list(v.dropped_markers),
                "flagged": [
                    {
                        "text": c.text,
                        "start": c.start,
                        "end": c.end,
                        "markers": list(c.markers),
                        "reasons": list(c.reasons),
                    }
                    for c in v.flagged
                ],
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Answer:
        """The answer ``to_dict`` wrote, as it was shown: text, citations, passages, the claims
        the verifier flagged. What ``to_dict`` leaves out stays out: the passages past those
        it kept, the claims that were supported, the model's draft, notes, time to first token.

        Raises KeyError or TypeError when ``data`` is not in that form.
        """
        v = data["verification"]
        return cls(
            question=data["question"],
            text=data["text"],
            short=data["short"],
            citations=tuple(Citation(**c) for c in data["citations"]),
            refused=data["refused"],
            standalone_question=data["standalone_question"],
            retrieved=tuple(
                ScoredSentence(
                    Sentence(p["doc_id"], p["index"], p["start"], p["end"], p["text"]),
                    p["title"],
                    p["score"],
                    p["dense"],
                    p["lexical"],
                )
                for p in data["passages"]
            ),
            backend=data["backend"],
            latency_ms=data["latency_ms"],
            verification=None
            if v is None
            else Verification(
                checked=v["checked"],
                supported=v["supported"],
                claims=tuple(
                    ClaimCheck(
                        c["text"],
                        c["start"],
                        c["end"],
                        tuple(c["markers"]),
                        supported=False,
                        reasons=tuple(c["reasons"]),
                    )
                    for c in v["flagged"]
                ),
                dropped_markers=tuple(v["dropped_markers"]),
                fallback=v["fallback"],
                reason=v["reason"],
                error=v["error"],
            ),
            corrections=tuple(Correction(c["original"], c["corrected"]) for c in data["corrections"]),
        )


@dataclass(frozen=True)
class Draft:
    """An answerer's result before the assistant stamps timing and history on it."""

    text: str
    short: str | None
    citations: tuple[Citation, ...]
    refused: bool
    notes: tuple[str, ...] = ()
    verification: Verification | None = None
    """The citation verifier's record, from answerers that check a model's claims."""


@dataclass(frozen=True)
class DocumentRecord:
    """A document with everything derived from it, ready to store."""

    document: Document
    content_hash: str
    sentences: Sequence[Sentence]
    chunks: Sequence[Chunk]
    sentence_vectors: np.ndarray


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str
    sources: tuple[str, ...] = ()
    """The documents the answer cited (titles, or ids when untitled), first cited first:
    what "this article" means in the next question."""


@dataclass(frozen=True)
class IngestReport:
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    n_sentences: int = 0
    n_chunks: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
        ]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped (unsupported type)")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return (
            ", ".join(parts)
            + f"; {self.n_sentences} sentences, {self.n_chunks} chunks in {self.seconds:.1f}s"
        )
