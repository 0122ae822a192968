"""The checker on the seed rubric: tables of real-looking answers and what must be found."""

import json

import pytest

from grader.checker import MAX_ANSWER_CHARS
from grader.errors import AnswerError

# (answer, credited concepts, not credited concepts)
CONCEPTS = [
    # chemical notation, every way students type it
    ("The Na+/K+ pump moves ions.", {"active_transport"}, set()),
    ("The Na⁺/K⁺ ATPase moves ions.", {"active_transport"}, set()),
    ("The Na-K pump moves ions.", {"active_transport"}, set()),
    ("The sodium-potassium pump moves ions.", {"active_transport"}, set()),
    ("The Na^+/K^+ pump moves ions.", {"active_transport"}, set()),
    ("There is more Na⁺ outside and more K⁺ inside the cell.", {"gradient"}, set()),
    ("The resting potential is −70 mV.", {"gradient"}, set()),
    # misspellings
    (
        "The sodium potasium pump makes a gradiant across the membrain.",
        {"active_transport", "gradient"},
        set(),
    ),
    ("When sodium chanels open the cell depolarizes.", {"channels_open", "potential_change"}, set()),
    ("When the sodium channels open the membrane depolarises.", {"channels_open", "potential_change"}, set()),
    # negation
    ("Active transport does not need ATP.", set(), {"atp", "active_transport"}),
    ("No ATP is used here.", set(), {"atp"}),
    ("The potential is set up not by diffusion but by active transport.", {"active_transport"}, set()),
    ("Without ATP the pump would stop.", {"atp", "active_transport"}, set()),
    ("The pump doesn't just use ATP, it also builds a gradient.", {"atp", "active_transport"}, set()),
    ("Active transport uses ATP, not diffusion.", {"atp", "active_transport"}, set()),
    # what is not enough
    ("Neurons have channels in their membranes.", set(), {"channels_open"}),
    ("An action potential is a signal.", set(), {"potential_change"}),
]


@pytest.mark.parametrize(("answer", "credited", "not_credited"), CONCEPTS)
def test_concepts(seed_checker, answer, credited, not_credited):
    fb = seed_checker.check(answer)
    got = set(fb.credited_concepts)
    assert credited <= got, fb.concepts
    assert not (not_credited & got), fb.concepts


# (answer, credited links, not credited links)
LINKS = [
    ("The Na+/K+ pump uses ATP.", {"atp -> active_transport"}, set()),
    ("ATP powers the sodium-potassium pump.", {"atp -> active_transport"}, set()),
    ("Without ATP the pump would stop.", {"atp -> active_transport"}, set()),
    ("The pump builds a concentration gradient.", {"active_transport -> gradient"}, set()),
    ("The gradient is maintained by the pump.", {"active_transport -> gradient"}, set()),
    (
        "ATP -> Na+/K+ pump -> concentration gradient",
        {"atp -> active_transport", "active_transport -> gradient"},
        set(),
    ),
    ("ATP → pump → gradient", {"atp -> active_transport", "active_transport -> gradient"}, set()),
    ("The pump uses ATP. This creates a concentration gradient.", {"active_transport -> gradient"}, set()),
    ("The Na+/K+ pump is in the membrane. It uses ATP.", {"atp -> active_transport"}, set()),
    ("Because sodium channels open, the membrane depolarizes.", {"channels_open -> potential_change"}, set()),
    ("The pump runs on ATP.", {"atp -> active_transport"}, set()),
    (
        "The pump moves 3 Na+ out and 2 K+ in. Because of this there is a concentration gradient.",
        {"active_transport -> gradient"},
        set(),
    ),
    (
        "The pump requires ATP because it moves ions against the concentration gradient.",
        {"atp -> active_transport"},
        set(),
    ),
    # keyword list: concepts but no reasoning
    (
        "ATP, active transport, concentration gradient, channels open, depolarization.",
        set(),
        {"atp -> active_transport", "active_transport -> gradient", "channels_open -> potential_change"},
    ),
    # reversed cause and effect
    ("The depolarization makes the sodium channels open.", set(), {"channels_open -> potential_change"}),
    ("The concentration gradient powers the pump.", set(), {"active_transport -> gradient"}),
    # sentences side by side with nothing binding them
    ("The pump uses energy. A concentration gradient exists.", set(), {"active_transport -> gradient"}),
]


@pytest.mark.parametrize(("answer", "credited", "not_credited"), LINKS)
def test_links(seed_checker, answer, credited, not_credited):
    fb = seed_checker.check(answer)
    got = set(fb.credited_links)
    assert credited <= got, fb.links
    assert not (not_credited & got), fb.links


def test_reversed_link_is_reported(seed_checker):
    fb = seed_checker.check("The depolarization makes the sodium channels open.")
    assert fb.link("channels_open -> potential_change").note == "reversed"
    assert any("other way round" in s for s in fb.feedback)


MISCONCEPTIONS = [
    ("Active transport does not need ATP.", {"no_energy_needed"}),
    ("Diffusion sets up the resting potential.", {"diffusion_sets_potential"}),
    ("Unlike diffusion, the pump uses ATP to build the gradient.", set()),
    ("The potential is not set up by diffusion.", set()),
    ("Active transport uses ATP, not diffusion.", set()),
    ("The pump doesn't just use ATP, it also builds a gradient.", set()),
]


@pytest.mark.parametrize(("answer", "expected"), MISCONCEPTIONS)
def test_misconceptions(seed_checker, answer, expected):
    fb = seed_checker.check(answer)
    assert set(fb.misconception_ids) == expected, fb.misconceptions


def test_evidence_points_at_the_students_own_characters(seed_checker):
    answer = "The Na⁺/K⁺ pump burns ATP → gradient"
    fb = seed_checker.check(answer)
    for c in fb.concepts:
        for ev in c.evidence:
            assert answer[ev.start : ev.end] == ev.text
    pump = fb.concept("active_transport").evidence[0]
    assert pump.text == "Na⁺/K⁺ pump"
    assert pump.rule.startswith("phrase: ")


def test_spelling_correction_is_named_in_the_rule(seed_checker):
    fb = seed_checker.check("The pump makes a concentration gradiant.")
    ev = fb.concept("gradient").evidence[0]
    assert ev.text == "concentration gradiant" and "spelling" in ev.rule


def test_false_friend_is_not_corrected(seed_checker):
    fb = seed_checker.check("Fusion of the vesicles with the membrane sets up the potential.")
    assert "diffusion_sets_potential" not in fb.misconception_ids


def test_empty_answer_is_a_valid_report(seed_checker):
    fb = seed_checker.check("   \n ")
    assert fb.score == 0
    assert all(c.status == "missing" for c in fb.concepts)
    assert fb.feedback and "Nothing was written" in fb.feedback[0]


def test_too_long_answer_is_refused_with_the_limit(seed_checker):
    with pytest.raises(AnswerError, match="20,000"):
        seed_checker.check("ATP " * (MAX_ANSWER_CHARS // 4 + 1))


def test_answer_at_the_limit_is_checked(seed_checker):
    text = ("The pump uses ATP. " * 2000)[:MAX_ANSWER_CHARS]
    fb = seed_checker.check(text)
    assert "atp -> active_transport" in fb.credited_links


def test_json_has_the_documented_fields(seed_checker):
    data = json.loads(seed_checker.check("The pump uses ATP.").to_json())
    assert data["schema_version"] == 1
    assert data["rubric"] == "ap-bio/membrane-potential"
    assert data["pipeline"].endswith("3.8.0")
    assert data["max_score"] == 9
    assert {"id", "label", "status", "evidence"} <= set(data["concepts"][0])
    assert {"from", "to", "status", "evidence"} <= set(data["links"][0])
    assert {"start", "end", "text", "rule"} <= set(data["concepts"][0]["evidence"][0])


def test_feedback_follows_the_chain(seed_checker):
    fb = seed_checker.check("The pump uses ATP. When sodium channels open the membrane depolarizes.")
    text = " ".join(fb.feedback)
    assert "gradient" in text
    assert "jumps from" in text


def test_check_many_keeps_order(seed_checker):
    answers = ["The pump uses ATP.", "", "Sodium channels open."]
    scores = [fb.score for fb in seed_checker.check_many(answers)]
    assert scores == [seed_checker.check(a).score for a in answers]


def test_broken_character_is_a_clear_error(seed_checker):
    with pytest.raises(AnswerError, match="broken character at position 4"):
        seed_checker.check("ATP \ud800 pump")


def test_rubric_text_has_no_trailing_newlines(seed_rubric):
    texts = [c.label for c in seed_rubric.concepts] + [m.feedback for m in seed_rubric.misconceptions]
    assert all(t == t.strip() for t in texts)
