"""Shared fixtures: one spaCy pipeline and one checker per rubric for the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import Checker, load_rubric
from grader.nlp import load_pipeline

ROOT = Path(__file__).resolve().parent.parent
RUBRICS = ROOT / "rubrics"
SEED = RUBRICS / "ap-bio" / "membrane-potential.yaml"


@pytest.fixture(scope="session")
def nlp():
    return load_pipeline()


@pytest.fixture(scope="session")
def seed_rubric():
    return load_rubric(SEED)


@pytest.fixture(scope="session")
def seed_checker(seed_rubric, nlp):
    return Checker(seed_rubric, nlp)
