"""Ingestion: files or Documents -> sentences with offsets, entities, chunks, vectors -> store."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .chunking import make_chunks
from .config import Settings
from .embeddings import Embedder
from .errors import NothingToIngestError, UnreadableDocumentError
from .loaders import discover, load_file, load_jsonl
from .nlp import EntityTagger, propagate_entities
from .segment import split_sentences
from .store import DocumentRecord, VectorIndex
from .types import Chunk, Document, Entity, IngestReport, Sentence

Progress = Callable[[int, int], None]
BATCH_DOCUMENTS = 64
ENTITY_CACHE_SIZE = 50_000  # sentences; a few MB


def content_hash(document: Document) -> str:
    return hashlib.sha256(f"{document.title}\0{document.text}".encode()).hexdigest()[:24]


@dataclass
class Ingestor:
    index: VectorIndex
    embedder: Embedder
    tagger: EntityTagger
    settings: Settings
    _entity_cache: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict, init=False, repr=False)
    _entity_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def ingest_paths(self, paths: Sequence[Path], progress: Progress | bool = False) -> IngestReport:
        """Ingest files, folders and documents.jsonl files; bad files are reported, not fatal."""
        documents: list[Document] = []
        skipped: list[str] = []
        failed: list[tuple[str, str]] = []
        max_bytes = int(self.settings.max_file_mb * 1e6)
        for path in paths:
            path = Path(path)
            if path.is_file() and path.suffix.lower() == ".jsonl":
                loaded, failures = load_jsonl(path)
                documents.extend(loaded)
                failed.extend((exc.path, exc.reason) for exc in failures)
                continue
            files, unsupported = discover(path)
            skipped.extend(str(p) for p in unsupported)
            root = path if path.is_dir() else path.parent
            for file in files:
                try:
                    documents.append(load_file(file, file.relative_to(root).as_posix(), max_bytes))
                except UnreadableDocumentError as exc:
                    failed.append((exc.path, exc.reason))
                except OSError as exc:
                    failed.append((str(file), f"cannot be read ({exc.strerror})"))
        if not documents and not failed:
            raise NothingToIngestError(
                f"nothing to ingest in {', '.join(map(str, paths))}: "
                "supported files are .txt, .md, .html, .pdf and documents .jsonl"
            )
        report = self.ingest_documents(documents, progress)
        return IngestReport(
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            skipped=tuple(skipped),
            failed=tuple(failed) + report.failed,
            n_sentences=report.n_sentences,
            n_chunks=report.n_chunks,
            seconds=report.seconds,
        )

    def ingest_documents(
        self, documents: Iterable[Document], progress: Progress | bool = False
    ) -> IngestReport:
        started = time.perf_counter()
        documents = _unique(documents)
        known = self.index.content_hashes([d.doc_id for d in documents])
        todo = [d for d in documents if known.get(d.doc_id) != content_hash(d)]
        added, updated, failed = [], [], []
        n_sentences = n_chunks = 0
        bar = tqdm(total=len(todo), unit="doc", desc="ingest", disable=progress is not True or len(todo) < 20)
        report_progress = progress if callable(progress) else None
        batches = [todo[begin : begin + BATCH_DOCUMENTS] for begin in range(0, len(todo), BATCH_DOCUMENTS)]
        done = 0
        # A three-stage pipeline: while the model embeds batch i (onnxruntime, outside the
        # GIL), one thread analyses batch i+1 (segmentation, NER, chunking) and another
        # writes batch i-1 to the store, so ingest runs at about the embedder's own speed.
        # Batches are still written in order, and a failure stops the run as before.
        with ThreadPoolExecutor(1) as analyser, ThreadPoolExecutor(1) as writer:
            next_analysis = analyser.submit(self._analyse, batches[0]) if batches else None
            pending_write: Future[None] | None = None
            for number in range(len(batches)):
                assert next_analysis is not None
                analysed = next_analysis.result()
                if number + 1 < len(batches):
                    next_analysis = analyser.submit(self._analyse, batches[number + 1])
                vectors = self.embedder.embed([s.text for _, sentences, _ in analysed for s in sentences])
                row, records = 0, []
                for document, sentences, chunks in analysed:
                    if not sentences:
                        failed.append((document.doc_id, "it contains no text"))
                        continue
                    records.append(
                        DocumentRecord(
                            document,
                            content_hash(document),
                            sentences,
                            chunks,
                            vectors[row : row + len(sentences)],
                        )
                    )
                    row += len(sentences)
                    (updated if document.doc_id in known else added).append(document.doc_id)
                    n_sentences += len(sentences)
                    n_chunks += len(chunks)
                if pending_write is not None:
                    pending_write.result()
                    done = _advance(bar, report_progress, done, len(batches[number - 1]), len(todo))
                pending_write = writer.submit(
                    self.index.put,
                    records,
                    [r.document.doc_id for r in records if r.document.doc_id in known],
                )
            if pending_write is not None:
                pending_write.result()
                _advance(bar, report_progress, done, len(batches[-1]), len(todo))
        bar.close()
        return IngestReport(
            added=tuple(added),
            updated=tuple(updated),
            unchanged=tuple(d.doc_id for d in documents if known.get(d.doc_id) == content_hash(d)),
            failed=tuple(failed),
            n_sentences=n_sentences,
            n_chunks=n_chunks,
            seconds=time.perf_counter() - started,
        )

    def _analyse(self, documents: list[Document]) -> list[tuple[Document, list[Sentence], list[Chunk]]]:
        spans = [split_sentences(d.text) for d in documents]
        flat = [d.text[s:e] for d, doc_spans in zip(documents, spans, strict=True) for s, e in doc_spans]
        tagged = iter(self._entities(flat))
        out = []
        for document, doc_spans in zip(documents, spans, strict=True):
            texts = [document.text[s:e] for s, e in doc_spans]
            entity_lists = iter(propagate_entities(texts, [next(tagged) for _ in doc_spans]))
            sentences = []
            for index, (start, end) in enumerate(doc_spans):
                text = document.text[start:end]
                entities = tuple(
                    Entity(start + s, start + e, label, text[s:e]) for s, e, label in next(entity_lists)
                )
                sentences.append(Sentence(document.doc_id, index, start, end, text, entities))
            chunks = make_chunks(
                document.text,
                document.doc_id,
                sentences,
                self.settings.chunk_tokens,
                self.settings.chunk_overlap_tokens,
            )
            out.append((document, sentences, chunks))
        return out

    def _entities(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        """The tagger's entities per text; a text seen before (boilerplate, a re-ingested
        document's unchanged sentences) is not tagged again. Tagging is per sentence, so
        a cached result is exactly what the tagger would return."""
        with self._entity_lock:
            known = {t: self._entity_cache[t] for t in texts if t in self._entity_cache}
        todo = list(dict.fromkeys(t for t in texts if t not in known))
        fresh = dict(zip(todo, self.tagger.entities(todo), strict=True)) if todo else {}
        with self._entity_lock:
            for text, entities in fresh.items():
                if len(self._entity_cache) >= ENTITY_CACHE_SIZE:
                    del self._entity_cache[next(iter(self._entity_cache))]  # oldest first
                self._entity_cache[text] = entities
        known.update(fresh)
        return [list(known[t]) for t in texts]


def _advance(bar: tqdm, progress: Progress | None, done: int, step: int, total: int) -> int:
    bar.update(step)
    done += step
    if progress:
        progress(min(done, total), total)
    return done


def _unique(documents: Iterable[Document]) -> list[Document]:
    """The last version of each doc_id wins, as if they had been ingested one by one."""
    by_id: dict[str, Document] = {}
    for document in documents:
        by_id[document.doc_id] = document
    return list(by_id.values())
