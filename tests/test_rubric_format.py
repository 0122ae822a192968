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
