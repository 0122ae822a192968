# ruff: noqa: E501  (tables: one answer a line)
"""Rubric fields that say more than phrases: not:, window:, describes:, verbs: on a link,
scope: on a misconception. One rubric that needs each, and a table of answers."""

import pytest

from grader import Checker
from grader.rubric import parse_rubric

RUBRIC = """
id: test/format
title: Format
prompt: Explain osmosis, translation and the pump.
concepts:
  - {id: osmosis, label: Osmosis, phrases: [osmosis]}
  - {id: passive_transport, label: Passive transport, phrases: [passive transport]}
  - id: high_to_low
    label: Passive transport moves things from high to low concentration
    phrases: [from high ... to low]
    describes: passive_transport
  - id: to_ribosome
    label: The mRNA goes to the ribosome
    phrases: [to ribosome]
    not: [protein]
  - {id: codon_read, label: Codons are read, phrases: [codon ... read], window: sentence}
  - {id: sodium_out, label: Sodium goes out, phrases: [sodium ... out], window: item}
  - {id: pump, label: The pump, phrases: [pump]}
  - {id: atp, label: ATP, phrases: [ATP]}
  - {id: mrna, label: mRNA, phrases: [mRNA]}
  - {id: message, label: A message, phrases: [message]}
links:
  - {from: mrna, to: message, verbs: [be, carry]}
  - {from: atp, to: pump}
misconceptions:
  - id: pump_passive
    phrases: [pump ... passive]
    feedback: The pump is active transport.
  - id: atp_made_by_pump
    phrases: [pump make ATP]
    scope: sentence
    feedback: The pump uses ATP; it does not make it.
"""

CASES = [
    # describes: a description counts only for the term it describes
    ("Osmosis is the diffusion of water from high to low concentration.", {"osmosis"}, {"high_to_low"}),
    ("Passive transport moves molecules from high to low concentration.", {"passive_transport", "high_to_low"}, set()),
    ("It moves molecules from high concentration to low.", {"high_to_low"}, set()),
    # not: a phrase cancelled by another in its clause
    ("The mRNA travels to the ribosome.", {"to_ribosome"}, set()),
    ("The protein goes to the ribosome.", set(), {"to_ribosome"}),
    ("The protein is made after the mRNA goes to the ribosome.", {"to_ribosome"}, set()),
    # window: sentence lets a gap cross a clause; item keeps it inside one list item
    ("The codons, which the tRNA matches, are then read.", {"codon_read"}, set()),
    ("sodium goes out", {"sodium_out"}, set()),
    ("sodium in, potassium out", set(), {"sodium_out"}),
    # scope: clause (default) voids only its clause; scope: sentence voids the sentence
    ("The pump is passive, but it uses ATP.", {"atp"}, {"pump"}),
    ("The pump make ATP, and the mRNA is a message.", set(), {"mrna", "message"}),
]  # fmt: skip


@pytest.fixture(scope="module")
def checker(nlp):
    return Checker(parse_rubric(RUBRIC), nlp)


@pytest.mark.parametrize(("answer", "credited", "not_credited"), CASES)
def test_format_fields(checker, answer, credited, not_credited):
    fb = checker.check(answer)
    got = set(fb.credited_concepts)
    assert credited <= got, fb.concepts
    assert not (not_credited & got), fb.concepts


@pytest.mark.parametrize(
    ("answer", "linked"),
    [
        ("The mRNA is a message from the DNA.", True),  # "be" counts for this link
        ("The mRNA carries the message.", True),
        ("The mRNA makes a message.", False),  # a built-in relating verb, but not this link's
        ("The pump uses ATP.", None),  # the other link keeps the built-in verbs
    ],
)
def test_verbs_narrow_one_link(checker, answer, linked):
    fb = checker.check(answer)
    if linked is None:
        assert "atp -> pump" in fb.credited_links
    else:
        assert ("mrna -> message" in fb.credited_links) is linked, fb.links


def test_describes_must_name_another_concept():
    from grader.errors import RubricError

    bad = RUBRIC.replace("describes: passive_transport", "describes: nowhere")
    with pytest.raises(RubricError, match="describes names 'nowhere'"):
        parse_rubric(bad)


def test_window_must_be_a_number_or_a_unit():
    from grader.errors import RubricError

    with pytest.raises(RubricError, match="window"):
        parse_rubric(RUBRIC.replace("window: item", "window: paragraph"))


TRANSPORT = """
id: test/transport
title: Transport
prompt: Describe three processes that move substances across the membrane.
concepts:
  - {id: osmosis, label: Osmosis is the diffusion of water, phrases: [osmosis & water]}
  - {id: active, label: Active transport uses energy, phrases: [active transport & energy]}
  - {id: passive, label: Passive transport, phrases: [passive transport, diffusion]}
misconceptions:
  - id: water_low_to_high
    claims:
      - {subject: [water], object: [from low ... to high], verbs: [go, move, flow]}
    feedback: Water moves from high to low water concentration.
  - id: diffusion_energy
    claims:
      - {subject: [diffusion], object: [energy, ATP], verbs: [use, need, require]}
    feedback: Diffusion needs no energy.
"""


@pytest.mark.parametrize(
    ("answer", "credited", "misconceptions"),
    [
        # "A & B": credited when one way of taking its parts is asserted
        (
            "Diffusion, which requires no energy, and active transport, which uses energy, both move molecules.",
            {"active", "passive"},
            set(),
        ),
        ("Active transport does not need energy.", set(), set()),
        # a claim inside a long "A & B" sentence is still read ("diffusion uses energy")
        ("Diffusion uses energy to move molecules from high to low.", set(), {"diffusion_energy"}),
        # a reduced relative clause binds to its noun, and voids the definition it is part of
        ("Osmosis is water going from low to high concentration.", set(), {"water_low_to_high"}),
        (
            "1. Osmosis- the movement of water. 2. Active transport- uses ATP energy.3)Diffusion- from high to low.",
            {"osmosis", "active", "passive"},
            set(),
        ),
    ],
)
def test_together_phrases_and_reduced_clauses(nlp, answer, credited, misconceptions):
    fb = Checker(parse_rubric(TRANSPORT), nlp).check(answer)
    assert set(fb.credited_concepts) == credited, fb.concepts
    assert set(fb.misconception_ids) == misconceptions, fb.misconceptions
