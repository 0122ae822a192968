"""Are two mentions related, and which way? (sentence, cause word, effect word, expected).

expected: "->" related with the cause first, "<-" related the other way round,
"?" related with no direction shown, None not related.
"""

import pytest

from grader.nlp.clauses import ClauseModel
from grader.nlp.relations import Relator


def token(doc, word):
    return next(t for t in doc if t.text == word)


def relate(a, b):
    """The relation between two one-word mentions, as the checker finds it."""
    model = ClauseModel(a.doc)
    relator = Relator(model, frozenset({a.i, b.i}))
    found = None
    for x in model.memberships([a], {a.i}):
        for y in model.memberships([b], {b.i}):
            rel = relator.in_clause(x, y) if x.clause is y.clause else relator.across_clauses(x, y)
            if rel is not None and (found is None or rel.direction > found.direction):
                found = rel
    return found


CASES = [
    # relating verbs, active and passive, verbs of need
    ("The pump uses ATP.", "ATP", "pump", "->"),
    ("ATP powers the pump.", "ATP", "pump", "->"),
    ("The gradient is maintained by the pump.", "pump", "gradient", "->"),
    ("ATP is used by the pump.", "ATP", "pump", "->"),
    ("The pump needs ATP to work.", "ATP", "pump", "->"),
    ("The pump creates a gradient by using ATP.", "ATP", "gradient", "->"),
    # connectives
    ("Because the channels open, the membrane depolarizes.", "channels", "depolarizes", "->"),
    ("The membrane depolarizes because the channels open.", "channels", "depolarizes", "->"),
    ("When the channels open, sodium rushes in and depolarizes the cell.", "channels", "depolarizes", "->"),
    ("The channels open, so the membrane depolarizes.", "channels", "depolarizes", "->"),
    ("The pump uses ATP to move ions, which creates a gradient.", "pump", "gradient", "->"),
    ("The pump uses ATP to move ions against their gradient.", "ATP", "move", "->"),
    # reversed cause and effect
    ("The depolarization makes the channels open.", "channels", "depolarization", "<-"),
    ("The channels open because the membrane depolarizes.", "channels", "depolarizes", "<-"),
    ("The gradient creates ATP.", "ATP", "gradient", "<-"),
    # not related: lists, coordination, contrast
    ("ATP, active transport, gradient, channels, action potential.", "ATP", "gradient", None),
    ("ATP and the pump are both found in cells.", "ATP", "pump", None),
    ("The pump is in the membrane and ATP is in the cytoplasm.", "ATP", "pump", None),
    ("Unlike diffusion, the pump builds the gradient.", "diffusion", "gradient", None),
    # different sentences are never related by the parse
    ("The pump works. ATP exists.", "ATP", "pump", None),
]


@pytest.mark.parametrize(("text", "cause", "effect", "expected"), CASES)
def test_relation(nlp, text, cause, effect, expected):
    doc = nlp(text)
    rel = relate(token(doc, cause), token(doc, effect))
    if expected is None:
        assert rel is None
    else:
        assert rel is not None
        got = {1: "->", -1: "<-", 0: "?"}[rel.direction]
        assert got == expected, rel


def test_relation_names_its_cue(nlp):
    doc = nlp("The pump uses ATP.")
    rel = relate(token(doc, "ATP"), token(doc, "pump"))
    assert rel.cue.text == "uses" and rel.rule == "verb: uses"
