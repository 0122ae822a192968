"""The readable terminal report of one Feedback."""

from __future__ import annotations

import textwrap

import click

from .feedback import Feedback
from .rubric import Rubric

WIDTH = 78


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def report(fb: Feedback, rubric: Rubric, source: str | None = None, color: bool = False) -> str:
    def style(text: str, **kw: object) -> str:
        return click.style(text, **kw) if color else text  # type: ignore[arg-type]

    by_id = rubric.concept_by_id
    lines: list[str] = []
    head = f"{rubric.title}: score {_fmt(fb.score)} / {_fmt(fb.max_score)}"
    if fb.calibrated:
        head += " (calibrated)"
    lines.append(style(head, bold=True))
    if source:
        lines.append(style(f"answer: {source}", dim=True))

    lines.append("")
    lines.append(style("What your answer shows", bold=True))
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
        lines.append(style(f"  {mark} {c.label}", fg=colour) + style(quote, dim=True))

    if fb.links:
        lines.append("")
        lines.append(style("Reasoning links", bold=True))
        for lk in fb.links:
            a, b = by_id[lk.from_].short, by_id[lk.to].short
            if lk.status == "present":
                cue = next((e for e in lk.evidence[2:]), None)
                how = f'  "{cue.text}"' if cue else ""
                lines.append(style(f"  + {a} -> {b}", fg="green") + style(how, dim=True))
            else:
                why = "  (reversed)" if lk.note == "reversed" else ""
                lines.append(style(f"  - {a} -> {b}", fg="red") + style(why, dim=True))

    if fb.misconceptions:
        lines.append("")
        lines.append(style("Misconceptions", bold=True))
        for m in fb.misconceptions:
            quote = f' "{m.evidence[0].text}"' if m.evidence else ""
            lines.append(style(f"  ! {m.id}:", fg="magenta") + quote)

    lines.append("")
    lines.append(style("What to work on", bold=True))
    for i, sentence in enumerate(fb.feedback, 1):
        wrapped = textwrap.fill(sentence, WIDTH, initial_indent=f"  {i}. ", subsequent_indent="     ")
        lines.append(wrapped)
    return "\n".join(lines)
