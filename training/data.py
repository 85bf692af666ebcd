"""Reader training data: question + one sentence (+ the sentence before it) -> answer span or none.

Everything is split **by article** (a SQuAD title): an article's questions are all in one
split. Sentences come from our own segmenter, so the reader trains on what it reads at
run time.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from assistant.segment import split_sentences

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SQUAD2 = SHARED / "eval" / "squad2_dev"
SQUAD11 = SHARED / "train" / "squad11_dev_extra"

# Held out: never trained on, never tuned on; the figures in the model card come from these.
# "Normans" makes squad2_small_dev a held-out set too.
TEST_ARTICLES = (
    "Normans",
    "Southern_California",
    "Rhine",
    "Ctenophora",
    "Economic_inequality",
)
# Not trained on; the no-answer margin is fitted on these.
CALIBRATION_ARTICLES = (
    "Amazon_rainforest",
    "Packet_switching",
    "Black_Death",
)


@dataclass(frozen=True)
class Pair:
    """One reader example. ``answer`` is a (start, end) span of ``sentence``, or None."""

    question: str
    previous: str
    sentence: str
    answer: tuple[int, int] | None
    article: str


@dataclass(frozen=True)
class Paragraph:
    doc_id: str
    article: str
    text: str
    sentences: tuple[tuple[int, int], ...]


def article_of(doc_id: str) -> str:
    return doc_id.rsplit("#", 1)[0]


def load_paragraphs(folder: Path) -> dict[str, Paragraph]:
    paragraphs = {}
    with (folder / "documents.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            doc = json.loads(line)
            text = doc["text"]
            paragraphs[doc["doc_id"]] = Paragraph(
                doc["doc_id"], article_of(doc["doc_id"]), text, tuple(split_sentences(text))
            )
    return paragraphs


def load_questions(folder: Path) -> list[dict]:
    with (folder / "questions.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def _words(text: str) -> set[str]:
    return {w.strip(".,;:!?\"'()").lower() for w in text.split()} - {""}


@dataclass(frozen=True)
class Article:
    """Every sentence of one article, for finding the ones that look most like an answer."""

    sentences: tuple[tuple[str, int, int], ...]  # (paragraph doc_id, start, end)
    words: tuple[frozenset[str], ...]
    idf: dict[str, float]

    @classmethod
    def of(cls, paragraphs: list[Paragraph]) -> Article:
        sentences = tuple((p.doc_id, s, e) for p in paragraphs for s, e in p.sentences)
        texts = {p.doc_id: p.text for p in paragraphs}
        words = tuple(frozenset(_words(texts[d][s:e])) for d, s, e in sentences)
        df: dict[str, int] = {}
        for ws in words:
            for w in ws:
                df[w] = df.get(w, 0) + 1
        return cls(sentences, words, {w: math.log(1 + len(words) / n) for w, n in df.items()})

    def overlap(self, question: str, i: int) -> float:
        """Shared words, rare ones counting more: how retrieval would rank sentence ``i``.
        ``fsum`` does not depend on the order of the set (which changes with each process's
        string hashing), so the same sentence wins a tie in every run: training reproduces."""
        return math.fsum(self.idf.get(w, 0.0) for w in _words(question) & self.words[i])


def pairs_for(
    question: dict, paragraph: Paragraph, paragraphs: dict[str, Paragraph], article: Article
) -> list[Pair]:
    """The answer's sentence plus the article's other sentence that looks most like an answer
    (shares the most rare words with the question, without the answer text): the kind of
    sentence that retrieval ranks beside the answer at run time. For an unanswerable question
    (written to look answerable), its paragraph's sentence sharing the most rare words."""

    def pair(doc_id: str, start: int, end: int, answer: tuple[int, int] | None) -> Pair:
        source = paragraphs[doc_id]
        i = source.sentences.index((start, end))
        previous = source.text[slice(*source.sentences[i - 1])] if i > 0 else ""
        return Pair(question["question"], previous, source.text[start:end], answer, source.article)

    def most_like(candidates: list[int]) -> int | None:
        return max(candidates, key=lambda i: article.overlap(question["question"], i), default=None)

    in_paragraph = [i for i, (d, _, _) in enumerate(article.sentences) if d == paragraph.doc_id]
    if not question["answerable"]:
        best = most_like(in_paragraph)
        return [] if best is None else [pair(*article.sentences[best], None)]
    start = question["answer_start"]
    end = start + len(question["answers"][0])
    holding = [i for i in in_paragraph if article.sentences[i][1] <= start and end <= article.sentences[i][2]]
    if not holding:
        return []  # the answer crosses a sentence boundary: no sentence-level example
    doc_id, s, e = article.sentences[holding[0]]
    out = [pair(doc_id, s, e, (start - s, end - s))]
    answers = [a.lower() for a in question["answers"]]
    others = [
        i
        for i, (d, s2, e2) in enumerate(article.sentences)
        if i != holding[0] and not any(a in paragraphs[d].text[s2:e2].lower() for a in answers)
    ]
    negative = most_like(others)
    if negative is not None:
        out.append(pair(*article.sentences[negative], None))
    return out


def _by_article(paragraphs: dict[str, Paragraph]) -> dict[str, Article]:
    grouped: dict[str, list[Paragraph]] = {}
    for paragraph in paragraphs.values():
        grouped.setdefault(paragraph.article, []).append(paragraph)
    return {name: Article.of(ps) for name, ps in grouped.items()}


def build(articles_out: tuple[str, ...]) -> list[Pair]:
    """Training pairs from squad11_dev_extra and squad2_dev, less the named articles."""
    out: list[Pair] = []
    for folder in (SQUAD11, SQUAD2):
        paragraphs = load_paragraphs(folder)
        articles = _by_article(paragraphs)
        for question in load_questions(folder):
            paragraph = paragraphs[question["context_doc_id"]]
            if paragraph.article in articles_out:
                continue
            out.extend(pairs_for(question, paragraph, paragraphs, articles[paragraph.article]))
    return out


def held_out_pairs(articles: tuple[str, ...]) -> list[Pair]:
    paragraphs = load_paragraphs(SQUAD2)
    by_article = _by_article(paragraphs)
    return [
        p
        for q in load_questions(SQUAD2)
        if (paragraph := paragraphs[q["context_doc_id"]]).article in articles
        for p in pairs_for(q, paragraph, paragraphs, by_article[paragraph.article])
    ]
