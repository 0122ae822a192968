"""A rubric's own examples: graded answers the checker must reproduce."""

from __future__ import annotations

from dataclasses import dataclass, field

from .checker import Checker
from .feedback import Feedback
from .rubric import Example, link_key, parse_link


@dataclass
class ExampleResult:
    index: int
    example: Example
    feedback: Feedback
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def run_examples(checker: Checker) -> list[ExampleResult]:
    rubric = checker.rubric
    results = []
    answers = [ex.answer for ex in rubric.examples]
    for i, (ex, fb) in enumerate(zip(rubric.examples, checker.check_many(answers), strict=True)):
        results.append(ExampleResult(i, ex, fb, compare(ex, fb)))
    return results


def compare(ex: Example, fb: Feedback) -> list[str]:
    e = ex.expect
    problems = []
    if e.score is not None and abs(fb.score - e.score) > 1e-9:
        problems.append(f"score {fb.score:g}, expected {e.score:g}")
    credited = set(fb.credited_concepts)
    linked = set(fb.credited_links)
    fired = set(fb.misconception_ids)
    for c in e.concepts:
        if c not in credited:
            problems.append(f"concept '{c}' not credited ({fb.concept(c).status})")
    for c in e.not_concepts:
        if c in credited:
            problems.append(f"concept '{c}' credited but should not be")
    for k in e.links:
        key = link_key(*parse_link(k))
        if key not in linked:
            note = fb.link(key).note
            problems.append(f"link '{key}' not credited" + (f" ({note})" if note else ""))
    for k in e.not_links:
        key = link_key(*parse_link(k))
        if key in linked:
            problems.append(f"link '{key}' credited but should not be")
    for m in e.misconceptions:
        if m not in fired:
            problems.append(f"misconception '{m}' not found")
    for m in e.not_misconceptions:
        if m in fired:
            problems.append(f"misconception '{m}' found but should not be")
    return problems
