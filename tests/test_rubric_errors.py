"""A bad rubric gets one clear line per problem: file, line, field and fix; never a traceback."""

import textwrap

import pytest

from grader.errors import RubricError
from grader.rubric import load_rubric

GOOD = """\
id: test/tiny
title: Tiny
prompt: Explain.
concepts:
  - id: atp
    label: ATP
    phrases: [ATP]
  - id: pump
    label: The pump
    phrases: [pump]
links:
  - {from: atp, to: pump}
"""

BAD = [
    (GOOD.replace("to: pump", "to: pumpp"), "links[0] names concept 'pumpp'"),
    (GOOD.replace("id: pump", "id: atp"), "id 'atp' is used twice"),
    (GOOD.replace("phrases: [pump]", "phrases: []"), "has no phrases and no patterns"),
    (GOOD.replace("phrases: [pump]", "phrases: ['  ']"), "a phrase is empty"),
    (GOOD.replace("label: ATP", "lable: ATP"), "unknown field"),
    (GOOD.replace("title: Tiny\n", ""), "title: required field is missing"),
    (GOOD.replace("phrases: [ATP]", "phrases: ATP"), "concepts[0].phrases"),
    (GOOD + "scoring:\n  table: {3: 2}\n", "key_elements and table go together"),
    (GOOD + "examples:\n  - answer: x\n    expect: {concepts: [nope]}\n", "concept 'nope'"),
    ("id: [unclosed\n", "not valid YAML"),
    ("- just\n- a list\n", "a rubric is a YAML mapping"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_rubric_message(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_error_names_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("label: ATP", "lable: ATP"))
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    assert f"{path}:6: concepts[0].lable" in str(err.value)


def test_bad_pattern_is_a_rubric_error(tmp_path, nlp):
    from grader import Checker

    path = tmp_path / "bad.yaml"
    path.write_text(
        GOOD
        + textwrap.dedent(
            """\
            misconceptions:
              - id: wrong
                patterns: [[{"LEMMAA": "diffuse"}]]
                feedback: No.
            """
        )
    )
    rubric = load_rubric(path)
    with pytest.raises(RubricError, match=r"misconceptions 'wrong'.patterns\[0\]"):
        Checker(rubric, nlp)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(RubricError, match="no such rubric file"):
        load_rubric(tmp_path / "nope.yaml")
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD.replace("Tiny", "Tin\xe9").encode("latin-1"))
    with pytest.raises(RubricError, match="not UTF-8"):
        load_rubric(path)


def test_yaml_is_loaded_safely(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("!!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(RubricError, match="not valid YAML"):
        load_rubric(path)
