"""The word lists of the linguistics, as data: one file a list, one entry a line.

Each `<name>.txt` beside this module opens with a comment header saying what the
list is for and which module reads it. Lists are read once per process. A linguist
adds a negator, a relating verb or a connective by adding a line to a file here (and
one line to the table test that pins it).
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def lines(name: str) -> tuple[str, ...]:
    """The entries of list `name`, comments and blank lines left out, in file order."""
    text = resources.files(__package__).joinpath(f"{name}.txt").read_text(encoding="utf-8")
    out = []
    for raw in text.splitlines():
        entry = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if entry:
            out.append(entry)
    return tuple(out)


@cache
def words(name: str) -> frozenset[str]:
    """List `name` as a set of lower-case entries."""
    return frozenset(entry.lower() for entry in lines(name))


@cache
def pairs(name: str) -> dict[str, str]:
    """List `name` read as 'key value' lines."""
    out = {}
    for entry in lines(name):
        key, _, value = entry.partition(" ")
        out[key.lower()] = value.strip()
    return out


@cache
def phrases(name: str) -> tuple[tuple[str, ...], ...]:
    """List `name` read as phrases of words, longest first."""
    return tuple(sorted((tuple(e.lower().split()) for e in lines(name)), key=len, reverse=True))


def names() -> list[str]:
    """Every list there is."""
    return sorted(
        p.name.removesuffix(".txt") for p in resources.files(__package__).iterdir() if p.name.endswith(".txt")
    )
