"""The class report's charts: matplotlib figures rendered to inline SVG, text kept as text."""

from __future__ import annotations

import io
import re
import textwrap
from collections import Counter
from typing import Any, Protocol

from markupsafe import Markup

from .class_summary import Item
from .numbers import fmt_number

CONCEPT_BAR = "#0f766e"
LINK_COLOUR = "#4338ca"
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"


def _rc() -> Any:  # matplotlib's stubs want literal keys
    return {
        "svg.fonttype": "none",  # text stays text: crisp, searchable, in the page's font
        "svg.hashsalt": "grader",  # the same data gives the same file
        "font.family": "sans-serif",
        "font.sans-serif": ["Inter", "Segoe UI", "Helvetica Neue", "Arial", "DejaVu Sans"],
        "font.size": 10,
        "axes.edgecolor": GRID,
        "axes.labelcolor": MUTED,
        "xtick.color": MUTED,
        "ytick.color": INK,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _svg(fig: Any) -> Markup:
    buf = io.StringIO()
    # no metadata: no date (the same data gives the same file) and no links to anywhere
    meta = {"Creator": None, "Date": None, "Format": None, "Type": None}
    fig.savefig(buf, format="svg", bbox_inches="tight", transparent=True, metadata=meta)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    # scale with the page instead of a fixed size in points
    svg = re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r'<svg\1 width="100%"', svg, count=1)
    return Markup(svg)  # noqa: S704  (matplotlib's output, no student text in it)


class Scores(Protocol):
    """Scores across a class: a question's (QuestionStats) or one part's (PartStats)."""

    @property
    def max_score(self) -> float: ...
    @property
    def mean(self) -> float: ...

    scores: Counter[float]


def distribution_chart(q: Scores, size: tuple[float, float] = (5.2, 2.9)) -> Markup:
    from matplotlib import rc_context
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    top = q.max_score
    integer = all(float(s).is_integer() for s in q.scores) and float(top).is_integer()
    step = 1.0 if integer else 0.5
    values = [i * step for i in range(int(top / step) + 1)]
    binned: Counter[float] = Counter()
    for s, c in q.scores.items():
        binned[min(values, key=lambda v: abs(v - s))] += c
    counts = [binned[v] for v in values]
    with rc_context(_rc()):
        fig = Figure(figsize=size)
        ax = fig.add_subplot()
        # low scores warm, high scores the report's teal; no washed-out middle
        cmap = LinearSegmentedColormap.from_list("score", ["#dc4c3f", "#f0a030", "#8fbf4d", "#0f766e"])
        colours = [cmap(v / top if top else 0) for v in values]
        bars = ax.bar(values, counts, width=step * 0.78, color=colours, edgecolor="none")
        for bar, c in zip(bars, counts, strict=True):
            if c:
                ax.annotate(
                    str(c),
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=9,
                    color=INK,
                )
        ax.axvline(q.mean, color=INK, linestyle=(0, (3, 3)), linewidth=1)
        ax.annotate(
            f"mean {q.mean:.1f}",
            (q.mean, 1),
            xycoords=("data", "axes fraction"),
            xytext=(4, -2),
            textcoords="offset points",
            va="top",
            fontsize=9,
            color=INK,
        )
        ax.set_xticks(values, [fmt_number(v) for v in values])
        ax.set_xlabel(f"score (out of {fmt_number(top)})")
        ax.set_ylabel("answers")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, max(counts + [1]) * 1.18)
        ax.grid(axis="y", color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)
        return _svg(fig)


def coverage_chart(items: list[Item]) -> Markup:
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    height = 0.36 * len(items) + 0.6
    with rc_context(_rc()):
        fig = Figure(figsize=(9.5, height))
        ax = fig.add_subplot()
        ys = list(range(len(items)))[::-1]  # the most missed at the top
        colours = [CONCEPT_BAR if i.kind == "concept" else LINK_COLOUR for i in items]
        shares = [100 * i.share for i in items]
        ax.barh(ys, [100] * len(items), color="#f3f4f6", height=0.66, edgecolor="none")
        ax.barh(ys, shares, color=colours, height=0.66, edgecolor="none")
        for y, i in zip(ys, items, strict=True):
            ax.text(
                min(100 * i.share + 1.5, 88),
                y,
                f"{i.share:.0%}",
                va="center",
                fontsize=9,
                color="white" if i.share > 0.88 else INK,
                fontweight="bold",
            )
        labels = [textwrap.shorten(i.label, 70, placeholder="…") for i in items]
        ax.set_yticks(ys, labels)
        ax.tick_params(axis="y", length=0, labelsize=10)
        ax.set_xlim(0, 100)
        ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
        ax.spines["left"].set_visible(False)
        ax.set_xlabel("share of the class that showed it")
        return _svg(fig)
