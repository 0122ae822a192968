"""What makes an answer checkable: one rule, which the CLI, the web page and the batch share.

`validate_answer` returns the reason an answer cannot be checked (or None);
each face maps it to its own way of saying no: an exit code, an HTTP status,
a bad row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MAX_ANSWER_CHARS = 20_000  # an AP answer is rarely over 3,000

ProblemKind = Literal["not text", "too long", "broken character"]


@dataclass(frozen=True)
class AnswerProblem:
    kind: ProblemKind
    message: str  # one sentence with the fix, without the answer's name or line

    def __str__(self) -> str:
        return self.message


def too_long_message(n: int) -> str:
    return (
        f"the answer has {n:,} characters, over the limit of {MAX_ANSWER_CHARS:,} for one answer; "
        "shorten it or split it"
    )


def validate_answer(answer: object) -> AnswerProblem | None:
    """Why this answer cannot be checked, or None when it can."""
    if not isinstance(answer, str):
        return AnswerProblem("not text", "an answer must be text")
    if len(answer) > MAX_ANSWER_CHARS:
        return AnswerProblem("too long", too_long_message(len(answer)))
    try:
        answer.encode("utf-8")
    except UnicodeEncodeError as exc:
        # half of a UTF-16 surrogate pair (JSON "\ud800"), or a byte the table reader could not decode
        return AnswerProblem(
            "broken character",
            f"the answer has a broken character at position {exc.start} (half of a surrogate pair "
            "or a byte that is not text); retype that part or paste the answer again as plain text",
        )
    return None
