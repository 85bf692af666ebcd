"""The reader's training pairs: split by article, and each answer sentence beside a hard negative."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from training import data


def test_pairs_stay_in_their_article_and_negatives_never_hold_the_answer() -> None:
    """Every pair of a held-out article comes from that article (the split is by article);
    an answerable question gives its answer's sentence, marked, and a sentence that shares
    words with the question but not the answer (the kind retrieval ranks beside the answer),
    so the reader learns to tell them apart rather than to reject unrelated text."""
    pairs = data.held_out_pairs(("Normans",))
    assert pairs and {p.article for p in pairs} == {"Normans"}
    questions = [q for q in data.load_questions(data.SQUAD2) if q["context_doc_id"].startswith("Normans#")]
    by_question: dict[str, list[data.Pair]] = {}
    for p in pairs:
        by_question.setdefault(p.question, []).append(p)
    answerable = [q for q in questions if q["answerable"]]
    checked = 0
    for q in answerable:
        group = by_question.get(q["question"], [])
        positives = [p for p in group if p.answer is not None]
        negatives = [p for p in group if p.answer is None]
        if not positives:
            continue  # the answer crosses a sentence boundary
        checked += 1
        span = positives[0].sentence[slice(*positives[0].answer)]
        assert span.lower() in {a.lower() for a in q["answers"]}
        for negative in negatives:
            assert not any(a.lower() in negative.sentence.lower() for a in q["answers"])
            assert data._words(q["question"]) & data._words(negative.sentence)
    assert checked > 0.8 * len(answerable)


def test_pairs_are_the_same_in_every_process() -> None:
    """The training command reproduces its model only if it builds the same pairs each run;
    Python salts string hashes per process, so nothing may depend on the order of a set."""
    script = (
        "import hashlib; from training import data; "
        "print(hashlib.sha256(repr(data.held_out_pairs(data.TEST_ARTICLES)).encode()).hexdigest())"
    )
    root = Path(__file__).resolve().parents[1]
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1


def test_retrieval_weights_are_fitted_to_what_ranks_the_answer_first() -> None:
    """training.retrieval chooses the signal weights from data: when only the dense signal
    tells the answer sentence apart, the fit puts its weight there, and the measure counts a
    question as found only when the answer is among the sentences the reader reads."""
    import numpy as np

    from training.retrieval import READ, Ranked, fit, measure

    rng = np.random.default_rng(0)
    ranked = []
    for _ in range(50):
        signals = rng.uniform(0.0, 0.5, size=(20, 3))
        signals[:, 1:] = rng.uniform(0.0, 1.0, size=(20, 2))  # lexical and coverage: noise
        signals[7, 0] = 0.9  # the answer has the best dense score, nothing else
        ranked.append(Ranked(signals, 7))
    weights = fit(ranked)
    assert weights[0] > 0.5
    assert measure(ranked, weights)[f"hit@{READ}"] == 1.0
    assert measure(ranked, (0.0, 0.5, 0.5))[f"hit@{READ}"] < 0.5


def test_an_article_swing_is_not_read_as_a_gain() -> None:
    """training.compare decides by articles, not by pooled questions: a gain every article
    shares gives an interval above zero, while the same mean carried by one article's swing
    gives an interval that reaches below zero."""
    from training.compare import interval

    low, high = interval([0.01, 0.012, 0.008, 0.011, 0.009])
    assert 0.0 < low <= 0.01 <= high
    low, high = interval([0.05, -0.002, -0.001, -0.003, 0.006])
    assert low < 0.0 < high


def test_a_model_is_never_compared_on_articles_it_trained_on(tmp_path: Path) -> None:
    """A reader trained on a test article would look better there than it is: compare refuses
    it and names the articles."""
    from training.compare import main

    for name, trained_on in (("a", []), ("b", [data.TEST_ARTICLES[0]])):
        (tmp_path / f"{name}.onnx").write_bytes(b"")
        card = {"no_answer_margin": 0.0, "retrieval_weight": 0.0, "settled_score": None}
        (tmp_path / f"{name}.card.json").write_text(json.dumps(card | {"trained_on_articles": trained_on}))
    with pytest.raises(SystemExit, match=f"reader B trained on .*{data.TEST_ARTICLES[0]}"):
        main([str(tmp_path / "a.onnx"), str(tmp_path / "b.onnx")])


def test_a_learning_curve_run_keeps_whole_articles_and_never_the_held_out_ones() -> None:
    """A run on a share of the training articles leaves out whole articles, drawn with the
    seed (the same ones every time), and never trains on a held-out article."""
    everything = data.not_trained_on()
    assert everything[: len(data.held_out_articles())] == data.held_out_articles()
    half = data.not_trained_on(0.5, seed=13)
    assert half == data.not_trained_on(0.5, seed=13)
    assert set(everything) < set(half)
    names = {name for folder in data.TRAINING_SETS for name in data.article_names(folder)}
    kept = names - set(half)
    assert abs(len(kept) - len(names - set(everything)) / 2) <= 1
    with pytest.raises(ValueError, match="share of training articles"):
        data.not_trained_on(0)


def test_the_squadshifts_held_out_parts_are_whole_articles_and_the_same_for_every_seed() -> None:
    """Each SQuADShifts set is split by article into test, calibration and training parts,
    drawn with a seed of their own, so a reader trained with any seed or any share of the data
    never trains on the text its out-of-domain figures come from."""
    for folder in data.SHIFTS.values():
        split = data.shifts_split(folder)
        assert split == data.shifts_split(folder)
        parts = [set(split[name]) for name in ("test", "calibration", "train")]
        assert all(parts) and not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        assert set().union(*parts) == set(data.article_names(folder))
        for seed, share in ((13, 1.0), (14, 0.5)):
            left_out = set(data.not_trained_on(1.0, seed, share))
            assert parts[0] | parts[1] <= left_out


def test_the_squad11_train_budget_keeps_whole_articles_drawn_with_the_seed() -> None:
    """The compute budget takes a seeded share of squad11_train's articles, whole."""
    squad11_train = set(data.article_names(data.SQUAD11_TRAIN))
    left_out = set(data.not_trained_on(1.0, 13, 0.5)) & squad11_train
    assert left_out == set(data.not_trained_on(1.0, 13, 0.5)) & squad11_train
    assert abs(len(left_out) - len(squad11_train) / 2) <= 1
    assert left_out != set(data.not_trained_on(1.0, 14, 0.5)) & squad11_train
    assert not set(data.not_trained_on(1.0, 13, 1.0)) & squad11_train


def test_written_unanswerables_keep_their_weight_beside_the_answerable_sets() -> None:
    """SQuAD 2.0's written unanswerable questions are the only ones in the training data: they
    are repeated, each repeat a pair with no answer, and nothing else is."""
    names = {name for folder in data.TRAINING_SETS for name in data.article_names(folder)}
    article = sorted(data.article_names(data.SQUAD2))[0]
    assert article not in data.held_out_articles()
    left_out = tuple(names - {article})
    once, thrice = data.build(left_out, 1), data.build(left_out, 3)
    unanswerable = {q["question"] for q in data.load_questions(data.SQUAD2) if not q["answerable"]}
    unanswerable &= {p.question for p in once}
    assert unanswerable and {p.article for p in thrice} == {article}
    for pairs, repeats in ((once, 1), (thrice, 3)):
        written = [p for p in pairs if p.question in unanswerable]
        assert all(p.answer is None for p in written)
        assert len(written) == repeats * len(unanswerable)
    assert len(thrice) - len(once) == 2 * len(unanswerable)


def test_calibration_never_uses_an_article_the_reader_trained_on() -> None:
    """A reader made before the calibration set grew trained on some of its articles; its
    margin is fitted on the others only, since it reads its training text too boldly."""
    from training.calibrate import calibration_articles

    assert calibration_articles([]) == data.CALIBRATION_ARTICLES
    assert calibration_articles(data.CALIBRATION_ARTICLES[3:]) == data.CALIBRATION_ARTICLES[:3]


def test_the_margin_keeps_every_answerable_part_under_the_false_refusal_bound() -> None:
    """Fitted on SQuAD 2.0 alone, the margin would refuse a part whose answerable questions the
    reader is less sure of (reviews, forum posts) far more often; the fit lowers it until no
    part is refused more than MAX_FALSE_REFUSALS."""
    import numpy as np

    from assistant.answer import Candidate
    from assistant.reader import Span
    from assistant.types import ScoredSentence, Sentence
    from training.calibrate import MAX_FALSE_REFUSALS, Read, fit, scores

    def read(margin: float, answers: tuple[str, ...]) -> Read:
        sentence = ScoredSentence(Sentence("d", 0, 0, 3, "abc"), "t", score=0.0)
        return Read(answers, (Candidate(sentence, Span(0, 3, margin, 0.0), "abc", 0),))

    rng = np.random.default_rng(0)
    squad = [read(m, ("abc",)) for m in rng.normal(4, 1, 200)] + [read(m, ()) for m in rng.normal(0, 1, 200)]
    forum = [read(m, ("abc",)) for m in rng.normal(1, 1, 200)]
    alone, _ = fit(squad)
    margin, weight = fit(squad, [forum])
    assert scores(forum, alone, weight)["false_refusal_rate"] > 0.5
    assert margin < alone
    for part in (squad, forum):
        assert scores(part, margin, weight)["false_refusal_rate"] <= MAX_FALSE_REFUSALS


def test_every_held_out_part_is_read_from_a_store_of_its_own() -> None:
    """Chroma cannot reopen a store path it removed in the same process ("attempt to write a
    readonly database"): the SQuADShifts calibration and test parts, whose article names share
    long prefixes, must each get another folder."""
    from training.calibrate import shifts_parts, store_path

    parts = shifts_parts("calibration") + shifts_parts("test")
    paths = {store_path(Path("w"), part.folder, part.articles) for part in parts}
    assert len(paths) == len(parts)
    assert store_path(Path("w"), data.SQUAD2, data.TEST_ARTICLES) not in paths
