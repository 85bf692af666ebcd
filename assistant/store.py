"""The vector store: Chroma, embedded on disk by default or a Chroma server over HTTP.

Three collections per corpus: documents (full text, the ground truth of every
citation), sentences (the unit we rank and cite) and chunks (token-budgeted groups of
whole sentences, for readers that want passages). Records carry their offsets.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from .config import Settings
from .errors import AssistantError, BackendError, ConfigError, DataDirError, UnknownDocumentError
from .types import Chunk, DocumentInfo, DocumentRecord, Sentence

F = TypeVar("F", bound=Callable[..., Any])


def _guarded(action: str) -> Callable[[F], F]:
    """Chroma and its HTTP client raise many exception types; callers get one BackendError."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except AssistantError:
                raise
            except Exception as exc:
                raise BackendError(
                    f"the vector store failed while {action} ({type(exc).__name__}: {exc}); "
                    "with a Chroma server, check that it is still running"
                ) from exc

        return wrapper  # type: ignore[return-value]

    return decorate


_WHERE_DATA_DIR = "Assistant.open(data_dir=...), --data-dir or ASSISTANT_DATA_DIR"


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data dir if needed; a path that cannot be one is our error, naming it.

    Without this check a file given as the data dir surfaced as a bare ``FileExistsError``
    from deep inside the embedding cache (issue 26).
    """
    if data_dir.exists() and not data_dir.is_dir():
        raise DataDirError(
            f"the data dir {str(data_dir)!r} is a file, not a folder; set the data dir "
            f"({_WHERE_DATA_DIR}) to a folder: an existing one, or a new one, which is created"
        )
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataDirError(
            f"cannot create the data dir {str(data_dir)!r} ({exc.strerror or exc}); set the data dir "
            f"({_WHERE_DATA_DIR}) to a folder you can write"
        ) from None
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise DataDirError(
            f"the data dir {str(data_dir)!r} is not writable; set the data dir ({_WHERE_DATA_DIR}) "
            "to a folder you can write, or change its permissions"
        )


# Chroma's SQLite file keeps the pages of deleted rows (it is made without auto_vacuum); a VACUUM
# rewrites the live rows, so its cost is that of the whole store: run it only once at least this
# share of the file is free, which bounds the rewriting to a few times what was removed.
VACUUM_FREE_SHARE = 0.25

# Run in a child process: Chroma's Rust core links its own SQLite, and a second SQLite library
# opening the same file in one process breaks SQLite's POSIX locks (sqlite.org/howtocorrupt.html
# 2.2.1). Across processes the locks hold: if Chroma is in the middle of something, the VACUUM
# times out and changes nothing.
_VACUUM_SCRIPT = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=5)
pages = db.execute("PRAGMA page_count").fetchone()[0]
free = db.execute("PRAGMA freelist_count").fetchone()[0]
if pages and free >= float(sys.argv[2]) * pages:
    # Chroma's full-text index (FTS5) keeps deleted documents' entries until its b-trees are
    # merged; "optimize" is FTS5's own command for that, and leaves the index's content as it is.
    fts = "embedding_fulltext_search"
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (fts,)).fetchone():
        with db:
            db.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")
    db.execute("VACUUM")
db.close()
"""


def compact_store(settings: Settings) -> None:
    """Give back the disk space of rows deleted from an embedded store (after a removal).

    Best effort: a failure leaves the space free inside the file, where new rows reuse it.
    """
    path = settings.data_dir / "chroma" / "chroma.sqlite3"
    if settings.store != "embedded" or not path.is_file():
        return
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(
            [sys.executable, "-c", _VACUUM_SCRIPT, str(path), str(VACUUM_FREE_SHARE)],
            capture_output=True,
            timeout=600,
            check=False,
        )


def make_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.store == "server":
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        except Exception as exc:  # chromadb raises bare ValueError/ConnectError here
            raise BackendError(
                f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
                f"({exc}); start it with: chroma run --host {settings.chroma_host} "
                f"--port {settings.chroma_port} --path <dir>"
            ) from exc
    prepare_data_dir(settings.data_dir)
    return chromadb.PersistentClient(path=str(settings.data_dir / "chroma"), settings=chroma_settings)


class ChromaIndex:
    def __init__(self, client: Any, collection: str, embedder_name: str) -> None:
        self._client = client
        self._batch = max(1, min(client.get_max_batch_size(), 5000))
        self._embedder_name = embedder_name

        def open_collection(kind: str) -> Any:
            col = client.get_or_create_collection(
                f"{collection}-{kind}",
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedder": embedder_name},
            )
            built_with = (col.metadata or {}).get("embedder")
            if built_with and built_with != embedder_name:
                raise ConfigError(
                    f"collection {collection!r} was built with embedder {built_with!r}, "
                    f"not {embedder_name!r}: use the same embedder, or a new collection "
                    "(ASSISTANT_COLLECTION) or data dir"
                )
            return col

        self._documents_name = f"{collection}-documents"
        self._documents = open_collection("documents")
        self._sentences = open_collection("sentences")
        self._chunks = open_collection("chunks")
        if not self.revision():  # a store from before revisions: give it one
            self._new_revision()

    @_guarded("storing sentences")
    def put_sentences(self, sentences: Sequence[Sentence], vectors: np.ndarray) -> None:
        # Sentence (and chunk) rows hold offsets, not text: their text is a slice of their
        # document's, stored once. Writing each sentence's text too (with Chroma's
        # full-text index of it) made a slice's write about 2.5 times as long.
        self._add(
            self._sentences,
            ids=[s.sentence_id for s in sentences],
            vectors=list(vectors),
            metadatas=[_sentence_meta(s) for s in sentences],
        )

    @_guarded("storing documents")
    def complete(self, records: Sequence[DocumentRecord]) -> None:
        chunks = [c for r in records for c in r.chunks]
        self._add(
            self._chunks,
            ids=[c.chunk_id for c in chunks],
            vectors=[
                _mean(r.sentence_vectors[c.first_sentence : c.last_sentence + 1])
                for r in records
                for c in r.chunks
            ],
            metadatas=[_chunk_meta(c) for c in chunks],
        )
        # Document rows go last: their presence marks a complete write.
        added_at = datetime.now(UTC).isoformat(timespec="seconds")
        self._add(
            self._documents,
            ids=[r.document.doc_id for r in records],
            vectors=[_mean(r.sentence_vectors) for r in records],
            texts=[r.document.text for r in records],
            metadatas=[_document_meta(r, added_at) for r in records],
        )
        self._new_revision()

    def _add(
        self, col: Any, ids: list[str], vectors: list, metadatas: list, texts: list[str] | None = None
    ) -> None:
        for begin in range(0, len(ids), self._batch):
            end = begin + self._batch
            col.upsert(
                ids=ids[begin:end],
                embeddings=[np.asarray(v, dtype=np.float32) for v in vectors[begin:end]],
                documents=texts[begin:end] if texts is not None else None,
                metadatas=metadatas[begin:end],
            )

    @_guarded("removing a document")
    def remove(self, doc_id: str) -> None:
        if not self._documents.get(ids=[doc_id], include=[])["ids"]:
            raise UnknownDocumentError(f"no document {doc_id!r} in the store; `assistant docs` lists the ids")
        self.discard([doc_id])

    @_guarded("removing documents")
    def discard(self, doc_ids: Sequence[str]) -> None:
        # One delete per collection for the whole list: a delete costs ~10 ms however few rows match.
        for begin in range(0, len(doc_ids), 100):
            some = list(doc_ids[begin : begin + 100])
            self._documents.delete(ids=some)
            self._sentences.delete(where={"doc_id": {"$in": some}})
            self._chunks.delete(where={"doc_id": {"$in": some}})
        self._new_revision()

    @_guarded("reading the store's revision")
    def revision(self) -> str:
        # Read afresh: another process (or a Chroma server's other clients) may have written.
        return str((self._client.get_collection(self._documents_name).metadata or {}).get("revision", ""))

    def _new_revision(self) -> None:
        """Mark the store changed, in the collection itself, where every client sees it."""
        meta = dict(self._client.get_collection(self._documents_name).metadata or {})
        self._documents.modify(metadata=meta | {"revision": uuid.uuid4().hex})

    @_guarded("listing documents")
    def documents(self) -> list[DocumentInfo]:
        got = self._documents.get(include=["metadatas"])
        infos = [_info(doc_id, meta) for doc_id, meta in zip(got["ids"], got["metadatas"], strict=True)]
        return sorted(infos, key=lambda info: (info.added_at, info.doc_id))

    @_guarded("looking up documents")
    def content_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for begin in range(0, len(doc_ids), self._batch):
            got = self._documents.get(ids=list(doc_ids[begin : begin + self._batch]), include=["metadatas"])
            out.update({i: m["content_hash"] for i, m in zip(got["ids"], got["metadatas"], strict=True)})
        return out

    @_guarded("reading a document")
    def text(self, doc_id: str) -> str:
        got = self._documents.get(ids=[doc_id], include=["documents"])
        if not got["ids"]:
            raise UnknownDocumentError(f"no document {doc_id!r} in the store")
        return got["documents"][0]

    @_guarded("loading sentences")
    def sentences(self, doc_ids: Sequence[str] | None = None) -> list[tuple[Sentence, str]]:
        if doc_ids is None:
            documents = self._complete_documents(None)
            return self._sentences_of(documents, where=None)
        rows = []
        for begin in range(0, len(doc_ids), 100):
            documents = self._complete_documents(doc_ids[begin : begin + 100])
            if documents:
                rows += self._sentences_of(documents, where={"doc_id": {"$in": list(documents)}})
        return rows

    def _sentences_of(
        self, documents: dict[str, tuple[str, str]], where: dict | None
    ) -> list[tuple[Sentence, str]]:
        rows = []
        for meta in self._paged(self._sentences, where, include=["metadatas"])["metadatas"]:
            # Rows of a document still being written (or whose write was interrupted) are not
            # part of the corpus until its document row exists.
            if meta["doc_id"] in documents:
                text, title = documents[meta["doc_id"]]
                rows.append((_sentence_from(meta, text), title))
        return rows

    def _complete_documents(self, doc_ids: Sequence[str] | None) -> dict[str, tuple[str, str]]:
        """Text and title of each stored document (of ``doc_ids`` only, if given)."""
        if doc_ids is None:
            got = self._paged(self._documents, None, include=["documents", "metadatas"])
        else:
            got = self._documents.get(ids=list(doc_ids), include=["documents", "metadatas"])
        return {
            doc_id: (text, (meta or {}).get("title", ""))
            for doc_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }

    def _paged(self, col: Any, where: dict | None, include: list[str]) -> dict[str, list]:
        """Every row matching ``where``, a page at a time: one get of a large document's 100k
        rows fails in Chroma's SQLite ("too many SQL variables")."""
        out: dict[str, list] = {"ids": [], **{field: [] for field in include}}
        offset = 0
        while True:
            got = col.get(where=where, include=include, limit=self._batch, offset=offset)
            for field, values in out.items():
                values += got[field]
            if len(got["ids"]) < self._batch:
                return out
            offset += self._batch

    @_guarded("reading chunks")
    def chunks(self, doc_id: str) -> list[Chunk]:
        documents = self._complete_documents([doc_id])
        if doc_id not in documents:
            return []
        text = documents[doc_id][0]
        metas = self._paged(self._chunks, {"doc_id": doc_id}, include=["metadatas"])["metadatas"]
        chunks = [
            Chunk(
                doc_id=doc_id,
                index=m["index"],
                start=m["start"],
                end=m["end"],
                text=text[m["start"] : m["end"]],
                first_sentence=m["first_sentence"],
                last_sentence=m["last_sentence"],
                n_tokens=m["n_tokens"],
            )
            for m in metas
        ]
        return sorted(chunks, key=lambda c: c.index)

    @_guarded("searching")
    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        # No count() first: Chroma returns fewer results (none when empty) when k exceeds
        # the collection, and the extra round trip cost ~2 ms of every question.
        got = self._sentences.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            include=["distances"],
        )
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    @_guarded("loading the vector index")
    def warm(self) -> None:
        # Chroma loads a collection's HNSW index on its first query (0.6 s at 100k sentences),
        # in Rust without the GIL: one throwaway query of the right width does it.
        dimension = self._sentences.get_model().dimension
        if dimension:
            self._sentences.query(query_embeddings=[np.ones(dimension, dtype=np.float32)], n_results=1)

    @_guarded("reading vectors")
    def vectors(self, sentence_ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not sentence_ids:
            return {}
        got = self._sentences.get(ids=list(sentence_ids), include=["embeddings"])
        return {
            i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"], strict=True)
        }


def _mean(vectors: np.ndarray) -> np.ndarray:
    if len(vectors) == 0:
        raise BackendError("cannot store a document without sentences")
    mean = np.asarray(vectors, dtype=np.float32).mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def _document_meta(record: DocumentRecord, added_at: str) -> dict[str, Any]:
    document = record.document
    return {
        "title": document.title,
        "source": document.source,
        "content_hash": record.content_hash,
        "added_at": added_at,
        "n_sentences": len(record.sentences),
        "n_chunks": len(record.chunks),
        "n_chars": len(document.text),
        "url": document.url or "",
        "published_at": document.published_at or "",
    }


def _sentence_meta(sentence: Sentence) -> dict[str, Any]:
    return {"doc_id": sentence.doc_id, "index": sentence.index, "start": sentence.start, "end": sentence.end}


def _sentence_from(meta: dict[str, Any], document_text: str) -> Sentence:
    # Stores written before offsets-only rows also hold each sentence's text and title, and
    # older ones spaCy's "entities": the same text as the slice, and unused.
    start, end = meta["start"], meta["end"]
    return Sentence(
        doc_id=meta["doc_id"], index=meta["index"], start=start, end=end, text=document_text[start:end]
    )


def _chunk_meta(chunk: Chunk) -> dict[str, Any]:
    return {
        "doc_id": chunk.doc_id,
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "first_sentence": chunk.first_sentence,
        "last_sentence": chunk.last_sentence,
        "n_tokens": chunk.n_tokens,
    }


def _info(doc_id: str, meta: dict[str, Any]) -> DocumentInfo:
    return DocumentInfo(
        doc_id=doc_id,
        title=meta.get("title", ""),
        source=meta.get("source", ""),
        content_hash=meta["content_hash"],
        added_at=meta.get("added_at", ""),
        n_sentences=meta.get("n_sentences", 0),
        n_chunks=meta.get("n_chunks", 0),
        n_chars=meta.get("n_chars", 0),
        url=meta.get("url") or None,
        published_at=meta.get("published_at") or None,
    )
