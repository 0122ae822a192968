"""Calibration: learn how one teacher turns rubric evidence into scores.

The checker scores as the rubric declares. A teacher may grade differently:
more leniently or strictly by a level, by other thresholds on a key-element
scale, or weighing points differently (a missing link costs little, a
misconception costs a lot). From their scored answers, calibrate tries a few
candidate models and keeps the one that cross-validation says is closest to
the teacher, and the rubric's own scores (``identity``) unless another is
clearly better:

- ``identity``: the rubric's score, unchanged (the safe default);
- ``monotone``: the rubric's score (or, on a key-element rubric, the number of
  key elements found) mapped to the teacher's levels by isotonic regression;
- ``ridge-correction``: a ridge regression of how far the teacher's score lies
  from the rubric's, given the evidence;
- ``ordinal-logistic``: a regularized proportional-odds model of the teacher's
  level from the evidence.

Every model follows scikit-learn's estimator contract and is saved as plain
JSON (never pickle: a shared file must not be able to run code), tied to the
rubric's id and content hash so it is never applied to another version of the
rubric, and validated field by field when it is read back.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y
from threadpoolctl import threadpool_limits

from . import __version__
from .errors import GraderError
from .evaluate import Agreement, ScoredSet
from .feedback import Feedback
from .rubric import Rubric
from .scoring import count_key_elements

FORMAT = "grader-calibration"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1 files hold a ridge correction and still load
MIN_ANSWERS = 20
CV_FOLDS = 5
CV_REPEATS = 3  # the candidates are compared on 3 differently shuffled 5-fold splits
CV_SEED = 0
ALPHAS = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
LOGISTIC_ALPHA = 3.0
# the selection rule: see choose()
NEAR_TIE_QWK = 0.01
NEAR_TIE_EXACT = 0.01
CLEAR_QWK_GAIN = 0.02
MAX_EXACT_LOSS = 0.02
CLEAR_EXACT_GAIN = 0.05

RAW = "raw_score"
KEY_ELEMENTS = "count:key_elements"


class CalibrationError(GraderError):
    """A calibration that cannot be made, read, or used with this rubric."""


# --- features -----------------------------------------------------------------------


def feature_names(rubric: Rubric) -> list[str]:
    """What the models see of a Feedback, by name (the names are saved with the calibration)."""
    return [
        *(f"concept:{c.id}" for c in rubric.concepts),
        *(f"link:{lk.key}" for lk in rubric.links),
        *(f"misconception:{m.id}" for m in rubric.misconceptions),
        "count:concepts",
        "count:links",
        "count:misconceptions",
        "count:negated",
        *([KEY_ELEMENTS] if rubric.scoring.key_elements is not None else []),
        RAW,
    ]


def features(feedback: Feedback, names: Sequence[str], rubric: Rubric | None = None) -> list[float]:
    """One row of the feature matrix; `rubric` is needed for the key-element count."""
    concepts = set(feedback.credited_concepts)
    links = set(feedback.credited_links)
    misconceptions = set(feedback.misconception_ids)
    counts = {
        "count:concepts": len(concepts),
        "count:links": len(links),
        "count:misconceptions": len(misconceptions),
        "count:negated": sum(1 for c in feedback.concepts if c.status == "negated"),
        RAW: feedback.score,
    }
    row = []
    for name in names:
        kind, _, key = name.partition(":")
        if name in counts:
            row.append(float(counts[name]))
        elif name == KEY_ELEMENTS:
            if rubric is None or rubric.scoring.key_elements is None:
                raise CalibrationError(
                    "this calibration counts key elements, but no key-element rubric was given; "
                    "run grader calibrate again"
                )
            row.append(float(count_key_elements(rubric, concepts, links)))
        elif kind == "concept":
            row.append(float(key in concepts))
        elif kind == "link":
            row.append(float(key in links))
        elif kind == "misconception":
            row.append(float(key in misconceptions))
        else:
            raise CalibrationError(f"unknown calibration feature '{name}'; run grader calibrate again")
    return row


def feature_matrix(
    feedbacks: Sequence[Feedback], names: Sequence[str], rubric: Rubric | None = None
) -> np.ndarray:
    return np.array([features(fb, names, rubric) for fb in feedbacks], dtype=float).reshape(
        len(feedbacks), len(names)
    )


# --- the candidate models -----------------------------------------------------------


class _Spec(BaseModel):
    """How one kind of model is saved; reading it back validates every field."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    levels: list[float] = Field(min_length=1)

    @model_validator(mode="after")
    def _levels_increase(self) -> _Spec:
        if any(b <= a for a, b in zip(self.levels, self.levels[1:], strict=False)):
            raise ValueError("levels must be increasing")
        return self


def _in_range(column: int, n_features: int, what: str = "column") -> None:
    if not -n_features <= column < n_features:
        raise ValueError(f"{what} {column} is outside the {n_features} features")


class _LevelModel(RegressorMixin, BaseEstimator):
    """What the candidates share: predictions are score levels the teacher used."""

    kind: ClassVar[str]
    spec: ClassVar[type[_Spec]]

    def _start_fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        X, y = check_X_y(X, y, dtype=float, y_numeric=True)
        self.n_features_in_ = X.shape[1]
        self.levels_ = np.unique(y).astype(float)
        return X, y

    def _checked(self, X: Any) -> np.ndarray:
        check_is_fitted(self, ["levels_", "n_features_in_"])
        X = check_array(X, dtype=float)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features; the model was fitted with {self.n_features_in_}")
        return X

    def _snap(self, estimate: np.ndarray) -> np.ndarray:
        nearest = np.abs(estimate[:, None] - self.levels_[None, :]).argmin(axis=1)
        return self.levels_[nearest]

    def to_dict(self) -> dict[str, Any]:
        check_is_fitted(self, ["levels_", "n_features_in_"])
        return {"kind": self.kind, **self._dict(), "levels": self.levels_.tolist()}

    def _dict(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        """Rebuild a fitted model from `to_dict`'s plain data; ValueError naming the bad field."""
        if not isinstance(data, dict) or data.get("kind") != cls.kind:
            kind = data.get("kind") if isinstance(data, dict) else None
            raise ValueError(f"model kind {kind!r} is not {cls.kind!r}")
        body = {k: v for k, v in data.items() if k != "kind"}
        try:
            spec = cls.spec.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            msg = first["msg"].removeprefix("Value error, ")
            raise ValueError(f"model.{where}: {msg}" if where else f"model: {msg}") from None
        est = cls._from_spec(spec)
        est.levels_ = np.asarray(spec.levels, dtype=float)
        return est

    @classmethod
    def _from_spec(cls, spec: Any) -> Any:
        raise NotImplementedError


# identity ---------------------------------------------------------------------------


class _IdentitySpec(_Spec):
    raw_column: int
    n_features: int = Field(ge=1)

    @model_validator(mode="after")
    def _column_fits(self) -> _IdentitySpec:
        _in_range(self.raw_column, self.n_features, "raw_column")
        return self


class IdentityCalibrator(_LevelModel):
    """The rubric's own score, unchanged: what every other candidate must clearly beat.

    Parameters
    ----------
    raw_column : int
        Index of the rubric's own score among the features.
    """

    kind = "identity"
    spec = _IdentitySpec

    def __init__(self, raw_column: int = -1):
        self.raw_column = raw_column

    def fit(self, X: Any, y: Any) -> IdentityCalibrator:
        X, _ = self._start_fit(X, y)
        _in_range(self.raw_column, X.shape[1], "raw_column")
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self._checked(X)[:, self.raw_column].copy()

    def _dict(self) -> dict[str, Any]:
        return {"raw_column": self.raw_column, "n_features": self.n_features_in_}

    @classmethod
    def _from_spec(cls, spec: _IdentitySpec) -> IdentityCalibrator:
        est = cls(raw_column=spec.raw_column)
        est.n_features_in_ = spec.n_features
        return est


# monotone mapping ---------------------------------------------------------------------


class _MonotoneSpec(_Spec):
    column: int
    n_features: int = Field(ge=1)
    x: list[float] = Field(min_length=1)
    y: list[float] = Field(min_length=1)

    @model_validator(mode="after")
    def _a_monotone_map(self) -> _MonotoneSpec:
        _in_range(self.column, self.n_features)
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} numbers and y {len(self.y)}; they go in pairs")
        for name, values in (("x", self.x), ("y", self.y)):
            if any(b < a for a, b in zip(values, values[1:], strict=False)):
                raise ValueError(f"{name} must not decrease")
        return self


class MonotoneCalibrator(_LevelModel):
    """A non-decreasing map from one feature to the teacher's levels.

    Isotonic regression of the teacher's score on the feature in ``column``
    (the rubric's score, or the number of key elements found), interpolated
    between the values seen, flat beyond them, and snapped to the nearest
    level the teacher used. It captures a teacher who grades more leniently
    or more strictly than the rubric, or by other thresholds on its scale.
    Saved as the (x, y) breakpoints.

    Parameters
    ----------
    column : int
        Index of the feature to map.
    """

    kind = "monotone"
    spec = _MonotoneSpec

    def __init__(self, column: int = -1):
        self.column = column

    def fit(self, X: Any, y: Any) -> MonotoneCalibrator:
        X, y = self._start_fit(X, y)
        _in_range(self.column, X.shape[1])
        iso = IsotonicRegression(out_of_bounds="clip").fit(X[:, self.column], y)
        self.x_ = np.asarray(iso.X_thresholds_, dtype=float)
        self.y_ = np.asarray(iso.y_thresholds_, dtype=float)
        return self

    def predict(self, X: Any) -> np.ndarray:
        X = self._checked(X)
        return self._snap(np.interp(X[:, self.column], self.x_, self.y_))

    def _dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "n_features": self.n_features_in_,
            "x": self.x_.tolist(),
            "y": self.y_.tolist(),
        }

    @classmethod
    def _from_spec(cls, spec: _MonotoneSpec) -> MonotoneCalibrator:
        est = cls(column=spec.column)
        est.n_features_in_ = spec.n_features
        est.x_ = np.asarray(spec.x, dtype=float)
        est.y_ = np.asarray(spec.y, dtype=float)
        return est


# ridge correction ---------------------------------------------------------------------


class _RidgeSpec(_Spec):
    alphas: list[float] = Field(min_length=1)
    alpha: float = Field(ge=0)
    raw_column: int
    coef: list[float] = Field(min_length=1)

    @model_validator(mode="after")
    def _column_fits(self) -> _RidgeSpec:
        _in_range(self.raw_column, len(self.coef), "raw_column")
        return self


class ScoreCalibrator(_LevelModel):
    """A regularized correction of the rubric's score toward one teacher's scores.

    Ridge regression learns how far the teacher's score lies from the rubric's
    score (the column ``raw_column`` of X), given the evidence; the
    regularization strength is chosen by leave-one-out cross-validation from
    ``alphas``. The prediction is the rubric's score plus that correction,
    snapped to the nearest score level the teacher used. The correction has no
    intercept, so an answer with no evidence keeps its score (an empty answer
    stays 0), and with little data it shrinks toward zero: the rubric's own
    scoring is the fallback, not the average score.

    Parameters
    ----------
    alphas : tuple of float
        Candidate ridge penalties.
    raw_column : int
        Index of the rubric's own score among the features.
    """

    kind = "ridge-correction"
    spec = _RidgeSpec

    def __init__(self, alphas: tuple[float, ...] = ALPHAS, raw_column: int = -1):
        self.alphas = alphas
        self.raw_column = raw_column

    def fit(self, X: Any, y: Any) -> ScoreCalibrator:
        X, y = self._start_fit(X, y)
        _in_range(self.raw_column, X.shape[1], "raw_column")
        model = RidgeCV(alphas=list(self.alphas), fit_intercept=False)
        model.fit(X, y - X[:, self.raw_column])
        self.alpha_ = float(model.alpha_)
        self.coef_ = np.asarray(model.coef_, dtype=float)
        return self

    def correction(self, X: Any) -> np.ndarray:
        """How many points the teacher would add to (or take from) the rubric's score."""
        return self._checked(X) @ self.coef_

    def predict(self, X: Any) -> np.ndarray:
        X = self._checked(X)
        return self._snap(X[:, self.raw_column] + X @ self.coef_)

    def _dict(self) -> dict[str, Any]:
        return {
            "alphas": [float(a) for a in self.alphas],
            "alpha": self.alpha_,
            "raw_column": self.raw_column,
            "coef": self.coef_.tolist(),
        }

    @classmethod
    def _from_spec(cls, spec: _RidgeSpec) -> ScoreCalibrator:
        est = cls(alphas=tuple(spec.alphas), raw_column=spec.raw_column)
        est.alpha_ = spec.alpha
        est.coef_ = np.asarray(spec.coef, dtype=float)
        est.n_features_in_ = len(est.coef_)
        return est


# ordinal logistic ---------------------------------------------------------------------


class _OrdinalSpec(_Spec):
    alpha: float = Field(ge=0)
    coef: list[float] = Field(min_length=1)
    thresholds: list[float]

    @model_validator(mode="after")
    def _thresholds_fit(self) -> _OrdinalSpec:
        if len(self.thresholds) != len(self.levels) - 1:
            raise ValueError(
                f"{len(self.levels)} levels need {len(self.levels) - 1} thresholds, "
                f"not {len(self.thresholds)}"
            )
        if any(b < a for a, b in zip(self.thresholds, self.thresholds[1:], strict=False)):
            raise ValueError("thresholds must not decrease")
        return self


class OrdinalLogistic(_LevelModel):
    """A regularized proportional-odds (ordinal logistic) model of the teacher's level.

    The teacher's level is modelled from a weighted sum of the evidence,
    ``eta = X @ coef_``, with P(level <= k) = sigmoid(thresholds_[k] - eta); the
    weights carry an L2 penalty ``alpha`` on standardized features. It predicts
    the median level: the number of thresholds below eta picks it. One weight
    per feature and one threshold per level, so it learns from a few dozen
    answers how a teacher weighs each point. Saved as the weights and
    thresholds on the raw features.

    Parameters
    ----------
    alpha : float
        L2 penalty on the weights of the standardized features.
    max_iter : int
        Iterations of the optimizer (L-BFGS).
    """

    kind = "ordinal-logistic"
    spec = _OrdinalSpec

    def __init__(self, alpha: float = LOGISTIC_ALPHA, max_iter: int = 500):
        self.alpha = alpha
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any) -> OrdinalLogistic:
        X, y = self._start_fit(X, y)
        n, p = X.shape
        k = len(self.levels_)
        mean = X.mean(axis=0)
        scale = X.std(axis=0)
        scale[scale == 0] = 1.0
        Z = (X - mean) / scale
        cls = np.searchsorted(self.levels_, y)
        if k == 1:
            w, theta = np.zeros(p), np.zeros(0)
        else:
            cum = np.cumsum(np.bincount(cls, minlength=k))[:-1] / n
            start = np.log(cum / (1 - cum))
            steps = np.log(np.maximum(np.diff(start), 1e-3))
            x0 = np.concatenate([np.zeros(p), start[:1], steps])
            # tiny problems: BLAS threads only wait on each other (tens of times slower on 2 cores)
            with threadpool_limits(limits=1, user_api="blas"):
                result = minimize(
                    _ordinal_loss,
                    x0,
                    args=(Z, cls, k, float(self.alpha)),
                    jac=True,
                    method="L-BFGS-B",
                    options={"maxiter": self.max_iter},
                )
            w, theta = _unpack(result.x, p)
        # back to the raw features: eta = X @ (w / scale) - sum(w * mean / scale)
        self.coef_ = w / scale
        self.thresholds_ = theta + float(np.sum(w * mean / scale))
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """The weighted evidence eta; the level is the number of thresholds below it."""
        return self._checked(X) @ self.coef_

    def predict(self, X: Any) -> np.ndarray:
        eta = self.decision_function(X)
        return self.levels_[np.searchsorted(self.thresholds_, eta, side="left")]

    def _dict(self) -> dict[str, Any]:
        return {
            "alpha": float(self.alpha),
            "coef": self.coef_.tolist(),
            "thresholds": self.thresholds_.tolist(),
        }

    @classmethod
    def _from_spec(cls, spec: _OrdinalSpec) -> OrdinalLogistic:
        est = cls(alpha=spec.alpha)
        est.coef_ = np.asarray(spec.coef, dtype=float)
        est.thresholds_ = np.asarray(spec.thresholds, dtype=float)
        est.n_features_in_ = len(est.coef_)
        return est


def _unpack(params: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights, and thresholds kept increasing: the first, then positive steps (as logs)."""
    w = params[:p]
    theta = params[p] + np.concatenate([[0.0], np.cumsum(np.exp(np.clip(params[p + 1 :], -30, 30)))])
    return w, theta


def _ordinal_loss(
    params: np.ndarray, Z: np.ndarray, cls: np.ndarray, k: int, alpha: float
) -> tuple[float, np.ndarray]:
    """Penalized negative log-likelihood of the proportional-odds model, and its gradient."""
    p = Z.shape[1]
    w, theta = _unpack(params, p)
    eta = Z @ w
    edges = np.concatenate([[-np.inf], theta, [np.inf]])
    upper, lower = edges[cls + 1] - eta, edges[cls] - eta
    f_up, f_low = expit(upper), expit(lower)
    prob = np.maximum(f_up - f_low, 1e-12)
    d_up, d_low = f_up * (1 - f_up), f_low * (1 - f_low)
    loss = -float(np.sum(np.log(prob))) + 0.5 * alpha * float(w @ w)
    g_eta = (d_up - d_low) / prob
    g_w = Z.T @ g_eta + alpha * w
    g_edges = np.zeros(k + 1)
    np.add.at(g_edges, cls + 1, -d_up / prob)
    np.add.at(g_edges, cls, d_low / prob)
    g_theta = g_edges[1:-1]
    tail = np.cumsum(g_theta[::-1])[::-1]  # d loss / d theta_j summed over j >= m
    g_steps = np.exp(np.clip(params[p + 1 :], -30, 30)) * tail[1:]
    return loss, np.concatenate([g_w, [g_theta.sum()], g_steps])


CalibrationModel = IdentityCalibrator | MonotoneCalibrator | ScoreCalibrator | OrdinalLogistic
MODEL_KINDS: dict[str, type[_LevelModel]] = {
    m.kind: m for m in (IdentityCalibrator, MonotoneCalibrator, ScoreCalibrator, OrdinalLogistic)
}


def model_from_dict(data: Any) -> CalibrationModel:
    """Any saved model, by its kind; ValueError naming what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("model: not an object")
    kind = data.get("kind")
    if kind not in MODEL_KINDS:
        raise ValueError(f"model.kind: unknown model kind {kind!r} (known: {', '.join(MODEL_KINDS)})")
    model: CalibrationModel = MODEL_KINDS[kind].from_dict(data)
    return model


# --- choosing a model by cross-validation -----------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A model calibrate may choose: its name in the output, a description, and a factory."""

    name: str
    label: str
    make: Callable[[], CalibrationModel]


def candidates(names: Sequence[str]) -> list[Candidate]:
    """The candidates for these features, simplest first (near-ties go to the simpler)."""
    raw = list(names).index(RAW)
    found = [
        Candidate("identity", "the rubric's own scores", lambda: IdentityCalibrator(raw_column=raw)),
        Candidate(
            "monotone",
            "a monotone map from the rubric's score to your levels",
            lambda: MonotoneCalibrator(column=raw),
        ),
    ]
    if KEY_ELEMENTS in names:
        ke = list(names).index(KEY_ELEMENTS)
        found.append(
            Candidate(
                "monotone-key-elements",
                "a monotone map from the key elements found to your levels",
                lambda: MonotoneCalibrator(column=ke),
            )
        )
    found += [
        Candidate(
            "ridge",
            "a ridge correction of the rubric's score from the evidence",
            lambda: ScoreCalibrator(raw_column=raw),
        ),
        Candidate(
            "logistic",
            "an ordinal logistic model of your levels from the evidence",
            lambda: OrdinalLogistic(),
        ),
    ]
    return found


@dataclass(frozen=True)
class CVScore:
    """A candidate's agreement with the teacher, out of fold, averaged over the repeats."""

    qwk: float
    exact: float
    adjacent: float

    @classmethod
    def of(cls, truth: np.ndarray, predictions: Sequence[np.ndarray]) -> CVScore:
        figures = [Agreement.of(list(truth), [float(v) for v in pred]) for pred in predictions]
        return cls(
            qwk=float(np.mean([a.qwk if a.qwk is not None else 0.0 for a in figures])),
            exact=float(np.mean([a.exact or 0.0 for a in figures])),
            adjacent=float(np.mean([a.adjacent or 0.0 for a in figures])),
        )


def splits(n: int, folds: int = CV_FOLDS, repeats: int = 1, seed: int = CV_SEED) -> list[list[Any]]:
    """Deterministic shuffled K-fold splits, one list of (train, test) per repeat."""
    return [
        list(KFold(n_splits=min(folds, n), shuffle=True, random_state=seed + r).split(np.zeros(n)))
        for r in range(repeats)
    ]


def out_of_fold(candidate: Candidate, X: np.ndarray, y: np.ndarray, repeat: list[Any]) -> np.ndarray:
    """Each answer scored by the candidate fitted without it."""
    oof = np.empty(len(y))
    for train, test in repeat:
        oof[test] = candidate.make().fit(X[train], y[train]).predict(X[test])
    return oof


def score_candidates(
    cands: Sequence[Candidate], X: np.ndarray, y: np.ndarray, repeats: list[list[Any]]
) -> dict[str, CVScore]:
    """Every candidate on the same splits, so they are compared answer for answer."""
    return {c.name: CVScore.of(y, [out_of_fold(c, X, y, rep) for rep in repeats]) for c in cands}


def clearly_better(c: CVScore, base: CVScore) -> bool:
    """+0.02 QWK without losing more than 2 points of exact agreement, or as good a QWK
    with 5 more points of exact agreement."""
    gain, exact_change = c.qwk - base.qwk, c.exact - base.exact
    return (gain >= CLEAR_QWK_GAIN - 1e-9 and exact_change >= -MAX_EXACT_LOSS - 1e-9) or (
        gain >= -1e-9 and exact_change >= CLEAR_EXACT_GAIN - 1e-9
    )


def choose(order: Sequence[str], scores: dict[str, CVScore]) -> tuple[str, str]:
    """The candidate to keep, and why.

    `identity` stays unless a candidate is clearly better than it (see
    `clearly_better`); among those that are, the best QWK wins, a near-tie
    (within 0.01) goes to the better exact agreement, and a near-tie in both
    (exact within 1 point) to the simpler model.
    """
    base = scores["identity"]
    better = [c for c in order if c != "identity" and clearly_better(scores[c], base)]
    if not better:
        others = [c for c in order if c != "identity"]
        if not others:
            return "identity", "no other candidate"
        best = max(others, key=lambda c: (scores[c].qwk, scores[c].exact, -order.index(c)))
        s = scores[best]
        return "identity", (
            f"no candidate was clearly better than the rubric's own scores (the best, {best}, "
            f"QWK {s.qwk - base.qwk:+.3f}, exact {100 * (s.exact - base.exact):+.1f} points; "
            f"a change needs +{CLEAR_QWK_GAIN:.2f} QWK without losing more than "
            f"{100 * MAX_EXACT_LOSS:.0f} points of exact agreement, or as good a QWK with "
            f"{100 * CLEAR_EXACT_GAIN:.0f} more points of exact agreement)"
        )
    top = max(scores[c].qwk for c in better)
    near = [c for c in better if scores[c].qwk >= top - NEAR_TIE_QWK - 1e-9]
    best_exact = max(scores[c].exact for c in near)
    tied = [c for c in near if scores[c].exact >= best_exact - NEAR_TIE_EXACT - 1e-9]
    chosen = min(tied, key=order.index)  # the simplest of those as good as the best
    s = scores[chosen]
    why = (
        f"cross-validated QWK {s.qwk:.3f} against {base.qwk:.3f} for the rubric's own scores, "
        f"exact agreement {100 * s.exact:.1f}% against {100 * base.exact:.1f}%"
    )
    rivals = [c for c in near if c != chosen]
    if rivals:
        why += f"; {', '.join(rivals)} within {NEAR_TIE_QWK:.2f} QWK: " + (
            "it is the simplest of those matching as many of your scores exactly"
            if len(tied) > 1
            else "it matches more of your scores exactly"
        )
    return chosen, why


def select(
    cands: Sequence[Candidate], X: np.ndarray, y: np.ndarray, folds: int, repeats: int, seed: int
) -> tuple[str, str, dict[str, CVScore]]:
    scores = score_candidates(cands, X, y, splits(len(y), folds, repeats, seed))
    chosen, why = choose([c.name for c in cands], scores)
    return chosen, why, scores


def nested_out_of_fold(
    cands: Sequence[Candidate], X: np.ndarray, y: np.ndarray, folds: int = CV_FOLDS, seed: int = CV_SEED
) -> tuple[np.ndarray, list[str]]:
    """The whole procedure cross-validated: in each outer fold the choice among the
    candidates is made on the other answers alone (one shuffled K-fold split of them),
    and the chosen model, fitted on them, scores the held-out answers."""
    by_name = {c.name: c for c in cands}
    oof = np.empty(len(y))
    picked = []
    for train, test in splits(len(y), folds, 1, seed + 1000)[0]:
        name, _, _ = select(cands, X[train], y[train], folds, 1, seed)
        picked.append(name)
        oof[test] = by_name[name].make().fit(X[train], y[train]).predict(X[test])
    return oof, picked


# --- the saved file -----------------------------------------------------------------


class _CVFigures(BaseModel):
    folds: int
    qwk_before: float | None
    qwk_after: float | None
    exact_before: float | None
    exact_after: float | None
    adjacent_before: float | None
    adjacent_after: float | None


class _CandidateFigures(BaseModel):
    name: str
    label: str
    qwk: float
    exact: float
    adjacent: float


class _Selection(BaseModel):
    """Which model calibrate chose, why, and every candidate's cross-validated figures."""

    chosen: str
    label: str
    reason: str
    folds: int
    repeats: int
    seed: int
    candidates: list[_CandidateFigures]
    nested_choices: list[str] = Field(default_factory=list)  # the choice made in each outer fold


class CalibrationFile(BaseModel):
    """The JSON saved by `grader calibrate`."""

    model_config = ConfigDict(extra="forbid")

    format: str
    format_version: int
    rubric: str
    rubric_hash: str
    created_with: str
    n_answers: int
    features: list[str]
    model: dict[str, Any]
    cross_validation: _CVFigures
    selection: _Selection | None = None  # files of format version 1 have none


@dataclass
class Calibration:
    """A fitted calibration for one rubric version; `apply` rescores a Feedback."""

    rubric_id: str
    rubric_hash: str
    names: list[str]
    estimator: CalibrationModel
    n_answers: int
    cv: _CVFigures
    selection: _Selection | None = None
    rubric: Rubric | None = None  # counts key elements when a feature needs it

    @property
    def kind(self) -> str:
        return self.estimator.kind

    @property
    def fingerprint(self) -> str:
        """Identifies this calibration's content (grader batch reuses records scored with it)."""
        blob = json.dumps(self.to_file().model_dump(exclude={"created_with"}), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def apply(self, feedback: Feedback) -> Feedback:
        row = np.array([features(feedback, self.names, self.rubric)])
        score = float(self.estimator.predict(row)[0])
        return feedback.model_copy(update={"score": score, "calibrated": True})

    def to_file(self) -> CalibrationFile:
        return CalibrationFile(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            rubric=self.rubric_id,
            rubric_hash=self.rubric_hash,
            created_with=f"grader {__version__}",
            n_answers=self.n_answers,
            features=self.names,
            model=self.estimator.to_dict(),
            cross_validation=self.cv,
            selection=self.selection,
        )

    def save(self, path: str | Path) -> None:
        """Write the JSON next to its final name first, so a failure never leaves half a file."""
        path = Path(path)
        text = json.dumps(self.to_file().model_dump(), indent=2, allow_nan=False) + "\n"
        write_atomic(path, text)


def write_atomic(path: Path, text: str) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise GraderError(f"{path}: the folder {folder} does not exist; create it or choose another path")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_calibration(path: str | Path, rubric: Rubric) -> Calibration:
    """Read a calibration file; refuse one made for another rubric or another version of it."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalibrationError(f"{path}: no such calibration file; make one with grader calibrate") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CalibrationError(
            f"{path}: cannot read it ({exc}); give the JSON file grader calibrate wrote"
        ) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CalibrationError(
            f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); give the file grader calibrate wrote"
        ) from None
    except RecursionError:
        raise CalibrationError(
            f"{path}: not a grader calibration file; make one with grader calibrate"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CalibrationError(f"{path}: is not a grader calibration file; make one with grader calibrate")
    if data.get("format_version") not in READABLE_VERSIONS:
        raise CalibrationError(
            f"{path}: calibration format version {data.get('format_version')!r} is not one this grader "
            f"reads ({', '.join(map(str, READABLE_VERSIONS))}); run grader calibrate again"
        )
    try:
        saved = CalibrationFile.model_validate(data)
        estimator = model_from_dict(saved.model)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) + ": " + first["msg"]
        raise CalibrationError(
            f"{path}: damaged calibration file ({where}); run grader calibrate again"
        ) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise CalibrationError(
            f"{path}: damaged calibration file ({exc}); run grader calibrate again"
        ) from None
    if saved.rubric != rubric.id:
        raise CalibrationError(
            f"{path}: this calibration was made for rubric '{saved.rubric}', not '{rubric.id}'; "
            "give the calibration made for this rubric"
        )
    if saved.rubric_hash != rubric.content_hash:
        raise CalibrationError(
            f"{path}: this calibration was made for another version of rubric '{rubric.id}' "
            f"(version {saved.rubric_hash[:12]}, the rubric now is {rubric.content_hash[:12]}): "
            "its concepts, links, misconceptions or scoring changed since; "
            "run grader calibrate again with the current rubric"
        )
    if estimator.n_features_in_ != len(saved.features):
        raise CalibrationError(
            f"{path}: damaged calibration file (the model has {estimator.n_features_in_} weights for "
            f"{len(saved.features)} features); run grader calibrate again"
        )
    current = feature_names(rubric)
    # files of format version 1 predate the key-element count
    version_1 = [name for name in current if name != KEY_ELEMENTS]
    if saved.features not in (current, version_1):
        raise CalibrationError(f"{path}: its features do not match the rubric; run grader calibrate again")
    return Calibration(
        saved.rubric,
        saved.rubric_hash,
        saved.features,
        estimator,
        saved.n_answers,
        saved.cross_validation,
        saved.selection,
        rubric,
    )


# --- calibrating from scored answers ------------------------------------------------


def check_calibratable(scores: Sequence[float], rubric: Rubric, source: str) -> list[float]:
    """The score levels to learn; CalibrationError when there is too little to learn from."""
    n = len(scores)
    if n < MIN_ANSWERS:
        raise CalibrationError(
            f"{source}: {n} scored answer(s); calibrate needs at least {MIN_ANSWERS} "
            "(30 or more gives steadier results); score more answers first"
        )
    fractional = sorted({s for s in scores if not float(s).is_integer()})
    if fractional:
        raise CalibrationError(
            f"{source}: calibrate learns whole-number score levels, but the file has "
            f"{', '.join(f'{s:g}' for s in fractional[:5])}; round the teacher's scores"
        )
    levels = [float(v) for v in range(int(math.floor(rubric.max_score())) + 1)]
    present = set(scores)
    missing = [lv for lv in levels if lv not in present]
    if missing:
        raise CalibrationError(
            f"{source}: no scored answer at score level(s) {', '.join(f'{m:g}' for m in missing)} "
            f"of the rubric's 0-{rubric.max_score():g} scale, so calibrate cannot learn when to give them; "
            "add scored answers at those levels"
        )
    return levels


@dataclass
class CalibrationResult:
    calibration: Calibration
    before: Agreement  # the rubric's own scores vs. the teacher
    after: Agreement  # out-of-fold scores of the whole procedure vs. the teacher
    chosen: str
    reason: str
    scores: dict[str, CVScore]  # every candidate, cross-validated on the same splits

    @property
    def selection(self) -> _Selection:
        """The choice and every candidate's figures, as saved in the file."""
        if self.calibration.selection is None:  # never: calibrate always records it
            raise CalibrationError("this calibration does not record how its model was chosen")
        return self.calibration.selection

    @property
    def helped(self) -> bool:
        """A model other than the rubric's own scores was clearly closer to the teacher."""
        return self.chosen != "identity"

    @property
    def qwk_gain(self) -> float:
        return (self.after.qwk or 0) - (self.before.qwk or 0)

    @property
    def exact_change(self) -> float:
        return (self.after.exact or 0) - (self.before.exact or 0)


def holds_up(after: Agreement, before: Agreement) -> bool:
    """The chosen model, with the choice itself cross-validated, is closer to the teacher than
    the rubric's scores: no lower QWK, no more than 2 points of exact agreement lost, and
    better on one of them."""
    qwk, exact = (after.qwk or 0) - (before.qwk or 0), (after.exact or 0) - (before.exact or 0)
    return qwk >= -1e-9 and exact >= -MAX_EXACT_LOSS - 1e-9 and (qwk > 1e-9 or exact > 1e-9)


def calibrate(
    rubric: Rubric,
    scored: ScoredSet,
    feedbacks: Sequence[Feedback],
    *,
    folds: int = CV_FOLDS,
    repeats: int = CV_REPEATS,
    seed: int = CV_SEED,
) -> CalibrationResult:
    """Choose among the candidates by cross-validation, fit the choice on all answers.

    The candidates are compared on `repeats` shuffled `folds`-fold splits. The
    figures after calibration come from nested cross-validation (the choice
    itself made without the answers it scores); a choice that does not hold
    up there (see `holds_up`) gives way to the rubric's own scores, so
    calibrating never makes agreement worse on these answers.
    """
    if any(fb.calibrated for fb in feedbacks):
        raise CalibrationError(
            "calibrate needs the rubric's own scores; check the answers without a calibration"
        )
    if len(feedbacks) != len(scored.answers):
        raise CalibrationError(
            f"{scored.source}: {len(scored.answers)} scored answers but {len(feedbacks)} checked ones"
        )
    y = np.array(scored.scores, dtype=float)
    check_calibratable(list(y), rubric, scored.source)
    names = feature_names(rubric)
    X = feature_matrix(feedbacks, names, rubric)
    cands = candidates(names)
    by_name = {c.name: c for c in cands}
    chosen, reason, scores = select(cands, X, y, folds, repeats, seed)
    before = Agreement.of(list(y), [fb.score for fb in feedbacks])
    after, nested = before, list[str]()
    if chosen != "identity":
        oof, nested = nested_out_of_fold(cands, X, y, folds, seed)
        after = Agreement.of(list(y), [float(v) for v in oof])
        if not holds_up(after, before):
            reason = (
                f"{chosen} looked better ({reason}), but not when the choice itself was "
                f"cross-validated (QWK {after.qwk or 0:.2f} against {before.qwk or 0:.2f}, exact "
                f"{100 * (after.exact or 0):.0f}% against {100 * (before.exact or 0):.0f}%); "
                "the rubric's own scores are kept"
            )
            chosen, after = "identity", before
    estimator = by_name[chosen].make().fit(X, y)
    cv = _CVFigures(
        folds=min(folds, len(y)),
        qwk_before=before.qwk,
        qwk_after=after.qwk,
        exact_before=before.exact,
        exact_after=after.exact,
        adjacent_before=before.adjacent,
        adjacent_after=after.adjacent,
    )
    selection = _Selection(
        chosen=chosen,
        label=by_name[chosen].label,
        reason=reason,
        folds=min(folds, len(y)),
        repeats=repeats,
        seed=seed,
        candidates=[_CandidateFigures(name=c.name, label=c.label, **vars(scores[c.name])) for c in cands],
        nested_choices=nested,
    )
    calibration = Calibration(rubric.id, rubric.content_hash, names, estimator, len(y), cv, selection, rubric)
    return CalibrationResult(calibration, before, after, chosen, reason, scores)
