"""A bad rubric gets one clear line per problem: file, line, field and fix; never a traceback."""

import textwrap
import time

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
    (GOOD.replace("to: pump", "to: pumpp"), "links[0].to: concept 'pumpp' is not defined"),
    (GOOD.replace("id: pump", "id: atp"), "concepts[1].id: id 'atp' is used twice"),
    (GOOD.replace("phrases: [pump]", "phrases: []"), "has no phrases and no patterns"),
    (GOOD.replace("phrases: [pump]", "phrases: ['  ']"), "a phrase is empty"),
    (GOOD.replace("label: ATP", "lable: ATP"), "unknown field"),
    (GOOD.replace("title: Tiny\n", ""), "title: required field is missing"),
    (GOOD.replace("phrases: [ATP]", "phrases: ATP"), "concepts[0].phrases"),
    (GOOD + "scoring:\n  table: {3: 2}\n", "key_elements and table go together"),
    (GOOD + "examples:\n  - answer: x\n    expect: {concepts: [nope]}\n", "concept 'nope' is not defined"),
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


# --- faults found by trying to break the loader --------------------------------------

PUMP_PATTERNS = GOOD.replace("    phrases: [pump]\n", "    phrases: [pump]\n    patterns:\n@PATTERNS@")


def _with_patterns(lines: str) -> str:
    return PUMP_PATTERNS.replace("@PATTERNS@", lines)


def _laughs(levels: int, fan: int) -> str:
    """A rubric whose patterns nest aliases: `levels` lists of `fan` aliases to the one below."""
    lines = ['      - &l0 [{"LOWER": "pump"}]']
    for k in range(1, levels + 1):
        lines.append(f"      - &l{k} [" + ", ".join([f"*l{k - 1}"] * fan) + "]")
    return _with_patterns("\n".join(lines) + "\n")


LOCATED = [
    # (rubric text, line, start of the message after the line)
    (GOOD.replace("to: pump", "to: pumpp"), 12, "links[0].to: concept 'pumpp' is not defined"),
    (GOOD.replace("{from: atp, to: pump}", "{from: atpp, to: pump}"), 12, "links[0].from: concept 'atpp'"),
    (GOOD.replace("id: pump", "id: atp"), 8, "concepts[1].id: id 'atp' is used twice (also concepts[0])"),
    (
        GOOD + "  - {from: pump, to: atp}\n  - {from: atp, to: pump}\n",
        14,
        "links[2]: link 'atp -> pump' is used twice",
    ),
    (
        GOOD + "examples:\n  - answer: ATP.\n    expect: {concepts: [atp]}\n"
        "  - answer: The pump.\n    expect:\n      links: [pump -> atp]\n",
        18,
        "examples[1].expect.links[0]: link 'pump -> atp' is not defined",
    ),
    (
        GOOD + "scoring:\n  key_elements: [atp, pump, nope]\n  table: {1: 1}\n",
        14,
        "scoring.key_elements[2]: 'nope' is not a concept",
    ),
]


@pytest.mark.parametrize(("text", "line", "message"), LOCATED)
def test_reference_errors_point_at_the_offending_line(tmp_path, text, line, message):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    assert str(err.value).startswith(f"{path}:{line}: {message}"), str(err.value)


def test_a_key_given_twice_is_refused_not_half_read(tmp_path):
    """YAML keeps the last of two `phrases:`; the first list used to vanish without a word."""
    path = tmp_path / "r.yaml"
    path.write_text(
        GOOD.replace("    phrases: [ATP]\n", "    phrases: [ATP]\n    phrases: [adenosine triphosphate]\n")
    )
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    assert str(err.value) == (
        f"{path}:8: concepts[0].phrases: given twice in one place (also on line 7); "
        "YAML would keep only this one, so merge the two"
    )


def test_aliases_that_expand_past_the_bound_are_refused_at_once(tmp_path):
    """Billion laughs: a few hundred bytes whose aliases stand for tens of thousands of values."""
    path = tmp_path / "r.yaml"
    path.write_text(_laughs(levels=5, fan=9))  # 9**5 = 59,049 token patterns
    assert path.stat().st_size < 700
    started = time.perf_counter()
    with pytest.raises(RubricError, match=r"r.yaml:1\d: YAML aliases here expand to [\d,]+ values"):
        load_rubric(path)
    assert time.perf_counter() - started < 2


def test_a_few_aliases_are_fine(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(_with_patterns('      - &p [{"LOWER": "pump"}]\n      - *p\n      - *p\n'))
    rubric = load_rubric(path)
    assert len(rubric.concepts[1].patterns) == 3
    path.write_text(GOOD + "  - &link {from: pump, to: atp}\n")
    assert len(load_rubric(path).links) == 2


def test_an_alias_inside_itself_is_refused(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(GOOD + "course: &c [*c]\n")
    with pytest.raises(RubricError, match="alias refers to the list or mapping it is in"):
        load_rubric(path)


SLOW_REGEXES = [
    # (REGEX, what the message says): each one backtracks for seconds to years on one long word
    ("(a+)+$", "can be told apart in more than one way"),
    (r"(\\w+\\s?)*$", "can be told apart in more than one way"),
    ("(a|a)+$", "can be told apart in more than one way"),
    ("(a|aa)+$", "can be told apart in more than one way"),
    (r"(abc|a\\w)+x", "can be told apart in more than one way"),
    ("(.a?)+x", "can be told apart in more than one way"),
    (r"\\w+\\w+x", "two repeats that can match the same characters"),
    (".*a.*b", "two repeats that can match the same characters"),
    ("(a?)+b", "a repeat of something that can match nothing"),
]


@pytest.mark.parametrize(("regex", "words"), SLOW_REGEXES)
def test_catastrophic_regex_patterns_are_refused_at_load(tmp_path, regex, words):
    path = tmp_path / "r.yaml"
    path.write_text(_with_patterns(f'      - [{{"TEXT": {{"REGEX": "{regex}"}}}}]\n'))
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    message = str(err.value)
    assert message.startswith(f"{path}:12: concepts[1].patterns[0][0].TEXT.REGEX: the REGEX "), message
    assert words in message


SAFE_REGEXES = [
    r"^-\\d+(\\.\\d+)?$",
    r"^(de|re)?polariz(e|es|ed|ation)$",
    r"(?i)^k\\+$",
    "[^x]*x",
    r"\\w+-\\w+",
    r"(\\d+,)+\\d",
    "(ab?)+",
]


@pytest.mark.parametrize("regex", SAFE_REGEXES)
def test_ordinary_regex_patterns_load(tmp_path, regex):
    path = tmp_path / "r.yaml"
    path.write_text(_with_patterns(f'      - [{{"LOWER": {{"REGEX": "{regex}"}}}}]\n'))
    assert load_rubric(path).concepts[1].patterns[0][0]["LOWER"]["REGEX"]
