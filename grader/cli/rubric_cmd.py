"""`grader rubric`: the JSON Schema, and validating rubrics against their own examples."""

from __future__ import annotations

import json

import click

from ..checker import Checker
from ..errors import EXIT_BAD_INPUT, EXIT_FAILED, RubricError
from ..examples import run_examples
from ..rubric import load_rubric, rubric_json_schema
from .common import model_option
from .lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={"suggest": "grader.cli.evaluate:suggest", "draft": "grader.cli.draft_cmd:draft"},
    short_help="Validate rubrics, print their schema, suggest phrases, draft one.",
)
def rubric() -> None:
    """Work with rubric files: validate them, print their JSON Schema, suggest phrases, draft one."""


@rubric.command(short_help="Print the JSON Schema of rubric files.")
def schema() -> None:
    """Print the JSON Schema of rubric files (for editors)."""
    click.echo(json.dumps(rubric_json_schema(), indent=2))


@rubric.command(name="check", short_help="Validate rubrics and run their examples.")
@click.argument("files", nargs=-1, required=True)
@click.option("-v", "--verbose", is_flag=True, help="List every example, not only failures.")
@model_option
def check_rubrics(files, verbose, model):  # type: ignore[no-untyped-def]
    """Validate rubric FILES and run each one's graded examples."""
    bad_files = failed = total = 0
    for f in files:
        try:
            rub = load_rubric(f)
            checker = Checker(rub, model=model)
        except RubricError as exc:
            click.echo(f"FAIL {exc}", err=True)
            bad_files += 1
            continue
        results = run_examples(checker)
        n_bad = sum(not r.ok for r in results)
        failed += n_bad
        total += len(results)
        status = "ok  " if not n_bad else "FAIL"
        click.echo(f"{status} {f}: {rub.id}, {len(results) - n_bad}/{len(results)} examples pass")
        for r in results:
            if r.ok and not verbose:
                continue
            answer = " ".join(r.example.answer.split())
            short = answer if len(answer) <= 90 else answer[:87] + "..."
            mark = "ok" if r.ok else "FAIL"
            click.echo(f'  {mark} examples[{r.index}]: "{short}"')
            for p in r.problems:
                click.echo(f"       - {p}")
    click.echo(f"{len(files) - bad_files} rubric(s) valid, {total - failed}/{total} examples pass")
    if bad_files:
        raise SystemExit(EXIT_BAD_INPUT)
    if failed:
        raise SystemExit(EXIT_FAILED)
