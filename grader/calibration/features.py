"""What the calibration models see of a checked answer: one number per rubric point, counts, the score."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import GraderError
from ..feedback import Feedback
from ..rubric import Rubric
from ..scoring import count_key_elements

RAW = "raw_score"
KEY_ELEMENTS = "count:key_elements"


class CalibrationError(GraderError):
    """A calibration that cannot be made, read, or used with this rubric."""


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
