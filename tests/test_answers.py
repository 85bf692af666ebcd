"""Grounded answers over the seed article: the headline question, follow-ups, refusals, exact citations."""

from __future__ import annotations

import pytest
from conftest import HEADLINE_QUESTION, SEED_ID, STARMER_SENTENCE

from assistant import Assistant, Turn

FOLLOW_UP = "Where is he travelling to make that proposal?"


def test_headline_question(seed_bot: Assistant, assert_citations_exact) -> None:
    """'Who proposed 30,000 troops?' is answered with Starmer, citing the Washington sentence exactly."""
    answer = seed_bot.ask(HEADLINE_QUESTION)
    assert_citations_exact(seed_bot, answer)
    assert not answer.refused, answer.text
    assert answer.short is not None and "Starmer" in answer.short, answer.short
    assert answer.citations, "an answer without citations"
    first = answer.citations[0]
    assert first.text.startswith("Starmer is slated to travel to Washington"), first.text
    assert first.doc_id == SEED_ID
    assert (first.start, first.end) == (1490, 1691)
    assert first.text == STARMER_SENTENCE
    assert first.title == "Zelensky's top aide says deploying foreign troops to Ukraine is not realistic"
    assert "Starmer" in answer.text and "[1]" in answer.text
    assert answer.question == HEADLINE_QUESTION
    assert answer.backend == "extractive" and answer.latency_ms > 0


def test_headline_retrieval_ranks_evidence_first(seed_bot: Assistant) -> None:
    """Hybrid retrieval ranks the Starmer/Washington sentence first for the headline question."""
    ranked = seed_bot.retrieve(HEADLINE_QUESTION)
    assert len(ranked) == seed_bot.settings.top_k
    top = ranked[0].sentence
    assert top.text == STARMER_SENTENCE and top.doc_id == SEED_ID and (top.start, top.end) == (1490, 1691)
    scores = [p.score for p in ranked]
    assert scores == sorted(scores, reverse=True)
    assert len({p.sentence.sentence_id for p in ranked}) == len(ranked), "duplicate sentences retrieved"
    text = seed_bot.document_text(SEED_ID)
    for passage in ranked:
        s = passage.sentence
        assert text[s.start : s.end] == s.text
    assert len(seed_bot.retrieve(HEADLINE_QUESTION, k=2)) == 2


def test_follow_up_in_conversation(seed_bot: Assistant, assert_citations_exact) -> None:
    """A pronoun follow-up ('he', 'that proposal') is resolved from the conversation: Washington."""
    chat = seed_bot.conversation()
    first = chat.ask(HEADLINE_QUESTION)
    assert_citations_exact(seed_bot, first)
    assert "Starmer" in (first.short or "")
    answer = chat.ask(FOLLOW_UP)
    assert_citations_exact(seed_bot, answer)
    assert not answer.refused, answer.text
    assert "Washington" in (answer.short or ""), answer
    assert answer.citations and answer.citations[0].text == STARMER_SENTENCE
    assert "Starmer" in answer.standalone_question, answer.standalone_question
    assert len(chat.turns) == 2


def test_a_chain_of_follow_ups_keeps_talking_about_the_same_person(
    seed_bot: Assistant, assert_citations_exact
) -> None:
    """Four follow-ups in a row all mean Starmer: the place, the newspaper and the number
    asked about in between are not "he" (conversation.person)."""
    chat = seed_bot.conversation()
    chat.ask(HEADLINE_QUESTION)
    chat.ask(FOLLOW_UP)
    newspaper = chat.ask("Which newspaper reported his plan?")
    assert_citations_exact(seed_bot, newspaper)
    assert "Starmer" in newspaper.standalone_question and "Washington" not in newspaper.standalone_question
    # Whether the reader then finds "The Telegraph" is the seed set's known gap followup-newspaper.
    troops = chat.ask("How many troops does he plan to propose?")
    assert_citations_exact(seed_bot, troops)
    assert "Starmer" in troops.standalone_question, troops.standalone_question
    assert "30,000" in (troops.short or ""), troops.text
    readiness = chat.ask("What did he express readiness to do?")
    assert_citations_exact(seed_bot, readiness)
    assert "Starmer" in readiness.standalone_question, readiness.standalone_question
    assert "deploy UK troops" in (readiness.short or ""), readiness.text


def test_follow_up_with_explicit_history(seed_bot: Assistant, assert_citations_exact) -> None:
    """ask(question, history) with (question, answer) pairs behaves like the conversation object."""
    for history in ([(HEADLINE_QUESTION, "Keir Starmer")], [Turn(HEADLINE_QUESTION, "Keir Starmer")]):
        answer = seed_bot.ask(FOLLOW_UP, history)
        assert_citations_exact(seed_bot, answer)
        assert not answer.refused and "Washington" in (answer.short or ""), answer
        assert answer.citations[0].text == STARMER_SENTENCE


def test_conversation_reset_forgets_history(seed_bot: Assistant, assert_citations_exact) -> None:
    """After reset() a follow-up is no longer rewritten with the earlier answer."""
    chat = seed_bot.conversation()
    assert_citations_exact(seed_bot, chat.ask(HEADLINE_QUESTION))
    chat.reset()
    assert chat.turns == []
    answer = chat.ask(FOLLOW_UP)
    assert_citations_exact(seed_bot, answer)
    assert "Starmer" not in answer.standalone_question


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 2018 FIFA World Cup?",
        "What is the capital of Australia?",
        "How many troops did Emmanuel Macron offer to send to Ukraine?",
        "What is the population of Ukraine?",
    ],
)
def test_unanswerable_question_is_refused(seed_bot: Assistant, assert_citations_exact, question: str) -> None:
    """A question the article cannot answer is refused, with no citations and no short answer."""
    answer = seed_bot.ask(question)
    assert_citations_exact(seed_bot, answer)
    assert answer.refused, f"answered {answer.short!r}: {answer.text}"
    assert answer.citations == ()
    assert answer.short is None
    assert answer.text.strip(), "a refusal should say so in words"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who is the US Defense Secretary?", "Hegseth"),
        ("Who is Russia's foreign minister?", "Lavrov"),
        ("How many European soldiers did Zelensky say Ukraine might need?", "200,000"),
        ("Which radio station interviewed Podoliak?", "RMF"),
        # "Who is <a name>?" asks what the article calls him, not for the other name beside it.
        ("Who is Mikhail Podoliak?", "adviser to President Vladimir Zelensky"),
        ("Who is Pete Hegseth?", "US Defense Secretary"),
    ],
)
def test_other_factoids(seed_bot: Assistant, assert_citations_exact, question: str, expected: str) -> None:
    """Other factoid questions about the article are answered with a short span and exact citations."""
    answer = seed_bot.ask(question)
    assert_citations_exact(seed_bot, answer)
    assert not answer.refused, answer.text
    assert expected in (answer.short or ""), f"{question!r} -> {answer.short!r} ({answer.text})"
    assert expected in answer.citations[0].text


def test_who_is_a_name_the_reader_passes_over_is_answered_with_its_title(
    seed_bot: Assistant, assert_citations_exact
) -> None:
    """A question "Who was Vladimir Zelensky?" is read in "Podoliak, a key adviser to President Vladimir
    Zelensky, remarked ...", where the reader marks the other name; the answer is the title
    the text gives the person asked about, not "Podoliak"."""
    answer = seed_bot.ask("Who was Vladimir Zelensky?")
    assert_citations_exact(seed_bot, answer)
    assert answer.short == "President", answer.text
    assert "President Vladimir Zelensky" in answer.citations[0].text


def test_question_whitespace_is_trimmed_and_answers_are_stable(
    seed_bot: Assistant, assert_citations_exact
) -> None:
    """Surrounding whitespace does not change the answer, and asking twice gives the same answer."""
    a = seed_bot.ask(f"  {HEADLINE_QUESTION}\n")
    b = seed_bot.ask(HEADLINE_QUESTION)
    assert_citations_exact(seed_bot, a)
    assert_citations_exact(seed_bot, b)
    assert a.question == HEADLINE_QUESTION
    assert (a.short, a.text, a.citations) == (b.short, b.text, b.citations)


@pytest.mark.parametrize("question", ["???", "the of and", "a" * 2000, "Who?", "30,000"])
def test_degenerate_questions_do_not_crash(
    seed_bot: Assistant, assert_citations_exact, question: str
) -> None:
    """Punctuation-only, stop-word-only, limit-length and one-word questions get an Answer, never a crash."""
    answer = seed_bot.ask(question)
    assert_citations_exact(seed_bot, answer)
    assert answer.text.strip()
    if question in ("???", "the of and", "a" * 2000):
        assert answer.refused, answer.text


def test_empty_store_refuses(fresh_bot: Assistant, assert_citations_exact) -> None:
    """On an empty store a question is refused cleanly, not crashed on."""
    answer = fresh_bot.ask(HEADLINE_QUESTION)
    assert_citations_exact(fresh_bot, answer)
    assert answer.refused and answer.citations == () and answer.retrieved == ()
    assert fresh_bot.retrieve(HEADLINE_QUESTION) == []
