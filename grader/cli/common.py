"""Pieces every subcommand shares: options, reading answer files, colour."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..errors import AnswerError

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


def decode_answer(raw: bytes, name: str) -> str:
    """Answer bytes as text; a clear error for binary or non-UTF-8 input."""
    if b"\x00" in raw:
        raise AnswerError(f"{name}: looks like a binary file, not text; give a plain-text answer")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnswerError(
            f"{name}: is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        ) from None


def read_answer(arg: str) -> tuple[str, str]:
    """(display name, text) of an answer file, or of stdin for '-'."""
    if arg == "-":
        return "<stdin>", decode_answer(sys.stdin.buffer.read(), "<stdin>")
    path = Path(arg)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AnswerError(f"{arg}: no such answer file; check the path") from None
    except IsADirectoryError:
        raise AnswerError(f"{arg}: is a folder; give an answer text file") from None
    except OSError as exc:
        raise AnswerError(f"{arg}: cannot read it ({exc.strerror})") from None
    return arg, decode_answer(raw, arg)
