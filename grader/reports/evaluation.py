"""The agreement report of `grader evaluate`: a text report and a self-contained HTML page."""

from __future__ import annotations

import html
import textwrap
from typing import Any

from .numbers import dec, pct, plural

WIDTH = 78

MEANING = (
    "QWK (quadratic weighted kappa) is 1 for perfect agreement and 0 for chance; it "
    "counts a 2-point miss four times a 1-point miss. Two trained teachers scoring "
    "the same answers usually reach 0.7-0.9. exact: the same score; adjacent: "
    "within 1 point; Pearson r: do the scores rise together."
)
POINTS_HELP = (
    "A point seldom credited in answers you scored high: students phrase it in ways "
    "the rubric misses (try grader rubric suggest). A point often credited in answers "
    "you scored low: one of its phrases may be too loose. Read the columns on each side "
    "of a line you draw (0 | 1 first): a point that should decide it rises across it."
)
BOUNDARY_HELP = (
    "A line with many answers on the wrong side is where the rubric and you disagree most; "
    "grader rubric suggest aims its proposals at those answers."
)


def _worst_boundary(boundaries: list[dict[str, Any]]) -> dict[str, Any] | None:
    worst = max(boundaries, key=lambda b: b["machine_higher"] + b["machine_lower"], default=None)
    return worst if worst is not None and worst["machine_higher"] + worst["machine_lower"] else None


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _agreement_rows(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    rows = [("machine vs. teacher", data)]
    if data.get("machine_on_double_scored"):
        rows.append(("machine vs. teacher, double-scored only", data["machine_on_double_scored"]))
    if data.get("human_vs_human"):
        rows.append(("second teacher vs. teacher", data["human_vs_human"]))
    return rows


def _evidence_lines(d: dict[str, Any]) -> list[str]:
    out = []
    if d["credited"]:
        out.append(
            "credited: " + "; ".join(f'{e["point"]} "{e["text"]}" ({e["rule"]})' for e in d["credited"])
        )
    if d["links"]:
        out.append("links: " + "; ".join(f"{e['point']} ({e['rule']})" for e in d["links"]))
    if d["not_credited"]:
        out.append(
            "not credited: "
            + "; ".join(f'{e["point"]} "{e["text"]}" ({e["note"]})' for e in d["not_credited"])
        )
    if d["reversed"]:
        out.append("stated backwards: " + ", ".join(d["reversed"]))
    if d["misconceptions"]:
        out.append("misconceptions: " + "; ".join(f'{e["point"]} "{e["text"]}"' for e in d["misconceptions"]))
    if d["missing"]:
        out.append("not found: " + ", ".join(d["missing"]))
    return out


def text_report(data: dict[str, Any]) -> str:
    lines: list[str] = []
    cal = " (calibrated scores)" if data["calibrated"] else ""
    lines.append(f"Agreement with the teacher: {data['rubric']}, {plural(data['n'], 'scored answer')}{cal}")
    lines.append(f"from {data['source']}")
    if data["skipped"]:
        lines.append(f"{len(data['skipped'])} row(s) skipped (listed at the end)")
    if data["unscored"]:
        lines.append(f"{data['unscored']} row(s) without a teacher score left out")
    lines.append("")
    lines.append(f"{'':42}{'QWK':>6}{'exact':>8}{'adjacent':>10}{'r':>7}{'n':>6}")
    for name, a in _agreement_rows(data):
        lines.append(
            f"{name:42}{dec(a['qwk']):>6}{pct(a['exact']):>8}{pct(a['adjacent']):>10}"
            f"{dec(a['pearson']):>7}{a['n']:>6}"
        )
    mt, mm = data["mean_teacher"], data["mean_machine"]
    lines.append(f"mean score: teacher {mt:.2f}, machine {mm:.2f} (of {data['max_score']})")
    lines.extend(textwrap.wrap(MEANING, WIDTH))

    lines.append("")
    lines.append("Confusion matrix (rows: teacher's score, columns: machine's score)")
    levels = [str(lv) for lv in data["levels"]]
    w = max(4, *(len(s) + 1 for s in levels))
    lines.append(" " * 8 + "".join(f"{s:>{w}}" for s in levels))
    for lv, row in zip(levels, data["confusion"], strict=True):
        lines.append(f"{lv:>6}  " + "".join(f"{(c or '.')!s:>{w}}" for c in row))

    lines.append("")
    lines.append(f"{'score level':14}{'teacher n':>10}{'machine n':>11}{'precision':>11}{'recall':>8}")
    for p in data["per_level"]:
        lines.append(
            f"{p['level']!s:14}{p['teacher_n']:>10}{p['machine_n']:>11}{pct(p['precision']):>11}{pct(p['recall']):>8}"
        )

    pts = data["points"]
    if pts:
        lines.append("")
        lines.append(
            "Rubric points: how often the machine credited each one in answers you scored 0, 1, 2, ..."
        )
        levels = [lv["level"] for lv in pts[0]["by_level"]]
        counts = [lv["n"] for lv in pts[0]["by_level"]]
        width = min(40, max(len(p["point"]) for p in pts) + 2)
        col = max(5, *(len(lv) + 1 for lv in levels))
        lines.append(f"  {'your score':{width}}{'kind':14}" + "".join(f"{lv:>{col}}" for lv in levels))
        lines.append(f"  {'(answers)':{width}}{'':14}" + "".join(f"{n:>{col}}" for n in counts))
        for p in pts:
            rates = "".join(f"{pct(lv['rate']):>{col}}" for lv in p["by_level"])
            lines.append(f"  {p['point'][: width - 1]:{width}}{p['kind']:14}{rates}")
        lines.extend("  " + s for s in textwrap.wrap(POINTS_HELP, WIDTH - 2))

    if data.get("boundaries"):
        lines.append("")
        lines.append("Where you draw the line between two levels, and where the machine crosses it")
        worst = _worst_boundary(data["boundaries"])
        for b in data["boundaries"]:
            lo, hi = b["between"]
            rising = ", ".join(f"{r['point']} +{100 * r['rise']:.0f}%" for r in b["rising_points"]) or "-"
            mark = "   <- most disagreements" if b is worst else ""
            lines.append(
                f"  {lo} | {hi}: machine higher than you in {b['machine_higher']} of "
                f"{b['teacher_below']} answers below, lower in {b['machine_lower']} of "
                f"{b['teacher_above']} above{mark}"
            )
            lines.append(f"      credit that rises most across it: {rising}")
        lines.extend("  " + s for s in textwrap.wrap(BOUNDARY_HELP, WIDTH - 2))

    if data["point_labels"]:
        lines.append("")
        lines.append("Rubric points you labelled: the machine's credit against yours")
        lines.append(f"  {'point':36}{'agree':>7}{'precision':>11}{'recall':>8}{'n':>5}")
        for p in data["point_labels"]:
            lines.append(
                f"  {p['point']:36}{pct(p['agreement']):>7}{pct(p['precision']):>11}"
                f"{pct(p['recall']):>8}{p['n']:>5}"
            )

    if data["disagreements"]:
        lines.append("")
        lines.append("Largest disagreements (the machine's evidence shows which phrase or rule misfired)")
        for d in data["disagreements"]:
            second = f", second teacher {d['second']}" if d["second"] is not None else ""
            sign = "+" if d["difference"] > 0 else ""
            lines.append("")
            lines.append(
                f"  {d['id']} (line {d['line']}): teacher {d['teacher']}{second}, "
                f"machine {d['machine']} ({sign}{d['difference']})"
            )
            lines.extend(
                textwrap.wrap(
                    f'"{_short(d["answer"])}"', WIDTH, initial_indent="    ", subsequent_indent="     "
                )
            )
            for ev in _evidence_lines(d):
                lines.extend(textwrap.wrap(ev, WIDTH, initial_indent="    ", subsequent_indent="      "))

    if data["skipped"]:
        lines.append("")
        lines.append("Skipped rows")
        for s in data["skipped"]:
            lines.append(f"  line {s['line']} ({s['id']}): {s['reason']}")
    return "\n".join(lines)


# --- HTML ---------------------------------------------------------------------------

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;max-width:60rem;
  margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}
td,th{padding:.2rem .6rem;border:1px solid #ddd;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}.diag{background:#e3f4e3;font-weight:600}.zero{color:#bbb}
.note{color:#555;font-size:.92rem}
.answer{background:#fafafa;border-left:3px solid #bbb;padding:.4rem .7rem;margin:.3rem 0}
tr.worst td{font-weight:600;background:#fff4e0}
.dis{margin:1rem 0}.ev{font-size:.92rem;margin:.1rem 0}.over{color:#a33}.under{color:#236}
"""


def _head(*cells: str) -> str:
    """A header row; a cell starting with '<' is left-aligned text."""
    return (
        "<tr>"
        + "".join(f"<th class='l'>{c[1:]}</th>" if c.startswith("<") else f"<th>{c}</th>" for c in cells)
        + "</tr>"
    )


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _rate_cell(rate: float | None) -> str:
    if rate is None:
        return "<td class='zero'>-</td>"
    light = round(96 - 50 * rate)  # lightness: the more often credited, the darker
    ink = "#fff" if rate > 0.75 else "#222"
    return f"<td style='background:hsl(215,60%,{light}%);color:{ink}'>{pct(rate)}</td>"


def html_report(data: dict[str, Any]) -> str:
    out: list[str] = []
    add = out.append
    cal = " (calibrated scores)" if data["calibrated"] else ""
    add("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>")
    add("<meta name='viewport' content='width=device-width, initial-scale=1'>")
    add(f"<title>Agreement: {_e(data['rubric'])}</title><style>{_CSS}</style></head><body>")
    add(f"<h1>Agreement with the teacher: {_e(data['rubric'])}</h1>")
    add(
        f"<p>{plural(data['n'], 'scored answer')} from <code>{_e(data['source'])}</code>{_e(cal)}. "
        f"Mean score: teacher {data['mean_teacher']:.2f}, machine {data['mean_machine']:.2f} "
        f"(of {_e(data['max_score'])}).</p>"
    )
    add("<table>" + _head("<", "QWK", "exact", "adjacent", "Pearson r", "n"))
    for name, a in _agreement_rows(data):
        add(
            f"<tr><td class='l'>{_e(name)}</td><td>{dec(a['qwk'])}</td><td>{pct(a['exact'])}</td>"
            f"<td>{pct(a['adjacent'])}</td><td>{dec(a['pearson'])}</td><td>{a['n']}</td></tr>"
        )
    add("</table>")
    add(f"<p class='note'>{_e(MEANING)}</p>")

    add("<h2>Confusion matrix</h2>")
    add("<p class='note'>Rows: the teacher's score; columns: the machine's.</p><table><tr><th></th>")
    add("".join(f"<th>{_e(lv)}</th>" for lv in data["levels"]) + "</tr>")
    for i, (lv, row) in enumerate(zip(data["levels"], data["confusion"], strict=True)):
        cells = "".join(
            f"<td class='{'diag' if i == j else ('zero' if not c else '')}'>{c}</td>"
            for j, c in enumerate(row)
        )
        add(f"<tr><th>{_e(lv)}</th>{cells}</tr>")
    add("</table>")
    add("<table>" + _head("score level", "teacher n", "machine n", "precision", "recall"))
    for p in data["per_level"]:
        add(
            f"<tr><td>{_e(p['level'])}</td><td>{p['teacher_n']}</td><td>{p['machine_n']}</td>"
            f"<td>{pct(p['precision'])}</td><td>{pct(p['recall'])}</td></tr>"
        )
    add("</table>")

    pts = data["points"]
    if pts:
        add("<h2>Rubric points by your score</h2>")
        add(
            "<p>How often the machine credited each point in the answers you gave each score "
            "(the darker, the more often).</p>"
        )
        levels = pts[0]["by_level"]
        add("<table>" + _head("<point", "<kind", "<what it is", *(f"{_e(lv['level'])}" for lv in levels)))
        add(
            "<tr><td class='l note' colspan='3'>answers you gave this score</td>"
            + "".join(f"<td class='note'>{lv['n']}</td>" for lv in levels)
            + "</tr>"
        )
        for p in pts:
            cells = "".join(_rate_cell(lv["rate"]) for lv in p["by_level"])
            add(
                f"<tr><td class='l'><code>{_e(p['point'])}</code></td><td class='l'>{_e(p['kind'])}</td>"
                f"<td class='l'>{_e(p['label'])}</td>{cells}</tr>"
            )
        add(f"</table><p class='note'>{_e(POINTS_HELP)}</p>")

    if data.get("boundaries"):
        add("<h2>Where you draw the line between two levels</h2>")
        add(
            "<table>"
            + _head(
                "line",
                "answers below",
                "machine higher",
                "answers above",
                "machine lower",
                "<credit that rises most across it",
            )
        )
        worst = _worst_boundary(data["boundaries"])
        for b in data["boundaries"]:
            lo, hi = b["between"]
            rising = ", ".join(f"{r['point']} +{100 * r['rise']:.0f}%" for r in b["rising_points"]) or "-"
            cls = " class='worst'" if b is worst else ""
            add(
                f"<tr{cls}><td>{_e(lo)} | {_e(hi)}</td><td>{b['teacher_below']}</td>"
                f"<td>{b['machine_higher']}</td><td>{b['teacher_above']}</td><td>{b['machine_lower']}</td>"
                f"<td class='l'>{_e(rising)}</td></tr>"
            )
        add(f"</table><p class='note'>{_e(BOUNDARY_HELP)}</p>")

    if data["point_labels"]:
        add("<h2>Rubric points you labelled</h2>")
        add("<table>" + _head("<point", "agreement", "precision", "recall", "n"))
        for p in data["point_labels"]:
            add(
                f"<tr><td class='l'><code>{_e(p['point'])}</code></td><td>{pct(p['agreement'])}</td>"
                f"<td>{pct(p['precision'])}</td><td>{pct(p['recall'])}</td><td>{p['n']}</td></tr>"
            )
        add("</table>")

    if data["disagreements"]:
        add("<h2>Largest disagreements</h2>")
        add("<p class='note'>Each with the machine's evidence: which phrase or rule misfired.</p>")
        for d in data["disagreements"]:
            second = f", second teacher {_e(d['second'])}" if d["second"] is not None else ""
            cls = "over" if d["difference"] > 0 else "under"  # machine above or below the teacher
            add(
                f"<div class='dis'><b>{_e(d['id'])}</b> (line {d['line']}): "
                f"teacher {_e(d['teacher'])}{second}, machine <span class='{cls}'>{_e(d['machine'])}</span>"
            )
            add(f"<div class='answer'>{_e(d['answer'])}</div>")
            for ev in _evidence_lines(d):
                add(f"<div class='ev'>{_e(ev)}</div>")
            add("</div>")

    if data["skipped"]:
        add("<h2>Skipped rows</h2><ul>")
        for s in data["skipped"]:
            add(f"<li>line {s['line']} ({_e(s['id'])}): {_e(s['reason'])}</li>")
        add("</ul>")
    add("</body></html>\n")
    return "\n".join(out)
