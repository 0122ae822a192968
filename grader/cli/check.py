"""`grader check`: one or more answers against a rubric."""

from __future__ import annotations

import click

from ..checking import check_sources
from ..reports.terminal import feedback_text
from .common import (
    calibration_option,
    encoding_option,
    model_option,
    read_answer,
    rubrics_dir_option,
    time_limit_option,
    use_color,
)


@click.command(short_help="Check answers against a rubric and explain them.")
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
@encoding_option
@time_limit_option
@model_option
@rubrics_dir_option
def check(rubric, answers, fmt, color, calibration_path, encoding, time_limit, model, rubrics_dir):  # type: ignore[no-untyped-def]
    """Check answers against a rubric and explain what they show.

    ANSWERS are text files, or - for stdin (the default). RUBRIC is a rubric
    .yaml file or a rubric id (whole, or its last part) from the rubrics folder.
    """
    sources = answers or ("-",)
    rub, results = check_sources(
        rubric,
        sources,
        lambda src: read_answer(src, encoding),
        rubrics_dir=rubrics_dir,
        model=model,
        calibration_path=calibration_path,
        time_limit=time_limit,
    )
    colour = use_color() if color is None else color
    for i, (name, fb) in enumerate(results):
        if fmt == "json":
            click.echo(fb.to_json())
            continue
        if i:
            click.echo("\n" + "=" * 40 + "\n")
        source = name if len(sources) > 1 or name != "<stdin>" else None
        click.echo(feedback_text(fb, rub, source=source, color=colour))
