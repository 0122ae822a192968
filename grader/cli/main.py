"""Entry point: the `grader` command group and its error handling."""

from __future__ import annotations

import sys

import click

from .. import __version__
from ..errors import EXIT_INTERRUPTED, GraderError
from .lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={
        "check": "grader.cli.check:check",
        "batch": "grader.cli.batch:batch",
        "rubric": "grader.cli.rubric_cmd:rubric",
        "serve": "grader.cli.serve:serve",
        "evaluate": "grader.cli.evaluate:evaluate",
        "calibrate": "grader.cli.evaluate:calibrate",
    },
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="grader")
def cli() -> None:
    """Check students' written science answers against a teacher's rubric, offline.

    Exit codes: 0 done; 1 checked, but something failed (rubric examples,
    some batch rows); 2 bad input (file, rubric or option); 130 interrupted.
    """


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="grader", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("grader: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("grader: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except GraderError as exc:
        click.echo(f"grader: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    main()
