"""Agreement between the checker and a teacher's scores.

A teacher trusts the scores once they see how often the tool agrees with them
and where it does not. This module reads a file of scored answers, runs the
checker on them, and measures agreement the way scoring studies do: quadratic
weighted kappa (QWK), exact and adjacent agreement, Pearson r, the confusion
matrix and per-level precision and recall; beside it the same figures for a
second teacher, how often each rubric point was credited in answers the
teacher scored high vs. low, and the answers with the largest disagreement,
each with the machine's evidence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .answers import validate_answer
from .errors import GraderError
from .feedback import Feedback
from .io.catalog import resolve
from .io.tables import read_header, read_rows
from .rubric import Rubric

if TYPE_CHECKING:
    from .checker import Calibration, Checker

HIGH_FRACTION = 2 / 3  # "scored high": at least two thirds of the rubric's maximum
LOW_FRACTION = 1 / 3  # "scored low": at most one third of it
MAX_LEVEL_COLUMNS = 11  # per-level tables: a 0-10 scale has a column per level

_TRUE = {"1", "y", "yes", "true", "x", "present", "credited"}
_FALSE = {"0", "n", "no", "false", "", "missing", "absent", "-"}


# --- reading scored answers ---------------------------------------------------------


@dataclass(frozen=True)
class ScoredAnswer:
    """One answer with the teacher's score (and a second teacher's, per-point labels)."""

    id: str
    line: int
    answer: str
    score: float
    second: float | None = None
    labels: dict[str, bool] = field(default_factory=dict)  # rubric point -> teacher credited it


@dataclass(frozen=True)
class Skipped:
    line: int
    id: str
    reason: str


@dataclass
class ScoredSet:
    source: str
    answers: list[ScoredAnswer]
    skipped: list[Skipped]  # rows that could not be used, each with the reason
    unscored: int = 0  # rows with an answer but no teacher score (left out, not an error)
    label_columns: list[str] = field(default_factory=list)

    @property
    def scores(self) -> list[float]:
        return [a.score for a in self.answers]


def parse_score(text: str, max_score: float) -> float:
    """A teacher's score cell as a number; ValueError with a message a teacher can act on."""
    cell = text.strip()
    if re.fullmatch(r"-?\d+,\d+", cell):  # "3,5" from a spreadsheet set to a comma decimal
        cell = cell.replace(",", ".")
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(
            f"score '{text.strip()}' is not a number; write the score as a number like 3"
        ) from None
    if not math.isfinite(value) or value < 0 or value > max_score:
        raise ValueError(
            f"score {text.strip()} is outside the rubric's scale 0-{_fmt(max_score)}; "
            "check the score or the rubric"
        )
    return value


def point_keys(rubric: Rubric) -> list[str]:
    """The rubric points a teacher can label per answer: concept ids and link keys."""
    return [c.id for c in rubric.concepts] + [lk.key for lk in rubric.links]


def _label_columns(header: Sequence[str], rubric: Rubric) -> dict[str, str]:
    """Columns named after a rubric point ('atp', 'atp -> active_transport', 'atp->active_transport')."""
    wanted = {k.replace(" ", ""): k for k in point_keys(rubric)}
    found = {}
    for col in header:
        key = wanted.get(col.strip().replace(" ", ""))
        if key is not None:
            found[col] = key
    return found


def read_scored(
    path: str | Path,
    rubric: Rubric,
    *,
    id_col: str = "id",
    answer_col: str = "answer",
    score_col: str = "score",
    second_col: str | None = None,
    encoding: str | None = None,
) -> ScoredSet:
    """Read a CSV/TSV/JSONL of scored answers; rows that cannot be used are listed, not fatal."""
    path = Path(path)
    required = (answer_col, score_col) + ((second_col,) if second_col else ())
    max_score = rubric.max_score()
    header = read_header(path, encoding=encoding)
    label_cols = _label_columns(header, rubric)
    answers: list[ScoredAnswer] = []
    skipped: list[Skipped] = []
    unscored = 0
    seen_ids: dict[str, int] = {}
    for row in read_rows(path, required=required, encoding=encoding):
        rid = row.get(id_col).strip() or f"line {row.line}"
        if row.problem:
            skipped.append(Skipped(row.line, rid, row.problem))
            continue
        answer = row.get(answer_col)
        if not row.get(score_col).strip():
            unscored += 1
            continue
        try:
            score = parse_score(row.get(score_col), max_score)
            second = None
            if second_col and row.get(second_col).strip():
                second = parse_score(row.get(second_col), max_score)
            labels = {key: _parse_label(row.get(col), col) for col, key in label_cols.items()}
        except ValueError as exc:
            skipped.append(Skipped(row.line, rid, str(exc)))
            continue
        problem = validate_answer(answer)
        if problem is not None:
            skipped.append(Skipped(row.line, rid, problem.message))
            continue
        if rid in seen_ids:
            rid = f"{rid} (line {row.line})"
        seen_ids[rid] = row.line
        answers.append(ScoredAnswer(rid, row.line, answer, score, second, labels))
    return ScoredSet(str(path), answers, skipped, unscored, sorted(set(label_cols.values()), key=str))


def _parse_label(cell: str, column: str) -> bool:
    v = cell.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(
        f"column '{column}' has '{cell.strip()}'; mark a credited point with 1 and a missing one with 0"
    )


def check_scored(checker: Checker, scored: Iterable[ScoredAnswer], batch_size: int = 64) -> list[Feedback]:
    """The checker's Feedback for each scored answer, in order (answers were size-checked on reading)."""
    return list(checker.check_many((a.answer for a in scored), batch_size=batch_size))


# --- agreement figures --------------------------------------------------------------


def _levels(*series: Sequence[float]) -> list[float]:
    return sorted({float(x) for s in series for x in s})


def confusion_matrix(truth: Sequence[float], pred: Sequence[float], levels: Sequence[float]) -> np.ndarray:
    index = {lv: i for i, lv in enumerate(levels)}
    cm = np.zeros((len(levels), len(levels)), dtype=np.int64)
    for t, p in zip(truth, pred, strict=True):
        cm[index[float(t)], index[float(p)]] += 1
    return cm


def quadratic_weighted_kappa(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Cohen's kappa with quadratic weights, as sklearn's cohen_kappa_score(weights="quadratic").

    Like sklearn, the scale is the sorted set of values either rater used, and the
    weight of a disagreement is the squared distance between their positions on it.
    None when it is undefined (one value only, or no pairs).
    """
    if len(a) != len(b):
        raise ValueError("both raters must score the same answers")
    if not a:
        return None
    levels = _levels(a, b)
    cm = confusion_matrix(a, b, levels).astype(float)
    k = len(levels)
    idx = np.arange(k)
    weights = (idx[:, None] - idx[None, :]) ** 2
    expected = np.outer(cm.sum(axis=1), cm.sum(axis=0)) / cm.sum()
    denom = float((weights * expected).sum())
    if denom == 0:
        return None
    return float(1 - (weights * cm).sum() / denom)


def pearson(a: Sequence[float], b: Sequence[float]) -> float | None:
    if len(a) < 2:
        return None
    x, y = np.asarray(a, float), np.asarray(b, float)
    if x.std() == 0 or y.std() == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


@dataclass
class Agreement:
    """How far two raters agree on the same answers. `truth` is the teacher."""

    n: int
    qwk: float | None
    exact: float | None
    adjacent: float | None
    pearson: float | None
    mean_truth: float | None
    mean_other: float | None
    levels: list[float]
    confusion: list[list[int]]  # rows: the teacher's level; columns: the other rater's
    per_level: list[dict[str, Any]]

    @classmethod
    def of(cls, truth: Sequence[float], other: Sequence[float]) -> Agreement:
        n = len(truth)
        levels = _levels(truth, other)
        cm = confusion_matrix(truth, other, levels)
        diffs = [abs(t - o) for t, o in zip(truth, other, strict=True)]
        per_level = []
        for i, lv in enumerate(levels):
            hits = int(cm[i, i])
            t_n, o_n = int(cm[i, :].sum()), int(cm[:, i].sum())
            per_level.append(
                {
                    "level": _num(lv),
                    "teacher_n": t_n,
                    "machine_n": o_n,
                    "precision": hits / o_n if o_n else None,
                    "recall": hits / t_n if t_n else None,
                }
            )
        return cls(
            n=n,
            qwk=quadratic_weighted_kappa(truth, other),
            exact=sum(d == 0 for d in diffs) / n if n else None,
            adjacent=sum(d <= 1 for d in diffs) / n if n else None,
            pearson=pearson(truth, other),
            mean_truth=float(np.mean(truth)) if n else None,
            mean_other=float(np.mean(other)) if n else None,
            levels=[_num(lv) for lv in levels],
            confusion=cm.tolist(),
            per_level=per_level,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "qwk": self.qwk,
            "exact": self.exact,
            "adjacent": self.adjacent,
            "pearson": self.pearson,
            "mean_teacher": self.mean_truth,
            "mean_other": self.mean_other,
            "levels": self.levels,
            "confusion": self.confusion,
            "per_level": self.per_level,
        }


# --- the whole evaluation -----------------------------------------------------------


@dataclass
class Evaluation:
    rubric: Rubric
    scored: ScoredSet
    feedbacks: list[Feedback]
    top: int = 10

    def __post_init__(self) -> None:
        if not self.scored.answers:
            raise GraderError(
                f"{self.scored.source}: no scored answers to compare with; "
                "each row needs an answer and the teacher's score"
            )
        self.max_score = self.rubric.max_score()
        self.high_from = self.max_score * HIGH_FRACTION
        self.low_to = self.max_score * LOW_FRACTION
        teacher = self.scored.scores
        machine = [fb.score for fb in self.feedbacks]
        self.machine = Agreement.of(teacher, machine)
        pairs = [(a.score, a.second) for a in self.scored.answers if a.second is not None]
        self.human = Agreement.of([p[0] for p in pairs], [p[1] for p in pairs]) if pairs else None  # type: ignore[misc]
        # the machine on the answers both teachers scored, so the two rows compare like with like
        both = [
            (a.score, fb.score)
            for a, fb in zip(self.scored.answers, self.feedbacks, strict=True)
            if a.second is not None
        ]
        self.machine_on_second = (
            Agreement.of([p[0] for p in both], [p[1] for p in both])
            if pairs and len(both) != len(teacher)
            else None
        )

    @property
    def calibrated(self) -> bool:
        return any(fb.calibrated for fb in self.feedbacks)

    # --- per rubric point ---------------------------------------------------------

    def _tests(self) -> list[tuple[str, str, str, Any]]:
        """(point, kind, label, credited(feedback)) for every concept, link and misconception."""
        out: list[tuple[str, str, str, Any]] = []
        for c in self.rubric.concepts:
            out.append((c.id, "concept", c.label.strip(), lambda fb, i=c.id: i in fb.credited_concepts))
        for lk in self.rubric.links:
            out.append((lk.key, "link", lk.key, lambda fb, k=lk.key: k in fb.credited_links))
        for m in self.rubric.misconceptions:
            out.append(
                (
                    m.id,
                    "misconception",
                    (m.label or m.id).strip(),
                    lambda fb, i=m.id: i in fb.misconception_ids,
                )
            )
        return out

    def level_groups(self) -> list[LevelGroup]:
        """The teacher's score levels as columns (consecutive levels share one on a long scale)."""
        return level_groups(self.scored.scores)

    def point_rates(self) -> list[dict[str, Any]]:
        """How often each rubric point was credited at each of the teacher's score levels
        (`by_level`), and in answers scored high vs. low (`high_rate`, `low_rate`)."""
        pairs = self._pairs()
        high = [fb for a, fb in pairs if a.score >= self.high_from]
        low = [fb for a, fb in pairs if a.score <= self.low_to]
        groups = self.level_groups()
        at_level = [[fb for a, fb in pairs if g.holds(a.score)] for g in groups]

        def rate(group: list[Feedback], test: Any) -> float | None:
            return sum(1 for fb in group if test(fb)) / len(group) if group else None

        rows: list[dict[str, Any]] = []
        for point, kind, label, test in self._tests():
            rows.append(
                {
                    "point": point,
                    "kind": kind,
                    "label": label,
                    "by_level": [
                        {"level": g.name, "n": len(fbs), "rate": rate(fbs, test)}
                        for g, fbs in zip(groups, at_level, strict=True)
                    ],
                    "high_rate": rate(high, test),
                    "low_rate": rate(low, test),
                    "high_n": len(high),
                    "low_n": len(low),
                }
            )
        return rows

    def boundaries(self, points: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Each line the teacher draws between two neighbouring score levels (0|1, 1|2, ...):
        how many answers the machine put on the other side of it, either way, and the rubric
        points whose credit rises most across it (what the teacher seems to draw it by)."""
        points = self.point_rates() if points is None else points
        groups = self.level_groups()
        pairs = self._pairs()
        out = []
        for i in range(len(groups) - 1):
            lower, upper = groups[i], groups[i + 1]
            cut = (lower.hi + upper.lo) / 2
            below = [(a, fb) for a, fb in pairs if a.score <= lower.hi]
            above = [(a, fb) for a, fb in pairs if a.score >= upper.lo]
            rises = []
            for p in points:
                if p["kind"] == "misconception":
                    continue
                lo_rate, hi_rate = p["by_level"][i]["rate"], p["by_level"][i + 1]["rate"]
                if lo_rate is not None and hi_rate is not None and hi_rate - lo_rate > 0:
                    rises.append({"point": p["point"], "rise": hi_rate - lo_rate})
            rises.sort(key=lambda r: -r["rise"])
            out.append(
                {
                    "between": [lower.name, upper.name],
                    "cut": _num(cut),
                    "teacher_below": len(below),
                    "teacher_above": len(above),
                    "machine_higher": sum(1 for _, fb in below if fb.score > cut),
                    "machine_lower": sum(1 for _, fb in above if fb.score < cut),
                    "rising_points": rises[:3],
                }
            )
        return out

    def point_labels(self) -> list[dict[str, Any]]:
        """Where the teacher labelled rubric points per answer: the machine's credit against them."""
        out = []
        for key in self.scored.label_columns:
            tp = fp = fn = tn = 0
            for a, fb in self._pairs():
                if key not in a.labels:
                    continue
                machine = key in (fb.credited_links if "->" in key else fb.credited_concepts)
                teacher = a.labels[key]
                tp += machine and teacher
                fp += machine and not teacher
                fn += teacher and not machine
                tn += not machine and not teacher
            n = tp + fp + fn + tn
            out.append(
                {
                    "point": key,
                    "n": n,
                    "agreement": (tp + tn) / n if n else None,
                    "precision": tp / (tp + fp) if tp + fp else None,
                    "recall": tp / (tp + fn) if tp + fn else None,
                    "machine_only": fp,
                    "teacher_only": fn,
                }
            )
        return out

    # --- disagreements ------------------------------------------------------------

    def disagreements(self) -> list[dict[str, Any]]:
        """The answers where machine and teacher differ most, each with the machine's evidence."""
        pairs = [(a, fb) for a, fb in self._pairs() if fb.score != a.score]
        pairs.sort(key=lambda p: (-abs(p[1].score - p[0].score), p[0].line))
        return [_disagreement(a, fb) for a, fb in pairs[: self.top]]

    def _pairs(self) -> list[tuple[ScoredAnswer, Feedback]]:
        return list(zip(self.scored.answers, self.feedbacks, strict=True))

    # --- output -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        m = self.machine
        points = self.point_rates()
        return {
            "rubric": self.rubric.id,
            "rubric_hash": self.rubric.content_hash,
            "source": self.scored.source,
            "calibrated": self.calibrated,
            "max_score": _num(self.max_score),
            "n": m.n,
            "qwk": m.qwk,
            "exact": m.exact,
            "adjacent": m.adjacent,
            "pearson": m.pearson,
            "mean_teacher": m.mean_truth,
            "mean_machine": m.mean_other,
            "levels": m.levels,
            "confusion": m.confusion,
            "per_level": m.per_level,
            "human_vs_human": self.human.to_dict() if self.human else None,
            "machine_on_double_scored": self.machine_on_second.to_dict() if self.machine_on_second else None,
            "high_from": _num(self.high_from),
            "low_to": _num(self.low_to),
            "points": points,
            "score_levels": [
                {"level": g.name, "from": _num(g.lo), "to": _num(g.hi)} for g in self.level_groups()
            ],
            "boundaries": self.boundaries(points),
            "point_labels": self.point_labels(),
            "disagreements": self.disagreements(),
            "skipped": [{"line": s.line, "id": s.id, "reason": s.reason} for s in self.scored.skipped],
            "unscored": self.scored.unscored,
        }


@dataclass(frozen=True)
class LevelGroup:
    """One column of the per-level tables: a teacher score level, or a run of them."""

    lo: float
    hi: float

    @property
    def name(self) -> str:
        return _fmt(self.lo) if self.lo == self.hi else f"{_fmt(self.lo)}-{_fmt(self.hi)}"

    def holds(self, score: float) -> bool:
        return self.lo <= score <= self.hi


def level_groups(scores: Sequence[float], most: int = MAX_LEVEL_COLUMNS) -> list[LevelGroup]:
    """The levels the teacher used, each its own column; past `most` levels (a 0-20 scale),
    runs of neighbouring levels with about as many answers each share a column."""
    levels = sorted({float(s) for s in scores})
    if len(levels) <= most:
        return [LevelGroup(lv, lv) for lv in levels]
    counts = {lv: 0 for lv in levels}
    for s in scores:
        counts[float(s)] += 1
    per_group = len(scores) / most
    groups: list[LevelGroup] = []
    start, filled = levels[0], 0
    for i, lv in enumerate(levels):
        filled += counts[lv]
        left = len(levels) - i - 1  # levels after this one
        to_make = most - len(groups) - 1  # columns still to fill after this one
        if left == 0 or (to_make > 0 and (filled >= per_group or left <= to_make)):
            groups.append(LevelGroup(start, lv))
            if left:
                start, filled = levels[i + 1], 0
    return groups


def _disagreement(a: ScoredAnswer, fb: Feedback) -> dict[str, Any]:
    return {
        "id": a.id,
        "line": a.line,
        "teacher": _num(a.score),
        "second": _num(a.second) if a.second is not None else None,
        "machine": _num(fb.score),
        "difference": _num(fb.score - a.score),
        "answer": a.answer,
        "credited": [
            {"point": c.id, "text": c.evidence[0].text, "rule": c.evidence[0].rule}
            for c in fb.concepts
            if c.status == "present" and c.evidence
        ],
        "links": [
            {
                "point": lk.key,
                "text": " ... ".join(e.text for e in lk.evidence),
                "rule": lk.evidence[-1].rule if lk.evidence else "",
            }
            for lk in fb.links
            if lk.status == "present"
        ],
        "not_credited": [
            {
                "point": c.id,
                "text": c.evidence[0].text,
                "rule": c.evidence[0].rule,
                "note": c.note or c.status,
            }
            for c in fb.concepts
            if c.status == "negated" and c.evidence
        ],
        "reversed": [lk.key for lk in fb.links if lk.note == "reversed"],
        "misconceptions": [
            {
                "point": m.id,
                "text": m.evidence[0].text if m.evidence else "",
                "rule": m.evidence[0].rule if m.evidence else "",
            }
            for m in fb.misconceptions
        ],
        "missing": [c.id for c in fb.concepts if c.status == "missing"],
    }


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 4)


def _fmt(x: float) -> str:
    return str(_num(x))


# --- what `grader evaluate`, `calibrate` and `rubric suggest` share -----------------------------


@dataclass(frozen=True)
class ScoredColumns:
    id: str = "id"
    answer: str = "answer"
    score: str = "score"
    second: str | None = None


def load_scored(
    rubric_arg: str,
    scored_file: str | Path,
    rubrics_dir: str | Path | None = None,
    columns: ScoredColumns = ScoredColumns(),
    encoding: str | None = None,
) -> tuple[Rubric, ScoredSet]:
    """The rubric (a file or an id) and the teacher's scored answers; an error when none is usable."""
    rubric = resolve(rubric_arg, rubrics_dir)
    scored = read_scored(
        scored_file,
        rubric,
        id_col=columns.id,
        answer_col=columns.answer,
        score_col=columns.score,
        second_col=columns.second,
        encoding=encoding,
    )
    if not scored.answers:
        reasons = "; ".join(f"line {s.line}: {s.reason}" for s in scored.skipped[:3])
        raise GraderError(
            f"{scored_file}: no usable scored answers"
            + (f" ({reasons})" if reasons else "")
            + "; each row needs an answer and the teacher's score"
        )
    return rubric, scored


def evaluate_file(
    rubric: Rubric,
    scored: ScoredSet,
    *,
    model: str | None = None,
    calibration: Calibration | None = None,
    top: int = 10,
) -> dict[str, Any]:
    """Check the scored answers and measure the agreement: the dict `--format json` prints."""
    from .checker import Checker

    checker = Checker(rubric, model=model, calibration=calibration)
    return Evaluation(rubric, scored, check_scored(checker, scored.answers), top=top).to_dict()
