"""Answerers turn ranked sentences into a cited Answer. The offline default is extractive.

The extractive answerer never writes a claim the sources do not contain: its concise
answer is a span of a cited sentence, and it refuses when the best evidence does not
answer the question (key terms of the question missing from it, too little of the
question covered, or no span of the expected type, such as a person for "who").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from .nlp import STOPWORDS, EntityTagger, normalize_term, tokens
from .question import PERSON, Question
from .types import Citation, Entity, ScoredSentence, Sentence

MIN_COVERAGE = 0.45
MAX_PASSAGES = 10
SPAN_PASSAGES = 3
# How much a label further down the expected list is worth: a 'who' question wants a
# person first, an organisation second.
TYPE_WEIGHTS = (1.0, 0.6, 0.4, 0.3)
# "Who won ...?" asks for the subject: a candidate after the question's words in the
# sentence ("... beats Serena Williams") is less likely the answer than one before it.
SUBJECT_SIDE_PENALTY = 0.6
OPPONENT_PENALTY = 0.3
# Who "beats" or "defeats" someone is the subject; the one beaten is not who won.
_OPPONENT = re.compile(
    r"\b(?:beat|beats|beating|defeat|defeats|defeated|defeating|over|against|versus|vs\.?)\s+$", re.I
)
_RELATIVE_DATE = re.compile(
    r"\b(today|yesterday|tomorrow|tonight|last|next|this|ago|recently|earlier|later|week|weekend)\b|day$",
    re.IGNORECASE,
)


class CorpusView(Protocol):
    """What an answerer may look up besides the retrieved sentences."""

    def document_sentences(self, doc_id: str) -> list[Sentence]: ...

    def context_terms(self, sentence: Sentence) -> frozenset[str]: ...

    def document_terms(self, doc_id: str) -> frozenset[str]: ...


@dataclass(frozen=True)
class Draft:
    """An answerer's result before the assistant stamps timing and history on it."""

    text: str
    short: str | None
    citations: tuple[Citation, ...]
    refused: bool
    notes: tuple[str, ...] = ()


class Answerer(Protocol):
    name: str

    def answer(self, question: Question, passages: Sequence[ScoredSentence], corpus: CorpusView) -> Draft: ...


@dataclass
class _Candidate:
    surface: str
    sentence: ScoredSentence
    score: float
    label: str
    support: list[ScoredSentence] = field(default_factory=list)
    best: float = 0.0

    def __post_init__(self) -> None:
        self.best = self.best or self.score


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, tagger: EntityTagger) -> None:
        self.tagger = tagger

    def answer(self, question: Question, passages: Sequence[ScoredSentence], corpus: CorpusView) -> Draft:
        supported = [p for p in passages[:MAX_PASSAGES] if supports(question, p, corpus)]
        if _AUTHOR_QUESTION.search(question.text) and (byline := _byline(passages, corpus)) is not None:
            supported, question = [byline], replace(question, expected=PERSON)
        if not supported:
            reason = "no retrieved sentence covers the question" if passages else "the store is empty"
            return refusal(question, reason)
        if question.expected:
            candidate = _best_typed(question, supported, corpus)
            if candidate is None:
                return refusal(question, f"no {'/'.join(question.expected)} in the supporting sentences")
        else:
            if question.wh in ("what", "which"):
                # Only a parse tells "what type of compounds" (asks for compounds) from
                # "what led to" (asks for a cause); the question's wording alone cannot.
                question = replace(question, type_word=self.tagger.wh_head(question.text))
            candidate = _best_span(question, supported, self.tagger)
            if candidate is None:
                return refusal(question, "no answer span found in the supporting sentences")
        cited = [candidate.sentence, *[p for p in candidate.support if p is not candidate.sentence][:1]]
        citations = tuple(citation(i, p) for i, p in enumerate(cited, start=1))
        markers = "".join(f"[{c.marker}]" for c in citations)
        return Draft(
            text=f"{candidate.surface} {markers}.",
            short=candidate.surface,
            citations=citations,
            refused=False,
            notes=(f"answer type {candidate.label or 'span'}",),
        )


_AUTHOR_QUESTION = re.compile(
    r"\bwho\b.*\b(wrote|written|writes|authored|penned)\b|\b(author|byline|writer)\b", re.IGNORECASE
)
_BYLINE_TAIL = re.compile(r"^\s*(?:$|for\b|,|\||–|-|reporting\b)", re.IGNORECASE)


def _byline(passages: Sequence[ScoredSentence], corpus: CorpusView) -> ScoredSentence | None:
    """The byline of the best passage's document: "By Jane Doe" first, or "Jane Doe for X" last."""
    if not passages:
        return None
    best = passages[0]
    sentences = corpus.document_sentences(best.sentence.doc_id)
    for sentence in [*sentences[:3], *sentences[-2:]]:
        if len(sentence.text) > 80:
            continue
        for entity in sentence.entities:
            if entity.label != "PERSON":
                continue
            before = sentence.text[: entity.start - sentence.start].strip()
            after = sentence.text[entity.end - sentence.start :]
            if before.lower() in ("", "by") and _BYLINE_TAIL.match(after):
                return ScoredSentence(sentence=sentence, title=best.title, score=best.score, coverage=1.0)
    return None


def citation(marker: int, passage: ScoredSentence) -> Citation:
    s = passage.sentence
    return Citation(marker, s.doc_id, passage.title, s.text, s.start, s.end, round(passage.score, 4))


def refusal(question: Question, reason: str) -> Draft:
    text = question.text.strip().rstrip("?").strip()
    if question.wh and text.lower().startswith(question.wh.split()[0]):
        reply = f"The documents don't say {text[0].lower()}{text[1:]}."
    else:
        reply = "The documents don't answer that question."
    return Draft(text=reply, short=None, citations=(), refused=True, notes=(f"refused: {reason}",))


def supports(question: Question, passage: ScoredSentence, corpus: CorpusView) -> bool:
    """Is ``passage`` evidence about the question: its terms covered, its names and numbers nearby?"""
    if passage.coverage < MIN_COVERAGE:
        return False
    # The question's numbers must be in or next to the passage ("Wimbledon 2019" is not
    # answered by a page about 2018), and so must its names ("travel to Paris" is not
    # answered by a sentence about Washington), save one in three: questions capitalise
    # common words too ("the World Cup Final"). A person may be named in full elsewhere
    # in the document ("Keir" in "Keir Starmer" for a sentence that says "Starmer").
    nearby = corpus.context_terms(passage.sentence)
    missing = [t for t in question.key_terms if t not in nearby]
    if not missing:
        return True
    people = [
        {normalize_term(w) for *_, w in tokens(e.text)}
        for s in corpus.document_sentences(passage.sentence.doc_id)
        for e in s.entities
        if e.label == "PERSON"
    ]
    unexplained = [t for t in missing if not any(t in name and name & nearby for name in people)]
    names = [t for t in question.key_terms if not t[0].isdigit()]
    return not any(t[0].isdigit() for t in unexplained) and len(unexplained) <= len(names) // 3


def _best_typed(question: Question, passages: list[ScoredSentence], corpus: CorpusView) -> _Candidate | None:
    mentions: list[_Candidate] = []
    doc_ids = list(dict.fromkeys(p.sentence.doc_id for p in passages))
    for rank, passage in enumerate(passages):
        sentence = passage.sentence
        anchors = _anchor_positions(question, sentence)
        pronouns = [
            start for start, _, w in tokens(sentence.text) if w.lower() in ("he", "she", "his", "her")
        ]
        for entity in sentence.entities:
            if _inside_question(entity.text, question):
                continue
            if entity.label in question.expected:
                preference = TYPE_WEIGHTS[min(question.expected.index(entity.label), len(TYPE_WEIGHTS) - 1)]
            elif _locative(question, sentence, entity):
                preference = 0.9
            else:
                continue
            if entity.label == "DATE":
                preference *= _date_specificity(entity.text)
                if question.type_word == "year" and not re.search(r"\b\d{4}\b", entity.text):
                    preference *= 0.3  # "what year" wants a year, not "February 24"
            positions = [entity.start - sentence.start]
            if entity.label == "PERSON":
                # A personal pronoun next to the question's words stands for a person
                # named in the sentence: "Starmer ... he plans to propose".
                positions += pronouns
            distance, side = _distance(positions, anchors, _verb(question))
            proximity = 1.0 / (1.0 + distance / 40.0)
            if (question.subject_answer and not side) or (question.object_answer and side):
                proximity *= SUBJECT_SIDE_PENALTY
            if question.subject_answer and _OPPONENT.search(sentence.text[: entity.start - sentence.start]):
                preference *= OPPONENT_PENALTY
            score = passage.score * preference * (0.5 + 0.5 * proximity) * (0.85**rank)
            if entity.label == "PERSON":
                surface = _name_in_sentence(entity, sentence)
                if surface == entity.text:
                    surface = _full_name(entity.text, [sentence.doc_id, *doc_ids], corpus)
            else:
                surface = _with_region(entity, sentence)
            mentions.append(_Candidate(_clean(surface), passage, score, entity.label, [passage]))
    if passages and not any(m.sentence is passages[0] for m in mentions):
        mentions += _from_lede(question, passages[0], corpus)
    return _vote(mentions)


def _from_lede(question: Question, headline: ScoredSentence, corpus: CorpusView) -> list[_Candidate]:
    """A headline describes who it is about ("Zelensky's top aide says ..."); the first
    sentence of the story names them. When the best evidence is a headline with no answer
    in it, the answer may come from the story's first sentence, at half the weight."""
    sentence = headline.sentence
    if sentence.index != 0 or sentence.text.rstrip()[-1:] in ".!?":
        return []
    following = corpus.document_sentences(sentence.doc_id)[1:2]
    if not following:
        return []
    lede = ScoredSentence(following[0], headline.title, headline.score * 0.5, coverage=headline.coverage)
    return [
        _Candidate(_clean(e.text), lede, lede.score, e.label, [lede, headline])
        for e in lede.sentence.entities
        if e.label == question.expected[0] and not _inside_question(e.text, question)
    ]


def _locative(question: Question, sentence: Sentence, entity: Entity) -> bool:
    """A name after "to", "in" or "from" is a place, whatever the tagger said ("a visit to Kiev")."""
    if question.expected[:1] != ("GPE",) or entity.label not in ("PERSON", "ORG"):
        return False
    before = sentence.text[: entity.start - sentence.start].split()
    return bool(before) and before[-1].lower() in ("in", "to", "at", "from", "near", "into")


def _vote(mentions: list[_Candidate]) -> _Candidate | None:
    """Merge mentions of one answer and add up their evidence.

    Mentions merge when one's words are contained in the other's ("Disney" and "The Walt
    Disney Co.", "2015" and "December 2015"); the answer keeps the wording of its best
    mention, so a bare "2015" mentioned four times does not outvote "December 2015".
    """
    merged: list[tuple[frozenset[str], _Candidate]] = []
    for mention in sorted(mentions, key=lambda m: -m.score):
        words = frozenset(_key(mention.surface).split())
        if not words:
            continue
        for i, (known, candidate) in enumerate(merged):
            if words <= known or known <= words:
                # A sentence votes once, however often it repeats the name.
                if mention.sentence not in candidate.support:
                    candidate.score += 0.5 * mention.score
                    candidate.support.append(mention.sentence)
                if _more_specific_date(mention, candidate):
                    candidate.surface, candidate.sentence = mention.surface, mention.sentence
                merged[i] = (known | words, candidate)
                break
        else:
            merged.append((words, mention))
    return max((c for _, c in merged), key=lambda c: c.score, default=None)


def _more_specific_date(mention: _Candidate, candidate: _Candidate) -> bool:
    """ "December 2015" says more than "2015": it wins when its evidence is half as strong."""
    return (
        mention.label == candidate.label == "DATE"
        and mention.score >= 0.5 * candidate.best
        and _date_specificity(mention.surface) > _date_specificity(candidate.surface)
    )


def _clean(surface: str) -> str:
    surface = re.sub(r"^(?:the|a|an)\s+", "", surface.strip(" ,;:"), flags=re.IGNORECASE)
    return re.sub(r"['’]s?$", "", surface).strip()


def _best_span(question: Question, passages: list[ScoredSentence], tagger: EntityTagger) -> _Candidate | None:
    """For questions without an answer type: the noun phrase the question's words point at.

    A phrase scores by its sentence's rank, its distance to the question's words in the
    sentence, and whether it hangs directly off one of them ("... gave their name to
    Normandy" for "What did the Normans give their name to?").
    """
    mentions = []
    for rank, passage in enumerate(passages[:SPAN_PASSAGES]):
        text = passage.sentence.text
        anchors = _anchor_positions(question, passage.sentence)
        if not anchors:
            continue
        anchor_set = {a for occurrences in anchors.values() for a in occurrences}
        for phrase in tagger.phrases(text):
            surface = text[phrase.start : phrase.end]
            words = tokens(surface)
            if (
                not words
                or _inside_question(surface, question)
                or all(w.lower() in STOPWORDS for *_, w in words)
            ):
                continue
            distance, before = _distance([phrase.start], anchors, _verb(question))
            proximity = 1.0 / (1.0 + distance / 40.0)
            if (question.subject_answer and not before) or (question.object_answer and before):
                proximity *= SUBJECT_SIDE_PENALTY
            attached = 1.3 if phrase.governor in anchor_set else 1.0
            if question.type_word and question.type_word in surface.lower():
                attached *= 1.3  # "NATO troops" answers "which troops"
            brevity = 1.0 if len(words) <= 5 else 0.8
            score = passage.score * (0.85**rank) * (0.5 + 0.5 * proximity) * attached * brevity
            mentions.append(_Candidate(_clean(surface), passage, score, "", [passage]))
    return _vote(mentions)


def _anchor_positions(question: Question, sentence: Sentence) -> dict[str, list[int]]:
    """Where each of the question's terms occurs in the sentence."""
    anchors: dict[str, list[int]] = {}
    for start, _, word in tokens(sentence.text):
        term = normalize_term(word)
        if term and term in question.terms:
            anchors.setdefault(term, []).append(start)
    return anchors


def _distance(positions: list[int], anchors: dict[str, list[int]], verb: str = "") -> tuple[float, bool]:
    """Mean distance from a candidate to the nearest occurrence of each question term,
    and whether the candidate comes before the question's verb (or, without one in the
    sentence, before the closest term).

    The mean, not the minimum: an answer sits among the question's words, not next to
    one word that happens to recur ("EU" twice in a sentence about two places).
    """
    best = (80.0, True)
    for p in positions:
        nearest = [min(occurrences, key=lambda a: abs(p - a)) for occurrences in anchors.values()]
        if nearest:
            mean = sum(abs(p - a) for a in nearest) / len(nearest)
            pivot = anchors.get(verb, nearest)
            closest = min(pivot, key=lambda a: abs(p - a))
            best = min(best, (mean, p < closest))
    return best


def _verb(question: Question) -> str:
    """The question's verb, by position: "Who [won] ...", "What did Lavrov [oppose]?"."""
    if question.subject_answer and question.terms:
        return question.terms[0]
    if question.object_answer and question.terms:
        return question.terms[-1]
    return ""


def _inside_question(text: str, question: Question) -> bool:
    """Is this entity what the question asks about, rather than its answer?

    A name sharing any word with the question is the question's subject ("Vladimir
    Zelensky" for "Zelensky's aide"); a date or number only when all of it is in the
    question ("2021", but not "July 29, 2021", for "the 2021 NBA draft"). The word
    naming the answer's type does not count: "10th century" answers "what century".
    A name derived from a question's name echoes it too ("Normandy" for "the Normans").
    """
    words = [w for _, _, w in tokens(text) if w.lower() not in STOPWORDS and w.lower() != question.type_word]
    echoed = [_echoes(w, question) for w in words]
    if any(echoed[i] for i, w in enumerate(words) if not w[0].isdigit()):
        return True
    return bool(words) and all(echoed)


def _echoes(word: str, question: Question) -> bool:
    lower = word.lower()
    if lower in question.surface_words or normalize_term(word) in question.terms:
        return True
    return (
        word[0].isupper()
        and len(lower) >= 5
        and any(q[:5] == lower[:5] and q[0].isalpha() for q in question.proper_words)
    )


def _date_specificity(text: str) -> float:
    """ "May 29, 2020" answers "when" better than "2020", and far better than "last year"."""
    if _RELATIVE_DATE.search(text):
        return 0.5
    has_year = bool(re.search(r"\b(1[0-9]|20)\d\d\b", text))
    has_day = bool(re.search(r"\b\d{1,2}(st|nd|rd|th)?\b", re.sub(r"\b\d{4}\b", "", text)))
    has_month = bool(re.search(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", text, re.I))
    return 0.8 + 0.1 * (has_year + has_month + has_day)


def _full_name(surface: str, doc_ids: list[str], corpus: CorpusView) -> str:
    """ "Starmer" -> "Keir Starmer" when the document, or failing that another retrieved
    document, names him in full."""
    if " " in surface.strip():
        return surface
    for doc_id in dict.fromkeys(doc_ids):
        longer = Counter(
            e.text
            for s in corpus.document_sentences(doc_id)
            for e in s.entities
            if e.label == "PERSON" and e.text.endswith(" " + surface) and len(e.text) <= 40
        )
        if longer:
            return longer.most_common(1)[0][0]
    return surface


_NAME_TAIL = re.compile(r"^(?: (?:[IVX]{1,4})\b| of (?:[A-Z][\w'’-]+)(?: [A-Z][\w'’-]+)?)")


def _name_in_sentence(entity: Entity, sentence: Sentence) -> str:
    """The tagger cuts names short: "Richard" of "Richard I", "William" of "William of Montreuil"."""
    end = entity.end - sentence.start
    tail = _NAME_TAIL.match(sentence.text[end:])
    return entity.text + tail.group(0) if tail else entity.text


def _with_region(entity: Entity, sentence: Sentence) -> str:
    """A place followed by its region is one answer: "Tampa, Florida"."""
    if entity.label != "GPE":
        return entity.text
    for other in sentence.entities:
        gap = sentence.text[entity.end - sentence.start : other.start - sentence.start]
        if other.label == "GPE" and other.start > entity.end and gap.strip() == ",":
            return sentence.text[entity.start - sentence.start : other.end - sentence.start]
    return entity.text


def _key(surface: str) -> str:
    return re.sub(r"^(the|a|an)\s+", "", surface.lower()).strip(" .,'\"“”’")
