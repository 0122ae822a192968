"""Phrase matching details on a small rubric: gaps, '&', spelling, false friends, patterns."""

import pytest

from grader import Checker
from grader.rubric import parse_rubric

RUBRIC = """
id: test/matching
title: Matching
prompt: Explain transport.
concepts:
  - id: osmosis
    label: Osmosis is the diffusion of water
    phrases: [osmosis & water]
  - id: channels_open
    label: Channels open
    phrases: [channel ... open]
  - id: diffusion
    label: Diffusion
    phrases: [diffusion]
  - id: gradient
    label: Gradient
    phrases: [concentration gradient]
  - id: rock_has_minerals
    label: A rock has many minerals
    phrases: [rock ... have ... mineral]
  - id: your_temperature
    label: Your own temperature
    phrases: [your temperature]
  - id: colder
    label: Colder
    phrases: [be colder]
  - id: paperclip_scratches_penny
    label: The paperclip scratches the penny
    phrases: [paperclip ... scratch ... penny]
  - id: mrna_read
    label: The mRNA is read
    phrases: [mrna ... read]
  - id: gap_found
    label: There is a gap
    phrases: [there is a gap]
  - id: bulb_a
    label: Bulb A
    phrases: [bulb a]
  - id: connected_positive
    label: Connected to the positive terminal
    phrases: [connect to ... positive]
  - id: voltage
    label: A negative voltage
    patterns: [[{"TEXT": {"REGEX": "^-\\\\d+$"}}, {"LOWER": "mv"}]]
"""


@pytest.fixture(scope="module")
def checker(nlp):
    return Checker(parse_rubric(RUBRIC), nlp)


CASES = [
    ("Water crosses the membrane by osmosis.", {"osmosis"}),
    ("Osmosis happens. Water is wet.", set()),  # '&' needs one sentence
    ("The sodium channels in the membrane open.", {"channels_open"}),
    ("The channels are opened.", {"channels_open"}),
    ("There are channels. They open later.", set()),  # a gap never crosses a sentence
    ("Ions move by difusion.", {"diffusion"}),  # misspelling
    ("Fusion of vesicles releases the transmitter.", set()),  # a real word is no misspelling
    ("Infusion of salt changes it.", set()),
    ("A concentraion gradiant forms.", {"gradient"}),
    ("It rests at -70 mV.", {"voltage"}),
    ("It rests at 70 mV.", set()),
    # a written verb stays in the phrase: "have" is not dropped as an auxiliary
    ("A rock has many minerals in it.", {"rock_has_minerals"}),
    ("A rock is made of minerals.", set()),
    ("The rock has moved minerals.", set()),
    # "your" is kept; "their/its" are skipped on both sides
    ("It measures your temperature.", {"your_temperature"}),
    ("It measures the temperature.", set()),
    # a comparative in a phrase does not meet the plain adjective
    ("The water is colder now.", {"colder"}),
    ("The water is cold.", set()),
    # a gap never crosses a clause
    ("The paperclip scratches the penny.", {"paperclip_scratches_penny"}),
    ("If the paperclip scratches it then the penny scratches it.", set()),
    ("The paperclip is soft, but the penny is hard.", set()),
    # adverbs inside a gap never break it; "then" opens a clause only as a connective
    ("The mRNA is then read by the ribosome.", {"mrna_read"}),
    ("The mRNA also gets read.", {"mrna_read"}),
    # "not X but Y" is one clause: the gap crosses its "but"
    ("The channels are not closed but open.", {"channels_open"}),
    # "be" is skipped on both sides, an article only when it is one
    ("I think there is a gap here.", {"gap_found"}),
    ("There was a gap.", {"gap_found"}),
    ("there is a gapp", {"gap_found"}),
    ("Bulb A is dim.", {"bulb_a"}),
    # a gap stops at ", not"
    ("It is connected to the negative terminal, not the positive one.", set()),
    ("It is connected to the positive terminal.", {"connected_positive"}),
]


@pytest.mark.parametrize(("answer", "expected"), CASES)
def test_found(checker, answer, expected):
    assert set(checker.check(answer).credited_concepts) == expected


def test_gap_phrase_takes_the_tightest_match(checker):
    fb = checker.check("The channel protein is big and the channel can open.")
    assert fb.concept("channels_open").evidence[0].text == "channel can open"


def test_pattern_rule_is_named(checker):
    ev = checker.check("It rests at -70 mV.").concept("voltage").evidence[0]
    assert ev.text == "-70 mV" and ev.rule.startswith("pattern: ")
