"""`grader batch`: score a class's answers; scores, feedback, a class report, gradebook files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..batch.engine import DEFAULT_CHUNK, BatchInterrupted
from ..batch.job import BatchJob, run_job
from ..batch.rows import Columns
from ..errors import EXIT_FAILED, EXIT_INTERRUPTED
from ..reports.exports import FORMATS
from ..reports.numbers import plural
from .common import (
    answer_col_option,
    calibration_option,
    encoding_option,
    id_col_option,
    model_option,
    rubrics_dir_option,
    time_limit_option,
)


class BarProgress:
    """A progress bar on stderr (count, rate, time left) once a run takes more than a moment."""

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, total: int | None) -> None:
        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked after this
        self._bar = tqdm(
            total=total,
            unit=" answers",
            file=sys.stderr,
            delay=1.0,
            dynamic_ncols=True,
            smoothing=0.1,
            leave=False,
        )

    def update(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@click.command(short_help="Score a class's answers: scores, report, gradebooks.")
@click.argument("rubric")
@click.argument("input_file", metavar="INPUT", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Scores CSV to write; the full records go to the same name with .jsonl.",
)
@click.option("--jsonl", type=click.Path(path_type=Path, dir_okay=False), help="Records file [OUTPUT.jsonl].")
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Bad rows file, written when some rows fail [OUTPUT.errors.csv].",
)
@click.option(
    "--report", type=click.Path(path_type=Path, dir_okay=False), help="Write the class report (HTML)."
)
@click.option(
    "--export",
    "exports",
    multiple=True,
    type=click.Choice(FORMATS),
    help="Gradebook file beside the scores: OUTPUT.canvas.csv, OUTPUT.gradescope.csv (repeatable).",
)
@id_col_option
@answer_col_option
@click.option(
    "--question-col",
    default="question",
    show_default=True,
    help="Column naming each row's rubric id (when RUBRIC is a folder); '' to not read one.",
)
@click.option(
    "--part-cols",
    metavar="TEMPLATE",
    default=None,
    help="Columns of a multi-part question's parts, {part} standing for the part's id, "
    "e.g. 'Q3{part}' [ANSWER-COL_{part}: answer_a, answer_b, ...].",
)
@click.option(
    "-j",
    "--jobs",
    default=1,
    show_default=True,
    type=int,
    help="Processes; 0 means one per CPU. With --dask local: Dask workers.",
)
@click.option(
    "--dask",
    metavar="ADDRESS|local",
    default=None,
    help="Score on a Dask cluster: its scheduler (tcp://HOST:8786), or 'local' for --jobs workers "
    "on this machine. Needs: pip install 'grader[dask]'.",
)
@click.option(
    "--chunk-size",
    default=DEFAULT_CHUNK,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Answers per write to disk and per task sent to a worker.",
)
@click.option("--fresh", is_flag=True, help="Score every row again, ignoring earlier results.")
@click.option("--resume", is_flag=True, help="Continue from earlier results (what happens anyway).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no class summary.")
@calibration_option("one rubric only")
@encoding_option
@time_limit_option
@model_option
@rubrics_dir_option
def batch(  # type: ignore[no-untyped-def]
    rubric,
    input_file,
    output,
    jsonl,
    errors_path,
    report,
    exports,
    id_col,
    answer_col,
    question_col,
    part_cols,
    jobs,
    dask,
    chunk_size,
    fresh,
    resume,
    quiet,
    calibration_path,
    encoding,
    time_limit,
    model,
    rubrics_dir,
):
    """Score every answer in INPUT (CSV, TSV or JSONL) against RUBRIC.

    RUBRIC is a rubric file or id, or a folder of rubrics; with a folder, each
    row's question column names its rubric. Writes OUTPUT (one row per answer)
    and OUTPUT.jsonl (full feedback). Rows that cannot be scored go to
    OUTPUT.errors.csv and the exit code is 1. Interrupted? Run the same
    command again: answers already scored are kept, not scored twice.
    """
    job = BatchJob(
        rubric=rubric,
        input=input_file,
        output=output,
        jsonl=jsonl,
        errors=errors_path,
        report=report,
        exports=tuple(exports),
        columns=Columns(id=id_col, answer=answer_col, question=question_col or None, parts=part_cols),
        jobs=jobs,
        dask=dask,
        chunk_size=chunk_size,
        fresh=fresh,
        resume=resume,
        calibration=calibration_path,
        model=model,
        rubrics_dir=rubrics_dir,
        time_limit=time_limit or None,
        encoding=encoding,
    )
    show_bar = not quiet and sys.stderr.isatty()
    try:
        done = run_job(job, progress=BarProgress() if show_bar else None)
    except BatchInterrupted as stop:
        r = stop.result
        for warning in r.warnings:
            click.echo(f"grader: warning: {warning}", err=True)
        click.echo(
            f"grader: interrupted; {plural(r.answers, 'answer')} scored so far are kept in "
            f"{r.outputs.partial}. Run the same command again to finish.",
            err=True,
        )
        raise SystemExit(EXIT_INTERRUPTED) from None
    if not quiet:
        for line in done.lines():
            click.echo(line)
    for warning in done.result.warnings:
        click.echo(f"grader: warning: {warning}", err=True)
    for note in done.notes:
        click.echo(f"note: {note}", err=True)
    failed = done.failed_line()
    if failed:
        click.echo(failed, err=True)
        raise SystemExit(EXIT_FAILED)
