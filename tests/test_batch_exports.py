"""Gradebook exports: the Canvas import CSV and the Gradescope CSV, with and without roster columns."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from test_batch import RUBRICS, SAMPLE, SEED, STRONG, grader, read_csv, write_csv  # noqa: F401

from grader.rubric import load_rubric


def rows_of(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture
def sample_run(tmp_path, grader):  # noqa: F811
    code, out, err = grader(
        "batch",
        RUBRICS,
        SAMPLE,
        "-o",
        tmp_path / "scores.csv",
        "--export",
        "canvas",
        "--export",
        "gradescope",
    )
    assert code == 1, err  # the sample has a duplicate id and an unknown question
    return tmp_path, err


def test_canvas_import_from_the_sample_class(sample_run):
    tmp, err = sample_run
    table = rows_of(tmp / "scores.canvas.csv")
    membrane, synapse = load_rubric(SEED), load_rubric(RUBRICS / "synaptic-transmission.yaml")
    assert table[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        membrane.title,
        synapse.title,
    ]
    assert table[1] == ["Points Possible", "", "", "", "", "9", "4"]
    students = table[2:]
    sample = read_csv(SAMPLE)
    sis = {r["sis_user_id"]: r["id"] for r in sample}
    assert [r[2] for r in students] == list(dict.fromkeys(r["sis_user_id"] for r in sample))  # one row each
    scores = {(r["id"], r["rubric"]): r["score"] for r in read_csv(tmp / "scores.csv")}
    by_sid = {sis[r[2]]: r for r in students}
    assert by_sid["s01"][:5] == ["Maya Okafor", "", "20261037", "", "Period 3"]
    for sid, row in by_sid.items():
        assert row[5] == scores[(sid, membrane.id)]
        assert row[6] == scores.get((sid, synapse.id), "")  # blank: no answer to that question
    assert by_sid["s27"][6] == ""
    assert by_sid["s25"][0].startswith("'=HYPERLINK(")  # a formula for a name is made inert
    assert "note:" not in err  # the sample has the columns both exports need


def test_gradescope_from_the_sample_class(sample_run):
    tmp, err = sample_run
    table = rows_of(tmp / "scores.gradescope.csv")
    header = table[0]
    membrane = load_rubric(SEED)
    assert header[:3] == ["Name", "SID", "Email"] and header[-1] == "Total Score"
    items = [c.id for c in membrane.concepts] + [lk.key for lk in membrane.links]
    assert header[3 : 3 + len(items) + 1] == [f"membrane-potential: {k}" for k in items] + [
        "membrane-potential: score"
    ]
    scored = read_csv(tmp / "scores.csv")
    sis = {r["sis_user_id"]: r["id"] for r in read_csv(SAMPLE)}
    for row in table[1:]:
        got = dict(zip(header, row, strict=True))
        mine = [r for r in scored if r["id"] == sis[got["SID"]]]
        assert float(got["Total Score"]) == pytest.approx(sum(float(r["score"]) for r in mine))
        for r in mine:
            short = r["rubric"].rsplit("/", 1)[-1]
            for k in items if short == "membrane-potential" else []:
                assert got[f"{short}: {k}"] == r[f"{short}: {k}"]
    assert table[1][:3] == ["Maya Okafor", "20261037", "maya.okafor@school.example"]


VALUES = ["7", "Ana Li", "900123", "ali", "P2", "ali@school.example", "A-7"]  # id first

ROSTERS = [
    # (input header after 'id', Canvas Student..Section, Gradescope Name/SID/Email, notes expected)
    (
        ["Student", "SIS User ID", "SIS Login ID", "Section", "Email", "SID"],
        ["Ana Li", "", "900123", "ali", "P2"],
        ["Ana Li", "A-7", "ali@school.example"],
        [],
    ),
    (
        ["name", "sis_user_id", "login", "period", "email_address", "sid"],
        ["Ana Li", "", "900123", "ali", "P2"],
        ["Ana Li", "A-7", "ali@school.example"],
        [],
    ),
    # no SID column: Gradescope takes the SIS User ID
    (
        ["name", "sis_id", "canvas_id", "class", "e-mail", "year"],
        ["Ana Li", "ali", "900123", "", "P2"],
        ["Ana Li", "900123", "ali@school.example"],
        [],
    ),
    # nothing to go on: the student id stands in, and the user is told
    (
        ["nickname", "school", "homeroom", "teacher", "phone", "year"],
        ["", "", "7", "", ""],
        ["", "7", ""],
        ["SIS User ID", "SID"],
    ),
]


@pytest.mark.parametrize(("roster", "canvas", "gradescope", "notes"), ROSTERS)
def test_roster_columns_are_found_by_their_usual_names(tmp_path, grader, roster, canvas, gradescope, notes):  # noqa: F811
    src = write_csv(tmp_path / "c.csv", ["id", *roster, "answer"], [[*VALUES, STRONG]])
    code, _, err = grader(
        "batch", SEED, src, "-o", tmp_path / "s.csv", "--export", "canvas", "--export", "gradescope"
    )
    assert code == 0, err
    assert rows_of(tmp_path / "s.canvas.csv")[2][:5] == canvas
    assert rows_of(tmp_path / "s.gradescope.csv")[1][:3] == gradescope
    assert err.count("note:") == len(notes)
    for word in notes:
        assert word in err


def test_students_whose_rows_all_failed_are_not_exported(tmp_path, grader):  # noqa: F811
    rows = [["s1", STRONG], ["s1", "a second try"], ["", STRONG]]
    src = write_csv(tmp_path / "c.csv", ["id", "answer"], rows)
    code, _, _ = grader("batch", SEED, src, "-o", tmp_path / "s.csv", "--export", "canvas")
    assert code == 1
    table = rows_of(tmp_path / "s.canvas.csv")
    assert [r[2] for r in table[2:]] == ["s1"]
