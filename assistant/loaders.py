"""Turn files into Documents: .txt, .md, .html, .pdf, and documents.jsonl sets.

A document's ``text`` is what we index and cite; offsets are always into it. Every
failure is an UnreadableDocumentError naming the file, so a folder ingest can report
it and carry on with the other files.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from pathlib import Path

from .errors import PathNotFoundError, UnreadableDocumentError
from .types import Document

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf"}
_MAX_TITLE_CHARS = 200
_BLOCK_TAGS = [
    "p", "div", "section", "article", "header", "main", "aside", "blockquote", "pre", "figure", "figcaption",
    "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td", "th", "hr",
]  # fmt: skip


def discover(path: Path) -> tuple[list[Path], list[Path]]:
    """Files under ``path`` we can read, and the ones we skip for their type."""
    if not path.exists():
        raise PathNotFoundError(f"{path} does not exist; check the path and try again")
    if path.is_file():
        return ([path], []) if _supported(path) else ([], [path])
    found, skipped = [], []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        if any(part.startswith(".") for part in file.relative_to(path).parts):
            continue
        (found if _supported(file) else skipped).append(file)
    return found, skipped


def _supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


# Measured: a 10 MB text file, 83,617 sentences, in 463 s through `assistant ingest` on
# 2 cores (bench/load.py, bench/results/latest.md; 722 s in a run on a busier machine).
MINUTES_PER_MB = 0.8


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    """``text`` with U+FFFD for each lone surrogate: what Python makes of undecodable bytes in
    a terminal argument or a file name, and what no store, JSON or terminal accepts."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def load_file(path: Path, doc_id: str, max_bytes: int) -> Document:
    shown = without_surrogates(str(path))
    if shown != str(path):
        raise UnreadableDocumentError(shown, "its name is not valid UTF-8: rename the file to ingest it")
    size = path.stat().st_size
    if size == 0:
        raise UnreadableDocumentError(str(path), "the file is empty")
    if size > max_bytes:
        raise UnreadableDocumentError(
            str(path),
            f"the file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit: text ingests at "
            f"about {MINUTES_PER_MB:g} minutes per MB on 2 cores, so this would take about "
            f"{size / 1e6 * MINUTES_PER_MB:.0f} minutes (raise ASSISTANT_MAX_FILE_MB to allow it anyway)",
        )
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        title, text = _read_pdf(path)
    elif suffix in HTML_SUFFIXES:
        title, text = _read_html(_decode(path))
    else:
        text = _decode(path)
        title = _first_line_title(text, markdown=suffix in {".md", ".markdown"})
    if not text.strip():
        raise UnreadableDocumentError(str(path), "no text could be extracted from it")
    return Document(doc_id=doc_id, title=title or path.stem, text=text, source=str(path.resolve()))


def load_jsonl(path: Path) -> tuple[list[Document], list[UnreadableDocumentError]]:
    """Documents in the shared eval format: one JSON object a line with doc_id and text.

    A bad line is reported by its number and skipped; the other lines still load.
    """
    try:
        lines = _decode(path).splitlines()
    except UnreadableDocumentError as exc:
        return [], [exc]
    documents, failures = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            documents.append(_document_from_row(json.loads(line), path))
        except json.JSONDecodeError as exc:
            failures.append(UnreadableDocumentError(f"{path}:{number}", f"not valid JSON ({exc.msg})"))
        except ValueError as exc:
            failures.append(UnreadableDocumentError(f"{path}:{number}", str(exc)))
    if not documents and not failures:
        failures.append(UnreadableDocumentError(str(path), "the file has no documents"))
    return documents, failures


def _document_from_row(row: object, path: Path) -> Document:
    if not isinstance(row, dict):
        raise ValueError("expected a JSON object with 'doc_id' and 'text'")
    doc_id, text = row.get("doc_id"), row.get("text")
    if not isinstance(doc_id, str | int) or not str(doc_id).strip():
        raise ValueError("'doc_id' must be a non-empty string")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("'text' must be a non-empty string")
    optional = {}
    for key in ("title", "source", "url", "published_at"):
        value = row.get(key)
        if value is not None and not isinstance(value, str | int | float):
            raise ValueError(f"'{key}' must be a string")
        optional[key] = None if value is None else str(value)
    return Document(
        doc_id=str(doc_id).strip(),
        title=optional["title"] or "",
        text=text,
        source=optional["source"] or str(path),
        url=optional["url"],
        published_at=optional["published_at"],
    )


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise UnreadableDocumentError(
            str(path), "it looks like a binary file, not text; export it as .txt or .pdf"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocumentError(
            str(path),
            f"it is not UTF-8 text (byte {exc.start}); re-save it as UTF-8, "
            "for example with: iconv -f latin1 -t utf-8",
        ) from None


def _first_line_title(text: str, markdown: bool) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            if markdown:
                line = line.lstrip("#").strip()
            return line if len(line) <= _MAX_TITLE_CHARS else ""
    return ""


def _read_html(html: str) -> tuple[str, str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "nav", "footer"]):
        tag.decompose()
    title = ""
    if soup.title and soup.title.string:
        title = soup.title.string.strip()
    elif (h1 := soup.find("h1")) is not None:
        title = h1.get_text(" ", strip=True)
    if soup.title:
        soup.title.decompose()
    # Block elements end lines; inline ones (<b>, <a>, <span>) stay inside their sentence.
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    lines = (re.sub(r"\s+", " ", line).strip() for line in soup.get_text().splitlines())
    return title, "\n".join(line for line in lines if line)


def _read_pdf(path: Path) -> tuple[str, str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf reports recoverable damage through logging and warnings; a bad PDF is reported
    # once, by us, in the ingest report, not as library noise on the user's terminal.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(path)
            pages = [page.extract_text() or "" for page in reader.pages]
            meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise UnreadableDocumentError(
            str(path), f"the PDF cannot be read ({exc}); is it complete and unencrypted?"
        ) from None
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise UnreadableDocumentError(
            str(path), "the PDF has no extractable text (a scan? run OCR on it first)"
        )
    return meta_title.strip() or _first_line_title(text, markdown=False), text
