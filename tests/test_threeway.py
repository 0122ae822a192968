"""The SemEval-2013 three-way benchmark: the label derived from a Feedback, the lexical-overlap
baseline's features, the figures, and (when the shared data is present) the loaders and a run
on the real splits."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from conftest import ROOT

from grader import Checker, load_rubric
from grader.examples import run_examples
from grader.feedback import ConceptResult, Evidence, Feedback, LinkResult, MisconceptionResult
from grader.rubric import parse_rubric

BENCH = ROOT / "benchmarks" / "semeval"
BEETLE_RUBRICS = sorted((BENCH / "rubrics-beetle-uq").glob("*.yaml"))
UQ_RUBRICS = sorted((BENCH / "rubrics-uq").glob("*.yaml"))


def _load(name: str, file: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


threeway = _load("semeval_threeway", "threeway.py")

# A circuit question: one key element that any of three wordings shows (a group), plus a
# link written as a key element; and a rubric scored by points, with no key elements.
KEYED_YAML = """
id: test/keyed
title: Why the bulbs went out
prompt: Why did bulbs B and C go out?
concepts:
  - {id: gap, label: The damaged bulb makes a gap, phrases: [gap]}
  - {id: open_path, label: The path is open, phrases: [open path]}
  - {id: not_closed, label: There is no closed path, phrases: [no closed path]}
  - {id: damaged, label: Bulb A is damaged, phrases: [damaged]}
  - {id: bulbs_out, label: B and C go out, phrases: [go out]}
  - {id: battery, label: The battery is mentioned, phrases: [battery]}
links:
  - {from: damaged, to: bulbs_out}
misconceptions:
  - {id: short_circuit, phrases: [short circuit], feedback: "A damaged bulb leaves a gap, not a short."}
scoring:
  key_elements: [reason, "damaged -> bulbs_out"]
  groups: [{id: reason, members: [gap, open_path, not_closed], counts: 1}]
  table: {1: 1, 2: 2}
"""
KEYED = parse_rubric(KEYED_YAML)
# the same with the group as its only key element
GROUP_ONLY = parse_rubric(
    KEYED_YAML.replace('key_elements: [reason, "damaged -> bulbs_out"]', "key_elements: [reason]").replace(
        "table: {1: 1, 2: 2}", "table: {1: 1}"
    )
)
POINTS = parse_rubric(
    """
id: test/points
title: Plucking harder
prompt: What happens to the volume if you pluck harder?
concepts:
  - {id: louder, label: Louder, phrases: [louder], points: 2}
  - {id: vibrates_more, label: Vibrates more, phrases: [vibrate more], points: 1}
scoring: {max: 2}
"""
)


def _feedback(rubric, present=(), negated=(), links=(), misconceptions=(), score=None):
    ev = [Evidence(start=0, end=1, text="x", rule="phrase: x")]
    concepts = [
        ConceptResult(
            id=c.id,
            label=c.label,
            status="present" if c.id in present else "negated" if c.id in negated else "missing",
            evidence=ev if c.id in present or c.id in negated else [],
        )
        for c in rubric.concepts
    ]
    link_results = [
        LinkResult(from_=lk.from_, to=lk.to, status="present" if lk.key in links else "missing")
        for lk in rubric.links
    ]
    mis = [MisconceptionResult(id=m, feedback="wrong", evidence=ev) for m in misconceptions]
    return Feedback(
        rubric=rubric.id,
        pipeline="test",
        score=score if score is not None else 0.0,
        max_score=rubric.max_score(),
        concepts=concepts,
        links=link_results,
        misconceptions=mis,
        feedback=[],
    )


LINK = "damaged -> bulbs_out"
LABEL_CASES = [
    # (situation, rubric, what the checker found, expected label)
    ("every key element: one member of the group and the link", KEYED,
     {"present": ["gap", "damaged", "bulbs_out"], "links": [LINK]}, "correct"),
    ("another member of the group does as well", KEYED,
     {"present": ["not_closed", "damaged", "bulbs_out"], "links": [LINK]}, "correct"),
    ("the group shown but the link not argued (both ends listed)", KEYED,
     {"present": ["gap", "damaged", "bulbs_out"]}, "incorrect"),
    ("the link argued but no member of the group", KEYED,
     {"present": ["damaged", "bulbs_out"], "links": [LINK]}, "incorrect"),
    ("nothing found: an empty or off-topic answer", KEYED, {}, "incorrect"),
    ("a misconception beside every key element", KEYED,
     {"present": ["gap", "damaged", "bulbs_out"], "links": [LINK], "misconceptions": ["short_circuit"]},
     "contradictory"),
    ("a misconception alone", KEYED, {"misconceptions": ["short_circuit"]}, "contradictory"),
    ("a group member only negated ('there is no gap')", KEYED, {"negated": ["gap"]}, "contradictory"),
    ("a link end only negated ('the bulbs do not go out')", KEYED,
     {"present": ["gap", "damaged"], "negated": ["bulbs_out"]}, "contradictory"),
    ("a negated concept that is no key element", KEYED,
     {"present": ["gap"], "negated": ["battery"]}, "incorrect"),
    ("a negated group member, the group shown by another", KEYED,
     {"present": ["open_path", "damaged", "bulbs_out"], "negated": ["gap"], "links": [LINK]}, "correct"),
    ("points rubric at full marks", POINTS, {"present": ["louder"], "score": 2.0}, "correct"),
    ("points rubric below full marks", POINTS, {"present": ["vibrates_more"], "score": 1.0}, "incorrect"),
    ("points rubric, a scored concept only negated", POINTS, {"negated": ["louder"]}, "contradictory"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("situation", "rubric", "found", "expected"), LABEL_CASES, ids=[c[0] for c in LABEL_CASES]
)
def test_three_way_label(situation, rubric, found, expected):
    assert threeway.three_way_label(rubric, _feedback(rubric, **found)) == expected


def test_key_element_concepts_take_groups_and_link_ends():
    assert threeway.key_element_concepts(KEYED) == {"gap", "open_path", "not_closed", "damaged", "bulbs_out"}
    assert threeway.key_element_concepts(POINTS) == {"louder", "vibrates_more"}


def test_label_from_a_real_check(nlp):
    checker = Checker(GROUP_ONLY, nlp)
    cases = [
        ("The damaged bulb leaves a gap.", "correct"),
        ("Now there is an open path.", "correct"),
        ("There is no gap.", "contradictory"),
        ("The damaged bulb made a short circuit.", "contradictory"),
        ("The battery is old.", "incorrect"),
        ("", "incorrect"),
    ]
    got = [threeway.three_way_label(GROUP_ONLY, checker.check(a)) for a, _ in cases]
    assert got == [label for _, label in cases]


OVERLAP_CASES = [
    # (answer, other text, shared sequence lengths longest first)
    ("there is a gap", "there is a gap", [4]),
    ("the bulb is in a closed path", "there is a closed path containing the bulb", [3, 2, 1]),
    ("gap gap gap", "a gap", [1]),
    ("terminal 4 is connected", "the positive terminal", [1]),
    ("voltage 1.5", "1.5 volts", [1]),
    ("nothing shared", "at all", []),
]


@pytest.mark.parametrize(("a", "b", "lengths"), OVERLAP_CASES)
def test_overlaps_longest_first_each_word_once(a, b, lengths):
    assert threeway.overlaps(threeway.words(a), threeway.words(b)) == lengths


def test_overlap_scores():
    a = threeway.words("the bulb is in a closed path")  # 7 words
    b = threeway.words("there is a closed path containing the bulb")  # 8 words
    raw, cosine, f1, lesk = threeway.overlap_scores(a, b)
    assert raw == 6
    assert cosine == pytest.approx(6 / (7 * 8) ** 0.5)
    assert f1 == pytest.approx(2 * (6 / 8) * (6 / 7) / (6 / 8 + 6 / 7))
    assert lesk == pytest.approx((9 + 4 + 1) / (7 * 8))
    assert threeway.overlap_scores([], b) == (0.0, 0.0, 0.0, 0.0)


def test_features_use_the_best_matching_reference():
    data = sys.modules["data"]
    q = data.Question(
        "Q", "beetle", "Why did the bulbs go out?", ["the battery is dead", "there is a gap in the path"]
    )
    answer = threeway.words("because there is a gap")
    feats = threeway.overlap_features("because there is a gap", q)
    assert len(feats) == len(threeway.FEATURES) == 8
    assert feats[:4] == list(threeway.overlap_scores(answer, threeway.words(q.text)))
    # "there is a gap" is shared with the second reference answer, nothing with the first
    assert feats[4:] == list(threeway.overlap_scores(answer, threeway.words(q.references[1])))
    assert feats[4] == 4.0


def test_metrics_on_a_small_table():
    truth = ["correct", "correct", "contradictory", "incorrect", "incorrect", "incorrect"]
    pred = ["correct", "incorrect", "contradictory", "incorrect", "incorrect", "correct"]
    m = threeway.metrics(truth, pred)
    assert m["accuracy"] == pytest.approx(4 / 6)
    c, x, i = (m["per_class"][k] for k in threeway.LABELS)
    assert (c["precision"], c["recall"]) == (pytest.approx(0.5), pytest.approx(0.5))
    assert (x["precision"], x["recall"], x["f1"]) == (1.0, 1.0, 1.0)
    assert (i["precision"], i["recall"]) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert m["macro_f1"] == pytest.approx((0.5 + 1.0 + 2 / 3) / 3)
    assert m["confusion"] == [[1, 0, 1], [0, 1, 0], [1, 0, 2]]


@pytest.mark.parametrize("path", BEETLE_RUBRICS + UQ_RUBRICS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_blind_rubric_passes_its_examples(path, nlp):
    results = run_examples(Checker(load_rubric(path), nlp))
    assert results and all(r.ok for r in results), [r.problems for r in results if not r.ok]


def test_named_data_folder_that_lacks_the_zip_is_a_clear_error(tmp_path, capsys):
    assert threeway.main(["--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "semeval-3way.zip" in err and "Traceback" not in err


def test_default_data_folder_absent_skips(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GRADER_SEMEVAL_DIR", raising=False)
    monkeypatch.setattr(sys.modules["data"], "ROOT", tmp_path)
    assert threeway.main([]) == 0
    assert "skipping" in capsys.readouterr().out


# --- on the shared data, when present -----------------------------------------------------


@pytest.fixture(scope="module")
def folder():
    path = sys.modules["data"].data_dir(None)
    if not (path / "semeval-3way.zip").is_file():
        pytest.skip(f"the SemEval-2013 Task 7 data is not in {path} on this machine")
    return path


@pytest.mark.parametrize(
    ("split", "questions", "answers"),
    [("beetle-uq", 9, 819), ("scientsbank-uq", 15, 733)],
)
def test_loaders_read_every_question_and_a_rubric_covers_each(folder, split, questions, answers):
    data = sys.modules["data"]
    s = threeway.SPLIT_SETS[split]
    qs, items = data.load_corpus(folder, s.corpus, s.split)
    assert (len(qs), len(items)) == (questions, answers)
    assert all(q.text and q.references for q in qs)
    assert {it.label for it in items} == set(threeway.LABELS)
    assert {it.question for it in items} == {q.id for q in qs}
    assert set(threeway.rubric_files(s, qs)) == {q.id for q in qs}


def test_training_splits_feed_the_baseline(folder):
    data = sys.modules["data"]
    beetle_q, beetle = data.load_corpus(folder, "beetle", "train")
    sci_q, sci = data.load_corpus(folder, "sciEntsBank", "train")
    assert (len(beetle_q), len(beetle), len(sci_q), len(sci)) == (47, 3941, 135, 4969)


def test_run_on_beetle_unseen_questions(folder, capsys):
    result = threeway.run(folder, ["beetle-uq"])
    (split,) = result["splits"]
    assert split["n"] == sum(split["labels"].values()) == 819
    for system in ("grader", "baseline"):
        m = split[system]
        assert sum(map(sum, m["confusion"])) == 819
        assert 0.3 < m["accuracy"] < 1 and 0 < m["macro_f1"] < 1
    assert result["baselines"]["beetle"]["n_train"] == 3941
    threeway.print_report(result)
    out = capsys.readouterr().out
    assert "Beetle test-uq" in out and "baseline" in out


def test_a_missing_rubric_of_an_unseen_question_is_named(tmp_path):
    data = sys.modules["data"]
    (tmp_path / "closed-path-explain.yaml").write_text("id: x\n")
    split = threeway.Split("x", "Beetle test-uq", "beetle", "test-uq", tmp_path, True)
    questions = [
        data.Question("CLOSED_PATH_EXPLAIN", "beetle", "Explain your reasoning.", ["a closed path"]),
        data.Question("DAMAGED_BULB_SWITCH_Q", "beetle", "How does a damaged bulb compare?", ["same"]),
    ]
    with pytest.raises(threeway.DataError, match=r"no rubric for 1 question.*damaged-bulb-switch-q\.yaml"):
        threeway.rubric_files(split, questions)
    partial = threeway.Split("x", "SciEntsBank test-ua", "beetle", "test-ua", tmp_path, False)
    assert list(threeway.rubric_files(partial, questions)) == ["CLOSED_PATH_EXPLAIN"]
