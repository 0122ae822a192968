"""`grader batch` on a multi-part question: one answer column or one column per part, a score
column per part, Gradescope columns per part, and the class report's part-by-part section."""

from __future__ import annotations

import csv
import json
import re
from html import unescape as html_text

import pytest
from test_batch import ROOT, SEED, grader, read_csv, read_jsonl, write_csv  # noqa: F401

from grader import Checker, load_rubric
from grader.batch import Outputs, RubricSet, run_batch
from grader.batch.rows import Columns
from grader.reports.class_report import write_report
from grader.reports.class_summary import ClassSummary
from grader.reports.terminal import class_summary_text

ENZYMES = ROOT / "rubrics" / "ap-bio" / "enzyme-activity.yaml"
CLASS = ROOT / "samples" / "enzymes" / "catalase-frq.csv"
HEADER = ["id", "answer_a", "answer_b", "answer_c"]

FULL = {
    "a": "The substrate fits into the active site, and binding lowers the activation energy.",
    "b": "Heat denatures the enzyme, so the active site changes shape and the substrate can no longer fit.",
    "c": "The rate decreases because the inhibitor binds to the active site.",
}

# (a, b, c, what must be found: part -> score, credited concepts, misconceptions, sentence starts)
PART_ROWS = [
    (FULL["a"], FULL["b"], FULL["c"], {"a": 2, "b": 2, "c": 2}, ["b.denatures", "c.rate_decreases"], [], []),
    (
        "The substrate binds to the active site.",
        "",
        "The rate goes down.",
        {"a": 1, "b": 0, "c": 1},
        ["a.active_site_fit", "c.rate_decreases"],
        [],
        ["(b) You have not answered this part yet"],
    ),
    (
        "The enzyme is used up in the reaction.",
        "The enzymes die when it gets too hot.",
        "It slows the reaction down.",
        {"a": 0, "b": 0, "c": 1},
        ["c.rate_decreases"],
        ["a.enzyme_consumed", "b.enzyme_dies"],
        [],
    ),
    # a marker written inside a part's own cell does not move the text to another part
    (
        "Enzymes lower the activation energy (see part (c) too).",
        "The enzyme denatures.",
        "",
        {"a": 1, "b": 1, "c": 0},
        ["a.lowers_activation_energy", "b.denatures"],
        [],
        ["(c) You have not answered this part yet"],
    ),
    # the right words in the wrong part's column earn nothing there
    ("Heat denatures the enzyme.", "", "", {"a": 0, "b": 0, "c": 0}, [], [], []),
]


@pytest.fixture(scope="module")
def enzymes(nlp):
    return Checker(load_rubric(ENZYMES), nlp)


def test_one_column_per_part_is_checked_part_by_part(tmp_path, grader, enzymes):  # noqa: F811
    rows = [[f"s{n}", a, b, c] for n, (a, b, c, *_) in enumerate(PART_ROWS)]
    src = write_csv(tmp_path / "class.csv", HEADER, rows)
    code, out, err = grader("batch", ENZYMES, src, "-o", tmp_path / "scores.csv")
    assert code == 0, err
    records = read_jsonl(tmp_path / "scores.jsonl")
    table = read_csv(tmp_path / "scores.csv")
    for (a, b, c, scores, concepts, misconceptions, starts), record, row in zip(
        PART_ROWS, records, table, strict=True
    ):
        answer = record["answer"]
        parts = {p["id"]: p for p in record["parts"]}
        # the answer is kept as one text, each part after its marker, and the parts are where they were given
        for pid, text in zip("abc", (a, b, c), strict=True):
            assert answer[parts[pid]["start"] : parts[pid]["end"]] == text
            assert parts[pid]["marked"] is True
        assert answer.startswith("(a)") and "\n(b)" in answer and "\n(c)" in answer
        assert {pid: p["score"] for pid, p in parts.items()} == scores
        assert record["score"] == sum(scores.values())
        credited = [x["id"] for x in record["concepts"] if x["status"] == "present"]
        assert set(concepts) <= set(credited)
        assert [m["id"] for m in record["misconceptions"]] == misconceptions
        for s in starts:
            assert any(line.startswith(s) for line in record["feedback"]), s
        for x in record["concepts"]:
            for ev in x["evidence"]:
                assert answer[ev["start"] : ev["end"]] == ev["text"]  # highlights point at the text kept
        # the scores CSV: a score per part
        assert [row["score_a"], row["score_b"], row["score_c"]] == [f"{scores[p]:g}" for p in "abc"]
    # the same answers in one column with the markers score the same, unless a cell holds a
    # marker of its own, which a split of the whole text would take for the next part
    for (a, b, c, *_), record in zip(PART_ROWS, records, strict=True):
        whole = enzymes.check(f"(a) {a}\n(b) {b}\n(c) {c}")
        assert (whole.score == record["score"]) == ("(c)" not in a), a


def test_the_scores_csv_has_a_score_column_per_part_for_multi_part_questions_only(tmp_path, grader):  # noqa: F811
    src = write_csv(
        tmp_path / "class.csv",
        ["id", "question", "answer", "answer_a", "answer_b", "answer_c"],
        [
            ["s1", "enzyme-activity", "", FULL["a"], FULL["b"], FULL["c"]],
            ["s1", "membrane-potential", "The pump uses ATP to move Na+ out.", "", "", ""],
        ],
    )
    code, _, err = grader("batch", ROOT / "rubrics" / "ap-bio", src, "-o", tmp_path / "s.csv")
    assert code == 0, err
    with open(tmp_path / "s.csv", encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    parts = [h for h in header if re.search(r"score_", h)]
    assert parts == ["enzyme-activity: score_a", "enzyme-activity: score_b", "enzyme-activity: score_c"]
    assert header.index("enzyme-activity: score_a") == 4  # right after the total and its maximum
    table = read_csv(tmp_path / "s.csv")
    assert [r["enzyme-activity: score_a"] for r in table] == ["2", ""]  # empty for the other question


# (row cells for answer, answer_a, answer_b, answer_c; what happens)
ONE_OR_THE_OTHER = [
    # the whole answer in the answer column: split by the student's markers, or read whole
    (
        ["(a) The substrate fits the active site. (b) Heat denatures it.", "", "", ""],
        {"a": 1, "b": 1, "c": 0},
    ),
    (["The substrate binds to the active site so the rate decreases.", "", "", ""], {"a": 1, "b": 0, "c": 2}),
    (["", "The substrate fits the active site.", "", ""], {"a": 1, "b": 0, "c": 0}),
    (["", "", "", ""], {"a": 0, "b": 0, "c": 0}),  # blank: scored 0, not an error
]


@pytest.mark.parametrize(("cells", "scores"), ONE_OR_THE_OTHER)
def test_a_row_gives_the_whole_answer_or_its_parts(tmp_path, grader, cells, scores):  # noqa: F811
    src = write_csv(
        tmp_path / "class.csv", ["id", "answer", "answer_a", "answer_b", "answer_c"], [["s1", *cells]]
    )
    code, _, err = grader("batch", ENZYMES, src, "-o", tmp_path / "s.csv")
    assert code == 0, err
    (record,) = read_jsonl(tmp_path / "s.jsonl")
    assert {p["id"]: p["score"] for p in record["parts"]} == scores
    whole = cells[0]
    if whole.strip():
        assert record["answer"] == whole
        assert all(p["marked"] == ("(a)" in whole) for p in record["parts"])


def test_both_the_whole_answer_and_its_parts_is_a_bad_row(tmp_path, grader):  # noqa: F811
    src = write_csv(
        tmp_path / "class.csv",
        ["id", "answer", "answer_a", "answer_b", "answer_c"],
        [["s1", "The rate decreases.", "The substrate fits.", "", ""], ["s2", "", FULL["a"], "", ""]],
    )
    code, _, err = grader("batch", ENZYMES, src, "-o", tmp_path / "s.csv")
    assert code == 1
    (bad,) = read_csv(tmp_path / "s.errors.csv")
    assert bad["line"] == "2" and bad["id"] == "s1"
    assert (
        "both 'answer' and the part columns" in bad["reason"]
        and "keep the answer in one place" in bad["reason"]
    )
    assert [r["id"] for r in read_csv(tmp_path / "s.csv")] == ["s2"]
    assert "1 two answers" in err


BAD_TABLES = [
    # (header, options, words of the one-line error)
    (
        ["id", "answer_a", "answer_b"],
        [],
        ["has the column 'answer_a', 'answer_b'", "no 'answer_c'", "--part-cols"],
    ),
    (
        ["id", "text"],
        [],
        ["no column 'answer', nor one column per part ('answer_a', 'answer_b', 'answer_c')"],
    ),
    (["id", "Q1a", "Q1b"], ["--part-cols", "Q1{part}"], ["no 'Q1c'"]),
    (["id", "answer"], ["--part-cols", "Q1"], ["--part-cols 'Q1': write {part}"]),
]


@pytest.mark.parametrize(("header", "options", "words"), BAD_TABLES)
def test_a_table_without_the_answers_stops_before_scoring(tmp_path, grader, header, options, words):  # noqa: F811
    src = write_csv(tmp_path / "class.csv", header, [["s1"] + ["x"] * (len(header) - 1)])
    code, _, err = grader("batch", ENZYMES, src, "-o", tmp_path / "s.csv", *options)
    assert code == 2
    assert err.startswith("grader: error: ") and err.count("\n") == 1
    for w in words:
        assert w in err
    assert "Traceback" not in err
    assert not list(tmp_path.glob("s.*"))  # nothing half-written


def test_part_columns_named_by_a_template_and_found_without_case(tmp_path, grader):  # noqa: F811
    src = write_csv(
        tmp_path / "lms.csv", ["Student", "Q3A", "q3b", "Q3c"], [["77", FULL["a"], FULL["b"], FULL["c"]]]
    )
    code, _, err = grader(
        "batch", ENZYMES, src, "-o", tmp_path / "s.csv", "--id-col", "Student", "--part-cols", "Q3{part}"
    )
    assert code == 0, err
    assert read_csv(tmp_path / "s.csv")[0]["score"] == "6"
    # the default follows --answer-col
    src = write_csv(
        tmp_path / "r.csv", ["id", "Response_A", "Response_B", "Response_C"], [["1", "", "", "slower"]]
    )
    code, _, err = grader("batch", ENZYMES, src, "-o", tmp_path / "r_s.csv", "--answer-col", "Response")
    assert code == 0, err
    assert read_csv(tmp_path / "r_s.csv")[0]["score_c"] == "1"


def test_part_cols_for_a_question_without_parts_is_refused(tmp_path, grader):  # noqa: F811
    src = write_csv(tmp_path / "class.csv", ["id", "answer"], [["s1", "The pump uses ATP."]])
    code, _, err = grader("batch", SEED, src, "-o", tmp_path / "s.csv", "--part-cols", "Q{part}")
    assert code == 2 and "has no parts" in err and err.count("\n") == 1


def test_an_edited_part_is_scored_again_and_the_rest_reused(tmp_path):
    rows = [[f"s{n}", a, b, c] for n, (a, b, c, *_) in enumerate(PART_ROWS)]
    src = write_csv(tmp_path / "class.csv", HEADER, rows)
    rubrics = RubricSet.from_arg(str(ENZYMES))
    first = run_batch(rubrics, src, Outputs.beside(tmp_path / "s.csv"))
    assert first.scored == len(rows)
    rows[1][2] = "The enzyme denatures."  # s1 fills in part (b)
    write_csv(src, HEADER, rows)
    again = run_batch(rubrics, src, Outputs.beside(tmp_path / "s.csv"))
    assert (again.scored, again.reused) == (1, len(rows) - 1)
    record = read_jsonl(tmp_path / "s.jsonl")[1]
    assert {p["id"]: p["score"] for p in record["parts"]}["b"] == 1


def test_jobs_2_writes_the_same_files_as_jobs_1(tmp_path):
    rubrics = RubricSet.from_arg(str(ENZYMES))
    one = run_batch(rubrics, CLASS, Outputs.beside(tmp_path / "one.csv"), chunk_size=5)
    two = run_batch(rubrics, CLASS, Outputs.beside(tmp_path / "two.csv"), jobs=2, chunk_size=5)
    assert one.scored == two.scored == len(read_csv(CLASS))
    for suffix in (".csv", ".jsonl"):
        assert (tmp_path / f"one{suffix}").read_bytes() == (tmp_path / f"two{suffix}").read_bytes()


# --- the bundled class: exports, the class report, the summary ----------------------------


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """The bundled enzyme class, scored with the report and both exports."""
    from grader.batch.job import BatchJob, run_job

    tmp = tmp_path_factory.mktemp("enzymes")
    job = BatchJob(
        rubric=str(ENZYMES),
        input=CLASS,
        output=tmp / "scores.csv",
        report=tmp / "report.html",
        exports=("canvas", "gradescope"),
        columns=Columns(),
    )
    done = run_job(job)
    return tmp, done


def test_the_bundled_class_file(bundled):
    tmp, done = bundled
    rows = read_csv(CLASS)
    assert 15 <= len(rows) <= 30
    assert done.result.n_failed == 0 and done.result.scored == len(rows)
    records = {r["id"]: r for r in read_jsonl(tmp / "scores.jsonl")}
    # it has an answer written as one unmarked text, a part left empty and a misconception
    unmarked = [r for r in rows if r["answer"].strip()]
    assert unmarked and all(not p["marked"] for r in unmarked for p in records[r["id"]]["parts"])
    assert any(not r[f"answer_{p}"].strip() for r in rows if not r["answer"].strip() for p in "abc")
    assert any(records[r["id"]]["misconceptions"] for r in rows)


def test_gradescope_has_each_parts_items_then_its_score(bundled):
    tmp, _ = bundled
    rubric = load_rubric(ENZYMES)
    with open(tmp / "scores.gradescope.csv", encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    header = table[0]
    expected = ["Name", "SID", "Email"]
    for part in rubric.parts:
        expected += [c.id for c in rubric.concepts if part.owns(c.id)]
        expected += [lk.key for lk in rubric.links if part.owns(lk.from_)]
        expected.append(f"Part ({part.id}) Score")
    assert header == [*expected, "Score", "Total Score"]
    scores = {r["id"]: r for r in read_csv(tmp / "scores.csv")}
    sis = {r["sis_user_id"]: r["id"] for r in read_csv(CLASS)}
    for row in table[1:]:
        cells = dict(zip(header, row, strict=True))
        mine = scores[sis[cells["SID"]]]
        assert [cells[f"Part ({p}) Score"] for p in "abc"] == [mine[f"score_{p}"] for p in "abc"]
        assert sum(float(cells[f"Part ({p}) Score"]) for p in "abc") == float(cells["Score"])
        assert cells["Score"] == cells["Total Score"] == mine["score"]


def test_canvas_gets_the_total(bundled):
    tmp, _ = bundled
    with open(tmp / "scores.canvas.csv", encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0][5:] == ["Enzyme structure and activity"]
    assert table[1][5:] == ["7"]
    scores = {r["id"]: r["score"] for r in read_csv(tmp / "scores.csv")}
    sis = {r["sis_user_id"]: r["id"] for r in read_csv(CLASS)}
    assert len(table) == 2 + len(scores)
    assert all(row[5] == scores[sis[row[2]]] for row in table[2:])


def test_the_class_report_has_a_section_per_part(bundled):
    tmp, _ = bundled
    html = (tmp / "report.html").read_text(encoding="utf-8")
    rubric = load_rubric(ENZYMES)
    records = read_jsonl(tmp / "scores.jsonl")
    assert "Part by part" in html
    for part in rubric.parts:
        section = html.split(f'id="q-ap-bio-enzyme-activity-part-{part.id}"')[1].split("</section>")[0]
        assert " ".join(part.prompt.split()).replace("'", "&#39;") in section
        scores = [next(p["score"] for p in r["parts"] if p["id"] == part.id) for r in records]
        assert f"mean {sum(scores) / len(scores):.1f} / {part_max(rubric, part.id):g}" in section
        assert section.count("<svg") == 1  # its score distribution
        # what was missed in this part: its own points, most missed first, and no other part's
        labels = [(html_text(b), n) for b, n in re.findall(r"<b>([^<]+)</b>: (\d+) of", section)]
        mine = {c.short for c in rubric.concepts if part.owns(c.id)}
        assert {label for label, _ in labels if "→" not in label} == {m[:1].upper() + m[1:] for m in mine}
        shown = [int(n) for _, n in labels]
        assert shown == sorted(shown)
    # each part's misconceptions under that part
    b = html.split('id="q-ap-bio-enzyme-activity-part-b"')[1].split("</section>")[0]
    assert "Enzyme dies" in b and "Enzyme consumed" not in b
    # the unmarked answer is counted, and the students table gives each part's score
    assert "1 answer had no part markers" in html
    assert "(a) 2/2" in html and "(b) 0/3" in html
    assert "A.enzyme consumed" not in html  # a misconception without a label is named by its words


def part_max(rubric, part_id):
    return rubric.part_rubric(part_id).max_score()


def test_a_single_part_report_has_no_part_section(tmp_path):
    src = write_csv(tmp_path / "class.csv", ["id", "answer"], [["s1", "The pump uses ATP to move Na+ out."]])
    summary = ClassSummary()
    outputs = Outputs.beside(tmp_path / "s.csv")
    run_batch(RubricSet.from_arg(str(SEED)), src, outputs, sinks=[summary])
    html = write_report(summary, outputs.jsonl, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Part by part" not in html and ".by-part" not in html and "Parts</th>" not in html
    assert "parts:" not in class_summary_text(summary)
    with open(outputs.csv, encoding="utf-8-sig", newline="") as fh:
        assert not any(h.startswith("score_") for h in next(csv.reader(fh)))
    assert "parts" not in json.loads(outputs.jsonl.read_text(encoding="utf-8"))


def test_the_terminal_summary_gives_each_parts_mean(bundled):
    _, done = bundled
    text = class_summary_text(done.summary)
    q = done.summary.questions["ap-bio/enzyme-activity"]
    line = next(s for s in text.splitlines() if s.strip().startswith("parts:"))
    for p in q.parts:
        assert f"({p.id}) mean {p.mean:.1f} / {p.max_score:g}" in line
    assert any(p.blank for p in q.parts) and "blank)" in line
