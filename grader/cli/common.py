"""Pieces every subcommand shares: options, reading answer files, colour."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..budget import DEFAULT_TIME_LIMIT
from ..errors import AnswerError
from ..io.encoding import EncodingError, decode_bytes

model_option = click.option(
    "--model",
    metavar="NAME|PATH",
    default=None,
    help="Another installed spaCy pipeline (name or folder). Default: en_core_web_sm.",
)
id_col_option = click.option(
    "--id-col", default="id", show_default=True, help="Column with each answer's id."
)
answer_col_option = click.option(
    "--answer-col", default="answer", show_default=True, help="Column with the answer text."
)
encoding_option = click.option(
    "--encoding",
    metavar="NAME",
    default=None,
    help="The input's text encoding when it is not UTF-8 or UTF-16, e.g. cp1252 (Excel on Windows).",
)
time_limit_option = click.option(
    "--time-limit",
    metavar="SECONDS",
    type=click.FloatRange(0),
    default=DEFAULT_TIME_LIMIT,
    show_default=True,
    help="Longest time one answer's check may take before it is stopped; 0: no limit.",
)


def calibration_option(note: str = ""):  # type: ignore[no-untyped-def]
    """--calibration FILE, the same for check, batch and evaluate."""
    return click.option(
        "--calibration",
        "calibration_path",
        type=click.Path(dir_okay=False),
        help="Score the way a teacher does, with a file from grader calibrate"
        + (f" ({note})." if note else "."),
    )


rubrics_dir_option = click.option(
    "--rubrics",
    "rubrics_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to look up rubric ids in (default: ./rubrics).",
)


def use_color(stream=None) -> bool:  # type: ignore[no-untyped-def]
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb"


def decode_answer(raw: bytes, name: str, encoding: str | None = None) -> str:
    """Answer bytes as text (UTF-8, UTF-16 from Notepad, or `encoding`); a clear error otherwise."""
    try:
        return decode_bytes(raw, name, encoding)
    except EncodingError as exc:
        raise AnswerError(str(exc)) from None


def read_answer(arg: str, encoding: str | None = None) -> tuple[str, str]:
    """(display name, text) of an answer file, or of stdin for '-'."""
    if arg == "-":
        return "<stdin>", decode_answer(sys.stdin.buffer.read(), "<stdin>", encoding)
    path = Path(arg)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AnswerError(f"{arg}: no such answer file; check the path") from None
    except IsADirectoryError:
        raise AnswerError(f"{arg}: is a folder; give an answer text file") from None
    except OSError as exc:
        raise AnswerError(f"{arg}: cannot read it ({exc.strerror})") from None
    return arg, decode_answer(raw, arg, encoding)
