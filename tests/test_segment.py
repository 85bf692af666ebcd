"""Sentence segmentation: exact offsets, and no false splits on the punctuation of news text."""

from __future__ import annotations

import itertools

import pytest
from conftest import STARMER_SENTENCE

from assistant.segment import split_sentences


def sentences(text: str) -> list[str]:
    spans = split_sentences(text)
    for start, end in spans:
        assert 0 <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip(), f"span {start}:{end} is not whitespace-trimmed: {piece!r}"
    assert spans == sorted(spans), "spans are not in document order"
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start, "spans overlap"
    return [text[s:e] for s, e in spans]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "He said “we will not retreat.” Then he left.",
            ["He said “we will not retreat.”", "Then he left."],
            id="curly-quote-closes-sentence",
        ),
        pytest.param(
            "Officials called the plan “unrealistic”. Talks continue.",
            ["Officials called the plan “unrealistic”.", "Talks continue."],
            id="curly-quote-before-dot",
        ),
        pytest.param(
            "“We are ready,” Starmer said. “It is time.”",
            ["“We are ready,” Starmer said.", "“It is time.”"],
            id="sentence-opening-with-curly-quote",
        ),
        pytest.param(
            "The U.S. Defense Secretary spoke on Friday. He declined to comment.",
            ["The U.S. Defense Secretary spoke on Friday.", "He declined to comment."],
            id="initialism-mid-sentence",
        ),
        pytest.param(
            "Troops will not come from the U.S. The decision was final.",
            ["Troops will not come from the U.S.", "The decision was final."],
            id="initialism-ends-sentence",
        ),
        pytest.param(
            "The visit is planned for Feb. 24 in Kyiv. It was announced on Monday.",
            ["The visit is planned for Feb. 24 in Kyiv.", "It was announced on Monday."],
            id="month-abbreviation",
        ),
        pytest.param(
            "Mr. Starmer met Dr. Smith and Gen. Jones in Paris. They talked.",
            ["Mr. Starmer met Dr. Smith and Gen. Jones in Paris.", "They talked."],
            id="title-abbreviations",
        ),
        pytest.param(
            "The package holds 1.5 million shells. It costs €6 billion. Kyiv welcomed it.",
            ["The package holds 1.5 million shells.", "It costs €6 billion.", "Kyiv welcomed it."],
            id="decimals-and-money",
        ),
        pytest.param(
            "Prices rose 2.5% to $3.75 a gallon. Drivers complained.",
            ["Prices rose 2.5% to $3.75 a gallon.", "Drivers complained."],
            id="percent-and-dollars",
        ),
        pytest.param(
            "Europe weighs troops for Ukraine\nLeaders met in Paris on Monday. No deal was reached.",
            ["Europe weighs troops for Ukraine", "Leaders met in Paris on Monday.", "No deal was reached."],
            id="headline-without-final-punctuation",
        ),
        pytest.param(
            "The talks went on... Nobody left. Then silence… Everyone waited.",
            ["The talks went on...", "Nobody left.", "Then silence…", "Everyone waited."],
            id="ellipses-end-sentences",
        ),
        pytest.param(
            "He paused... and then continued.",
            ["He paused... and then continued."],
            id="ellipsis-before-lower-case-is-not-a-boundary",
        ),
        pytest.param(
            "Is it over? Not yet! Talks resume today.",
            ["Is it over?", "Not yet!", "Talks resume today."],
            id="question-and-exclamation",
        ),
        pytest.param(
            "He works at Acme Inc. in London. She does not.",
            ["He works at Acme Inc. in London.", "She does not."],
            id="company-abbreviation",
        ),
        pytest.param(
            "Talks resume at 9 a.m. on Tuesday. Both sides agreed.",
            ["Talks resume at 9 a.m. on Tuesday.", "Both sides agreed."],
            id="a.m.",
        ),
    ],
)
def test_news_punctuation(text: str, expected: list[str]) -> None:
    """News punctuation (quotes, abbreviations, numbers, headlines, ellipses) splits where a reader would."""
    assert sentences(text) == expected


def test_offsets_are_exact_with_irregular_whitespace() -> None:
    """Offsets point into the original text even with leading, doubled and trailing whitespace."""
    text = "  \n\nFirst one.   Second one!\n\n\n  Third one?  \n"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["First one.", "Second one!", "Third one?"]
    assert spans[0][0] == text.index("First")
    assert spans[-1][1] == text.index("?") + 1


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n"])
def test_blank_text_has_no_sentences(text: str) -> None:
    """Blank text yields no sentences rather than empty spans."""
    assert split_sentences(text) == []


def test_no_text_is_lost_outside_whitespace(seed_text: str) -> None:
    """Every non-whitespace character of the seed article lies inside exactly one sentence."""
    spans = split_sentences(seed_text)
    covered = [False] * len(seed_text)
    for start, end in spans:
        for i in range(start, end):
            assert not covered[i]
            covered[i] = True
    lost = [i for i, ch in enumerate(seed_text) if not ch.isspace() and not covered[i]]
    assert lost == []


def test_seed_article_sentences(seed_text: str) -> None:
    """The seed article splits into its 17 sentences, headline and byline included, offsets exact."""
    found = sentences(seed_text)
    assert len(found) == 17, found
    assert found[0] == "Zelensky's top aide says deploying foreign troops to Ukraine is not realistic"
    assert found[2] == "Read Full Article at RT.com"
    assert found[-1] == "Ramin Sohrabi for TROIB News"
    assert STARMER_SENTENCE in found, "the Starmer/Washington sentence was split or merged"
    assert split_sentences(seed_text)[found.index(STARMER_SENTENCE)] == (1490, 1691)
    assert "Podoliak asserted that such deployments “do not seem very realistic scenarios for now.”" in found
    assert any(
        s.startswith("Brussels is reportedly preparing military aid")
        and s.endswith("1.5 million artillery rounds and air defense systems.")
        for s in found
    ), "the €6 billion / 1.5 million sentence was split"
    assert any(s.endswith("ahead of a visit by EU commissioners to Kiev on February 24.") for s in found)
