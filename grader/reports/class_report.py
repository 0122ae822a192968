"""The class report: what a class showed and missed, as one self-contained HTML file.

`write_report` takes the counts of a `ClassSummary` and streams the students'
records from the batch's JSONL into the page. CSS is inline and charts are
inline SVG; nothing is fetched from the network, so the file opens from a USB
stick. Every piece of student text goes through Jinja's autoescaping or
markupsafe.escape. A large class is capped: the first MAX_STUDENTS answers get
a table row and an answer card, and the page links to the scores CSV, which
holds every student; the charts and counts cover the whole class.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from ..feedback import Feedback
from ..io.atomic import atomic_write
from ..record import Record
from ..rubric import Rubric
from .charts import coverage_chart, distribution_chart
from .class_summary import ClassSummary, capitalized
from .numbers import fmt_number, plural, short_names

# Past this many answers a page gets heavy for a browser (50,000 rows: 75 MB, 44 s to open);
# the scores CSV and the JSONL hold the rest.
MAX_STUDENTS = 2000

# one colour per concept, in rubric order; readable as a highlight behind text
CONCEPT_COLOURS = ["#0f766e", "#2563eb", "#9333ea", "#c2410c", "#0891b2", "#4d7c0f", "#be185d", "#7c2d12"]


@dataclass
class StudentView:
    anchor: str
    id: str
    score: str
    max_score: str
    ratio: float
    concepts: list[tuple[str, str, str]]  # (status, colour, title)
    links: list[tuple[str, str]]  # (status, title)
    misconceptions: list[str]
    answer: Markup
    feedback: list[str]
    empty: bool
    parts: list[tuple[str, str, str]]  # multi-part questions: (part id, score, max score)


def highlight(answer: str, fb: Feedback, rubric: Rubric) -> Markup:
    """The answer as HTML with its evidence marked; everything else escaped."""
    n = len(answer)
    paint: list[tuple[int, str, str] | None] = [None] * n
    colour = {c.id: i for i, c in enumerate(rubric.concepts)}
    labels = {c.id: c.label for c in rubric.concepts}

    def mark(start: int, end: int, prio: int, cls: str, title: str) -> None:
        for i in range(max(start, 0), min(end, n)):
            cur = paint[i]
            if cur is None or cur[0] < prio:
                paint[i] = (prio, cls, title)

    for lk in fb.links:
        if lk.status == "present":
            for ev in lk.evidence[2:]:
                mark(ev.start, ev.end, 1, "cue", f"reasoning: {ev.rule}")
    for c in fb.concepts:
        label = " ".join(labels.get(c.id, c.id).split())
        for ev in c.evidence:
            if c.status == "present":
                shade = f"c{colour.get(c.id, 0) % len(CONCEPT_COLOURS)}"
                mark(ev.start, ev.end, 3, shade, f"{label} ({ev.rule})")
            elif c.status == "negated":
                mark(ev.start, ev.end, 2, "neg", f"not credited: {label} ({c.note or 'negated'})")
    for m in fb.misconceptions:
        for ev in m.evidence:
            mark(ev.start, ev.end, 4, "mis", f"misconception: {m.id}")
    out: list[str] = []
    i = 0
    while i < n:
        j = i
        while j < n and paint[j] == paint[i]:
            j += 1
        piece = escape(answer[i:j])
        p = paint[i]
        out.append(str(piece) if p is None else f'<mark class="{p[1]}" title="{escape(p[2])}">{piece}</mark>')
        i = j
    return Markup("".join(out))  # noqa: S704  (every piece escaped above)


def _students(jsonl: Path, rubric: Rubric, start: int, with_answers: bool) -> Iterator[StudentView]:
    """The first answers to one question, streamed from the JSONL; numbered across the whole report."""
    by_id = rubric.concept_by_id
    colour = {c.id: CONCEPT_COLOURS[i % len(CONCEPT_COLOURS)] for i, c in enumerate(rubric.concepts)}
    index = start
    # a rubric id is plain ASCII, and quotes inside JSON strings are escaped: this finds the field
    mine = f'"rubric":"{rubric.id}"'.encode()
    with open(jsonl, "rb") as fh:
        for line in fh:
            if index >= MAX_STUDENTS:
                return
            if mine not in line:
                continue
            record = Record.from_line(line)
            fb = record.result
            index += 1
            status: dict[str, str] = {c.id: c.status for c in fb.concepts}
            linked = {lk.key: lk for lk in fb.links}
            concepts: list[tuple[str, str, str]] = []
            for c in rubric.concepts:
                st = status.get(c.id, "missing")
                concepts.append((st, colour[c.id], f"{capitalized(c.short)}: {st}"))
            links: list[tuple[str, str]] = []
            for lk in rubric.links:
                got = linked.get(lk.key)
                st = str(got.status) if got is not None else "missing"
                if st == "missing" and got is not None and got.note == "reversed":
                    st = "reversed"
                links.append((st, f"{by_id[lk.from_].short} → {by_id[lk.to].short}: {st}"))
            answer = record.answer
            yield StudentView(
                anchor=f"a{index}",
                id=record.id,
                score=fmt_number(fb.score),
                max_score=fmt_number(fb.max_score),
                ratio=(fb.score / fb.max_score) if fb.max_score else 0.0,
                concepts=concepts,
                links=links,
                misconceptions=fb.misconception_ids,
                answer=highlight(answer, fb, rubric) if with_answers else Markup(""),
                feedback=[" ".join(s.split()) for s in fb.feedback],
                empty=not answer.strip(),
                parts=[(p.id, fmt_number(p.score), fmt_number(p.max_score)) for p in fb.parts or []],
            )


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("grader.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt_number
    env.filters["pct"] = lambda x: f"{x:.0%}"
    env.filters["plural"] = plural
    return env


def write_report(
    summary: ClassSummary,
    jsonl: str | Path,
    out: str | Path,
    source: str = "",
    scores_csv: str | Path | None = None,
) -> Path:
    """Write the HTML report for the records in `jsonl` (the batch's final JSONL).

    `scores_csv`, the batch's scores file, is linked from the page when the class
    is larger than the page shows.
    """
    out = Path(out)
    jsonl = Path(jsonl)
    names = short_names(list(summary.questions))
    sections = []
    start = 0
    for rid, q in summary.questions.items():
        items = q.items()
        anchor = "q-" + re.sub(r"[^a-z0-9]+", "-", rid.lower()).strip("-")
        misconceptions = q.misconception_rows()
        sections.append(
            {
                "id": rid,
                "anchor": anchor,
                "short": names[rid],
                "stats": q,
                "items": items,
                "missed": [i for i in items if i.share < 0.5][:3],
                "misconceptions": misconceptions,
                "distribution": distribution_chart(q),
                "coverage": coverage_chart(items),
                "colours": [
                    (CONCEPT_COLOURS[i % len(CONCEPT_COLOURS)], c) for i, c in enumerate(q.rubric.concepts)
                ],
                "links": q.rubric.links,
                "concept_by_id": q.rubric.concept_by_id,
                # generators: the answers stream from the JSONL into the page
                "students": _students(jsonl, q.rubric, start, with_answers=False),
                "cards": _students(jsonl, q.rubric, start, with_answers=True),
                "hidden": max(q.n - max(MAX_STUDENTS - start, 0), 0),
                "feedback": {m.id: " ".join(m.feedback.split()) for m in q.rubric.misconceptions},
                "parts": [
                    {
                        "stats": part,
                        "anchor": f"{anchor}-part-{part.id}",
                        "distribution": distribution_chart(part, size=(4.2, 2.4)),
                        "points": q.part_items(part),
                        "misconceptions": [row for row in misconceptions if part.owns(row[0])],
                    }
                    for part in q.parts
                ],
            }
        )
        start += q.n
    hidden = max(summary.n - MAX_STUDENTS, 0)
    csv_link = None
    if hidden and scores_csv is not None:
        csv_link = Path(os.path.relpath(Path(scores_csv).resolve(), out.resolve().parent)).as_posix()
    template = _env().get_template("class_report.html")
    with atomic_write(out, "w", encoding="utf-8") as fh:
        for chunk in template.generate(
            title="Class report",
            source=source,
            generated=dt.datetime.now().strftime("%d %B %Y, %H:%M"),
            n=summary.n,
            sections=sections,
            several=len(sections) > 1,
            any_parts=any(section["parts"] for section in sections),
            hidden=hidden,
            shown=plural(min(summary.n, MAX_STUDENTS), "answer"),
            total=plural(summary.n, "answer"),
            csv_link=csv_link,
            csv_name=Path(scores_csv).name if scores_csv is not None else "the scores CSV",
        ):
            fh.write(chunk)
    return out
