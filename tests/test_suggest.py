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


def test_reports_the_loose_phrase_with_what_dropping_it_does(mined):
    answers, feedbacks, found = mined
    dish = next(r for r in found.loose if (r.point, r.rule) == ("evaporate", "phrase: dish"))
    # the answers it over-credited, with both scores
    assert {(i, t, m) for i, t, m, _ in dish.examples} <= {
        (a.id, a.score, fb.score) for a, fb in zip(answers, feedbacks, strict=True) if fb.score > a.score
    }
    assert dish.dropped_exact is not None and dish.dropped_exact > found.exact  # measured


def _with(draft_text, additions):
    data = yaml.safe_load(draft_text)
    for concept, phrase in additions:
        next(c for c in data["concepts"] if c["id"] == concept)["phrases"].append(phrase)
    return parse_rubric(yaml.safe_dump(data))


def test_each_figure_is_what_rechecking_every_answer_gives(mined, nlp):
    answers, _, found = mined
    teacher = [a.score for a in answers]
    assert found.phrases
    for s in found.phrases:
        # the whole class checked again from scratch, with only this phrase added
        fbs = check_scored(Checker(_with(DRAFT, [(s.concept, s.phrase)]), nlp), answers)
        again = Agreement.of(teacher, [fb.score for fb in fbs])
        assert again.qwk == pytest.approx(s.qwk_after) and again.exact == pytest.approx(s.exact_after)
        assert s.qwk_after > s.qwk_before and len(s.toward) >= 2 * len(s.away)
    every = _with(DRAFT, [(s.concept, s.phrase) for s in found.phrases])
    fbs = check_scored(Checker(every, nlp), answers)
    assert Agreement.of(teacher, [fb.score for fb in fbs]).qwk == pytest.approx(found.qwk_all)


def test_proposals_name_the_lines_they_move_answers_across(mined):
    for s in mined[2].phrases:
        assert s.lines and set(s.lines) <= {"0 | 1", "1 | 2", "2 | 3"}
    assert any("0 | 1" in s.lines for s in mined[2].phrases)  # where most of this class's misses are


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
    assert "No phrase found that would bring the scores closer to yours" in to_yaml(found)
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
        assert {"concept", "phrase", "answers", "qwk_before", "qwk_after", "toward", "lines"} <= set(s)
    assert {"line", "machine_higher", "machine_lower"} <= set(data["lines"][0])


def test_min_count_1_proposes_only_measured_gains_under_their_own_concept(nlp):
    from _scored import scored_sample

    rubric, scored, feedbacks = scored_sample()
    found = suggest(rubric, scored.answers, feedbacks, nlp, min_count=1)
    ions = {"sodium", "potassium", "ion", "ions", "channel", "channels", "flow"}
    for s in found.phrases:
        assert s.qwk_after >= s.qwk_before and s.exact_after >= s.exact_before
        assert (s.qwk_after, s.exact_after) != (s.qwk_before, s.exact_before)
        assert len(s.toward) >= 2 * len(s.away) and s.toward
        if s.concept == "atp":
            assert not ions & set(s.phrase.split()), s.phrase  # "sodium ions flow" is no wording of ATP
    assert len({s.phrase for s in found.phrases}) == len(found.phrases)  # one home per phrase


def test_generic_wording_that_gains_nothing_is_dropped(nlp):
    # "in class" is in every answer at every score: adding it anywhere cannot help
    rubric = parse_rubric(DRAFT)
    rows = [(s, f"In class, {t[0].lower()}{t[1:]}") for s, t in CLASS]
    answers = [ScoredAnswer(f"a{i}", i + 2, text, score) for i, (score, text) in enumerate(rows)]
    found = suggest(rubric, answers, check_scored(Checker(rubric, nlp), answers), nlp, min_count=1)
    assert not [s for s in found.phrases if "class" in s.phrase.split()]
