"""Refusing rubric REGEX patterns that can backtrack without end, before any answer meets them.

A REGEX predicate of a spaCy Matcher pattern runs Python's `re`, which
backtracks: `(a+)+$` takes exponential time on "aaaa...b", and `\\w+\\w+` or
`.*a.*` polynomial time on one long word. What makes it so is a string that
the pattern can match in many ways, and two shapes of pattern give them:

1. inside a repeat, a repeated part that can be told apart in more than one
   way: written twice in a row, a part of varying length (a repeat, an
   optional piece, alternatives of different lengths) can take characters
   the next part could take too, with no character between that it cannot
   match. `(a+)+`, `(\\w+\\s?)*`, `(.a?)+`, `(a|aa)+` are refused, `(\\d+,)+`
   and `(ab?)+` are not. Alternatives that start alike, `(abc|a\\w)+`, and a
   repeated part that can be empty, `(a?)+`, are refused too;
2. anywhere, two unbounded repeats in a row that can take the same
   characters with nothing between them that the first cannot match:
   `\\w+\\w+`, `.*x.*`.

The check works on the regex as `re` compiles it (re._parser) over a sample
alphabet. It may refuse a harmless pattern now and then (the message says how
to rewrite it); slow patterns of other shapes meet the time budget of every
check (grader.budget).
"""

from __future__ import annotations

import re
import re._constants as c  # type: ignore[import-not-found]
import re._parser as sre  # type: ignore[import-not-found]
from typing import Any

# ASCII and a few letters, digits, signs and spaces from elsewhere: enough to tell classes apart
ALPHABET = frozenset(
    [chr(i) for i in range(9, 14)] + [chr(i) for i in range(32, 127)] + list("éßΩ−⁺→٣中\u00a0\u2009")
)
MANY = 10  # a repeat that can run more than this many times counts as unbounded


def regex_hazard(pattern: str) -> str | None:
    """Why `pattern` can take too long on some input (with a rewrite), or None."""
    try:
        parsed = sre.parse(pattern)
    except re.error:
        return None  # not a regex at all: the Matcher says so when the rubric is compiled
    ignore_case = bool(parsed.state.flags & re.IGNORECASE)
    return _sequence(list(parsed), ignore_case)


def _unbounded(av: Any) -> bool:
    return av[1] is c.MAXREPEAT or av[1] > MANY


class _Flow:
    """Walking a sequence: the characters the repeats since the last separator can take, and
    whether a character none of them can match has come since (a separator)."""

    def __init__(self, pending: frozenset[str] = frozenset(), separated: bool = False):
        self.pending = pending
        self.separated = separated

    def copy(self) -> _Flow:
        return _Flow(self.pending, self.separated)

    def join(self, paths: list[_Flow]) -> None:
        """After a choice (or an optional part): what any of the paths may have left."""
        self.pending = frozenset().union(*(f.pending for f in paths))
        self.separated = all(f.separated or not f.pending for f in paths)

    def repeat(self, chars: frozenset[str], least: int) -> bool:
        """A repeat of these characters comes next; True when it can take what a pending one took."""
        if self.pending & chars and not self.separated:
            return True
        if self.separated or (least > 0 and not self.pending & chars):
            self.pending = chars  # what came before is closed off
        else:
            self.pending |= chars
        self.separated = False
        return False

    def must(self, chars: frozenset[str]) -> None:
        if self.pending and not self.pending & chars:
            self.separated = True


ADJACENT = (
    "two repeats that can match the same characters, like \\w+\\w+ or .*x.*, take "
    "time growing with a power of the word's length; join them into one, or make "
    "what separates them a character the first cannot match, e.g. [^x]*x.*"
)
AMBIGUOUS = (
    "a repeated part whose repetitions can be told apart in more than one way, like (a+)+, "
    "(.a?)+ or (a|aa)+, can take exponential time on a long word; repeat one simple part, "
    "e.g. (a+)+ as a+, or end each repetition with a character its start cannot match"
)
EMPTY = (
    "a repeat of something that can match nothing, like (a?)+ or (a*b?)*, can "
    "take a very long time; make the repeated part match at least one character"
)


def _sequence(items: list[Any], ic: bool, flow: _Flow | None = None, strict: bool = False) -> str | None:
    """The first hazard in a sequence of parsed items; groups are walked as part of it.

    `strict` (inside a repeat) counts every part of varying length as a repeat: there,
    an ambiguity is met again at every repetition.
    """
    flow = flow if flow is not None else _Flow()
    for op, av in items:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            body = list(av[2])
            possessive = op is c.POSSESSIVE_REPEAT
            varying = av[0] != av[1]
            if not possessive and av[1] is not c.MAXREPEAT and av[1] < 2:
                if strict and varying and _length(body) == 1:
                    if flow.repeat(_chars(body, ic), av[0]):
                        return AMBIGUOUS
                    continue
                # an optional part, `(...)?`: walked on a copy, then either path may follow
                path = flow.copy()
                found = _sequence(body, ic, path, strict)
                if found:
                    return found
                flow.join([flow.copy(), path] if av[0] == 0 else [path])
                continue
            if not possessive:
                if _nullable(body):
                    return EMPTY
                if _unbounded(av):
                    if _sequence(body + body, ic, strict=True) or _overlapping_choice(body, ic):
                        return AMBIGUOUS
                elif _inner_repeat(body):
                    return AMBIGUOUS
                found = _sequence(body, ic, strict=strict)
                if found:
                    return found
            if not possessive and (_unbounded(av) or (strict and varying)):
                if flow.repeat(_chars(body, ic), av[0]):
                    return AMBIGUOUS if strict else ADJACENT
            elif av[0] > 0:
                flow.must(_chars(body, ic))
        elif op is c.SUBPATTERN:
            found = _sequence(list(av[-1]), ic, flow, strict)
            if found:
                return found
        elif op is c.ATOMIC_GROUP:
            found = _sequence(list(av), ic)
            if found:
                return found
            flow.must(_chars(list(av), ic))
        elif op is c.BRANCH:
            alts = [list(alt) for alt in av[1]]
            if strict and len({_length(alt) for alt in alts}) > 1:
                # alternatives of different lengths: a choice of how much to take, like a repeat
                chars = frozenset().union(*(_chars(alt, ic) for alt in alts))
                if flow.repeat(chars, 0 if any(_nullable(alt) for alt in alts) else 1):
                    return AMBIGUOUS
                continue
            paths = []
            for alt in alts:
                path = flow.copy()
                found = _sequence(alt, ic, path, strict)
                if found:
                    return found
                paths.append(path)
            flow.join(paths)
        elif op not in (c.AT, c.ASSERT, c.ASSERT_NOT):
            flow.must(_chars([(op, av)], ic))
    return None


def _has_unbounded(items: list[Any]) -> bool:
    for op, av in items:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT) and (_unbounded(av) or _has_unbounded(list(av[2]))):
            return True
        if op is c.SUBPATTERN and _has_unbounded(list(av[-1])):
            return True
        if op is c.BRANCH and any(_has_unbounded(list(alt)) for alt in av[1]):
            return True
    return False


def _inner_repeat(items: list[Any]) -> bool:
    """A repeat that can run more than once, anywhere inside these items."""
    for op, av in items:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            if av[1] is c.MAXREPEAT or av[1] >= 2:
                return True
            if _inner_repeat(list(av[2])):
                return True
        elif op is c.SUBPATTERN:
            if _inner_repeat(list(av[-1])):
                return True
        elif op is c.BRANCH and any(_inner_repeat(list(alt)) for alt in av[1]):
            return True
    return False


def _overlapping_choice(items: list[Any], ic: bool) -> str | None:
    for op, av in items:
        if op is c.SUBPATTERN:
            found = _overlapping_choice(list(av[-1]), ic)
            if found:
                return found
        elif op is c.BRANCH:
            firsts = [(_first(list(alt), ic), _nullable(list(alt))) for alt in av[1]]
            for i, (a, a_empty) in enumerate(firsts):
                for b, b_empty in firsts[i + 1 :]:
                    if a & b or (a_empty and b_empty):
                        return (
                            "a repeated choice whose alternatives can start alike, like (abc|a\\w)+ or "
                            "(a|a)+, can take exponential time; make the alternatives start differently, "
                            "or write them as one character class, e.g. (b|c)+ as [bc]+"
                        )
    return None


def _length(items: list[Any]) -> int | None:
    """The fixed length the items match, or None when it varies."""
    total = 0
    for op, av in items:
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            inner = _length(list(av[2]))
            if av[0] != av[1] or inner is None:
                return None
            total += av[0] * inner
        elif op is c.SUBPATTERN:
            inner = _length(list(av[-1]))
            if inner is None:
                return None
            total += inner
        elif op is c.BRANCH:
            lengths = {_length(list(alt)) for alt in av[1]}
            if len(lengths) != 1 or None in lengths:
                return None
            total += lengths.pop() or 0
        else:
            total += 1
    return total


def _nullable(items: list[Any]) -> bool:
    """The items can match the empty string."""
    for op, av in items:
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            if av[0] > 0 and not _nullable(list(av[2])):
                return False
        elif op is c.SUBPATTERN:
            if not _nullable(list(av[-1])):
                return False
        elif op is c.BRANCH:
            if not any(_nullable(list(alt)) for alt in av[1]):
                return False
        else:
            return False
    return True


def _first(items: list[Any], ic: bool) -> frozenset[str]:
    """The characters the items can start with."""
    found: frozenset[str] = frozenset()
    for op, av in items:
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            found |= _first(list(av[2]), ic)
            if av[0] > 0:
                return found
            continue
        if op is c.SUBPATTERN:
            found |= _first(list(av[-1]), ic)
            return found  # (a group that can be empty is rare here; treat it as not)
        if op is c.BRANCH:
            for alt in av[1]:
                found |= _first(list(alt), ic)
            return found
        return found | _chars([(op, av)], ic)
    return found


def _chars(items: list[Any], ic: bool) -> frozenset[str]:
    """The characters of the sample alphabet the items can match anywhere."""
    out: set[str] = set()
    for op, av in items:
        if op is c.LITERAL:
            out |= _case({chr(av)}, ic)
        elif op is c.NOT_LITERAL:
            out |= {ch for ch in ALPHABET if ch not in _case({chr(av)}, ic)}
        elif op is c.ANY:
            out |= {ch for ch in ALPHABET if ch != "\n"}
        elif op is c.IN:
            out |= _class(av, ic)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            out |= _chars(list(av[2]), ic)
        elif op is c.SUBPATTERN:
            out |= _chars(list(av[-1]), ic)
        elif op is c.ATOMIC_GROUP:
            out |= _chars(list(av), ic)
        elif op is c.BRANCH:
            for alt in av[1]:
                out |= _chars(list(alt), ic)
        elif op in (c.GROUPREF, c.GROUPREF_EXISTS):
            out |= ALPHABET
    return frozenset(out)


def _case(chars: set[str], ic: bool) -> set[str]:
    return {v for ch in chars for v in (ch, ch.lower(), ch.upper())} if ic else chars


def _class(items: list[Any], ic: bool) -> set[str]:
    negate = False
    members: set[str] = set()
    for op, av in items:
        if op is c.NEGATE:
            negate = True
        elif op is c.LITERAL:
            members |= _case({chr(av)}, ic)
        elif op is c.RANGE:
            members |= {ch for ch in ALPHABET if av[0] <= ord(ch) <= av[1]}
            members |= (
                _case({ch for ch in ALPHABET if av[0] <= ord(ch.lower()) <= av[1]}, ic) if ic else set()
            )
        elif op is c.CATEGORY:
            members |= {ch for ch in ALPHABET if _in_category(ch, av)}
    return {ch for ch in ALPHABET if ch not in members} if negate else members


def _in_category(ch: str, category: Any) -> bool:
    word = ch.isalnum() or ch == "_"
    tests = {
        c.CATEGORY_DIGIT: ch.isdecimal(),
        c.CATEGORY_NOT_DIGIT: not ch.isdecimal(),
        c.CATEGORY_SPACE: ch.isspace(),
        c.CATEGORY_NOT_SPACE: not ch.isspace(),
        c.CATEGORY_WORD: word,
        c.CATEGORY_NOT_WORD: not word,
    }
    return tests.get(category, True)
