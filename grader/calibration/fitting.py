"""Calibrating from a teacher's scored answers: the candidates compared, one chosen, the choice checked."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..evaluate import Agreement, ScoredSet
from ..feedback import Feedback
from ..reports.numbers import dec, pct, plural
from ..rubric import Rubric
from .features import CalibrationError, feature_matrix, feature_names
from .selection import (
    CV_FOLDS,
    CV_REPEATS,
    CV_SEED,
    CVScore,
    candidates,
    holds_up,
    nested_out_of_fold,
    select,
)
from .store import Calibration, _CandidateFigures, _CVFigures, _Selection

MIN_ANSWERS = 20


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


def calibrate_file(
    rubric: Rubric, scored: ScoredSet, output: Path, model: str | None = None
) -> CalibrationResult:
    """Check the teacher's scored answers, choose and fit a calibration, and save it to `output`."""
    from ..checker import Checker
    from ..evaluate import check_scored

    checker = Checker(rubric, model=model)
    result = calibrate(rubric, scored, check_scored(checker, scored.answers))
    result.calibration.save(output)
    return result


def summary_json(result: CalibrationResult, output: Path) -> dict[str, Any]:
    """What `grader calibrate --format json` prints."""
    sel = result.selection
    return {
        "rubric": result.calibration.rubric_id,
        "n": result.before.n,
        "output": str(output),
        "helped": result.helped,
        **result.calibration.cv.model_dump(),
        "model": sel.chosen,
        "kind": result.calibration.kind,
        "reason": sel.reason,
        "repeats": sel.repeats,
        "candidates": [c.model_dump() for c in sel.candidates],
        "nested_choices": sel.nested_choices,
    }


def summary_text(result: CalibrationResult, output: Path) -> str:
    """What `grader calibrate` prints: every candidate's figures, the choice and why, before and after."""
    b, a = result.before, result.after
    sel = result.selection
    row = "{:28}{:>6}{:>8}{:>10}"
    lines = [
        f"Calibration for {result.calibration.rubric_id} from {plural(b.n, 'scored answer')}, "
        f"written to {output}",
        f"Candidates, cross-validated ({sel.folds} folds, {sel.repeats} shuffles): "
        "each answer scored by a model fitted without it.",
        row.format("", "QWK", "exact", "adjacent"),
    ]
    for c in sel.candidates:
        mark = " <- chosen" if c.name == sel.chosen else ""
        lines.append(row.format(c.name, dec(c.qwk), pct(c.exact), pct(c.adjacent)) + mark)
    lines.append(f"Chosen: {sel.chosen}, {sel.label}.")
    lines.append(f"Why: {sel.reason}.")
    lines.append(
        "Before and after"
        + (
            ", the choice itself cross-validated (chosen without the answers it scores):"
            if result.helped
            else " (the calibration keeps the rubric's scores):"
        )
    )
    lines.append(row.format("", "QWK", "exact", "adjacent"))
    lines.append(row.format("rubric scores (before)", dec(b.qwk), pct(b.exact), pct(b.adjacent)))
    lines.append(row.format("calibrated (after)", dec(a.qwk), pct(a.exact), pct(a.adjacent)))
    if result.helped:
        lines.append(f"Calibration brings the scores closer to yours. Use it with --calibration {output}")
    else:
        lines.append(
            "The rubric's own scores are as close to yours as any calibration on these answers, so "
            "the file keeps them (applying it changes no score). Score more answers, or improve the "
            "rubric (grader rubric suggest)."
        )
    return "\n".join(lines)
