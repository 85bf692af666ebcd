""" "Try asking" suggestions: built from the user's own documents, kept only when answered.

Through the real store (Chroma on disk, MiniLM) and the real offline answerer.
"""

from __future__ import annotations

from pathlib import Path

from assistant import Assistant
from assistant.suggest import candidate_questions, question_from_sentence, suggest
from assistant.types import Document, DocumentInfo
from assistant.ui_format import EXAMPLES
from assistant.webui import own_documents

CUP_FINAL = """Rovers win the cup on penalties

Harbour Rovers won the county cup final on Saturday after a 2-2 draw with Millbrook Athletic.
Goalkeeper Tomas Reyes saved the decisive penalty in the shoot-out.
Striker Lena Okafor scored both goals for Rovers in the second half.
The county association confirmed a crowd of 8,400 at the Old Quay ground.
"""


def test_a_sentence_becomes_a_question_about_its_subject() -> None:
    """The one rewrite: the subject becomes Who (a name), Which <noun> or What; an opening
    phrase is dropped, the question ends with the clause; titles and quotes are skipped."""
    vocabulary = frozenset({"the", "city", "council"})
    assert question_from_sentence("Mayor Anna Berg proposed a parking rate of 3 euros.", vocabulary) == (
        "Who proposed a parking rate of 3 euros?"
    )
    assert question_from_sentence("In January, Zelensky suggested that talks resume soon.", vocabulary) == (
        "Who suggested that talks resume soon?"
    )
    assert question_from_sentence("The city council approved a budget of 4.2m, said Berg.", vocabulary) == (
        "Which council approved a budget of 4.2m?"
    )
    assert question_from_sentence("Rovers win the cup on penalties", vocabulary) is None
    assert question_from_sentence('Berg said "we are ready" on Monday.', vocabulary) is None


def test_suggestions_are_questions_the_assistant_answers_from_that_document(fresh_bot: Assistant) -> None:
    """Every suggestion is made from the uploaded article (none is the bundled article's), and
    asking it gives an answer that cites that article."""
    fresh_bot.ingest_documents([_document("cup_final.txt", CUP_FINAL)])
    documents = fresh_bot.documents()
    suggested = suggest(fresh_bot, documents)
    assert suggested, candidate_questions(CUP_FINAL)
    assert set(suggested) <= set(candidate_questions(CUP_FINAL))
    assert not set(suggested) & set(EXAMPLES)
    for question in suggested:
        answer = fresh_bot.ask(question)
        assert not answer.refused, question
        assert any(c.doc_id == "cup_final.txt" for c in answer.citations), question


def test_bundled_articles_are_not_the_users_own(tmp_path: Path) -> None:
    """Suggestions use the user's documents (newest first), never those from the bundled folder."""
    bundled = tmp_path / "corpus"
    seed = _info("seed.txt", bundled / "seed.txt", "2026-01-01T00:00:00+00:00")
    older = _info("old.txt", tmp_path / "uploads" / "old.txt", "2026-01-02T00:00:00+00:00")
    newer = _info("new.txt", tmp_path / "uploads" / "new.txt", "2026-01-03T00:00:00+00:00")
    assert [d.doc_id for d in own_documents([seed, older, newer], bundled)] == ["new.txt", "old.txt"]
    assert own_documents([seed], bundled) == []


def _document(doc_id: str, text: str) -> Document:
    return Document(doc_id=doc_id, title=text.splitlines()[0], text=text, source=doc_id)


def _info(doc_id: str, source: Path, added_at: str) -> DocumentInfo:
    return DocumentInfo(doc_id, doc_id, str(source), "h", added_at, 1, 1, 10)
