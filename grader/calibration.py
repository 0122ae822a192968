"""Calibration: learn how one teacher turns rubric evidence into scores.

The checker scores as the rubric declares. A teacher may weigh things
differently (a missing link costs little, a misconception costs a lot). From
their scored answers, an ordinal model learns how the rubric evidence
(points credited, misconceptions, counts, the rubric's own score) maps to
their scores. It follows scikit-learn's estimator contract, is measured by
cross-validated QWK before and after, and is saved as plain JSON (never
pickle: a shared file must not be able to run code), tied to the rubric's id
and content hash so it is never applied to another version of the rubric.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y

from . import __version__
from .errors import GraderError
from .evaluate import Agreement, ScoredSet
from .feedback import Feedback
from .rubric import Rubric

FORMAT = "grader-calibration"
FORMAT_VERSION = 1
MIN_ANSWERS = 20
CV_FOLDS = 5


class CalibrationError(GraderError):
    """A calibration that cannot be made, read, or used with this rubric."""


# --- features -----------------------------------------------------------------------


def feature_names(rubric: Rubric) -> list[str]:
    """What the model sees of a Feedback, by name (the names are saved with the calibration)."""
    return [
        *(f"concept:{c.id}" for c in rubric.concepts),
        *(f"link:{lk.key}" for lk in rubric.links),
        *(f"misconception:{m.id}" for m in rubric.misconceptions),
        "count:concepts",
        "count:links",
        "count:misconceptions",
        "count:negated",
        "raw_score",
    ]


def features(feedback: Feedback, names: Sequence[str]) -> list[float]:
    concepts = set(feedback.credited_concepts)
    links = set(feedback.credited_links)
    misconceptions = set(feedback.misconception_ids)
    counts = {
        "count:concepts": len(concepts),
        "count:links": len(links),
        "count:misconceptions": len(misconceptions),
        "count:negated": sum(1 for c in feedback.concepts if c.status == "negated"),
        "raw_score": feedback.score,
    }
    row = []
    for name in names:
        kind, _, key = name.partition(":")
        if name in counts:
            row.append(float(counts[name]))
        elif kind == "concept":
            row.append(float(key in concepts))
        elif kind == "link":
            row.append(float(key in links))
        elif kind == "misconception":
            row.append(float(key in misconceptions))
        else:
            raise CalibrationError(f"unknown calibration feature '{name}'; run grader calibrate again")
    return row


def feature_matrix(feedbacks: Sequence[Feedback], names: Sequence[str]) -> np.ndarray:
    return np.array([features(fb, names) for fb in feedbacks], dtype=float).reshape(
        len(feedbacks), len(names)
    )


# --- the estimator ------------------------------------------------------------------


class OrdinalCalibrator(ClassifierMixin, BaseEstimator):
    """Ordinal regression by cumulative binary logistic models (Frank & Hall).

    For each step between adjacent score levels, an L2-regularized logistic
    model estimates P(score > level). The prediction is the level nearest the
    expected score, which respects the order of levels and so suits QWK.

    Parameters
    ----------
    C : float
        Inverse regularization strength of each logistic model; smaller is smoother.
    """

    def __init__(self, C: float = 1.0):
        self.C = C

    def fit(self, X: Any, y: Any) -> OrdinalCalibrator:
        X, y = check_X_y(X, y, dtype=float, y_numeric=True)
        levels = np.unique(y)
        if len(levels) < 2:
            raise ValueError("calibration needs answers at two score levels at least")
        self.levels_ = levels.astype(float)
        self.classes_ = self.levels_
        self.n_features_in_ = X.shape[1]
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        Z = (X - self.mean_) / self.scale_
        coefs, intercepts = [], []
        for level in self.levels_[:-1]:
            above = (y > level).astype(int)
            if above.min() == above.max():  # only possible on a cross-validation fold
                p = (above.sum() + 0.5) / (len(above) + 1.0)
                coefs.append(np.zeros(X.shape[1]))
                intercepts.append(math.log(p / (1 - p)))
                continue
            model = LogisticRegression(C=self.C, max_iter=2000)
            model.fit(Z, above)
            coefs.append(model.coef_[0])
            intercepts.append(float(model.intercept_[0]))
        self.coef_ = np.array(coefs)
        self.intercept_ = np.array(intercepts)
        return self

    def exceed_proba(self, X: Any) -> np.ndarray:
        """P(score > level) for each level but the top one; non-increasing along each row."""
        check_is_fitted(self, ["coef_", "intercept_", "levels_"])
        X = check_array(X, dtype=float)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features; the calibrator was fitted with {self.n_features_in_}"
            )
        Z = (X - self.mean_) / self.scale_
        logits = Z @ self.coef_.T + self.intercept_
        p = 1 / (1 + np.exp(-np.clip(logits, -40, 40)))
        return np.minimum.accumulate(p, axis=1)

    def expected_score(self, X: Any) -> np.ndarray:
        p = self.exceed_proba(X)
        steps = np.diff(self.levels_)
        return self.levels_[0] + p @ steps

    def predict(self, X: Any) -> np.ndarray:
        expected = self.expected_score(X)
        nearest = np.abs(expected[:, None] - self.levels_[None, :]).argmin(axis=1)
        return self.levels_[nearest]

    # plain data, never pickle
    def to_dict(self) -> dict[str, Any]:
        check_is_fitted(self, ["coef_", "intercept_", "levels_"])
        return {
            "C": self.C,
            "levels": self.levels_.tolist(),
            "mean": self.mean_.tolist(),
            "scale": self.scale_.tolist(),
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OrdinalCalibrator:
        est = cls(C=float(data["C"]))
        est.levels_ = np.asarray(data["levels"], dtype=float)
        est.classes_ = est.levels_
        est.mean_ = np.asarray(data["mean"], dtype=float)
        est.scale_ = np.asarray(data["scale"], dtype=float)
        est.coef_ = np.asarray(data["coef"], dtype=float).reshape(len(est.levels_) - 1, len(est.mean_))
        est.intercept_ = np.asarray(data["intercept"], dtype=float)
        est.n_features_in_ = len(est.mean_)
        if len(est.scale_) != len(est.mean_) or len(est.intercept_) != len(est.levels_) - 1:
            raise ValueError("the model's arrays do not fit together")
        return est


# --- the saved file -----------------------------------------------------------------


class _CVFigures(BaseModel):
    folds: int
    qwk_before: float | None
    qwk_after: float | None
    exact_before: float | None
    exact_after: float | None
    adjacent_before: float | None
    adjacent_after: float | None


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


@dataclass
class Calibration:
    """A fitted calibration for one rubric version; `apply` rescores a Feedback."""

    rubric_id: str
    rubric_hash: str
    names: list[str]
    estimator: OrdinalCalibrator
    n_answers: int
    cv: _CVFigures

    def apply(self, feedback: Feedback) -> Feedback:
        score = float(self.estimator.predict(np.array([features(feedback, self.names)]))[0])
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
        )

    def save(self, path: str | Path) -> None:
        """Write the JSON next to its final name first, so a failure never leaves half a file."""
        path = Path(path)
        text = json.dumps(self.to_file().model_dump(), indent=2) + "\n"
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
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CalibrationError(f"{path}: is not a grader calibration file; make one with grader calibrate")
    if data.get("format_version") != FORMAT_VERSION:
        raise CalibrationError(
            f"{path}: calibration format version {data.get('format_version')!r} is not {FORMAT_VERSION}; "
            "run grader calibrate again"
        )
    try:
        saved = CalibrationFile.model_validate(data)
        estimator = OrdinalCalibrator.from_dict(saved.model)
    except (ValidationError, KeyError, TypeError, ValueError) as exc:
        first = exc.errors()[0] if isinstance(exc, ValidationError) else None
        where = ".".join(str(p) for p in first["loc"]) + ": " + first["msg"] if first else str(exc)
        raise CalibrationError(
            f"{path}: damaged calibration file ({where}); run grader calibrate again"
        ) from None
    if saved.rubric != rubric.id:
        raise CalibrationError(
            f"{path}: this calibration was made for rubric '{saved.rubric}', not '{rubric.id}'; "
            "give the calibration made for this rubric"
        )
    if saved.rubric_hash != rubric.content_hash:
        raise CalibrationError(
            f"{path}: this calibration was made for another version of rubric '{rubric.id}' "
            f"(version {saved.rubric_hash[:12]}, the rubric now is {rubric.content_hash[:12]}): its concepts, "
            "links, misconceptions or scoring changed since; run grader calibrate again with the current rubric"
        )
    if saved.features != feature_names(rubric) or estimator.n_features_in_ != len(saved.features):
        raise CalibrationError(f"{path}: its features do not match the rubric; run grader calibrate again")
    return Calibration(
        saved.rubric, saved.rubric_hash, saved.features, estimator, saved.n_answers, saved.cross_validation
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
    after: Agreement  # out-of-fold calibrated scores vs. the teacher

    @property
    def helped(self) -> bool:
        return (self.after.qwk or 0) > (self.before.qwk or 0)


def cross_validate(
    X: np.ndarray, y: np.ndarray, C: float = 1.0, folds: int = CV_FOLDS, seed: int = 0
) -> np.ndarray:
    """Out-of-fold predictions: each answer scored by a model that never saw it."""
    oof = np.empty(len(y))
    splitter = KFold(n_splits=min(folds, len(y)), shuffle=True, random_state=seed)
    for train, test in splitter.split(X):
        if len(np.unique(y[train])) < 2:
            oof[test] = y[train][0]
            continue
        oof[test] = OrdinalCalibrator(C=C).fit(X[train], y[train]).predict(X[test])
    return oof


def calibrate(
    rubric: Rubric, scored: ScoredSet, feedbacks: Sequence[Feedback], C: float = 1.0
) -> CalibrationResult:
    """Fit a calibration on all scored answers and measure it by cross-validation."""
    if any(fb.calibrated for fb in feedbacks):
        raise CalibrationError(
            "calibrate needs the rubric's own scores; check the answers without a calibration"
        )
    y = np.array(scored.scores, dtype=float)
    check_calibratable(list(y), rubric, scored.source)
    names = feature_names(rubric)
    X = feature_matrix(feedbacks, names)
    raw = [fb.score for fb in feedbacks]
    oof = cross_validate(X, y, C=C)
    before = Agreement.of(list(y), raw)
    after = Agreement.of(list(y), [float(v) for v in oof])
    estimator = OrdinalCalibrator(C=C).fit(X, y)
    cv = _CVFigures(
        folds=min(CV_FOLDS, len(y)),
        qwk_before=before.qwk,
        qwk_after=after.qwk,
        exact_before=before.exact,
        exact_after=after.exact,
        adjacent_before=before.adjacent,
        adjacent_after=after.adjacent,
    )
    calibration = Calibration(rubric.id, rubric.content_hash, names, estimator, len(y), cv)
    return CalibrationResult(calibration, before, after)
