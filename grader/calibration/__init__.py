"""Calibration: learn how one teacher turns rubric evidence into scores.

The checker scores as the rubric declares. A teacher may grade differently:
more leniently or strictly by a level, by other thresholds on a key-element
scale, or weighing points differently (a missing link costs little, a
misconception costs a lot). From their scored answers, calibrate tries a few
candidate models (`models`) and keeps the one that cross-validation says is
closest to the teacher (`selection`), and the rubric's own scores unless
another is clearly better. The result is saved as plain JSON tied to the
rubric's id and content hash (`store`), so it is never applied to another
version of the rubric.

    features   what the models see of a Feedback
    models     identity, monotone, ridge correction, ordinal logistic
    selection  cross-validation and the rule that picks one
    store      the calibration file, written and read back
    fitting    calibrate(): all of the above on a teacher's scored answers
"""

from .features import KEY_ELEMENTS, RAW, CalibrationError, feature_matrix, feature_names, features
from .fitting import MIN_ANSWERS, CalibrationResult, calibrate, check_calibratable
from .models import (
    CalibrationModel,
    IdentityCalibrator,
    MonotoneCalibrator,
    OrdinalLogistic,
    ScoreCalibrator,
    model_from_dict,
)
from .selection import Candidate, CVScore, candidates, choose, clearly_better, holds_up, nested_out_of_fold
from .store import Calibration, CalibrationFile, load_calibration

__all__ = [
    "KEY_ELEMENTS",
    "MIN_ANSWERS",
    "RAW",
    "CVScore",
    "Calibration",
    "CalibrationError",
    "CalibrationFile",
    "CalibrationModel",
    "CalibrationResult",
    "Candidate",
    "IdentityCalibrator",
    "MonotoneCalibrator",
    "OrdinalLogistic",
    "ScoreCalibrator",
    "calibrate",
    "candidates",
    "check_calibratable",
    "choose",
    "clearly_better",
    "feature_matrix",
    "feature_names",
    "features",
    "holds_up",
    "load_calibration",
    "model_from_dict",
    "nested_out_of_fold",
]
