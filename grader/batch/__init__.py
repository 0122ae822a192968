"""Batch scoring: a class's table of answers in; scores, feedback records and bad rows out.

rows      which rows are scored (columns, the rubric each names, bad rows)
store     output paths, the lock on them, the resumable record store
workers   scoring in this process or in worker processes, each answer within its time budget
distributed  scoring on a Dask cluster (--dask; the optional dask extra), scorer its scoring processes
engine    run_batch(): the run from the first row to the final files
job       run_job(): a whole `grader batch`, with the class report and the gradebook files
"""

from .engine import DEFAULT_CHUNK, BatchInterrupted, BatchResult, NoProgress, Progress, RecordSink, run_batch
from .rows import BadRow, Columns, RubricSet, Task
from .store import OutputLock, Outputs, OutputsBusy, RecordStore, scored_with

__all__ = [
    "DEFAULT_CHUNK",
    "BadRow",
    "BatchInterrupted",
    "BatchResult",
    "Columns",
    "NoProgress",
    "OutputLock",
    "Outputs",
    "OutputsBusy",
    "Progress",
    "RecordSink",
    "RecordStore",
    "RubricSet",
    "Task",
    "run_batch",
    "scored_with",
]
