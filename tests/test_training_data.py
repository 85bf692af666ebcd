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
    seed (the same ones every time), and never trains on a test or calibration article."""
    everything = data.not_trained_on()
    assert everything == data.TEST_ARTICLES + data.CALIBRATION_ARTICLES
    half = data.not_trained_on(0.5, seed=13)
    assert half == data.not_trained_on(0.5, seed=13)
    assert set(everything) < set(half)
    pairs = data.build(half)
    trained = {p.article for p in pairs}
    assert not trained & set(half)
    left_out_for_the_curve = len(half) - len(everything)
    assert abs(len(trained) - left_out_for_the_curve) <= 1
    with pytest.raises(ValueError, match="share of training articles"):
        data.not_trained_on(0)
