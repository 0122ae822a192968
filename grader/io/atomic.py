"""The one way outputs are written: whole or not at all.

Each output is written to `<name>.tmp` in the same folder and renamed over the
final name (os.replace is atomic on one file system), so a reader, a
spreadsheet or an interrupted run never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import GraderError


def tmp_path(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", **open_kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temp file beside `path`; on success it replaces `path`, on error it is removed."""
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise GraderError(f"{path}: the folder {folder} does not exist; create it or choose another path")
    tmp = tmp_path(path)
    try:
        fh = open(tmp, mode, **open_kwargs)  # noqa: SIM115
    except OSError as exc:
        raise GraderError(f"{path}: cannot write here ({exc.strerror}); choose another output path") from None
    try:
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_text(path: str | Path, text: str) -> None:
    """A whole text file (UTF-8), or nothing."""
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(text)
