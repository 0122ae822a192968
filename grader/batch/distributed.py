"""Scoring on a Dask cluster: `grader batch ... --dask tcp://HOST:8786`, or `--dask local`.

This process (the driver) does what it does with --jobs: it reads the rows as
they come, checks them, keeps the resume index and appends every chunk of
records to the `.partial` as it comes back, so interrupting and resuming work
the same and the final files are the same. Only the scoring moves: chunks of
tasks go to Dask workers, a few per worker thread in flight, never the whole
input.

On each worker, a plugin (GraderPlugin) holds what the run scores with: the
rubrics themselves (shipped with the job, so a worker needs no rubrics folder),
their fingerprints, the calibration and the time budget. It starts one scoring
process per worker thread (grader.batch.scorer), which loads the pipeline and
compiles the rubrics once: Dask runs tasks in threads, and only a process's
main thread can stop a runaway check at its time budget.

A worker that dies mid-chunk: the scheduler gives the chunk to another worker,
and the driver writes a chunk only when its records come back, so nothing is
lost and nothing is written twice. A scoring process that dies fails its chunk,
which Dask retries. A chunk that keeps failing stops the run with one line; what
was scored is kept for the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from ..errors import GraderError
from .rows import Task
from .scorer import read_frame, write_frame
from .workers import Outcome

INSTALL = "pip install 'grader[dask]' (in a clone: pip install -e '.[dask]')"
CONNECT_SECONDS = 10.0  # how long a scheduler may take to answer before the run gives up
RETRIES = 2  # a chunk whose scoring process dies is tried again this many times
WINDOW = 2  # chunks in flight per worker thread: enough to keep every thread busy


try:
    from distributed import Client, LocalCluster, WorkerPlugin, as_completed, get_worker
except ImportError:
    raise GraderError(f"--dask needs Dask, which is not installed; install it with: {INSTALL}") from None


class ClusterError(GraderError):
    """No scheduler, a worker set up differently, or a chunk that keeps failing: the run cannot go on."""


class ScorerDied(Exception):
    """The scoring process of a worker thread stopped in the middle of a chunk."""


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class Scorer:
    """One scoring process (python -m grader.batch.scorer) and the pipes to it."""

    def __init__(self, settings: dict[str, Any]):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.batch.scorer"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in, self._out = self.proc.stdin, self.proc.stdout
        write_frame(self._in, settings)

    def ready(self) -> str:
        """Waits until the pipeline is loaded; its name, or ClusterError with the process's reason."""
        try:
            status, detail = read_frame(self._out)
        except (EOFError, OSError):
            raise ClusterError(self._stopped("while loading the spaCy pipeline")) from None
        if status != "ready":
            raise ClusterError(str(detail))
        return str(detail)

    def score(self, chunk: list[Task]) -> list[tuple[bytes | None, str | None]]:
        try:
            write_frame(self._in, chunk)
            result: list[tuple[bytes | None, str | None]] = read_frame(self._out)
        except (EOFError, OSError):
            raise ScorerDied(self._stopped("in the middle of a chunk")) from None
        return result

    def _stopped(self, when: str) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        return f"a scoring process of this Dask worker {how} {when}"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._in.close()  # it exits when its input ends

    def wait(self, seconds: float) -> None:
        try:
            self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # still in the middle of a chunk nobody waits for
            self.proc.wait()
        with contextlib.suppress(OSError):
            self._out.close()


class GraderPlugin(WorkerPlugin):
    """On each worker: a scoring process per worker thread, set up once for the whole run."""

    def __init__(self, settings: dict[str, Any], pipeline: str, local: bool):
        self.settings = settings
        self.pipeline = pipeline  # the driver's: a worker with another one would score differently
        self.local = local
        self._idle: queue.SimpleQueue[Scorer] = queue.SimpleQueue()
        self._all: list[Scorer] = []
        self._address = ""
        self._failed: GraderError | None = None  # why setup failed: every chunk here is refused

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings, "pipeline": self.pipeline, "local": self.local}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["settings"], state["pipeline"], state["local"])  # type: ignore[misc]

    async def setup(self, worker: Any) -> None:
        self._address = str(worker.address)
        if self.local and threading.current_thread() is threading.main_thread():
            # a terminal's Ctrl-C reaches this run's local workers too: the driver stops them
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        # started from the worker's main thread, loaded side by side off its event loop
        scorers = [self._start() for _ in range(max(1, int(worker.state.nthreads)))]
        try:
            names = await asyncio.gather(*(asyncio.to_thread(s.ready) for s in scorers))
            for name in names:
                if name != self.pipeline:
                    raise ClusterError(
                        f"the Dask worker at {self._address} has the spaCy pipeline {name}, this run "
                        f"scores with {self.pipeline}; install the same grader and pipeline on every worker"
                    )
        except BaseException as exc:
            self._failed = exc if isinstance(exc, GraderError) else ClusterError(_one_line(exc))
            self.teardown(worker)
            raise
        for s in scorers:
            self._idle.put(s)

    def _start(self) -> Scorer:
        scorer = Scorer(self.settings)
        self._all.append(scorer)
        return scorer

    def _take(self) -> Scorer:
        """An idle scoring process; a chunk that comes while setup runs waits for it to end."""
        while True:
            if self._failed is not None:
                raise self._failed
            try:
                return self._idle.get(timeout=1.0)
            except queue.Empty:
                continue

    def score(self, chunk: list[Task]) -> list[tuple[bytes | None, str | None]]:
        scorer = self._take()
        try:
            result = scorer.score(chunk)
        except ScorerDied:
            self._all.remove(scorer)
            fresh = self._start()  # for the next chunk; this one fails and Dask tries it again
            try:
                fresh.ready()
            finally:
                self._idle.put(fresh)
            raise
        self._idle.put(scorer)
        return result

    def teardown(self, worker: Any) -> None:
        scorers, self._all = self._all, []
        for s in scorers:
            s.close()  # each exits when its input ends; a thread waits for them, not the worker

        def reap() -> None:
            for s in scorers:
                s.wait(5)

        threading.Thread(target=reap, daemon=True).start()


def _score_on_worker(plugin_name: str, chunk: list[Task]) -> list[tuple[bytes | None, str | None]]:
    """The Dask task: one chunk through this worker's plugin."""
    plugin = get_worker().plugins.get(plugin_name)
    if not isinstance(plugin, GraderPlugin):
        raise ClusterError(f"a Dask worker has no {plugin_name} plugin: the run that set it up has ended")
    return plugin.score(chunk)


@contextlib.contextmanager
def _interrupts_blocked() -> Iterator[None]:
    """Ctrl-C held back while a local cluster starts, and never let through to its processes.

    A terminal's Ctrl-C goes to every process of the run. The cluster's threads and
    worker processes (a worker restarted later too) inherit this signal mask, so only
    the driver takes Ctrl-C, and stops them; one pressed meanwhile arrives afterwards.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


class DaskCluster:
    """The driver's side: a client of a running scheduler, or of a LocalCluster this run starts."""

    def __init__(self, address: str, workers: int):
        self.address = address
        # Dask's own log lines would come between the run's; what matters is said in one line here
        self._log = logging.getLogger("distributed")
        self._log_level = self._log.level
        self._log.setLevel(logging.CRITICAL)
        self._cluster: Any = None
        self._plugin = ""
        self._pending: dict[Any, list[Task]] = {}
        self.client: Any = None
        try:
            self._connect(workers)
        except BaseException:
            self.close()
            raise

    def _connect(self, workers: int) -> None:
        address = self.address
        if address == "local":
            with _interrupts_blocked():
                self._cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",  # loopback only: nothing outside this machine can join
                    dashboard_address=None,  # no dashboard; its HTTP server on a free loopback port
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                    silence_logs=logging.CRITICAL,
                )
                self.client = Client(self._cluster, set_as_default=False)
            return
        if "://" not in address:
            raise ClusterError(
                f"--dask {address}: give the scheduler's address, e.g. tcp://10.0.0.5:8786, or 'local'"
            )
        try:
            self.client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(
                f"--dask {address}: no Dask scheduler answered within {CONNECT_SECONDS:g} s "
                f"({_one_line(exc)}); start one with `dask scheduler`, or check the address"
            ) from None

    def start(
        self,
        rubric_json: dict[str, str],
        fingerprints: dict[str, str],
        pipeline: str,
        model: str | None,
        calibrations: dict[str, Any],
        time_limit: float | None,
    ) -> None:
        """Every worker, and any that joins later, sets up its scoring processes for this run."""
        settings = {
            "rubric_json": rubric_json,
            "fingerprints": fingerprints,
            "model": model,
            "calibrations": calibrations,
            "time_limit": time_limit,
        }
        self._plugin = f"grader-{uuid.uuid4().hex[:12]}"
        plugin = GraderPlugin(settings, pipeline, local=self._cluster is not None)
        self.client.register_plugin(plugin, name=self._plugin)

    def _threads(self) -> int:
        return sum(self.client.nthreads().values())

    def results(self, chunks: Iterable[list[Task]]) -> Iterator[list[Outcome]]:
        """The outcomes of each chunk, as chunks finish (in any order); a few chunks per thread in flight."""
        source = iter(chunks)
        done: Any = as_completed(loop=self.client.loop)
        window = max(WINDOW, WINDOW * self._threads())
        checked = time.monotonic()
        count = 0

        def submit(chunk: list[Task]) -> None:
            nonlocal count
            count += 1
            future = self.client.submit(
                _score_on_worker,
                self._plugin,
                chunk,
                key=f"{self._plugin}-chunk-{count}",
                pure=False,
                retries=RETRIES,
            )
            self._pending[future] = chunk
            done.add(future)

        for chunk in islice(source, window):
            submit(chunk)
        for future in done:
            chunk = self._pending.pop(future)
            if future.status != "finished":
                raise self._failure(future, chunk)
            lines = future.result()
            future.release()
            if time.monotonic() - checked > 5:  # workers may have joined or left
                window = max(WINDOW, WINDOW * self._threads())
                checked = time.monotonic()
            # keep the workers busy while this chunk is written
            for more in islice(source, max(1, window - len(self._pending))):
                submit(more)
            yield [Outcome(t, line, problem) for t, (line, problem) in zip(chunk, lines, strict=True)]

    def _failure(self, future: Any, chunk: list[Task]) -> GraderError:
        try:
            exc = future.exception()
        except Exception:  # cancelled: the scheduler dropped it
            exc = None
        if isinstance(exc, GraderError):
            return exc
        if exc is None or self.client.status != "running":
            return ClusterError(
                f"--dask {self.address}: the connection to the Dask scheduler was lost; the answers "
                "scored so far are kept: run the same command again when the scheduler is back"
            )
        lines = f"line {chunk[0].line}" if len(chunk) == 1 else f"lines {chunk[0].line}-{chunk[-1].line}"
        return ClusterError(
            f"--dask {self.address}: the answers on {lines} could not be scored ({_one_line(exc)}); "
            "the answers scored so far are kept: run the same command again to go on"
        )

    def close(self) -> None:
        """Cancels what is still in flight, removes the run's plugin, and stops a local cluster."""
        if self.client is not None:
            with contextlib.suppress(Exception):
                if self._pending:
                    self.client.cancel(list(self._pending))
                self._pending.clear()
                if self._plugin and self._cluster is None:  # a local cluster's workers stop anyway
                    self.client.unregister_worker_plugin(self._plugin)
            with contextlib.suppress(Exception):
                self.client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()
        self._log.setLevel(self._log_level)
