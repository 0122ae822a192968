"""`grader evaluate`: agreement figures, reading a teacher's scored file, the reports."""

from __future__ import annotations

import json
import math
import random

import pytest
from _scored import SCORED, run, scored_sample
from conftest import SEED
from sklearn.metrics import cohen_kappa_score

from grader.evaluate import Agreement, Evaluation, check_scored, quadratic_weighted_kappa, read_scored
from grader.io.tables import TableError

# (teacher, machine) pairs as they come from real scoring: 0-9 rubrics, 0-2 scales,
# scales with unused levels, half points, one rater always lower
PAIRS = [
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    ([9, 8, 8, 7, 5, 3, 2, 0, 1, 4], [7, 8, 6, 7, 5, 2, 2, 0, 2, 3]),
    ([2, 2, 1, 0, 0, 2, 1, 1, 0, 2], [2, 1, 1, 0, 1, 2, 0, 1, 0, 2]),
    ([0, 0, 2, 2, 9, 9], [0, 2, 2, 9, 9, 9]),  # levels 1 and 3-8 never used
    ([4.5, 3, 2.5, 0, 1, 4], [4, 3, 3, 0.5, 1, 4.5]),
    ([5, 6, 7, 8, 9], [3, 4, 5, 6, 7]),
    ([0, 1, 2, 3], [3, 2, 1, 0]),  # complete disagreement
    ([1, 2, 3, 1, 2, 3], [2, 2, 2, 2, 2, 2]),  # the machine gives everyone the same score
]


@pytest.mark.parametrize("teacher,machine", PAIRS)
def test_qwk_equals_sklearn(teacher, machine):
    # sklearn takes class labels, not half points: doubling keeps their order and positions
    theirs = cohen_kappa_score(
        [int(2 * x) for x in teacher], [int(2 * x) for x in machine], weights="quadratic"
    )
    assert quadratic_weighted_kappa(teacher, machine) == pytest.approx(theirs, abs=1e-12)


def test_qwk_equals_sklearn_on_random_classes():
    rng = random.Random(4)
    for _ in range(200):
        n = rng.randint(2, 60)
        top = rng.choice([2, 4, 9])
        teacher = [rng.randint(0, top) for _ in range(n)]
        machine = [min(top, max(0, t + rng.choice([-2, -1, 0, 0, 0, 1]))) for t in teacher]
        if len(set(teacher) | set(machine)) < 2:
            continue
        expected = cohen_kappa_score(teacher, machine, weights="quadratic")
        assert quadratic_weighted_kappa(teacher, machine) == pytest.approx(expected, abs=1e-12)


def test_qwk_undefined_when_one_score_only():
    assert quadratic_weighted_kappa([2, 2, 2], [2, 2, 2]) is None
    assert quadratic_weighted_kappa([], []) is None


def test_agreement_figures_by_hand():
    teacher = [0, 1, 2, 2, 3]
    machine = [0, 2, 2, 0, 3]
    a = Agreement.of(teacher, machine)
    assert a.n == 5
    assert a.exact == pytest.approx(3 / 5)
    assert a.adjacent == pytest.approx(4 / 5)  # only the 2 -> 0 is off by more than one
    assert a.levels == [0, 1, 2, 3]
    assert a.confusion == [[1, 0, 0, 0], [0, 0, 1, 0], [1, 0, 1, 0], [0, 0, 0, 1]]
    level2 = next(p for p in a.per_level if p["level"] == 2)
    assert level2["precision"] == pytest.approx(1 / 2) and level2["recall"] == pytest.approx(1 / 2)
    level1 = next(p for p in a.per_level if p["level"] == 1)
    assert level1["precision"] is None and level1["recall"] == 0
    assert a.pearson == pytest.approx(3.8 / math.sqrt(5.2 * 7.2))  # deviations worked out by hand


# --- reading a teacher's file -------------------------------------------------------

SCORED_CSV = (
    "id,answer,score,score2,atp,atp -> active_transport\n"
    's1,"The pump uses ATP to move 3 Na+ out and 2 K+ in.",3,3,1,1\n'
    's2,"ATP is energy.",1,1,1,0\n'
    's3,"The pump moves ions.",two,2,0,0\n'
    's4,"Sodium channels open.",12,1,0,0\n'
    's5,"The inside is negative.",,,0,0\n'
    's6,"The pump needs no energy.","0,5",0,0,0\n'
    's7,"Potassium leaks out.",1,1,maybe,0\n'
)


def test_read_scored_lists_bad_rows_with_line_and_fix(tmp_path, seed_rubric):
    path = tmp_path / "class.csv"
    path.write_text(SCORED_CSV)
    scored = read_scored(path, seed_rubric, second_col="score2")
    assert [a.id for a in scored.answers] == ["s1", "s2", "s6"]
    assert scored.answers[2].score == 0.5  # a comma decimal from a spreadsheet
    assert scored.answers[0].labels == {"atp": True, "atp -> active_transport": True}
    assert scored.unscored == 1
    reasons = {s.line: s.reason for s in scored.skipped}
    assert set(reasons) == {4, 5, 8}
    assert "'two' is not a number" in reasons[4]
    assert "outside the rubric's scale 0-9" in reasons[5]
    assert "column 'atp' has 'maybe'" in reasons[8]


def test_read_scored_missing_column_names_the_columns_found(tmp_path, seed_rubric):
    path = tmp_path / "class.csv"
    path.write_text("student,text,mark\n1,ATP,1\n")
    with pytest.raises(TableError) as err:
        read_scored(path, seed_rubric)
    assert "'answer'" in str(err.value) and "'text'" in str(err.value) and "\n" not in str(err.value)


def test_read_scored_jsonl_and_excel_csv(tmp_path, seed_rubric):
    jsonl = tmp_path / "class.jsonl"
    jsonl.write_text(
        '{"id": "a", "answer": "The pump uses ATP.", "score": 3}\n{"id": "b", "answer": "", "score": 0}\n'
    )
    assert [a.score for a in read_scored(jsonl, seed_rubric).answers] == [3, 0]
    excel = tmp_path / "excel.csv"
    excel.write_bytes("\ufeffid;answer;score\r\na;The pump uses ATP, so ions move.;3\r\n".encode())
    assert read_scored(excel, seed_rubric).answers[0].answer == "The pump uses ATP, so ions move."


# --- the evaluation on the bundled sample ---------------------------------------------


@pytest.fixture(scope="module")
def sample_eval():
    rubric, scored, feedbacks = scored_sample()
    return Evaluation(rubric, scored, feedbacks, top=5).to_dict()


def test_sample_figures_are_consistent(sample_eval):
    _, scored, feedbacks = scored_sample()
    d = sample_eval
    assert d["n"] == len(scored.answers) >= 48
    teacher = [a.score for a in scored.answers]
    assert d["qwk"] == pytest.approx(
        cohen_kappa_score(teacher, [fb.score for fb in feedbacks], weights="quadratic")
    )
    assert sum(map(sum, d["confusion"])) == d["n"]
    assert 0 <= d["exact"] <= d["adjacent"] <= 1
    assert d["human_vs_human"]["n"] == d["n"]
    assert d["human_vs_human"]["qwk"] > 0.9  # two careful teachers
    # the checker should agree with the teacher far better than chance on this sample
    assert d["qwk"] > 0.6


def test_sample_point_rates_separate_high_from_low(sample_eval):
    rates = {p["point"]: p for p in sample_eval["points"]}
    for concept in ["atp", "active_transport", "gradient"]:
        assert rates[concept]["high_rate"] > rates[concept]["low_rate"]
    assert rates["atp -> active_transport"]["kind"] == "link"
    assert rates["pump_ions_swapped"]["kind"] == "misconception"
    assert rates["pump_ions_swapped"]["high_rate"] == 0


def test_disagreements_are_largest_first_with_evidence(sample_eval):
    dis = sample_eval["disagreements"]
    assert len(dis) == 5
    gaps = [abs(d["difference"]) for d in dis]
    assert gaps == sorted(gaps, reverse=True) and gaps[0] > 0
    for d in dis:
        assert d["answer"] and d["line"] > 1
        for ev in d["credited"]:
            assert ev["text"] and ev["rule"]  # which phrase or rule fired, and on what words
            assert ev["text"] in d["answer"]


def test_calibrated_feedbacks_are_reported(seed_checker):
    _, scored, feedbacks = scored_sample()
    marked = [fb.model_copy(update={"calibrated": True}) for fb in feedbacks]
    assert Evaluation(seed_checker.rubric, scored, marked).to_dict()["calibrated"] is True


# --- from the command line ------------------------------------------------------------


def test_cli_json_keys(capsys):
    code, out, err = run(
        ["evaluate", str(SEED), str(SCORED), "--second-col", "score2", "--format", "json"], capsys
    )
    assert code == 0, err
    data = json.loads(out)
    for key in ["qwk", "exact", "adjacent", "pearson", "n", "confusion", "levels", "per_level", "points"]:
        assert key in data
    assert data["human_vs_human"]["qwk"] is not None
    assert len(data["disagreements"]) == 10


def test_cli_text_report_and_escaped_html(tmp_path, capsys):
    scored = tmp_path / "class.csv"
    scored.write_text(
        "id,answer,score\n"
        '<b>x</b>,"The pump uses ATP <script>alert(1)</script> to move ions.",9\n'
        'y,"The pump uses ATP to move 3 Na+ out and 2 K+ in, so there is a gradient.",5\n'
    )
    report = tmp_path / "report.html"
    code, out, err = run(["evaluate", str(SEED), str(scored), "--report", str(report)], capsys)
    assert code == 0, err
    assert "machine vs. teacher" in out and "Largest disagreements" in out
    page = report.read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert page.startswith("<!DOCTYPE html>") and "http" not in page  # self-contained
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_cli_bad_rows_exit_1_and_are_named(tmp_path, capsys):
    path = tmp_path / "class.csv"
    path.write_text(SCORED_CSV)
    code, out, err = run(["evaluate", str(SEED), str(path), "--format", "json"], capsys)
    assert code == 1
    assert json.loads(out)["n"] == 3
    assert f"{path}:4: skipped (s3): score 'two' is not a number" in err


@pytest.mark.parametrize(
    "content,message",
    [
        ("student,text,mark\n1,ATP,1\n", "no column 'answer', 'score'"),
        ("id,answer,score\n", "no usable scored answers"),
        ("id,answer,score\ns1,ATP,ten\n", "line 2: score 'ten' is not a number"),
    ],
)
def test_cli_unusable_file_exit_2_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "class.csv"
    path.write_text(content)
    code, out, err = run(["evaluate", str(SEED), str(path)], capsys)
    assert code == 2
    assert message in err and err.startswith("grader: error: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_cli_report_into_missing_folder_is_refused(tmp_path, capsys):
    code, _, err = run(
        ["evaluate", str(SEED), str(SCORED), "--report", str(tmp_path / "nope" / "r.html")], capsys
    )
    assert code == 2 and "does not exist" in err


def test_check_scored_keeps_order(seed_checker):
    _, scored, _ = scored_sample()
    subset = scored.answers[:6]
    again = check_scored(seed_checker, list(reversed(subset)))
    assert [fb.score for fb in again] == [seed_checker.check(a.answer).score for a in reversed(subset)]
    assert not math.isnan(sum(fb.score for fb in again))


# --- per score level and the lines between levels ----------------------------------------


@pytest.fixture(scope="module")
def salt_eval(nlp):
    from _salt import CLASS, DRAFT

    from grader import Checker
    from grader.evaluate import ScoredAnswer, ScoredSet
    from grader.rubric import parse_rubric

    rubric = parse_rubric(DRAFT)
    answers = [ScoredAnswer(f"a{i}", i + 2, text, score) for i, (score, text) in enumerate(CLASS)]
    feedbacks = check_scored(Checker(rubric, nlp), answers)
    return Evaluation(rubric, ScoredSet("class.csv", answers, []), feedbacks).to_dict(), feedbacks


def test_point_rates_at_every_level_the_teacher_used(salt_eval):
    from _salt import CLASS

    data, feedbacks = salt_eval
    assert [lv["level"] for lv in data["score_levels"]] == ["0", "1", "2", "3"]
    for p in data["points"]:
        assert [lv["level"] for lv in p["by_level"]] == ["0", "1", "2", "3"]
        assert [lv["n"] for lv in p["by_level"]] == [9, 1, 4, 6]
    # worked out from the feedbacks, level by level
    evaporate = next(p for p in data["points"] if p["point"] == "evaporate")
    for lv in evaporate["by_level"]:
        at = [fb for (score, _), fb in zip(CLASS, feedbacks, strict=True) if str(score) == lv["level"]]
        assert lv["rate"] == pytest.approx(sum("evaporate" in fb.credited_concepts for fb in at) / len(at))
    # "dish" credits evaporation in answers scored 0 and 1: the 0/1 line shows it
    assert evaporate["by_level"][0]["rate"] > 0 and evaporate["by_level"][1]["rate"] == 1


def test_boundaries_count_answers_on_the_wrong_side(salt_eval):
    from _salt import CLASS

    data, feedbacks = salt_eval
    lines = {tuple(b["between"]): b for b in data["boundaries"]}
    assert list(lines) == [("0", "1"), ("1", "2"), ("2", "3")]
    for (lo, hi), b in lines.items():
        cut = (float(lo) + float(hi)) / 2
        pairs = list(zip([s for s, _ in CLASS], [fb.score for fb in feedbacks], strict=True))
        assert b["teacher_below"] == sum(t < cut for t, _ in pairs)
        assert b["machine_higher"] == sum(t < cut < m for t, m in pairs)
        assert b["machine_lower"] == sum(m < cut < t for t, m in pairs)
    assert lines[("0", "1")]["machine_higher"] >= 2  # the two "dish" answers scored 0


def test_long_scale_levels_share_columns():
    from grader.evaluate import level_groups

    assert [g.name for g in level_groups([0, 1, 2, 3, 3])] == ["0", "1", "2", "3"]
    groups = level_groups(list(range(21)))
    assert len(groups) == 11 and groups[0].lo == 0 and groups[-1].hi == 20
    covered = [x for g in groups for x in range(int(g.lo), int(g.hi) + 1)]
    assert covered == list(range(21))  # every level in exactly one column, in order


def test_text_and_html_show_levels_and_the_0_1_line(tmp_path, capsys):
    from _salt import CLASS, DRAFT

    rubric = tmp_path / "salt.yaml"
    rubric.write_text(DRAFT)
    scored = tmp_path / "class.csv"
    scored.write_text("id,answer,score\n" + "".join(f'a{i},"{t}",{s}\n' for i, (s, t) in enumerate(CLASS)))
    report = tmp_path / "r.html"
    code, out, err = run(["evaluate", str(rubric), str(scored), "--report", str(report)], capsys)
    assert code == 0, err
    header = next(line for line in out.splitlines() if line.strip().startswith("your score"))
    assert header.split()[-4:] == ["0", "1", "2", "3"]
    assert "0 | 1: machine higher than you in" in out
    page = report.read_text()
    assert "<th>0</th><th>1</th><th>2</th><th>3</th>" in page and "<td>0 | 1</td>" in page
