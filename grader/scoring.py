"""Scores as the rubric declares them: points per concept and link, or key-element counts."""

from __future__ import annotations

from collections.abc import Iterable

from .rubric import Rubric, parse_link


def score(
    rubric: Rubric,
    concepts: Iterable[str],
    links: Iterable[str],
    misconceptions: Iterable[str],
    listed_only: bool = False,
) -> float:
    """Score from what was credited: concept ids, link keys 'a -> b', misconception ids.
    `listed_only`: the answer only lists its terms (the rubric's `list_max` caps it).
    A multi-part rubric scores each part by its own scoring and adds them up."""
    if rubric.parts:
        concepts, links, misconceptions = list(concepts), list(links), list(misconceptions)
        total = sum(
            score(rubric.part_rubric(p.id), concepts, links, misconceptions, listed_only)
            for p in rubric.parts
        )
        return float(min(max(total, 0.0), rubric.max_score()))
    credited = set(concepts)
    linked = {"{} -> {}".format(*parse_link(k)) for k in links}
    s = rubric.scoring
    if s.key_elements is not None and s.table is not None:
        points = table_points(s.table, count_key_elements(rubric, credited, linked))
    else:
        points = sum(
            (c.points if c.points is not None else s.concept_points)
            for c in rubric.concepts
            if c.id in credited
        )
        points += sum(
            (lk.points if lk.points is not None else s.link_points) for lk in rubric.links if lk.key in linked
        )
    fired = set(misconceptions)
    points -= sum(m.penalty for m in rubric.misconceptions if m.id in fired)
    if listed_only and s.list_max is not None:
        points = min(points, s.list_max)
    return float(min(max(points, 0.0), rubric.max_score()))


def count_key_elements(rubric: Rubric, credited: set[str], linked: set[str]) -> int:
    groups = {g.id: g for g in rubric.scoring.groups}

    def shown(element: str) -> bool:
        return element in credited or element.replace(" ", "") in {x.replace(" ", "") for x in linked}

    count = 0
    for el in rubric.scoring.key_elements or []:
        if el in groups:
            g = groups[el]
            count += min(sum(1 for m in g.members if shown(m)), g.counts)
        elif shown(el):
            count += 1
    return count


def table_points(table: dict[int, float], count: int) -> float:
    eligible = [k for k in table if k <= count]
    return table[max(eligible)] if eligible else 0.0
