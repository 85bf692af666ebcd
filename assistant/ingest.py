"""Ingestion: files or Documents -> sentences with offsets, chunks, vectors -> store."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .chunking import make_chunks
from .config import Settings
from .errors import NothingToIngestError, UnreadableDocumentError
from .loaders import discover, load_file, load_jsonl, without_surrogates
from .protocols import Embedder, VectorIndex
from .segment import split_sentences
from .types import Chunk, Document, DocumentRecord, IngestReport, Sentence

Analysed = list[tuple[Document, list[Sentence], list[Chunk]]]
Progress = Callable[[int, int], None]
"""Called as progress(done, total), in characters of text embedded so far."""
BATCH_DOCUMENTS = 64
EMBED_SLICE = 512  # sentences embedded between two progress updates and store writes
WRITES_IN_FLIGHT = 4
PROGRESS_MIN_CHARS = 200_000  # smaller ingests finish before a bar would tell anything


def content_hash(document: Document) -> str:
    return hashlib.sha256(f"{document.title}\0{document.text}".encode()).hexdigest()[:24]


@dataclass
class Ingestor:
    index: VectorIndex
    embedder: Embedder
    settings: Settings

    def ingest_paths(self, paths: Sequence[Path], progress: Progress | bool = False) -> IngestReport:
        """Ingest files, folders and documents.jsonl files; bad files are reported, not fatal."""
        documents: list[Document] = []
        from_files: list[Document] = []
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
            skipped.extend(without_surrogates(str(p)) for p in unsupported)
            root = path if path.is_dir() else path.parent
            for file in files:
                try:
                    from_files.append(load_file(file, file.relative_to(root).as_posix(), max_bytes))
                except UnreadableDocumentError as exc:
                    failed.append((exc.path, exc.reason))
                except OSError as exc:
                    failed.append((without_surrogates(str(file)), f"cannot be read ({exc.strerror})"))
        documents += self._distinct_ids(from_files)
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

    def _distinct_ids(self, documents: list[Document]) -> list[Document]:
        """A file is known by where it came from: a different file with a name already taken
        (``b/notes.txt`` after ``a/notes.txt``) is added beside it, under as much of its path
        as tells the two apart, never over it. (Documents from a .jsonl keep their own ids.)

        Stores written before sources were absolute paths hold relative ones; a document
        whose stored source is relative is taken to be the same file, as it always was.
        """
        owners = {info.doc_id: info.source for info in self.index.documents()}
        out = []
        for document in documents:
            source = document.source
            parts = Path(source).parts
            doc_id, depth = document.doc_id, document.doc_id.count("/") + 1
            while (owner := owners.get(doc_id)) is not None and owner != source and Path(owner).is_absolute():
                depth += 1
                doc_id = "/".join(parts[-depth:]) if depth < len(parts) else f"{document.doc_id}@{source}"
            owners[doc_id] = source
            out.append(replace(document, doc_id=doc_id))
        return out

    def ingest_documents(
        self, documents: Iterable[Document], progress: Progress | bool = False
    ) -> IngestReport:
        started = time.perf_counter()
        documents = _unique(documents)
        known = self.index.content_hashes([d.doc_id for d in documents])
        todo = [d for d in documents if known.get(d.doc_id) != content_hash(d)]
        added, updated, failed = [], [], []
        n_sentences = n_chunks = 0
        # Progress counts characters embedded: the slow step, and one measure for one large
        # file and for many small ones.
        total = sum(len(d.text) for d in todo)
        bar = tqdm(
            total=total,
            unit="char",
            unit_scale=True,
            desc="ingest",
            disable=progress is not True or total < PROGRESS_MIN_CHARS,
        )
        report_progress = progress if callable(progress) else None
        done = 0

        order = {d.doc_id: number for number, d in enumerate(todo, start=1)}

        def advance(chars: int, doc_id: str = "") -> None:
            nonlocal done
            done += chars
            if doc_id:  # the file being embedded, so a long run says where it is
                bar.set_description(f"ingest {order[doc_id]}/{len(todo)} {doc_id[-40:]}", refresh=False)
            bar.update(chars)
            if report_progress:
                report_progress(min(done, total), total)

        batches = [todo[begin : begin + BATCH_DOCUMENTS] for begin in range(0, len(todo), BATCH_DOCUMENTS)]
        # A three-stage pipeline, so that ingest runs at about the embedder's own speed: while
        # the model embeds (onnxruntime, outside the GIL), one thread analyses the next batch
        # (segmentation, chunking) and another writes each embedded slice to the store. A large
        # file streams through in slices instead of waiting whole at each stage.
        with ThreadPoolExecutor(1) as analyser, _Writer(self.index) as writer:
            next_analysis = analyser.submit(self._analyse, batches[0]) if batches else None
            for number in range(len(batches)):
                assert next_analysis is not None
                analysed = next_analysis.result()
                if number + 1 < len(batches):
                    next_analysis = analyser.submit(self._analyse, batches[number + 1])
                for document, sentences, _ in analysed:
                    if not sentences:
                        failed.append((document.doc_id, "it contains no text"))
                analysed = [a for a in analysed if a[1]]
                # Old versions, and rows an interrupted run may have left, go first.
                writer.start([document.doc_id for document, _, _ in analysed])
                vectors = self._embed(analysed, writer, advance)
                row, records = 0, []
                for document, sentences, chunks in analysed:
                    end = row + len(sentences)
                    records.append(
                        DocumentRecord(document, content_hash(document), sentences, chunks, vectors[row:end])
                    )
                    row = end
                    (updated if document.doc_id in known else added).append(document.doc_id)
                    n_sentences += len(sentences)
                    n_chunks += len(chunks)
                writer.complete(records)
        advance(total - done)  # whitespace between sentences, empty documents
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

    def _embed(self, analysed: Analysed, writer: _Writer, advance: Callable[[int, str], None]) -> np.ndarray:
        """Vectors for every sentence of ``analysed``, a slice at a time: each slice is handed
        to the writer and counted as progress as soon as it is embedded.

        Sentences go to the model shortest first across the whole batch, not in reading
        order, so that each model batch holds sentences of about one length: padding a slice
        of 512 in reading order to its batches' longest sentences cost about a tenth of the
        embedder's speed on a large file."""
        sentences = [s for _, doc_sentences, _ in analysed for s in doc_sentences]
        out = np.zeros((len(sentences), self.embedder.dimension), dtype=np.float32)
        position = {document.doc_id: number for number, (document, _, _) in enumerate(analysed)}
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i].text))
        for begin in range(0, len(order), EMBED_SLICE):
            rows = order[begin : begin + EMBED_SLICE]
            part = [sentences[i] for i in rows]
            out[rows] = self.embedder.embed([s.text for s in part])
            writer.put_sentences(part, out[rows])
            latest = max((s.doc_id for s in part), key=position.__getitem__)
            advance(sum(len(s.text) for s in part), latest)
        return out

    def _analyse(self, documents: list[Document]) -> Analysed:
        out = []
        for document in documents:
            sentences = [
                Sentence(document.doc_id, index, start, end, document.text[start:end])
                for index, (start, end) in enumerate(split_sentences(document.text))
            ]
            chunks = make_chunks(
                document.text,
                document.doc_id,
                sentences,
                self.settings.chunk_tokens,
                self.settings.chunk_overlap_tokens,
            )
            out.append((document, sentences, chunks))
        return out


class _Writer:
    """Store writes on one background thread, in order. At most ``WRITES_IN_FLIGHT`` wait at
    once, which bounds the memory held for them and stops a run soon after a write fails.
    A failed run removes every document it started but did not complete, so no half-written
    one stays behind."""

    def __init__(self, index: VectorIndex) -> None:
        self._index = index
        self._pool = ThreadPoolExecutor(1)
        self._pending: deque[Future[None]] = deque()
        self._started: list[str] = []
        self._done: set[str] = set()  # complete: a later failure leaves them be

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        failed = kind is not None
        try:
            if not failed:
                self._drain(0)
        except BaseException:
            failed = True
            raise
        finally:
            if failed:
                for future in self._pending:
                    future.cancel()
            self._pool.shutdown(wait=True)
            if failed:
                self._remove_started()

    def start(self, doc_ids: Sequence[str]) -> None:
        self._started.extend(doc_ids)
        self._submit(self._index.discard, doc_ids)

    def put_sentences(self, sentences: Sequence[Sentence], vectors: np.ndarray) -> None:
        self._submit(self._index.put_sentences, sentences, vectors)

    def complete(self, records: Sequence[DocumentRecord]) -> None:
        def complete_and_keep() -> None:
            self._index.complete(records)
            self._done.update(r.document.doc_id for r in records)

        self._submit(complete_and_keep)

    def _submit(self, job: Callable[..., None], *args: object) -> None:
        self._pending.append(self._pool.submit(job, *args))
        self._drain(WRITES_IN_FLIGHT)

    def _drain(self, keep: int) -> None:
        while len(self._pending) > keep:
            self._pending.popleft().result()

    def _remove_started(self) -> None:
        # If the store is down, the error already raised is the one to report.
        with contextlib.suppress(Exception):
            self._index.discard([d for d in self._started if d not in self._done])


def _unique(documents: Iterable[Document]) -> list[Document]:
    """The last version of each doc_id wins, as if they had been ingested one by one."""
    by_id: dict[str, Document] = {}
    for document in documents:
        by_id[document.doc_id] = document
    return list(by_id.values())
