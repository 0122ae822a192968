"""Calibration chooses its model by cross-validation: synthetic teachers who grade like the
rubric or differ from it in known ways, the selection rule, every model's contract, its
JSON round trip and tampered files.

The answers here are Feedback rows built directly from what was credited (the rubric's
score computed as the checker computes it), so no spaCy parse is needed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import grader.calibration as cal
import grader.calibration.fitting as fitting
import grader.calibration.models as models
import grader.calibration.store as store
from grader.calibration import (
    KEY_ELEMENTS,
    Calibration,
    CalibrationError,
    CVScore,
    IdentityCalibrator,
    MonotoneCalibrator,
    OrdinalLogistic,
    ScoreCalibrator,
    calibrate,
    choose,
    feature_matrix,
    feature_names,
    features,
    load_calibration,
)
from grader.evaluate import ScoredAnswer, ScoredSet
from grader.feedback import ConceptResult, Feedback, LinkResult, MisconceptionResult
from grader.rubric import Rubric, parse_rubric
from grader.scoring import score as rubric_score


def _concepts(ids: str) -> str:
    return "".join(f"  - {{id: {c}, label: Point {c.upper()}, phrases: [{c} word]}}\n" for c in ids)


_HEAD = "title: Synthetic\nprompt: Explain.\nconcepts:\n"
_WRONG = "misconceptions:\n  - {id: wrong, phrases: [wrong idea], feedback: Not so., penalty: 1}\n"

# five concepts argued as a chain of four links, a point each, 0-9 (like the membrane-potential rubric)
CHAIN = parse_rubric(
    "id: test/chain\n"
    + _HEAD
    + _concepts("abcde")
    + "links:\n"
    + "".join(f"  - {{from: {x}, to: {y}}}\n" for x, y in ("ab", "bc", "cd", "de"))
    + _WRONG
    + "scoring: {concept_points: 1, link_points: 1, max: 9}\n"
)
# four concepts and two links, capped at 4: links can stand in for a missing concept
CAPPED = parse_rubric(
    "id: test/capped\n"
    + _HEAD
    + _concepts("abcd")
    + "links:\n  - {from: a, to: b}\n  - {from: c, to: d}\n"
    + _WRONG
    + "scoring: {concept_points: 1, link_points: 1, max: 4}\n"
)
# six key elements on a 0-3 scale: one gives 1, two give 2, four give 3
KEYS = parse_rubric(
    "id: test/keys\n"
    + _HEAD
    + _concepts("abcdef")
    + _WRONG
    + "scoring:\n  key_elements: [a, b, c, d, e, f]\n  table: {1: 1, 2: 2, 4: 3}\n  max: 3\n"
)


def feedback(rubric: Rubric, concepts: set[str], links: set[str], misconceptions: set[str]) -> Feedback:
    """What the checker would report for an answer crediting these points."""
    return Feedback(
        rubric=rubric.id,
        pipeline="synthetic",
        score=rubric_score(rubric, concepts, links, misconceptions),
        max_score=rubric.max_score(),
        concepts=[
            ConceptResult(id=c.id, label=c.label, status="present" if c.id in concepts else "missing")
            for c in rubric.concepts
        ],
        links=[
            LinkResult(from_=lk.from_, to=lk.to, status="present" if lk.key in links else "missing")
            for lk in rubric.links
        ],
        misconceptions=[MisconceptionResult(id=m, feedback="Not so.") for m in sorted(misconceptions)],
        feedback=[],
    )


def students(rubric: Rubric, n: int, seed: int) -> list[Feedback]:
    """n answers, as many at each of the rubric's score levels, from students of every ability:
    a student of ability u states each concept with probability u and argues a link between
    two stated concepts with probability sqrt(u); three in ten state the misconception."""
    rng = np.random.default_rng(seed)
    by_level: dict[float, list[tuple[set[str], set[str], set[str]]]] = {}
    for _ in range(40 * n):
        u = rng.random()
        concepts = {c.id for c in rubric.concepts if rng.random() < u}
        links = {
            lk.key
            for lk in rubric.links
            if lk.from_ in concepts and lk.to in concepts and rng.random() < u**0.5
        }
        wrong = {"wrong"} if rng.random() < 0.3 else set()
        by_level.setdefault(rubric_score(rubric, concepts, links, wrong), []).append((concepts, links, wrong))
    levels = sorted(by_level)
    return [feedback(rubric, *by_level[levels[i % len(levels)]][i // len(levels)]) for i in range(n)]


Teacher = Callable[[Feedback, np.random.Generator], float]


def _slip(rng: np.random.Generator, score: float, top: float, rate: float = 0.1) -> float:
    """An honest teacher's slip: one level up or down, now and then."""
    r = rng.random()
    if r < rate / 2:
        return max(0.0, score - 1)
    if r < rate:
        return min(top, score + 1)
    return score


TEACHERS: dict[str, tuple[Rubric, Teacher]] = {
    "grades exactly like the rubric": (CHAIN, lambda fb, rng: fb.score),
    "slips a level either way, no bias": (CHAIN, lambda fb, rng: _slip(rng, fb.score, 9, 0.4)),
    "lenient by one level": (CHAIN, lambda fb, rng: min(9, fb.score + 1) if rng.random() < 0.8 else fb.score),
    "strict by one level": (CHAIN, lambda fb, rng: max(0, fb.score - 1) if rng.random() < 0.8 else fb.score),
    "a misconception costs four points": (
        CHAIN,
        lambda fb, rng: _slip(rng, max(0, fb.score - 3) if fb.misconceptions else fb.score, 9),
    ),
    "ignores links": (
        CAPPED,
        lambda fb, rng: _slip(rng, max(0, len(fb.credited_concepts) - len(fb.misconceptions)), 4),
    ),
    "strict thresholds on the key elements": (
        KEYS,
        # two elements for a 1, four for a 2, all six for a 3
        lambda fb, rng: _slip(rng, [0, 0, 1, 1, 2, 2, 3][len(fb.credited_concepts)], 3),
    ),
}


@cache
def teacher_case(name: str, n: int = 120, seed: int = 2) -> tuple[Rubric, ScoredSet, list[Feedback]]:
    rubric, teacher = TEACHERS[name]
    fbs = students(rubric, n, seed)
    rng = np.random.default_rng(seed + 1)
    scores = [float(teacher(fb, rng)) for fb in fbs]
    answers = [ScoredAnswer(f"s{i}", i + 2, f"answer {i}", s) for i, s in enumerate(scores)]
    return rubric, ScoredSet(name, answers, []), fbs


# --- which model for which teacher ----------------------------------------------------------

KIND_OF = {
    "identity": "identity",
    "monotone": "monotone",
    "monotone-key-elements": "monotone",
    "ridge": "ridge-correction",
    "logistic": "ordinal-logistic",
}


@pytest.mark.parametrize(
    "name,expected",
    [
        ("grades exactly like the rubric", {"identity"}),
        ("slips a level either way, no bias", {"identity"}),
        ("lenient by one level", {"monotone"}),
        ("strict by one level", {"monotone"}),
        ("a misconception costs four points", {"ridge", "logistic"}),
        ("ignores links", {"ridge", "logistic"}),
        ("strict thresholds on the key elements", {"monotone-key-elements"}),
    ],
)
def test_chooses_the_model_that_fits_the_teacher(name, expected):
    rubric, scored, fbs = teacher_case(name)
    result = calibrate(rubric, scored, fbs)
    assert result.chosen in expected, result.reason
    assert result.selection.chosen == result.chosen
    assert result.calibration.kind == KIND_OF[result.chosen]
    # calibrating never makes agreement worse, measured with the choice itself cross-validated
    b, a = result.before, result.after
    assert a.qwk >= b.qwk and a.exact >= b.exact - 0.02
    if expected == {"identity"}:
        assert (a.qwk, a.exact, a.adjacent) == (b.qwk, b.exact, b.adjacent)
        assert not result.helped and "no candidate was clearly better" in result.reason
    else:
        assert result.helped and a.qwk > b.qwk + 0.01 and a.exact > b.exact + 0.05
    # the fitted calibration rescores the answers it learned from as the estimator does
    X = feature_matrix(fbs, result.calibration.names, rubric)
    applied = [result.calibration.apply(fb).score for fb in fbs]
    assert applied == list(result.calibration.estimator.predict(X))


def test_strict_thresholds_are_read_off_the_key_elements():
    rubric, scored, fbs = teacher_case("strict thresholds on the key elements")
    est = calibrate(rubric, scored, fbs).calibration.estimator
    assert isinstance(est, MonotoneCalibrator)
    names = feature_names(rubric)
    assert names[est.column] == KEY_ELEMENTS
    row = np.zeros((7, len(names)))
    row[:, est.column] = np.arange(7)
    assert list(est.predict(row)) == [0, 0, 1, 1, 2, 2, 3]


def test_the_choice_is_deterministic():
    rubric, scored, fbs = teacher_case("ignores links")
    one, two = calibrate(rubric, scored, fbs), calibrate(rubric, scored, fbs)
    assert one.calibration.fingerprint == two.calibration.fingerprint
    assert one.reason == two.reason


def test_a_choice_that_fails_nested_cross_validation_gives_way(monkeypatch):
    rubric, scored, fbs = teacher_case("lenient by one level")

    def worse(cands, X, y, folds, seed):  # the procedure, cross-validated, scores far off
        return np.maximum(X[:, -1] - 2, 0), ["monotone"] * folds

    monkeypatch.setattr(fitting, "nested_out_of_fold", worse)
    result = calibrate(rubric, scored, fbs)
    assert result.chosen == "identity" and isinstance(result.calibration.estimator, IdentityCalibrator)
    assert "not when the choice itself was cross-validated" in result.reason
    assert result.after.qwk == result.before.qwk and result.after.exact == result.before.exact


# --- the selection rule ------------------------------------------------------------------

ORDER = ["identity", "monotone", "ridge", "logistic"]


def _scores(**figures: tuple[float, float]) -> dict[str, CVScore]:
    base = {
        "identity": (0.80, 0.60),
        "monotone": (0.80, 0.60),
        "ridge": (0.80, 0.60),
        "logistic": (0.80, 0.60),
    }
    base.update(figures)
    return {k: CVScore(qwk=q, exact=e, adjacent=0.9) for k, (q, e) in base.items()}


@pytest.mark.parametrize(
    "figures,chosen",
    [
        ({}, "identity"),  # all alike: the rubric's own scores
        ({"ridge": (0.83, 0.55)}, "identity"),  # QWK up, but 5 points of exact agreement lost
        ({"ridge": (0.83, 0.585)}, "ridge"),  # QWK up, 1.5 points lost: allowed
        ({"logistic": (0.815, 0.61)}, "identity"),  # neither QWK nor exact clearly better
        ({"ridge": (0.805, 0.66)}, "ridge"),  # as good a QWK, 6 more points exact
        ({"ridge": (0.79, 0.70)}, "identity"),  # more exact, but QWK lower
        ({"monotone": (0.83, 0.60), "logistic": (0.835, 0.63)}, "logistic"),  # near-tie: more exact wins
        ({"monotone": (0.83, 0.625), "logistic": (0.835, 0.63)}, "monotone"),  # tie in both: simpler
        ({"monotone": (0.83, 0.60), "logistic": (0.86, 0.60)}, "logistic"),  # clearly best QWK
    ],
)
def test_selection_rule(figures, chosen):
    name, reason = choose(ORDER, _scores(**figures))
    assert name == chosen, reason
    assert reason and "\n" not in reason


@pytest.mark.parametrize(
    "after,kept",
    [
        ((0.80, 0.60), False),  # no better: the rubric's scores stay
        ((0.81, 0.59), True),  # QWK up, a point of exact agreement lost
        ((0.799, 0.70), False),  # QWK lower, however many more exact
        ((0.80, 0.63), True),  # same QWK, more exact
        ((0.85, 0.57), False),  # 3 points of exact agreement lost
    ],
)
def test_a_choice_must_hold_up_in_nested_cross_validation(after, kept):
    before = SimpleNamespace(qwk=0.80, exact=0.60)
    assert cal.holds_up(SimpleNamespace(qwk=after[0], exact=after[1]), before) is kept


# --- every model: the estimator contract and plain data --------------------------------------


def _data(n: int = 80, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Columns: a link credited (0/1), a misconception stated (0/1), the rubric's score."""
    rng = np.random.default_rng(seed)
    link = rng.integers(0, 2, n)
    wrong = rng.integers(0, 2, n)
    raw = rng.integers(1, 5, n).astype(float)
    return np.column_stack([link, wrong, raw]), raw + 2 * link - wrong


MODELS = [
    (IdentityCalibrator, {"raw_column": 2}),
    (MonotoneCalibrator, {"column": 2}),
    (ScoreCalibrator, {"alphas": (1.0, 10.0), "raw_column": 2}),
    (OrdinalLogistic, {"alpha": 2.0, "max_iter": 300}),
]


@pytest.mark.parametrize("cls,params", MODELS, ids=[m[0].kind for m in MODELS])
def test_estimator_contract(cls, params):
    est = cls(**params)
    assert est.get_params() == params
    assert not [k for k in vars(est) if k.endswith("_")]  # __init__ only stores parameters
    with pytest.raises(NotFittedError):
        est.predict(np.zeros((1, 3)))
    X, y = _data()
    assert est.fit(X, y) is est
    assert {"levels_", "n_features_in_"} <= {k for k in vars(est) if k.endswith("_")}
    twin = clone(est)
    assert twin.get_params() == est.get_params() and not hasattr(twin, "levels_")
    with pytest.raises(ValueError, match="fitted with 3"):
        est.predict(np.zeros((1, 4)))
    predicted = est.predict(X + 3)  # beyond anything seen in training
    if cls is not IdentityCalibrator:
        assert set(predicted) <= set(y)  # always one of the teacher's levels


def test_the_feature_models_learn_how_the_teacher_weighs_points():
    X, y = _data()
    ridge = ScoreCalibrator().fit(X, y)
    assert ridge.coef_[0] == pytest.approx(2, abs=0.3) and ridge.coef_[1] == pytest.approx(-1, abs=0.3)
    assert ridge.predict(np.zeros((1, 3)))[0] == 0  # no evidence, no points: no intercept
    logistic = OrdinalLogistic(alpha=0.1).fit(X, y)
    assert (logistic.predict(X) == y).mean() > 0.95
    assert logistic.coef_[0] > 0 > logistic.coef_[1] and logistic.coef_[2] > 0
    assert np.all(np.diff(logistic.thresholds_) >= 0)
    # the rubric's score alone cannot say this teacher's score: a monotone map is only close
    assert (MonotoneCalibrator(column=2).fit(X, y).predict(X) == y).mean() < 0.6


def test_the_logistic_gradient_is_right():
    from scipy.optimize import approx_fprime

    rng = np.random.default_rng(1)
    Z, cls = rng.normal(size=(40, 3)), rng.integers(0, 4, 40)
    params = rng.normal(size=3 + 1 + 2) * 0.5
    _, grad = models._ordinal_loss(params, Z, cls, 4, 1.5)
    numeric = approx_fprime(params, lambda p: models._ordinal_loss(p, Z, cls, 4, 1.5)[0], 1e-6)
    assert np.allclose(grad, numeric, atol=1e-4)


@pytest.mark.parametrize("cls,params", MODELS, ids=[m[0].kind for m in MODELS])
def test_plain_data_round_trip(cls, params):
    X, y = _data()
    est = cls(**params).fit(X, y)
    data = json.loads(json.dumps(est.to_dict(), allow_nan=False))
    assert data["kind"] == cls.kind
    again = cal.model_from_dict(data)
    assert type(again) is cls
    assert {k: v for k, v in again.get_params().items() if k != "max_iter"} == {
        k: v for k, v in params.items() if k != "max_iter"
    }
    assert np.array_equal(again.predict(X), est.predict(X))
    with pytest.raises(ValueError, match="is not"):
        cls.from_dict({**data, "kind": "something-else"})


# --- saved files: every kind, old files, tampered ones -----------------------------------------


def _fitted(rubric: Rubric, model: str, tmp_path) -> tuple[Calibration, list[Feedback], object]:
    """A calibration of the given kind for a synthetic teacher, saved to a file."""
    fbs = students(rubric, 60, 0)
    names = feature_names(rubric)
    X = feature_matrix(fbs, names, rubric)
    y = np.array([min(rubric.max_score(), fb.score + 1) for fb in fbs])
    cand = {c.name: c for c in cal.candidates(names)}[model]
    est = cand.make().fit(X, y)
    cv = store._CVFigures(
        folds=5,
        qwk_before=0.5,
        qwk_after=0.6,
        exact_before=0.5,
        exact_after=0.6,
        adjacent_before=0.9,
        adjacent_after=0.9,
    )
    calibration = Calibration(rubric.id, rubric.content_hash, names, est, len(y), cv, None, rubric)
    path = tmp_path / "calibration.json"
    calibration.save(path)
    return calibration, fbs, path


KINDS = [
    (CHAIN, "identity"),
    (CHAIN, "monotone"),
    (KEYS, "monotone-key-elements"),
    (CHAIN, "ridge"),
    (KEYS, "logistic"),
]


@pytest.mark.parametrize("rubric,model", KINDS, ids=[k[1] for k in KINDS])
def test_every_kind_round_trips_through_its_file(tmp_path, rubric, model):
    calibration, fbs, path = _fitted(rubric, model, tmp_path)
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    loaded = load_calibration(path, rubric)
    assert type(loaded.estimator) is type(calibration.estimator)
    assert loaded.fingerprint == calibration.fingerprint
    assert [loaded.apply(fb).score for fb in fbs] == [calibration.apply(fb).score for fb in fbs]
    # a model that sets scores marks them; identity keeps the rubric's and marks nothing
    assert all(loaded.apply(fb).calibrated == (model != "identity") for fb in fbs[:3])


def _tamper(path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _set(key, value):
    return lambda d: d["model"].__setitem__(key, value)


@pytest.mark.parametrize(
    "rubric,model,change,message",
    [
        (CHAIN, "identity", _set("kind", "pickle"), "unknown model kind 'pickle'"),
        (CHAIN, "identity", _set("raw_column", 99), "raw_column 99 is outside the"),
        (CHAIN, "identity", _set("levels", []), "model.levels"),
        (CHAIN, "identity", _set("levels", [3, 1, 2]), "levels must be increasing"),
        (CHAIN, "identity", _set("n_features", "15"), "model.n_features"),
        (CHAIN, "monotone", lambda d: d["model"]["x"].reverse(), "x must not decrease"),
        (CHAIN, "monotone", lambda d: d["model"]["y"].pop(), "they go in pairs"),
        (CHAIN, "monotone", _set("code", "__import__('os')"), "model.code: Extra inputs"),
        (CHAIN, "ridge", lambda d: d["model"].__setitem__("coef", d["model"]["coef"][:3]), "outside the 3"),
        (CHAIN, "ridge", lambda d: d["model"]["coef"].__setitem__(0, "1.0"), "model.coef.0"),
        (CHAIN, "ridge", lambda d: d["model"].pop("alpha"), "model.alpha: Field required"),
        (KEYS, "logistic", lambda d: d["model"]["thresholds"].reverse(), "thresholds must not decrease"),
        (KEYS, "logistic", lambda d: d["model"]["thresholds"].pop(), "levels need"),
        (KEYS, "logistic", lambda d: d.__setitem__("features", d["features"][::-1]), "features do not match"),
        (KEYS, "logistic", lambda d: d.__setitem__("rubric_hash", "0" * 64), "another version of rubric"),
        (KEYS, "logistic", lambda d: d.__setitem__("extra", 1), "damaged calibration file (extra"),
        (KEYS, "logistic", lambda d: d.__setitem__("format_version", 3), "format version 3 is not one"),
        (KEYS, "logistic", lambda d: d.__setitem__("model", [1, 2]), "damaged calibration file"),
    ],
)
def test_refuses_tampered_files(tmp_path, rubric, model, change, message):
    _, _, path = _fitted(rubric, model, tmp_path)
    _tamper(path, change)
    with pytest.raises(CalibrationError) as info:
        load_calibration(path, rubric)
    text = str(info.value)
    assert message in text and "\n" not in text and text.startswith(str(path))


def test_refuses_a_number_that_is_not_finite(tmp_path):
    _, _, path = _fitted(CHAIN, "monotone", tmp_path)
    path.write_text(path.read_text().replace('"y": [', '"y": [NaN, ', 1).replace('"x": [', '"x": [0, ', 1))
    with pytest.raises(CalibrationError, match="model.y"):
        load_calibration(path, CHAIN)


@pytest.mark.parametrize("rubric", [CHAIN, KEYS], ids=["points", "key-elements"])
def test_files_of_format_version_1_still_load(tmp_path, rubric):
    """Version 1 held a ridge correction, without the key-element count and the selection."""
    fbs = students(rubric, 60, 0)
    names = [n for n in feature_names(rubric) if n != KEY_ELEMENTS]
    X = feature_matrix(fbs, names, rubric)
    y = np.array([min(rubric.max_score(), fb.score + 1) for fb in fbs])
    est = ScoreCalibrator().fit(X, y)
    old = {
        "format": "grader-calibration",
        "format_version": 1,
        "rubric": rubric.id,
        "rubric_hash": rubric.content_hash,
        "created_with": "grader 0.1.0",
        "n_answers": len(y),
        "features": names,
        "model": {k: v for k, v in est.to_dict().items()},
        "cross_validation": {
            "folds": 5,
            "qwk_before": 0.8,
            "qwk_after": 0.85,
            "exact_before": 0.5,
            "exact_after": 0.6,
            "adjacent_before": 0.9,
            "adjacent_after": 0.95,
        },
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    loaded = load_calibration(path, rubric)
    assert isinstance(loaded.estimator, ScoreCalibrator) and loaded.selection is None
    assert [loaded.apply(fb).score for fb in fbs] == list(est.predict(X))


def test_the_key_element_count_needs_the_rubric():
    fb = students(KEYS, 10, 0)[-1]
    names = feature_names(KEYS)
    assert features(fb, names, KEYS)[names.index(KEY_ELEMENTS)] == len(fb.credited_concepts)
    with pytest.raises(CalibrationError, match="no key-element rubric was given"):
        features(fb, names)
