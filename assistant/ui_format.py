"""The web UI's pure formatting: library objects -> Markdown and HTML, no Gradio, no server.

Everything here is a small pure function, tested without a browser (tests/test_webui.py);
``webui.py`` wires them to components.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from .backends import available, backend
from .config import Settings
from .conversation import remember
from .loaders import SUPPORTED_SUFFIXES
from .types import Answer, Citation, DocumentInfo, IngestReport, ScoredSentence, Turn, Verification

FLAG = "⚠"

EXAMPLES = [
    "Who proposed 30,000 troops?",
    "Where is he travelling to make that proposal?",
    "What did Sergey Lavrov oppose?",
    "What is the capital of Peru?",
]
# What ingest reads is decided by the loaders; the upload box offers exactly that.
UPLOAD_TYPES = sorted(SUPPORTED_SUFFIXES)
GENERIC_ERROR = "Something went wrong on our side; it has been logged. Please try again."
REFUSAL_HINT = (
    "I only answer from the indexed documents, and none of them says this. "
    "Try rephrasing the question, or add a document that covers it in the **Documents** tab."
)
# Before any answer there is nothing above the viewer to choose from: say what will appear.
VIEWER_PLACEHOLDER = (
    '<p class="viewer-empty">Ask a question: each source of its answer can be opened here, '
    "in its document.</p>"
)
VIEWER_CHOOSE = (
    '<p class="viewer-empty">Choose a source above, or click a [1] marker in the answer, '
    "to read it in its document.</p>"
)
# Where a [n] marker in an answer links to; static/app.js catches the click.
SOURCE_LINK = "#source-"
LLM_HINT = (
    "Only the offline answerer is set up. To let an LLM write the answers, start the app with "
    "`ASSISTANT_OPENAI_BASE_URL=http://HOST/v1` (any OpenAI-compatible server: vLLM, Ollama, "
    "llama.cpp) and `ASSISTANT_LLM_MODEL=NAME`, or `OPENAI_API_KEY` for OpenAI itself, or "
    "`ASSISTANT_LLM_GGUF=path/model.gguf` to run a local model; its answers are checked against "
    "their sources."
)
STREAM_STEPS = 40
STREAM_DELAY_S = 0.015
SAVED_TURNS = 20
"""The answers a browser tab keeps for a reload. Bounded because the whole record travels to
the browser with each answer and back on each reload, and sessionStorage holds a few MB per
site: 20 answers of about 5 kB (with their passages) stay near 100 kB."""
SAVED_FORMAT = 1
"""Bumped when the saved form changes: a tab's older record is then dropped, not misread."""

# ---------------------------------------------------------------------------------------
# Pure formatting helpers


def display_title(title: str, doc_id: str) -> str:
    return title.strip() or doc_id


def one_line(text: str) -> str:
    return " ".join(text.split())


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~$])")


def md_escape(text: str) -> str:
    """Document text shown literally inside Markdown: no emphasis, links, HTML or maths."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def format_span(start: int, end: int) -> str:
    return f"chars {start:,}–{end:,}"


def format_scores(score: float, dense: float | None = None, lexical: float | None = None) -> str:
    parts = [f"score {score:.3f}"]
    if dense is not None:
        parts.append(f"dense {dense:.3f}")
    if lexical is not None:
        parts.append(f"lexical {lexical:.2f}")
    return " · ".join(parts)


def _signals(citation: Citation, retrieved: Sequence[ScoredSentence]) -> str:
    for passage in retrieved:
        s = passage.sentence
        if (s.doc_id, s.start, s.end) == (citation.doc_id, citation.start, citation.end):
            return format_scores(passage.score, passage.dense, passage.lexical)
    return format_scores(citation.score)


def citation_markdown(citation: Citation, retrieved: Sequence[ScoredSentence], show_scores: bool) -> str:
    line = (
        f"**\\[{citation.marker}\\]** *{md_escape(display_title(citation.title, citation.doc_id))}* "
        f"· {format_span(citation.start, citation.end)}"
    )
    if show_scores:
        line += f" · `{_signals(citation, retrieved)}`"
    return f"{line}\n> {md_escape(one_line(citation.text))}"


def passage_markdown(rank: int, passage: ScoredSentence, show_scores: bool) -> str:
    s = passage.sentence
    line = f"{rank}. *{md_escape(display_title(passage.title, s.doc_id))}* · {format_span(s.start, s.end)}"
    if show_scores:
        line += f" · `{format_scores(passage.score, passage.dense, passage.lexical)}`"
    return f"{line}  \n   “{md_escape(one_line(s.text))}”"


def answer_text_markdown(text: str) -> str:
    """The answer itself (while it streams); its [n] markers stay visible as plain text."""
    return md_escape(text)


_ESCAPED_MARKER = re.compile(r"\\\[(\d+)\\\]")


def link_markers(markdown: str, markers: Collection[int]) -> str:
    """Each escaped ``\\[n\\]`` of a cited source becomes a link that opens source n."""

    def link(match: re.Match[str]) -> str:
        n = int(match[1])
        return f'[\\[{n}\\]]({SOURCE_LINK}{n} "Open source {n}")' if n in markers else match[0]

    return _ESCAPED_MARKER.sub(link, markdown)


def latency_markdown(answer: Answer) -> str:
    """How long the answer took, as the user waited for it."""
    seconds = answer.latency_ms / 1000
    return f"*Answered in {seconds:.2f} s.*" if seconds < 10 else f"*Answered in {seconds:.0f} s.*"


def viewer_hint_html(answer: Answer | None) -> str:
    """What the empty viewer says: pick a source when the answer has some, else what will appear."""
    return VIEWER_CHOOSE if answer is not None and answer.citations else VIEWER_PLACEHOLDER


def backend_hint_markdown(settings: Settings) -> str:
    """Under the backend menu: how to add an LLM when only the offline answerer is offered."""
    return "" if any(b.needs_llm for b in available(settings)) else LLM_HINT


def too_long_markdown(length: int, limit: int) -> str:
    """A too-long question, in the user's terms (the setting's name is for whoever runs the app)."""
    return (
        f"**Sorry:** your question is {length:,} characters long; questions can be at most "
        f"{limit:,} characters. Please shorten it to the question itself."
    )


def backend_choices(settings: Settings) -> tuple[dict[str, str], str]:
    """(label -> backend key, default label): the LLM is offered only when one is configured."""
    choices = {b.label: b.name for b in available(settings)}
    return choices, backend(settings.backend).label


def flagged_text_markdown(answer: Answer) -> str:
    """The answer with each claim the verifier did not accept marked "⚠ … (not supported …)"."""
    v = answer.verification
    if v is None or not v.shows_flagged:
        return answer_text_markdown(answer.text)
    out: list[str] = []
    cursor = 0
    for claim in sorted(v.flagged, key=lambda c: c.start):
        if claim.start < cursor or answer.text[claim.start : claim.end] != claim.text:
            continue
        out.append(md_escape(answer.text[cursor : claim.start]))
        out.append(f"{FLAG} *{md_escape(claim.text)}* **(not supported by its sources)**")
        cursor = claim.end
    out.append(md_escape(answer.text[cursor:]))
    return "".join(out)


def verification_markdown(v: Verification | None) -> str:
    """One line on what the verifier found; '' for answers that need no verification."""
    if v is None:
        return ""
    if v.fallback:
        why = v.error or v.reason
        shown = "the offline answer" if v.fallback == "extractive" else "a refusal"
        return f"*{FLAG} The model's answer could not be verified ({md_escape(why)}); showing {shown}.*"
    if v.flagged:
        n = len(v.flagged)
        # "claims", not "sentences": a relative clause is checked, and may be flagged, alone.
        return (
            f"*{FLAG} {n} of {v.checked} claim{'s' if v.checked != 1 else ''} "
            f"{'is' if n == 1 else 'are'} not supported by the sources they cite (marked {FLAG}).*"
        )
    plural = "s" if v.checked != 1 else ""
    return f"*✓ Verified: each of the {v.checked} claim{plural} is supported by its sources.*"


def answer_markdown(answer: Answer, top_k: int, show_scores: bool) -> str:
    """The complete chat message: the answer, then its sources (or, if refused, why not)."""
    body = link_markers(flagged_text_markdown(answer), {c.marker for c in answer.citations})
    if answer.corrections:
        # Said first: the answer is to the question as read, and the user should see how.
        notes = " ".join(md_escape(c.note) for c in answer.corrections)
        body = f"*{notes}*\n\n{body}"
    if check := verification_markdown(answer.verification):
        body = f"{body}\n\n{check}"
    if answer.refused:
        closest = answer.retrieved[: min(top_k, 3)]
        parts = [body, f"*{REFUSAL_HINT}*"]
        if closest:
            parts.append("**Closest passages — not an answer:**")
            parts.append("\n".join(passage_markdown(i, p, show_scores) for i, p in enumerate(closest, 1)))
        return "\n\n".join([*parts, latency_markdown(answer)])
    if not answer.citations:
        return f"{body}\n\n{latency_markdown(answer)}"
    sources = "\n\n".join(citation_markdown(c, answer.retrieved, show_scores) for c in answer.citations)
    return f"{body}\n\n**Sources**\n\n{sources}\n\n{latency_markdown(answer)}"


def passages_markdown(answer: Answer | None, top_k: int, show_scores: bool) -> str:
    if answer is None:
        return "*Ask a question to see the passages it was answered from.*"
    shown = answer.retrieved[:top_k]
    if not shown:
        return "*No passages were retrieved.*"
    asked = md_escape(one_line(answer.standalone_question or answer.question))
    head = f"Top {len(shown)} ranked passages for “{asked}”"
    body = "\n".join(passage_markdown(i, p, show_scores) for i, p in enumerate(shown, 1))
    return f"{head}\n\n{body}"


def stream_prefixes(text: str, max_steps: int = STREAM_STEPS) -> list[str]:
    """Growing prefixes of ``text``, a word (or a few, for long texts) at a time; the last is ``text``."""
    words = re.findall(r"\s*\S+", text)
    if not words:
        return [text]
    per_step = -(-len(words) // max_steps)
    prefixes = ["".join(words[: i + per_step]) for i in range(0, len(words), per_step)]
    prefixes[-1] = text
    return prefixes


def source_choices(answer: Answer | None) -> list[tuple[str, str]]:
    """Radio choices (label, value) for an answer's citations; value is the marker."""
    if answer is None:
        return []
    return [
        (
            f"[{c.marker}] {display_title(c.title, c.doc_id)} · {format_span(c.start, c.end)}",
            str(c.marker),
        )
        for c in answer.citations
    ]


def highlight_html(text: str, spans: Sequence[tuple[int, int]], current: int | None = None) -> str:
    """Escaped ``text`` with ``<mark>`` around each span; ``spans[current]`` gets class "current".

    Overlapping spans are merged into the earlier one so the markup stays well formed.
    """
    order = sorted(range(len(spans)), key=lambda i: spans[i])
    out: list[str] = []
    cursor = 0
    for i in order:
        start, end = max(spans[i][0], cursor), min(spans[i][1], len(text))
        if start >= end:
            continue
        out.append(html.escape(text[cursor:start]))
        css = ' class="current" id="cited"' if i == current else ""
        out.append(f"<mark{css}>{html.escape(text[start:end])}</mark>")
        cursor = end
    out.append(html.escape(text[cursor:]))
    return "".join(out)


def viewer_html(doc_text: str, answer: Answer, marker: int) -> str:
    """The cited document with every citation of this answer in it highlighted."""
    chosen = next(c for c in answer.citations if c.marker == marker)
    same_doc = [c for c in answer.citations if c.doc_id == chosen.doc_id]
    spans = [(c.start, c.end) for c in same_doc]
    body = highlight_html(doc_text, spans, current=same_doc.index(chosen))
    title = html.escape(display_title(chosen.title, chosen.doc_id))
    meta = html.escape(f"{chosen.doc_id} · source [{marker}] at {format_span(chosen.start, chosen.end)}")
    return (
        f'<div class="doc-head"><strong>{title}</strong><br><span class="doc-meta">{meta}</span></div>'
        f'<div class="doc-text">{body}</div>'
    )


def viewer_message_html(message: str) -> str:
    return f'<p class="viewer-empty">{html.escape(message)}</p>'


def documents_html(documents: Sequence[DocumentInfo]) -> str:
    """The indexed documents, newest first, as an escaped HTML list (it reflows on a phone)."""
    if not documents:
        return '<p class="viewer-empty">No documents yet: upload some above.</p>'
    items = "".join(
        "<li>"
        f'<span class="doc-title">{html.escape(display_title(d.title, d.doc_id))}</span>'
        f'<span class="doc-meta">{d.n_sentences:,} sentences · {d.n_chunks:,} chunks · '
        f"added {html.escape(format_added(d.added_at))} · {html.escape(d.doc_id)}</span>"
        "</li>"
        for d in sorted(documents, key=lambda d: d.added_at, reverse=True)
    )
    count = f"{len(documents)} document{'s' if len(documents) != 1 else ''} indexed"
    return f'<p class="doc-count">{count}</p><ul class="docs">{items}</ul>'


def format_added(added_at: str) -> str:
    """'2026-11-25T16:15:33+00:00' -> '2026-11-25 16:15 UTC' (fall back to the raw value)."""
    match = re.match(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})", added_at)
    if not match:
        return added_at
    zone = " UTC" if added_at.endswith(("+00:00", "Z")) else ""
    return f"{match[1]} {match[2]}{zone}"


def document_choices(documents: Sequence[DocumentInfo]) -> list[tuple[str, str]]:
    return [(f"{display_title(d.title, d.doc_id)} ({d.doc_id})", d.doc_id) for d in documents]


def hide_paths(message: str, paths: Sequence[str]) -> str:
    """Uploads live in temporary folders; name them by their file name only."""
    for path in sorted(paths, key=len, reverse=True):
        message = message.replace(str(path), Path(path).name)
    return message


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."


def _names(doc_ids: Sequence[str]) -> str:
    return ", ".join(md_escape(d) for d in doc_ids)


def ingest_report_markdown(report: IngestReport) -> str:
    lines: list[str] = []
    if report.added:
        lines.append(f"**Added:** {_names(report.added)}.")
    if report.updated:
        lines.append(f"**Updated** (the new version replaced the old one): {_names(report.updated)}.")
    if report.unchanged:
        lines.append(f"**Already indexed**, nothing changed: {_names(report.unchanged)}.")
    for path in report.skipped:
        name = md_escape(Path(path).name)
        lines.append(f"**Skipped {name}:** unsupported type; use {', '.join(UPLOAD_TYPES)}.")
    for path, reason in report.failed:
        lines.append(f"**Could not read {md_escape(Path(path).name)}:** {md_escape(_sentence(reason))}")
    if report.added or report.updated:
        lines.append(
            f"{report.n_sentences} sentences, {report.n_chunks} chunks indexed in {report.seconds:.1f}s."
        )
    return "\n\n".join(lines) or "Nothing was uploaded."


def error_markdown(message: str) -> str:
    return f"**Sorry:** {md_escape(_sentence(message))}"


def chat_messages(turns: Sequence[Answer], top_k: int, show_scores: bool) -> list[dict[str, str]]:
    """The chat as the Chatbot shows it: each question, then its complete answer."""
    messages: list[dict[str, str]] = []
    for answer in turns:
        messages.append({"role": "user", "content": md_escape(answer.question)})
        messages.append({"role": "assistant", "content": answer_markdown(answer, top_k, show_scores)})
    return messages


def saved_conversation(turns: Sequence[Answer], passages: int) -> str:
    """The conversation as a browser tab keeps it (JSON): its last ``SAVED_TURNS`` answers in
    their ``to_dict`` form, each with its top ``passages`` passages; "" when there are none."""
    if not turns:
        return ""
    kept = [answer.to_dict(passages) for answer in turns[-SAVED_TURNS:]]
    return json.dumps({"format": SAVED_FORMAT, "turns": kept}, ensure_ascii=False)


def restored_conversation(saved: str | None) -> list[Answer]:
    """The answers of a ``saved_conversation``; none for "" or a record of another format.

    The record comes back from the browser, so anything malformed raises (ValueError,
    KeyError, TypeError or AttributeError): the caller starts a new conversation instead.
    """
    if not saved:
        return []
    record = json.loads(saved)
    if record.get("format") != SAVED_FORMAT:
        return []
    return [Answer.from_dict(turn) for turn in record["turns"][-SAVED_TURNS:]]


def history_pairs(turns: Sequence[Answer]) -> list[Turn]:
    return [remember(a) for a in turns]


def clamp_top_k(value: Any, default: int) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return default
