"""The scores CSV of a batch: one row per record, one 0/1 column per concept and link."""

from __future__ import annotations

from typing import Any

from ..record import Record
from ..rubric import Rubric
from .numbers import fmt_number, short_names


class ScoresLayout:
    """Columns of the scores CSV: id, rubric, score, max_score, then per question: a score
    per part for a multi-part question (score_a, score_b, ...), one 0/1 per concept and
    link (prefixed by the question's short name when there are several), then
    misconceptions and feedback."""

    def __init__(self, rubrics: list[Rubric]):
        names = short_names([r.id for r in rubrics])
        self.blocks: list[tuple[str, list[str], list[str], list[str]]] = []
        header = ["id", "rubric", "score", "max_score"]
        for r in rubrics:
            parts = [p.id for p in r.parts]
            concepts = [c.id for c in r.concepts]
            links = [lk.key for lk in r.links]
            self.blocks.append((r.id, parts, concepts, links))
            prefix = f"{names[r.id]}: " if len(rubrics) > 1 else ""
            header += [f"{prefix}score_{p}" for p in parts]
            header += [prefix + x for x in concepts + links]
        self.header = header + ["misconceptions", "feedback"]

    def row(self, record: Record) -> list[Any]:
        fb = record.result
        cells: list[Any] = [record.id, fb.rubric, fmt_number(fb.score), fmt_number(fb.max_score)]
        for rid, parts, concepts, links in self.blocks:
            if rid != fb.rubric:
                cells += [""] * (len(parts) + len(concepts) + len(links))
                continue
            scored = {p.id: fmt_number(p.score) for p in fb.parts or []}
            cells += [scored.get(p, "") for p in parts]
            credited = set(fb.credited_concepts)
            linked = set(fb.credited_links)
            cells += [int(c in credited) for c in concepts]
            cells += [int(k in linked) for k in links]
        cells.append("; ".join(fb.misconception_ids))
        cells.append(" ".join(" ".join(s.split()) for s in fb.feedback))
        return cells
