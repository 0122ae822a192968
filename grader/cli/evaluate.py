"""`grader evaluate`, `grader calibrate` and `grader rubric suggest`: agreement with a teacher."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import EXIT_FAILED, GraderError
from ..evaluate import ScoredColumns, ScoredSet, evaluate_file, load_scored
from ..io.atomic import write_text
from ..reports.evaluation import html_report, text_report
from .common import (
    answer_col_option,
    calibration_option,
    encoding_option,
    id_col_option,
    model_option,
    rubrics_dir_option,
)


def scored_file_options(f: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(
        [
            id_col_option,
            answer_col_option,
            click.option(
                "--score-col", default="score", show_default=True, help="Column with the teacher's score."
            ),
            click.option(
                "--second-col",
                default=None,
                metavar="COLUMN",
                help="Column with a second teacher's score, to compare humans with each other.",
            ),
            encoding_option,
        ]
    ):
        f = opt(f)
    return f


def _check_folder(path: Path | None) -> None:
    """Refuse an output in a folder that does not exist before the slow part, not after it."""
    if path is not None and not path.parent.is_dir():
        raise GraderError(
            f"{path}: the folder {path.parent} does not exist; create it or choose another path"
        )


def _warn_skipped(scored: ScoredSet) -> None:
    for s in scored.skipped[:20]:
        click.echo(f"grader: {scored.source}:{s.line}: skipped ({s.id}): {s.reason}", err=True)
    if len(scored.skipped) > 20:
        click.echo(f"grader: ... and {len(scored.skipped) - 20} more skipped row(s)", err=True)
    if scored.skipped:
        raise SystemExit(EXIT_FAILED)


@click.command(short_help="Measure agreement with a teacher's scores.")
@click.argument("rubric")
@click.argument("scored_file", metavar="SCORED_FILE")
@scored_file_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: a readable report; json: one object with every figure.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write an HTML report.",
)
@calibration_option()
@click.option(
    "--top", default=10, show_default=True, type=click.IntRange(0), help="How many disagreements to show."
)
@model_option
@rubrics_dir_option
def evaluate(
    rubric,
    scored_file,
    id_col,
    answer_col,
    score_col,
    second_col,
    encoding,
    fmt,
    report_path,
    calibration_path,
    top,
    model,
    rubrics_dir,
):  # type: ignore[no-untyped-def]
    """How far the checker agrees with a teacher's scores in SCORED_FILE.

    SCORED_FILE is a CSV, TSV or JSONL with an answer and the teacher's score per
    row. Columns named after rubric points (e.g. 'atp' or 'atp -> active_transport')
    holding 1/0 are read as the teacher's per-point labels. Exit code 1 when some
    rows could not be used (they are listed).
    """
    _check_folder(report_path)
    cols = ScoredColumns(id_col, answer_col, score_col, second_col)
    rub, scored = load_scored(rubric, scored_file, rubrics_dir, cols, encoding)
    calibration = None
    if calibration_path:
        from ..calibration import load_calibration

        calibration = load_calibration(calibration_path, rub)
    data = evaluate_file(rub, scored, model=model, calibration=calibration, top=top)
    if report_path is not None:
        write_text(report_path, html_report(data))
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        click.echo(text_report(data))
        if report_path is not None:
            click.echo(f"\nHTML report written to {report_path}")
    _warn_skipped(scored)


@click.command(short_help="Learn how a teacher grades, from scored answers.")
@click.argument("rubric")
@click.argument("scored_file", metavar="SCORED_FILE")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the calibration (JSON).",
)
@scored_file_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: every candidate's figures and the choice; json: the same as one object.",
)
@model_option
@rubrics_dir_option
def calibrate(
    rubric, scored_file, output, id_col, answer_col, score_col, second_col, encoding, fmt, model, rubrics_dir
):  # type: ignore[no-untyped-def]
    """Learn from the teacher's scores in SCORED_FILE how this teacher grades.

    Writes a calibration file for `grader check/batch/evaluate --calibration`. It
    reports cross-validated agreement before and after calibration, so you can
    see whether it helps. It needs 20 or more scored answers and at least one
    at every score level of the rubric.
    """
    _check_folder(output)
    from ..calibration.fitting import calibrate_file, summary_json, summary_text

    cols = ScoredColumns(id_col, answer_col, score_col, second_col)
    rub, scored = load_scored(rubric, scored_file, rubrics_dir, cols, encoding)
    result = calibrate_file(rub, scored, output, model=model)
    if fmt == "json":
        click.echo(json.dumps(summary_json(result, output)))
    else:
        click.echo(summary_text(result, output))
    _warn_skipped(scored)


@click.command(name="suggest", short_help="Propose phrases the rubric misses.")
@click.argument("rubric")
@click.argument("scored_file", metavar="SCORED_FILE")
@scored_file_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "json"]),
    default="yaml",
    show_default=True,
    help="yaml: phrases to paste under the rubric's concepts, with comments; json: the same data.",
)
@click.option(
    "--min-count",
    default=2,
    show_default=True,
    type=click.IntRange(1),
    help="Answers scored below you a phrasing must recur in to be tried (1 for a small file).",
)
@click.option(
    "--per-concept",
    default=5,
    show_default=True,
    type=click.IntRange(1),
    help="Phrases proposed per concept.",
)
@model_option
@rubrics_dir_option
def suggest(
    rubric,
    scored_file,
    id_col,
    answer_col,
    score_col,
    second_col,
    encoding,
    fmt,
    min_count,
    per_concept,
    model,
    rubrics_dir,
):  # type: ignore[no-untyped-def]
    """Propose phrases the rubric is missing, mined from the scored answers in SCORED_FILE.

    Each candidate phrase is tried by scoring the answers again with it added, and
    is proposed, under the one concept where it helps most, only if it brings the
    scores closer to yours (QWK, then exact agreement). Prints YAML to paste under
    the rubric's concepts, with the figures, the lines between your levels it moves
    answers across and example sentences; then the rules that may be too loose,
    with the answers they over-credited and what dropping each phrase would do.
    It proposes; you decide.
    """
    from ..suggest import suggest_from_file, to_yaml

    cols = ScoredColumns(id_col, answer_col, score_col, second_col)
    rub, scored = load_scored(rubric, scored_file, rubrics_dir, cols, encoding)
    found = suggest_from_file(rub, scored, model=model, min_count=min_count, per_concept=per_concept)
    if fmt == "json":
        click.echo(json.dumps(found.to_dict(), ensure_ascii=False))
    else:
        click.echo(to_yaml(found), nl=False)
    _warn_skipped(scored)
