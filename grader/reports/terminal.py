"""What the terminal shows: the report of one checked answer, and the summary of a scored class."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import click

from ..feedback import Feedback
from ..rubric import Rubric
from .class_summary import ClassSummary
from .numbers import fmt_number, plural

WIDTH = 78


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def feedback_text(fb: Feedback, rubric: Rubric, source: str | None = None, color: bool = False) -> str:
    """The report of one answer; for a multi-part question, one section per part under a
    "Part (a) - prompt - score x / y" heading."""

    def style(text: str, **kw: object) -> str:
        return click.style(text, **kw) if color else text  # type: ignore[arg-type]

    lines: list[str] = []
    head = f"{rubric.title}: score {_fmt(fb.score)} / {_fmt(fb.max_score)}"
    if fb.calibrated:
        head += " (calibrated)"
    lines.append(style(head, bold=True))
    if source:
        lines.append(style(f"answer: {source}", dim=True))
    if not fb.parts:
        lines += _findings(fb, rubric, style, "")
        return "\n".join(lines)

    if not all(p.marked for p in fb.parts) and any(p.end > p.start for p in fb.parts):
        lines.append(
            style(
                "No part markers such as (a) or (b) found: the whole answer was read for every part.",
                dim=True,
            )
        )
    prompts = {p.id: " ".join(p.prompt.split()) for p in rubric.parts}
    for part in fb.parts:
        lines.append("")
        score = f"score {_fmt(part.score)} / {_fmt(part.max_score)}"
        heading = f"Part ({part.id}) \u2014 {prompts.get(part.id, '')} \u2014 {score}"
        for line in textwrap.wrap(heading, WIDTH, subsequent_indent="    "):
            lines.append(style(line, bold=True))
        lines += _findings(fb.for_part(part.id), rubric, style, "  ")
    overall = fb.overall_feedback
    if overall:
        lines.append("")
        lines.append(style("What to work on", bold=True))
        lines += _numbered(overall, "")
    return "\n".join(lines)


def _findings(fb: Feedback, rubric: Rubric, style: Callable[..., str], indent: str) -> list[str]:
    """What the answer shows, its links, misconceptions and what to work on, each line
    after `indent` (a part's findings sit under its heading)."""
    by_id = rubric.concept_by_id
    lines: list[str] = []
    lines.append("")
    lines.append(indent + style("What your answer shows", bold=True))
    for c in fb.concepts:
        if c.status == "present":
            mark, colour = "+", "green"
            quote = f'  "{c.evidence[0].text}"' if c.evidence else ""
        elif c.status == "negated":
            mark, colour = "~", "yellow"
            quote = f'  "{c.evidence[0].text}" ({c.note or "negated"}: no credit)'
        else:
            mark, colour = "-", "red"
            quote = "  (not found)"
        lines.append(indent + style(f"  {mark} {c.label}", fg=colour) + style(quote, dim=True))

    if fb.links:
        lines.append("")
        lines.append(indent + style("Reasoning links", bold=True))
        for lk in fb.links:
            a, b = by_id[lk.from_].short, by_id[lk.to].short
            if lk.status == "present":
                cue = next((e for e in lk.evidence[2:]), None)
                how = f'  "{cue.text}"' if cue else ""
                lines.append(indent + style(f"  + {a} -> {b}", fg="green") + style(how, dim=True))
            else:
                why = "  (reversed)" if lk.note == "reversed" else ""
                lines.append(indent + style(f"  - {a} -> {b}", fg="red") + style(why, dim=True))

    if fb.misconceptions:
        lines.append("")
        lines.append(indent + style("Misconceptions", bold=True))
        for m in fb.misconceptions:
            quote = f' "{m.evidence[0].text}"' if m.evidence else ""
            lines.append(indent + style(f"  ! {m.id}:", fg="magenta") + quote)

    if fb.feedback or not indent:
        lines.append("")
        lines.append(indent + style("What to work on", bold=True))
        lines += _numbered(fb.feedback, indent)
    return lines


def _numbered(sentences: list[str], indent: str) -> list[str]:
    out = []
    for i, sentence in enumerate(sentences, 1):
        out.append(
            textwrap.fill(
                sentence,
                WIDTH,
                initial_indent=f"{indent}  {i}. ",
                subsequent_indent=f"{indent}     ",
            )
        )
    return out


def _wrap_items(label: str, items: list[str], width: int) -> list[str]:
    """'  label: a, b, c' over lines of at most `width`, breaking only between items."""
    lines: list[str] = []
    line = f"  {label}: "
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if len(line) + len(piece) > width and line.strip() != f"{label}:":
            lines.append(line.rstrip())
            line = "    "
        line += piece + " "
    lines.append(line.rstrip())
    return lines


def class_summary_text(summary: ClassSummary, width: int = 100) -> str:
    """A few lines per question: the scores, the points the fewest answers showed, misconceptions."""
    lines = []
    for q in summary.questions.values():
        lines.append(
            f"{q.rubric.id}: {plural(q.n, 'answer')}, mean {q.mean:.1f} / {fmt_number(q.max_score)}, "
            f"median {fmt_number(q.median)}, {plural(q.full_marks, 'answer')} with full marks"
        )
        if q.parts:
            means = [
                f"({p.id}) mean {p.mean:.1f} / {fmt_number(p.max_score)}"
                + (f" ({p.blank} blank)" if p.blank else "")
                for p in q.parts
            ]
            lines += _wrap_items("parts", means, width)
        missed = [i for i in q.items() if i.share < 0.5][:3]
        if missed:
            lines += _wrap_items("most missed", [f"{i.key} (shown by {i.share:.0%})" for i in missed], width)
        if q.misconceptions:
            common = [f"{mid} ({plural(c, 'answer')})" for mid, c in q.misconceptions.most_common(3)]
            lines += _wrap_items("misconceptions", common, width)
    return "\n".join(lines)
