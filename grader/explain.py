"""Feedback sentences a student can act on, in the order of the rubric's reasoning chain."""

from __future__ import annotations

from .feedback import ConceptResult, LinkResult, MisconceptionResult
from .rubric import Rubric

NOTHING_WRITTEN = (
    "Nothing was written, so there is nothing to check yet: write your explanation and check again."
)


ONLY_LISTED = (
    "Your answer lists terms but never says how one leads to the next. Write it as sentences "
    "that connect them: what does each step do to the next one?"
)


def sentences(
    rubric: Rubric,
    concepts: list[ConceptResult],
    links: list[LinkResult],
    misconceptions: list[MisconceptionResult],
    empty: bool,
    listed_only: bool = False,
) -> list[str]:
    if empty:
        return [NOTHING_WRITTEN]
    out = [m.feedback for m in misconceptions]
    if listed_only:
        out.append(ONLY_LISTED)
    status = {c.id: c for c in concepts}
    by_id = rubric.concept_by_id
    order = [c.id for c in rubric.concepts]
    present = [cid for cid in order if status[cid].status == "present"]

    for pos, cid in enumerate(order):
        result = status[cid]
        concept = by_id[cid]
        hint = f" {concept.hint}" if concept.hint else ""
        if result.status == "negated":
            quote = result.evidence[0].text if result.evidence else concept.short
            why = result.note or "in a negative"
            out.append(f'You mention {concept.short} only {why} ("{quote}"), so it earns no credit.{hint}')
        elif result.status == "missing":
            before = [c for c in present if order.index(c) < pos]
            after = [c for c in present if order.index(c) > pos]
            if before and after:
                a, b = by_id[before[-1]].short, by_id[after[0]].short
                out.append(
                    f"You say something about {a} and {b}, but not {concept.short}, "
                    f"so the explanation jumps from {a} to {b}.{hint}"
                )
            else:
                out.append(f"Your answer does not yet show {concept.short}.{hint}")
        for link in links:
            if link.from_ == cid and link.status == "missing":
                out.extend(_link_sentence(rubric, link, status))
    if not out:
        out.append("Your answer states every step of the reasoning and links them. Well done.")
    return out


def _link_sentence(rubric: Rubric, link: LinkResult, status: dict[str, ConceptResult]) -> list[str]:
    if status[link.from_].status != "present" or status[link.to].status != "present":
        return []  # the missing concept's own sentence says what to add
    by_id = rubric.concept_by_id
    a, b = by_id[link.from_].short, by_id[link.to].short
    spec = next(lk for lk in rubric.links if lk.key == link.key)
    hint = f" {spec.hint}" if spec.hint else ""
    if link.note == "reversed":
        return [
            f"You connect {a} and {b} the other way round: in this process {a} leads to {b}, "
            f"not the reverse.{hint}"
        ]
    return [f"You mention {a} and {b}, but not how one leads to the other.{hint}"]
