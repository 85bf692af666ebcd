"""Conversations: the memory of earlier turns, and follow-ups rewritten into standalone questions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .nlp import terms, tokens
from .types import Answer, Turn

if TYPE_CHECKING:
    from .core import Assistant

# Pronouns that stand for a person, with the possessive each takes when a name replaces it.
_PERSON_PRONOUNS = {"he": "", "she": "", "him": "", "her": "'s?", "his": "'s", "hers": "'s"}
# References no name can replace ("that", "there"): the previous turn joins the query instead.
_REFERRING = {"it", "its", "they", "them", "their", "that", "this", "those", "these", "there", "then"}
# A short answer that reads as a name (capitalised words): only those replace "he"/"she".
_NAME = re.compile(r"^[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,4}$")


def resolve(question: str, history: Sequence[Turn]) -> tuple[str, str]:
    """(standalone question, retrieval query) for ``question`` asked after ``history``.

    Person pronouns are replaced by the previous short answer when that answer is a
    name ("Where is he travelling?" after "Keir Starmer" -> "Where is Keir Starmer
    travelling?"); any reference ("he", "that", "there", or a very short question) adds
    the previous question to the retrieval query so the same evidence is found again.
    """
    if not history:
        return question, question
    last = history[-1]
    words = [w for _, _, w in tokens(question)]
    lower = [w.lower() for w in words]
    refers = any(w in _PERSON_PRONOUNS or w in _REFERRING for w in lower) or len(terms(question)) < 2
    if not refers:
        return question, question
    standalone = question
    previous_answer = last.answer.strip().rstrip(".")
    previous_answer = re.sub(r"\s*\[\d+\]", "", previous_answer).strip()
    if _NAME.match(previous_answer):
        for pronoun, suffix in _PERSON_PRONOUNS.items():
            pattern = re.compile(rf"\b{pronoun}\b", re.IGNORECASE)
            if pattern.search(standalone):
                replacement = previous_answer + ("'s" if suffix == "'s" else "")
                standalone = pattern.sub(replacement, standalone, count=1)
                break
    query = f"{standalone} {last.question} {previous_answer}".strip()
    return standalone, query


def remember(answer: Answer) -> Turn:
    """What a conversation keeps of an answered turn: the short answer when there is one
    (a name resolves "he" in the next question), else the whole text."""
    return Turn(answer.question, answer.short or answer.text)


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
