"""Calibration on the bundled scored sample: refusals, the choice it makes, the JSON round trip,
the rubric-hash check and the command line. (The models and the selection rule on synthetic
teachers: test_calibration_selection.py.)"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from _scored import SCORED, run, scored_sample
from conftest import ROOT, SEED

from grader import Checker, load_rubric
from grader.calibration import (
    CalibrationError,
    IdentityCalibrator,
    calibrate,
    feature_matrix,
    feature_names,
    load_calibration,
)
from grader.evaluate import ScoredSet
from grader.rubric import parse_rubric

# --- refusals -----------------------------------------------------------------------


def _subset(scored: ScoredSet, keep) -> ScoredSet:
    return ScoredSet(scored.source, [a for a in scored.answers if keep(a)], [])


@pytest.mark.parametrize(
    "keep,message",
    [
        (lambda a: int(a.id[1:]) <= 12, "12 scored answer(s); calibrate needs at least 20"),
        (lambda a: a.score != 7, "no scored answer at score level(s) 7"),
        (lambda a: a.score not in (0, 9), "no scored answer at score level(s) 0, 9"),
    ],
)
def test_refuses_too_little_to_learn_from(keep, message):
    rubric, scored, feedbacks = scored_sample()
    small = _subset(scored, keep)
    fbs = [fb for a, fb in zip(scored.answers, feedbacks, strict=True) if keep(a)]
    with pytest.raises(CalibrationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        calibrate(rubric, small, fbs)


def test_refuses_half_points():
    rubric, scored, feedbacks = scored_sample()
    answers = list(scored.answers)
    answers[0] = type(answers[0])(answers[0].id, answers[0].line, answers[0].answer, 4.5)
    with pytest.raises(CalibrationError, match="whole-number score levels, but the file has 4.5"):
        calibrate(rubric, ScoredSet(scored.source, answers, []), feedbacks)


# --- the saved calibration ------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted():
    rubric, scored, feedbacks = scored_sample()
    return calibrate(rubric, scored, feedbacks)


def test_cross_validated_figures(fitted):
    cv = fitted.calibration.cv
    assert cv.folds == 5
    assert -1 <= cv.qwk_before <= 1 and -1 <= cv.qwk_after <= 1
    assert fitted.before.n == fitted.after.n == fitted.calibration.n_answers
    sel = fitted.selection
    assert (sel.folds, sel.repeats) == (5, 3)
    assert [c.name for c in sel.candidates] == ["identity", "monotone", "ridge", "logistic"]


def test_keeps_the_rubrics_scores_on_the_sample(fitted):
    """The rubric already agrees closely with this teacher; no model is clearly closer."""
    assert fitted.chosen == "identity" and not fitted.helped
    assert isinstance(fitted.calibration.estimator, IdentityCalibrator)
    assert fitted.after.qwk == fitted.before.qwk and fitted.after.exact == fitted.before.exact
    assert "no candidate was clearly better" in fitted.reason


@pytest.fixture(scope="module")
def lenient():
    """The same answers, scored one level above the rubric four times in five."""
    rubric, scored, feedbacks = scored_sample()
    rng = np.random.default_rng(4)
    top = rubric.max_score()
    answers = [
        type(a)(a.id, a.line, a.answer, min(top, fb.score + 1) if rng.random() < 0.8 else fb.score)
        for a, fb in zip(scored.answers, feedbacks, strict=True)
    ]
    return calibrate(rubric, ScoredSet(scored.source, answers, []), feedbacks)


def test_a_lenient_teacher_on_the_sample_gets_a_monotone_map(lenient):
    result = lenient
    assert result.chosen == "monotone", result.reason
    assert result.after.qwk > result.before.qwk and result.after.exact > result.before.exact + 0.2


def test_round_trip_through_json(tmp_path, fitted):
    rubric, scored, feedbacks = scored_sample()
    path = tmp_path / "calibration.json"
    fitted.calibration.save(path)
    data = json.loads(path.read_text())  # plain JSON: nothing in it can run
    assert data["rubric"] == rubric.id and data["rubric_hash"] == rubric.content_hash
    assert data["features"] == feature_names(rubric)
    loaded = load_calibration(path, rubric)
    X = feature_matrix(feedbacks, loaded.names)
    assert np.array_equal(loaded.estimator.predict(X), fitted.calibration.estimator.predict(X))
    # the rubric's own scores were kept: applying the file changes nothing and marks nothing
    assert loaded.kind == "identity"
    assert loaded.apply(feedbacks[0]) == feedbacks[0] and not loaded.apply(feedbacks[0]).calibrated


def test_a_model_that_changes_scores_marks_them_calibrated(tmp_path, lenient):
    rubric, scored, feedbacks = scored_sample()
    path = tmp_path / "calibration.json"
    lenient.calibration.save(path)
    loaded = load_calibration(path, rubric)
    fb = loaded.apply(feedbacks[0])
    assert fb.calibrated and fb.score in loaded.estimator.levels_
    assert not feedbacks[0].calibrated  # the original is left alone
    # the checker applies it to every answer it checks
    checker = Checker(rubric, calibration=loaded)
    assert checker.check(scored.answers[0].answer).score == fb.score


def test_refuses_another_version_of_the_rubric(tmp_path, fitted):
    path = tmp_path / "calibration.json"
    fitted.calibration.save(path)
    text = SEED.read_text()
    edited = parse_rubric(
        text.replace("      - metabolic energy\n", "      - metabolic energy\n      - energy\n")
    )
    assert edited.id == fitted.calibration.rubric_id
    with pytest.raises(CalibrationError, match="another version of rubric 'ap-bio/membrane-potential'"):
        load_calibration(path, edited)
    # the examples are the rubric's tests, not its meaning: adding one keeps the calibration valid
    with_example = parse_rubric(text + '  - answer: "ATP."\n    expect: {concepts: [atp]}\n')
    assert load_calibration(path, with_example).rubric_hash == with_example.content_hash


def test_refuses_another_rubric(tmp_path, fitted):
    path = tmp_path / "calibration.json"
    fitted.calibration.save(path)
    other = load_rubric(ROOT / "rubrics" / "ap-bio" / "synaptic-transmission.yaml")
    with pytest.raises(CalibrationError, match="made for rubric 'ap-bio/membrane-potential', not"):
        load_calibration(path, other)


@pytest.mark.parametrize(
    "content,message",
    [
        ("{not json", "not valid JSON"),
        ('{"format": "something-else"}', "is not a grader calibration file"),
        ('{"format": "grader-calibration", "format_version": 99}', "format version 99"),
        ("__pickle__", "not valid JSON"),
    ],
)
def test_refuses_damaged_files(tmp_path, seed_rubric, content, message):
    path = tmp_path / "calibration.json"
    path.write_text(content)
    with pytest.raises(CalibrationError, match=message):
        load_calibration(path, seed_rubric)


def test_refuses_tampered_model(tmp_path, fitted, seed_rubric):
    path = tmp_path / "calibration.json"
    fitted.calibration.save(path)
    data = json.loads(path.read_text())
    data["model"]["raw_column"] = len(data["features"])
    path.write_text(json.dumps(data))
    with pytest.raises(
        CalibrationError, match=r"damaged calibration file \(model: raw_column \d+ is outside"
    ):
        load_calibration(path, seed_rubric)


# --- from the command line ------------------------------------------------------------


def test_cli_calibrate_then_check(tmp_path, capsys):
    out_path = tmp_path / "cal.json"
    code, out, err = run(["calibrate", str(SEED), str(SCORED), "-o", str(out_path)], capsys)
    assert code == 0, err
    assert "rubric scores (before)" in out and "calibrated (after)" in out
    assert "Chosen: identity, the rubric's own scores.\nWhy: no candidate was clearly better" in out
    assert re.search(r"^identity +0\.\d\d +\d+% +\d+% <- chosen$", out, re.M)
    assert out_path.exists() and [p.name for p in tmp_path.iterdir()] == ["cal.json"]
    answer = tmp_path / "a.txt"
    answer.write_text("The pump uses ATP to move 3 Na+ out and 2 K+ in.")
    code, out, err = run(
        ["check", str(SEED), str(answer), "--calibration", str(out_path), "--format", "json"], capsys
    )
    assert code == 0, err
    # the calibration keeps the rubric's scores, so nothing is labelled calibrated
    assert json.loads(out)["calibrated"] is False
    code, out, err = run(
        ["check", str(SEED), str(answer), "--calibration", str(out_path), "--no-color"], capsys
    )
    assert "calibrated" not in out.splitlines()[0]


def test_cli_calibrate_json(tmp_path, capsys):
    out_path = tmp_path / "cal.json"
    code, out, err = run(
        ["calibrate", str(SEED), str(SCORED), "-o", str(out_path), "--format", "json"], capsys
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["model"] == "identity" and data["kind"] == "identity" and data["helped"] is False
    assert data["folds"] == 5 and data["repeats"] == 3 and data["qwk_after"] == data["qwk_before"]
    assert [c["name"] for c in data["candidates"]] == ["identity", "monotone", "ridge", "logistic"]
    assert {"qwk", "exact", "adjacent", "label"} <= set(data["candidates"][0])
    saved = json.loads(out_path.read_text())
    assert saved["format_version"] == 2 and saved["selection"]["chosen"] == "identity"
    assert saved["selection"]["reason"] == data["reason"]


def test_cli_check_refuses_calibration_of_another_rubric(tmp_path, capsys, fitted):
    path = tmp_path / "cal.json"
    fitted.calibration.save(path)
    other = ROOT / "rubrics" / "ap-bio" / "synaptic-transmission.yaml"
    answer = tmp_path / "a.txt"
    answer.write_text("ATP is released.")
    code, out, err = run(["check", str(other), str(answer), "--calibration", str(path)], capsys)
    assert code == 2 and err.startswith("grader: error: ") and err.count("\n") == 1
    assert "made for rubric 'ap-bio/membrane-potential'" in err


def test_cli_calibrate_refuses_small_file_and_writes_nothing(tmp_path, capsys):
    small = tmp_path / "small.csv"
    small.write_text("id,answer,score\n" + "".join(f"s{i},The pump uses ATP.,{i % 10}\n" for i in range(12)))
    out_path = tmp_path / "cal.json"
    code, _, err = run(["calibrate", str(SEED), str(small), "-o", str(out_path)], capsys)
    assert code == 2 and "calibrate needs at least 20" in err
    assert not out_path.exists()


def test_cli_batch_with_calibration(tmp_path, capsys, lenient):
    path = tmp_path / "cal.json"
    lenient.calibration.save(path)
    answers = tmp_path / "class.csv"
    answers.write_text(
        "id,answer\n"
        'a,"The pump uses ATP to move 3 Na+ out and 2 K+ in, so there is more sodium outside."\n'
        'b,"Sodium channels open and the neuron depolarizes."\n'
    )
    out = tmp_path / "scores.csv"
    code, _, err = run(
        ["batch", str(SEED), str(answers), "-o", str(out), "--calibration", str(path), "-q"], capsys
    )
    assert code == 0, err
    records = [json.loads(line) for line in out.with_suffix(".jsonl").read_text().splitlines()]
    assert [r["calibrated"] for r in records] == [True, True]
    code, _, err = run(
        ["batch", str(SEED.parent), str(answers), "-o", str(out), "--calibration", str(path), "-q"], capsys
    )
    assert code == 2 and "--calibration belongs to one rubric" in err


def test_fingerprint_follows_the_content(fitted):
    cal = fitted.calibration
    assert cal.fingerprint == cal.fingerprint and len(cal.fingerprint) == 16
    other = type(cal)(cal.rubric_id, cal.rubric_hash, cal.names, cal.estimator, cal.n_answers + 1, cal.cv)
    assert other.fingerprint != cal.fingerprint
