"""A first-draft rubric and a class of scored answers, shared by the evaluate and suggest tests.

The rubric for "How did you separate the salt from the water?" was written before the
teacher saw how students say it: no "dry up", no "salt stayed", and a bare "dish" phrase
that is too loose (every student used a dish). The teacher scores 0-3.
"""

from __future__ import annotations

DRAFT = """
id: test/salt-water
title: Separating salt from water
prompt: How did you separate the salt from the water?
concepts:
  - id: evaporate
    label: The water evaporates
    phrases: [evaporate, evaporation, evaporated, dish]
  - id: salt_left
    label: The salt is left behind
    phrases: [salt is left, salt left behind, salt remains]
links:
  - {from: evaporate, to: salt_left}
scoring: {max: 3}
"""

# (teacher's score, answer): as a class wrote them
CLASS = [
    (3, "We let the water dry up in the sun, so the salt stayed in the dish."),
    (3, "The water dried up and the salt stayed at the bottom of the dish."),
    (3, "We put it by the window until the water dried up, and the salt stayed behind."),
    (2, "The water dried up over two days."),
    (2, "We left the cup out and the water dried up."),
    (3, "The water evaporated and the salt is left behind."),
    (3, "We let the water evaporate so only the salt remains."),
    (2, "The water evaporated in the Petri dish."),
    (3, "The water evaporated, leaving the salt."),
    (2, "The water dried up and made crystals."),
    (0, "We poured the water out of the cup."),
    (0, "We used a filter to get the salt out."),
    (0, "The salt dissolved in the water."),
    (0, "You can see the salt in the water."),
    (0, "We shook the salt and the water together."),
    (1, "We used the dish."),
    (0, "We mixed the salt with the water and stirred it."),
    (0, "I do not remember."),
    (0, "We poured it into a dish."),
    (0, "The dish had salt and water in it."),
]
