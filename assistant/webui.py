"""The Gradio web UI: chat with cited answers, a document viewer, and a documents panel.

Wiring only: what turns library objects into text or HTML is in ``ui_format.py``, the CSS
and JavaScript in ``static/``. Conversation state lives in per-session ``gr.State`` values,
never in module globals.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from importlib import resources
from typing import Any

import gradio as gr

from .config import Settings
from .core import Assistant
from .errors import AssistantError
from .types import Answer
from .ui_format import (
    EXAMPLES,
    GENERIC_ERROR,
    STREAM_DELAY_S,
    UPLOAD_TYPES,
    VIEWER_PLACEHOLDER,
    answer_markdown,
    answer_text_markdown,
    backend_choices,
    clamp_top_k,
    document_choices,
    documents_html,
    error_markdown,
    hide_paths,
    history_pairs,
    ingest_report_markdown,
    md_escape,
    passages_markdown,
    source_choices,
    stream_prefixes,
    viewer_html,
    viewer_message_html,
)

log = logging.getLogger(__name__)


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
        "css": _static("app.css"),
        "theme": theme(),
        "footer_links": ["api"],
    }


def _static(name: str) -> str:
    return (resources.files("assistant") / "static" / name).read_text(encoding="utf-8")


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
    # Gradio runs handlers in threads. Reading (retrieval, the reader, an LLM stream) is
    # thread-safe and runs unlocked, so one slow LLM answer never holds up other sessions;
    # writes to the store (upload, remove) are serialised with each other.
    write_lock = threading.Lock()
    max_k = max(10, settings.top_k)
    backends, default_backend = backend_choices(settings)

    def answer_with(backend: str, question: str, turns: Sequence[Answer]) -> Iterator[str | Answer]:
        """Text deltas, then the final Answer (the library's stream)."""
        key = backends.get(backend)
        if key is None:
            raise AssistantError(f"the backend {backend!r} is not available")
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
                    answer = item  # the last item
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
            with write_lock:
                report = bot.ingest(
                    *paths,
                    progress=lambda done, total: progress((done, total), desc="Indexing", unit="characters"),
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
            with write_lock:
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
            answer = bot.ask(question, turns, backend=backends[default_backend])
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        except Exception:
            log.exception("API question %r failed", question)
            raise gr.Error(GENERIC_ERROR) from None
        return answer.to_dict(settings.top_k)

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
            None, js=_static("scroll-to-mark.js"), **private
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
    # answer would make every other user wait. Offline answers take tens of milliseconds;
    # an LLM stream mostly waits on the network, so many may run at once.
    return demo.queue(default_concurrency_limit=32)
