"""Errors a user can cause, each with the exit code the CLI documents.

Exit codes (also in the README):
  0  success
  1  the work ran but something the user asked to check failed
     (a rubric's own examples, some batch rows, a check past its time limit)
  2  bad input: a missing or unreadable file, a bad rubric, a bad option,
     outputs another batch run is writing, a Dask cluster that cannot score the run
  130  interrupted (Ctrl-C)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class GraderError(Exception):
    """A user's mistake: the message names the file, line or field and the fix."""

    exit_code = EXIT_BAD_INPUT


class RubricError(GraderError):
    """A rubric file that cannot be loaded or does not validate."""


class AnswerError(GraderError):
    """An answer that cannot be checked (undecodable, too long)."""


class CheckTimeout(GraderError):
    """One check ran past its time budget and was stopped."""

    exit_code = EXIT_FAILED
