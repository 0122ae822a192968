"""Spreadsheet safety for CSV files written from untrusted text.

A cell that starts with '=', '+', '-', '@', a tab or a carriage return (or
their full-width forms) is read as a formula by Excel, LibreOffice and
Google Sheets: "=HYPERLINK(...)" in a student's answer or id would run when
the teacher opens the scores. Such cells get a leading apostrophe, which the
spreadsheet shows as text. Plain numbers ("-3", "+1.5") are left alone: they
are data, not formulas.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralize(value: Any) -> str:
    """The cell as text, made inert if a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    # undecodable bytes kept by the table reader become U+FFFD, never an encoding error
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    stripped = text.lstrip(" ")
    if stripped.startswith(TRIGGERS) and not _NUMBER.fullmatch(stripped):
        return "'" + text
    return text


def safe_row(cells: Iterable[Any]) -> list[str]:
    return [neutralize(c) for c in cells]


class SafeWriter:
    """A csv.writer whose every cell goes through neutralize()."""

    def __init__(self, fh: IO[str], **kwargs: Any):
        self._writer = csv.writer(fh, lineterminator="\r\n", **kwargs)

    def writerow(self, cells: Iterable[Any]) -> None:
        self._writer.writerow(safe_row(cells))
