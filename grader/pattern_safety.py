"""Refusing rubric REGEX patterns that can backtrack without end, before any answer meets them.

A REGEX predicate of a spaCy Matcher pattern runs Python's `re`, which
backtracks: `(a+)+$` takes exponential time on "aaaa...b", and `\\w+\\w+` or
`.*a.*` polynomial time on one long word. Three shapes cause it, and are
refused with the line of the pattern and a rewrite:

1. a repeat inside a repeat: `(a+)+`, `(\\w+\\s?)*`;
2. a repeated choice whose alternatives can start with the same character,
   or can both match nothing: `(abc|a\\w)+`, `(a|a)+`;
3. two repeats in a row that can match the same characters, with nothing
   between them that the first could not also match: `\\w+\\w+`, `.*x.*`.

The check works on the parsed regex (re._parser) over a sample alphabet, so it
may refuse a harmless pattern now and then (the message says how to rewrite
it); the time budget of every check (grader.budget) is the second line.
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
    """Walking a sequence: the characters of the last unbounded repeat, and whether something
    it cannot match has come since (then a later repeat cannot take its characters)."""

    def __init__(self, previous: frozenset[str] | None = None, separated: bool = False):
        self.previous = previous
        self.separated = separated

    def copy(self) -> _Flow:
        return _Flow(self.previous, self.separated)

    def join(self, paths: list[_Flow]) -> None:
        """After a choice (or an optional part): what any of the paths may have left."""
        sets = [f.previous for f in paths if f.previous is not None]
        self.previous = frozenset().union(*sets) if sets else None
        self.separated = all(f.separated or f.previous is None for f in paths)

    def repeat(self, chars: frozenset[str]) -> str | None:
        if self.previous is not None and self.previous & chars and not self.separated:
            return (
                "two repeats that can match the same characters, like \\w+\\w+ or .*x.*, take "
                "time growing with a power of the word's length; join them into one, or make "
                "what separates them a character the first cannot match, e.g. [^x]*x.*"
            )
        self.previous, self.separated = chars, False
        return None

    def must(self, chars: frozenset[str]) -> None:
        if self.previous is not None and not self.previous & chars:
            self.separated = True


def _sequence(items: list[Any], ic: bool, flow: _Flow | None = None) -> str | None:
    """The first hazard in a sequence of parsed items; groups are walked as part of it."""
    flow = flow if flow is not None else _Flow()
    for op, av in items:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            body = list(av[2])
            possessive = op is c.POSSESSIVE_REPEAT
            if not possessive and av[1] is not c.MAXREPEAT and av[1] < 2:
                # an optional part, `(...)?`: walked on a copy, then either path may follow
                path = flow.copy()
                found = _sequence(body, ic, path)
                if found:
                    return found
                flow.join([flow.copy(), path] if av[0] == 0 else [path])
                continue
            if not possessive:
                if _nullable(body):
                    return (
                        "a repeat of something that can match nothing, like (a?)+ or (a*b?)*, can "
                        "take a very long time; make the repeated part match at least one character"
                    )
                if _inner_repeat(body):
                    return (
                        "a repeat inside a repeat, like (a+)+, can take exponential time on a long "
                        "word; repeat the inner part only once, e.g. (a+)+ as a+"
                    )
                found = _overlapping_choice(body, ic) or _sequence(body, ic)
                if found:
                    return found
            if _unbounded(av) and not possessive:
                found = flow.repeat(_chars(body, ic))
                if found:
                    return found
            elif av[0] > 0:
                flow.must(_chars(body, ic))
        elif op is c.SUBPATTERN:
            found = _sequence(list(av[-1]), ic, flow)
            if found:
                return found
        elif op is c.ATOMIC_GROUP:
            found = _sequence(list(av), ic)
            if found:
                return found
            flow.must(_chars(list(av), ic))
        elif op is c.BRANCH:
            paths = []
            for alt in av[1]:
                path = flow.copy()
                found = _sequence(list(alt), ic, path)
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
