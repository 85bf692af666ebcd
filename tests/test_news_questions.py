# ruff: noqa: E501  (the articles are written one sentence a line, as a reporter's file would be)
"""Questions a new user asks over three small news articles of their own (issue 26): typos are
read as the corpus's words and answered like their spelled-right twins, with the correction
shown; summaries summarise the article the question names, every article when none is
named, and in a conversation "this article" is the one the conversation is about.

All through the real parts: files ingested into a real Chroma store on disk, the real
embedder, the real reader."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import bot_of_files

from assistant import Assistant
from assistant.answer import SUMMARY_SENTENCES
from assistant.cli import format_answer
from assistant.embeddings import Embedder

COUNCIL = """Council approves budget with new hourly parking rate downtown

The city council voted 7 to 2 on Tuesday night to approve a $48 million budget for next year, ending weeks of debate over road repairs and library hours.
Under the plan, the new hourly parking rate downtown will be $3.50, up from $2.25, starting in March.
Mayor Linda Okafor said the extra revenue would pay for filling potholes on the east side.
Councillor Dev Patel, who voted against the budget, called the parking increase a tax on shoppers.
The library will stay open until 9 p.m. on weekdays under the approved spending plan.
"""
CUP = """Riverside lift the cup after a dramatic final

Riverside won the county cup on Saturday, beating Harbour Town 3-2 after extra time in front of 21,000 fans.
Goalkeeper Tomas Lindqvist saved the penalty in extra time, diving to his left to stop a kick from Harbour Town captain Sam Oduya.
Striker Maya Chen scored twice for Riverside, including the winning goal in the 112th minute.
Harbour Town had led 2-1 at half time after a header from their defender.
Riverside manager Carla Brooks said the victory was the best day of her career.
"""
EARNINGS = """Northwind Foods reports higher quarterly profit as snack sales grow

Northwind Foods said on Thursday that its third-quarter profit rose 14 percent to $212 million, helped by strong demand for its snack brands.
Revenue climbed to $1.9 billion from $1.7 billion a year earlier, the company said in its earnings report.
Chief executive Priya Raman said the company would open a new factory in Ohio next spring.
Shares of Northwind rose 6 percent in early trading after the results were published.
The company raised its forecast for the full year, citing lower costs for packaging.
"""
ARTICLES = {"council_budget.txt": COUNCIL, "cup_final.txt": CUP, "earnings.txt": EARNINGS}


@pytest.fixture(scope="module")
def news_bot(tmp_path_factory: pytest.TempPathFactory, shared_embedder: Embedder) -> Iterator[Assistant]:
    """The three articles, uploaded as files, in a real store. Read-only."""
    bot = bot_of_files(tmp_path_factory, shared_embedder, ARTICLES)
    yield bot
    bot.retriever.close()


def _lead(text: str) -> str:
    """An article's first sentence after its title line."""
    return text.split("\n\n", 1)[1].split("\n", 1)[0]


# Typos ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "spelled", "corrections"),
    [
        # The two questions of the issue.
        ("who saved the penalty in extra tme?", "who saved the penalty in extra time?", [("tme", "time")]),
        (
            "What is the new hourly parkng rate downtown?",
            "What is the new hourly parking rate downtown?",
            [("parkng", "parking")],
        ),
        # Typos of that kind, several of which were refused: a letter dropped, two swapped,
        # two typos in one question, a misspelt name of the corpus.
        (
            "What is the new hourly parkng rate dowtown?",
            "What is the new hourly parking rate downtown?",
            [("parkng", "parking"), ("dowtown", "downtown")],
        ),
        (
            "Where will the compnay open a new factroy?",
            "Where will the company open a new factory?",
            [("compnay", "company"), ("factroy", "factory")],
        ),
        (
            "How much did the qaurterly profit rise?",
            "How much did the quarterly profit rise?",
            [("qaurterly", "quarterly")],
        ),
        ("Who scored twice for Riversde?", "Who scored twice for Riverside?", [("Riversde", "Riverside")]),
        (
            "Waht did the mayor say the extra revenue would pay for?",
            "What did the mayor say the extra revenue would pay for?",
            [("Waht", "What")],
        ),
    ],
)
def test_a_typo_question_is_answered_like_its_spelled_right_twin(
    news_bot: Assistant, assert_citations_exact, typed: str, spelled: str, corrections: list[tuple[str, str]]
) -> None:
    """A question whose words the corpus does not know is read with the corpus's words: the
    same answer and citations as the question spelled right, and the answer says which
    correction it used (in ``corrections``, its JSON form and the CLI's text)."""
    twin = news_bot.ask(spelled)
    assert not twin.refused, twin.text
    answer = news_bot.ask(typed)
    assert_citations_exact(news_bot, answer)
    assert not answer.refused, answer.text
    assert (answer.short, answer.citations) == (twin.short, twin.citations)
    assert [(c.original, c.corrected) for c in answer.corrections] == corrections
    assert answer.question == typed and answer.standalone_question == spelled
    assert answer.to_dict()["corrections"] == [
        {"original": o, "corrected": c, "note": f"Read “{o}” as “{c}”."} for o, c in corrections
    ]
    shown = format_answer(answer)
    assert all(f"Read “{o}” as “{c}”" in shown for o, c in corrections), shown


def test_retrieval_reads_a_typo_as_ask_does(news_bot: Assistant) -> None:
    """A programmer calling ``retrieve`` gets the sentences the spelled-right question gets,
    as ``ask`` would read it (it once searched for the typo itself)."""
    typed, spelled = "Who scored twice for Riversde?", "Who scored twice for Riverside?"
    assert news_bot.retrieve(typed, 3) == news_bot.retrieve(spelled, 3)


@pytest.mark.parametrize(
    "question",
    [
        "Who saved the penalty in extra time?",  # every word in the corpus
        "What did Okafor say the revenue would pay for?",  # a name the corpus knows
        "Who scored in the 112th minute?",  # numbers
        "Did Lindqvist save a penalty from Oduya?",  # names no dictionary has
        "What is the weather like on Mars?",  # English the corpus does not have: "weather" is not "whether"
        "Who won the election in Ohio?",
        "How much did the shares drop?",
    ],
)
def test_correctly_spelled_questions_are_never_corrected(news_bot: Assistant, question: str) -> None:
    """Words the corpus knows (names, numbers, inflections) and English words it does not
    have are never "corrected": a question about something the documents do not cover is
    refused as asked, not read as another question."""
    answer = news_bot.ask(question)
    assert answer.corrections == () and answer.standalone_question == question
    assert answer.to_dict()["corrections"] == []


def test_a_refusal_quotes_the_corrected_question(news_bot: Assistant) -> None:
    """When the corrected question is still not answered, the refusal quotes it as it was read,
    not the typo ("... parkng meters")."""
    answer = news_bot.ask("Who designed the new parkng meters?")
    assert answer.refused, answer.text
    assert [(c.original, c.corrected) for c in answer.corrections] == [("parkng", "parking")]
    assert "parking meters" in answer.text and "parkng" not in answer.text, answer.text


# Summaries -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("What is the council budget article about?", "council_budget.txt"),
        ("Summarise the article about the council budget.", "council_budget.txt"),
        ("Give me a summary of the earnings report", "earnings.txt"),
        ("What are the key points of the cup final article?", "cup_final.txt"),
        ("What is the story about the parking rate about?", "council_budget.txt"),  # by content, not title
    ],
)
def test_a_summary_of_a_named_article_is_that_articles_lead(
    news_bot: Assistant, assert_citations_exact, question: str, name: str
) -> None:
    """A summary request that names an article (by its title's words, or what it is about)
    gets that article's lead, cited, and nothing of the others."""
    answer = news_bot.ask(question)
    assert_citations_exact(news_bot, answer)
    assert not answer.refused, answer.text
    assert answer.short is None, f"a span, not a summary: {answer.short!r}"
    assert {c.doc_id for c in answer.citations} == {name}, answer.citations
    body = ARTICLES[name].split("\n\n", 1)[1].splitlines()
    assert [c.text for c in answer.citations] == body[:SUMMARY_SENTENCES]
    assert all(f"[{c.marker}]" in answer.text for c in answer.citations)


@pytest.mark.parametrize("question", ["What is this article about?", "Summarize all the documents", "tl;dr"])
def test_a_summary_naming_no_article_gives_each_articles_lead(
    news_bot: Assistant, assert_citations_exact, question: str
) -> None:
    """With several articles and none named, each article gets its lead, cited, under its title."""
    answer = news_bot.ask(question)
    assert_citations_exact(news_bot, answer)
    assert not answer.refused, answer.text
    assert sorted(c.doc_id for c in answer.citations) == sorted(ARTICLES), answer.citations
    for c in answer.citations:
        assert c.text == _lead(ARTICLES[c.doc_id])
        assert f"{c.title}: {c.text} [{c.marker}]" in answer.text


def test_this_article_in_a_conversation_is_the_one_it_is_about(
    news_bot: Assistant, assert_citations_exact
) -> None:
    """In a conversation, "this article" is the document the previous answer cited."""
    chat = news_bot.conversation()
    first = chat.ask("Who saved the penalty in extra time?")
    assert {c.doc_id for c in first.citations} == {"cup_final.txt"}
    answer = chat.ask("What is this article about?")
    assert_citations_exact(news_bot, answer)
    assert not answer.refused, answer.text
    assert {c.doc_id for c in answer.citations} == {"cup_final.txt"}, answer.citations
    assert "Riverside lift the cup" in answer.standalone_question
    chat.ask("Where will the company open a new factory?")
    switched = chat.ask("Summarise this article")
    assert {c.doc_id for c in switched.citations} == {"earnings.txt"}, switched.citations


def test_a_summary_of_an_article_that_is_not_there_is_refused(news_bot: Assistant) -> None:
    """A summary of an article no document is about is refused, saying so, instead of
    summarising another one."""
    answer = news_bot.ask("Summarise the article about Mars")
    assert answer.refused and not answer.citations
    assert answer.text == "None of the documents is about Mars."
