"""Where the web page's checks run: one at a time, and, under `grader serve`, in the main thread.

A check that runs too long must be stopped without stopping the server. Only
the main thread can be interrupted by a signal (Python's regex engine checks
for them, a thread cannot be stopped from outside), so `grader serve` runs the
HTTP server in a thread and hands every check to the main thread
(`MainThreadRunner`), which runs it within its time budget: past it, the
request gets 503 and the next check starts. Ctrl-C reaches the main thread
too, even during a check. `ThreadRunner` is for an app served another way (a
test client, another ASGI server): checks run in a worker thread, with no
budget that can be enforced.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol, TypeVar

import anyio.to_thread

from ..budget import time_budget
from ..errors import GraderError

T = TypeVar("T")


class ServerStopping(GraderError):
    """The server is shutting down: checks still waiting are not run."""


class CheckRunner(Protocol):
    async def run(self, job: Callable[[], T]) -> T: ...


class ThreadRunner:
    """One check at a time in a worker thread (the pipeline is shared; the GIL allows no more)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    async def run(self, job: Callable[[], T]) -> T:
        def locked() -> T:
            with self._lock:
                return job()

        return await anyio.to_thread.run_sync(locked)


class MainThreadRunner:
    """Checks queued to the main thread, which runs each within `time_limit` seconds."""

    def __init__(self, time_limit: float | None):
        self.time_limit = time_limit
        self._jobs: queue.Queue[tuple[Callable[[], object], Future[object]] | None] = queue.Queue()
        self._stopping = False

    async def run(self, job: Callable[[], T]) -> T:
        if self._stopping:
            raise ServerStopping("the server is stopping; try again in a moment")
        future: Future[T] = Future()
        self._jobs.put((job, future))  # type: ignore[arg-type]
        return await asyncio.wrap_future(future)

    def serve(self, keep_going: Callable[[], bool]) -> None:
        """Run checks in this (the main) thread while `keep_going()`; Ctrl-C raises here."""
        while keep_going():
            try:
                item = self._jobs.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is None:
                break
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                with time_budget(self.time_limit):
                    result = job()
            except Exception as exc:  # the request gets the error (CheckTimeout: 503)
                future.set_exception(exc)
            except BaseException:  # Ctrl-C during a check: its request still gets an answer
                future.set_exception(ServerStopping("the server is stopping; try again in a moment"))
                raise
            else:
                future.set_result(result)

    def stop(self) -> None:
        """Refuse new checks and fail the ones still waiting, so their requests get an answer."""
        self._stopping = True
        while True:
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                break
            if item is not None and not item[1].done():
                item[1].set_exception(ServerStopping("the server is stopping; try again in a moment"))
        self._jobs.put(None)
