"""Conversations: the memory of earlier turns, and follow-ups rewritten into standalone questions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .nlp import terms, tokens
from .question import DOCUMENT_NOUN, analyze
from .types import Answer, Turn

if TYPE_CHECKING:
    from .core import Assistant

# Pronouns that stand for a person, with the possessive each takes when a name replaces it.
_PERSON_PRONOUNS = {"he": "", "she": "", "him": "", "her": "'s?", "his": "'s", "hers": "'s"}
# References no name can replace ("that", "there"): the previous turn joins the query instead.
_REFERRING = {"it", "its", "they", "them", "their", "that", "this", "those", "these", "there", "then"}
# "this article", "that story": the document the conversation is about.
_THIS_DOCUMENT = re.compile(rf"\b(?:this|that|the same)\s+({DOCUMENT_NOUN})\b", re.IGNORECASE)
# A short answer that reads as a name (capitalised words): only those replace "he"/"she".
_NAME = re.compile(r"^[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,4}$")


def resolve(question: str, history: Sequence[Turn]) -> tuple[str, str]:
    """(standalone question, retrieval query) for ``question`` asked after ``history``.

    Person pronouns are replaced by the person the conversation is about (``person``):
    "Where is he travelling?" after "Who proposed 30,000 troops?" / "Keir Starmer" -> "Where
    is Keir Starmer travelling?". Any reference ("he", "that", "there", or a very short
    question) adds the previous question to the retrieval query so the same evidence is
    found again.
    """
    if not history:
        return question, question
    last = history[-1]
    if not _refers(question):
        return question, question
    standalone = _name_the_document(question, history)
    name = person(history)
    if name:
        for pronoun, suffix in _PERSON_PRONOUNS.items():
            pattern = re.compile(rf"\b{pronoun}\b", re.IGNORECASE)
            if pattern.search(standalone):
                replacement = name + ("'s" if suffix == "'s" else "")
                standalone = pattern.sub(replacement, standalone, count=1)
                break
    query = f"{standalone} {last.question} {_short(last.answer)}".strip()
    return standalone, query


def _name_the_document(question: str, history: Sequence[Turn]) -> str:
    """ "What is this article about?" -> 'What is the article “<title>” about?', the title of
    the one document the latest answer with citations cited. When it cited several, "this
    article" could be any of them and stays as it is."""
    match = _THIS_DOCUMENT.search(question)
    cited = next((t.sources for t in reversed(history) if t.sources), ())
    if not match or len(cited) != 1:
        return question
    return f"{question[: match.start()]}the {match.group(1)} “{cited[0]}”{question[match.end() :]}"


def person(history: Sequence[Turn]) -> str | None:
    """The person "he" or "she" stands for: the latest name that answered a question asking
    for a person, provided every question since then referred back to a person ("Where is he
    travelling?" / "Washington", "Which newspaper reported his plan?" / "The Telegraph" keep
    talking about the same man). A question that does not refer back ends the chain: it may
    be about someone else.
    """
    for turn in reversed(history):
        answer = _short(turn.answer)
        if _NAME.match(answer) and _asks_for_person(turn.question):
            return answer
        if not _refers_to_person(turn.question):
            return None
    return None


def _asks_for_person(question: str) -> bool:
    """Does it ask for a person: "who ...?", or "what/which ...?" without naming the kind of
    answer ("What is the name of Zelensky's top aide?")? "Which newspaper ...?" asks for a
    newspaper, "Where ...?" for a place."""
    asked = analyze(question)
    return asked.wh in ("who", "whom") or (asked.wh in ("what", "which") and not asked.type_word)


def _refers(question: str) -> bool:
    """Does it lean on an earlier turn: a pronoun, "that"/"there", or hardly a word of its own?"""
    return _refers_to_person(question) or bool(_words(question) & _REFERRING) or len(terms(question)) < 2


def _refers_to_person(question: str) -> bool:
    return bool(_words(question) & _PERSON_PRONOUNS.keys())


def _words(question: str) -> set[str]:
    return {w.lower() for _, _, w in tokens(question)}


def _short(answer: str) -> str:
    """An answer without its citation markers and closing stop."""
    return re.sub(r"\s*\[\d+\]", "", answer.strip().rstrip(".")).strip()


def remember(answer: Answer) -> Turn:
    """What a conversation keeps of an answered turn: the short answer when there is one
    (a name resolves "he" in the next question), else the whole text; and the documents it
    cited (one resolves "this article")."""
    sources = tuple(dict.fromkeys(c.title or c.doc_id for c in answer.citations))
    return Turn(answer.question, answer.short or answer.text, sources)


class Conversation:
    """A chat: each question is answered in the light of the earlier turns."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.turns: list[Turn] = []

    def ask(self, question: str) -> Answer:
        answer = self.assistant.ask(question, self.turns)
        self.turns.append(remember(answer))
        return answer

    def reset(self) -> None:
        self.turns.clear()
