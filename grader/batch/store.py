"""Where a batch keeps its records: the output paths, the lock on them, and the resumable record store.

Every scored answer becomes one JSON line (a Record) appended to
`<jsonl>.partial`, a chunk at a time, each chunk in one write that Ctrl-C and
SIGTERM wait for (see Interrupts) and fsync'd after, so a Ctrl-C, a kill or a
power cut leaves only complete lines (a torn last line, possible only after a power cut, is cut
off when the file is next read). A run first indexes the records it already
has: the finished `<jsonl>` of an earlier run, then the `.partial` of an
interrupted one. A row whose (question, id) has a record with the same answer
text, scored with the same rubric version, pipeline and calibration, is not
scored again. Two runs never share these files: each takes a lock first.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import signal
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import GraderError
from ..record import Record
from ..rubric import Rubric
from .rows import Key


@dataclass(frozen=True)
class Outputs:
    csv: Path
    jsonl: Path
    errors: Path

    @classmethod
    def beside(
        cls, csv_path: str | Path, jsonl: str | Path | None = None, errors: str | Path | None = None
    ) -> Outputs:
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

    @property
    def lock(self) -> Path:
        return self.jsonl.with_name(self.jsonl.name + ".lock")


class OutputsBusy(GraderError):
    """Another run is writing the same outputs."""


class OutputLock:
    """An exclusive lock on a run's outputs (flock on `<jsonl>.lock`), released when the run ends.

    The kernel drops a flock when its process dies, so a killed run leaves no stale lock,
    only a file that the next run takes over.
    """

    def __init__(self, outputs: Outputs):
        self.outputs = outputs
        self.path = outputs.lock
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        while True:
            try:
                fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115
            except OSError as exc:
                raise GraderError(
                    f"{self.path}: cannot write here ({exc.strerror}); choose another -o path"
                ) from None
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read().strip()
                fh.close()
                who = f" (process {holder})" if holder.isdigit() else ""
                raise OutputsBusy(
                    f"{self.outputs.csv}: another grader batch run{who} is writing these outputs; "
                    "wait for it to finish, or give this run another -o"
                ) from None
            # the file may have been removed by the run that held it just before we locked it
            try:
                same = os.stat(self.path).st_ino == os.fstat(fh.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            fh.close()
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            self._fh.close()  # closing drops the lock
            self._fh = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class Interrupts:
    """Ctrl-C and SIGTERM as KeyboardInterrupt, held back while a chunk is being written.

    The handlers run in the main thread at some later bytecode, whichever thread the
    kernel gave the signal to: blocking the signal around the write is not enough, the
    exception could still land between the write and the note that it was made. So
    the handler only records a signal that comes during `held()`, and the block
    raises it once the chunk is written and noted.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self._depth = 0
        self._pending = False

    def handler(self, signum: int, frame: Any) -> None:
        if self._depth:
            self._pending = True
        else:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if not self._depth and self._pending:
            self._pending = False
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """These handlers for Ctrl-C and SIGTERM while the block runs (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread only: nothing to hold back here
            return
        old: list[tuple[signal.Signals, Callable[..., Any] | int | None]] = []
        for sig in self.SIGNALS:
            old.append((sig, signal.signal(sig, self.handler)))
        try:
            yield
        finally:
            for sig, previous in old:
                signal.signal(sig, previous)


def scored_with(rubric: Rubric, pipeline: str, calibration: Any | None) -> str:
    """What a record depends on besides the answer; a change means the answer is scored again."""
    cal = "none"
    if calibration is not None:
        # without a fingerprint a calibration cannot be compared: never reuse its records
        cal = str(getattr(calibration, "fingerprint", None) or uuid.uuid4())
    blob = f"{rubric.content_hash}|{pipeline}|{cal}".encode()
    return hashlib.sha256(blob).hexdigest()[:16]


class RecordStore:
    """Scored records on disk, indexed by (rubric id, student id)."""

    def __init__(
        self,
        outputs: Outputs,
        fingerprints: dict[str, str],
        fresh: bool,
        interrupts: Interrupts | None = None,
    ):
        self.interrupts = interrupts or Interrupts()
        self.sources = [outputs.jsonl, outputs.partial]
        self.fingerprints = fingerprints
        # key -> (source index, byte offset, hash of the answer text)
        self.index: dict[Key, tuple[int, int, int]] = {}
        self.appended = 0  # records written by this run
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

    def append(self, items: list[tuple[Key, str, bytes]]) -> int:
        """Write a chunk of (key, answer, record line) in one go, note it, and empty the list.

        Ctrl-C and SIGTERM wait until all of that is done (see Interrupts): the caller's
        buffer never still holds a chunk that is already on disk, so no chunk is written twice.
        """
        if not items:
            return 0
        with self.interrupts.held():
            data = b"".join(line for _, _, line in items)
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
            count = len(items)
            self.appended += count
            items.clear()
        return count

    def read(self, key: Key) -> bytes:
        src, offset, _ = self.index[key]
        fh = self._readers.get(src)
        if fh is None:
            fh = self._readers[src] = open(self.sources[src], "rb")  # noqa: SIM115
        fh.seek(offset)
        return fh.readline()

    def record(self, key: Key) -> Record:
        return Record.from_line(self.read(key))

    def close(self) -> None:
        for fh in self._readers.values():
            fh.close()
        self._readers.clear()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
