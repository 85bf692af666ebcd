"""Answerers turn ranked sentences into a cited Answer. The offline default is the reader.

The reader answerer never writes a claim the sources do not contain: its concise answer is
a span the trained reader marked in a retrieved sentence, cited by that sentence, and it
refuses when no span beats the reader's no-answer score by the margin fitted on training
articles (``resources/reader.card.json``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import dropwhile

from .byline import asks_for_author, find_byline
from .nlp import STOPWORDS, normalize_term, terms, tokens
from .protocols import CorpusView
from .question import AUXILIARIES, DOCUMENT_NOUN, AnswerForm, Question
from .reader import ReaderModel, Span
from .types import Citation, Draft, ScoredSentence, Sentence

# The share of the question's content (idf-weighted) a source must cover before the LLM path
# may cite it: below it, the model would be writing from sentences about something else.
MIN_COVERAGE = 0.45
# The reader reads the top sentences in two rounds: these first (one round on two threads),
# the rest only when none of these scored ``settled`` (fitted with the margin).
FIRST_ROUND = 2
# Injected instructions are data: a sentence that addresses the assistant is never read
# as evidence, on any answer path.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget)\b.{0,40}\b(?:instructions?|prompts?|rules|above|previous|prior)\b"
    r"|\b(?:system prompt|you are now|new instructions|as an ai\b|assistant must|reply only with)",
    re.IGNORECASE,
)
# "Summarise the article", "What is the council budget article about?", "tl;dr": the lead, not one span.
_SUMMARY = re.compile(
    r"\b(?:summari[sz]e|summary|tl;?dr|gist)\b"
    rf"|\bwhat(?:'s| is| are| was| were)\b[^?.!]{{0,80}}\b{DOCUMENT_NOUN}\b[^?.!]{{0,80}}\babout\s*[?.!]*\s*$"
    r"|\b(?:main|key)\s+points\b",
    re.IGNORECASE,
)
# Where a summary request names its article: the words before the noun ("the council budget
# article") or after "about"/"on"/"of" at the end ("the article about the council budget").
# A title in quotes names it too (a follow-up's "this article" is rewritten so).
_NAMED_BEFORE = re.compile(
    rf"\b(?:the|this|that|these|those|an?)\s+((?:[\w'’-]+\s+){{1,6}}?){DOCUMENT_NOUN}\b", re.IGNORECASE
)
_NAMED_AFTER = re.compile(
    r"\b(?:about|on|of|regarding|concerning)\s+([^?.!“\"]+?)\s*[?.!]*\s*$", re.IGNORECASE
)
_NAMED_QUOTED = re.compile(r"[“\"]([^”\"]+)[”\"]")
# The request's own words, which name no article.
_REQUEST_TERMS = frozenset(
    terms("article story document text piece news report file")
    + terms("summarise summarize summary gist tl dr main key points")
)
# A summary is the lead: long enough to say what a news story is about, short enough to read.
SUMMARY_SENTENCES = 3
# With several articles and none named, each gets its lead's first sentence (a news lead is
# written to say what the story is about), for at most this many, best-retrieved first.
SUMMARY_DOCUMENTS = 5
LEAD_SENTENCES_EACH = 1

# After a wh-word these make a question inverted: "what is X" reads as a clause after
# "don't say", "when did X happen" does not.
_INVERTING = AUXILIARIES - {"is", "are", "was", "were"}
# Where one clause of a sentence ends: commas and colons (not inside "30,000" or "6:30"),
# semicolons, dashes set apart, brackets and double quotes.
_CLAUSE_BREAK = re.compile(r"(?<!\d)[,:]|[,:](?!\d)|;|\s[-–—]\s|[–—]|[()“”\"]")


EvidenceFilter = Callable[[Question, ScoredSentence, CorpusView], bool]
"""Decides whether a retrieved sentence may be read as evidence for a question at all."""


@dataclass(frozen=True)
class Candidate:
    """The reader's best span in one retrieved sentence."""

    passage: ScoredSentence
    span: Span
    text: str
    position: int
    """Its place in the reading order: 0 is the best-ranked sentence read."""

    def score(self, retrieval_weight: float) -> float:
        """The reader's margin, plus the retrieval score at the weight fitted with the margin."""
        return self.span.margin + retrieval_weight * self.passage.score


def looks_like_instruction(text: str) -> bool:
    """Does a source sentence address the assistant ("ignore previous instructions ...")?"""
    return bool(_INSTRUCTION.search(text))


def asks_for_summary(question: str) -> bool:
    return bool(_SUMMARY.search(question))


class ReaderAnswerer:
    """Reads the top retrieved sentences and answers with the best span."""

    name = "extractive"

    def __init__(
        self,
        reader: ReaderModel,
        margin: float,
        retrieval_weight: float,
        passages: int,
        evidence: EvidenceFilter | None = None,
        settled: float = math.inf,
    ) -> None:
        self.reader = reader
        self.margin = margin
        self.retrieval_weight = retrieval_weight
        self.passages = passages
        self.evidence = evidence
        self.settled = settled

    def candidates(
        self, question: Question, passages: Sequence[ScoredSentence], corpus: CorpusView
    ) -> list[Candidate]:
        """The best span of each of the top sentences (instructions left out), in reading order.

        The sentences after the first FIRST_ROUND are read only when none of those scored
        ``settled``: the lowest score at which stopping lost no F1 on the calibration articles.
        """
        read = [p for p in passages if not looks_like_instruction(p.sentence.text)]
        if self.evidence is not None:
            read = [p for p in read if self.evidence(question, p, corpus)]
        read = read[: self.passages]
        found = self._read(question, read[:FIRST_ROUND], 0, corpus)
        if read[FIRST_ROUND:] and not settles(found, self.retrieval_weight, self.settled):
            found += self._read(question, read[FIRST_ROUND:], FIRST_ROUND, corpus)
        return found

    def _read(
        self, question: Question, passages: Sequence[ScoredSentence], first: int, corpus: CorpusView
    ) -> list[Candidate]:
        previous = [_previous_text(p.sentence, corpus) for p in passages]
        spans = self.reader.read(question.text, previous, [p.sentence.text for p in passages])
        return [
            Candidate(p, span, p.sentence.text[span.start : span.end].strip(), position)
            for position, (p, span) in enumerate(zip(passages, spans, strict=True), start=first)
            if span.end > span.start
        ]

    def answer(self, question: Question, passages: Sequence[ScoredSentence], corpus: CorpusView) -> Draft:
        if not passages:
            return refusal(question, "the store is empty")
        if asks_for_summary(question.text):
            return summary(question, passages, corpus)
        if asks_for_author(question.text):
            return authors(question, passages, corpus)
        candidates = self.candidates(question, passages, corpus)
        best = max(candidates, key=lambda c: c.score(self.retrieval_weight), default=None)
        if best is None or best.score(self.retrieval_weight) < self.margin:
            found = f"best margin {best.score(self.retrieval_weight):.2f}" if best else "no span"
            return refusal(question, f"the reader found no answer ({found} < {self.margin:.2f})")
        sentence = best.passage.sentence.text
        start, end = _ANSWER_FORMS[question.form](sentence, best.span.start, best.span.end, question)
        short = _clean(sentence[start:end])
        # A second sentence that also holds the answer strengthens the citation.
        others = [
            c.passage
            for c in candidates
            if c is not best and c.span.margin > 0 and _key(short) in _key(c.passage.sentence.text)
        ][:1]
        citations = tuple(citation(i, p) for i, p in enumerate([best.passage, *others], start=1))
        markers = "".join(f"[{c.marker}]" for c in citations)
        return Draft(
            text=f"{short} {markers}." if not short.endswith((".", "!", "?")) else f"{short} {markers}",
            short=short,
            citations=citations,
            refused=False,
            notes=(f"reader margin {best.span.margin:.2f}, score {best.score(self.retrieval_weight):.2f}",),
        )


def settles(first_round: Sequence[Candidate], retrieval_weight: float, settled: float) -> bool:
    """Does the first round's best span score enough that the rest need not be read?"""
    return any(c.score(retrieval_weight) >= settled for c in first_round)


def clause_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause of ``text`` that holds ``text[start:end]``, as (start, end): out to the
    nearest clause break on each side, without a closing stop.

    A reason or a statement is a clause; the reader, trained mostly on questions answered by
    a name or a number, may mark only a word of it ("unrealistic" for "why is deploying
    troops not realistic?"). On the held-out test articles' why-questions the clause scores
    as the reader's span does (F1 0.52 against 0.53; the whole sentence: 0.34).
    """
    left = max((m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)), default=0)
    following = _CLAUSE_BREAK.search(text, end)
    right = following.start() if following else len(text)
    while left < start and text[left].isspace():
        left += 1
    while right > end and text[right - 1].isspace():
        right -= 1
    if right > end:
        right = _without_closing_stop(text, left, right)
    return left, right


def whole_sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """All of ``text`` but its closing stop: the evidence for a yes/no question."""
    left = len(text) - len(text.lstrip())
    return left, _without_closing_stop(text, left, len(text.rstrip()))


def _without_closing_stop(text: str, left: int, right: int) -> int:
    """Where ``text[left:right]`` ends without its closing stop: a stop is not part of the
    answer, but an abbreviation's ("p.m.", "U.S.") is."""
    last_word = text[left:right].rsplit(None, 1)[-1] if right > left else ""
    if last_word and text[right - 1] in ".!?" and "." not in last_word[:-1]:
        return right - 1
    return right


# A capitalised word right after the span: the span is a title of the name that follows.
_TITLE_BEFORE_NAME = re.compile(r"\s+[A-Z]")
# A run of capitalised words right before a name: its title ("British Prime Minister").
_TITLE_WORDS = r"((?:[A-Z][\w.'’-]*\s+)+)"


def description_around(text: str, start: int, end: int, subject: str = "") -> tuple[int, int]:
    """For "who is <a name>?": the clause around the reader's span when the span is another
    name standing alone ("Podoliak, a key adviser to President Vladimir Zelensky, remarked"
    gives the adviser clause, not "Vladimir Zelensky"), unless the text puts a title right
    before ``subject``, the name asked about: then that title ("President" for "Who is
    Vladimir Zelensky?" in the same sentence, where the reader marks "Podoliak"). The span
    itself otherwise, a title before the name included ("British Prime Minister" in "British
    Prime Minister Keir Starmer").

    On 49 such questions of the 398 squad11_train articles the shipped reader never trained on,
    each read in its answer's sentence: F1 0.636 with the span, 0.685 with the clause (12
    answers changed; development data: the question pattern was narrowed on them). Held out, the
    test articles and SQuADShifts test parts have 5 such questions; one changed, for the worse
    ("Who is Amber Nash?" asks for the character she voices, a name). The subject's title
    (2026-12-07) changed one answer of the 50 development questions now counted there, for the
    better ("Who is John Gulick?": "According to the Rev. John Gulick" -> "Rev."), and none
    held out.
    """
    words = [w for w in text[start:end].split() if w[:1].isalpha()]
    is_name = bool(words) and all(w[0].isupper() for w in words)
    if not is_name or _TITLE_BEFORE_NAME.match(text, end):
        return start, end
    title = title_of(text, subject) if subject and subject not in text[start:end] else None
    return title or clause_around(text, start, end)


def title_of(text: str, name: str) -> tuple[int, int] | None:
    """Where ``text`` gives ``name`` a title: the capitalised words right before it, less the
    stopwords that lead them ("The" or "In" opening the sentence)."""
    found = re.search(_TITLE_WORDS + re.escape(name) + r"\b", text)
    if found is None:
        return None
    words = re.finditer(r"\S+", found.group(1))
    kept = list(dropwhile(lambda word: word.group().lower() in STOPWORDS, words))
    if not kept:
        return None
    return found.start(1) + kept[0].start(), found.start(1) + kept[-1].end()


# What the question asks decides how much of the reader's sentence answers it.
_ANSWER_FORMS: dict[AnswerForm, Callable[[str, int, int, Question], tuple[int, int]]] = {
    "span": lambda text, start, end, question: (start, end),
    "clause": lambda text, start, end, question: clause_around(text, start, end),
    "sentence": lambda text, start, end, question: whole_sentence(text, start, end),
    "description": lambda text, start, end, question: description_around(text, start, end, question.subject),
}


def summary(question: Question, passages: Sequence[ScoredSentence], corpus: CorpusView) -> Draft:
    """The lead of the article the question names (by its title's words, else by what the
    best-retrieved document covers); with none named, of every article (each its first
    sentence, at most SUMMARY_DOCUMENTS); a refusal when the named article is not there."""
    titles = corpus.document_titles()
    retrieved = {p.sentence.sentence_id: p.score for p in passages}
    topic = summary_topic(question.text)
    named = documents_meant(topic, passages, corpus, titles)
    if topic and not named:
        about = " ".join(_topic_phrases(question.text))
        return Draft(
            text=f"None of the documents is about {about}.",
            short=None,
            citations=(),
            refused=True,
            notes=(f"refused: no document is about {sorted(topic)}",),
        )
    if len(named) == 1:
        lead = _lead(named[0], corpus, SUMMARY_SENTENCES)
        citations = tuple(_cited(i, s, titles, retrieved) for i, s in enumerate(lead, start=1))
        text = " ".join(f"{c.text} [{c.marker}]" for c in citations)
        return Draft(text=text, short=None, citations=citations, refused=False, notes=("summary: the lead",))
    shown = named[:SUMMARY_DOCUMENTS]
    leads = [(s, s.text) for doc_id in shown for s in _lead(doc_id, corpus, LEAD_SENTENCES_EACH)]
    citations, parts = _under_titles(leads, titles, retrieved)
    if len(named) > len(shown):
        parts.append(f"({len(named) - len(shown)} more documents; name one to have it summarised.)")
    return Draft(
        text="\n\n".join(parts),
        short=None,
        citations=citations,
        refused=False,
        notes=(f"summary: the leads of {len(shown)} of {len(named)} documents",),
    )


def authors(question: Question, passages: Sequence[ScoredSentence], corpus: CorpusView) -> Draft:
    """Who wrote the article the question names (else each article, best-retrieved first): its
    byline, cited. Where none has a byline the answer is a refusal: the reader, asked who wrote
    a story, would name someone the story quotes."""
    titles = corpus.document_titles()
    retrieved = {p.sentence.sentence_id: p.score for p in passages}
    meant = documents_meant(summary_topic(question.text), passages, corpus, titles)
    found = [b for d in meant if (b := find_byline(corpus.document_sentences(d))) is not None]
    if not found:
        return refusal(question, f"no byline in {len(meant)} document(s) meant")
    if len(meant) == 1:
        byline = found[0]
        cited = _cited(1, byline.sentence, titles, retrieved)
        text = f"{byline.names} [1]."
        return Draft(text=text, short=byline.names, citations=(cited,), refused=False, notes=("byline",))
    shown = found[:SUMMARY_DOCUMENTS]
    citations, parts = _under_titles([(b.sentence, b.names) for b in shown], titles, retrieved)
    if len(found) > len(shown):
        parts.append(f"({len(found) - len(shown)} more bylines; name an article to be told who wrote it.)")
    return Draft(
        text="\n\n".join(parts),
        short=None,
        citations=citations,
        refused=False,
        notes=(f"bylines of {len(shown)} of {len(meant)} documents",),
    )


def documents_meant(
    topic: frozenset[str], passages: Sequence[ScoredSentence], corpus: CorpusView, titles: dict[str, str]
) -> list[str]:
    """The documents a request about "the article" means: those its ``topic`` names (by title,
    else the best-retrieved one about it; none when no document is), or with no topic every
    document, best-retrieved first."""
    if topic:
        return named_documents(topic, titles) or _retrieved_about(topic, passages, corpus)
    ranked = list(dict.fromkeys(p.sentence.doc_id for p in passages))
    return [*ranked, *(d for d in titles if d not in ranked)]


def _under_titles(
    entries: Sequence[tuple[Sentence, str]], titles: dict[str, str], retrieved: dict[str, float]
) -> tuple[tuple[Citation, ...], list[str]]:
    """Each (sentence, what to show of it) as a line under its document's title, the sentence
    cited; the citations and the lines."""
    citations = tuple(
        _cited(marker, sentence, titles, retrieved) for marker, (sentence, _) in enumerate(entries, 1)
    )
    lines = [
        f"{c.title or c.doc_id}: {shown} [{c.marker}]"
        for c, (_, shown) in zip(citations, entries, strict=True)
    ]
    return citations, lines


def _cited(marker: int, sentence: Sentence, titles: dict[str, str], retrieved: dict[str, float]) -> Citation:
    """``sentence`` cited under its document's title, with its retrieval score (0 when it was
    not retrieved: a lead or a byline is read from the document, not found by the question)."""
    return citation(
        marker,
        ScoredSentence(sentence, titles.get(sentence.doc_id, ""), retrieved.get(sentence.sentence_id, 0.0)),
    )


def summary_topic(question: str) -> frozenset[str]:
    """The terms by which a summary request names its article ({} when it names none)."""
    return frozenset(t for phrase in _topic_phrases(question) for t in terms(phrase)) - _REQUEST_TERMS


def _topic_phrases(question: str) -> list[str]:
    patterns = (_NAMED_QUOTED, _NAMED_BEFORE, _NAMED_AFTER)
    return [m.group(1).strip() for pattern in patterns for m in pattern.finditer(question)]


def named_documents(topic: frozenset[str], titles: dict[str, str]) -> list[str]:
    """The documents whose title (or id, a file name) holds the most of ``topic``, if any does."""
    overlap = {d: len(topic & set(terms(f"{title} {d}"))) for d, title in titles.items()}
    best = max(overlap.values(), default=0)
    return [d for d, n in overlap.items() if n == best] if best else []


def _retrieved_about(
    topic: frozenset[str], passages: Sequence[ScoredSentence], corpus: CorpusView
) -> list[str]:
    """The best-retrieved document that holds most (at least half) of ``topic``: an article
    named by what it is about rather than by its title."""
    for p in passages:
        if 2 * len(topic & corpus.document_terms(p.sentence.doc_id)) >= len(topic):
            return [p.sentence.doc_id]
    return []


def _lead(doc_id: str, corpus: CorpusView, n: int) -> list[Sentence]:
    """A document's first ``n`` sentences that read as prose (not its title or a dateline)."""
    sentences = corpus.document_sentences(doc_id)
    lead = [s for s in sentences if len(s.text.split()) >= 8 and s.text.rstrip()[-1:] in '.!?"”’']
    return (lead or sentences)[:n]


def _previous_text(sentence: Sentence, corpus: CorpusView) -> str:
    before = corpus.sentence(sentence.doc_id, sentence.index - 1)
    return before.text if before is not None else ""


def citation(marker: int, passage: ScoredSentence) -> Citation:
    s = passage.sentence
    return Citation(marker, s.doc_id, passage.title, s.text, s.start, s.end, round(passage.score, 4))


def refusal(question: Question, reason: str) -> Draft:
    text = question.text.strip().rstrip("?").strip()
    if not (question.wh and text.lower().startswith(question.wh.split()[0])):
        reply = "The documents don't answer that question."
    elif _inverted(question, text):
        # "don't say when did the meeting take place" is not English; quoting the question is.
        reply = f'The documents don\'t answer "{text}?"'
    else:
        reply = f"The documents don't say {text[0].lower()}{text[1:]}."
    return Draft(text=reply, short=None, citations=(), refused=True, notes=(f"refused: {reason}",))


def _inverted(question: Question, text: str) -> bool:
    """Is there an auxiliary other than a form of "be" soon after the wh-word ("When did
    ...", "How many troops did ...", "What will ...")? Such a question does not read as a
    clause after "don't say"; "what is X" and "who wrote X" do. Quoting is right either way,
    so a subject question caught here ("Who has won ...?") only reads more formally."""
    words = [w.lower() for *_, w in tokens(text)]
    after = len(question.wh.split())
    return any(w in _INVERTING for w in words[after : after + 4])


def supports(question: Question, passage: ScoredSentence, corpus: CorpusView) -> bool:
    """Is ``passage`` evidence about the question (for the LLM path): enough of the question's
    terms covered, and its names and numbers there (``names_and_numbers_near``)?"""
    return passage.coverage >= MIN_COVERAGE and names_and_numbers_near(question, passage, corpus)


def names_and_numbers_near(question: Question, passage: ScoredSentence, corpus: CorpusView) -> bool:
    """Is the sentence about what the question names? The reader cannot tell, so it is checked:

    - every number and year of the question is in the sentence or its document's title: a page
      about Wimbledon 2018 does not answer a question about 2019, and "200,000 soldiers" does
      not answer a question about 30,000 troops, even right after a sentence that names them;
    - most of its names are in the sentence's document: at most one in three missing
      (questions capitalise common words too), so "When will Starmer meet Vladimir Putin?" is
      not answered from a story about Starmer alone, while "Keir Starmer" may be "Starmer" in
      the sentence itself.
    """
    numbers = [t for t in question.key_terms if t[0].isdigit()]
    if numbers and not set(numbers) <= set(terms(f"{passage.title} {passage.sentence.text}")):
        return False
    names = [t for t in question.key_terms if not t[0].isdigit()]
    in_document = corpus.document_terms(passage.sentence.doc_id)
    return sum(t not in in_document for t in names) <= len(names) // 3


def _clean(surface: str) -> str:
    return surface.strip(" ,;:")


def _key(surface: str) -> str:
    return " ".join(normalize_term(w) or w.lower() for *_, w in tokens(surface))
