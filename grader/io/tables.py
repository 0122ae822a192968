"""Reading answer tables: CSV, TSV, JSONL, and Excel-exported CSV (BOM, ';', CRLF).

Rows stream one at a time with their line number, so a 100,000-row file is
never held in memory and every problem can name the line it is on.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import GraderError

csv.field_size_limit(10_000_000)


class TableError(GraderError):
    """A table that cannot be read at all (missing file, missing column, bad format)."""


@dataclass(frozen=True)
class Row:
    line: int  # 1-based line of the row's start in the file (the header is line 1)
    values: dict[str, str]
    problem: str | None = None  # set when the row itself is unreadable

    def get(self, column: str) -> str:
        return self.values.get(column, "")


def table_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    if suffix in {".tsv", ".tab"}:
        return "tsv"
    if suffix in {".xlsx", ".xls", ".ods"}:
        raise TableError(
            f"{path}: spreadsheet files are not read directly; "
            "save it as CSV (File > Save As > CSV UTF-8) and give that file"
        )
    return "csv"


def read_header(path: Path) -> list[str]:
    """The column names of a table (for JSONL, the keys of its first record)."""
    for row in read_rows(path, required=()):
        return list(row.values)
    return []


def read_rows(path: str | Path, required: tuple[str, ...] = ()) -> Iterator[Row]:
    """Stream the rows of a table; raise TableError if a required column is missing."""
    path = Path(path)
    if not path.exists():
        raise TableError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise TableError(f"{path}: is a folder; give a CSV, TSV or JSONL file")
    fmt = table_format(path)
    if fmt == "jsonl":
        yield from _jsonl_rows(path, required)
    else:
        yield from _csv_rows(path, fmt, required)


def _open_text(path: Path) -> io.TextIOWrapper:
    # surrogateescape keeps undecodable bytes so the row, not the file, is refused
    return open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")  # noqa: SIM115


def _undecodable(values: dict[str, str]) -> str | None:
    for k, v in values.items():
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            return f"column '{k}' is not UTF-8 text; save the file as UTF-8"
    return None


def _csv_rows(path: Path, fmt: str, required: tuple[str, ...]) -> Iterator[Row]:
    with _open_text(path) as fh:
        sample = fh.read(64 * 1024)
        fh.seek(0)
        if fmt == "tsv":
            delimiter = "\t"
        else:
            first_line = sample.split("\n", 1)[0]
            counts = {d: first_line.count(d) for d in (",", ";", "\t")}
            delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise TableError(f"{path}: is empty; it needs a header row and one row per answer") from None
        header = [h.strip() for h in header]
        _check_columns(path, header, required)
        line = reader.line_num
        for cells in reader:
            start = line + 1
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                extra = cells[len(header) :]
                if any(c.strip() for c in extra):
                    yield Row(
                        start,
                        dict(zip(header, cells, strict=False)),
                        f"has {len(cells)} cells but the header has {len(header)}; "
                        "quote cells that contain the separator",
                    )
                    continue
            values = dict(zip(header, cells, strict=False))
            yield Row(start, values, _undecodable(values))


def _jsonl_rows(path: Path, required: tuple[str, ...]) -> Iterator[Row]:
    checked = False
    with _open_text(path) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Row(n, {}, f"is not valid JSON ({exc.msg}); one JSON object per line")
                continue
            if not isinstance(record, dict):
                yield Row(n, {}, "is not a JSON object; one object per line")
                continue
            values = {str(k): "" if v is None else str(v) for k, v in record.items()}
            if not checked:
                _check_columns(path, list(values), required)
                checked = True
            yield Row(n, values, _undecodable(values))


def _check_columns(path: Path, header: list[str], required: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        found = ", ".join(repr(h) for h in header) or "none"
        raise TableError(
            f"{path}: no column {', '.join(repr(m) for m in missing)} "
            f"(columns found: {found}); name the column with the matching --*-col option"
        )
