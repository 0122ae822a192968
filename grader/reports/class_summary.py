"""What a class showed and missed, counted from its records as they stream past.

`ClassSummary` is a sink of the batch engine: it sees every record once and
keeps only counts and a few anonymous excerpts per question, so its memory
does not grow with the class.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..record import Record
from ..rubric import Rubric

MAX_EXCERPTS = 3
EXCERPT_CHARS = 220


@dataclass
class Excerpt:
    before: str
    hit: str
    after: str


@dataclass
class Item:
    """A concept or a link, with the share of the class that showed it."""

    kind: str  # "concept" | "link"
    key: str
    label: str
    shown: int
    not_credited: int  # concepts: only negated; links: stated the wrong way round
    n: int
    hint: str = ""  # the rubric's hint: what a student needs to say

    @property
    def share(self) -> float:
        return self.shown / self.n if self.n else 0.0


@dataclass
class PartStats:
    """One part of a multi-part question: its scores across the class."""

    id: str
    prompt: str
    max_score: float
    n: int = 0
    total: float = 0.0
    scores: Counter[float] = field(default_factory=Counter)
    blank: int = 0  # answers with nothing written for this part

    def add(self, score: float, blank: bool) -> None:
        self.n += 1
        self.total += score
        self.scores[score] += 1
        self.blank += blank

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else 0.0

    @property
    def full_marks(self) -> int:
        return sum(c for s, c in self.scores.items() if s >= self.max_score)

    def owns(self, item_id: str) -> bool:
        return item_id.startswith(f"{self.id}.")


@dataclass
class QuestionStats:
    rubric: Rubric
    n: int = 0
    total: float = 0.0
    scores: Counter[float] = field(default_factory=Counter)
    concepts: Counter[str] = field(default_factory=Counter)
    negated: Counter[str] = field(default_factory=Counter)
    links: Counter[str] = field(default_factory=Counter)
    reversed: Counter[str] = field(default_factory=Counter)
    misconceptions: Counter[str] = field(default_factory=Counter)
    excerpts: dict[str, list[Excerpt]] = field(default_factory=dict)
    with_misconception: int = 0
    empty: int = 0
    calibrated: int = 0
    parts: list[PartStats] = field(default_factory=list)  # multi-part questions only
    unmarked: int = 0  # multi-part answers with no part markers, read whole for every part

    def __post_init__(self) -> None:
        rubric = self.rubric
        self.parts = [
            PartStats(p.id, " ".join(p.prompt.split()), rubric.part_rubric(p.id).max_score())
            for p in rubric.parts
        ]

    def add(self, record: Record) -> None:
        fb = record.result
        self.n += 1
        self.total += fb.score
        self.scores[fb.score] += 1
        self.calibrated += fb.calibrated
        answer = record.answer
        if not answer.strip():
            self.empty += 1
        if fb.parts and self.parts:
            scored = {p.id: p for p in fb.parts}
            for part in self.parts:
                got = scored.get(part.id)
                part.add(got.score if got else 0.0, got is None or not answer[got.start : got.end].strip())
            self.unmarked += answer.strip() != "" and not all(p.marked for p in fb.parts)
        for c in fb.concepts:
            if c.status == "present":
                self.concepts[c.id] += 1
            elif c.status == "negated":
                self.negated[c.id] += 1
        for lk in fb.links:
            if lk.status == "present":
                self.links[lk.key] += 1
            elif lk.note == "reversed":
                self.reversed[lk.key] += 1
        if fb.misconceptions:
            self.with_misconception += 1
        for m in fb.misconceptions:
            self.misconceptions[m.id] += 1
            kept = self.excerpts.setdefault(m.id, [])
            if len(kept) < MAX_EXCERPTS and m.evidence:
                ex = excerpt(answer, m.evidence[0].start, m.evidence[0].end)
                if all(_plain(ex) != _plain(k) for k in kept):
                    kept.append(ex)

    @property
    def max_score(self) -> float:
        return self.rubric.max_score()

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else 0.0

    @property
    def median(self) -> float:
        if not self.n:
            return 0.0
        values = sorted(self.scores.elements())
        mid = self.n // 2
        return values[mid] if self.n % 2 else (values[mid - 1] + values[mid]) / 2

    @property
    def full_marks(self) -> int:
        return sum(c for s, c in self.scores.items() if s >= self.max_score)

    def items(self) -> list[Item]:
        """Concepts and links, the most missed first."""
        by_id = self.rubric.concept_by_id
        out = [
            Item(
                "concept",
                c.id,
                capitalized(c.short),
                self.concepts[c.id],
                self.negated[c.id],
                self.n,
                _hint(c.hint),
            )
            for c in self.rubric.concepts
        ]
        out += [
            Item(
                "link",
                lk.key,
                capitalized(f"{by_id[lk.from_].short} → {by_id[lk.to].short}"),
                self.links[lk.key],
                self.reversed[lk.key],
                self.n,
                _hint(lk.hint),
            )
            for lk in self.rubric.links
        ]
        order = {(i.kind, i.key): pos for pos, i in enumerate(out)}
        return sorted(out, key=lambda i: (i.share, order[(i.kind, i.key)]))

    def part_items(self, part: PartStats) -> list[Item]:
        """One part's concepts and links, the most missed first."""
        return [i for i in self.items() if part.owns(i.key)]

    def misconception_rows(self) -> list[tuple[str, str, int, list[Excerpt]]]:
        """(id, label, count, excerpts), most frequent first."""
        # an id without a label is read as words: "enzyme_dies", "b.enzyme_dies" -> "enzyme dies"
        labels = {
            m.id: (m.label or m.id.rsplit(".", 1)[-1].replace("_", " ")) for m in self.rubric.misconceptions
        }
        return [
            (mid, capitalized(labels.get(mid, mid)), count, self.excerpts.get(mid, []))
            for mid, count in self.misconceptions.most_common()
        ]


def capitalized(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:]


def _hint(text: str | None) -> str:
    return " ".join((text or "").split())


def _plain(ex: Excerpt) -> str:
    return " ".join((ex.before + ex.hit + ex.after).lower().split())


_SENTENCE_END = re.compile(r"[.!?\n]")


def excerpt(answer: str, start: int, end: int) -> Excerpt:
    """The sentence around answer[start:end], cut to about EXCERPT_CHARS around the hit."""
    begin = 0
    for m in _SENTENCE_END.finditer(answer, 0, start):
        begin = m.end()
    stop = _SENTENCE_END.search(answer, end)
    finish = stop.end() if stop else len(answer)
    before, hit, after = answer[begin:start], answer[start:end], answer[end:finish]
    room = max(EXCERPT_CHARS - len(hit), 40)
    if len(before) > room // 2:
        cut = before[-(room // 2) :]
        before = "…" + (cut.split(None, 1)[1] if " " in cut.strip() else cut.lstrip())  # whole words
    if len(after) > room // 2:
        cut = after[: room // 2]
        after = (cut.rsplit(None, 1)[0] if " " in cut.strip() else cut.rstrip()) + "…"
    return Excerpt(" ".join(before.split()) + (" " if before[-1:].isspace() else ""), hit, after.rstrip())


class ClassSummary:
    """A batch sink: per-question counts for the report and the terminal summary."""

    def __init__(self) -> None:
        self.questions: dict[str, QuestionStats] = {}

    def add(self, record: Record, rubric: Rubric) -> None:
        stats = self.questions.get(rubric.id)
        if stats is None:
            stats = self.questions[rubric.id] = QuestionStats(rubric)
        stats.add(record)

    @property
    def n(self) -> int:
        return sum(q.n for q in self.questions.values())
