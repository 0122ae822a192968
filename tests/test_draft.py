"""`grader rubric draft`: a starter rubric from a question and a model answer."""

from __future__ import annotations

import pytest
import yaml
from _salt import CLASS
from _scored import run

from grader import Checker
from grader.draft import draft_data, draft_rubric, score_table
from grader.evaluate import ScoredAnswer, ScoredSet
from grader.examples import run_examples
from grader.rubric import load_rubric

# (question, model answer, words some key concept's phrases must hold, links cause -> effect
# as (word in the cause's label, word in the effect's label))
CASES = [
    (
        "If a mineral can be scratched by a penny, you can be sure that a paperclip will also "
        "scratch it. Explain how you know that tool would scratch the mineral.",
        "A paperclip is harder than a penny, so if a penny can scratch a mineral, a paperclip can "
        "also scratch the mineral.",
        {"harder", "hard"},
        [("harder", "also scratch")],
    ),
    (
        "Explain how a neuron keeps its resting potential and how it fires.",
        "The pump uses ATP to move sodium out of the cell. This builds a concentration gradient. "
        "When the channels open, sodium rushes in, which depolarizes the membrane.",
        {"atp", "gradient", "depolarizes"},
        [("pump uses", "builds"), ("channels open", "sodium rushes"), ("rushes", "depolarizes")],
    ),
    (
        "What happens to earth materials during erosion?",
        "Earth materials are worn away and moved during erosion.",
        {"worn away"},
        [],
    ),
    (
        "Explain the disadvantage of using this pulley system.",
        "You have to pull 3 times more rope than the distance the load moves.",
        {"3 times", "three times"},
        [],
    ),
]


@pytest.mark.parametrize("question,answer,words,links", CASES, ids=[c[1][:20] for c in CASES])
def test_concepts_phrases_and_links_from_the_model_answer(nlp, question, answer, words, links):
    result = draft_rubric(question, answer, nlp, rubric_id="test/draft", max_score=2)
    rubric = result.rubric
    keys = set(rubric.scoring.key_elements or [])
    phrases = {p for c in rubric.concepts if c.id in keys for p in c.phrases}
    assert words <= phrases | {w for p in phrases for w in p.split(" ... ")}, phrases
    label = {c.id: c.label.lower() for c in rubric.concepts}
    found = {(label[lk.from_], label[lk.to]) for lk in rubric.links}
    for cause, effect in links:
        assert any(cause in a and effect in b for a, b in found), (cause, effect, found)
    # the model answer earns the top score, and every example the draft holds passes
    assert Checker(rubric, nlp).check(answer).score == rubric.max_score() == 2
    assert all(r.ok for r in run_examples(Checker(rubric, nlp)))


def test_a_claim_that_restates_the_question_earns_nothing(nlp):
    question, answer = CASES[0][0], CASES[0][1]
    data, claims, notes = draft_data(question, answer, nlp, rubric_id="t/x")
    keys = data["scoring"]["key_elements"]
    restating = [c.id for c in claims if c.id not in keys]
    assert len(keys) == 1 and "hard" in keys[0]
    assert restating and any("restates the question" in n for n in notes)


@pytest.mark.parametrize(
    "n,top,table",
    [
        (1, 2, {1: 2}),
        (2, 2, {1: 1, 2: 2}),
        (3, 2, {1: 1, 2: 2}),
        (4, 3, {1: 1, 2: 2, 3: 3}),
        (6, 3, {1: 1, 2: 2, 4: 3}),
        (5, 1, {1: 1}),
    ],
)
def test_score_table(n, top, table):
    assert score_table(n, top) == table


def test_examples_from_the_teachers_scored_answers(nlp):
    answers = [ScoredAnswer(f"a{i}", i + 2, t, s) for i, (s, t) in enumerate(CLASS)]
    result = draft_rubric(
        "How did you separate the salt from the water?",
        "The water evaporated, so the salt was left behind in the dish.",
        nlp,
        rubric_id="test/salt",
        scored=ScoredSet("class.csv", answers, []),
    )
    assert result.rubric.max_score() == 3  # the teacher's top score
    assert result.agreement is not None and result.agreement["n"] == len(CLASS)
    teacher = {t: s for s, t in CLASS}
    from_class = [ex for ex in result.rubric.examples if ex.answer in teacher]
    assert from_class and all(ex.expect.score == teacher[ex.answer] for ex in from_class)
    assert all(r.ok for r in run_examples(Checker(result.rubric, nlp)))
    text = result.text
    assert "this draft agrees with you: QWK" in text and "scores" in text
    assert yaml.safe_load(text)["id"] == "test/salt"


def test_cli_writes_a_rubric_that_passes_rubric_check(tmp_path, capsys):
    q = tmp_path / "question.txt"
    q.write_text("What is the difference between a rock and a mineral?\n")
    a = tmp_path / "model.txt"
    a.write_text("A rock is made of many minerals. A mineral is one substance that cannot be broken down.\n")
    out = tmp_path / "rock-mineral.yaml"
    code, _, err = run(["rubric", "draft", str(q), str(a), "-o", str(out)], capsys)
    assert code == 0, err
    assert f"Wrote {out}" in err
    rubric = load_rubric(out)
    assert rubric.id == "rock-mineral" and len(rubric.concepts) >= 2
    code, printed, err = run(["rubric", "check", str(out)], capsys)
    assert code == 0 and "1 rubric(s) valid" in printed
    # texts instead of files, printed to stdout
    code, printed, err = run(
        ["rubric", "draft", "Why is the sky blue?", "Air scatters blue light most."], capsys
    )
    assert code == 0 and yaml.safe_load(printed)["scoring"]["key_elements"]


@pytest.mark.parametrize(
    "args,message",
    [
        (["missing.txt", "A rock is made of minerals."], "missing.txt: no such file for the question"),
        (["What is a rock?", "notes/model.txt"], "notes/model.txt: no such file for the model answer"),
        (["What is a rock?", "   "], "the model answer is empty"),
        (
            ["What is a rock?", "A rock is made of minerals.", "--id", "Rock Mineral"],
            "a rubric id is lower case",
        ),
        (["What is a rock?", "The."], "has no claim to build a concept from"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(capsys, args, message):
    code, out, err = run(["rubric", "draft", *args], capsys)
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_never_overwrites_without_force(tmp_path, capsys):
    out = tmp_path / "r.yaml"
    out.write_text("my edited rubric\n")
    args = ["rubric", "draft", "What is a rock?", "A rock is made of minerals.", "-o", str(out)]
    code, _, err = run(args, capsys)
    assert code == 2 and "already exists" in err and out.read_text() == "my edited rubric\n"
    code, _, err = run([*args, "--force"], capsys)
    assert code == 0 and load_rubric(out).concepts
