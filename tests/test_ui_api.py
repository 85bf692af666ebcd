"""The app's ``/ask`` endpoint, called with gradio_client the way a script would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ui_support import running_app

pytestmark = pytest.mark.server

client_module = pytest.importorskip("gradio_client", reason="needs gradio_client (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    root = tmp_path_factory.mktemp("ui-api")
    with running_app(root / "data", root / "app.log") as url:
        yield client_module.Client(url, verbose=False)


def test_ask_endpoint_answers_with_sources(client) -> None:
    result = client.predict("Who proposed 30,000 troops?", api_name="/ask")
    assert "Starmer" in result["text"]
    assert result["refused"] is False
    source = result["citations"][0]
    assert source["marker"] == 1
    assert source["text"].startswith("Starmer is slated to travel to Washington")
    assert source["end"] - source["start"] == len(source["text"])


def test_ask_endpoint_takes_the_conversation_so_far(client) -> None:
    history = [["Who proposed 30,000 troops?", "Keir Starmer"]]
    result = client.predict("Where is he travelling to make that proposal?", history, api_name="/ask")
    assert "Washington" in result["text"]


def test_ask_endpoint_reports_a_bad_question_by_its_message(client) -> None:
    with pytest.raises(client_module.exceptions.AppError, match="the question is empty"):
        client.predict("  ", api_name="/ask")


def test_only_the_ask_endpoint_is_public(client) -> None:
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert list(endpoints) == ["/ask"]
