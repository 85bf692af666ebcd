"""The hand-written language rules that remain beside the trained reader, one test per rule,
each saying what it protects. A rule whose test no longer says why it exists should go."""

from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.answer import MIN_COVERAGE, names_and_numbers_near, refusal, supports
from assistant.conversation import resolve
from assistant.lexical import LexicalTable
from assistant.nlp import terms
from assistant.question import analyze
from assistant.spelling import correct
from assistant.types import ScoredSentence, Sentence, Turn

HEADLINE = "Who proposed 30,000 troops?"


@pytest.mark.parametrize(
    ("question_side", "document_side"),
    [
        ("won", "wins"),  # IRREGULAR: the stemmer alone leaves "won" apart from "win"
        ("fourth", "4th"),  # _NUMBER_WORDS: "the fourth season" finds "season 4"
        ("30,000", "30000"),  # numbers: thousands separators do not split a number
        ("U.S.", "US"),  # initialisms are one term, without their dots
        ("Starmer's", "Starmer"),  # possessives match their name
    ],
)
def test_question_words_match_their_other_forms_in_documents(question_side: str, document_side: str) -> None:
    """Lexical search finds a sentence that says the question's word in another form."""
    assert terms(question_side) == terms(document_side) != []


def test_stopwords_are_not_terms() -> None:
    """STOPWORDS: words every sentence has cannot make a sentence look relevant."""
    assert terms("Who is the one that did it to them?") == ["1"]  # "one" is a number word


def test_key_terms_are_the_question_names_and_numbers() -> None:
    """A question's capitalised words (not its first word) and numbers are its key terms: what
    a supporting sentence must not contradict."""
    question = analyze("When did Starmer propose 30,000 troops?")
    assert question.key_terms == frozenset(terms("Starmer 30,000"))
    assert question.wh == "when"


def test_type_word_is_the_noun_after_which_or_what_but_not_an_auxiliary() -> None:
    """_AUXILIARIES: "what did ..." names no answer type; "which country ..." does, and
    retrieval does not ask the evidence to say "country"."""
    assert analyze("Which country will host the talks?").type_word == "country"
    assert analyze("What did Starmer propose?").type_word == ""


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        ("Who wrote the article?", "The documents don't say who wrote the article."),
        ("What is the capital of Peru?", "The documents don't say what is the capital of Peru."),
        ("When did they meet?", 'The documents don\'t answer "When did they meet?"'),
        ("How many troops did he offer?", 'The documents don\'t answer "How many troops did he offer?"'),
        ("capital of Peru", "The documents don't answer that question."),
    ],
)
def test_a_refusal_reads_as_english(question: str, reply: str) -> None:
    """A refusal repeats the question as a clause ("don't say who wrote ...") only where that
    is English: an inverted question ("when did ...") is quoted instead."""
    assert refusal(analyze(question), "no answer").text == reply


def test_person_pronoun_is_replaced_by_the_previous_name() -> None:
    """_PERSON_PRONOUNS: "he" after an answer that is a name becomes that name, so the
    standalone question is retrievable on its own; "his" keeps its possessive."""
    history = [Turn(HEADLINE, "Keir Starmer [1].")]
    assert resolve("Where is he travelling?", history)[0] == "Where is Keir Starmer travelling?"
    assert resolve("What is his plan?", history)[0] == "What is Keir Starmer's plan?"


def test_he_stays_the_person_through_a_chain_of_follow_ups() -> None:
    """person(): after "Where is he travelling?" / "Washington" and "Which newspaper reported
    his plan?" / "Telegraph", "he" is still Keir Starmer (a place or a newspaper answers
    those, not a person); a question that refers to no one ("What did Lavrov say?") ends the
    chain, so "he" is then left for retrieval to place."""
    chain = [Turn(HEADLINE, "Keir Starmer [1]."), Turn("Where is he travelling?", "Washington [1].")]
    assert (
        resolve("Which newspaper reported his plan?", chain)[0]
        == "Which newspaper reported Keir Starmer's plan?"
    )
    chain.append(Turn("Which newspaper reported his plan?", "Telegraph [1]."))
    assert resolve("What did he propose?", chain)[0] == "What did Keir Starmer propose?"
    broken = [*chain, Turn("What did Lavrov say about NATO troops?", "firmly opposed the idea [1].")]
    assert resolve("What did he propose?", broken)[0] == "What did he propose?"
    assert (
        resolve("When does he leave?", [Turn("Where is the meeting?", "Paris")])[0] == "When does he leave?"
    )
    aide = [Turn("What is the name of Zelensky's top aide?", "Podoliak [1].")]
    assert resolve("What did he say?", aide)[0] == "What did Podoliak say?"


def test_reference_adds_the_previous_turn_to_the_query_only() -> None:
    """_REFERRING: "that"/"there" cannot be replaced by a name, but the previous question and
    answer join the retrieval query so the same evidence is found again; a question with no
    reference is left alone."""
    history = [Turn(HEADLINE, "Keir Starmer [1].")]
    standalone, query = resolve("When is that happening?", history)
    assert standalone == "When is that happening?"
    assert HEADLINE in query and "Keir Starmer" in query
    assert (
        resolve("How many soldiers might Ukraine need?", history)
        == ("How many soldiers might Ukraine need?",) * 2
    )


def _passage(bot: Assistant, question: str, holding: str) -> ScoredSentence:
    passages = bot.retriever.retrieve(analyze(question), 20)
    return next(p for p in passages if holding in p.sentence.text)


def test_a_sentence_with_other_numbers_is_not_evidence(seed_bot: Assistant) -> None:
    """names_and_numbers_near: "200,000 soldiers" does not answer a question about 30,000
    troops, however close the sentence's meaning; the headline sentence does."""
    question = analyze(HEADLINE)
    other = _passage(seed_bot, HEADLINE, "200,000")
    right = _passage(seed_bot, HEADLINE, "30,000")
    assert not names_and_numbers_near(question, other, seed_bot.lexical)
    assert names_and_numbers_near(question, right, seed_bot.lexical)


def test_a_document_without_the_question_names_is_not_evidence(seed_bot: Assistant) -> None:
    """names_and_numbers_near: most of the question's names must be in the sentence's document,
    so a question about people the article never mentions is not answered from it."""
    question = analyze("When did Emmanuel Macron meet Olaf Scholz in Berlin?")
    passage = seed_bot.retriever.retrieve(question, 1)[0]
    assert not names_and_numbers_near(question, passage, seed_bot.lexical)


def test_llm_sources_must_cover_enough_of_the_question(seed_bot: Assistant) -> None:
    """MIN_COVERAGE: a source the LLM may cite has to share at least that share of the
    question's content (idf-weighted); the headline sentence does, a bare mention does not."""
    question = analyze(HEADLINE)
    right = _passage(seed_bot, HEADLINE, "30,000")
    assert right.coverage >= MIN_COVERAGE and supports(question, right, seed_bot.lexical)
    thin = ScoredSentence(right.sentence, right.title, right.score, coverage=MIN_COVERAGE - 0.01)
    assert not supports(question, thin, seed_bot.lexical)


def _cup_table() -> LexicalTable:
    texts = [
        "The match went to extra time after a late goal.",
        "Fans waited a long time for the final whistle.",
    ]
    rows = [(Sentence("cup.txt", i, 0, len(t), t), "Cup final") for i, t in enumerate(texts)]
    return LexicalTable.build("r1", {"cup.txt": "h"}, rows)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("tme", "time"),  # one edit: read
        ("tiem", "time"),  # two letters swapped count as one edit
        ("tmx", "tmx"),  # ONE_EDIT_UP_TO: two edits from "time" in a short word is too far
        ("tm", "tm"),  # MIN_TYPO_LENGTH: too short to tell from an abbreviation
        ("tmiee", "time"),  # a longer word may carry two edits
    ],
)
def test_how_far_a_typo_may_be_from_the_corpus_word(typed: str, read: str) -> None:
    """ONE_EDIT_UP_TO and MIN_TYPO_LENGTH: a short unknown word is read as a corpus word only
    one edit away, a word under three letters never; otherwise every short word would be
    "corrected" into one of the many words two edits from it."""
    spelled = correct(f"Who scored in extra {typed}?", _cup_table())
    assert spelled.text == f"Who scored in extra {read}?"
