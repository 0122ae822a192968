"""`grader rubric suggest`: phrasings the rubric misses, and loose phrases, mined from scored answers."""

from __future__ import annotations

import json

import pytest
import yaml
from _salt import CLASS, DRAFT
from _scored import SCORED, run
from conftest import SEED

from grader import Checker
from grader.evaluate import Agreement, ScoredAnswer, check_scored
from grader.rubric import parse_rubric
from grader.suggest import suggest, to_yaml


@pytest.fixture(scope="module")
def draft():
    return parse_rubric(DRAFT)


@pytest.fixture(scope="module")
def mined(draft, nlp):
    answers = [ScoredAnswer(f"a{i}", i + 2, text, score) for i, (score, text) in enumerate(CLASS)]
    feedbacks = check_scored(Checker(draft, nlp), answers)
    return answers, feedbacks, suggest(draft, answers, feedbacks, nlp)


def _by_concept(found):
    out: dict[str, list[str]] = {}
    for s in found.phrases:
        out.setdefault(s.concept, []).append(s.phrase)
    return out


@pytest.mark.parametrize(
    "concept,words",
    [
        ("evaporate", {"dried", "up"}),  # "the water dried up": the missing wording of evaporation
        ("salt_left", {"salt", "stayed"}),  # "the salt stayed": the missing wording of salt left behind
    ],
)
def test_proposes_the_missing_wording_under_its_concept(mined, concept, words):
    phrases = _by_concept(mined[2]).get(concept, [])
    assert any(words <= set(p.split()) for p in phrases), phrases


def test_never_proposes_what_the_rubric_already_credits(mined, draft, nlp):
    checker = Checker(draft, nlp)
    for s in mined[2].phrases:
        assert checker.check(s.phrase).concept(s.concept).status != "present", s.phrase


def test_examples_are_sentences_from_the_answers(mined):
    answers = {a.id: a.answer for a in mined[0]}
    for s in mined[2].phrases:
        assert s.examples
        for aid, sentence in s.examples:
            assert sentence.split()[0] in answers[aid]


def test_reports_the_loose_phrase(mined):
    loose = {(r.point, r.rule) for r in mined[2].loose}
    assert ("evaporate", "phrase: dish") in loose


def test_yaml_is_ready_to_paste_and_helps(mined, draft, nlp):
    answers, feedbacks, found = mined
    text = to_yaml(found)
    pasted = yaml.safe_load(text)
    assert [c["id"] for c in pasted["concepts"]] == [
        c for c in ["evaporate", "salt_left"] if c in _by_concept(found)
    ]
    # the teacher pastes the proposals into the rubric: agreement with their scores goes up
    data = yaml.safe_load(DRAFT)
    for entry in pasted["concepts"]:
        concept = next(c for c in data["concepts"] if c["id"] == entry["id"])
        concept["phrases"] += entry["phrases"]
    improved = parse_rubric(yaml.safe_dump(data))
    after = check_scored(Checker(improved, nlp), answers)
    teacher = [a.score for a in answers]
    before_qwk = Agreement.of(teacher, [fb.score for fb in feedbacks]).qwk
    after_qwk = Agreement.of(teacher, [fb.score for fb in after]).qwk
    assert after_qwk > before_qwk


def test_min_count_above_the_evidence_finds_nothing(mined, draft, nlp):
    answers, feedbacks, _ = mined
    found = suggest(draft, answers, feedbacks, nlp, min_count=20)
    assert found.phrases == [] and found.loose == []
    assert "No missing phrasing found" in to_yaml(found)
    assert yaml.safe_load(to_yaml(found)) is None  # only comments


def test_cli_yaml_and_json(capsys):
    code, out, err = run(["rubric", "suggest", str(SEED), str(SCORED)], capsys)
    assert code == 0, err
    assert out.startswith("# grader rubric suggest: ap-bio/membrane-potential")
    parsed = yaml.safe_load(out)
    assert parsed is None or all("id" in c and c["phrases"] for c in parsed["concepts"])
    code, out, err = run(["rubric", "suggest", str(SEED), str(SCORED), "--format", "json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["rubric"] == "ap-bio/membrane-potential" and data["n"] >= 48
    for s in data["phrases"]:
        assert {"concept", "phrase", "answers", "uncredited", "lift", "examples"} <= set(s)
