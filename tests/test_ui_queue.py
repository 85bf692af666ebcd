"""No question is dropped while an answer is slow: in a real Chromium, against the real app.

The app's LLM is a local OpenAI-compatible endpoint that trickles the first question's reply
out over several seconds (its answer then falls back to the offline one); the questions sent
while it is being written must be queued, shown as queued, and answered in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from ui_support import CHROMIUM, CHROMIUM_ARGS, running_app

from assistant.testing import BlankLLMServer

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.server]

if not CHROMIUM.exists():
    pytest.skip("needs Debian's Chromium at /usr/bin/chromium (make browser)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (pip install -e '.[test]')")

# Long enough that the slow answer is still being written while a test sends its questions,
# even on a loaded machine (at 4 s, 2 runs of this file in 22 saw it end first, and the
# questions were sent, not queued).
SLOW_S = 8.0
SLOW = "Who proposed 30,000 troops?"
QUEUED = [
    ("Who is the US Defense Secretary?", "Hegseth"),
    ("Which radio station interviewed Podoliak?", "RMF"),
]
BOTS = '#chatbot [data-testid="bot"]'
UNSENT = "What did Hegseth say about"


@pytest.fixture
def busy_page(tmp_path: Path) -> Iterator[Page]:
    """A page of the real app whose LLM has begun to write the slow answer to SLOW."""
    settings = {"backend": "openai", "llm_model": "blank", "llm_timeout": "30"}
    with (
        BlankLLMServer(SLOW, SLOW_S) as llm,
        running_app(tmp_path / "data", tmp_path / "app.log", openai_base_url=llm.url, **settings) as url,
        sync_api.sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)
            page.goto(url)
            page.wait_for_selector("#question textarea")
            page.fill("#question textarea", SLOW)
            page.press("#question textarea", "Enter")
            page.wait_for_selector(BOTS, state="attached")  # the slow answer begins to appear
            page.wait_for_function("document.querySelector('#ask').textContent === 'Queue'")
            yield page
        finally:
            browser.close()


def test_questions_sent_while_an_answer_is_written_are_queued_and_answered(busy_page: Page) -> None:
    """A question sent (Enter, then the button) just as a slow answer begins to appear is shown
    as queued, the button says it queues, and each queued question is then asked and answered
    in order; before, Gradio ignored the send and the next update wiped the box. What the user
    is typing meanwhile is still in the box after each queued question is sent (before, the
    queued question replaced it and was lost)."""
    busy_page.fill("#question textarea", QUEUED[0][0])
    busy_page.press("#question textarea", "Enter")
    busy_page.fill("#question textarea", QUEUED[1][0])
    busy_page.click("#ask")
    queued = busy_page.inner_text("#queued")
    assert f"Queued: {QUEUED[0][0]}" in queued and f"Queued: {QUEUED[1][0]}" in queued
    assert busy_page.inner_text("#ask") == "Queue"
    assert busy_page.input_value("#question textarea") == ""
    busy_page.fill("#question textarea", UNSENT)  # typed while the queue waits, not sent
    busy_page.wait_for_function(
        """([selector, n]) => {
          const bots = document.querySelectorAll(selector);
          return bots.length === n && bots[n - 1].innerText.includes('Answered in');
        }""",
        arg=[BOTS, 3],
        timeout=60_000,
    )
    asked = busy_page.locator('#chatbot [data-testid="user"]').all_inner_texts()
    assert asked == [SLOW] + [q for q, _ in QUEUED]
    answers = busy_page.locator(BOTS).all_inner_texts()
    assert "Starmer" in answers[0]
    for (_, expected), answer in zip(QUEUED, answers[1:], strict=True):
        assert expected in answer.split("Sources")[0]
    assert busy_page.inner_text("#queued") == ""
    assert busy_page.inner_text("#ask") == "Ask"
    assert busy_page.input_value("#question textarea") == UNSENT


def test_a_new_conversation_stops_the_answer_being_written(busy_page: Page) -> None:
    """ "New conversation" while an answer is written: that answer stops and never brings the old
    conversation back, and a question queued before the click is asked in the new one."""
    busy_page.fill("#question textarea", QUEUED[0][0])
    busy_page.press("#question textarea", "Enter")
    busy_page.click("#new-chat")
    busy_page.wait_for_function(
        """([selector]) => {
          const bots = document.querySelectorAll(selector);
          return bots.length === 1 && bots[0].innerText.includes('Answered in');
        }""",
        arg=[BOTS],
    )
    busy_page.wait_for_timeout(SLOW_S * 1000)  # when the stopped answer would have finished
    assert busy_page.locator('#chatbot [data-testid="user"]').all_inner_texts() == [QUEUED[0][0]]
    assert QUEUED[0][1] in busy_page.locator(BOTS).first.inner_text()
    assert busy_page.inner_text("#queued") == ""
    assert busy_page.inner_text("#ask") == "Ask"
