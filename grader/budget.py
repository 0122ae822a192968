"""A time budget for one check, enforced by SIGALRM in a process's main thread.

Python's regex engine holds the GIL but checks for signals as it runs, so an
alarm stops even a pattern that backtracks without end; a thread cannot be
stopped that way, which is why the web server checks answers in its main
thread and the batch in each process's main thread. Off the main thread (or
without setitimer) the budget is not enforced.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

from .errors import CheckTimeout

DEFAULT_TIME_LIMIT = 5.0  # seconds per answer; a 20,000-character answer takes about 1 s


def timeout_message(seconds: float) -> str:
    return (
        f"checking this answer took longer than the time limit of {seconds:g} s and was stopped; "
        "a pattern of the rubric may be too slow for such an answer (tell the rubric's author), "
        "or raise the limit with --time-limit"
    )


def enforceable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Raise CheckTimeout in the block once it has run `seconds`; None or 0: no budget."""
    if not seconds or seconds <= 0 or not enforceable():
        yield
        return
    armed = [True]

    def on_alarm(signum: int, frame: Any) -> None:
        if armed[0]:  # the block may have just ended: then the alarm is stale
            raise CheckTimeout(timeout_message(seconds))

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
