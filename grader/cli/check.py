"""`grader check`: one or more answers against a rubric."""

from __future__ import annotations

import click

from ..catalog import resolve
from ..checker import Checker, prepare
from ..render import report
from .common import calibration_option, model_option, read_answer, rubrics_dir_option, use_color


@click.command()
@click.argument("rubric")
@click.argument("answers", nargs=-1)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: a readable report; json: one Feedback object per line.",
)
@click.option("--color/--no-color", default=None, help="Colour the report (default: when a terminal).")
@calibration_option()
@model_option
@rubrics_dir_option
def check(rubric, answers, fmt, color, calibration_path, model, rubrics_dir):  # type: ignore[no-untyped-def]
    """Check ANSWERS (text files, or - for stdin; default stdin) against RUBRIC.

    RUBRIC is a rubric .yaml file or a rubric id from the rubrics folder.
    """
    rub = resolve(rubric, rubrics_dir)
    calibration = None
    if calibration_path:
        from ..calibration import load_calibration  # scikit-learn loads only when asked for

        calibration = load_calibration(calibration_path, rub)
    # read and size-check every answer before the slow part, so a bad file fails fast
    named = [read_answer(a) for a in (answers or ("-",))]
    for name, text in named:
        try:
            prepare(text)
        except Exception as exc:
            raise type(exc)(f"{name}: {exc}") from None
    checker = Checker(rub, model=model, calibration=calibration)
    colour = use_color() if color is None else color
    for i, ((name, _), fb) in enumerate(zip(named, checker.check_many(t for _, t in named), strict=True)):
        if fmt == "json":
            click.echo(fb.to_json())
        else:
            if i:
                click.echo("\n" + "=" * 40 + "\n")
            click.echo(
                report(
                    fb,
                    rub,
                    source=name if len(named) > 1 or name != "<stdin>" else None,
                    color=colour,
                )
            )
