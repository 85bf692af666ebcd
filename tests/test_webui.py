"""The web UI's pure helpers: formatting, escaping, highlighting. No browser, no model."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pytest

from assistant import Settings
from assistant.types import (
    Answer,
    Citation,
    ClaimCheck,
    Correction,
    DocumentInfo,
    IngestReport,
    ScoredSentence,
    Sentence,
    Turn,
    Verification,
)
from assistant.ui_format import (
    FLAG,
    REFUSAL_HINT,
    SAVED_TURNS,
    VIEWER_PLACEHOLDER,
    answer_markdown,
    backend_choices,
    backend_hint_markdown,
    chat_messages,
    display_title,
    documents_html,
    error_markdown,
    format_added,
    hide_paths,
    highlight_html,
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
)
from assistant.webui import launch_options

REPO = Path(__file__).resolve().parent.parent
DOC = "Intro line.\nStarmer is slated to travel to Washington <next> week & more. The end."
SENTENCE = "Starmer is slated to travel to Washington <next> week & more."
START = DOC.index(SENTENCE)
END = START + len(SENTENCE)


def passage(text: str, doc_id: str = "a.txt", title: str = "Title A", score: float = 0.5) -> ScoredSentence:
    start = DOC.find(text)
    return ScoredSentence(Sentence(doc_id, 1, start, start + len(text), text), title, score, 0.25, 1.5)


def cited_answer(title: str = "Title A") -> Answer:
    citation = Citation(1, "a.txt", title, SENTENCE, START, END, 0.75)
    return Answer(
        question="Who travels?",
        text="Keir Starmer [1].",
        short="Keir Starmer",
        citations=(citation,),
        refused=False,
        standalone_question="Who travels?",
        retrieved=(passage(SENTENCE, title=title), passage("The end.", title=title, score=0.1)),
    )


def refused_answer() -> Answer:
    return Answer(
        question="What is the capital of Peru?",
        text="The documents don't say what is the capital of Peru.",
        short=None,
        citations=(),
        refused=True,
        retrieved=(passage("Intro line."), passage("The end.")),
    )


def test_title_falls_back_to_doc_id() -> None:
    assert display_title("  ", "a.txt") == "a.txt"
    assert display_title("A title", "a.txt") == "A title"


def test_markdown_escape_neutralises_html_links_and_emphasis() -> None:
    escaped = md_escape("<script>x</script> *bold* [1](http://e) $5")
    assert "<script>" not in escaped
    assert "&lt;script&gt;" in escaped
    assert "\\*bold\\*" in escaped
    assert "\\[1\\]\\(http" in escaped
    assert "\\$5" in escaped


def test_cited_answer_lists_title_sentence_and_span() -> None:
    text = answer_markdown(cited_answer(), top_k=5, show_scores=False)
    assert text.startswith('Keir Starmer [\\[1\\]](#source-1 "Open source 1").')
    assert "**Sources**" in text
    assert "Title A" in text
    assert "chars 12–73" in text
    assert "Washington &lt;next&gt; week &amp; more." in text
    assert "score" not in text


def test_scores_are_shown_only_when_asked() -> None:
    text = answer_markdown(cited_answer(), top_k=5, show_scores=True)
    assert "score 0.500 · dense 0.250 · lexical 1.50" in text


def test_source_without_title_shows_its_doc_id() -> None:
    answer = cited_answer(title="")
    assert "*a.txt*" in answer_markdown(answer, top_k=5, show_scores=False)
    assert source_choices(answer) == [("[1] a.txt · chars 12–73", "1")]


def test_refusal_explains_and_offers_closest_passages_as_not_an_answer() -> None:
    text = answer_markdown(refused_answer(), top_k=5, show_scores=False)
    assert text.startswith("The documents don't say what is the capital of Peru.")
    assert REFUSAL_HINT in text
    assert "Closest passages — not an answer" in text
    assert "Intro line." in text
    assert "Sources" not in text


def test_passages_are_trimmed_to_top_k() -> None:
    answer = cited_answer()
    assert "The end." in passages_markdown(answer, top_k=2, show_scores=False)
    one = passages_markdown(answer, top_k=1, show_scores=False)
    assert "Top 1 ranked passages" in one
    assert "The end." not in one
    assert "Ask a question" in passages_markdown(None, top_k=3, show_scores=False)


def test_stream_prefixes_grow_word_by_word_to_the_full_text() -> None:
    prefixes = stream_prefixes("Keir Starmer [1].")
    assert prefixes == ["Keir", "Keir Starmer", "Keir Starmer [1]."]
    long = " ".join(f"w{i}" for i in range(500))
    steps = stream_prefixes(long, max_steps=40)
    assert len(steps) <= 40
    assert steps[-1] == long
    assert all(b.startswith(a) for a, b in pairwise(steps))
    assert stream_prefixes("") == [""]


def test_highlight_marks_exact_span_and_escapes_everything() -> None:
    out = highlight_html(DOC, [(START, END)], current=0)
    assert '<mark class="current" id="cited">Starmer is slated to travel to Washington &lt;next&gt;' in out
    assert "<next>" not in out
    # Unescaping the markup gives back the document unchanged.
    plain = out.replace('<mark class="current" id="cited">', "").replace("</mark>", "")
    assert plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == DOC


def test_highlight_keeps_overlapping_spans_well_formed() -> None:
    out = highlight_html("abcdefghij", [(2, 6), (4, 8)], current=1)
    assert out == 'ab<mark>cdef</mark><mark class="current" id="cited">gh</mark>ij'
    assert highlight_html("abc", [], None) == "abc"


def test_viewer_shows_title_meta_and_the_cited_sentence_marked() -> None:
    out = viewer_html(DOC, cited_answer(), marker=1)
    assert "<strong>Title A</strong>" in out
    assert "a.txt · source [1] at chars 12–73" in out
    assert '<mark class="current" id="cited">Starmer is slated' in out


def test_documents_table_is_escaped_and_newest_first() -> None:
    docs = [
        DocumentInfo("old.txt", "Old <b>", "old.txt", "h1", "2026-01-01T10:00:00+00:00", 3, 1, 100),
        DocumentInfo("new.txt", "", "new.txt", "h2", "2026-02-01T10:00:00+00:00", 5, 2, 200),
    ]
    out = documents_html(docs)
    assert "2 documents indexed" in out
    assert "5 sentences · 2 chunks · added 2026-02-01 10:00 UTC · new.txt" in out
    assert "Old &lt;b&gt;" in out and "<b>" not in out
    assert out.index("new.txt") < out.index("old.txt")
    assert "No documents yet" in documents_html([])


def test_added_time_is_short_and_readable() -> None:
    assert format_added("2026-11-25T16:15:33+00:00") == "2026-11-25 16:15 UTC"
    assert format_added("yesterday") == "yesterday"


def test_ingest_report_names_failures_duplicates_and_additions() -> None:
    report = IngestReport(
        added=("new.txt",),
        unchanged=("same.txt",),
        failed=(("/tmp/gradio/abc/broken.pdf", "the PDF cannot be read; is it complete?"),),
        n_sentences=4,
        n_chunks=1,
        seconds=0.25,
    )
    out = ingest_report_markdown(report)
    assert "**Added:** new.txt." in out
    assert "**Already indexed**, nothing changed: same.txt." in out
    assert "**Could not read broken.pdf:** the PDF cannot be read; is it complete?" in out
    assert "/tmp/gradio" not in out
    assert "4 sentences, 1 chunks" in out


def test_upload_paths_are_reduced_to_file_names() -> None:
    message = "nothing to ingest in /tmp/gradio/abc/notes.xyz: supported files are .txt"
    assert (
        hide_paths(message, ["/tmp/gradio/abc/notes.xyz"])
        == "nothing to ingest in notes.xyz: supported files are .txt"
    )


def test_error_message_is_a_readable_sentence() -> None:
    assert error_markdown("the question is empty") == "**Sorry:** the question is empty."


def test_answer_serialises_to_plain_json() -> None:
    """The one JSON form of an answer (CLI --json and the UI's /ask): exact citation offsets,
    the top passages, and the same keys as the Answer's fields."""
    decoded = json.loads(json.dumps(cited_answer().to_dict(passages=1)))
    assert decoded["text"] == "Keir Starmer [1]." and decoded["short"] == "Keir Starmer"
    assert decoded["citations"][0]["text"] == SENTENCE
    assert (decoded["citations"][0]["start"], decoded["citations"][0]["end"]) == (START, END)
    assert len(decoded["passages"]) == 1 and decoded["verification"] is None


def flagged_answer() -> Answer:
    """An LLM answer with one claim its source does not support, read from a typo."""
    text = "Keir Starmer travels [1]. He flies on Monday [1]."
    supported = ClaimCheck("Keir Starmer travels [1].", 0, 25, (1,), True, (), 0.91)
    flagged = ClaimCheck(
        "He flies on Monday [1].", 26, len(text), (1,), False, ("not in its sources: 'Monday'",)
    )
    verification = Verification(2, 1, (supported, flagged), (3,), draft="Keir Starmer travels [1]. ...")
    return replace(
        cited_answer(),
        text=text,
        backend="openai:model",
        latency_ms=1234.5678,
        verification=verification,
        corrections=(Correction("travles", "travels"),),
        notes=("two passages read",),
        ttft_ms=210.0,
    )


def test_answer_read_back_from_its_json_shows_as_before() -> None:
    """A browser tab keeps its conversation as Answer.to_dict JSON: read back with from_dict
    after a reload, an answer (cited with a flagged claim, or refused) shows exactly as before:
    its message with linked markers and the flag, its sources, its passages with their scores,
    the document viewer; and the next question sees the same history."""
    for answer in (flagged_answer(), refused_answer()):
        restored = Answer.from_dict(json.loads(json.dumps(answer.to_dict(passages=10))))
        assert restored.to_dict(passages=10) == answer.to_dict(passages=10)
        for show_scores in (False, True):
            assert answer_markdown(restored, 5, show_scores) == answer_markdown(answer, 5, show_scores)
            assert passages_markdown(restored, 5, show_scores) == passages_markdown(answer, 5, show_scores)
        assert source_choices(restored) == source_choices(answer)
        assert history_pairs([restored]) == history_pairs([answer])
    restored = Answer.from_dict(json.loads(json.dumps(flagged_answer().to_dict())))
    assert viewer_html(DOC, restored, 1) == viewer_html(DOC, flagged_answer(), 1)
    shown = answer_markdown(restored, 5, False)
    assert f"{FLAG} *He flies on Monday" in shown and "Read “travles” as “travels”" in shown


def test_saved_conversation_is_bounded_and_read_back() -> None:
    """The conversation a tab keeps is its last SAVED_TURNS answers with the passages asked
    for, and reads back as the same chat; no record, or one of another format, is no turns;
    a malformed one raises (the UI then starts anew)."""
    turns = [replace(cited_answer(), question=f"Question {i}?") for i in range(SAVED_TURNS + 3)]
    saved = saved_conversation(turns, passages=1)
    restored = restored_conversation(saved)
    assert [a.question for a in restored] == [a.question for a in turns[-SAVED_TURNS:]]
    assert all(len(a.retrieved) == 1 for a in restored)
    assert chat_messages(restored, 1, False) == chat_messages(turns[-SAVED_TURNS:], 1, False)
    assert saved_conversation([], passages=1) == "" and restored_conversation("") == []
    assert restored_conversation(json.dumps({"format": 0, "turns": [{}]})) == []
    for broken in ("{", json.dumps({"format": 1, "turns": [{"question": "?"}]}), "[]"):
        with pytest.raises((ValueError, KeyError, TypeError, AttributeError)):
            restored_conversation(broken)


def test_history_keeps_the_short_answer() -> None:
    """The UI remembers what Conversation remembers: the short answer, else the refusal's text,
    and the documents it cited (what "this article" means next)."""
    assert history_pairs([cited_answer(), refused_answer()]) == [
        Turn("Who travels?", "Keir Starmer", ("Title A",)),
        Turn("What is the capital of Peru?", "The documents don't say what is the capital of Peru."),
    ]


def test_login_only_when_both_username_and_password_are_set() -> None:
    assert launch_options(Settings())["auth"] is None
    assert launch_options(Settings(ui_username="ann"))["auth"] is None
    options = launch_options(Settings(ui_username="ann", ui_password="pw", ui_port=9000, max_file_mb=2))
    assert options["auth"] == ("ann", "pw")
    assert options["server_port"] == 9000
    assert options["max_file_size"] == 2_000_000


def test_backend_choices_follow_the_settings() -> None:
    """The UI offers the offline backend always, the LLM only when one is configured, and
    preselects the configured backend; every choice is a key the library accepts."""
    offline, default = backend_choices(Settings())
    assert list(offline.values()) == ["extractive"] and offline[default] == "extractive"
    both, default = backend_choices(Settings(backend="openai", openai_base_url="http://127.0.0.1:1/v1"))
    assert sorted(both.values()) == ["extractive", "openai"] and both[default] == "openai"
    both, default = backend_choices(Settings(openai_base_url="http://127.0.0.1:1/v1"))
    assert both[default] == "extractive"


def test_app_flags_override_the_environment() -> None:
    """app.py's flags beat ASSISTANT_* variables, which beat the defaults: the same mapping
    main() uses to start the UI."""
    spec = importlib.util.spec_from_file_location("app_under_test", REPO / "app.py")
    assert spec and spec.loader
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    env = {"ASSISTANT_UI_PORT": "7001", "ASSISTANT_UI_HOST": "127.0.0.2"}
    flagged = app.settings_from(
        app.parse_args(["--host", "0.0.0.0", "--port", "8123", "--data-dir", "/tmp/x"]), env
    )
    assert (flagged.ui_host, flagged.ui_port, flagged.data_dir) == ("0.0.0.0", 8123, Path("/tmp/x"))
    from_env = app.settings_from(app.parse_args([]), env)
    assert (from_env.ui_host, from_env.ui_port) == ("127.0.0.2", 7001)
    assert app.settings_from(app.parse_args([]), {}).ui_port == 7860
    assert app.parse_args(["--share"]).share and app.CORPUS == REPO / "corpus"


def test_answer_shows_how_long_it_took() -> None:
    """Every answer, cited or refused, says its latency, as the user waited for it."""
    cited = replace(cited_answer(), latency_ms=420.0)
    assert "*Answered in 0.42 s.*" in answer_markdown(cited, 3, False)
    slow = replace(refused_answer(), latency_ms=12_300.0)
    assert "*Answered in 12 s.*" in answer_markdown(slow, 3, False)


def test_answer_says_how_a_typo_was_read() -> None:
    """A question with a typo is answered as the corpus's word; the chat says which word was
    read as which, before the answer, as the CLI does (issue #26: the correction is shown)."""
    answer = replace(cited_answer(), corrections=(Correction("trops", "troops"),))
    shown = answer_markdown(answer, 3, False)
    assert shown.startswith("*Read “trops” as “troops”.*")
    assert "Read “" not in answer_markdown(cited_answer(), 3, False)
    refused = replace(refused_answer(), corrections=(Correction("parkng", "parking"),))
    assert "Read “parkng” as “parking”." in answer_markdown(refused, 3, False)


def test_answer_markers_link_to_their_sources() -> None:
    """A cited [n] becomes a link that opens source n (app.js catches #source-n); a marker
    with no such source stays plain text."""
    answer = replace(cited_answer(), text="Keir Starmer [1], not [7].")
    body = answer_markdown(answer, 3, False).split("**Sources**")[0]
    assert '[\\[1\\]](#source-1 "Open source 1")' in body
    assert "not \\[7\\]." in body


def test_viewer_hint_points_above_only_when_there_are_sources() -> None:
    """Before any answer (or after a refusal) nothing is above the viewer, so its hint does not
    say "above"; after a cited answer it says where to choose a source."""
    assert "above" not in VIEWER_PLACEHOLDER
    assert viewer_hint_html(None) == VIEWER_PLACEHOLDER
    assert viewer_hint_html(refused_answer()) == VIEWER_PLACEHOLDER
    assert "Choose a source above" in viewer_hint_html(cited_answer())


def test_backend_menu_says_how_to_add_an_llm() -> None:
    """With only the offline answerer, the settings say which variables add an LLM (as the
    README's "LLM answers" does); with an LLM configured there is nothing to add."""
    hint = backend_hint_markdown(Settings())
    for name in ("ASSISTANT_OPENAI_BASE_URL", "ASSISTANT_LLM_MODEL", "OPENAI_API_KEY", "ASSISTANT_LLM_GGUF"):
        assert name in hint
    assert backend_hint_markdown(Settings(openai_base_url="http://127.0.0.1:1/v1")) == ""


def test_too_long_question_is_explained_in_the_users_terms() -> None:
    """The too-long message gives the length and the limit, not the operator's variable name."""
    message = too_long_markdown(5_123, 2_000)
    assert "5,123" in message and "2,000" in message
    assert "ASSISTANT_" not in message and "Please shorten" in message
