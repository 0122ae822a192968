"""Checking answers one at a time, each within its time budget: what `grader check` and the web page run."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from .answers import validate_answer
from .budget import time_budget
from .checker import Calibration, Checker
from .errors import AnswerError, GraderError
from .feedback import Feedback
from .io.catalog import resolve
from .rubric import Rubric


def load_rubric_and_calibration(
    rubric_arg: str, rubrics_dir: str | Path | None = None, calibration_path: str | Path | None = None
) -> tuple[Rubric, Calibration | None]:
    """A rubric file or id, and a teacher's calibration for it if one is given."""
    rubric = resolve(rubric_arg, rubrics_dir)
    if not calibration_path:
        return rubric, None
    from .calibration import load_calibration  # scikit-learn loads only when asked for

    return rubric, load_calibration(calibration_path, rubric)


def check_one(checker: Checker, answer: str, time_limit: float | None) -> Feedback:
    """The Feedback for one answer; AnswerError if it cannot be checked, CheckTimeout if too slow."""
    problem = validate_answer(answer)
    if problem is not None:
        raise AnswerError(problem.message)
    with time_budget(time_limit):
        return checker.check(answer)


def check_sources(
    rubric_arg: str,
    sources: Sequence[str],
    read: Callable[[str], tuple[str, str]],
    *,
    rubrics_dir: str | Path | None = None,
    model: str | None = None,
    calibration_path: str | Path | None = None,
    time_limit: float | None = None,
) -> tuple[Rubric, Iterator[tuple[str, Feedback]]]:
    """(name, Feedback) per answer source (`read` gives its name and text).

    The rubric, the calibration and every answer are read and validated before the
    slow part (loading spaCy), so a mistake in any of them fails at once.
    """
    rubric, calibration = load_rubric_and_calibration(rubric_arg, rubrics_dir, calibration_path)
    named = [read(src) for src in sources]
    for name, text in named:
        problem = validate_answer(text)
        if problem is not None:
            raise AnswerError(f"{name}: {problem.message}")
    checker = Checker(rubric, model=model, calibration=calibration)

    def results() -> Iterator[tuple[str, Feedback]]:
        for name, text in named:
            try:
                yield name, check_one(checker, text, time_limit)
            except GraderError as exc:
                raise type(exc)(f"{name}: {exc}") from None

    return rubric, results()
