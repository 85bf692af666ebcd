"""The Gradio web UI: chat with cited answers, a document viewer, and a documents panel.

Wiring only: what turns library objects into text or HTML is in ``ui_format.py``, the CSS
and JavaScript in ``static/``. Conversation state lives in per-session ``gr.State`` values,
never in module globals; a copy of the conversation is kept in the browser tab, because a
reload (Gradio reloads the page after a lost connection) starts a new session.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import gradio as gr

from .config import Settings
from .core import Assistant
from .errors import AssistantError, QuestionTooLongError
from .suggest import suggest
from .types import Answer, DocumentInfo
from .ui_format import (
    EXAMPLES,
    GENERIC_ERROR,
    STREAM_DELAY_S,
    UPLOAD_TYPES,
    VIEWER_PLACEHOLDER,
    answer_markdown,
    answer_text_markdown,
    backend_choices,
    backend_hint_markdown,
    chat_messages,
    clamp_top_k,
    document_choices,
    documents_html,
    error_markdown,
    hide_paths,
    history_pairs,
    ingest_report_markdown,
    md_escape,
    passages_markdown,
    restored_conversation,
    saved_conversation,
    source_choices,
    stream_prefixes,
    too_long_markdown,
    viewer_hint_html,
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
        "js": _static("app.js"),
        # Gradio's screen-reader status says "common.complete" (an untranslated key) after
        # each event; our own status lines (role="status", app.js) say what happened.
        "i18n": gr.I18n(en={"common.complete": "Done."}),
    }


UPLOADS = "uploads"
"""The folder in the data dir where an upload is staged, under its own name, while it is ingested."""


def stage_uploads(paths: Sequence[str], folder: Path) -> list[Path]:
    """Copy each upload to ``folder/<its file name>``.

    Gradio keeps each upload in a temporary folder named by its content, so an edited file
    came from a new path each time and was added beside the old one. Staged under one folder,
    a file is known by the name the user gave it: the same name again updates it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[Path] = []
    for path in paths:
        target = folder / Path(path).name
        shutil.copyfile(path, target)
        staged.append(target)
    return staged


def own_documents(documents: Sequence[DocumentInfo], bundled: Path | None) -> list[DocumentInfo]:
    """The user's documents, newest first: all but those ingested from the bundled folder."""
    root = bundled.resolve() if bundled is not None else None
    own = [d for d in documents if root is None or not Path(d.source).is_relative_to(root)]
    return sorted(own, key=lambda d: d.added_at, reverse=True)


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


def build_ui(bot: Assistant, settings: Settings, bundled: Path | None = None) -> gr.Blocks:
    """The whole app. ``bot`` is shared by all sessions; each session has its own chat.

    ``bundled``: the folder of the seed articles; "Try asking" suggests questions about the
    other (the user's) documents once there are some.
    """
    # Gradio runs handlers in threads. Reading (retrieval, the reader, an LLM stream) is
    # thread-safe and runs unlocked, so one slow LLM answer never holds up other sessions;
    # writes to the store (upload, remove) are serialised with each other.
    write_lock = threading.Lock()
    max_k = max(10, settings.top_k)
    backends, default_backend = backend_choices(settings)
    # Suggestions cost a few answers: computed once per set of the user's documents.
    suggested: dict[tuple[tuple[str, str], ...], list[str]] = {}
    suggest_lock = threading.Lock()

    def answer_with(backend: str, question: str, turns: Sequence[Answer]) -> Iterator[str | Answer]:
        """Text deltas, then the final Answer (the library's stream)."""
        key = backends.get(backend)
        if key is None:
            raise AssistantError(f"the backend {backend!r} is not available")
        stream = bot.stream(question, history_pairs(turns), backend=key)
        yield from stream
        yield stream.answer

    def source_menu(answer: Answer, chosen: int | None = None) -> Any:
        """The "Sources" menu of ``answer``, hidden when it cites nothing."""
        value = None if chosen is None else str(chosen)
        return gr.update(choices=source_choices(answer), value=value, visible=bool(answer.citations))

    def showing_last(turns: list[Answer], k: int, show_scores: bool) -> dict[Any, Any]:
        """Everything beside the chat that shows the conversation ``turns`` at its last answer."""
        answer = turns[-1]
        return {
            turns_state: turns,
            sources: source_menu(answer),
            passages: passages_markdown(answer, k, show_scores),
            current: len(turns) - 1,
            viewer: viewer_hint_html(answer),
            saved: saved_conversation(turns, max_k),
        }

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
                yield {chatbot: partial, status: ""}
        except QuestionTooLongError:
            yield {status: too_long_markdown(len((question or "").strip()), settings.max_question_chars)}
            return
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
                yield {chatbot: partial, status: ""}
                time.sleep(STREAM_DELAY_S)
        yield {
            chatbot: [*asked, {"role": "assistant", "content": answer_markdown(answer, k, show_scores)}],
            **showing_last([*turns, answer], k, show_scores),
        }

    def take_question(question: str) -> tuple[str, str]:
        """Empty the box as soon as a question is sent: what the user types next is theirs."""
        return "", question or ""

    def select_turn(
        turns: list[Answer], top_k: float, show_scores: bool, event: gr.SelectData
    ) -> tuple[Any, ...]:
        index = event.index if isinstance(event.index, int) else 0
        turn = min(index // 2, len(turns) - 1)
        if turn < 0:
            return gr.skip(), gr.skip(), gr.skip()
        answer = turns[turn]
        k = clamp_top_k(top_k, settings.top_k)
        return source_menu(answer), passages_markdown(answer, k, show_scores), turn

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

    def open_cited(request: str, turns: list[Answer], top_k: float, show_scores: bool) -> tuple[Any, ...]:
        """A click on marker [n] of answer t (``request`` is "t:n:nonce", sent by app.js)."""
        try:
            turn, marker = (int(part) for part in request.split(":")[:2])
        except ValueError:
            turn, marker = -1, 0
        if not 0 <= turn < len(turns) or all(c.marker != marker for c in turns[turn].citations):
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        answer = turns[turn]
        return (
            source_menu(answer, marker),
            passages_markdown(answer, clamp_top_k(top_k, settings.top_k), show_scores),
            turn,
            open_source(str(marker), turns, turn),
        )

    def examples() -> Any:
        """'Try asking': questions about the user's own documents once there are some, each one
        the assistant answers; before that, the questions about the bundled article."""
        own = own_documents(bot.documents(), bundled)
        if not own:
            return gr.update(samples=[[e] for e in EXAMPLES], visible=True)
        key = tuple((d.doc_id, d.content_hash) for d in own)
        with suggest_lock:
            if key not in suggested:
                try:
                    questions = suggest(bot, own)
                except Exception:
                    log.exception("suggesting questions failed")
                    questions = []
                suggested.clear()
                suggested[key] = questions
            questions = suggested[key]
        return gr.update(samples=[[q] for q in questions], visible=bool(questions))

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
            "",
        )

    def restore(saved_record: str | None) -> dict[Any, Any]:
        """The conversation this browser tab kept (app.js, sessionStorage), after a reload."""
        k = settings.top_k  # the slider's value on a new page
        try:
            turns = restored_conversation(saved_record)
            # Everything is drawn here, so that a record the app cannot show is dropped now.
            return (
                {chatbot: chat_messages(turns, k, False), **showing_last(turns, k, False)}
                if turns
                else {saved: ""}
            )
        except Exception:
            log.warning("a conversation kept by a browser could not be read; starting anew", exc_info=True)
            return {saved: ""}

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
        staged: list[Path] = []
        try:
            with write_lock:
                staged = stage_uploads(paths, settings.data_dir / UPLOADS)
                report = bot.ingest(
                    *staged,
                    progress=lambda done, total: progress((done, total), desc="Indexing", unit="characters"),
                )
            message = ingest_report_markdown(report)
        except AssistantError as exc:
            message = error_markdown(hide_paths(str(exc), [*paths, *map(str, staged)]))
        except Exception:
            log.exception("ingesting %s failed", paths)
            message = error_markdown(GENERIC_ERROR)
        finally:
            for path in staged:  # the store keeps the text; the copy is not needed
                path.unlink(missing_ok=True)
        return (message, *list_documents(), None)

    def confirm_remove(doc_id: str | None) -> tuple[Any, ...]:
        """Removing cannot be undone: ask first, naming the document."""
        if not doc_id:
            return gr.update(visible=False), gr.skip(), error_markdown("Choose a document to remove first.")
        question = f"Remove **{md_escape(doc_id)}** from the index? This cannot be undone."
        return gr.update(visible=True), question, ""

    def cancel_remove() -> tuple[Any, ...]:
        return gr.update(visible=False), "Nothing was removed."

    def remove(doc_id: str | None) -> tuple[Any, ...]:
        if not doc_id:
            return (
                error_markdown("Choose a document to remove first."),
                *list_documents(),
                gr.update(visible=False),
            )
        try:
            with write_lock:
                bot.remove(doc_id)
            message = f"**Removed** {md_escape(doc_id)}."
        except AssistantError as exc:
            message = error_markdown(str(exc))
        except Exception:
            log.exception("removing %s failed", doc_id)
            message = error_markdown(GENERIC_ERROR)
        return (message, *list_documents(), gr.update(visible=False))

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
        asked = gr.State("")
        # The conversation as JSON, which app.js keeps in the tab's sessionStorage.
        saved = gr.Textbox(visible="hidden", elem_id="saved-conversation")
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
                    # Filled by app.js when a marker [n] in an answer is clicked.
                    cite_request = gr.Textbox(visible="hidden", elem_id="cite-request")
                    with gr.Row():
                        suggestions = gr.Dataset(
                            components=[question_box],
                            samples=[[e] for e in EXAMPLES],
                            label="Try asking",
                            elem_id="examples",
                        )
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
                        hint = backend_hint_markdown(settings)
                        gr.Markdown(hint, visible=bool(hint), elem_id="backend-hint")
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
                with gr.Row(visible=False, elem_id="confirm-remove") as confirm_row:
                    confirm_text = gr.Markdown("")
                    confirm_button = gr.Button(
                        "Yes, remove it", variant="stop", size="sm", elem_id="confirm-remove-yes"
                    )
                    cancel_button = gr.Button("Cancel", size="sm", elem_id="confirm-remove-no")

        private: dict[str, Any] = {"api_visibility": "private"}
        chat_outputs = [chatbot, turns_state, status, sources, passages, current, viewer, saved]
        chat_inputs = [asked, chatbot, turns_state, backend, top_k, show_scores]
        # take -> give back what the user typed while a queued question took the box -> respond
        # -> tell app.js the answer is complete, so it sends a queued question.
        answering: list[Any] = []
        for send in (question_box.submit, ask.click):
            answer = (
                send(take_question, question_box, [question_box, asked], **private)
                .then(None, js="() => { window.__questionTaken && window.__questionTaken(); }", **private)
                .then(respond, chat_inputs, chat_outputs, **private)
            )
            answer.then(None, js="() => { window.__answerDone && window.__answerDone(); }", **private)
            answering.append(answer)
        suggestions.click(lambda sample: sample[0], suggestions, question_box, **private)
        cite_request.change(
            open_cited,
            [cite_request, turns_state, top_k, show_scores],
            [sources, passages, current, viewer],
            **private,
        ).then(None, js=_static("scroll-to-mark.js"), **private)
        chatbot.select(
            select_turn, [turns_state, top_k, show_scores], [sources, passages, current], **private
        )
        sources.change(open_source, [sources, turns_state, current], viewer, **private).then(
            None, js=_static("scroll-to-mark.js"), **private
        )
        for control in (top_k, show_scores):
            control.change(rerender_passages, [turns_state, current, top_k, show_scores], passages, **private)
        # A new conversation stops the answer being written: finished, it would bring the old
        # conversation back. The stopped answer's own last step still tells app.js it is over,
        # so what is still queued is asked in the new conversation.
        for clear in (chatbot.clear, reset.click):
            clear(new_conversation, None, chat_outputs, cancels=answering, **private)
        saved.change(None, saved, None, js="(record) => { window.__saveConversation(record); }", **private)
        # One progress bar, on the status line (not one per output).
        files.upload(
            upload, files, [docs_status, table, to_remove, files], show_progress_on=[docs_status], **private
        ).then(examples, None, suggestions, show_progress="hidden", **private)
        remove_button.click(confirm_remove, to_remove, [confirm_row, confirm_text, docs_status], **private)
        confirm_button.click(remove, to_remove, [docs_status, table, to_remove, confirm_row], **private).then(
            examples, None, suggestions, show_progress="hidden", **private
        )
        cancel_button.click(cancel_remove, None, [confirm_row, docs_status], **private)
        # Listing is quick: no progress timers flashing over the list.
        documents_tab.select(list_documents, None, [table, to_remove], show_progress="hidden", **private)
        demo.load(list_documents, None, [table, to_remove], show_progress="hidden", **private)
        demo.load(examples, None, suggestions, show_progress="hidden", **private)
        # A reload restores the tab's conversation, then asks what was queued or unanswered.
        demo.load(
            restore,
            saved,
            [chatbot, turns_state, sources, passages, current, viewer, saved],
            js="() => window.__savedConversation()",
            show_progress="hidden",
            **private,
        ).then(None, js="() => { window.__answerDone(); }", **private)
        gr.api(ask_api, api_name="ask")
    # Gradio runs one call per event at a time by default: one slow ingest or a streaming
    # answer would make every other user wait. Offline answers take tens of milliseconds;
    # an LLM stream mostly waits on the network, so many may run at once.
    return demo.queue(default_concurrency_limit=32)
