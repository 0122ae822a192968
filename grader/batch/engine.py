"""The batch engine: a table of answers in; records, the scores CSV and the errors file out.

    rows (io.tables.read_rows, streamed) -> RowChecker (bad id, duplicate, question, size)
        -> workers.score in this process, or chunks sent to a WorkerPool or a Dask cluster
        -> one Record per answer appended to the RecordStore (<out>.jsonl.partial)
        -> at the end: <out>.jsonl and <out>.csv in input order; each Record to the sinks
           (the class report's counts, the gradebook)

Memory stays flat: rows stream through, at most a few chunks are in flight,
and what grows with the input is only the index (a key, an offset and a hash
per answer, about 0.2 KB). When every row is done, the JSONL and the CSV are
written in input order from the index (each to `<name>.tmp`, then renamed over
the old file) and the `.partial` is removed; records of rows no longer in the
input are dropped then.
"""

from __future__ import annotations

import contextlib
import csv
import os
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..budget import DEFAULT_TIME_LIMIT
from ..checker import Calibration, Checker
from ..errors import GraderError
from ..io.atomic import atomic_write, tmp_path
from ..io.csv_safety import SafeWriter
from ..io.tables import read_rows
from ..nlp import load_pipeline, pipeline_name
from ..record import Record
from ..reports.scores_csv import ScoresLayout
from ..rubric import Rubric
from .rows import BadRow, Columns, Key, RowChecker, RubricSet, Task
from .store import Interrupts, OutputLock, Outputs, RecordStore, scored_with
from .workers import Outcome, WorkerPool, chunks, score

DEFAULT_COLUMNS = Columns()
DEFAULT_CHUNK = 128  # answers per write and per worker task
FLUSH_SECONDS = 2.0  # in-process runs also write at least this often


class Progress(Protocol):
    def start(self, total: int | None) -> None: ...
    def update(self, n: int) -> None: ...
    def close(self) -> None: ...


class NoProgress:
    def start(self, total: int | None) -> None:
        pass

    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


class RecordSink(Protocol):
    """Sees every final record once, in input order (the class report, the gradebook)."""

    def add(self, record: Record, rubric: Rubric) -> None: ...


@dataclass
class BatchResult:
    outputs: Outputs
    rows: int = 0  # data rows read
    scored: int = 0  # scored in this run
    reused: int = 0  # already scored by an earlier run
    failed: Counter[str] = field(default_factory=Counter)  # kind -> rows
    per_rubric: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)  # about the input, one line each

    @property
    def n_failed(self) -> int:
        return sum(self.failed.values())

    @property
    def answers(self) -> int:
        return self.scored + self.reused


class BatchInterrupted(Exception):
    """Ctrl-C or a kill: what was scored is kept in the .partial file."""

    def __init__(self, result: BatchResult):
        super().__init__("interrupted")
        self.result = result


class _Errors:
    """Bad rows in line order, streamed to <errors>.tmp and renamed into place when the run ends.

    Rows refused on reading come in line order; an answer that fails while being
    scored comes later, so those are merged in by line at the end.
    """

    HEADER = ["line", "id", "question", "reason"]

    def __init__(self, path: Path):
        self.path = path
        self.count: Counter[str] = Counter()
        self._fh: Any = None
        self._late: list[BadRow] = []

    def add(self, bad: BadRow) -> None:
        if self._fh is None:
            try:
                self._fh = open(tmp_path(self.path), "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
            except OSError as exc:
                raise GraderError(f"{self.path}: cannot write here ({exc.strerror})") from None
            self._writer = SafeWriter(self._fh)
            self._writer.writerow(self.HEADER)
        self._writer.writerow([bad.line, bad.id, bad.question, bad.reason])
        self.count[bad.kind] += 1

    def add_late(self, bad: BadRow) -> None:
        self._late.append(bad)
        self.count[bad.kind] += 1

    def finish(self, keep: bool) -> None:
        if self._late and keep:
            self._merge_late()
        if self._fh is not None:
            self._fh.close()
            if keep:
                os.replace(tmp_path(self.path), self.path)
            else:
                tmp_path(self.path).unlink()
        elif keep:
            # a clean run: an errors file from an earlier run would mislead
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def _merge_late(self) -> None:
        early: list[list[str]] = []
        if self._fh is not None:
            self._fh.close()
            with open(tmp_path(self.path), encoding="utf-8-sig", newline="") as fh:
                early = list(csv.reader(fh))[1:]
        rows = [(int(r[0]), r) for r in early]
        rows += [(b.line, [str(b.line), b.id, b.question, b.reason]) for b in self._late]
        rows.sort(key=lambda r: r[0])  # stable: rows of one line keep their order
        self._fh = open(tmp_path(self.path), "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self._writer = SafeWriter(self._fh)  # neutralizing twice changes nothing
        self._writer.writerow(self.HEADER)
        for _, cells in rows:
            self._writer.writerow(cells)
        self._late.clear()


class _Run:
    """One batch run: the rows, the store, the scoring loop and the final files."""

    def __init__(
        self,
        rubrics: RubricSet,
        input_path: Path,
        outputs: Outputs,
        columns: Columns,
        *,
        jobs: int,
        chunk_size: int,
        fresh: bool,
        model: str | None,
        calibrations: dict[str, Calibration],
        progress: Progress,
        count_rows: bool,
        time_limit: float | None,
        encoding: str | None,
        dask: str | None = None,
    ):
        self.rubrics = rubrics
        self.input = input_path
        self.outputs = outputs
        self.jobs = jobs
        self.chunk = chunk_size
        self.fresh = fresh
        self.model = model
        self.calibrations = calibrations
        self.progress = progress
        self.count_rows = count_rows
        self.time_limit = time_limit
        self.encoding = encoding
        self.dask = dask
        self.rows = RowChecker(rubrics, columns)
        self.result = BatchResult(outputs)
        self.order: list[Key] = []  # valid rows, input order
        self.errors = _Errors(outputs.errors)
        self.interrupts = Interrupts()

    def check_paths(self) -> None:
        o = self.outputs
        for p in (o.csv, o.jsonl, o.errors):
            if not p.parent.is_dir():
                raise GraderError(
                    f"{p}: the folder {p.parent} does not exist; create it or choose another path"
                )
        src = self.input.resolve() if self.input.exists() else None
        if src is not None and src in {p.resolve() for p in (o.csv, o.jsonl, o.errors)}:
            raise GraderError(f"{self.input}: is also an output file; give -o another name")
        if len({o.csv, o.jsonl, o.errors}) < 3:
            raise GraderError("the scores CSV, the JSONL and the errors file need three different names")

    def read(self) -> Iterator[Any]:
        return read_rows(
            self.input,
            required=self.rows.required(),
            encoding=self.encoding,
            warn=self.result.warnings,
            check_header=self.rows.check_header,
        )

    def tasks(self, store: RecordStore) -> Iterator[Task]:
        """The rows still to score, in input order; bad rows go to the errors file as they come."""
        for row in self.read():
            self.result.rows += 1
            checked = self.rows.check(row)
            if isinstance(checked, BadRow):
                self.errors.add(checked)
                self.progress.update(1)
                continue
            self.order.append(checked.key)
            self.result.per_rubric[checked.rubric] += 1
            if store.has(checked.key, checked.answer):
                self.result.reused += 1
                self.progress.update(1)
                continue
            yield checked

    def run(self, sinks: list[RecordSink]) -> BatchResult:
        self.check_paths()
        started = time.perf_counter()
        store: RecordStore | None = None
        cluster: Any = None
        done = False
        lock = OutputLock(self.outputs)
        try:
            lock.acquire()  # before anything is read or written: another run may hold these files
            # fail fast on a missing file, column or encoding, before loading spaCy
            next(iter(self.read()), None)
            if self.dask is not None:
                from .distributed import DaskCluster  # Dask is an optional extra

                cluster = DaskCluster(self.dask, self.jobs)  # no scheduler: one line, before any work
            total = sum(1 for _ in self.read()) if self.count_rows else None
            self.result.warnings.clear()  # the reading above said them already; the run says them again
            nlp = load_pipeline(self.model)
            cal = self.calibrations
            rubrics = self.rubrics.rubrics
            checkers = {rid: Checker(r, nlp, calibration=cal.get(rid)) for rid, r in rubrics.items()}
            pipeline = pipeline_name(nlp)
            fingerprints = {rid: scored_with(r, pipeline, cal.get(rid)) for rid, r in rubrics.items()}
            store = RecordStore(self.outputs, fingerprints, self.fresh, self.interrupts)
            self.progress.start(total)
            if cluster is not None:
                shipped = {rid: r.model_dump_json(by_alias=True) for rid, r in rubrics.items()}
                cluster.start(shipped, fingerprints, pipeline, self.model, cal, self.time_limit)
                self._remote(self.tasks(store), cluster, store)
            elif self.jobs <= 1:
                self._inline(self.tasks(store), checkers, fingerprints, store)
            else:
                self._pool(self.tasks(store), fingerprints, store)
            self.progress.close()
            self._finish(store, sinks)
            done = True
        except KeyboardInterrupt:
            self.progress.close()
            self.result.interrupted = True
            raise BatchInterrupted(self.result) from None
        finally:
            if cluster is not None:
                cluster.close()
            if store is not None:
                self.result.scored = store.appended
                store.close()
            self.errors.finish(keep=done)
            self.result.failed = self.errors.count
            self.result.seconds = time.perf_counter() - started
            lock.release()
        return self.result

    def _inline(
        self,
        tasks: Iterator[Task],
        checkers: dict[str, Checker],
        fingerprints: dict[str, str],
        store: RecordStore,
    ) -> None:
        buffer: list[tuple[Key, str, bytes]] = []
        last = time.monotonic()
        try:
            batch = min(self.chunk, 64)
            for outcome in score(tasks, checkers, fingerprints, batch, self.time_limit):
                self._take(outcome, buffer)
                if len(buffer) >= self.chunk or time.monotonic() - last > FLUSH_SECONDS:
                    self._write(store, buffer)
                    last = time.monotonic()
        finally:
            # on Ctrl-C too: every finished answer is kept (append empties the buffer it wrote)
            self._write(store, buffer)

    def _pool(self, tasks: Iterator[Task], fingerprints: dict[str, str], store: RecordStore) -> None:
        pool = WorkerPool(
            self.jobs, self.rubrics.rubrics, fingerprints, self.model, self.calibrations, self.time_limit
        )
        try:
            pending: deque[tuple[list[Task], Any]] = deque()
            # bounded: a few chunks per worker in flight, never the whole input
            for chunk in chunks(tasks, self.chunk):
                pending.append((chunk, pool.submit(chunk)))
                while len(pending) > 2 * self.jobs:
                    self._collect(store, *pending.popleft())
            while pending:
                self._collect(store, *pending.popleft())
            pool.close()
        finally:
            pool.terminate()

    def _remote(self, tasks: Iterator[Task], cluster: Any, store: RecordStore) -> None:
        """Chunks scored on a Dask cluster (see distributed.py), each written as it comes back."""
        for outcomes in cluster.results(chunks(tasks, self.chunk)):
            buffer: list[tuple[Key, str, bytes]] = []
            for outcome in outcomes:
                self._take(outcome, buffer)
            self._write(store, buffer)

    def _collect(self, store: RecordStore, chunk: list[Task], pending: Any) -> None:
        buffer: list[tuple[Key, str, bytes]] = []
        for outcome in WorkerPool.outcomes(chunk, pending):
            self._take(outcome, buffer)
        self._write(store, buffer)

    def _take(self, outcome: Outcome, buffer: list[tuple[Key, str, bytes]]) -> None:
        task = outcome.task
        if outcome.line is not None:
            buffer.append((task.key, task.answer, outcome.line))
            return
        self.errors.add_late(
            BadRow(task.line, task.id, task.question, "too slow to check", outcome.problem or "not scored")
        )
        self.result.per_rubric[task.rubric] -= 1
        self.progress.update(1)

    def _write(self, store: RecordStore, items: list[tuple[Key, str, bytes]]) -> None:
        n = store.append(items)
        self.progress.update(n)

    def _finish(self, store: RecordStore, sinks: list[RecordSink]) -> None:
        rubrics = self.rubrics.rubrics
        used = [rid for rid in rubrics if self.result.per_rubric[rid]]
        layout = ScoresLayout([rubrics[rid] for rid in used] or list(rubrics.values()))
        o = self.outputs
        with (
            atomic_write(o.jsonl, "wb") as jf,
            atomic_write(o.csv, "w", encoding="utf-8-sig", newline="") as cf,
        ):
            writer = SafeWriter(cf)
            writer.writerow(layout.header)
            for key in self.order:
                if key not in store.index:
                    continue  # it failed while being scored: it is in the errors file
                line = store.read(key)
                jf.write(line)
                record = Record.from_line(line)
                writer.writerow(layout.row(record))
                for sink in sinks:
                    sink.add(record, rubrics[key[0]])
        store.close()
        with contextlib.suppress(FileNotFoundError):
            o.partial.unlink()


def run_batch(
    rubrics: RubricSet,
    input_path: str | Path,
    outputs: Outputs,
    columns: Columns = DEFAULT_COLUMNS,
    *,
    jobs: int = 1,
    chunk_size: int = DEFAULT_CHUNK,
    fresh: bool = False,
    model: str | None = None,
    calibration: Calibration | Mapping[str, Calibration] | None = None,
    progress: Progress | None = None,
    count_rows: bool = False,
    sinks: Iterable[RecordSink] = (),
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    encoding: str | None = None,
    dask: str | None = None,
) -> BatchResult:
    """Score every row of `input_path`; write outputs.csv and outputs.jsonl (and outputs.errors).

    `calibration` rescores each Feedback (Checker(..., calibration=...)): one object, applied
    to the rubric named by its `rubric_id` attribute (or to every rubric if it has none), or
    a {rubric id: calibration} mapping. It must pickle when jobs > 1, and a `fingerprint`
    string lets a later run reuse the answers it scored. `time_limit` is each answer's
    budget in seconds (None: none); an answer past it is a bad row. `encoding` is the
    input's, when it is not UTF-8 or UTF-16 with a BOM. Raises BatchInterrupted on Ctrl-C
    or SIGTERM after keeping every finished answer, and OutputsBusy when another run
    holds the outputs. `dask` scores on a Dask cluster instead of in local processes:
    a scheduler's address (tcp://HOST:8786), or "local" for a LocalCluster of `jobs`
    worker processes (needs the dask extra).
    """
    if jobs < 1:
        raise GraderError(f"--jobs {jobs}: give 1 or more processes")
    if chunk_size < 1:
        raise GraderError(f"chunk size {chunk_size}: give 1 or more answers")
    run = _Run(
        rubrics,
        Path(input_path),
        outputs,
        columns,
        jobs=jobs,
        chunk_size=chunk_size,
        fresh=fresh,
        model=model,
        calibrations=_calibrations(calibration, rubrics),
        progress=progress or NoProgress(),
        count_rows=count_rows,
        time_limit=time_limit,
        encoding=encoding,
        dask=dask,
    )
    with run.interrupts.installed():
        return run.run(list(sinks))


def _calibrations(
    calibration: Calibration | Mapping[str, Calibration] | None, rubrics: RubricSet
) -> dict[str, Calibration]:
    if calibration is None:
        return {}
    if isinstance(calibration, Mapping):
        found = dict(calibration)
    else:
        rid = getattr(calibration, "rubric_id", None)
        found = {rid: calibration} if rid else dict.fromkeys(rubrics.rubrics, calibration)
    unknown = [rid for rid in found if rid not in rubrics.rubrics]
    if unknown:
        raise GraderError(
            f"the calibration is for {', '.join(unknown)}, which is not a rubric of this run "
            f"({rubrics.describe()}); give the calibration made for one of them"
        )
    return found
