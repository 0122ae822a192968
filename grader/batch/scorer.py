"""A scoring process: one per Dask worker thread, started and fed by grader.batch.distributed.

Dask runs tasks in threads, and an answer's time budget can stop a runaway check
(a rubric REGEX backtracking on a long word) only in a process's main thread
(see grader.budget). So each worker thread hands its chunks to a process of its
own, which loads the pipeline and compiles the rubrics once, then scores chunk
after chunk in its main thread exactly as a --jobs worker does.

The parent writes frames to its stdin and reads frames from its stdout: the
settings first (answered with ("ready", pipeline name) or ("error", message)),
then one chunk of Tasks per frame, answered with one (record line, problem) pair
per task. A frame is an 8-byte length and a pickle. The process ends when its
stdin closes, which is also how it learns that the worker has died.

    python -m grader.batch.scorer
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from typing import IO, Any

from ..errors import GraderError
from ..nlp import load_pipeline, pipeline_name
from .workers import _build_worker, _score_chunk

_LENGTH = struct.Struct(">Q")


def write_frame(fh: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    fh.write(_LENGTH.pack(len(data)) + data)
    fh.flush()


def read_frame(fh: IO[bytes]) -> Any:
    """The next object, or EOFError when the other side has closed (or died) between frames."""
    head = fh.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError("closed")
    size = _LENGTH.unpack(head)[0]
    data = fh.read(size)
    if len(data) < size:
        raise EOFError("closed in the middle of a frame")
    return pickle.loads(data)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C; the worker closes us
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot corrupt a frame
    requests = sys.stdin.buffer
    try:
        settings = read_frame(requests)
        try:
            _build_worker(**settings)
            pipeline = pipeline_name(load_pipeline(settings["model"]))
        except GraderError as exc:
            write_frame(replies, ("error", str(exc)))
            return
        write_frame(replies, ("ready", pipeline))
        while True:
            write_frame(replies, _score_chunk(read_frame(requests)))
    except (EOFError, BrokenPipeError):
        return  # the worker closed us, or died


if __name__ == "__main__":
    main()
