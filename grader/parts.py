"""Splitting an answer to a multi-part question by the student's own part markers.

Students mark parts as "(a)", "a)", "a.", "a:", "Part A", "Part (a)", "A." at the start of
the answer, of a line or of a sentence. Only letters the rubric has parts for count,
and in order (an "(a)" after "(b)" is a reference inside part b, not a new part). An
answer with no markers is read whole for every part, as an AP reader does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_START = r"(?:^|(?<=\n)|(?<=[.!?;]\s)|(?<=[.!?;]\s\s))[ \t]*"
_MARKER = re.compile(
    r"(?:"
    + _START
    + r"part[ \t]*\(?[ \t]*(?P<p>[a-z0-9]{1,2})[ \t]*\)?[ \t]*[:.)\-]?"  # Part A, Part (a), part b:
    r"|(?:^|(?<=\s))\([ \t]*(?P<b>[a-z0-9]{1,2})[ \t]*\)"  # (a), also mid-line
    r"|" + _START + r"(?P<l>[a-z0-9]{1,2})[ \t]*[).:]"  # a)  a.  A:  1.  at a line or sentence start
    r")[ \t]*",
    re.MULTILINE | re.IGNORECASE,
)


@dataclass(frozen=True)
class Segment:
    """The stretch of the answer that answers one part: answer[start:end]."""

    part: str
    start: int
    end: int
    marked: bool  # False: no marker found, the whole answer stands for the part


def split_parts(answer: str, part_ids: list[str]) -> list[Segment]:
    """One Segment per part id, in the rubric's order; a part with no marker gets an empty
    segment when others are marked, or the whole answer when none is."""
    order = {p.lower(): n for n, p in enumerate(part_ids)}
    found: list[tuple[str, int, int]] = []  # (part, marker start, text start)
    last = -1
    for m in _MARKER.finditer(answer):
        letter = (m.group("p") or m.group("b") or m.group("l") or "").lower()
        if letter not in order or order[letter] <= last:
            continue
        if m.group("l") and len(letter) == 1 and letter.isalpha() and _looks_like_a_word(answer, m):
            continue  # "A. cell ..." is a marker, but "I. think" is not a part of this rubric anyway
        found.append((part_ids[order[letter]], m.start(), m.end()))
        last = order[letter]
    if not found:
        return [Segment(p, 0, len(answer), False) for p in part_ids]
    segments = {}
    for n, (part, _, text_start) in enumerate(found):
        end = found[n + 1][1] if n + 1 < len(found) else len(answer)
        segments[part] = (text_start, end)
    first_start = found[0][1]
    out = []
    for p in part_ids:
        if p in segments:
            start, end = segments[p]
            if p == found[0][0] and answer[:first_start].strip():
                start = 0  # words before the first marker belong to the first part named
            out.append(Segment(p, start, end, True))
        else:
            out.append(Segment(p, len(answer), len(answer), True))
    return out


def join_parts(texts: Mapping[str, str], part_ids: list[str]) -> tuple[str, list[Segment]]:
    """An answer given part by part (one column per part in a class file) as one text, each
    part after its marker on a line of its own ("(a) ...\n(b) ...", a part with no text
    keeps its bare marker), and the segments that say exactly where each part is: the
    parts are never split again, so a "(b)" written inside part a stays in part a."""
    pieces: list[str] = []
    segments: list[Segment] = []
    at = 0
    for n, pid in enumerate(part_ids):
        marker = f"({pid})"
        text = texts.get(pid, "").strip()
        piece = f"{marker} {text}" if text else marker
        start = at + len(marker) + (1 if text else 0)
        segments.append(Segment(pid, start, at + len(piece), True))
        pieces.append(piece)
        at += len(piece) + (1 if n + 1 < len(part_ids) else 0)
    return "\n".join(pieces), segments


def _looks_like_a_word(answer: str, m: re.Match[str]) -> bool:
    """'A.' followed by a lower-case word continues a sentence ("Plan A. then ..."): rare
    enough that only a marker followed by a capital or a digit, or in brackets, is kept."""
    rest = answer[m.end() : m.end() + 1]
    return m.group(0).rstrip().endswith(".") and rest.islower()
