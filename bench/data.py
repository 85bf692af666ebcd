"""The question sets and corpora the benchmark reads, and the scaled corpora built from them."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.evaluation import EvalQuestion, load_questions
from assistant.loaders import discover, load_file, load_jsonl
from assistant.segment import split_sentences
from assistant.types import Document

ROOT = Path(__file__).resolve().parents[1]
SHARED_EVAL = ROOT.parent / "shared" / "eval"  # read in place, never copied into the repo
SEED_CORPUS = ROOT / "corpus"
SEED_QUESTIONS = ROOT / "tests" / "data" / "seed_questions.jsonl"
SQUAD_SAMPLE_SEED = 20240611  # fixed, so every run samples the same questions


@dataclass(frozen=True)
class DataSet:
    name: str
    documents: list[Document]
    questions: list[EvalQuestion]
    note: str = ""


def seed_set() -> DataSet:
    files, _ = discover(SEED_CORPUS)
    documents = [load_file(f, f.relative_to(SEED_CORPUS).as_posix(), 50_000_000) for f in files]
    return DataSet("seed", documents, load_questions(SEED_QUESTIONS), "our own questions over corpus/")


def shared_set(name: str, sample: int | None = None) -> DataSet:
    folder = SHARED_EVAL / name
    documents, failures = load_jsonl(folder / "documents.jsonl")
    if failures:
        raise SystemExit(f"{folder}: {len(failures)} documents failed to load: {failures[0]}")
    questions = load_questions(folder / "questions.jsonl")
    note = f"all {len(questions)} questions"
    if sample is not None and sample < len(questions):
        keep = sorted(random.Random(SQUAD_SAMPLE_SEED).sample(range(len(questions)), sample))
        questions = [questions[i] for i in keep]
        note = f"seeded sample of {sample} questions (seed {SQUAD_SAMPLE_SEED}) over the whole corpus"
    return DataSet(name, documents, questions, note)


def shared_set_names() -> list[str]:
    return sorted(p.name for p in SHARED_EVAL.iterdir() if (p / "questions.jsonl").is_file())


def copies(pool: Sequence[Document]) -> Iterator[Document]:
    """The pool, then copy 1, 2, ... of it: a distinct doc_id and one appended sentence each.

    The appended sentence keeps every copy a different document (different content hash,
    different last chunk) while the other sentences stay real news/Wikipedia text, so
    copies cost the embedding cache nothing for sentences already seen.
    """
    yield from pool
    copy = 1
    while True:
        for d in pool:
            yield Document(
                doc_id=f"{d.doc_id}#copy{copy}",
                title=d.title,
                text=f"{d.text}\n\nBenchmark copy {copy}.",
                source=d.source,
            )
        copy += 1


def scaled_corpus(pool: Sequence[Document], sentences: int) -> list[Document]:
    """The first documents of ``copies(pool)`` holding at least ``sentences`` sentences.

    A smaller size is a prefix of a larger one, so stores grow by the same documents.
    """
    out, total = [], 0
    for document in copies(pool):
        if total >= sentences:
            break
        out.append(document)
        total += len(split_sentences(document.text))
    return out


def scale_pool(sets: Sequence[DataSet]) -> list[Document]:
    """Every distinct document of the sets, in a fixed shuffled order (topics mixed)."""
    by_id: dict[str, Document] = {}
    for data in sets:
        for d in data.documents:
            by_id.setdefault(d.doc_id, d)
    pool = sorted(by_id.values(), key=lambda d: d.doc_id)
    random.Random(SQUAD_SAMPLE_SEED).shuffle(pool)
    return pool
