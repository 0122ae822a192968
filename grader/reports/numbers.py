"""How numbers, counts and question names are written in every report."""

from __future__ import annotations


def fmt_number(x: float) -> str:
    """3.0 -> '3', 2.5 -> '2.5'."""
    return f"{x:g}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 answer', '2 answers', '1,024 answers'."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def dec(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def short_names(ids: list[str]) -> dict[str, str]:
    """The last part of each rubric id when that is unique, else the whole id."""
    last = [i.rsplit("/", 1)[-1] for i in ids]
    return {i: (s if last.count(s) == 1 else i) for i, s in zip(ids, last, strict=True)}
