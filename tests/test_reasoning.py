# ruff: noqa: E501  (a table: one answer a line reads better than wrapped)
"""What the checker finds in real-looking answers to the seed question, phenomenon by
phenomenon: one line a case. (answer, credited, negated, links, not_links, misconceptions)

Concept ids: atp, active_transport, gradient, channels_open, potential_change.
"""

import pytest

A, P, G, C, V = "atp", "active_transport", "gradient", "channels_open", "potential_change"
AP, PG, GC, CV = f"{A} -> {P}", f"{P} -> {G}", f"{G} -> {C}", f"{C} -> {V}"
NO_ENERGY, DIFFUSION, SWAPPED = "no_energy_needed", "diffusion_sets_potential", "pump_ions_swapped"

CASES = [
    # --- misconceptions stated as claims: the real subject, negated predicates ---------
    # (the claim voids its own clause: a subject that stands outside it keeps its credit)
    ("The sodium potassium pump is a protein that does not require energy.", {P}, set(), set(), set(), {NO_ENERGY}),
    ("The pump is not powered by ATP.", set(), {A, P}, set(), {AP}, {NO_ENERGY}),
    ("The pump doesn't need any energy to move ions.", set(), {P}, set(), set(), {NO_ENERGY}),
    ("The pump uses little or no energy.", set(), {P}, set(), set(), {NO_ENERGY}),
    ("The pump moves ions without using any energy.", {P}, set(), set(), set(), {NO_ENERGY}),
    ("The pump does not need energy.", set(), {P}, set(), set(), {NO_ENERGY}),
    ("Active transport happens without ATP.", set(), {A, P}, set(), {AP}, {NO_ENERGY}),
    ("The resting potential is established by passive diffusion, not by active transport.",
     set(), {P}, set(), set(), {DIFFUSION}),
    # each relative clause binds to its own antecedent
    ("Diffusion, which uses energy, and active transport, which requires no energy, both move ions.",
     {P}, set(), set(), set(), {NO_ENERGY}),
    ("Active transport, which uses ATP, and diffusion, which requires no energy, both move ions.",
     {A, P}, set(), {AP}, set(), set()),
    # a misconception voids its own clause, not the true clause it is joined to
    ("The pump uses ATP to move ions, but diffusion alone sets up the resting potential.",
     {A, P}, set(), {AP}, set(), {DIFFUSION}),
    # a claim's object is parts of its clause: the thing moved, then where to
    ("Na+ ions are pumped into the cell by the pump.", set(), set(), set(), set(), {SWAPPED}),
    ("The pump moves not potassium but sodium out of the cell.", {P}, set(), set(), set(), set()),
    # --- not a denial ------------------------------------------------------------------
    ("Without ATP the pump would stop working.", {A, P}, set(), {AP}, set(), set()),
    ("Unlike diffusion, the pump uses ATP to build the gradient.", {A, P, G}, set(), {AP, PG}, set(), set()),
    ("The pump doesn't just use ATP, it also builds a gradient.", {A, P, G}, set(), set(), set(), set()),
    ("The pump needs a non-zero amount of ATP.", {A, P}, set(), {AP}, set(), set()),
    # --- links: arguments of a relating word, connectives, chains ----------------------
    ("ATP is used by the pump to move sodium out.", {A, P}, set(), {AP}, set(), set()),
    ("ATP gives the energy for active transport.", {A, P}, set(), {AP}, set(), set()),
    ("The gradient is due to the pump.", {P, G}, set(), {PG}, set(), set()),
    ("The gradient is the result of the pump.", {P, G}, set(), {PG}, set(), set()),
    ("The pump is responsible for the gradient.", {P, G}, set(), {PG}, set(), set()),
    ("The pump is powered by ATP, which lets it build a gradient.", {A, P, G}, set(), {AP, PG}, set(), set()),
    ("The gradient forms because the pump moves sodium out.", {P, G}, set(), {PG}, set(), set()),
    ("The sodium-potassium pump, using ATP, builds up a concentration gradient.", {A, P, G}, set(), {PG}, set(), set()),
    ("The pump uses ATP to build up a Na+ gradient across the membrane.", {A, P, G}, set(), {AP, PG}, set(), set()),
    ("When sodium channels open the sodium ions flow in and the neuron depolarizes.", {C, V}, set(), {CV}, set(), set()),
    ("When the sodium channels open, Na+ rushes in, which depolarizes the membrane.", {C, V}, set(), {CV}, set(), set()),
    ("Sodium rushing in through open channels depolarizes the membrane.", {C, V}, set(), {CV}, set(), set()),
    ("The channels open because of the gradient, and this depolarizes the membrane.", {G, C, V}, set(), {GC, CV}, set(), set()),
    ("The pump moves sodium out and potassium in, so there is more Na+ outside the cell than inside.",
     {P, G}, set(), {PG}, set(), set()),
    ("The pump uses ATP. This creates a concentration gradient.", {A, P, G}, set(), {AP, PG}, set(), set()),
    ("Na⁺ channels open → depolarization", {C, V}, set(), {CV}, set(), set()),
    # --- reversed cause and effect: related, but not credited ---------------------------
    ("The membrane depolarizes, so the channels open.", {C, V}, set(), set(), {CV}, set()),
    ("The depolarization makes the sodium channels open.", {C, V}, set(), set(), {CV}, set()),
    # --- lists and coordination earn no link ---------------------------------------------
    ("ATP pump gradient channels open depolarization", {A, P, G, C, V}, set(), set(), {AP, PG, GC, CV}, set()),
    ("ATP, sodium potassium pump, gradient, sodium channels open, depolarization",
     {A, P, G, C, V}, set(), set(), {AP, PG, GC, CV}, set()),
    ("ATP and the pump are both found in the membrane.", {A, P}, set(), set(), {AP}, set()),
    ("The pump uses energy. A concentration gradient exists.", {P, G}, set(), set(), {PG}, set()),
]  # fmt: skip


@pytest.mark.parametrize(("answer", "credited", "negated", "links", "not_links", "misconceptions"), CASES)
def test_reasoning(seed_checker, answer, credited, negated, links, not_links, misconceptions):
    fb = seed_checker.check(answer)
    got = set(fb.credited_concepts)
    assert credited <= got, fb.concepts
    assert negated <= {c.id for c in fb.concepts if c.status == "negated"}, fb.concepts
    assert links <= set(fb.credited_links), fb.links
    assert not (not_links & set(fb.credited_links)), fb.links
    assert set(fb.misconception_ids) == misconceptions, fb.misconceptions


@pytest.mark.parametrize(
    ("answer", "listed"),
    [
        ("ATP pump gradient channels open depolarization", True),
        ("ATP, sodium potassium pump, gradient, sodium channels open, depolarization", True),
        ("The pump uses ATP. The gradient exists.", False),
    ],
)
def test_a_list_of_terms_scores_at_most_list_max(seed_checker, answer, listed):
    fb = seed_checker.check(answer)
    assert any("lists terms" in s for s in fb.feedback) is listed
    if listed:
        assert fb.score == seed_checker.rubric.scoring.list_max == 3
        assert fb.credited_links == []


def test_a_link_narrowed_to_its_own_verbs(nlp):
    from grader import Checker
    from grader.rubric import parse_rubric

    text = """
id: t/osmosis
title: Osmosis
prompt: What is osmosis?
concepts:
  - {id: osmosis, label: osmosis, phrases: [osmosis]}
  - {id: diffusion, label: diffusion of water, phrases: [diffusion of water]}
links:
  - {from: osmosis, to: diffusion, verbs: [be, mean]}
"""
    checker = Checker(parse_rubric(text), nlp)
    assert checker.check("Osmosis is the diffusion of water.").credited_links == ["osmosis -> diffusion"]
    # the built-in relating verbs no longer count for this link
    assert checker.check("Osmosis causes the diffusion of water.").credited_links == []


def test_findings_are_on_the_doc_as_extensions(seed_checker):
    doc, fb = seed_checker.annotate("The pump does not use ATP, so no gradient forms.")
    concepts = {s._.concept: s for s in doc._.mentions if s._.kind == "concept"}
    assert set(concepts) == {"active_transport", "atp", "gradient"}
    assert concepts["atp"]._.polarity == "negated" and concepts["atp"]._.cue.text == "not"
    assert not concepts["atp"]._.asserted
    assert concepts["atp"]._.clause is not None
    start, end = concepts["atp"]._.original
    assert "The pump does not use ATP, so no gradient forms."[start:end] == "ATP"
    assert fb.score == seed_checker.check("The pump does not use ATP, so no gradient forms.").score
