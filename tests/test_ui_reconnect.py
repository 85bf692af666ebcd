"""A dropped connection or a reload loses nothing: in a real Chromium, against the real app.

When the network drops while an answer streams, Gradio reloads the page once it reaches the
server again, and a reloaded page is a new session. The tab must still show the conversation
(its answers and their clickable sources), ask the questions that were queued or unanswered,
and give back the question being typed.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from ui_support import CHROMIUM, CHROMIUM_ARGS, running_app

from assistant.testing import BlankLLMServer

pytestmark = [pytest.mark.browser, pytest.mark.server]

if not CHROMIUM.exists():
    pytest.skip("needs Debian's Chromium at /usr/bin/chromium (make browser)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (pip install -e '.[test]')")

SLOW_S = 2.0
FIRST = ("Who proposed 30,000 troops?", "Starmer")
SLOW = ("Which radio station interviewed Podoliak?", "RMF")  # being written when the network drops
QUEUED = [("Who is the US Defense Secretary?", "Hegseth"), ("Who proposed 30,000 troops?", "Starmer")]
ASKED = [FIRST[0], SLOW[0], *(q for q, _ in QUEUED)]
USERS = '#chatbot [data-testid="user"]'
BOTS = '#chatbot [data-testid="bot"]'


def answered(page, n: int) -> list[str]:
    """The questions shown once ``n`` answers are complete (or, failing that, after 40 s)."""
    with contextlib.suppress(sync_api.TimeoutError):
        page.wait_for_function(
            """([selector, n]) => {
              const bots = document.querySelectorAll(selector);
              return bots.length === n && bots[n - 1].innerText.includes('Answered in');
            }""",
            arg=[BOTS, n],
            timeout=40_000,
        )
    return page.locator(USERS).all_inner_texts()


def test_conversation_and_queued_questions_survive_a_dropped_connection_and_a_reload(
    tmp_path: Path,
) -> None:
    """The network drops while an answer streams and questions are sent: the next question's
    request fails, Gradio says the connection was lost and reloads the page once the server
    answers again. After that reload the conversation is back and the questions sent during the
    drop are asked and answered in order; after a plain reload a marker in the first answer
    still opens its source. Before, the reload opened an empty chat and the queue was gone."""
    settings = {"backend": "openai", "llm_model": "blank", "llm_timeout": "30"}
    with (
        BlankLLMServer(SLOW[0], SLOW_S) as llm,
        running_app(tmp_path / "data", tmp_path / "app.log", openai_base_url=llm.url, **settings) as url,
        sync_api.sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.set_default_timeout(20_000)
            page.goto(url)
            page.wait_for_selector("#question textarea")
            page.fill("#question textarea", FIRST[0])
            page.press("#question textarea", "Enter")
            assert answered(page, 1) == [FIRST[0]]
            page.fill("#question textarea", SLOW[0])
            page.press("#question textarea", "Enter")
            page.wait_for_function("([s]) => document.querySelectorAll(s).length === 2", arg=[BOTS])

            # Chromium keeps the open stream but fails new requests: the first question sent
            # while offline (at once, or when the slow answer is done) fails, the second waits.
            context.set_offline(True)
            for question, _ in QUEUED:
                page.fill("#question textarea", question)
                page.press("#question textarea", "Enter")
            page.wait_for_selector("text=Connection to the server was lost")
            with page.expect_navigation(timeout=30_000):  # Gradio reloads once it reconnects
                context.set_offline(False)
            assert answered(page, 4) == ASKED
            answers = [a.split("Sources")[0] for a in page.locator(BOTS).all_inner_texts()]
            for (_, expected), answer in zip([FIRST, SLOW, *QUEUED], answers, strict=True):
                assert expected in answer
            assert page.inner_text("#queued") == ""

            page.reload()
            assert answered(page, 4) == ASKED
            assert page.input_value("#question textarea") == ""  # sent questions are not drafts
            page.locator(BOTS).first.locator('a[href="#source-1"]').click()
            page.wait_for_selector("#doc-viewer mark.current:text-matches('^Starmer is slated')")
            page.click("text=Ranked passages")
            assert "Who proposed 30,000 troops?" in page.inner_text("#passages")

            # A question being typed when the page reloads is back in the box, unsent.
            page.fill("#question textarea", "Where did Podoliak give")
            page.reload()
            assert answered(page, 4) == ASKED
            page.wait_for_function(
                "() => document.querySelector('#question textarea').value === 'Where did Podoliak give'"
            )
            assert len(page.locator(USERS).all_inner_texts()) == 4
        finally:
            browser.close()
