"""``bench.drafts``: saved drafts are re-scored offline, each labelled right or wrong by the gold answers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from conftest import HEADLINE_QUESTION, SEED_ID

from assistant import Assistant
from assistant.answer import supports
from assistant.question import analyze
from assistant.reader import shipped_reader
from assistant.verify import Verifier

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is not an installed package
    sys.path.insert(0, str(ROOT))

from bench.drafts import judge, read_records, refallback, source_record, summarise  # noqa: E402


def _record(bot: Assistant, qid: str, question: str, reply: str, gold: list[str], fallback: dict[str, Any]):
    sentences = bot.lexical.document_sentences(SEED_ID)
    passages = bot.retrieve(question, 6)
    asked = analyze(question)
    return {
        "qid": qid,
        "question": question,
        "standalone": question,
        "answers": gold,
        "answerable": bool(gold),
        "sources": [source_record(p, supports(asked, p, bot.lexical)) for p in passages],
        "documents": {SEED_ID: " ".join(s.text for s in sentences)},
        "reply": reply,
        "error": None,
        "fallback": fallback,
    }


def test_saved_drafts_are_labelled_and_rescored_without_the_model(
    seed_bot: Assistant, shared_embedder, tmp_path: Path
) -> None:
    """A right draft accepted, a wrong one replaced by a right offline answer, an unanswerable
    question refused: the scorer counts each where it belongs, from the JSONL alone."""
    starmer = {"text": "Keir Starmer [1]", "short": "Keir Starmer", "refused": False}
    refusal = {"text": "The documents do not say.", "short": None, "refused": True}
    records = [
        _record(
            seed_bot, "right", HEADLINE_QUESTION, "Starmer proposed 30,000 troops. [1]", ["Starmer"], starmer
        ),
        _record(
            seed_bot, "wrong", HEADLINE_QUESTION, "Mikhail Podoliak proposed 30,000 European troops [1].",
            ["Starmer"], starmer,
        ),
        _record(
            seed_bot, "none", "How many troops did Emmanuel Macron offer to send to Ukraine?",
            "The sources do not say.", [], refusal,
        ),
    ]  # fmt: skip
    path = tmp_path / "drafts.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    verifier = Verifier(shared_embedder, reader=shipped_reader(1))
    verdicts = [judge(verifier, r) for r in read_records(path)]
    assert [(v.draft_right, v.accepted, v.shown_right) for v in verdicts] == [
        (True, True, True),
        (False, False, True),
        (True, False, True),
    ]
    summary = summarise(verdicts)
    assert summary["draft_accuracy"] == 0.5 and summary["shown_accuracy"] == 1.0
    assert summary["right_drafts_accepted"] == 1.0 and summary["wrong_drafts_rejected_or_flagged"] == 1.0
    assert summary["unanswerable_shown_refused"] == 1.0


def test_fallbacks_are_answered_again_with_the_current_reader(seed_bot: Assistant, tmp_path: Path) -> None:
    """After the reader changes, `refallback` re-answers each saved question offline over the
    drafts' store, so the accuracy shown counts what the user would see today; the drafts and
    everything else saved stay as they were."""
    stale = {"text": "Mikhail Podoliak [1]", "short": "Mikhail Podoliak", "refused": False}
    record = _record(
        seed_bot, "q", HEADLINE_QUESTION, "Starmer proposed 30,000 troops. [1]", ["Starmer"], stale
    )
    record["set"], record["history"] = "seed", []
    path = tmp_path / "drafts.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert refallback(path, seed_bot.settings.data_dir) == 1
    (again,) = read_records(path)
    assert "Starmer" in again["fallback"]["short"] and not again["fallback"]["refused"]
    assert {k: v for k, v in again.items() if k != "fallback"} == {
        k: v for k, v in record.items() if k != "fallback"
    }
