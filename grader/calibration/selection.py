"""Choosing a model by cross-validation: the rubric's own scores unless another is clearly better."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import KFold

from ..evaluate import Agreement
from .features import KEY_ELEMENTS, RAW
from .models import CalibrationModel, IdentityCalibrator, MonotoneCalibrator, OrdinalLogistic, ScoreCalibrator

CV_FOLDS = 5
CV_REPEATS = 3  # the candidates are compared on 3 differently shuffled 5-fold splits
CV_SEED = 0
# the selection rule: see choose()
NEAR_TIE_QWK = 0.01
NEAR_TIE_EXACT = 0.01
CLEAR_QWK_GAIN = 0.02
MAX_EXACT_LOSS = 0.02
CLEAR_EXACT_GAIN = 0.05


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


def holds_up(after: Agreement, before: Agreement) -> bool:
    """The chosen model, with the choice itself cross-validated, is closer to the teacher than
    the rubric's scores: no lower QWK, no more than 2 points of exact agreement lost, and
    better on one of them."""
    qwk, exact = (after.qwk or 0) - (before.qwk or 0), (after.exact or 0) - (before.exact or 0)
    return qwk >= -1e-9 and exact >= -MAX_EXACT_LOSS - 1e-9 and (qwk > 1e-9 or exact > 1e-9)
