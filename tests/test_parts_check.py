"""`grader check` on a multi-part question: one section per part, headed with its prompt and
score, holding that part's findings and feedback and no other part's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader import Checker, load_rubric
from grader.cli.main import main
from grader.parts import join_parts
from grader.reports.terminal import feedback_text

ROOT = Path(__file__).resolve().parent.parent
ENZYMES = ROOT / "rubrics" / "ap-bio" / "enzyme-activity.yaml"
SAMPLES = ROOT / "samples" / "enzymes"
HEADING = re.compile(r"^Part \((?P<id>[a-z0-9]+)\) \u2014 ", re.MULTILINE)

# (answer, what the report must show: part -> (score, words in its section))
REPORTS = [
    (
        "(a) The substrate fits into the active site because their shapes are complementary.\n"
        "(b) The enzymes die at high temperatures.\n"
        "(c) The rate will decrease, because the inhibitor binds to the active site.",
        {
            "a": (
                "1 / 2",
                ["+ The substrate fits (binds to) the active site", "1. Your answer does not yet show"],
            ),
            "b": ("0 / 3", ['! b.enzyme_dies: "enzymes die"', "1. Enzymes are molecules, not living things"]),
            "c": ("2 / 2", ['+ The reaction rate decreases  "rate will decrease"', '"because"', "Well"]),
        },
    ),
    (
        "Part A: Enzymes lower the activation energy.\n"
        "Part B: Heat denatures catalase, so its shape changes.",
        {
            "a": ("1 / 2", ['+ The enzyme lowers the activation energy of the reaction  "lower the']),
            "b": ("2 / 3", ['+ High temperature denatures the enzyme  "denatures"']),
            "c": ("0 / 2", ["1. You have not answered this part yet: Predict how adding"]),
        },
    ),
]


@pytest.fixture(scope="module")
def enzymes(nlp):
    return Checker(load_rubric(ENZYMES), nlp)


def sections(text: str) -> dict[str, str]:
    """Each part's section of the report: from its heading to the next one."""
    heads = list(HEADING.finditer(text))
    return {
        m["id"]: text[m.start() : heads[n + 1].start() if n + 1 < len(heads) else len(text)]
        for n, m in enumerate(heads)
    }


@pytest.mark.parametrize(("answer", "expected"), REPORTS)
def test_each_part_has_its_own_section(enzymes, answer, expected):
    fb = enzymes.check(answer)
    text = feedback_text(fb, enzymes.rubric)
    assert text.splitlines()[0] == f"Enzyme structure and activity: score {fb.score:g} / 7"
    found = sections(text)
    assert list(found) == ["a", "b", "c"]
    for part in enzymes.rubric.parts:
        section = found[part.id]
        score, words = expected[part.id]
        # the heading: the part's prompt (wrapped) and its score
        heading = " ".join(section.split("What your answer shows")[0].split())
        assert heading == f"Part ({part.id}) \u2014 {' '.join(part.prompt.split())} \u2014 score {score}"
        for w in words:
            assert w in section, (part.id, w)
        # this part's concepts, and no other part's
        for c in enzymes.rubric.concepts:
            assert (c.label in section) == part.owns(c.id), (part.id, c.id)
        # its sentences, without the "(a) " they carry in the JSON
        assert f"({part.id}) " not in section.split("What to work on")[1]
    assert "No part markers" not in text


def test_an_unmarked_answer_is_said_to_be_read_whole(enzymes):
    answer = (SAMPLES / "unmarked.txt").read_text(encoding="utf-8")
    text = feedback_text(enzymes.check(answer), enzymes.rubric)
    assert "No part markers such as (a) or (b) found: the whole answer was read for every part." in text
    assert list(sections(text)) == ["a", "b", "c"]


def test_an_empty_answer_says_so_once_after_the_parts(enzymes):
    text = feedback_text(enzymes.check(""), enzymes.rubric)
    assert list(sections(text)) == ["a", "b", "c"]
    assert "No part markers" not in text
    tail = text.split("Part (c)")[1]
    assert tail.count("What to work on") == 1 and "1. Nothing was written" in tail


def test_colour_keeps_the_same_words(enzymes):
    fb = enzymes.check(REPORTS[0][0])
    plain = feedback_text(fb, enzymes.rubric)
    coloured = feedback_text(fb, enzymes.rubric, color=True)
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_the_bundled_samples_from_the_command_line(capsys):
    files = sorted(SAMPLES.glob("*.txt"))
    assert len(files) >= 4
    try:
        main(["check", str(ENZYMES), *map(str, files), "--no-color"])
    except SystemExit as done:
        assert done.code in (0, None)
    out = capsys.readouterr().out
    reports = out.split("\n" + "=" * 40 + "\n")
    assert len(reports) == len(files)
    for path, report in zip(files, reports, strict=True):
        assert f"answer: {path}" in report
        assert list(sections(report)) == ["a", "b", "c"]


def test_a_part_by_part_answer_is_checked_where_it_was_given(enzymes):
    """check_parts (one column per part in a class file): a marker inside a part's text is
    part of that text, and the result is the same as checking the marked answer."""
    texts = {
        "a": "The substrate fits the active site (b) as said in class.",
        "b": "",
        "c": "The rate decreases.",
    }
    answer, segments = join_parts(texts, ["a", "b", "c"])
    assert (
        answer == "(a) The substrate fits the active site (b) as said in class.\n(b)\n(c) The rate decreases."
    )
    fb = enzymes.check_parts(answer, segments)
    assert [(p.id, p.score, answer[p.start : p.end]) for p in fb.parts] == [
        ("a", 1.0, texts["a"]),
        ("b", 0.0, ""),
        ("c", 1.0, texts["c"]),
    ]
    assert any(s.startswith("(b) You have not answered this part yet") for s in fb.feedback)
    for c in fb.concepts:
        for ev in c.evidence:
            assert answer[ev.start : ev.end] == ev.text
    plain = "(a) The substrate fits the active site.\n(b) Heat denatures it.\n(c) The rate decreases."
    split = enzymes.check(plain)
    given = enzymes.check_parts(
        *join_parts(
            {
                "a": "The substrate fits the active site.",
                "b": "Heat denatures it.",
                "c": "The rate decreases.",
            },
            ["a", "b", "c"],
        )
    )
    # the same findings at the same offsets (a split part also holds the line break after it)
    assert given.model_dump(exclude={"parts"}) == split.model_dump(exclude={"parts"})
    assert [(p.id, p.score, p.start) for p in given.parts] == [(p.id, p.score, p.start) for p in split.parts]
