"""The SciEntsBank benchmark: its rubrics pass their own examples; on the shared data
(when present) the script reports every question on both label scales."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from conftest import ROOT

from grader import Checker, load_rubric
from grader.examples import run_examples

BENCH = ROOT / "benchmarks" / "semeval"
RUBRICS = sorted((BENCH / "rubrics").glob("*.yaml"))


def _load_script():
    spec = importlib.util.spec_from_file_location("semeval_run", BENCH / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["semeval_run"] = module
    spec.loader.exec_module(module)
    return module


def test_at_least_five_questions():
    assert len(RUBRICS) >= 5
    script = _load_script()
    assert sorted(script.QUESTIONS.values()) == sorted(p.name for p in RUBRICS)


@pytest.mark.parametrize("path", RUBRICS, ids=lambda p: p.stem)
def test_rubric_passes_its_examples(path, nlp):
    results = run_examples(Checker(load_rubric(path), nlp))
    assert results and all(r.ok for r in results), [r.problems for r in results if not r.ok]


@pytest.fixture(scope="module")
def data_folder():
    script = _load_script()
    folder = script.data_dir(None)
    if not (folder / "semeval-3way.zip").is_file():
        pytest.skip(f"the SemEval-2013 Task 7 data is not in {folder} on this machine")
    return script, folder


def test_three_way_labels_are_read_from_the_zip(data_folder):
    script, folder = data_folder
    splits = script.load_three_way(folder, script.QUESTIONS, "test-ua")
    assert {it.question for it in splits["test-ua"]} == set(script.QUESTIONS)
    assert {it.label for it in splits["train"]} <= {"correct", "contradictory", "incorrect"}
    assert all(it.score in (0.0, 2.0) for it in splits["train"])


def test_report_covers_every_question(data_folder, capsys):
    script, folder = data_folder
    result = script.run(folder, None)
    assert [q["question"] for q in result["questions"]] == list(script.QUESTIONS)
    overall = result["overall"]["test_raw"]
    assert overall["n"] == sum(q["test_raw"]["n"] for q in result["questions"]) > 0
    assert -1 <= overall["qwk"] <= 1
    assert result["contradictory"]["n"] > 0
    script.print_report(result)
    assert result["scale"] in capsys.readouterr().out
