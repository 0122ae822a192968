"""The batch engine: a table of answers in; scores, feedback and records out.

    rows (tables.read_rows, streamed) -> checks (bad id, duplicate, question, size)
        -> spaCy nlp.pipe in-process, or chunks sent to N worker processes
        -> one JSON record per answer appended to <out>.jsonl.partial
        -> at the end: <out>.jsonl and <out>.csv in input order, then report and exports

Resume (how an interrupted run loses nothing)
---------------------------------------------
Every scored answer becomes one JSON line: the Feedback of `grader check
--format json` plus the student's `id`, the `answer` and `scored_with` (a hash
of the rubric's content, the spaCy pipeline and the calibration). Lines are
appended to `<jsonl>.partial` a chunk at a time, each chunk in one write with
Ctrl-C held off and fsync'd after, so a Ctrl-C, a kill or a power cut leaves
only complete lines (a torn last line, possible only after a power cut, is cut
off when the file is next read).

A run first indexes the records it already has: the finished `<jsonl>` of an
earlier run, then the `.partial` of an interrupted one. A row whose
(question, id) has a record with the same answer text, scored with the same
rubric version, pipeline and calibration, is not scored again; anything else
(a new row, an edited answer, an edited rubric) is. `fresh=True` ignores
earlier records. When every row is done, the JSONL and the CSV are written in
input order from the index (each to `<name>.tmp`, then renamed over the old
file) and the `.partial` is removed. Records of rows no longer in the input
are dropped then.

Memory stays flat: rows stream through, at most a few chunks are in flight,
and what grows with the input is only the index (a key, an offset and a hash
per answer, about 0.2 KB).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import signal
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .atomic import atomic_write, tmp_path
from .catalog import load_folder, resolve
from .checker import MAX_ANSWER_CHARS, Calibration, Checker, prepare
from .csv_safety import SafeWriter
from .errors import AnswerError, GraderError
from .nlp import load_pipeline, pipeline_name
from .rubric import Rubric
from .tables import read_rows

Key = tuple[str, str]  # (rubric id, student id)
Task = tuple[str, str, str]  # (rubric id, student id, answer)

DEFAULT_CHUNK = 128  # answers per write and per worker task
FLUSH_SECONDS = 2.0  # in-process runs also write at least this often


# --- what the caller gives --------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    """Input column names; `question=None` means every row uses the one rubric."""

    id: str = "id"
    answer: str = "answer"
    question: str | None = "question"


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
        shown = ", ".join(ids[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")
        return shown


@dataclass(frozen=True)
class Outputs:
    csv: Path
    jsonl: Path
    errors: Path

    @classmethod
    def beside(cls, csv_path: str | Path, jsonl: str | Path | None = None, errors: str | Path | None = None):
        csv_path = Path(csv_path)
        if csv_path.suffix.lower() != ".csv":
            raise GraderError(f"{csv_path}: the scores file must end in .csv, e.g. -o scores.csv")
        stem = csv_path.with_suffix("")
        return cls(
            csv_path,
            Path(jsonl) if jsonl else stem.with_name(stem.name + ".jsonl"),
            Path(errors) if errors else stem.with_name(stem.name + ".errors.csv"),
        )

    @property
    def partial(self) -> Path:
        return self.jsonl.with_name(self.jsonl.name + ".partial")


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

    def add(self, record: dict[str, Any], rubric: Rubric) -> None: ...


# --- what comes back ----------------------------------------------------------------


@dataclass
class BadRow:
    line: int
    id: str
    question: str
    kind: str  # short, for the summary: "duplicate id", "empty id", ...
    reason: str  # the whole sentence, with the fix


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


# --- the record store (resume) ------------------------------------------------------


def scored_with(rubric: Rubric, pipeline: str, calibration: Calibration | None) -> str:
    """What a record depends on besides the answer; a change means the answer is scored again."""
    cal = "none"
    if calibration is not None:
        # without a fingerprint a calibration cannot be compared: never reuse its records
        cal = str(getattr(calibration, "fingerprint", None) or uuid.uuid4())
    blob = f"{rubric.content_hash}|{pipeline}|{cal}".encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def record_line(student_id: str, fb_json: str, fingerprint: str, answer: str) -> bytes:
    """One JSONL record: {"id": ..., <the Feedback's fields>, "scored_with": ..., "answer": ...}."""
    sid = json.dumps(student_id, ensure_ascii=False)
    text = json.dumps(answer, ensure_ascii=False)
    return f'{{"id":{sid},{fb_json[1:-1]},"scored_with":"{fingerprint}","answer":{text}}}\n'.encode()


class RecordStore:
    """Scored records on disk, indexed by (rubric id, student id)."""

    def __init__(self, outputs: Outputs, fingerprints: dict[str, str], fresh: bool):
        self.sources = [outputs.jsonl, outputs.partial]
        self.fingerprints = fingerprints
        # key -> (source index, byte offset, hash of the answer text)
        self.index: dict[Key, tuple[int, int, int]] = {}
        self._readers: dict[int, Any] = {}
        partial = outputs.partial
        if fresh:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
        else:
            if outputs.jsonl.is_file():
                self._load(0, truncate=False)
            if partial.is_file():
                self._load(1, truncate=True)
        self.loaded = len(self.index)
        try:
            self._fd = os.open(partial, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise GraderError(
                f"{partial}: cannot write here ({exc.strerror}); choose another -o path"
            ) from None
        self._size = os.fstat(self._fd).st_size

    def _load(self, src: int, truncate: bool) -> None:
        path = self.sources[src]
        good_end = 0
        with open(path, "rb") as fh:
            offset = 0
            for raw in fh:
                try:
                    if not raw.endswith(b"\n"):
                        raise ValueError("torn line")
                    rec = json.loads(raw)
                    key = (rec["rubric"], rec["id"])
                    answer = rec["answer"]
                    fingerprint = rec.get("scored_with")
                except (ValueError, KeyError, TypeError):
                    break  # a torn or foreign line: what follows is not trusted
                if self.fingerprints.get(key[0]) == fingerprint:
                    self.index[key] = (src, offset, hash(answer))
                offset += len(raw)
                good_end = offset
        if truncate and good_end < path.stat().st_size:
            with open(path, "r+b") as fh:
                fh.truncate(good_end)

    def has(self, key: Key, answer: str) -> bool:
        entry = self.index.get(key)
        return entry is not None and entry[2] == hash(answer)

    def append(self, items: list[tuple[Key, str, bytes]]) -> None:
        """Write a chunk of records in one go; Ctrl-C waits until it is on disk."""
        if not items:
            return
        data = b"".join(line for _, _, line in items)
        blocked = {signal.SIGINT, signal.SIGTERM}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
            os.fsync(self._fd)
            offset = self._size
            for key, answer, line in items:
                self.index[key] = (1, offset, hash(answer))
                offset += len(line)
            self._size = offset
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def read(self, key: Key) -> bytes:
        src, offset, _ = self.index[key]
        fh = self._readers.get(src)
        if fh is None:
            fh = self._readers[src] = open(self.sources[src], "rb")  # noqa: SIM115
        fh.seek(offset)
        return fh.readline()

    def close(self) -> None:
        for fh in self._readers.values():
            fh.close()
        self._readers.clear()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


# --- scoring ------------------------------------------------------------------------


def _score(
    tasks: Iterable[Task],
    checkers: dict[str, Checker],
    fingerprints: dict[str, str],
    batch_size: int,
) -> Iterator[tuple[Key, str, bytes]]:
    """(key, answer, record line) per task, in order, through one nlp.pipe stream."""

    def prepared() -> Iterator[tuple[str, tuple[Task, Any]]]:
        for task in tasks:
            norm = prepare(task[2])  # sizes were checked when the row was read
            yield norm.text, (task, norm)

    nlp = next(iter(checkers.values())).nlp
    for doc, (task, norm) in nlp.pipe(prepared(), as_tuples=True, batch_size=batch_size):
        rid, sid, answer = task
        fb = checkers[rid].analyze(doc, norm)
        yield (rid, sid), answer, record_line(sid, fb.to_json(), fingerprints[rid], answer)


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
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the pool stops its workers with SIGTERM
    _die_with_parent(parent)
    nlp = load_pipeline(model)
    _worker["checkers"] = {
        rid: Checker(Rubric.model_validate_json(js), nlp, calibration=calibrations.get(rid))
        for rid, js in rubric_json.items()
    }
    _worker["fingerprints"] = fingerprints


def _score_chunk(chunk: list[Task]) -> list[bytes]:
    results = _score(chunk, _worker["checkers"], _worker["fingerprints"], batch_size=len(chunk))
    return [line for _, _, line in results]


def _pool_context() -> Any:
    # fork shares the parent's loaded pipeline; elsewhere each worker loads its own
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _chunks(tasks: Iterable[Task], size: int) -> Iterator[list[Task]]:
    chunk: list[Task] = []
    for t in tasks:
        chunk.append(t)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- the run ------------------------------------------------------------------------


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _Errors:
    """Bad rows, streamed to <errors>.tmp and renamed into place when the run ends."""

    HEADER = ["line", "id", "question", "reason"]

    def __init__(self, path: Path):
        self.path = path
        self.count: Counter[str] = Counter()
        self._fh: Any = None

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

    def finish(self, keep: bool) -> None:
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


class _Run:
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
    ):
        self.rubrics = rubrics
        self.input = input_path
        self.outputs = outputs
        self.columns = columns
        self.jobs = jobs
        self.chunk = chunk_size
        self.fresh = fresh
        self.model = model
        self.calibrations = calibrations
        self.progress = progress
        self.count_rows = count_rows
        self.result = BatchResult(outputs)
        self.order: list[Key] = []  # valid rows, input order
        self.first_line: dict[Key, int] = {}

    # -- checks before the slow part --

    def required(self) -> tuple[str, ...]:
        cols = [self.columns.id, self.columns.answer]
        if not self.rubrics.single and self.columns.question:
            cols.append(self.columns.question)
        return tuple(cols)

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

    # -- rows --

    def rows_to_score(self, store: RecordStore, errors: _Errors) -> Iterator[Task]:
        cols = self.columns
        qcol = cols.question
        for row in read_rows(self.input, required=self.required()):
            self.result.rows += 1
            sid = row.get(cols.id).strip()
            question = row.get(qcol).strip() if qcol else ""
            bad = self.classify(row, sid, question)
            if bad is not None:
                errors.add(bad)
                self.progress.update(1)
                continue
            answer = row.get(cols.answer)
            rubric = self.rubrics.find(question) if not self.rubrics.single else None
            rid = rubric.id if rubric is not None else next(iter(self.rubrics.rubrics))
            key = (rid, sid)
            if key in self.first_line:
                errors.add(
                    BadRow(
                        row.line,
                        sid,
                        question,
                        "duplicate id",
                        f"duplicate id '{sid}' for {rid} (first on line {self.first_line[key]}); "
                        "only the first answer is scored: remove or rename the other",
                    )
                )
                self.progress.update(1)
                continue
            self.first_line[key] = row.line
            self.order.append(key)
            self.result.per_rubric[rid] += 1
            if store.has(key, answer):
                self.result.reused += 1
                self.progress.update(1)
                continue
            yield (rid, sid, answer)

    def classify(self, row: Any, sid: str, question: str) -> BadRow | None:
        def bad(kind: str, reason: str) -> BadRow:
            return BadRow(row.line, sid, question, kind, reason)

        if row.problem:
            return bad("unreadable row", row.problem)
        if not sid:
            return bad("empty id", f"empty '{self.columns.id}'; give every answer the student's id")
        qcol = self.columns.question
        if self.rubrics.single:
            rubric = next(iter(self.rubrics.rubrics.values()))
            if qcol and question and self.rubrics.find(question) is None:
                return bad(
                    "other question",
                    f"question '{question}' is not {rubric.id}, the rubric given; give a folder of "
                    f"rubrics to score several questions, or --question-col '' to score every row with it",
                )
        elif not question:
            return bad(
                "no question", f"empty '{qcol}'; name the question's rubric id ({self.rubrics.describe()})"
            )
        elif self.rubrics.find(question) is None:
            return bad(
                "unknown question",
                f"unknown question '{question}'; the rubrics are {self.rubrics.describe()}",
            )
        answer = row.get(self.columns.answer)
        # what prepare() refuses must be refused here: inside the scoring stream it would end the run
        if len(answer) > MAX_ANSWER_CHARS or not _encodable(answer):
            try:
                prepare(answer)
            except AnswerError as exc:
                kind = "answer too long" if len(answer) > MAX_ANSWER_CHARS else "unreadable answer"
                return bad(kind, str(exc))
        return None

    def count(self) -> int:
        n = 0
        for _ in read_rows(self.input, required=self.required()):
            n += 1
        return n

    # -- main loop --

    def run(self, sinks: list[RecordSink]) -> BatchResult:
        self.check_paths()
        started = time.perf_counter()
        store: RecordStore | None = None
        errors: _Errors | None = None
        done = False
        try:
            total = self.count() if self.count_rows else None
            if total is None:
                # still fail fast on a missing file or column, before loading spaCy
                next(iter(read_rows(self.input, required=self.required())), None)
            nlp = load_pipeline(self.model)
            cal = self.calibrations
            rubrics = self.rubrics.rubrics
            checkers = {rid: Checker(r, nlp, calibration=cal.get(rid)) for rid, r in rubrics.items()}
            pipeline = pipeline_name(nlp)
            fingerprints = {rid: scored_with(r, pipeline, cal.get(rid)) for rid, r in rubrics.items()}
            store = RecordStore(self.outputs, fingerprints, self.fresh)
            errors = _Errors(self.outputs.errors)
            self.progress.start(total)
            tasks = self.rows_to_score(store, errors)
            if self.jobs <= 1:
                self._inline(tasks, checkers, fingerprints, store)
            else:
                self._pool(tasks, fingerprints, store)
            self.progress.close()
            self._finish(store, sinks)
            done = True
        except KeyboardInterrupt:
            self.progress.close()
            self.result.interrupted = True
            raise BatchInterrupted(self.result) from None
        finally:
            if store is not None:
                store.close()
            if errors is not None:
                errors.finish(keep=done)
                self.result.failed = errors.count
            self.result.seconds = time.perf_counter() - started
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
            for item in _score(tasks, checkers, fingerprints, batch_size=min(self.chunk, 64)):
                buffer.append(item)
                if len(buffer) >= self.chunk or time.monotonic() - last > FLUSH_SECONDS:
                    self._write(store, buffer)
                    buffer = []
                    last = time.monotonic()
        finally:
            # on Ctrl-C too: every finished answer is kept
            self._write(store, buffer)

    def _pool(self, tasks: Iterator[Task], fingerprints: dict[str, str], store: RecordStore) -> None:
        rubric_json = {rid: r.model_dump_json(by_alias=True) for rid, r in self.rubrics.rubrics.items()}
        ctx = _pool_context()
        pool = ctx.Pool(
            self.jobs,
            initializer=_init_worker,
            initargs=(os.getpid(), rubric_json, fingerprints, self.model, self.calibrations),
        )
        try:
            pending: deque[tuple[list[Task], Any]] = deque()
            # bounded: a few chunks per worker in flight, never the whole input
            for chunk in _chunks(tasks, self.chunk):
                pending.append((chunk, pool.apply_async(_score_chunk, (chunk,))))
                while len(pending) > 2 * self.jobs:
                    self._collect(store, *pending.popleft())
            while pending:
                self._collect(store, *pending.popleft())
            pool.close()
            pool.join()
        finally:
            pool.terminate()

    def _collect(self, store: RecordStore, chunk: list[Task], async_result: Any) -> None:
        lines = async_result.get()
        self._write(
            store, [((rid, sid), answer, line) for (rid, sid, answer), line in zip(chunk, lines, strict=True)]
        )

    def _write(self, store: RecordStore, items: list[tuple[Key, str, bytes]]) -> None:
        if items:
            store.append(items)
            self.result.scored += len(items)
            self.progress.update(len(items))

    # -- final outputs --

    def _finish(self, store: RecordStore, sinks: list[RecordSink]) -> None:
        used = [rid for rid in self.rubrics.rubrics if self.result.per_rubric[rid]]
        layout = CsvLayout([self.rubrics.rubrics[rid] for rid in used] or list(self.rubrics.rubrics.values()))
        o = self.outputs
        with (
            atomic_write(o.jsonl, "wb") as jf,
            atomic_write(o.csv, "w", encoding="utf-8-sig", newline="") as cf,
        ):
            writer = SafeWriter(cf)
            writer.writerow(layout.header)
            for key in self.order:
                line = store.read(key)
                jf.write(line)
                rec = json.loads(line)
                rubric = self.rubrics.rubrics[key[0]]
                writer.writerow(layout.row(rec))
                for sink in sinks:
                    sink.add(rec, rubric)
        store.close()
        with contextlib.suppress(FileNotFoundError):
            o.partial.unlink()


# --- the CSV ------------------------------------------------------------------------


def fmt_number(x: float) -> str:
    return f"{x:g}"


def short_names(ids: list[str]) -> dict[str, str]:
    """The last part of each rubric id when that is unique, else the whole id."""
    last = [i.rsplit("/", 1)[-1] for i in ids]
    return {i: (s if last.count(s) == 1 else i) for i, s in zip(ids, last, strict=True)}


class CsvLayout:
    """Columns of the scores CSV: id, rubric, score, max_score, one 0/1 per concept and
    link (prefixed by the question's short name when there are several), misconceptions, feedback."""

    def __init__(self, rubrics: list[Rubric]):
        self.rubrics = rubrics
        names = short_names([r.id for r in rubrics])
        self.blocks: list[tuple[str, list[str], list[str]]] = []
        header = ["id", "rubric", "score", "max_score"]
        for r in rubrics:
            concepts = [c.id for c in r.concepts]
            links = [lk.key for lk in r.links]
            self.blocks.append((r.id, concepts, links))
            prefix = f"{names[r.id]}: " if len(rubrics) > 1 else ""
            header += [prefix + x for x in concepts + links]
        self.header = header + ["misconceptions", "feedback"]

    def row(self, rec: dict[str, Any]) -> list[Any]:
        cells: list[Any] = [rec["id"], rec["rubric"], fmt_number(rec["score"]), fmt_number(rec["max_score"])]
        for rid, concepts, links in self.blocks:
            if rid != rec["rubric"]:
                cells += [""] * (len(concepts) + len(links))
                continue
            status = {c["id"]: c["status"] for c in rec["concepts"]}
            linked = {f"{lk['from']} -> {lk['to']}": lk["status"] for lk in rec["links"]}
            cells += [int(status.get(c) == "present") for c in concepts]
            cells += [int(linked.get(k) == "present") for k in links]
        cells.append("; ".join(m["id"] for m in rec["misconceptions"]))
        cells.append(" ".join(" ".join(s.split()) for s in rec["feedback"]))
        return cells


# --- entry point --------------------------------------------------------------------


def run_batch(
    rubrics: RubricSet,
    input_path: str | Path,
    outputs: Outputs,
    columns: Columns = Columns(),
    *,
    jobs: int = 1,
    chunk_size: int = DEFAULT_CHUNK,
    fresh: bool = False,
    model: str | None = None,
    calibration: Calibration | Mapping[str, Calibration] | None = None,
    progress: Progress | None = None,
    count_rows: bool = False,
    sinks: Iterable[RecordSink] = (),
) -> BatchResult:
    """Score every row of `input_path`; write outputs.csv and outputs.jsonl (and outputs.errors).

    `calibration` rescores each Feedback (Checker(..., calibration=...)): one object, applied
    to the rubric named by its `rubric_id` attribute (or to every rubric if it has none), or
    a {rubric id: calibration} mapping. It must pickle when jobs > 1, and a `fingerprint`
    string lets a later run reuse the answers it scored. Raises BatchInterrupted on Ctrl-C
    or SIGTERM after keeping every finished answer.
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
    )
    with _sigterm_as_interrupt():
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


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """A kill (SIGTERM) stops the run like Ctrl-C: finished answers are kept."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        old: Callable[..., Any] | int | None = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
