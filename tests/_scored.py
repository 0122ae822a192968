"""The bundled scored sample, read and checked once per test session (shared by the
evaluate, calibration and suggest tests)."""

from __future__ import annotations

import io
import sys
from functools import lru_cache

import pytest
from conftest import ROOT, SEED

from grader import Checker, load_rubric
from grader.cli.main import main
from grader.evaluate import ScoredSet, check_scored, read_scored
from grader.feedback import Feedback
from grader.rubric import Rubric

SCORED = ROOT / "samples" / "scored" / "membrane-potential.csv"


@lru_cache(maxsize=1)
def scored_sample() -> tuple[Rubric, ScoredSet, list[Feedback]]:
    rubric = load_rubric(SEED)
    scored = read_scored(SCORED, rubric, second_col="score2")
    return rubric, scored, check_scored(Checker(rubric), scored.answers)


def run(argv, capsys, stdin=None, monkeypatch=None):
    """Run the grader command line; (exit code, stdout, stderr)."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return exit_info.value.code or 0, out, err
