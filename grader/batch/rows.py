"""Which rows of a class's table get scored: columns, the rubric each row names, why a row is refused."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..answers import validate_answer
from ..io.catalog import load_folder, resolve
from ..io.tables import Row
from ..rubric import Rubric

Key = tuple[str, str]  # (rubric id, student id)


@dataclass(frozen=True)
class Columns:
    """Input column names; `question=None` means every row uses the one rubric."""

    id: str = "id"
    answer: str = "answer"
    question: str | None = "question"


@dataclass(frozen=True)
class Task:
    """One answer to score, and where it came from (for the errors file if it fails)."""

    rubric: str
    id: str
    answer: str
    line: int
    question: str

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

    def required(self) -> tuple[str, ...]:
        cols = [self.columns.id, self.columns.answer]
        if not self.rubrics.single and self.columns.question:
            cols.append(self.columns.question)
        return tuple(cols)

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
        answer = row.get(cols.answer)
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
        return Task(rubric.id, sid, answer, row.line, question)
