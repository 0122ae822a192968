"""Science notation and student spellings are unified before parsing; offsets map back."""

import pytest

from grader.nlp import normalize

CASES = [
    ("The Na+/K+ pump", "The sodium/potassium pump"),
    ("The Na⁺/K⁺ ATPase", "The sodium/potassium ATPase"),
    ("the Na-K pump", "the sodium-potassium pump"),
    ("Na^+ and K^+", "sodium and potassium"),
    ("3 Na+ out, 2 K+ in", "3 sodium out, 2 potassium in"),
    ("Ca²⁺ enters", "calcium enters"),
    ("Cl- ions", "chloride ions"),
    ("NaCl dissolves", "NaCl dissolves"),
    ("ATP → pump", "ATP -> pump"),
    ("ATP-->pump", "ATP -> pump"),
    ("about −70 mV", "about -70 mV"),
    ("about -70mV.", "about -70 mV."),
    ("the bulb reads 1.5V and the switch 0V", "the bulb reads 1.5 V and the switch 0 V"),
    ("add 20mL of water", "add 20 mL of water"),
    ("3Vs", "3Vs"),
    ("it’s “active”", 'it\'s "active"'),
    ("the pump wich makes", "the pump which makes"),
    ("Becuase the channels open", "Because the channels open"),
    ("it doesnt need ATP", "it doesn't need ATP"),
    ("moves w/o energy", "moves without energy"),
    # list items glued together as students type them
    ("1.DNA in the nucleus2.mRNA copies it", "1. DNA in the nucleus. 2. mRNA copies it"),
    ("3)tRNA brings amino acids", "3) tRNA brings amino acids"),
    ("Osmosis- the movement of water", "Osmosis - the movement of water"),
    ("a well-known gradient", "a well-known gradient"),
    ("pump(uses ATP)->gradient", "pump (uses ATP) -> gradient"),
    ("Step 1:pump uses ATP.Step 2:gradient forms.", "Step 1: pump uses ATP. Step 2: gradient forms."),
    ("a)turgid b)plasmolyzed", "a) turgid b) plasmolyzed"),
    ("uses ATP energy.3)Diffusion", "uses ATP energy. 3) Diffusion"),
    ('Bulb C wasn"t in a closed path', "Bulb C wasn't in a closed path"),
    ("e.g. the U.S. data", "e.g. the U.S. data"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_normalizing_twice_changes_nothing(text, expected):
    assert normalize(expected).text == expected


def test_glued_list_offsets_point_at_the_student_text():
    text = "nucleus2.mRNA"
    n = normalize(text)
    start = n.text.index("mRNA")
    assert n.span(start, start + 4) == (9, 13) and text[9:13] == "mRNA"


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_normalize(text, expected):
    assert normalize(text).text == expected


@pytest.mark.parametrize(("text", "word"), [("The Na⁺/K⁺ pump", "sodium/potassium"), ("ATP → pump", "->")])
def test_offsets_map_back_to_the_original(text, word):
    n = normalize(text)
    start = n.text.index(word)
    o_start, o_end = n.span(start, start + len(word))
    assert text[o_start:o_end] in {"Na⁺/K⁺", "→"}
