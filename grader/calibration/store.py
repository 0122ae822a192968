"""The calibration file: plain JSON tied to one rubric version, checked field by field when read."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import __version__
from ..feedback import Feedback
from ..io.atomic import write_text
from ..rubric import Rubric
from .features import KEY_ELEMENTS, CalibrationError, feature_names, features
from .models import CalibrationModel, model_from_dict

FORMAT = "grader-calibration"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1 files hold a ridge correction and still load


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
        """The Feedback with this teacher's score, marked calibrated; the `identity` model keeps
        the rubric's score, so it changes and marks nothing."""
        if self.kind == "identity":
            return feedback
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
        """Write the JSON whole or not at all."""
        write_text(path, json.dumps(self.to_file().model_dump(), indent=2, allow_nan=False) + "\n")


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
