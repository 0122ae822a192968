"""Which text encoding a file is in: UTF-8 (with or without a BOM), UTF-16 (Notepad's "Unicode"),
or a legacy 8-bit one (Excel's "CSV" on Windows is Windows-1252), which is named with the fix."""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

from ..errors import GraderError

SAMPLE = 4096
_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# bytes Windows-1252 leaves undefined: a file holding them is not Windows-1252
_NOT_CP1252 = frozenset(b"\x81\x8d\x8f\x90\x9d")


class EncodingError(GraderError):
    """Bytes that are not text in the encoding given or guessed."""


@dataclass(frozen=True)
class Decoding:
    encoding: str  # a codec name for open()
    mixed: bool = False  # UTF-8 with a few bytes that are not: those rows are refused one by one


def check_encoding(name: str) -> str:
    """The codec for an --encoding value; a clear error for an unknown one."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise EncodingError(
            f"--encoding {name}: not an encoding Python knows; try utf-8, cp1252 (Excel on Windows), "
            "utf-16 or latin-1"
        ) from None


def _plausible(text: str) -> bool:
    """Text a person wrote: no control characters but tab and line ends, nothing undecodable."""
    return not any((ord(ch) < 32 and ch not in "\t\n\r\f") or ch == "\ufffd" for ch in text[:SAMPLE])


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when every other byte of ASCII-heavy text is zero."""
    even, odd = head[0::2], head[1::2]
    if len(head) < 4:
        return None
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / max(len(odd), 1)
    if zeros_odd > 0.3 and zeros_even < 0.05:
        return "utf-16-le"
    if zeros_even > 0.3 and zeros_odd < 0.05:
        return "utf-16-be"
    return None


def guess_legacy(data: bytes) -> str:
    """Which 8-bit encoding non-UTF-8 bytes are likely in, with where it usually comes from."""
    high = {b for b in data if b >= 0x80}
    if high & set(range(0x80, 0xA0)) and not high & _NOT_CP1252:
        return 'Windows-1252 (what Excel on Windows saves as "CSV"): give --encoding cp1252'
    if not high & set(range(0x80, 0xA0)):
        return "Latin-1 or Windows-1252 (Excel on Windows): give --encoding cp1252"
    return "Mac Roman (Excel on a Mac) or another 8-bit encoding: try --encoding mac_roman"


def _where(data: bytes, offset: int) -> str:
    line = data.count(b"\n", 0, offset) + 1
    return f"line {line}, byte 0x{data[offset]:02x}"


def decode_bytes(raw: bytes, name: str, encoding: str | None = None) -> str:
    """Text of a small file (an answer): the encoding given, else its BOM, else UTF-8."""
    if encoding:
        try:
            return raw.decode(check_encoding(encoding))
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"{name}: is not {encoding} text ({_where(raw, exc.start)}); check --encoding"
            ) from None
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                break
    utf16 = _utf16_without_bom(raw[:SAMPLE])
    if utf16:
        try:
            text = raw.decode(utf16)
        except UnicodeDecodeError:
            text = None
        if text is not None and _plausible(text):
            return text
    if b"\x00" in raw:
        raise EncodingError(f"{name}: looks like a binary file, not text; give a plain-text answer")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"{name}: is not UTF-8 text ({_where(raw, exc.start)}); it looks like {guess_legacy(raw)}, "
            "or save it as UTF-8"
        ) from None


def sniff_file(path: Path, encoding: str | None = None) -> Decoding:
    """How to open a table file; EncodingError when it is in a legacy encoding not given."""
    if encoding:
        return Decoding(check_encoding(encoding))
    st = os.stat(path)
    return _sniff(str(path), st.st_mtime_ns, st.st_size)


# a well-formed UTF-8 sequence beyond ASCII
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_HIGH = re.compile(rb"[\x80-\xff]")


def _chunks(fh: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    """The file in pieces of about `size` bytes that end at a line end (no character is cut)."""
    while True:
        chunk = fh.read(size)
        if not chunk:
            return
        yield chunk + fh.readline()


@lru_cache(maxsize=16)
def _sniff(path: str, mtime_ns: int, size: int) -> Decoding:
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE)
        for bom, codec in _BOMS:
            if head.startswith(bom):
                return Decoding(codec)
        utf16 = _utf16_without_bom(head)
        if utf16 and _plausible(head[: len(head) // 2 * 2].decode(utf16, "replace").rstrip("\ufffd")):
            return Decoding(utf16)
        if b"\x00" in head:
            raise EncodingError(f"{path}: is not a text file; give a CSV, TSV or JSONL file")
        fh.seek(0)
        first_bad: str | None = None
        real_utf8 = False
        high: set[int] = set()
        lines = 0
        for chunk in _chunks(fh):
            if first_bad is None:
                try:
                    chunk.decode("utf-8")
                except UnicodeDecodeError as exc:
                    line = lines + chunk.count(b"\n", 0, exc.start) + 1
                    first_bad = f"line {line}, byte 0x{chunk[exc.start]:02x}"
            real_utf8 = real_utf8 or _UTF8_MULTIBYTE.search(chunk) is not None
            if first_bad is not None:
                high.update(m[0] for m in _HIGH.findall(chunk))
            lines += chunk.count(b"\n")
    if first_bad is None:
        return Decoding("utf-8")
    if real_utf8:
        # UTF-8 with a few broken rows: those rows are refused one by one
        return Decoding("utf-8", mixed=True)
    raise EncodingError(
        f"{path}: is not UTF-8 text ({first_bad}); it looks like {guess_legacy(bytes(sorted(high)))}, "
        'or save it as "CSV UTF-8"'
    )
