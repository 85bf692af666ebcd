"""Ingestion into a real Chroma store: idempotence, updates, removal, file types, and bad input."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS, SEED_ID, STARMER_SENTENCE, open_bot, test_settings

from assistant import Assistant, AssistantError, Document
from assistant.embeddings import make_embedder
from assistant.errors import (
    BackendError,
    EmptyQuestionError,
    NothingToIngestError,
    PathNotFoundError,
    QuestionTooLongError,
    UnknownDocumentError,
)
from assistant.store import ChromaIndex, make_client
from assistant.types import Sentence


def make_pdf(lines: list[str], title: str | None = None) -> bytes:
    """A minimal valid one-page PDF whose text layer holds ``lines`` (Helvetica, WinAnsi)."""

    def escape(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td", *(f"({escape(line)}) Tj T*" for line in lines), "ET"]
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    if title:
        objects.append(b"<< /Title (" + escape(title).encode("latin-1") + b") >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    info = b" /Info %d 0 R" % len(objects) if title else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, info, xref)
    return bytes(out)


def stored_sentences(bot: Assistant, doc_id: str | None = None) -> list[str]:
    return sorted(s.text for s, _ in bot.index.sentences() if doc_id is None or s.doc_id == doc_id)


def retrieved_texts(bot: Assistant, question: str, k: int = 10) -> list[str]:
    return [p.sentence.text for p in bot.retrieve(question, k=k)]


@pytest.fixture(scope="module")
def guarded_bot(tmp_path_factory, shared_embedder) -> Assistant:
    """A store holding the seed article; bad-input tests check that it never loses anything."""
    bot = open_bot(tmp_path_factory.mktemp("guarded"), shared_embedder)
    bot.ingest(CORPUS)
    return bot


def assert_seed_intact(bot: Assistant) -> None:
    assert [d.doc_id for d in bot.documents()] == [SEED_ID]
    assert len(stored_sentences(bot)) == 17
    assert retrieved_texts(bot, "Who proposed 30,000 troops?", k=1) == [STARMER_SENTENCE]


# Idempotence, updates, listing, removal ------------------------------------------------------


def test_reingest_is_a_no_op(fresh_bot: Assistant) -> None:
    """Ingesting corpus/ a second time adds, updates and re-embeds nothing."""
    first = fresh_bot.ingest(CORPUS)
    assert first.added == (SEED_ID,) and first.n_sentences == 17 and first.n_chunks >= 1
    before = stored_sentences(fresh_bot)
    chunks_before = fresh_bot.chunks(SEED_ID)
    second = fresh_bot.ingest(CORPUS)
    assert second.added == () and second.updated == ()
    assert second.unchanged == (SEED_ID,)
    assert second.n_sentences == 0 and second.n_chunks == 0
    assert "1 unchanged" in second.summary()
    assert stored_sentences(fresh_bot) == before
    assert fresh_bot.chunks(SEED_ID) == chunks_before
    assert [d.doc_id for d in fresh_bot.documents()] == [SEED_ID]


def test_changed_file_replaces_old_version(fresh_bot: Assistant, tmp_path: Path) -> None:
    """A changed file replaces its old sentences and chunks; the old text can no longer be retrieved."""
    folder = tmp_path / "docs"
    folder.mkdir()
    article = folder / "harbour.txt"
    article.write_text(
        "Harbour bridge reopens\n"
        "The harbour bridge in Tromsø reopened on Monday after repairs costing 40 million kroner. "
        "The mayor, Ingrid Dahl, cut the ribbon. Traffic was heavy all afternoon. "
        "Ferry operators said they lost business during the closure.",
        encoding="utf-8",
    )
    assert fresh_bot.ingest(folder).added == ("harbour.txt",)
    old_info = fresh_bot.documents()[0]
    assert old_info.n_sentences == 5
    assert "The mayor, Ingrid Dahl, cut the ribbon." in retrieved_texts(fresh_bot, "Who cut the ribbon?")

    article.write_text(
        "Harbour bridge closed again\n"
        "The harbour bridge in Tromsø closed again on Friday because of cracks in the deck.",
        encoding="utf-8",
    )
    report = fresh_bot.ingest(folder)
    assert report.updated == ("harbour.txt",) and report.added == ()
    info = fresh_bot.documents()[0]
    assert len(fresh_bot.documents()) == 1
    assert info.n_sentences == 2 and info.content_hash != old_info.content_hash
    assert info.title == "Harbour bridge closed again"
    assert stored_sentences(fresh_bot, "harbour.txt") == sorted(
        [
            "Harbour bridge closed again",
            "The harbour bridge in Tromsø closed again on Friday because of cracks in the deck.",
        ]
    )
    chunks = fresh_bot.chunks("harbour.txt")
    assert len(chunks) == info.n_chunks
    assert all("Ingrid Dahl" not in c.text for c in chunks)
    assert fresh_bot.document_text("harbour.txt").endswith("cracks in the deck.")
    assert all("Ingrid Dahl" not in t for t in retrieved_texts(fresh_bot, "Who cut the ribbon?"))


def test_list_and_remove_documents(fresh_bot: Assistant, tmp_path: Path, assert_citations_exact) -> None:
    """Documents are listed with their counts and can be removed, with their sentences and chunks."""
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "weather.txt").write_text(
        "Storm warning\nA storm named Ciarán will hit Brittany on Thursday with winds of 150 km/h.",
        encoding="utf-8",
    )
    fresh_bot.ingest(CORPUS)
    fresh_bot.ingest(extra)
    infos = {d.doc_id: d for d in fresh_bot.documents()}
    assert set(infos) == {SEED_ID, "weather.txt"}
    assert infos[SEED_ID].n_sentences == 17 and infos[SEED_ID].n_chars == len(
        (CORPUS / SEED_ID).read_text(encoding="utf-8")
    )
    assert infos["weather.txt"].title == "Storm warning"
    assert (
        infos[SEED_ID].title
        == "Zelensky's top aide says deploying foreign troops to Ukraine is not realistic"
    )

    fresh_bot.remove("weather.txt")
    assert [d.doc_id for d in fresh_bot.documents()] == [SEED_ID]
    assert stored_sentences(fresh_bot, "weather.txt") == []
    assert fresh_bot.chunks("weather.txt") == []
    with pytest.raises(UnknownDocumentError):
        fresh_bot.document_text("weather.txt")
    answer = fresh_bot.ask("Which region will the storm hit on Thursday?")
    assert_citations_exact(fresh_bot, answer)
    assert all(c.doc_id != "weather.txt" for c in answer.citations)
    assert all(p.sentence.doc_id != "weather.txt" for p in answer.retrieved)


def test_remove_unknown_document(fresh_bot: Assistant) -> None:
    """Removing an unknown id raises UnknownDocumentError that names the id and how to list ids."""
    fresh_bot.ingest(CORPUS)
    with pytest.raises(UnknownDocumentError) as caught:
        fresh_bot.remove("no-such-doc.txt")
    message = str(caught.value)
    assert "no-such-doc.txt" in message and "assistant docs" in message
    assert [d.doc_id for d in fresh_bot.documents()] == [SEED_ID]


# File types -------------------------------------------------------------------------------------


def test_documents_jsonl(fresh_bot: Assistant, tmp_path: Path, assert_citations_exact) -> None:
    """A documents.jsonl in the shared eval format ingests with its ids, titles and metadata."""
    path = tmp_path / "documents.jsonl"
    rows = [
        {
            "doc_id": "wire-1",
            "title": "Copper price record",
            "source": "Wire",
            "url": "https://example.org/copper",
            "published_at": "2024-05-20",
            "text": "Copper hit a record $11,000 a tonne on Monday. Traders blamed supply worries in Chile.",
        },
        {"doc_id": "wire-2", "title": None, "source": None, "text": "The central bank of Ghana cut rates."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    report = fresh_bot.ingest(path)
    assert set(report.added) == {"wire-1", "wire-2"} and report.failed == ()
    infos = {d.doc_id: d for d in fresh_bot.documents()}
    assert infos["wire-1"].title == "Copper price record"
    assert infos["wire-1"].url == "https://example.org/copper"
    assert infos["wire-1"].published_at == "2024-05-20"
    assert infos["wire-1"].source == "Wire"
    assert fresh_bot.document_text("wire-2") == rows[1]["text"]
    answer = fresh_bot.ask("What price did copper hit on Monday?")
    assert_citations_exact(fresh_bot, answer)
    assert not answer.refused and "11,000" in (answer.short or ""), answer
    assert fresh_bot.ingest(path).unchanged == ("wire-1", "wire-2")


def test_bad_jsonl_line_is_reported(fresh_bot: Assistant, tmp_path: Path) -> None:
    """A malformed documents.jsonl line is reported by line number and no good line is silently dropped."""
    path = tmp_path / "documents.jsonl"
    path.write_text(
        '{"doc_id": "a", "text": "Fine."}\n{"doc_id": "b"}\n{"doc_id": "c", "text": "Also fine."}\n',
        encoding="utf-8",
    )
    report = fresh_bot.ingest(path)
    assert len(report.failed) == 1
    where, reason = report.failed[0]
    assert where.endswith("documents.jsonl:2") and "'text'" in reason
    stored = {d.doc_id for d in fresh_bot.documents()}
    # Either the file is refused as a whole or every good line is ingested; never a silent prefix.
    assert stored in (set(), {"a", "c"}), f"partial ingest of a bad documents.jsonl: stored {stored}"


def test_jsonl_not_utf8_is_reported(guarded_bot: Assistant, tmp_path: Path) -> None:
    """A documents.jsonl that is not UTF-8 is reported in report.failed, not raised as UnicodeDecodeError."""
    path = tmp_path / "documents.jsonl"
    path.write_bytes('{"doc_id": "cafe", "text": "Le café de Zürich a fermé."}\n'.encode("latin-1"))
    report = guarded_bot.ingest(path)
    assert report.added == ()
    [(where, reason)] = report.failed
    assert "documents.jsonl" in where and "UTF-8" in reason
    assert_seed_intact(guarded_bot)


def test_jsonl_empty_doc_id_is_rejected_cleanly(fresh_bot: Assistant, tmp_path: Path) -> None:
    """A documents.jsonl row with an empty doc_id is reported, and leaves no orphan sentences behind."""
    fresh_bot.ingest(CORPUS)
    path = tmp_path / "documents.jsonl"
    row = {"doc_id": "", "text": "The mayor of Oslo is Bob Smith."}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    raised: Exception | None = None
    try:
        report = fresh_bot.ingest(path)
    except Exception as exc:  # a clean AssistantError would also be acceptable; a raw store error is not
        raised = exc
    else:
        assert report.added == () and len(report.failed) == 1, report
    orphans = stored_sentences(fresh_bot, "")
    assert orphans == [], f"the failed write left sentences without a document: {orphans} (raised {raised!r})"
    assert_seed_intact(fresh_bot)
    assert raised is None or isinstance(raised, AssistantError), (
        f"raw {type(raised).__module__}.{type(raised).__name__}: {raised}"
    )


def test_jsonl_non_string_title_does_not_break_the_store(fresh_bot: Assistant, tmp_path: Path) -> None:
    """A documents.jsonl row whose title is not a string is rejected or coerced; questions keep working."""
    fresh_bot.ingest(CORPUS)
    path = tmp_path / "documents.jsonl"
    row = {"doc_id": "n1", "title": 5, "text": "A numbered story."}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    fresh_bot.ingest(path)
    answer = fresh_bot.ask("Who proposed 30,000 troops?")
    assert not answer.refused and "Starmer" in (answer.short or "")
    for info in fresh_bot.documents():
        assert isinstance(info.title, str), info


def test_markdown(fresh_bot: Assistant, tmp_path: Path) -> None:
    """A Markdown file takes its title from the first heading, without the '#'."""
    path = tmp_path / "note.md"
    path.write_text(
        "# Budget vote delayed\n\nParliament delayed the budget vote to March 3.\n", encoding="utf-8"
    )
    report = fresh_bot.ingest(path)
    assert report.added == ("note.md",)
    info = fresh_bot.documents()[0]
    assert info.title == "Budget vote delayed"
    assert "Parliament delayed the budget vote to March 3." in stored_sentences(fresh_bot)


def test_html(fresh_bot: Assistant, tmp_path: Path, assert_citations_exact) -> None:
    """An HTML page takes its title from <title>; scripts, styles and navigation are not indexed."""
    path = tmp_path / "page.html"
    path.write_text(
        """<!doctype html><html><head><title> Dam opens in Laos </title>
        <style>body { color: red; }</style>
        <script>var tracking = "SECRET_TRACKER_TOKEN"; alert("hi");</script></head>
        <body><nav>Home | World | Sport</nav>
        <h1>Dam opens in Laos</h1>
        <p>The Nam Theun dam began producing power on Tuesday.</p>
        <p>It cost <b>$1.2 billion</b> to build.</p>
        <script>console.log("ANOTHER_SCRIPT")</script>
        <footer>Copyright FOOTER_TEXT</footer></body></html>""",
        encoding="utf-8",
    )
    assert fresh_bot.ingest(path).added == ("page.html",)
    info = fresh_bot.documents()[0]
    assert info.title == "Dam opens in Laos"
    text = fresh_bot.document_text("page.html")
    for junk in ("SECRET_TRACKER_TOKEN", "ANOTHER_SCRIPT", "color: red", "FOOTER_TEXT", "<p>", "<b>"):
        assert junk not in text, f"{junk!r} leaked into the indexed text: {text!r}"
    assert "The Nam Theun dam began producing power on Tuesday." in text
    # Inline markup (<b>, <a>, <span>) must not break a sentence into lines.
    assert "It cost $1.2 billion to build." in text, f"inline tags split the sentence: {text!r}"
    answer = fresh_bot.ask("How much did the dam cost to build?")
    assert_citations_exact(fresh_bot, answer)
    assert not answer.refused and "1.2 billion" in (answer.short or ""), answer


def test_pdf(fresh_bot: Assistant, tmp_path: Path, assert_citations_exact) -> None:
    """A real PDF's text layer is ingested, with the title from its metadata."""
    path = tmp_path / "treaty.pdf"
    path.write_bytes(
        make_pdf(
            ["Ministers met in Oslo on Tuesday.", "The fisheries treaty was signed by Anna Berg."],
            title="Oslo fisheries treaty",
        )
    )
    assert fresh_bot.ingest(path).added == ("treaty.pdf",)
    info = fresh_bot.documents()[0]
    assert info.title == "Oslo fisheries treaty"
    assert "The fisheries treaty was signed by Anna Berg." in stored_sentences(fresh_bot)
    answer = fresh_bot.ask("Who signed the fisheries treaty?")
    assert_citations_exact(fresh_bot, answer)
    assert not answer.refused and "Anna Berg" in (answer.short or ""), answer


# Bad input --------------------------------------------------------------------------------------


BAD_FILES = {
    "empty.txt": (b"", "empty"),
    "blank.txt": (b"  \n\n\t \n", "no text"),
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
    "latin1.txt": ("Le président a visité Zürich.".encode("latin-1"), "UTF-8"),
    "truncated.pdf": (make_pdf(["Some text that is cut off."])[:150], "PDF"),
    "garbage.pdf": (b"this is not a pdf at all, just bytes\n", "PDF"),
    "notext.pdf": (make_pdf([]), "no extractable text"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_reported_and_loses_nothing(guarded_bot: Assistant, tmp_path: Path, name: str) -> None:
    """An unusable file is reported in report.failed with a reason, and the store keeps what it had."""
    data, reason_word = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    report = guarded_bot.ingest(path)
    assert report.added == () and report.updated == ()
    assert len(report.failed) == 1, report
    where, reason = report.failed[0]
    assert name in where
    assert reason_word.lower() in reason.lower(), f"unclear reason for {name}: {reason!r}"
    assert "1 failed" in report.summary()
    assert_seed_intact(guarded_bot)


def test_oversized_file_is_refused(tmp_path: Path, shared_embedder) -> None:
    """A file over max_file_mb is refused with a reason that says how long it would take and
    names the setting to raise."""
    bot = open_bot(tmp_path / "store", shared_embedder, max_file_mb=0.001)
    path = tmp_path / "big.txt"
    path.write_text("A sentence about the budget. " * 100, encoding="utf-8")
    report = bot.ingest(path)
    assert report.added == ()
    [(where, reason)] = report.failed
    assert where.endswith("big.txt") and "ASSISTANT_MAX_FILE_MB" in reason
    assert "minutes per MB" in reason and "0.001 MB limit" in reason
    assert bot.documents() == []


def test_missing_path(guarded_bot: Assistant, tmp_path: Path) -> None:
    """A path that does not exist raises PathNotFoundError naming it."""
    missing = tmp_path / "no" / "such" / "folder"
    with pytest.raises(PathNotFoundError) as caught:
        guarded_bot.ingest(missing)
    assert str(missing) in str(caught.value)
    assert_seed_intact(guarded_bot)


@pytest.mark.parametrize("contents", [(), ("photo.png", "report.docx"), (".hidden/secret.txt",)])
def test_folder_with_nothing_ingestible(guarded_bot: Assistant, tmp_path: Path, contents: tuple) -> None:
    """A folder with no supported files raises NothingToIngestError listing the supported types."""
    folder = tmp_path / "folder"
    folder.mkdir()
    for name in contents:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"Some content here.")
    with pytest.raises(NothingToIngestError) as caught:
        guarded_bot.ingest(folder)
    message = str(caught.value)
    assert str(folder) in message and ".txt" in message and ".pdf" in message
    assert_seed_intact(guarded_bot)


def test_mixed_folder(fresh_bot: Assistant, tmp_path: Path) -> None:
    """In a mixed folder good files are ingested, bad ones listed with reasons, unsupported ones skipped."""
    folder = tmp_path / "mixed"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(CORPUS / SEED_ID, folder / SEED_ID)
    (folder / "sub" / "note.md").write_text("# Note\n\nThe vote is on Friday.\n", encoding="utf-8")
    (folder / "paper.pdf").write_bytes(make_pdf(["The committee meets in Geneva in May."]))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 50)
    (folder / "latin1.md").write_bytes("Café Zürich".encode("latin-1"))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\ngarbage\n")
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n")
    (folder / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    report = fresh_bot.ingest(folder)
    assert set(report.added) == {SEED_ID, "sub/note.md", "paper.pdf"}
    failed = {Path(path).name: reason for path, reason in report.failed}
    assert set(failed) == {"empty.txt", "binary.txt", "latin1.md", "broken.pdf"}, report.failed
    assert all(reason.strip() for reason in failed.values())
    assert {Path(p).name for p in report.skipped} == {"photo.png", "data.csv"}
    assert {d.doc_id for d in fresh_bot.documents()} == {SEED_ID, "sub/note.md", "paper.pdf"}
    summary = report.summary()
    assert "3 added" in summary and "4 failed" in summary and "2 skipped" in summary


# Questions --------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "   ", "\n\t "])
def test_empty_question(seed_bot: Assistant, question: str) -> None:
    """An empty or blank question raises EmptyQuestionError with a message saying what to do."""
    with pytest.raises(EmptyQuestionError, match="empty"):
        seed_bot.ask(question)
    with pytest.raises(EmptyQuestionError):
        seed_bot.retrieve(question)


def test_question_too_long(seed_bot: Assistant) -> None:
    """A 100 kB question raises QuestionTooLongError that states the limit and the setting."""
    question = "Who proposed 30,000 troops? " * 3600
    assert len(question) > 100_000
    with pytest.raises(QuestionTooLongError) as caught:
        seed_bot.ask(question)
    message = str(caught.value)
    assert "2,000" in message and "ASSISTANT_MAX_QUESTION_CHARS" in message
    with pytest.raises(QuestionTooLongError):
        seed_bot.retrieve(question)


def test_progress_counts_characters_to_the_end(fresh_bot: Assistant) -> None:
    """A progress callback sees (done, total) in characters, never going back, ending at total:
    one large document reports progress while it is embedded, not only when it is done."""
    text = _river(1500)
    seen: list[tuple[int, int]] = []
    fresh_bot.ingest_documents([Document("big.txt", "Big", text)], progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(text), len(text))
    assert len(seen) >= 3, "a large document should report progress more than once"
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))


class _FailingIndex(ChromaIndex):
    """A real Chroma index whose ``fail_at``-th sentence write fails, as a server dying mid-ingest would."""

    fail_at = 2
    sentence_writes = 0

    def put_sentences(self, sentences, vectors) -> None:  # type: ignore[no-untyped-def]
        self.sentence_writes += 1
        if self.sentence_writes == self.fail_at:
            raise BackendError("the vector store failed while storing sentences (simulated)")
        super().put_sentences(sentences, vectors)


def _river(n: int, word: str = "river") -> str:
    return " ".join(f"Sentence number {i} says that the {word} rose by {i} centimetres." for i in range(n))


def test_large_document_is_written_in_slices_and_a_failure_leaves_nothing(tmp_path: Path) -> None:
    """A large document reaches the store slice by slice while it is embedded (so writing
    overlaps embedding); when a write fails midway, the run reports the store's error and
    no half-written document or stray sentence stays, while documents ingested before stay whole."""
    settings = test_settings(tmp_path / "store", embedder="hash:64")
    embedder = make_embedder(settings)
    index = _FailingIndex(make_client(settings), settings.collection, embedder.name)
    bot = Assistant(settings, index, embedder)
    index.fail_at = 0  # nothing fails: the earlier document
    bot.ingest_documents([Document("small.txt", "Small", "The lake froze in 1963. It thawed in March.")])
    index.fail_at, index.sentence_writes = 2, 0
    with pytest.raises(BackendError, match="simulated"):
        bot.ingest_documents([Document("big.txt", "Big", _river(1500))])
    assert index.sentence_writes >= 2, "one document should reach the store in several slices"
    assert [d.doc_id for d in bot.documents()] == ["small.txt"]
    assert {s.doc_id for s, _ in index.sentences()} == {"small.txt"}
    assert not index._sentences.get(where={"doc_id": "big.txt"})["ids"]

    index.fail_at = 0
    report = bot.ingest_documents([Document("big.txt", "Big", _river(1500))])
    assert report.added == ("big.txt",) and report.n_sentences == 1500
    assert index.sentence_writes > 3  # 1500 sentences in slices of 512


def test_rows_of_an_unfinished_document_are_not_in_the_corpus(tmp_path: Path) -> None:
    """Sentences a killed ingest wrote before their document row are never retrieved or cited,
    and the next ingest of that file replaces them (even when the file has since shrunk)."""
    settings = test_settings(tmp_path / "store", embedder="hash:64")
    bot = Assistant.open(settings=settings)
    long_text = _river(40, "canal")
    spans = [(m.start(), m.end()) for m in re.finditer(r"Sentence number \d+[^.]*\.", long_text)]
    sentences = [Sentence("notes.txt", i, s, e, long_text[s:e]) for i, (s, e) in enumerate(spans)]
    bot.index.put_sentences(sentences, bot.embedder.embed([s.text for s in sentences]))
    assert bot.retrieve("How much did the canal rise?") == []
    bot.ingest_documents([Document("notes.txt", "Notes", _river(3, "canal"))])
    assert [s.index for s, _ in bot.index.sentences()] == [0, 1, 2]
    assert bot.lexical.document_sentences("notes.txt")[-1].text.startswith("Sentence number 2 ")


def test_sentences_are_read_back_a_page_at_a_time(tmp_path: Path) -> None:
    """Reading a document's sentences back (the lexical index does, after an ingest) pages
    through the store, so a 100k-sentence file does not overflow Chroma's query limits; here
    pages of 7 rows over 40 sentences lose or repeat none."""
    settings = test_settings(tmp_path / "store", embedder="hash:64")
    bot = Assistant.open(settings=settings)
    bot.ingest_documents([Document("a.txt", "A", _river(40)), Document("b.txt", "B", _river(5, "canal"))])
    bot.index._batch = 7  # type: ignore[attr-defined]
    rows = bot.index.sentences(["a.txt"])
    assert sorted(s.index for s, _ in rows) == list(range(40))
    assert len(bot.index.sentences()) == 45


def test_each_stored_sentence_keeps_its_own_vector(fresh_bot: Assistant) -> None:
    """Ingest embeds a batch's sentences shortest first, not in reading order; every vector
    must still be stored with the sentence it was computed from."""
    words = ["ships", "troops", "budget", "harvest", "election", "river", "museum", "treaty"]
    text = " ".join(
        f"The report on the {w} ran to {n} pages{' and many appendices' * (n % 4)}."
        for n, w in enumerate(words * 3, start=1)
    )
    fresh_bot.ingest_documents([Document(doc_id="mixed.txt", title="Reports", text=text)])
    rows = fresh_bot.index.sentences(["mixed.txt"])
    assert len(rows) == 24
    stored = fresh_bot.index.vectors([s.sentence_id for s, _ in rows])
    for sentence, _ in rows:
        expected = fresh_bot.embedder.embed([sentence.text])[0]
        assert float(stored[sentence.sentence_id] @ expected) > 0.9999, sentence.text


def test_sentence_and_chunk_texts_are_slices_of_the_document_stored_once(tmp_path: Path) -> None:
    """Sentence and chunk rows keep offsets, not text (writing text twice slowed ingest by a
    third); read back, each text is its document's slice. Stores written before this, whose rows
    also hold their text and title, read back the same."""
    settings = test_settings(tmp_path / "store", embedder="hash:64")
    bot = Assistant.open(settings=settings)
    text = "Tromsø bridge reopens\n\n" + _river(30)
    bot.ingest_documents([Document("a.txt", "Tromsø bridge reopens", text)])
    index = bot.index
    assert isinstance(index, ChromaIndex)
    assert set(index._sentences.get(include=["documents"])["documents"]) == {None}
    assert set(index._chunks.get(include=["documents"])["documents"]) == {None}
    sentences, chunks = index.sentences(), index.chunks("a.txt")
    assert len(sentences) == 31 and all(s.text == text[s.start : s.end] for s, _ in sentences)
    assert {title for _, title in sentences} == {"Tromsø bridge reopens"}
    assert chunks and all(c.text == text[c.start : c.end] for c in chunks)

    # The earlier format: every row carries its own text (and a sentence its title).
    got = index._sentences.get(include=["metadatas", "embeddings"])
    index._sentences.upsert(
        ids=got["ids"],
        embeddings=got["embeddings"],
        metadatas=[m | {"title": "Tromsø bridge reopens"} for m in got["metadatas"]],
        documents=[text[m["start"] : m["end"]] for m in got["metadatas"]],
    )
    got = index._chunks.get(include=["metadatas", "embeddings"])
    index._chunks.upsert(
        ids=got["ids"],
        embeddings=got["embeddings"],
        metadatas=got["metadatas"],
        documents=[text[m["start"] : m["end"]] for m in got["metadatas"]],
    )
    assert index.sentences() == sentences and index.chunks("a.txt") == chunks
