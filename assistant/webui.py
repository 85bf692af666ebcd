"""The Gradio web UI: chat with cited answers, a document viewer, and a documents panel.

Everything that turns library objects into text or HTML is a small pure function, so it
is tested without a browser; ``build_ui`` only wires those functions to components.
Conversation state lives in per-session ``gr.State`` values, never in module globals.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from .config import Settings
from .core import Assistant
from .errors import AssistantError
from .types import Answer, Citation, DocumentInfo, IngestReport, ScoredSentence, Verification

log = logging.getLogger(__name__)

# Backends the user can choose from, label -> key (``Assistant.stream(backend=key)``). The LLM
# one is offered when an endpoint or a GGUF file is configured (see ``backend_choices``).
BACKENDS: dict[str, str] = {"offline (extractive)": "extractive"}
DEFAULT_BACKEND = "offline (extractive)"
LLM_BACKEND = "LLM (OpenAI-compatible)"
FLAG = "⚠"

EXAMPLES = [
    "Who proposed 30,000 troops?",
    "Where is he travelling to make that proposal?",
    "What did Sergey Lavrov oppose?",
    "What is the capital of Peru?",
]
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".pdf"]
GENERIC_ERROR = "Something went wrong on our side; it has been logged. Please try again."
REFUSAL_HINT = (
    "I only answer from the indexed documents, and none of them says this. "
    "Try rephrasing the question, or add a document that covers it in the **Documents** tab."
)
VIEWER_PLACEHOLDER = '<p class="viewer-empty">Choose a source above to read it in its document.</p>'
STREAM_STEPS = 40
STREAM_DELAY_S = 0.015

CSS = """
.gradio-container { max-width: 1240px !important; width: 100% !important; margin: 0 auto !important; }
.gradio-container .contain { width: 100%; }
#app-title h1 { margin-bottom: 0.1rem; }
#app-title p { margin-top: 0; opacity: 0.8; }
#chat-status:empty { display: none; }
#chat-status p, #docs-status p { margin: 0.25rem 0; }
#doc-viewer .doc-head { font-size: 0.9rem; margin-bottom: 0.4rem; }
#doc-viewer .doc-head .doc-meta { opacity: 0.7; }
#doc-viewer .doc-text {
  white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.55; font-size: 0.95rem;
  max-height: 46vh; overflow-y: auto; padding: 0.6rem 0.8rem;
  border: 1px solid var(--border-color-primary); border-radius: 8px;
}
#doc-viewer mark { background: #fef08a; color: #111; padding: 0 2px; border-radius: 3px; }
#doc-viewer mark.current {
  background: #fde047; outline: 2px solid #ca8a04;
  box-decoration-break: clone; -webkit-box-decoration-break: clone;
}
#doc-viewer .viewer-empty { opacity: 0.7; font-style: italic; }
#documents .doc-count { margin: 0.2rem 0 0.4rem; opacity: 0.8; }
#documents ul.docs { list-style: none; padding: 0; margin: 0; }
#documents ul.docs li {
  padding: 0.5rem 0.2rem; border-bottom: 1px solid var(--border-color-primary); margin: 0;
}
#documents .doc-title { display: block; font-weight: 600; }
#documents .doc-meta { display: block; font-size: 0.85rem; opacity: 0.7; overflow-wrap: anywhere; }
@media (max-width: 640px) {
  .gradio-container { padding: 0 6px !important; }
  #doc-viewer .doc-text { max-height: 60vh; }
}
"""

# Runs in the browser after the viewer is filled: bring the chosen highlight into view.
SCROLL_TO_MARK_JS = """
() => {
  setTimeout(() => {
    const mark = document.querySelector('#doc-viewer mark.current');
    if (mark) { mark.scrollIntoView({block: 'center'}); }
  }, 100);
}
"""


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
    """The answer itself; its [n] markers stay visible as plain text."""
    return md_escape(text)


def backend_choices(settings: Settings) -> tuple[dict[str, str], str]:
    """(label -> backend key, default label): the LLM is offered only when one is configured."""
    choices = dict(BACKENDS)
    if settings.llm_configured:
        choices[LLM_BACKEND] = "openai"
    default = LLM_BACKEND if settings.backend == "openai" else DEFAULT_BACKEND
    return choices, default


def flagged_text_markdown(answer: Answer) -> str:
    """The answer with each sentence the verifier did not accept marked "⚠ … (not supported …)"."""
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
        return (
            f"*{FLAG} {n} of {v.checked} sentence{'s' if v.checked != 1 else ''} "
            f"{'is' if n == 1 else 'are'} not supported by the sources they cite (marked {FLAG}).*"
        )
    plural = "s" if v.checked != 1 else ""
    return f"*✓ Verified: each of the {v.checked} sentence{plural} is supported by its sources.*"


def answer_markdown(answer: Answer, top_k: int, show_scores: bool) -> str:
    """The complete chat message: the answer, then its sources (or, if refused, why not)."""
    body = flagged_text_markdown(answer)
    if check := verification_markdown(answer.verification):
        body = f"{body}\n\n{check}"
    if answer.refused:
        closest = answer.retrieved[: min(top_k, 3)]
        parts = [body, f"*{REFUSAL_HINT}*"]
        if closest:
            parts.append("**Closest passages — not an answer:**")
            parts.append("\n".join(passage_markdown(i, p, show_scores) for i, p in enumerate(closest, 1)))
        return "\n\n".join(parts)
    if not answer.citations:
        return body
    sources = "\n\n".join(citation_markdown(c, answer.retrieved, show_scores) for c in answer.citations)
    return f"{body}\n\n**Sources**\n\n{sources}"


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


def api_payload(answer: Answer, top_k: int) -> dict[str, Any]:
    """What the ``ask`` API endpoint returns: the answer and its sources as plain JSON."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "short": answer.short,
        "refused": answer.refused,
        "standalone_question": answer.standalone_question,
        "sources": [
            {
                "marker": c.marker,
                "doc_id": c.doc_id,
                "title": display_title(c.title, c.doc_id),
                "text": c.text,
                "start": c.start,
                "end": c.end,
                "score": round(c.score, 4),
            }
            for c in answer.citations
        ],
        "passages": [
            {
                "doc_id": p.sentence.doc_id,
                "text": p.sentence.text,
                "start": p.sentence.start,
                "end": p.sentence.end,
                "score": round(p.score, 4),
            }
            for p in answer.retrieved[:top_k]
        ],
        "backend": answer.backend,
        "latency_ms": round(answer.latency_ms, 1),
        "verification": _verification_payload(answer.verification),
    }


def _verification_payload(v: Verification | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "checked": v.checked,
        "supported": v.supported,
        "fallback": v.fallback,
        "reason": v.reason,
        "error": v.error,
        "dropped_markers": list(v.dropped_markers),
        "flagged": [{"text": c.text, "reasons": list(c.reasons)} for c in v.flagged],
    }


def history_pairs(turns: Sequence[Answer]) -> list[tuple[str, str]]:
    # The same memory Conversation keeps: the short answer when there is one.
    return [(a.question, a.short or a.text) for a in turns]


def clamp_top_k(value: Any, default: int) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return default


def launch_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``Blocks.launch`` that follow from the settings."""
    auth = (
        (settings.ui_username, settings.ui_password)
        if settings.ui_username and settings.ui_password
        else None
    )
    return {
        "server_name": settings.ui_host,
        "server_port": settings.ui_port,
        "auth": auth,
        "max_file_size": int(settings.max_file_mb * 1_000_000),
        "css": CSS,
        "theme": theme(),
        "footer_links": ["api"],
    }


def theme() -> gr.themes.Base:
    # System fonts: the default theme fetches Google Fonts, which fails offline.
    return gr.themes.Soft(
        font=[gr.themes.Font("system-ui"), "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=[gr.themes.Font("ui-monospace"), "Menlo", "Consolas", "monospace"],
    )


# ---------------------------------------------------------------------------------------
# Wiring


def build_ui(bot: Assistant, settings: Settings) -> gr.Blocks:
    """The whole app. ``bot`` is shared by all sessions; each session has its own chat."""
    # The library does not promise thread safety and Gradio runs handlers in threads, so
    # calls into the store are serialised. Answers take milliseconds; only ingest is slow.
    lock = threading.RLock()
    max_k = max(10, settings.top_k)
    backends, default_backend = backend_choices(settings)

    def answer_with(backend: str, question: str, turns: Sequence[Answer]) -> Iterator[str | Answer]:
        """Text deltas, then the final Answer (the library's stream, under the store lock)."""
        key = backends.get(backend)
        if key is None:
            raise AssistantError(f"the backend {backend!r} is not available")
        with lock:
            stream = bot.stream(question, history_pairs(turns), backend=key)
            yield from stream
            yield stream.answer

    def respond(
        question: str,
        messages: list[dict[str, Any]],
        turns: list[Answer],
        backend: str,
        top_k: float,
        show_scores: bool,
    ) -> Iterator[dict[Any, Any]]:
        # Handlers are closures over the components created below; a dict update only
        # touches the components it names.
        k = clamp_top_k(top_k, settings.top_k)
        asked = [*messages, {"role": "user", "content": md_escape((question or "").strip())}]
        offline = backends.get(backend) == "extractive"
        written = ""
        answer: Answer | None = None
        try:
            for item in answer_with(backend, question or "", turns):
                if isinstance(item, Answer):
                    answer = item  # the last item: the loop ends and releases the store lock
                    continue
                if offline:
                    continue  # the offline answer is instant: typed out below, word by word
                written += item
                partial = [*asked, {"role": "assistant", "content": answer_text_markdown(written)}]
                yield {chatbot: partial, question_box: "", status: ""}
        except AssistantError as exc:
            yield {status: error_markdown(str(exc))}
            return
        except Exception:
            log.exception("answering %r failed", question)
            yield {status: error_markdown(GENERIC_ERROR)}
            return
        if answer is None:
            yield {status: error_markdown(GENERIC_ERROR)}
            return
        asked = [*messages, {"role": "user", "content": md_escape(answer.question)}]
        if offline:
            for prefix in stream_prefixes(answer.text):
                partial = [*asked, {"role": "assistant", "content": answer_text_markdown(prefix)}]
                yield {chatbot: partial, question_box: "", status: ""}
                time.sleep(STREAM_DELAY_S)
        turns = [*turns, answer]
        yield {
            chatbot: [*asked, {"role": "assistant", "content": answer_markdown(answer, k, show_scores)}],
            turns_state: turns,
            sources: gr.update(choices=source_choices(answer), value=None, visible=bool(answer.citations)),
            passages: passages_markdown(answer, k, show_scores),
            current: len(turns) - 1,
            viewer: VIEWER_PLACEHOLDER,
        }

    def select_turn(
        turns: list[Answer], top_k: float, show_scores: bool, event: gr.SelectData
    ) -> tuple[Any, ...]:
        index = event.index if isinstance(event.index, int) else 0
        turn = min(index // 2, len(turns) - 1)
        if turn < 0:
            return gr.skip(), gr.skip(), gr.skip()
        answer = turns[turn]
        k = clamp_top_k(top_k, settings.top_k)
        return (
            gr.update(choices=source_choices(answer), value=None, visible=bool(answer.citations)),
            passages_markdown(answer, k, show_scores),
            turn,
        )

    def open_source(marker: str | None, turns: list[Answer], current: int) -> Any:
        if not marker or not turns or current is None or current >= len(turns):
            return gr.skip()
        answer = turns[current]
        try:
            chosen = next(c for c in answer.citations if c.marker == int(marker))
            with lock:
                text = bot.document_text(chosen.doc_id)
            return viewer_html(text, answer, chosen.marker)
        except AssistantError as exc:
            return viewer_message_html(f"This document cannot be shown: {exc}")
        except Exception:
            log.exception("opening source %r failed", marker)
            return viewer_message_html(GENERIC_ERROR)

    def rerender_passages(turns: list[Answer], current: int, top_k: float, show_scores: bool) -> str:
        answer = turns[current] if turns and current is not None and current < len(turns) else None
        return passages_markdown(answer, clamp_top_k(top_k, settings.top_k), show_scores)

    def new_conversation() -> tuple[Any, ...]:
        return (
            [],
            [],
            "",
            gr.update(choices=[], value=None, visible=False),
            passages_markdown(None, 1, False),
            -1,
            VIEWER_PLACEHOLDER,
        )

    def list_documents() -> tuple[Any, Any]:
        with lock:
            documents = bot.documents()
        return (
            documents_html(documents),
            gr.update(choices=document_choices(documents), value=None),
        )

    # Gradio recognises a progress parameter by its default value.
    def upload(paths: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not paths:
            return (gr.skip(), *list_documents(), gr.skip())
        progress(0, desc="Reading files…")
        try:
            with lock:
                report = bot.ingest(
                    *paths,
                    progress=lambda done, total: progress((done, total), desc="Indexing", unit="files"),
                )
            message = ingest_report_markdown(report)
        except AssistantError as exc:
            message = error_markdown(hide_paths(str(exc), paths))
        except Exception:
            log.exception("ingesting %s failed", paths)
            message = error_markdown(GENERIC_ERROR)
        return (message, *list_documents(), None)

    def remove(doc_id: str | None) -> tuple[Any, ...]:
        if not doc_id:
            return (error_markdown("Choose a document to remove first."), *list_documents())
        try:
            with lock:
                bot.remove(doc_id)
            message = f"**Removed** {md_escape(doc_id)}."
        except AssistantError as exc:
            message = error_markdown(str(exc))
        except Exception:
            log.exception("removing %s failed", doc_id)
            message = error_markdown(GENERIC_ERROR)
        return (message, *list_documents())

    def ask_api(question: str, history: list[list[str]] | None = None) -> dict[str, Any]:
        """Answer a question from the documents. ``history``: earlier [question, answer] pairs."""
        turns = [(str(q), str(a)) for q, a in (history or [])]
        try:
            with lock:
                answer = bot.ask(question, turns, backend=backends[default_backend])
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        except Exception:
            log.exception("API question %r failed", question)
            raise gr.Error(GENERIC_ERROR) from None
        return api_payload(answer, settings.top_k)

    with gr.Blocks(title="News assistant", analytics_enabled=False, fill_width=True) as demo:
        turns_state = gr.State([])
        current = gr.State(-1)
        gr.Markdown(
            "# News assistant\nAnswers only from the indexed articles, with numbered sources you can check.",
            elem_id="app-title",
        )
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=340):
                    chatbot = gr.Chatbot(
                        label="Conversation",
                        show_label=False,
                        elem_id="chatbot",
                        height="52vh",
                        min_height=280,
                        latex_delimiters=[],
                        feedback_options=None,
                        buttons=["copy"],
                        placeholder="Ask about the news articles in the index.",
                    )
                    with gr.Row(equal_height=True):
                        question_box = gr.Textbox(
                            show_label=False,
                            placeholder="Ask about the articles…",
                            elem_id="question",
                            scale=5,
                            min_width=180,
                            max_lines=4,
                            autofocus=True,
                        )
                        ask = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="ask")
                    status = gr.Markdown("", elem_id="chat-status")
                    with gr.Row():
                        gr.Examples([[e] for e in EXAMPLES], inputs=[question_box], label="Try asking")
                    reset = gr.Button("New conversation", size="sm", variant="secondary", elem_id="new-chat")
                with gr.Column(scale=2, min_width=300):
                    sources = gr.Radio(
                        choices=[],
                        label="Open a source in its document",
                        visible=False,
                        elem_id="sources",
                    )
                    viewer = gr.HTML(VIEWER_PLACEHOLDER, label="Document viewer", elem_id="doc-viewer")
                    with gr.Accordion("Ranked passages", open=False):
                        passages = gr.Markdown(passages_markdown(None, 1, False), elem_id="passages")
                    with gr.Accordion("Settings", open=False):
                        backend = gr.Dropdown(
                            list(backends), value=default_backend, label="Answer backend", interactive=True
                        )
                        top_k = gr.Slider(
                            1, max_k, value=min(settings.top_k, max_k), step=1, label="Passages shown"
                        )
                        show_scores = gr.Checkbox(False, label="Show retrieval scores")
            with gr.Tab("Documents", id="documents") as documents_tab:
                gr.Markdown(
                    "Upload .txt, .md, .html or .pdf files; they are searchable as soon as they are indexed."
                )
                files = gr.File(
                    label="Add documents",
                    file_count="multiple",
                    file_types=UPLOAD_TYPES,
                    elem_id="upload",
                    height=170,
                )
                docs_status = gr.Markdown("", elem_id="docs-status")
                table = gr.HTML(documents_html([]), elem_id="documents")
                with gr.Row(equal_height=True):
                    to_remove = gr.Dropdown(
                        [], label="Remove a document", scale=4, min_width=200, elem_id="remove-doc"
                    )
                    remove_button = gr.Button(
                        "Remove", variant="stop", scale=1, min_width=90, elem_id="remove"
                    )

        private: dict[str, Any] = {"api_visibility": "private"}
        chat_outputs = [chatbot, question_box, turns_state, status, sources, passages, current, viewer]
        chat_inputs = [question_box, chatbot, turns_state, backend, top_k, show_scores]
        question_box.submit(respond, chat_inputs, chat_outputs, **private)
        ask.click(respond, chat_inputs, chat_outputs, **private)
        chatbot.select(
            select_turn, [turns_state, top_k, show_scores], [sources, passages, current], **private
        )
        sources.change(open_source, [sources, turns_state, current], viewer, **private).then(
            None, js=SCROLL_TO_MARK_JS, **private
        )
        for control in (top_k, show_scores):
            control.change(rerender_passages, [turns_state, current, top_k, show_scores], passages, **private)
        chatbot.clear(
            new_conversation,
            None,
            [chatbot, turns_state, status, sources, passages, current, viewer],
            **private,
        )
        reset.click(
            new_conversation,
            None,
            [chatbot, turns_state, status, sources, passages, current, viewer],
            **private,
        )
        files.upload(upload, files, [docs_status, table, to_remove, files], **private)
        remove_button.click(remove, to_remove, [docs_status, table, to_remove], **private)
        documents_tab.select(list_documents, None, [table, to_remove], **private)
        demo.load(list_documents, None, [table, to_remove], **private)
        gr.api(ask_api, api_name="ask")
    # Gradio runs one call per event at a time by default: one slow ingest or a streaming
    # answer would make every other user wait.
    return demo.queue(default_concurrency_limit=8)
