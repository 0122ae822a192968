"""Calibration: learn how one teacher turns rubric evidence into scores.

The checker scores as the rubric declares. A teacher may weigh things
differently (a missing link costs little, a misconception costs a lot). From
their scored answers, a regularized linear model learns how far their score
lies from the rubric's, given the evidence (points credited, misconceptions,
counts, the rubric's own score). It follows scikit-learn's estimator contract, is measured by
cross-validated QWK before and after, and is saved as plain JSON (never
pickle: a shared file must not be able to run code), tied to the rubric's id
and content hash so it is never applied to another version of the rubric.
"""

from __future__ import annotations

import hashlib
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
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import RidgeCV
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
ALPHAS = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)


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


class ScoreCalibrator(RegressorMixin, BaseEstimator):
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
        Candidate ridge penalties (on standardized features).
    raw_column : int
        Index of the rubric's own score among the features.
    """

    def __init__(self, alphas: tuple[float, ...] = ALPHAS, raw_column: int = -1):
        self.alphas = alphas
        self.raw_column = raw_column

    def fit(self, X: Any, y: Any) -> ScoreCalibrator:
        X, y = check_X_y(X, y, dtype=float, y_numeric=True)
        self.levels_ = np.unique(y).astype(float)
        self.n_features_in_ = X.shape[1]
        model = RidgeCV(alphas=list(self.alphas), fit_intercept=False)
        model.fit(X, y - X[:, self.raw_column])
        self.alpha_ = float(model.alpha_)
        self.coef_ = np.asarray(model.coef_, dtype=float)
        return self

    def correction(self, X: Any) -> np.ndarray:
        """How many points the teacher would add to (or take from) the rubric's score."""
        check_is_fitted(self, ["coef_", "levels_"])
        X = check_array(X, dtype=float)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features; the calibrator was fitted with {self.n_features_in_}"
            )
        return X @ self.coef_

    def predict(self, X: Any) -> np.ndarray:
        X = check_array(X, dtype=float)
        estimate = X[:, self.raw_column] + self.correction(X)
        nearest = np.abs(estimate[:, None] - self.levels_[None, :]).argmin(axis=1)
        return self.levels_[nearest]

    # plain data, never pickle
    def to_dict(self) -> dict[str, Any]:
        check_is_fitted(self, ["coef_", "levels_"])
        return {
            "kind": "ridge-correction",
            "alphas": list(self.alphas),
            "alpha": self.alpha_,
            "raw_column": self.raw_column,
            "levels": self.levels_.tolist(),
            "coef": self.coef_.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreCalibrator:
        if data.get("kind") != "ridge-correction":
            raise ValueError(f"unknown model kind {data.get('kind')!r}")
        est = cls(alphas=tuple(float(a) for a in data["alphas"]), raw_column=int(data["raw_column"]))
        est.alpha_ = float(data["alpha"])
        est.levels_ = np.asarray(data["levels"], dtype=float)
        est.coef_ = np.asarray(data["coef"], dtype=float)
        if est.coef_.ndim != 1 or est.levels_.ndim != 1 or not len(est.levels_):
            raise ValueError("the model's arrays do not fit together")
        if not (np.isfinite(est.coef_).all() and np.isfinite(est.levels_).all()):
            raise ValueError("the model holds numbers that are not finite")
        est.n_features_in_ = len(est.coef_)
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
    estimator: ScoreCalibrator
    n_answers: int
    cv: _CVFigures

    @property
    def fingerprint(self) -> str:
        """Identifies this calibration's content (grader batch reuses records scored with it)."""
        blob = json.dumps(self.to_file().model_dump(exclude={"created_with"}), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

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
        estimator = ScoreCalibrator.from_dict(saved.model)
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
            f"(version {saved.rubric_hash[:12]}, the rubric now is {rubric.content_hash[:12]}): "
            "its concepts, links, misconceptions or scoring changed since; "
            "run grader calibrate again with the current rubric"
        )
    if estimator.n_features_in_ != len(saved.features):
        raise CalibrationError(
            f"{path}: damaged calibration file (the model has {estimator.n_features_in_} weights for "
            f"{len(saved.features)} features); run grader calibrate again"
        )
    if saved.features != feature_names(rubric):
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
        """Closer to the teacher by QWK, without giving up exact agreement."""
        return self.qwk_gain > 0.01 and self.exact_change > -0.05

    @property
    def qwk_gain(self) -> float:
        return (self.after.qwk or 0) - (self.before.qwk or 0)

    @property
    def exact_change(self) -> float:
        return (self.after.exact or 0) - (self.before.exact or 0)


def cross_validate(
    X: np.ndarray, y: np.ndarray, C: float = 1.0, folds: int = CV_FOLDS, seed: int = 0
) -> np.ndarray:
    """Out-of-fold predictions: each answer scored by a model that never saw it."""
    oof = np.empty(len(y))
    splitter = KFold(n_splits=min(folds, len(y)), shuffle=True, random_state=seed)
    for train, test in splitter.split(X):
        oof[test] = ScoreCalibrator().fit(X[train], y[train]).predict(X[test])
    return oof


def calibrate(rubric: Rubric, scored: ScoredSet, feedbacks: Sequence[Feedback]) -> CalibrationResult:
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
    oof = cross_validate(X, y)
    before = Agreement.of(list(y), raw)
    after = Agreement.of(list(y), [float(v) for v in oof])
    estimator = ScoreCalibrator().fit(X, y)
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
