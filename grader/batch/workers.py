"""Scoring answers: one stream through spaCy in this process, or chunks in worker processes.

Each answer is analysed within its time budget (see grader.budget); an answer
that runs past it comes back as a problem instead of a record, and the run
goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..budget import time_budget
from ..checker import Calibration, Checker, prepare
from ..errors import CheckTimeout
from ..nlp import load_pipeline
from ..record import Record
from ..rubric import Rubric
from .rows import Task


@dataclass(frozen=True)
class Outcome:
    """A scored task: its record line, or why it has none."""

    task: Task
    line: bytes | None
    problem: str | None = None


def score(
    tasks: Iterable[Task],
    checkers: dict[str, Checker],
    fingerprints: dict[str, str],
    batch_size: int,
    time_limit: float | None,
) -> Iterator[Outcome]:
    """An Outcome per task, in order, through one nlp.pipe stream."""

    def prepared() -> Iterator[tuple[str, tuple[Task, Any]]]:
        for task in tasks:
            norm = prepare(task.answer)  # the row checks refused what prepare() would
            # a multi-part answer is parsed part by part when it is checked, not whole here
            yield ("" if checkers[task.rubric].parts else norm.text), (task, norm)

    nlp = next(iter(checkers.values())).nlp
    for doc, (task, norm) in nlp.pipe(prepared(), as_tuples=True, batch_size=batch_size):
        checker = checkers[task.rubric]
        try:
            with time_budget(time_limit):
                if task.segments is not None:  # given one column per part
                    fb = checker.check_parts(task.answer, task.segments)
                else:
                    fb = checker.analyze(doc, norm)
        except CheckTimeout as exc:
            yield Outcome(task, None, str(exc))
            continue
        record = Record(id=task.id, result=fb, scored_with=fingerprints[task.rubric], answer=task.answer)
        yield Outcome(task, record.to_line())


# Per worker process: built once by the pool initializer.
_worker: dict[str, Any] = {}


def _die_with_parent(parent: int) -> None:
    """A worker whose parent is killed (kill -9) exits too, instead of waiting forever."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _init_worker(
    parent: int,
    rubric_json: dict[str, str],
    fingerprints: dict[str, str],
    model: str | None,
    calibrations: dict[str, Calibration],
    time_limit: float | None,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the pool stops its workers with SIGTERM
    _die_with_parent(parent)
    _build_worker(rubric_json, fingerprints, model, calibrations, time_limit)


def _build_worker(
    rubric_json: dict[str, str],
    fingerprints: dict[str, str],
    model: str | None,
    calibrations: dict[str, Calibration],
    time_limit: float | None,
) -> None:
    """The pipeline and the compiled rubrics this process scores with, once."""
    nlp = load_pipeline(model)
    _worker["checkers"] = {
        rid: Checker(Rubric.model_validate_json(js), nlp, calibration=calibrations.get(rid))
        for rid, js in rubric_json.items()
    }
    _worker["fingerprints"] = fingerprints
    _worker["time_limit"] = time_limit


def _score_chunk(chunk: list[Task]) -> list[tuple[bytes | None, str | None]]:
    outcomes = score(chunk, _worker["checkers"], _worker["fingerprints"], len(chunk), _worker["time_limit"])
    return [(o.line, o.problem) for o in outcomes]


class WorkerPool:
    """N processes that each load the pipeline once and score chunks of tasks in turn."""

    def __init__(
        self,
        jobs: int,
        rubrics: dict[str, Rubric],
        fingerprints: dict[str, str],
        model: str | None,
        calibrations: dict[str, Calibration],
        time_limit: float | None,
    ):
        rubric_json = {rid: r.model_dump_json(by_alias=True) for rid, r in rubrics.items()}
        # fork shares the parent's loaded pipeline; elsewhere each worker loads its own
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.jobs = jobs
        self._pool = ctx.Pool(
            jobs,
            initializer=_init_worker,
            initargs=(os.getpid(), rubric_json, fingerprints, model, calibrations, time_limit),
        )

    def submit(self, chunk: list[Task]) -> Any:
        return self._pool.apply_async(_score_chunk, (chunk,))

    @staticmethod
    def outcomes(chunk: list[Task], pending: Any) -> list[Outcome]:
        return [Outcome(t, line, problem) for t, (line, problem) in zip(chunk, pending.get(), strict=True)]

    def close(self) -> None:
        self._pool.close()
        self._pool.join()

    def terminate(self) -> None:
        self._pool.terminate()


def chunks(tasks: Iterable[Task], size: int) -> Iterator[list[Task]]:
    chunk: list[Task] = []
    for t in tasks:
        chunk.append(t)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
