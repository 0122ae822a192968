"""Every bundled rubric reproduces its own graded examples."""

from pathlib import Path

import pytest

from grader import Checker, load_rubric
from grader.examples import compare

RUBRIC_FILES = sorted((Path(__file__).resolve().parent.parent / "rubrics").rglob("*.yaml"))
CASES = [
    pytest.param(path, i, id=f"{path.stem}[{i}]")
    for path in RUBRIC_FILES
    for i in range(len(load_rubric(path).examples))
]


@pytest.fixture(scope="module")
def checkers(nlp):
    return {path: Checker(load_rubric(path), nlp) for path in RUBRIC_FILES}


def test_bundled_rubrics_are_there():
    ids = {load_rubric(p).id for p in RUBRIC_FILES}
    assert "ap-bio/membrane-potential" in ids
    assert len(ids) >= 3


@pytest.mark.parametrize(("path", "index"), CASES)
def test_rubric_example(checkers, path, index):
    checker = checkers[path]
    example = checker.rubric.examples[index]
    feedback = checker.check(example.answer)
    assert compare(example, feedback) == [], example.answer
