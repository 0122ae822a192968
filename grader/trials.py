"""Trying a changed rubric on a teacher's scored answers: measured, not guessed.

`grader rubric suggest` proposes phrases to add and phrases to drop, and ranks them by
how much closer to the teacher's scores the rubric would come. Each proposal is a
`Change`; `Trials` re-scores the answers with changed rubrics and reports the
agreement each change would give. It is fast enough for a class because

- every answer is parsed once (the spaCy parse is most of a check's cost), and a
  changed rubric re-runs only the checker's own analysis on the cached parses;
- a change can only alter answers its phrase is found in, so only those are checked
  again: where a phrase to add is found comes from one matcher built for every
  candidate at once, where a phrase to drop fired is in the Feedback's evidence;
- changes whose answers do not overlap cannot affect each other, so they are tried
  together, on one compiled rubric.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from spacy.language import Language
from spacy.tokens import Doc

from .evaluate import quadratic_weighted_kappa
from .feedback import Feedback
from .rubric import Rubric


@dataclass(frozen=True)
class Change:
    """One edit of a rubric: add a phrase to a concept, or drop one of a concept's or a
    misconception's phrases."""

    action: Literal["add", "drop"]
    kind: Literal["concept", "misconception"]
    owner: str  # concept or misconception id
    phrase: str


def apply_changes(rubric: Rubric, changes: Iterable[Change]) -> Rubric:
    """The rubric with the changes made (validated like a rubric file)."""
    data = rubric.model_dump(by_alias=True)
    where = {("concept", c["id"]): c for c in data["concepts"]}
    where.update({("misconception", m["id"]): m for m in data["misconceptions"]})
    for ch in changes:
        item = where[(ch.kind, ch.owner)]
        if ch.action == "add":
            if ch.phrase not in item["phrases"]:
                item["phrases"].append(ch.phrase)
        else:
            item["phrases"] = [p for p in item["phrases"] if p != ch.phrase]
    return Rubric.model_validate(data)


def can_drop(rubric: Rubric, kind: str, owner: str, phrase: str) -> bool:
    """Dropping the phrase leaves the concept or misconception something to match with."""
    item: Any = (
        rubric.concept_by_id.get(owner)
        if kind == "concept"
        else next((m for m in rubric.misconceptions if m.id == owner), None)
    )
    if item is None or phrase not in item.phrases:
        return False
    others = len(item.phrases) - 1 + len(item.patterns) + len(getattr(item, "claims", []))
    return others > 0


@dataclass
class Trial:
    """What one change does to the agreement with the teacher."""

    change: Change
    answers: list[int]  # answers it could alter: where its phrase is found or fired
    scores: dict[int, float] = field(default_factory=dict)  # answer -> machine score with the change
    feedbacks: dict[int, Feedback] = field(default_factory=dict)
    qwk: float | None = None
    exact: float | None = None
    qwk_gain: float = 0.0
    exact_gain: float = 0.0

    @property
    def moved(self) -> list[int]:
        return sorted(self.scores)

    @property
    def helps(self) -> bool:
        """A measured gain: QWK up, or QWK as it was and more exact agreement."""
        return self.qwk_gain > 1e-9 or (abs(self.qwk_gain) <= 1e-9 and self.exact_gain > 1e-9)

    def rank(self) -> tuple[float, float]:
        return (round(self.qwk_gain, 9), round(self.exact_gain, 9))


class Trials:
    """A teacher's scored answers, parsed once, to try changed rubrics on."""

    def __init__(
        self,
        rubric: Rubric,
        nlp: Language,
        answers: Sequence[str],
        teacher: Sequence[float],
        feedbacks: Sequence[Feedback] | None = None,
        docs: Sequence[Doc] | None = None,
    ):
        from .checker import Checker

        self.rubric, self.nlp = rubric, nlp
        self.answers, self.teacher = list(answers), [float(t) for t in teacher]
        self.docs = list(docs) if docs is not None else list(nlp.pipe(self.answers))
        if feedbacks is None:
            feedbacks = self.check(Checker(rubric, nlp), range(len(self.answers)))
        self.feedbacks = list(feedbacks)
        self.machine = [fb.score for fb in self.feedbacks]
        self.qwk, self.exact = self.agreement(self.machine)
        self.compiles = 0  # rubrics compiled to try changes (reported by the benchmark)

    def agreement(self, machine: Sequence[float]) -> tuple[float | None, float]:
        exact = sum(1 for t, m in zip(self.teacher, machine, strict=True) if t == m) / len(machine)
        return quadratic_weighted_kappa(self.teacher, list(machine)), exact

    def check(self, checker: Any, indices: Iterable[int]) -> list[Feedback]:
        """The checker's Feedback on the given answers, from the cached parses (a multi-part
        rubric splits each answer by its part markers, so those are parsed again)."""
        idx = list(indices)
        if checker.rubric.parts:
            return list(checker.check_many([self.answers[i] for i in idx]))
        return [checker.analyze(self.docs[i]) for i in idx]

    def found_in(self, phrases: Sequence[str]) -> list[set[int]]:
        """For each phrase, the answers it is found in (as a rubric phrase matches: lemmas,
        skipped articles, spelling near misses), from one matcher built for all of them."""
        from .checker import compile_rubric

        if not phrases:
            return []
        probe = Rubric.model_validate(
            {
                "id": "probe",
                "title": "probe",
                "prompt": "probe",
                "concepts": [{"id": f"p{i}", "label": "p", "phrases": [p]} for i, p in enumerate(phrases)],
            }
        )
        compiled = compile_rubric(probe, self.nlp)
        out: list[set[int]] = [set() for _ in phrases]
        for n, doc in enumerate(self.docs):
            for hit in compiled.find(doc, compiled.keyed(doc)):
                out[int(hit.owner[1:])].add(n)
        return out

    def fired(self, kind: str, owner: str, phrase: str) -> set[int]:
        """The answers in which a rubric phrase of a concept or misconception fired."""
        rule = f"phrase: {phrase}"
        out = set()
        for n, fb in enumerate(self.feedbacks):
            items = fb.concepts if kind == "concept" else fb.misconceptions
            for item in items:
                if item.id == owner and any(_rule_name(e.rule) == rule for e in item.evidence):
                    out.add(n)
        return out

    def run(self, trials: list[Trial]) -> list[Trial]:
        """Measure each trial. Trials whose answers do not overlap share one compiled rubric."""
        from .checker import Checker

        batches: list[tuple[list[Trial], set[int]]] = []
        for t in trials:
            if not t.answers:
                t.qwk, t.exact = self.qwk, self.exact
                continue
            want = set(t.answers)
            for batch, used in batches:
                if used.isdisjoint(want):
                    batch.append(t)
                    used |= want
                    break
            else:
                batches.append(([t], set(want)))
        for batch, used in batches:
            changed = apply_changes(self.rubric, [t.change for t in batch])
            self.compiles += 1
            checker = Checker(changed, self.nlp)
            order = sorted(used)
            new = dict(zip(order, self.check(checker, order), strict=True))
            for t in batch:
                machine = list(self.machine)
                for i in t.answers:
                    fb = new[i]
                    if fb.score != self.machine[i]:
                        t.scores[i] = fb.score
                        t.feedbacks[i] = fb
                        machine[i] = fb.score
                self._measure(t, machine)
        return trials

    def together(self, changes: list[Change], answers: set[int]) -> tuple[float | None, float, list[float]]:
        """The agreement with every change made at once: (QWK, exact, machine scores)."""
        from .checker import Checker

        machine = list(self.machine)
        if changes and answers:
            checker = Checker(apply_changes(self.rubric, changes), self.nlp)
            self.compiles += 1
            order = sorted(answers)
            for i, fb in zip(order, self.check(checker, order), strict=True):
                machine[i] = fb.score
        qwk, exact = self.agreement(machine)
        return qwk, exact, machine

    def _measure(self, t: Trial, machine: list[float]) -> None:
        t.qwk, t.exact = self.agreement(machine) if t.scores else (self.qwk, self.exact)
        if t.qwk is not None and self.qwk is not None:
            t.qwk_gain = t.qwk - self.qwk
        t.exact_gain = t.exact - self.exact


def _rule_name(rule: str) -> str:
    """A rule without its spelling note: 'phrase: dish (spelling: dsh->dish)' -> 'phrase: dish'."""
    cut = rule.find(" (spelling: ")
    return rule if cut < 0 else rule[:cut]
