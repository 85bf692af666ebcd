"""Asked who wrote an article, the answer is the article's byline, cited verbatim, found where
bylines stand (a line of names at the top or the foot); a story without one is not given a
writer from the people it quotes. Through the real parts: files in a real Chroma store on
disk, the real embedder and reader."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import bot_of_files

from assistant import Assistant
from assistant.byline import asks_for_author, find_byline
from assistant.embeddings import Embedder
from assistant.types import Sentence

COUNCIL = """Council approves budget with new hourly parking rate downtown

By Ana Lima and Joe Park, City Desk
The city council voted 7 to 2 on Tuesday night to approve a $48 million budget for next year.
Under the plan, the new hourly parking rate downtown will be $3.50, up from $2.25, starting in March.
Mayor Linda Okafor said the extra revenue would pay for filling potholes on the east side.
"""
CUP = """Riverside lift the cup after a dramatic final

Riverside won the county cup on Saturday, beating Harbour Town 3-2 after extra time.
Striker Maya Chen scored twice for Riverside, including the winning goal in the 112th minute.
Riverside manager Carla Brooks said the victory was the best day of her career.
Tom Reed for The Harbour Post
"""
EARNINGS = """Northwind Foods reports higher quarterly profit as snack sales grow

Northwind Foods said on Thursday that its third-quarter profit rose 14 percent to $212 million.
Chief executive Priya Raman said the company would open a new factory in Ohio next spring.
Sign Up for Our Newsletter
"""
ARTICLES = {"council_budget.txt": COUNCIL, "cup_final.txt": CUP, "earnings.txt": EARNINGS}


@pytest.fixture(scope="module")
def bylines_bot(tmp_path_factory: pytest.TempPathFactory, shared_embedder: Embedder) -> Iterator[Assistant]:
    """The three articles, uploaded as files, in a real store. Read-only."""
    bot = bot_of_files(tmp_path_factory, shared_embedder, ARTICLES)
    yield bot
    bot.retriever.close()


@pytest.mark.parametrize(
    ("question", "name", "writers", "byline"),
    [
        (
            "Who wrote the article about the council budget?",
            "council_budget.txt",
            "Ana Lima and Joe Park",
            "By Ana Lima and Joe Park, City Desk",
        ),
        (
            "Who is the author of the cup final story?",
            "cup_final.txt",
            "Tom Reed",
            "Tom Reed for The Harbour Post",
        ),
    ],
)
def test_the_writer_of_a_named_article_is_its_byline(
    bylines_bot: Assistant, assert_citations_exact, question: str, name: str, writers: str, byline: str
) -> None:
    """Asked who wrote an article it names, the answer is that article's byline names, citing
    the byline line, at the top ("By ...") or at the foot ("... for The Harbour Post")."""
    answer = bylines_bot.ask(question)
    assert_citations_exact(bylines_bot, answer)
    assert not answer.refused, answer.text
    assert answer.short == writers
    assert [(c.doc_id, c.text) for c in answer.citations] == [(name, byline)]


def test_asked_who_wrote_the_article_each_byline_is_given(
    bylines_bot: Assistant, assert_citations_exact
) -> None:
    """With several articles and none named, each article that has a byline gets its writers,
    under its title; one without gets none (its newsletter footer is not a name)."""
    answer = bylines_bot.ask("Who wrote the article?")
    assert_citations_exact(bylines_bot, answer)
    assert not answer.refused, answer.text
    assert sorted(c.doc_id for c in answer.citations) == ["council_budget.txt", "cup_final.txt"]
    assert "Ana Lima and Joe Park" in answer.text and "Tom Reed" in answer.text
    assert "Sign Up" not in answer.text


def test_an_article_without_a_byline_is_not_given_a_writer(bylines_bot: Assistant) -> None:
    """The earnings story names its chief executive and has no byline: the question is refused,
    not answered with someone the story quotes."""
    answer = bylines_bot.ask("Who wrote the earnings article?")
    assert answer.refused, answer.text
    assert "Priya Raman" not in answer.text


def _document(*lines: str) -> list[Sentence]:
    return [Sentence("d", i, 0, len(text), text) for i, text in enumerate(lines)]


BODY = "The council voted on Tuesday to approve the budget for next year."


@pytest.mark.parametrize(
    ("lines", "names"),
    [
        (("Headline", "By Jane Doe", BODY), "Jane Doe"),
        (("Headline", BODY, "BY MARY O'NEIL"), "MARY O'NEIL"),
        (("Headline", "By Niels B. Christiansen | Oct 3, 2024", BODY), "Niels B. Christiansen"),
        (
            ("Headline", "Reporting by Ana Lima, Tom Reed and Joe Park; editing by Sam Cole", BODY),
            "Ana Lima, Tom Reed and Joe Park",
        ),
        (("Headline", BODY, "Jane Doe, Reuters"), "Jane Doe"),
        (("Headline", "By Jane Doe, BBC News", BODY), "Jane Doe"),
        (("Headline", "By Ana Lima and Joe Park, City Desk", BODY), "Ana Lima and Joe Park"),
        (("Headline", BODY, BODY, BODY, BODY, "Ramin Sohrabi for TROIB News"), "Ramin Sohrabi"),
    ],
)
def test_a_byline_is_found_in_its_usual_forms(lines: tuple[str, ...], names: str) -> None:
    """ "By" lines at the top or foot, several writers, and a writer before an outlet."""
    byline = find_byline(_document(*lines))
    assert byline is not None and byline.names == names
    assert byline.names in byline.sentence.text


@pytest.mark.parametrize(
    "lines",
    [
        ("Starmer Offers Troops - BBC News", BODY, BODY),  # a headline in title case, with its outlet
        ("Headline", BODY, "Editing by Jane Doe"),  # an editor, not the writer
        ("Headline", BODY, "By the way, the meeting ran late."),
        ("Headline", BODY, "Sign Up for Our Newsletter"),
        ("Headline", BODY, "Copyright Reuters 2024"),
        ("Headline", BODY, BODY, BODY, "By Jane Doe", BODY, BODY, BODY),  # mid-story, not where bylines stand
    ],
)
def test_lines_that_are_not_bylines_are_not_taken_for_one(lines: tuple[str, ...]) -> None:
    """Headlines, editors, footers and a "By" phrase in a sentence are not bylines."""
    assert find_byline(_document(*lines)) is None


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Who wrote the article?", True),
        ("who wrote this story", True),
        ("Who is the author of the cup final piece?", True),
        ("Who was the reporter of the article about the budget?", True),
        ("Who wrote the report on Ukraine?", False),  # a report the article may mention
        ("Who wrote the letter to the council?", False),
        ("What does the author of this post prefer?", False),  # what the writer says, not who
        ("What console is the person who wrote this post playing?", False),
        ("Who proposed 30,000 troops?", False),
    ],
)
def test_only_questions_about_the_documents_own_writer_ask_for_the_byline(question: str, asks: bool) -> None:
    assert asks_for_author(question) is asks
