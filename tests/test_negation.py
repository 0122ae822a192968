"""Negation scope follows the parse: (sentence, word, negated?)."""

import pytest

from grader.nlp.polarity import polarity


def token(doc, word):
    return next(t for t in doc if t.text == word)


CASES = [
    ("Active transport does not need ATP.", "ATP", True),
    ("Active transport does not need ATP.", "transport", False),
    ("The pump doesn't require energy.", "energy", True),
    ("No ATP is needed by the pump.", "ATP", True),
    ("The ions move without energy.", "energy", True),
    ("The cell uses diffusion instead of active transport.", "transport", True),
    ("The cell uses diffusion instead of active transport.", "diffusion", False),
    ("The potential is set up not by diffusion but by active transport.", "diffusion", True),
    ("The potential is set up not by diffusion but by active transport.", "transport", False),
    ("Unlike diffusion, the pump uses ATP.", "ATP", False),
    ("Unlike diffusion, the pump uses ATP.", "diffusion", False),
    ("Without ATP the pump would stop.", "ATP", False),
    ("Without ATP, the pump cannot work.", "pump", False),
    ("If there is no ATP, the pump stops working.", "ATP", False),
    ("The pump never moves K+ out.", "pump", False),
    ("The pump never moves K+ out.", "potassium", True),
    ("The pump uses ATP, and the channels do not open.", "ATP", False),
    # negative quantifiers
    ("The pump uses little or no energy.", "energy", True),
    ("The pump uses hardly any energy.", "energy", True),
    ("The pump doesn't use any energy.", "energy", True),
    ("The pump uses some energy.", "energy", False),
    ("The voltage is non-zero.", "voltage", False),
    # a negated relative clause denies itself, not its antecedent
    ("The pump is a protein that does not require energy.", "energy", True),
    ("The pump is a protein that does not require energy.", "pump", False),
    # a negated passive
    ("The pump is not powered by ATP.", "ATP", True),
    # ", not X" denies only what follows it
    ("The potential is set up by diffusion, not by active transport.", "transport", True),
    ("The potential is set up by diffusion, not by active transport.", "diffusion", False),
    ("The pump moves ions, not water.", "water", True),
    ("The pump moves ions, not water.", "ions", False),
    # "without" before a verb
    ("The pump moves ions without using energy.", "energy", True),
    ("The channels do not open until the gradient is made.", "gradient", False),
    ("Diffusion does not set up the potential; the pump does.", "pump", False),
    ("The pump moves sodium out because it uses ATP.", "ATP", False),
]


@pytest.mark.parametrize(("text", "word", "negated"), CASES)
def test_polarity(nlp, text, word, negated):
    doc = nlp(text)
    assert polarity(token(doc, word)).negated is negated


def test_counterfactual_is_marked(nlp):
    doc = nlp("Without ATP the pump would stop.")
    pol = polarity(token(doc, "ATP"))
    assert pol.counterfactual and not pol.negated


@pytest.mark.parametrize(
    ("text", "word", "negated"),
    [
        ("Ions move by diffusion rather than active transport.", "transport", True),
        ("Ions move by diffusion rather than active transport.", "diffusion", False),
        ("The pump moves ions rather than letting them leak.", "ions", False),
    ],
)
def test_rather_than(nlp, text, word, negated):
    assert polarity(token(nlp(text), word)).negated is negated


@pytest.mark.parametrize(
    ("text", "word", "negated"),
    [
        ("The veins are not the same.", "veins", False),
        ("The veins are not the same.", "same", True),
        ("The pump is not passive transport.", "transport", True),
        ("The pump is not passive transport.", "pump", False),
        ("ATP is not needed.", "ATP", True),
        ("Active transport does not need ATP.", "transport", False),
    ],
)
def test_copula_negation_denies_the_predicate(nlp, text, word, negated):
    assert polarity(token(nlp(text), word)).negated is negated
