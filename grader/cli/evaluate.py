"""`grader evaluate`, `grader calibrate` and `grader rubric suggest`: agreement with a teacher."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..calibration import calibrate as fit_calibration
from ..calibration import load_calibration, write_atomic
from ..catalog import resolve
from ..checker import Checker
from ..errors import EXIT_FAILED, GraderError
from ..evaluate import Evaluation, ScoredSet, check_scored, read_scored
from ..evaluate_report import dec, html_report, pct, text_report
from ..suggest import suggest as mine_suggestions
from ..suggest import to_yaml
from .common import answer_col_option, calibration_option, id_col_option, model_option, rubrics_dir_option


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
        ]
    ):
        f = opt(f)
    return f


def _load(
    rubric: str, scored_file: str, rubrics_dir: Path | None, cols: dict[str, Any]
) -> tuple[Any, ScoredSet]:
    rub = resolve(rubric, rubrics_dir)
    scored = read_scored(scored_file, rub, **cols)
    if not scored.answers:
        reasons = "; ".join(f"line {s.line}: {s.reason}" for s in scored.skipped[:3])
        raise GraderError(
            f"{scored_file}: no usable scored answers"
            + (f" ({reasons})" if reasons else "")
            + "; each row needs an answer and the teacher's score"
        )
    return rub, scored


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


@click.command()
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
    cols = dict(id_col=id_col, answer_col=answer_col, score_col=score_col, second_col=second_col)
    rub, scored = _load(rubric, scored_file, rubrics_dir, cols)
    calibration = load_calibration(calibration_path, rub) if calibration_path else None
    checker = Checker(rub, model=model, calibration=calibration)
    feedbacks = check_scored(checker, scored.answers)
    data = Evaluation(rub, scored, feedbacks, top=top).to_dict()
    if report_path is not None:
        write_atomic(report_path, html_report(data))
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        click.echo(text_report(data))
        if report_path is not None:
            click.echo(f"\nHTML report written to {report_path}")
    _warn_skipped(scored)
    if scored.skipped:
        raise SystemExit(EXIT_FAILED)


@click.command()
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
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@model_option
@rubrics_dir_option
def calibrate(
    rubric, scored_file, output, id_col, answer_col, score_col, second_col, fmt, model, rubrics_dir
):  # type: ignore[no-untyped-def]
    """Learn from the teacher's scores in SCORED_FILE how this teacher grades.

    Writes a calibration file for `grader check/batch/evaluate --calibration`. It
    reports cross-validated agreement before and after calibration, so you can
    see whether it helps. It needs 20 or more scored answers and at least one
    at every score level of the rubric.
    """
    _check_folder(output)
    cols = dict(id_col=id_col, answer_col=answer_col, score_col=score_col, second_col=second_col)
    rub, scored = _load(rubric, scored_file, rubrics_dir, cols)
    checker = Checker(rub, model=model)
    feedbacks = check_scored(checker, scored.answers)
    result = fit_calibration(rub, scored, feedbacks)
    result.calibration.save(output)
    b, a = result.before, result.after
    sel = result.selection
    if fmt == "json":
        cv = result.calibration.cv.model_dump()
        click.echo(
            json.dumps(
                {
                    "rubric": rub.id,
                    "n": b.n,
                    "output": str(output),
                    "helped": result.helped,
                    **cv,
                    "model": sel.chosen,
                    "kind": result.calibration.kind,
                    "reason": sel.reason,
                    "repeats": sel.repeats,
                    "candidates": [c.model_dump() for c in sel.candidates],
                    "nested_choices": sel.nested_choices,
                }
            )
        )
    else:
        click.echo(f"Calibration for {rub.id} from {b.n} scored answers, written to {output}")
        click.echo(
            f"Candidates, cross-validated ({sel.folds} folds, {sel.repeats} shuffles): "
            "each answer scored by a model fitted without it."
        )
        click.echo(f"{'':28}{'QWK':>6}{'exact':>8}{'adjacent':>10}")
        for c in sel.candidates:
            mark = " <- chosen" if c.name == sel.chosen else ""
            click.echo(f"{c.name:28}{dec(c.qwk):>6}{pct(c.exact):>8}{pct(c.adjacent):>10}{mark}")
        click.echo(f"Chosen: {sel.chosen}, {sel.label}.")
        click.echo(f"Why: {sel.reason}.")
        click.echo(
            "Before and after"
            + (
                ", the choice itself cross-validated (chosen without the answers it scores):"
                if result.helped
                else " (the calibration keeps the rubric's scores):"
            )
        )
        click.echo(f"{'':28}{'QWK':>6}{'exact':>8}{'adjacent':>10}")
        click.echo(f"{'rubric scores (before)':28}{dec(b.qwk):>6}{pct(b.exact):>8}{pct(b.adjacent):>10}")
        click.echo(f"{'calibrated (after)':28}{dec(a.qwk):>6}{pct(a.exact):>8}{pct(a.adjacent):>10}")
        if result.helped:
            click.echo(f"Calibration brings the scores closer to yours. Use it with --calibration {output}")
        else:
            click.echo(
                "The rubric's own scores are as close to yours as any calibration on these answers, so "
                "the file keeps them (applying it changes no score). Score more answers, or improve the "
                "rubric (grader rubric suggest)."
            )
    _warn_skipped(scored)
    if scored.skipped:
        raise SystemExit(EXIT_FAILED)


@click.command(name="suggest")
@click.argument("rubric")
@click.argument("scored_file", metavar="SCORED_FILE")
@scored_file_options
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.option(
    "--min-count",
    default=2,
    show_default=True,
    type=click.IntRange(1),
    help="Answers a phrasing must recur in to be proposed.",
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
    fmt,
    min_count,
    per_concept,
    model,
    rubrics_dir,
):  # type: ignore[no-untyped-def]
    """Propose phrases the rubric is missing, mined from the scored answers in SCORED_FILE.

    Prints YAML to paste under the rubric's concepts, with example sentences,
    and the phrases behind credit in answers you scored low. It proposes; you decide.
    """
    cols = dict(id_col=id_col, answer_col=answer_col, score_col=score_col, second_col=second_col)
    rub, scored = _load(rubric, scored_file, rubrics_dir, cols)
    checker = Checker(rub, model=model)
    feedbacks = check_scored(checker, scored.answers)
    found = mine_suggestions(
        rub, scored.answers, feedbacks, checker.nlp, min_count=min_count, per_concept=per_concept
    )
    if fmt == "json":
        click.echo(json.dumps(found.to_dict(), ensure_ascii=False))
    else:
        click.echo(to_yaml(found), nl=False)
    _warn_skipped(scored)
    if scored.skipped:
        raise SystemExit(EXIT_FAILED)
