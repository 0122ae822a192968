"""Which rows of a class's table get scored: columns, the rubric each row names, why a row is refused."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..answers import validate_answer
from ..io.catalog import load_folder, resolve
from ..io.tables import Row, TableError
from ..parts import Segment, join_parts
from ..rubric import Rubric

Key = tuple[str, str]  # (rubric id, student id)


PART = "{part}"  # where a part's id goes in the name of its column


@dataclass(frozen=True)
class Columns:
    """Input column names; `question=None` means every row uses the one rubric. `parts`
    names the column of each part of a multi-part question, PART standing for the part's
    id; by default the answer column's name, '_' and the id: answer_a, answer_b, ..."""

    id: str = "id"
    answer: str = "answer"
    question: str | None = "question"
    parts: str | None = None

    def part_column(self, part_id: str) -> str:
        return (self.parts if self.parts is not None else f"{self.answer}_{PART}").replace(PART, part_id)


@dataclass(frozen=True)
class Task:
    """One answer to score, and where it came from (for the errors file if it fails)."""

    rubric: str
    id: str
    answer: str
    line: int
    question: str
    # an answer given in one column per part: where each part is in `answer` (parts.join_parts)
    segments: tuple[Segment, ...] | None = None

    @property
    def key(self) -> Key:
        return self.rubric, self.id


@dataclass
class BadRow:
    line: int
    id: str
    question: str
    kind: str  # short, for the summary: "duplicate id", "empty id", ...
    reason: str  # the whole sentence, with the fix


class RubricSet:
    """The rubric(s) to score with, and which one a row's question names."""

    def __init__(self, rubrics: dict[str, Rubric], single: bool):
        self.rubrics = rubrics
        self.single = single
        self._lookup: dict[str, str | None] = {rid.lower(): rid for rid in rubrics}
        shorts = Counter(rid.rsplit("/", 1)[-1].lower() for rid in rubrics)
        for rid in rubrics:
            short = rid.rsplit("/", 1)[-1].lower()
            # a short name shared by two rubrics names neither
            if shorts[short] == 1 and short not in self._lookup:
                self._lookup[short] = rid

    @classmethod
    def from_arg(cls, arg: str, rubrics_dir: str | Path | None = None) -> RubricSet:
        """A rubric file or id (one question), or a folder of rubrics (a question column)."""
        if Path(arg).is_dir():
            return cls(load_folder(arg), single=False)
        rubric = resolve(arg, rubrics_dir)
        return cls({rubric.id: rubric}, single=True)

    def find(self, question: str) -> Rubric | None:
        rid = self._lookup.get(question.strip().lower())
        return self.rubrics[rid] if rid else None

    def describe(self) -> str:
        ids = list(self.rubrics)
        return ", ".join(ids[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")


class RowChecker:
    """Turns rows into Tasks, or BadRows with the reason and the fix; remembers ids seen."""

    def __init__(self, rubrics: RubricSet, columns: Columns):
        self.rubrics = rubrics
        self.columns = columns
        self.first_line: dict[Key, int] = {}
        self.multi_part = [r for r in rubrics.rubrics.values() if r.parts]
        self.part_columns: dict[str, dict[str, str]] = {}  # rubric id -> {part id: column}
        self.has_answer_column = True

    def required(self) -> tuple[str, ...]:
        cols = [self.columns.id]
        if not self.multi_part:  # else one column per part may stand for it: see check_header
            cols.append(self.columns.answer)
        if not self.rubrics.single and self.columns.question:
            cols.append(self.columns.question)
        return tuple(cols)

    def check_header(self, path: Path, header: list[str]) -> None:
        """Find the part columns of each multi-part question (their names compared without
        case); refuse a table with only some of a question's parts, or with no answers at all."""
        if not self.multi_part:
            return
        by_lower: dict[str, str] = {}
        for h in header:
            by_lower.setdefault(h.lower(), h)
        self.part_columns = {}
        for rubric in self.multi_part:
            wanted = {p.id: self.columns.part_column(p.id) for p in rubric.parts}
            found = {pid: by_lower[name.lower()] for pid, name in wanted.items() if name.lower() in by_lower}
            if found and len(found) < len(wanted):
                missing = [name for pid, name in wanted.items() if pid not in found]
                raise TableError(
                    f"{path}: has the column {', '.join(repr(c) for c in found.values())} of {rubric.id} "
                    f"but no {', '.join(repr(m) for m in missing)}; add the missing column "
                    "(it may be empty), or name the part columns with --part-cols"
                )
            if found:
                self.part_columns[rubric.id] = found
        self.has_answer_column = self.columns.answer in header
        if not self.has_answer_column and not self.part_columns:
            example = ", ".join(repr(self.columns.part_column(p.id)) for p in self.multi_part[0].parts)
            listed = ", ".join(repr(h) for h in header) or "none"
            raise TableError(
                f"{path}: no column {self.columns.answer!r}, nor one column per part ({example}) "
                f"(columns found: {listed}); name the answer column with --answer-col, or the part "
                "columns with --part-cols"
            )

    def _answer(
        self, row: Row, rubric: Rubric, bad: Callable[[str, str], BadRow]
    ) -> tuple[str, tuple[Segment, ...] | None] | BadRow:
        """The row's answer to `rubric` and, when it is given part by part, where each part
        is (None when it is one text); or the BadRow when the row has no answer to give."""
        cols = self.columns
        whole = row.get(cols.answer)
        columns = self.part_columns.get(rubric.id)
        if columns:
            cells = {pid: row.get(col) for pid, col in columns.items()}
            if any(c.strip() for c in cells.values()):
                if whole.strip():
                    return bad(
                        "two answers",
                        f"both '{cols.answer}' and the part columns ({', '.join(columns.values())}) hold "
                        "an answer; keep the answer in one place: the whole answer, or one part per column",
                    )
                text, segments = join_parts(cells, [p.id for p in rubric.parts])
                return text, tuple(segments)
        elif not self.has_answer_column:
            wanted = ", ".join(f"'{cols.part_column(p.id)}'" for p in rubric.parts)
            return bad(
                "no answer column",
                f"the file has no '{cols.answer}' column"
                + (f" and no part columns ({wanted})" if rubric.parts else "")
                + f" for {rubric.id}; add the column, or name it with --answer-col",
            )
        return whole, None

    def check(self, row: Row) -> Task | BadRow:
        cols = self.columns
        sid = row.get(cols.id).strip()
        question = row.get(cols.question).strip() if cols.question else ""

        def bad(kind: str, reason: str) -> BadRow:
            return BadRow(row.line, sid, question, kind, reason)

        if row.problem:
            return bad(row.problem_kind, row.problem)
        if not sid:
            return bad("empty id", f"empty '{cols.id}'; give every answer the student's id")
        if self.rubrics.single:
            rubric = next(iter(self.rubrics.rubrics.values()))
            if cols.question and question and self.rubrics.find(question) is None:
                return bad(
                    "other question",
                    f"question '{question}' is not {rubric.id}, the rubric given; give a folder of "
                    f"rubrics to score several questions, or --question-col '' to score every row with it",
                )
        else:
            found = self.rubrics.find(question) if question else None
            if not question:
                return bad(
                    "no question",
                    f"empty '{cols.question}'; name the question's rubric id ({self.rubrics.describe()})",
                )
            if found is None:
                return bad(
                    "unknown question",
                    f"unknown question '{question}'; the rubrics are {self.rubrics.describe()}",
                )
            rubric = found
        given = self._answer(row, rubric, bad)
        if isinstance(given, BadRow):
            return given
        answer, segments = given
        problem = validate_answer(answer)
        if problem is not None:
            kind = "answer too long" if problem.kind == "too long" else "unreadable answer"
            return bad(kind, problem.message)
        key = (rubric.id, sid)
        first = self.first_line.get(key)
        if first is not None:
            return bad(
                "duplicate id",
                f"duplicate id '{sid}' for {rubric.id} (first on line {first}); "
                "only the first answer is scored: remove or rename the other",
            )
        self.first_line[key] = row.line
        return Task(rubric.id, sid, answer, row.line, question, segments)
