"""A whole `grader batch`: its options checked, the run, then the class report and gradebook files."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..budget import DEFAULT_TIME_LIMIT
from ..errors import GraderError
from ..reports.class_report import write_report
from ..reports.class_summary import ClassSummary
from ..reports.exports import FORMATS, Gradebook, export_path, write_exports
from ..reports.numbers import plural
from ..reports.terminal import class_summary_text
from .engine import DEFAULT_CHUNK, BatchResult, Progress, RecordSink, run_batch
from .rows import PART, Columns, RubricSet
from .store import Outputs


@dataclass
class BatchJob:
    """What `grader batch` was asked to do."""

    rubric: str  # a rubric file or id, or a folder of rubrics
    input: Path
    output: Path  # the scores CSV
    jsonl: Path | None = None
    errors: Path | None = None
    report: Path | None = None
    exports: tuple[str, ...] = ()
    columns: Columns = field(default_factory=Columns)
    jobs: int = 1  # 0: one per CPU
    chunk_size: int = DEFAULT_CHUNK
    fresh: bool = False
    resume: bool = False
    calibration: Path | None = None
    model: str | None = None
    rubrics_dir: Path | None = None
    time_limit: float | None = DEFAULT_TIME_LIMIT
    encoding: str | None = None
    dask: str | None = None  # a Dask scheduler's address, or "local"


@dataclass
class JobResult:
    result: BatchResult
    summary: ClassSummary
    written: list[str]
    notes: list[str]  # about the exports, one line each

    def lines(self) -> list[str]:
        """What the terminal shows when the run is done (stdout)."""
        r = self.result
        rate = r.scored / r.seconds if r.seconds else 0.0
        head = f"Scored {plural(r.scored, 'answer')} in {r.seconds:.1f} s ({rate:.1f} answers/s)"
        if r.reused and not r.scored:
            head = f"Nothing new to score: all {plural(r.reused, 'answer')} were scored by an earlier run"
        elif r.reused:
            head += f"; {plural(r.reused, 'answer')} already scored by an earlier run"
        out = [head + "."]
        text = class_summary_text(self.summary)
        if text:
            out.append(text)
        out.append("Wrote " + ", ".join(self.written) + ".")
        return out

    def failed_line(self) -> str | None:
        r = self.result
        if not r.n_failed:
            return None
        kinds = ", ".join(f"{c} {k}" for k, c in r.failed.most_common())
        return f"{plural(r.n_failed, 'row')} failed ({kinds}): see {r.outputs.errors}"


def run_job(job: BatchJob, progress: Progress | None = None) -> JobResult:
    """Check the job's options, score the class, then write the report and the exports asked for.

    Raises GraderError on bad options (before anything is scored) and BatchInterrupted on
    Ctrl-C or SIGTERM.
    """
    if job.fresh and job.resume:
        raise GraderError("--fresh and --resume contradict each other; give one")
    jobs = job.jobs if job.jobs != 0 else (os.cpu_count() or 1)
    if job.dask is not None:
        from . import distributed  # noqa: F401  (without the dask extra: how to install it, at once)
    unknown = [k for k in job.exports if k not in FORMATS]
    if unknown:
        raise GraderError(f"--export {unknown[0]}: unknown gradebook; give one of {', '.join(FORMATS)}")
    rubrics = RubricSet.from_arg(job.rubric, job.rubrics_dir)
    template = job.columns.parts
    if template is not None:
        if PART not in template:
            raise GraderError(
                f"--part-cols {template!r}: write {PART} where the part's id goes, "
                f"e.g. --part-cols 'Q3{PART}'"
            )
        if not any(r.parts for r in rubrics.rubrics.values()):
            raise GraderError(
                f"--part-cols: {rubrics.describe()} has no parts; "
                "the option names the columns of a question's parts (a), (b), ..."
            )
    calibration = None
    if job.calibration:
        if not rubrics.single:
            raise GraderError(
                "--calibration belongs to one rubric; give that rubric's file or id, not a folder"
            )
        from ..calibration import load_calibration  # scikit-learn loads only when asked for

        calibration = load_calibration(job.calibration, next(iter(rubrics.rubrics.values())))
    outputs = Outputs.beside(job.output, job.jsonl, job.errors)
    for kind in job.exports:
        if export_path(outputs.csv, kind) == job.input:
            raise GraderError(f"{job.input}: would be overwritten by the {kind} export; give -o another name")
    if job.report is not None and job.report.suffix.lower() not in {".html", ".htm"}:
        raise GraderError(f"{job.report}: the report is an HTML file; give a name ending in .html")
    if job.report is not None and not job.report.parent.is_dir():
        raise GraderError(
            f"{job.report}: the folder {job.report.parent} does not exist; create it or choose another path"
        )
    summary = ClassSummary()
    book = Gradebook()
    sinks: list[RecordSink] = [summary, book] if job.exports else [summary]
    result = run_batch(
        rubrics,
        job.input,
        outputs,
        job.columns,
        jobs=jobs,
        chunk_size=job.chunk_size,
        fresh=job.fresh,
        model=job.model,
        calibration=calibration,
        progress=progress,
        count_rows=progress is not None,
        sinks=sinks,
        time_limit=job.time_limit,
        encoding=job.encoding,
        dask=job.dask,
    )
    written = [str(outputs.csv), str(outputs.jsonl)]
    if job.report is not None:
        write_report(summary, outputs.jsonl, job.report, source=job.input.name, scores_csv=outputs.csv)
        written.append(str(job.report))
    notes = write_exports(list(job.exports), book, job.input, job.columns.id, outputs.csv, job.encoding)
    written += [str(export_path(outputs.csv, k)) for k in dict.fromkeys(job.exports)]
    return JobResult(result, summary, written, notes)
