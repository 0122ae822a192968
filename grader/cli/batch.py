"""`grader batch`: score a class's answers; scores, feedback, a class report, gradebook files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..batch import DEFAULT_CHUNK, BatchInterrupted, BatchResult, Columns, Outputs, RubricSet, run_batch
from ..calibration import load_calibration
from ..class_report import ClassSummary, write_report
from ..errors import EXIT_FAILED, EXIT_INTERRUPTED, GraderError
from ..exports import FORMATS, Gradebook, export_path, write_exports
from .common import answer_col_option, calibration_option, id_col_option, model_option, rubrics_dir_option


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


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _failed_summary(result: BatchResult) -> str:
    kinds = ", ".join(f"{c} {k}" for k, c in result.failed.most_common())
    return f"{_plural(result.n_failed, 'row')} failed ({kinds}): see {result.outputs.errors}"


@click.command()
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
@click.option("-j", "--jobs", default=1, show_default=True, type=int, help="Processes; 0 means one per CPU.")
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
    jobs,
    chunk_size,
    fresh,
    resume,
    quiet,
    calibration_path,
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
    if fresh and resume:
        raise GraderError("--fresh and --resume contradict each other; give one")
    if jobs == 0:
        import os

        jobs = os.cpu_count() or 1
    rubrics = RubricSet.from_arg(rubric, rubrics_dir)
    calibration = None
    if calibration_path:
        if not rubrics.single:
            raise GraderError(
                "--calibration belongs to one rubric; give that rubric's file or id, not a folder"
            )
        calibration = load_calibration(calibration_path, next(iter(rubrics.rubrics.values())))
    outputs = Outputs.beside(output, jsonl, errors_path)
    for kind in exports:
        if export_path(outputs.csv, kind) == input_file:
            raise GraderError(
                f"{input_file}: would be overwritten by the {kind} export; give -o another name"
            )
    if report is not None and report.suffix.lower() not in {".html", ".htm"}:
        raise GraderError(f"{report}: the report is an HTML file; give a name ending in .html")
    columns = Columns(id=id_col, answer=answer_col, question=question_col or None)
    summary = ClassSummary()
    book = Gradebook()
    show_bar = not quiet and sys.stderr.isatty()
    try:
        result = run_batch(
            rubrics,
            input_file,
            outputs,
            columns,
            jobs=jobs,
            chunk_size=chunk_size,
            fresh=fresh,
            model=model,
            calibration=calibration,
            progress=BarProgress() if show_bar else None,
            count_rows=show_bar,
            sinks=[summary, book] if exports else [summary],
        )
    except BatchInterrupted as stop:
        r = stop.result
        click.echo(
            f"grader: interrupted; {_plural(r.answers, 'answer')} scored so far are kept in "
            f"{r.outputs.partial}. Run the same command again to finish.",
            err=True,
        )
        raise SystemExit(EXIT_INTERRUPTED) from None

    written = [str(outputs.csv), str(outputs.jsonl)]
    if report is not None:
        write_report(summary, outputs.jsonl, report, source=input_file.name)
        written.append(str(report))
    notes = write_exports(list(exports), book, input_file, id_col, outputs.csv)
    written += [str(export_path(outputs.csv, k)) for k in dict.fromkeys(exports)]

    rate = result.scored / result.seconds if result.seconds else 0.0
    line = f"Scored {_plural(result.scored, 'answer')} in {result.seconds:.1f} s ({rate:.1f} answers/s)"
    if result.reused and not result.scored:
        line = f"Nothing new to score: all {_plural(result.reused, 'answer')} were scored by an earlier run"
    elif result.reused:
        line += f"; {_plural(result.reused, 'answer')} already scored by an earlier run"
    if not quiet:
        click.echo(line + ".")
        text = summary.text()
        if text:
            click.echo(text)
        click.echo("Wrote " + ", ".join(written) + ".")
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if result.n_failed:
        click.echo(_failed_summary(result), err=True)
        raise SystemExit(EXIT_FAILED)
