"""Reader training data: question + one sentence (+ the sentence before it) -> answer span or none.

Everything is split **by article** (a SQuAD title): an article's questions are all in one
split. Sentences come from our own segmenter, so the reader trains on what it reads at
run time.
"""

from __future__ import annotations

import json
import math
import random
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


def load_documents(folder: Path) -> list[dict]:
    """The set's paragraphs as stored: one dict (doc_id, text) each, not segmented."""
    with (folder / "documents.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def load_paragraphs(folder: Path) -> dict[str, Paragraph]:
    return {
        doc["doc_id"]: Paragraph(
            doc["doc_id"], article_of(doc["doc_id"]), doc["text"], tuple(split_sentences(doc["text"]))
        )
        for doc in load_documents(folder)
    }


def load_questions(folder: Path) -> list[dict]:
    with (folder / "questions.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def _words(text: str) -> set[str]:
    return {w.strip(".,;:!?\"'()").lower() for w in text.split()} - {""}


@dataclass(frozen=True)
class Article:
    """Every sentence of one article, for finding the ones that look most like an answer."""

    sentences: tuple[tuple[Paragraph, int], ...]  # (paragraph, sentence number in it)
    words: tuple[frozenset[str], ...]
    idf: dict[str, float]

    @classmethod
    def of(cls, paragraphs: list[Paragraph]) -> Article:
        sentences = tuple((p, i) for p in paragraphs for i in range(len(p.sentences)))
        words = tuple(frozenset(_words(_text(p, i))) for p, i in sentences)
        df: dict[str, int] = {}
        for ws in words:
            for w in ws:
                df[w] = df.get(w, 0) + 1
        return cls(sentences, words, {w: math.log(1 + len(words) / n) for w, n in df.items()})

    def overlap(self, question_words: set[str], i: int) -> float:
        """Shared words, rare ones counting more: how retrieval would rank sentence ``i``.
        ``fsum`` does not depend on the order of the set (which changes with each process's
        string hashing), so the same sentence wins a tie in every run: training reproduces."""
        return math.fsum(self.idf.get(w, 0.0) for w in question_words & self.words[i])


def _text(paragraph: Paragraph, i: int) -> str:
    return paragraph.text[slice(*paragraph.sentences[i])]


def pairs_for(question: dict, paragraph: Paragraph, article: Article) -> list[Pair]:
    """The answer's sentence plus the article's other sentence that looks most like an answer
    (shares the most rare words with the question, without the answer text): the kind of
    sentence that retrieval ranks beside the answer at run time. For an unanswerable question
    (written to look answerable), its paragraph's sentence sharing the most rare words."""
    question_words = _words(question["question"])

    def pair(k: int, answer: tuple[int, int] | None) -> Pair:
        source, i = article.sentences[k]
        previous = _text(source, i - 1) if i > 0 else ""
        return Pair(question["question"], previous, _text(source, i), answer, source.article)

    def most_like(candidates: list[int]) -> int | None:
        return max(candidates, key=lambda k: article.overlap(question_words, k), default=None)

    in_paragraph = [k for k, (p, _) in enumerate(article.sentences) if p.doc_id == paragraph.doc_id]
    if not question["answerable"]:
        best = most_like(in_paragraph)
        return [] if best is None else [pair(best, None)]
    start = question["answer_start"]
    end = start + len(question["answers"][0])
    holding = [k for k in in_paragraph if _holds(article.sentences[k], start, end)]
    if not holding:
        return []  # the answer crosses a sentence boundary: no sentence-level example
    sentence_start = paragraph.sentences[article.sentences[holding[0]][1]][0]
    out = [pair(holding[0], (start - sentence_start, end - sentence_start))]
    answers = [a.lower() for a in question["answers"]]
    others = [
        k
        for k, (p, i) in enumerate(article.sentences)
        if k != holding[0] and not any(a in _text(p, i).lower() for a in answers)
    ]
    negative = most_like(others)
    if negative is not None:
        out.append(pair(negative, None))
    return out


def _holds(sentence: tuple[Paragraph, int], start: int, end: int) -> bool:
    paragraph, i = sentence
    return paragraph.sentences[i][0] <= start and end <= paragraph.sentences[i][1]


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
            out.extend(pairs_for(question, paragraph, articles[paragraph.article]))
    return out


def not_trained_on(article_share: float = 1.0, seed: int = 13) -> tuple[str, ...]:
    """The articles a training run leaves out: the test and calibration articles, and, for a
    learning curve (``article_share`` < 1), the training articles outside a seeded sample of
    that share, so smaller runs keep whole articles."""
    if not 0 < article_share <= 1:
        raise ValueError(f"the share of training articles must be in (0, 1], not {article_share}")
    held_out = TEST_ARTICLES + CALIBRATION_ARTICLES
    # Article names only: load_paragraphs would segment every document, which build() does next.
    names = {article_of(doc["doc_id"]) for folder in (SQUAD11, SQUAD2) for doc in load_documents(folder)}
    available = sorted(names - set(held_out))
    kept = random.Random(seed).sample(available, round(article_share * len(available)))
    return held_out + tuple(sorted(set(available) - set(kept)))


def held_out_pairs(articles: tuple[str, ...]) -> list[Pair]:
    paragraphs = load_paragraphs(SQUAD2)
    by_article = _by_article(paragraphs)
    return [
        p
        for q in load_questions(SQUAD2)
        if (paragraph := paragraphs[q["context_doc_id"]]).article in articles
        for p in pairs_for(q, paragraph, by_article[paragraph.article])
    ]
