"""Reading answer tables: CSV, TSV, JSONL, and what spreadsheets save (BOM, ';', CRLF, UTF-16, cp1252).

Rows stream one at a time with their line number, so a 100,000-row file is
never held in memory and every problem can name the line it is on. A record
that spans several lines is checked: a quote opened and never closed swallows
the rows after it into one answer, and those rows are reported, never lost.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import GraderError
from .encoding import Decoding, sniff_file

csv.field_size_limit(10_000_000)


class TableError(GraderError):
    """A table that cannot be read at all (missing file, missing column, bad format)."""


# called with the table's path and its column names; raises TableError naming what is wrong
HeaderCheck = Callable[[Path, list[str]], None]


@dataclass(frozen=True)
class Row:
    line: int  # 1-based line of the row's start in the file (the header is line 1)
    values: dict[str, str]
    problem: str | None = None  # set when the row itself is unreadable
    problem_kind: str = "unreadable row"  # short, for a summary

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


def read_header(path: str | Path, encoding: str | None = None) -> list[str]:
    """The column names of a table (for JSONL, the keys of its first record)."""
    for row in read_rows(path, required=(), encoding=encoding):
        return list(row.values)
    return []


def read_rows(
    path: str | Path,
    required: tuple[str, ...] = (),
    encoding: str | None = None,
    warn: list[str] | None = None,
    check_header: HeaderCheck | None = None,
) -> Iterator[Row]:
    """Stream the rows of a table; raise TableError if a required column is missing.

    `encoding` overrides what the file's bytes suggest; `warn` collects one-line
    warnings about the file as a whole (an unclosed quote), each naming its line.
    `check_header(path, columns)` is called once the columns are known (for JSONL, the
    keys of the first record), for rules `required` cannot say; it raises TableError.
    """
    path = Path(path)
    if not path.exists():
        raise TableError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise TableError(f"{path}: is a folder; give a CSV, TSV or JSONL file")
    fmt = table_format(path)
    decoding = sniff_file(path, encoding)
    if fmt == "jsonl":
        yield from _jsonl_rows(path, decoding, required, check_header)
    else:
        yield from _csv_rows(path, fmt, decoding, required, warn if warn is not None else [], check_header)


def _open_text(path: Path, decoding: Decoding) -> io.TextIOWrapper:
    # surrogateescape keeps undecodable bytes so the row, not the file, is refused
    return open(path, encoding=decoding.encoding, errors="surrogateescape", newline="")  # noqa: SIM115


def _undecodable(values: dict[str, str], decoding: Decoding) -> str | None:
    name = "UTF-8" if decoding.encoding.startswith("utf-8") else decoding.encoding
    for k, v in values.items():
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            fix = "save the file as UTF-8" if name == "UTF-8" else "check --encoding"
            return f"column '{k}' is not {name} text; {fix}"
    return None


class _Lines:
    """The file's physical lines as csv.reader takes them, kept until the record is done."""

    def __init__(self, fh: io.TextIOWrapper):
        self._fh = fh
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._fh)
        self.taken.append(line)
        return line


def _shape(cell: str) -> str:
    """'s12' -> 'a9', 'ann@x.org' -> 'a@a.a': ids of one file share a shape."""
    return re.sub(r"(\w)\1*", r"\1", re.sub(r"\d", "9", re.sub(r"[^\W\d_]", "a", cell.strip())))


def _swallowed(lines: list[str], delimiter: str, width: int, first: str) -> list[tuple[int, list[str]]]:
    """Lines inside a multi-line record that read as rows of their own: (offset, cells)."""
    found = []
    want = _shape(first)
    for k, text in enumerate(lines[1:], 1):
        cells = next(csv.reader([text.rstrip("\r\n")], delimiter=delimiter), [])
        head = cells[0].strip() if cells else ""
        if len(cells) == width and head and len(head) <= 64 and _shape(head) == want:
            found.append((k, cells))
    return found


def _csv_rows(
    path: Path,
    fmt: str,
    decoding: Decoding,
    required: tuple[str, ...],
    warn: list[str],
    check_header: HeaderCheck | None,
) -> Iterator[Row]:
    with _open_text(path, decoding) as fh:
        sample = fh.read(64 * 1024)
        fh.seek(0)
        if fmt == "tsv":
            delimiter = "\t"
        else:
            first_line = sample.split("\n", 1)[0]
            counts = {d: first_line.count(d) for d in (",", ";", "\t")}
            delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
        lines = _Lines(fh)
        reader = csv.reader(lines, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise TableError(f"{path}: is empty; it needs a header row and one row per answer") from None
        header = [h.strip() for h in header]
        _check_columns(path, header, required, check_header)
        lines.taken = []
        line = reader.line_num
        broken_at = 0  # the line of a record whose quote was not closed, until the quotes pair up again
        for cells in reader:
            start = line + 1
            line = reader.line_num
            taken, lines.taken = lines.taken, []
            if not any(c.strip() for c in cells):
                continue
            values = dict(zip(header, cells, strict=False))
            if broken_at:
                odd = "".join(taken).count('"') % 2 == 1
                if odd:  # the quote that should have closed the broken one opened this record
                    yield Row(
                        start,
                        values,
                        f"this row is the end of the answer on line {broken_at}, whose quote is not "
                        "closed; close that quote and run again",
                        "unclosed quote",
                    )
                broken_at = 0
                if odd:
                    continue
            if len(taken) > 1:
                bad = _unclosed_quote(path, taken, start, header, delimiter, cells, warn)
                if bad:
                    broken_at = start
                    yield from bad
                    continue
            if len(cells) > len(header):
                extra = cells[len(header) :]
                if any(c.strip() for c in extra):
                    yield Row(
                        start,
                        values,
                        f"has {len(cells)} cells but the header has {len(header)}; "
                        "quote cells that contain the separator",
                    )
                    continue
            yield Row(start, values, _undecodable(values, decoding))


def _unclosed_quote(
    path: Path,
    taken: list[str],
    start: int,
    header: list[str],
    delimiter: str,
    cells: list[str],
    warn: list[str],
) -> list[Row]:
    """The rows to report when a multi-line record holds a quote that is never closed, or rows."""
    raw = "".join(taken)
    inside = _swallowed(taken, delimiter, len(header), cells[0] if cells else "")
    if raw.count('"') % 2 == 0 and not inside:
        return []  # an answer that holds line breaks, quoted as it should be
    end = start + len(taken) - 1
    ids = [c[0].strip() for _, c in inside]
    shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    what = f"{len(ids)} more rows ({shown})" if len(ids) != 1 else f"1 more row ({shown})"
    if not inside:
        what = "no other row"
    reason = (
        f"a quote in this row is not closed before line {end}, so lines {start}-{end} were read as "
        f'one answer holding {what}; close the quote (write a quote inside an answer as "") '
        "and run again"
    )
    warn.append(
        f"{path}:{start}: a quote opens in this row and is not closed before line {end}; "
        f"{what} inside it were not scored (see the errors file)"
        if inside
        else f"{path}:{start}: a quote opens in this row and is not closed before line {end}"
    )
    rows = [Row(start, dict(zip(header, cells, strict=False)), reason, "unclosed quote")]
    for k, row_cells in inside:
        rows.append(
            Row(
                start + k,
                dict(zip(header, row_cells, strict=False)),
                f"this row is inside the answer of the row on line {start}, whose quote is not closed; "
                "close that quote and run again",
                "unclosed quote",
            )
        )
    return rows


def _jsonl_rows(
    path: Path, decoding: Decoding, required: tuple[str, ...], check_header: HeaderCheck | None
) -> Iterator[Row]:
    checked = False
    with _open_text(path, decoding) as fh:
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
                _check_columns(path, list(values), required, check_header)
                checked = True
            yield Row(n, values, _undecodable(values, decoding))


def _check_columns(
    path: Path, header: list[str], required: tuple[str, ...], check_header: HeaderCheck | None = None
) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        found = ", ".join(repr(h) for h in header) or "none"
        raise TableError(
            f"{path}: no column {', '.join(repr(m) for m in missing)} "
            f"(columns found: {found}); name the column with the matching --*-col option"
        )
    if check_header is not None:
        check_header(path, header)
