"""Multi-part questions: answers split by the student's own part markers, each part
checked against its own part of the rubric, offsets into the whole answer."""

import json
from pathlib import Path

import pytest

from grader import Checker, load_rubric
from grader.parts import split_parts

RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"

PARTS = ["a", "b", "c"]
SPLITS = [
    ("(a) The pump uses ATP. (b) Channels open.", ["The pump uses ATP. ", "Channels open.", ""]),
    ("a) pump\nb) channels\nc) depolarize", ["pump\n", "channels\n", "depolarize"]),
    ("Part A: pump. Part B: channels", ["pump. ", "channels", ""]),
    ("part a - the pump\npart b - channels", ["the pump\n", "channels", ""]),
    ("A. The pump\nB. The channels", ["The pump\n", "The channels", ""]),
    ("Intro text. (a) x (b) y", ["Intro text. (a) x ", "y", ""]),
    # a marker out of order is a reference inside the part, not a new part
    ("(b) first, unlike (a), then more", ["", "first, unlike (a), then more", ""]),
    # no markers: the whole answer stands for every part
    ("The pump uses ATP and channels open.", ["The pump uses ATP and channels open."] * 3),
    # a letter the rubric has no part for is no marker
    ("(a) x (d) y", ["x (d) y", "", ""]),
]


@pytest.mark.parametrize(("answer", "texts"), SPLITS)
def test_split_by_the_students_markers(answer, texts):
    segments = split_parts(answer, PARTS)
    assert [s.part for s in segments] == PARTS
    assert [answer[s.start : s.end] for s in segments] == texts


@pytest.fixture(scope="module")
def enzymes(nlp):
    return Checker(load_rubric(RUBRICS / "ap-bio" / "enzyme-activity.yaml"), nlp)


def test_each_part_is_scored_on_its_own_answer(enzymes):
    answer = "(a) The substrate fits the active site. (b) Heat denatures the enzyme. (c) The rate decreases."
    fb = enzymes.check(answer)
    assert [p.id for p in fb.parts] == ["a", "b", "c"]
    assert [p.score for p in fb.parts] == [1.0, 1.0, 1.0]
    assert fb.score == 3 and fb.max_score == 7
    for c in fb.concepts:
        for ev in c.evidence:
            assert answer[ev.start : ev.end] == ev.text  # offsets into the whole answer
    assert fb.concept("b.denatures").evidence[0].text == "denatures"


def test_right_words_in_the_wrong_part_earn_nothing_there(enzymes):
    fb = enzymes.check("(a) Heat denatures the enzyme. (b) The substrate fits the active site.")
    assert "b.denatures" not in fb.credited_concepts
    assert "a.active_site_fit" not in fb.credited_concepts


def test_an_unanswered_part_says_so(enzymes):
    fb = enzymes.check("(a) The substrate fits the active site.")
    assert any(s.startswith("(b) You have not answered this part yet") for s in fb.feedback)


def test_json_has_parts_only_for_multi_part_rubrics(enzymes, seed_checker):
    assert "parts" in json.loads(enzymes.check("(a) x").to_json())
    assert "parts" not in json.loads(seed_checker.check("The pump uses ATP.").to_json())


def test_a_part_concept_must_be_listed_under_its_part():
    from grader.errors import RubricError
    from grader.rubric import parse_rubric

    text = """
id: t/parts
title: Parts
prompt: Two parts.
parts:
  - {id: a, prompt: A, concepts: [{id: x, label: x, phrases: [x]}]}
concepts:
  - {id: y, label: y, phrases: [y]}
"""
    with pytest.raises(RubricError, match="under each part"):
        parse_rubric(text)
