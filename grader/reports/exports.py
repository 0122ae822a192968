"""Gradebook files for learning-management systems: Canvas and Gradescope.

`Gradebook` is a batch sink: it keeps each student's score per question (one
row per student, one column per question, whatever the input's order). The
roster columns (name, section, email, LMS ids) are then read from the input
table, first row per student, by any of the names listed in ROSTER below
(compared without case, spaces, '_' or '-').

Canvas (gradebook import): Student, ID, SIS User ID, SIS Login ID, Section,
then one column per question named after the rubric's title, and a "Points
Possible" row. Canvas finds each student by ID, SIS User ID or SIS Login ID;
when the input has none of those columns, the student id column is used as
the SIS User ID (and a note says so).

Gradescope: Name, SID, Email, then per question one 0/1 column per rubric
item (concept or link) and the question's score, then Total Score; for a
multi-part question, each part's items are followed by the part's score
("Part (a) Score"). SID is the key: the input's SID column, else its SIS User
ID column, else the student id. Canvas gets each question's total only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..io.atomic import atomic_write
from ..io.csv_safety import SafeWriter
from ..io.tables import read_rows
from ..record import Record
from ..rubric import Rubric
from .numbers import fmt_number, short_names

FORMATS = ("canvas", "gradescope")

# output field -> the input column names it is read from (normalized: see _norm)
ROSTER: dict[str, tuple[str, ...]] = {
    "name": ("name", "student", "studentname", "fullname"),
    "canvas_id": ("canvasid", "canvasuserid"),
    "sis_user_id": ("sisuserid", "sisid"),
    "sis_login_id": ("sisloginid", "loginid", "login"),
    "section": ("section", "period", "class"),
    "sid": ("sid", "studentid"),
    "email": ("email", "emailaddress"),
}


def _norm(column: str) -> str:
    return re.sub(r"[\s_\-]+", "", column.strip().lower())


@dataclass
class Mark:
    score: float
    items: dict[str, int]  # concept id or link key -> 1/0
    parts: dict[str, float] = field(default_factory=dict)  # part id -> score (multi-part questions)


@dataclass
class Gradebook:
    """Scores by student, then by question (a batch sink)."""

    students: dict[str, dict[str, Mark]] = field(default_factory=dict)
    rubrics: dict[str, Rubric] = field(default_factory=dict)

    def add(self, record: Record, rubric: Rubric) -> None:
        self.rubrics.setdefault(rubric.id, rubric)
        fb = record.result
        items = {c.id: int(c.status == "present") for c in fb.concepts}
        items.update({lk.key: int(lk.status == "present") for lk in fb.links})
        parts = {p.id: p.score for p in fb.parts or []}
        self.students.setdefault(record.id, {})[rubric.id] = Mark(fb.score, items, parts)


def read_roster(
    input_path: Path, id_col: str, wanted: set[str], encoding: str | None = None
) -> tuple[dict[str, dict[str, str]], set[str]]:
    """{student id: {field: value}} for the students in `wanted`, and the fields the input has."""
    roster: dict[str, dict[str, str]] = {}
    found: dict[str, str] | None = None
    for row in read_rows(input_path, required=(id_col,), encoding=encoding):
        if found is None:
            by_norm = {_norm(c): c for c in row.values if c != id_col}
            found = {}
            for fld, names in ROSTER.items():
                col = next((by_norm[n] for n in names if n in by_norm), None)
                if col is not None:
                    found[fld] = col
        sid = row.get(id_col).strip()
        if row.problem or sid not in wanted or sid in roster:
            continue
        roster[sid] = {fld: row.get(col).strip() for fld, col in (found or {}).items()}
    return roster, set(found or {})


def export_path(csv_path: Path, kind: str) -> Path:
    return csv_path.with_name(f"{csv_path.with_suffix('').name}.{kind}.csv")


def write_canvas(book: Gradebook, roster: dict[str, dict[str, str]], have: set[str], out: Path) -> list[str]:
    notes = []
    use_id_as_sis = not ({"canvas_id", "sis_user_id", "sis_login_id"} & have)
    if use_id_as_sis:
        notes.append(
            "canvas: the input has no 'SIS User ID', 'SIS Login ID' or 'Canvas ID' column, so the student "
            "id is used as the SIS User ID; Canvas matches students by it"
        )
    rubrics = list(book.rubrics.values())
    with atomic_write(out, "w", encoding="utf-8", newline="") as fh:
        w = SafeWriter(fh)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *(r.title for r in rubrics)])
        w.writerow(["Points Possible", "", "", "", "", *(fmt_number(r.max_score()) for r in rubrics)])
        for sid, marks in book.students.items():
            info = roster.get(sid, {})
            w.writerow(
                [
                    info.get("name", ""),
                    info.get("canvas_id", ""),
                    sid if use_id_as_sis else info.get("sis_user_id", ""),
                    info.get("sis_login_id", ""),
                    info.get("section", ""),
                    *(fmt_number(marks[r.id].score) if r.id in marks else "" for r in rubrics),
                ]
            )
    return notes


def write_gradescope(
    book: Gradebook, roster: dict[str, dict[str, str]], have: set[str], out: Path
) -> list[str]:
    notes = []
    rubrics = list(book.rubrics.values())
    names = short_names([r.id for r in rubrics])
    header = ["Name", "SID", "Email"]
    for r in rubrics:
        prefix = f"{names[r.id]}: " if len(rubrics) > 1 else ""
        for part, keys in _gradescope_blocks(r):
            header += [prefix + key for key in keys]
            if part is not None:
                header.append(f"{prefix}part ({part}) score" if prefix else f"Part ({part}) Score")
        header.append(f"{prefix}score" if prefix else "Score")
    header.append("Total Score")
    with atomic_write(out, "w", encoding="utf-8", newline="") as fh:
        w = SafeWriter(fh)
        w.writerow(header)
        for sid, marks in book.students.items():
            info = roster.get(sid, {})
            sid_cell = info.get("sid") or info.get("sis_user_id") or sid
            cells: list[Any] = [info.get("name", ""), sid_cell, info.get("email", "")]
            for r in rubrics:
                m = marks.get(r.id)
                for part, keys in _gradescope_blocks(r):
                    cells += [m.items.get(k, 0) if m else "" for k in keys]
                    if part is not None:
                        cells.append(fmt_number(m.parts[part]) if m and part in m.parts else "")
                cells.append(fmt_number(m.score) if m else "")
            cells.append(fmt_number(sum(m.score for m in marks.values())))
            w.writerow(cells)
    if not {"sid", "sis_user_id"} & have:
        notes.append(
            "gradescope: the input has no 'SID' or 'SIS User ID' column, so the student id is used as the SID"
        )
    return notes


def _gradescope_blocks(rubric: Rubric) -> list[tuple[str | None, list[str]]]:
    """The rubric items in Gradescope's columns: (None, every item) for a one-part question;
    (part id, that part's items) for each part of a multi-part one."""
    if not rubric.parts:
        return [(None, [c.id for c in rubric.concepts] + [lk.key for lk in rubric.links])]
    blocks: list[tuple[str | None, list[str]]] = []
    for part in rubric.parts:
        keys = [c.id for c in rubric.concepts if part.owns(c.id)]
        keys += [lk.key for lk in rubric.links if part.owns(lk.from_)]
        blocks.append((part.id, keys))
    return blocks


def write_exports(
    kinds: list[str],
    book: Gradebook,
    input_path: Path,
    id_col: str,
    csv_path: Path,
    encoding: str | None = None,
) -> list[str]:
    """Write each export beside the scores CSV; return notes for the user."""
    if not kinds or not book.students:
        return []
    roster, have = read_roster(input_path, id_col, set(book.students), encoding)
    notes: list[str] = []
    for kind in dict.fromkeys(kinds):
        writer = write_canvas if kind == "canvas" else write_gradescope
        notes += writer(book, roster, have, export_path(csv_path, kind))
    return notes
