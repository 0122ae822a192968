"""The class report: what a class showed and missed, as one self-contained HTML file.

`ClassSummary` sees every scored record once (it is a sink of the batch engine)
and keeps only counts and a few anonymised excerpts, so memory does not grow
with the class. `write_report` then streams the students' answers from the
JSONL into the page. Charts are matplotlib figures rendered to inline SVG
(Agg-free SVG backend, text kept as text); CSS is inline; nothing is fetched
from the network, so the file opens from a USB stick. Every piece of student
text goes through Jinja's autoescaping or markupsafe.escape.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import textwrap
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .atomic import atomic_write
from .batch import fmt_number, short_names
from .rubric import Rubric

MAX_EXCERPTS = 3
EXCERPT_CHARS = 220
MAX_ANSWER_CARDS = 5000  # beyond this the page gets too heavy for a browser; the JSONL has them all

# one colour per concept, in rubric order; readable as a highlight behind text
CONCEPT_COLOURS = ["#0f766e", "#2563eb", "#9333ea", "#c2410c", "#0891b2", "#4d7c0f", "#be185d", "#7c2d12"]
LINK_COLOUR = "#4338ca"
CONCEPT_BAR = "#0f766e"
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"


# --- aggregates ---------------------------------------------------------------------


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

    def add(self, rec: dict[str, Any]) -> None:
        self.n += 1
        score = float(rec["score"])
        self.total += score
        self.scores[score] += 1
        self.calibrated += bool(rec.get("calibrated"))
        answer = rec.get("answer", "")
        if not answer.strip():
            self.empty += 1
        for c in rec["concepts"]:
            if c["status"] == "present":
                self.concepts[c["id"]] += 1
            elif c["status"] == "negated":
                self.negated[c["id"]] += 1
        for lk in rec["links"]:
            key = f"{lk['from']} -> {lk['to']}"
            if lk["status"] == "present":
                self.links[key] += 1
            elif lk.get("note") == "reversed":
                self.reversed[key] += 1
        if rec["misconceptions"]:
            self.with_misconception += 1
        for m in rec["misconceptions"]:
            self.misconceptions[m["id"]] += 1
            kept = self.excerpts.setdefault(m["id"], [])
            if len(kept) < MAX_EXCERPTS and m["evidence"]:
                ex = excerpt(answer, m["evidence"][0]["start"], m["evidence"][0]["end"])
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
                "concept", c.id, _cap(c.short), self.concepts[c.id], self.negated[c.id], self.n, _hint(c.hint)
            )
            for c in self.rubric.concepts
        ]
        out += [
            Item(
                "link",
                lk.key,
                _cap(f"{by_id[lk.from_].short} → {by_id[lk.to].short}"),
                self.links[lk.key],
                self.reversed[lk.key],
                self.n,
                _hint(lk.hint),
            )
            for lk in self.rubric.links
        ]
        order = {(i.kind, i.key): pos for pos, i in enumerate(out)}
        return sorted(out, key=lambda i: (i.share, order[(i.kind, i.key)]))

    def misconception_rows(self) -> list[tuple[str, str, int, list[Excerpt]]]:
        """(id, label, count, excerpts), most frequent first."""
        labels = {m.id: (m.label or m.id.replace("_", " ")) for m in self.rubric.misconceptions}
        return [
            (mid, _cap(labels.get(mid, mid)), count, self.excerpts.get(mid, []))
            for mid, count in self.misconceptions.most_common()
        ]


def _cap(text: str) -> str:
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

    def add(self, record: dict[str, Any], rubric: Rubric) -> None:
        stats = self.questions.get(rubric.id)
        if stats is None:
            stats = self.questions[rubric.id] = QuestionStats(rubric)
        stats.add(record)

    @property
    def n(self) -> int:
        return sum(q.n for q in self.questions.values())

    def text(self, width: int = 100) -> str:
        """A few lines per question for the terminal."""
        lines = []
        for q in self.questions.values():
            lines.append(
                f"{q.rubric.id}: {q.n:,} answers, mean {q.mean:.1f} / {fmt_number(q.max_score)}, "
                f"median {fmt_number(q.median)}, full marks {q.full_marks}"
            )
            missed = [i for i in q.items() if i.share < 0.5][:3]
            if missed:
                shown = ", ".join(f"{i.key} ({i.share:.0%})" for i in missed)
                lines.append(
                    textwrap.fill(
                        f"most missed: {shown}", width, initial_indent="  ", subsequent_indent="    "
                    )
                )
            if q.misconceptions:
                common = ", ".join(f"{mid} ({c:,})" for mid, c in q.misconceptions.most_common(3))
                lines.append(
                    textwrap.fill(
                        f"misconceptions: {common}", width, initial_indent="  ", subsequent_indent="    "
                    )
                )
        return "\n".join(lines)


# --- charts -------------------------------------------------------------------------


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


def distribution_chart(q: QuestionStats) -> Markup:
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
        fig = Figure(figsize=(5.2, 2.9))
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


# --- the answers --------------------------------------------------------------------


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
    card: bool  # False past MAX_ANSWER_CARDS: a table row without an answer card


def highlight(answer: str, rec: dict[str, Any], rubric: Rubric) -> Markup:
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

    for lk in rec["links"]:
        if lk["status"] == "present":
            for ev in lk["evidence"][2:]:
                mark(ev["start"], ev["end"], 1, "cue", f"reasoning: {ev['rule']}")
    for c in rec["concepts"]:
        label = " ".join(labels.get(c["id"], c["id"]).split())
        for ev in c["evidence"]:
            if c["status"] == "present":
                mark(
                    ev["start"],
                    ev["end"],
                    3,
                    f"c{colour.get(c['id'], 0) % len(CONCEPT_COLOURS)}",
                    f"{label} ({ev['rule']})",
                )
            elif c["status"] == "negated":
                mark(
                    ev["start"], ev["end"], 2, "neg", f"not credited: {label} ({c.get('note') or 'negated'})"
                )
    for m in rec["misconceptions"]:
        for ev in m["evidence"]:
            mark(ev["start"], ev["end"], 4, "mis", f"misconception: {m['id']}")
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
    """The answers to one question, streamed from the JSONL; numbered across the whole report."""
    by_id = rubric.concept_by_id
    colour = {c.id: CONCEPT_COLOURS[i % len(CONCEPT_COLOURS)] for i, c in enumerate(rubric.concepts)}
    index = start
    with open(jsonl, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["rubric"] != rubric.id:
                continue
            index += 1
            card = index <= MAX_ANSWER_CARDS
            if with_answers and not card:
                return
            status = {c["id"]: c for c in rec["concepts"]}
            linked = {f"{lk['from']} -> {lk['to']}": lk for lk in rec["links"]}
            concepts = []
            for c in rubric.concepts:
                st = status.get(c.id, {}).get("status", "missing")
                concepts.append((st, colour[c.id], f"{_cap(c.short)}: {st}"))
            links = []
            for lk in rubric.links:
                got = linked.get(lk.key, {})
                st = got.get("status", "missing")
                if st == "missing" and got.get("note") == "reversed":
                    st = "reversed"
                links.append((st, f"{by_id[lk.from_].short} → {by_id[lk.to].short}: {st}"))
            answer = rec.get("answer", "")
            yield StudentView(
                anchor=f"a{index}",
                id=rec["id"],
                score=fmt_number(rec["score"]),
                max_score=fmt_number(rec["max_score"]),
                ratio=(rec["score"] / rec["max_score"]) if rec["max_score"] else 0.0,
                concepts=concepts,
                links=links,
                misconceptions=[m["id"] for m in rec["misconceptions"]],
                answer=highlight(answer, rec, rubric) if with_answers else Markup(""),
                feedback=[" ".join(s.split()) for s in rec["feedback"]],
                empty=not answer.strip(),
                card=card,
            )


# --- the page -----------------------------------------------------------------------


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("grader", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt_number
    env.filters["pct"] = lambda x: f"{x:.0%}"
    return env


def write_report(summary: ClassSummary, jsonl: str | Path, out: str | Path, source: str = "") -> Path:
    """Write the HTML report for the records in `jsonl` (the batch's final JSONL)."""
    out = Path(out)
    jsonl = Path(jsonl)
    names = short_names(list(summary.questions))
    sections = []
    start = 0
    for rid, q in summary.questions.items():
        items = q.items()
        sections.append(
            {
                "id": rid,
                "anchor": "q-" + re.sub(r"[^a-z0-9]+", "-", rid.lower()).strip("-"),
                "short": names[rid],
                "stats": q,
                "items": items,
                "missed": [i for i in items if i.share < 0.5][:3],
                "misconceptions": q.misconception_rows(),
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
                "feedback": {m.id: " ".join(m.feedback.split()) for m in q.rubric.misconceptions},
            }
        )
        start += q.n
    template = _env().get_template("class_report.html")
    hidden = max(summary.n - MAX_ANSWER_CARDS, 0)
    with atomic_write(out, "w", encoding="utf-8") as fh:
        for chunk in template.generate(
            title="Class report",
            source=source,
            generated=dt.datetime.now().strftime("%d %B %Y, %H:%M"),
            n=summary.n,
            sections=sections,
            several=len(sections) > 1,
            hidden=hidden,
            max_cards=MAX_ANSWER_CARDS,
        ):
            fh.write(chunk)
    return out
