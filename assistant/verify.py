"""The citation verifier: every sentence of a generated answer is checked against what it cites.

A model writes ``Keir Starmer proposed it [2].``; the verifier

1. parses the ``[n]`` markers (also ``[1, 3]`` and ``[1-2]``) and maps each to the exact
   source sentence it numbers (so ``citation.text == document_text[start:end]``); markers
   that point to no source are dropped from the text and recorded;
2. renumbers the markers 1..m in order of first appearance, as the rest of the library does;
3. checks each answer sentence against the sentences it cites: every name, number and date
   in it must appear there (a surname's first name may come from the same document), and its
   meaning must be close to one of them (cosine of the local embedder >= threshold);
4. checks that the supported sentences answer the question asked: what the question is
   about (its names and numbers) must be covered by a cited sentence, and the claim must
   contain what the trained reader marks as the answer in the sentences it cites.

The functions here are pure apart from the embedder call; ``LLMAnswerer`` decides what to
show from the result (the answer, with unsupported sentences flagged, or a fallback).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .answer import MIN_COVERAGE, citation, looks_like_instruction  # one filter, one coverage bar, both paths
from .nlp import STOPWORDS, normalize_term, terms, tokens
from .protocols import Embedder
from .question import Question
from .reader import ReaderModel
from .segment import SENTENCE_OPENERS, split_sentences
from .types import Citation, ClaimCheck, ScoredSentence

# Cosine (all-MiniLM-L6-v2) between a claim (alone, or after its question) and a cited sentence.
# Measured on the seed article, 78 faithful claims (short answers, "X is the answer.", the
# evidence's first clause) against their evidence and 1,248 against the other sentences:
#   threshold   faithful kept   wrong sentence accepted   ... and passing the names/numbers check
#   0.35        0.90            0.278                     0.029
#   0.45        0.78            0.092                     0.014
#   0.55        0.63            0.016                     0.002
# 0.45 keeps most faithful claims; the names/numbers and question checks catch the rest.
DEFAULT_THRESHOLD = 0.45

MARKER = re.compile(r"\s?\[(\d+(?:\s*[,;–-]\s*\d+)*)\]")
_ONLY_MARKERS = re.compile(r"^(?:\s*\[\d+(?:\s*[,;–-]\s*\d+)*\]\s*[.!?]?)+\s*$")
_REFUSAL = re.compile(
    r"\b(?:(?:do|does|did)\s*(?:not|n['’]t)\s+(?:say|mention|contain|state|specify|provide|include)"
    r"|no information|not (?:mentioned|stated|specified|provided|available)"
    r"|cannot (?:answer|find|be determined)|can['’]t (?:answer|find)|unable to (?:answer|find|determine)"
    r"|sources? (?:is|are) silent)\b",
    re.IGNORECASE,
)
_MONTHS = frozenset(
    re.findall(
        r"\w+",
        "january february march april may june july august september october november december "
        "jan feb mar apr jun jul aug sep sept oct nov dec "
        "monday tuesday wednesday thursday friday saturday sunday",
    )
)
# Capitalised words that open a sentence without naming anything.
_OPENERS = (
    SENTENCE_OPENERS
    | STOPWORDS
    | frozenset(
        re.findall(
            r"\w+",
            "according based yes no sources source however also answer overall in on at by for "
            "after before during while although since",
        )
    )
)
# Words about the answer rather than the world: "The source is [1]." says nothing.
_META = frozenset(terms("source sources answer answers question article text document documents says said"))


@dataclass(frozen=True)
class Checked:
    """What ``verify`` returns: the cleaned text, its citations and one check per claim."""

    text: str
    citations: tuple[Citation, ...]
    claims: tuple[ClaimCheck, ...]
    dropped_markers: tuple[int, ...]
    refuses: bool
    """The reply says the sources do not answer (and makes no supported claim)."""
    answers_question: bool
    """Some supported claim cites evidence for the question and has the kind of answer it asks for."""
    why_not: str = ""

    @property
    def supported(self) -> tuple[ClaimCheck, ...]:
        return tuple(c for c in self.claims if c.supported)

    answer_claim: ClaimCheck | None = None
    """The first supported claim that answers the question."""

    def supported_text(self) -> str:
        """The concise answer: the claim that answers the question, else every supported sentence."""
        if self.answer_claim is not None:
            return strip_markers(self.answer_claim.text)
        return " ".join(strip_markers(c.text) for c in self.claims if c.supported).strip()


def strip_markers(text: str) -> str:
    return re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", text)).strip()


def parse_markers(text: str) -> list[tuple[int, int, tuple[int, ...]]]:
    """(start, end, numbers) of each marker group in ``text``; "[1-3]" is (1, 2, 3)."""
    out = []
    for match in MARKER.finditer(text):
        numbers: list[int] = []
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            ends = [int(x) for x in re.split(r"\s*[–-]\s*", part)]
            if len(ends) == 2 and 0 < ends[1] - ends[0] < 20:
                numbers.extend(range(ends[0], ends[1] + 1))
            else:
                numbers.extend(ends)
        out.append((match.start(), match.end(), tuple(numbers)))
    return out


def renumber(text: str, n_sources: int) -> tuple[str, dict[int, int], tuple[int, ...]]:
    """Markers rewritten 1..m in order of first use; those outside 1..n_sources removed.

    Returns (new text, {source number: new marker}, dropped source numbers).
    """
    mapping: dict[int, int] = {}
    dropped: list[int] = []
    pieces: list[str] = []
    cursor = 0
    for start, end, numbers in parse_markers(text):
        pieces.append(text[cursor:start])
        kept = []
        for number in dict.fromkeys(numbers):
            if 1 <= number <= n_sources:
                mapping.setdefault(number, len(mapping) + 1)
                kept.append(mapping[number])
            else:
                dropped.append(number)
        if kept:
            pieces.append(" " + "".join(f"[{m}]" for m in kept))
        cursor = end
    pieces.append(text[cursor:])
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", "".join(pieces))
    return cleaned.strip(), mapping, tuple(dropped)


def claim_spans(text: str) -> list[tuple[int, int]]:
    """Sentences of an answer; a sentence of markers only ("[2].") joins the one before it."""
    spans: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        if spans and _ONLY_MARKERS.match(text[start:end]):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def facts(claim: str) -> tuple[list[list[str]], list[str]]:
    """(name runs, numbers) a claim asserts: "Keir Starmer", "30,000", "February", "2022"."""
    words = tokens(claim)
    names: list[list[str]] = []
    numbers: list[str] = []
    run: list[str] = []
    for i, (_, _, word) in enumerate(words):
        if word[0].isdigit():
            numbers.append(normalize_term(word) or word)
        is_name = word[0].isupper() and not (i == 0 and word.lower() in _OPENERS)
        if is_name or (word.lower() in _MONTHS and i > 0):
            run.append(word)
            continue
        if run:
            names.append(run)
            run = []
    if run:
        names.append(run)
    return names, numbers


def _word_set(text: str) -> set[str]:
    out = set()
    for _, _, w in tokens(text):
        low = w.lower().replace("’", "'")
        out.add(low)
        out.add(re.sub(r"'s$", "", low))
        if w[0].isdigit():
            out.add(normalize_term(w) or w)
    return out


def missing_facts(claim: str, cited: Sequence[str], documents: Sequence[str]) -> list[str]:
    """Names and numbers of ``claim`` its cited sentences do not contain.

    A name part may also come from the cited sentences' documents when the whole name is
    written there and another part of it is in a cited sentence ("Keir" of "Keir Starmer"
    for a sentence that says "Starmer").
    """
    words = set().union(*(_word_set(t) for t in cited)) if cited else set()
    names, numbers = facts(claim)
    missing = [n for n in numbers if n not in words]
    for run in names:
        parts = [re.sub(r"['’]s$", "", w.lower()) for w in run]
        absent = [w for w, p in zip(run, parts, strict=True) if p not in words]
        if not absent:
            continue
        phrase = " ".join(run)
        if len(absent) < len(run) and any(phrase.lower() in d.lower() for d in documents):
            continue
        missing.extend(absent)
    return missing


def grounded(question: Question, claim: str, cited: Sequence[str]) -> bool:
    """Does the claim say something of its own that its sources say?

    At least half of its content words beyond the question's must be in the cited
    sentences, and there must be some: "The answer is [1]." after a question would
    otherwise borrow the question's closeness to the source.
    """
    own = {t for t in terms(claim) if t not in question.terms and t not in _META}
    if not own:
        return False
    there = set().union(*(terms(t) for t in cited)) if cited else set()
    return len(own & there) >= len(own) / 2


def kind_of_answer(question: Question, claim: str, answers: Sequence[str] = ()) -> bool:
    """Does ``claim`` hold what the question asks for, beyond the question's own words?

    ``answers`` are the spans the reader marks as the answer in the sentences the claim
    cites: the claim must contain a word of one of them that the question does not already
    have ("Starmer" for "Who proposed 30,000 troops?"; "30,000 troops were proposed." is no
    answer). Without such a span, any content word the question does not have will do.
    """
    asked = set(question.surface_words) | set(question.terms)
    said = {normalize_term(w) or w.lower() for _, _, w in tokens(claim)}
    expected = [
        fresh
        for answer in answers
        if (
            fresh := {
                normalize_term(w) or w.lower()
                for _, _, w in tokens(answer)
                if w.lower() not in STOPWORDS and w.lower() not in asked and normalize_term(w) not in asked
            }
        )
    ]
    if expected:
        return any(fresh & said for fresh in expected)
    return any(t not in asked and t not in _META for t in terms(claim))


class Verifier:
    """Checks a generated answer against the numbered sources it was written from."""

    def __init__(
        self, embedder: Embedder, threshold: float = DEFAULT_THRESHOLD, reader: ReaderModel | None = None
    ) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.reader = reader

    def verify(
        self,
        question: Question,
        reply: str,
        sources: Sequence[ScoredSentence],
        document_text: dict[str, str] | None = None,
        covers: Sequence[bool] | None = None,
    ) -> Checked:
        """Check ``reply`` (markers number ``sources`` from 1).

        ``document_text`` maps doc ids to their text (for first names written elsewhere in a
        cited document); ``covers[i]`` says whether source i+1 is evidence for the question
        (defaults to its retrieval coverage).
        """
        documents = document_text or {}
        covers = list(covers) if covers is not None else [s.coverage >= MIN_COVERAGE for s in sources]
        text, mapping, dropped = renumber(reply.strip(), len(sources))
        source_of = {marker: number for number, marker in mapping.items()}
        citations = tuple(
            citation(marker, sources[number - 1]) for marker, number in sorted(source_of.items())
        )
        spans = claim_spans(text)
        pending: list[tuple[int, int, str, tuple[int, ...]]] = []
        for start, end in spans:
            sentence = text[start:end]
            markers = tuple(dict.fromkeys(m for _, _, ms in parse_markers(sentence) for m in ms))
            pending.append((start, end, sentence, markers))
        claims_text = [strip_markers(s) for _, _, s, _ in pending]
        vectors = self._similarities(question, claims_text, pending, sources, source_of)
        claims: list[ClaimCheck] = []
        refuses = False
        for (start, end, sentence, markers), bare, similarity in zip(
            pending, claims_text, vectors, strict=True
        ):
            if not terms(bare):
                continue  # "Sure!" states nothing
            if not markers and _REFUSAL.search(bare):
                refuses = True
                continue
            reasons: list[str] = []
            cited = [sources[source_of[m] - 1] for m in markers]
            if not cited:
                reasons.append("no citation")
            else:
                injected = [
                    m for m, c in zip(markers, cited, strict=True) if looks_like_instruction(c.sentence.text)
                ]
                if injected:
                    reasons.append(f"cites an instruction inside a document {injected}")
                texts = [c.sentence.text for c in cited]
                docs = [documents[c.sentence.doc_id] for c in cited if c.sentence.doc_id in documents]
                absent = missing_facts(bare, texts, docs)
                if absent:
                    reasons.append("not in its sources: " + ", ".join(repr(a) for a in dict.fromkeys(absent)))
                if not grounded(question, bare, texts):
                    reasons.append("adds nothing its sources say")
                if similarity < self.threshold:
                    reasons.append(
                        f"meaning too far from its sources ({similarity:.2f} < {self.threshold:.2f})"
                    )
            claims.append(
                ClaimCheck(
                    text=sentence,
                    start=start,
                    end=end,
                    markers=markers,
                    supported=not reasons,
                    reasons=tuple(reasons),
                    similarity=round(float(similarity), 4),
                )
            )
        answers, why_not, answer_claim = self._answers(question, claims, sources, source_of, covers)
        return Checked(
            text=text,
            citations=citations,
            claims=tuple(claims),
            dropped_markers=dropped,
            refuses=refuses and not any(c.supported for c in claims),
            answers_question=answers,
            why_not=why_not,
            answer_claim=answer_claim,
        )

    def _similarities(
        self,
        question: Question,
        claims: list[str],
        pending: list[tuple[int, int, str, tuple[int, ...]]],
        sources: Sequence[ScoredSentence],
        source_of: dict[int, int],
    ) -> list[float]:
        """Best cosine of each claim (alone, and read as the answer to the question) with what it cites."""
        cited_numbers = sorted({source_of[m] for *_, markers in pending for m in markers})
        if not cited_numbers or not claims:
            return [0.0] * len(claims)
        row = {n: i for i, n in enumerate(cited_numbers)}
        texts = [sources[n - 1].sentence.text for n in cited_numbers]
        vectors = self.embedder.embed([*texts, *claims, *(f"{question.text} {c}" for c in claims)])
        cited_v = vectors[: len(texts)]
        alone = vectors[len(texts) : len(texts) + len(claims)]
        in_context = vectors[len(texts) + len(claims) :]
        out = []
        for i, (*_, markers) in enumerate(pending):
            rows = [row[source_of[m]] for m in markers]
            if not rows:
                out.append(0.0)
                continue
            sims = np.concatenate([cited_v[rows] @ alone[i], cited_v[rows] @ in_context[i]])
            out.append(float(sims.max()))
        return out

    def reader_answers(self, question: Question, cited: list[str]) -> list[str]:
        """What the reader marks as the answer in each cited sentence (none without a reader)."""
        if self.reader is None:
            return []
        spans = self.reader.read(question.text, [""] * len(cited), cited)
        return [text[span.start : span.end] for text, span in zip(cited, spans, strict=True)]

    def _answers(
        self,
        question: Question,
        claims: Sequence[ClaimCheck],
        sources: Sequence[ScoredSentence],
        source_of: dict[int, int],
        covers: Sequence[bool],
    ) -> tuple[bool, str, ClaimCheck | None]:
        supported = [c for c in claims if c.supported]
        if not supported:
            why = "no claim is supported by its citations" if claims else "the reply makes no claim"
            return False, why, None
        on_topic = [c for c in supported if any(covers[source_of[m] - 1] for m in c.markers)]
        if not on_topic:
            return False, "the supported claims cite no sentence about the question", None
        for claim in on_topic:
            cited = [sources[source_of[m] - 1].sentence.text for m in claim.markers]
            if kind_of_answer(question, strip_markers(claim.text), self.reader_answers(question, cited)):
                return True, "", claim
        return False, "the supported claims do not contain the kind of answer the question asks for", None
