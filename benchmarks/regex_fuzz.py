"""Random REGEX patterns against the load-time check: does it accept any that backtrack without end?

Builds random patterns from letters, classes, groups, choices and repeats,
keeps those that grader's check (grader/pattern_safety.py) accepts, and runs
each on a few inputs of --length characters under a time limit. At the
default 60 characters, polynomial backtracking is instant and only
exponential backtracking runs out of time, so every pattern printed is one the
check should have refused. A larger --length shows the slow polynomial ones
that are left to the time budget of each check.

    .venv/bin/python benchmarks/regex_fuzz.py [--patterns 3000] [--seeds 8] [--length 60]
"""

from __future__ import annotations

import argparse
import random
import re
import signal

from grader.pattern_safety import regex_hazard

ATOMS = ["a", "b", r"\w", r"\d", ".", "[ab]", "[^a]", r"\s", "x"]
QUANTIFIERS = ["", "", "+", "*", "?", "{2,}", "{1,3}"]


class TooSlow(Exception):
    pass


def random_pattern(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.25 and depth < 2:
            inner = random_pattern(rng, depth + 1)
            if rng.random() < 0.4:
                inner += "|" + random_pattern(rng, depth + 1)
            parts.append(f"({inner}){rng.choice(QUANTIFIERS)}")
        else:
            parts.append(rng.choice(ATOMS) + rng.choice(QUANTIFIERS))
    return "".join(parts) + rng.choice(["", "$", "!"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patterns", type=int, default=3000, help="patterns per seed")
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--length", type=int, default=60, help="characters of each input")
    parser.add_argument("--seconds", type=float, default=0.5, help="time limit per match")
    args = parser.parse_args()

    def on_alarm(signum: int, frame: object) -> None:
        raise TooSlow

    signal.signal(signal.SIGALRM, on_alarm)
    n = args.length
    inputs = ["a" * n + "!", "ab" * (n // 2) + "!", "a1" * (n // 2) + " ", "x" * n]
    made = accepted = slow = 0
    for seed in range(args.seeds):
        rng = random.Random(seed)
        for _ in range(args.patterns):
            pattern = random_pattern(rng)
            try:
                re.compile(pattern)
            except re.error:
                continue
            made += 1
            if regex_hazard(pattern):
                continue
            accepted += 1
            for text in inputs:
                signal.setitimer(signal.ITIMER_REAL, args.seconds)
                try:
                    re.search(pattern, text)
                except TooSlow:
                    slow += 1
                    print(f"accepted but slow: {pattern!r} on {text[:8]!r}...")
                    break
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
    print(
        f"{made:,} valid patterns, {accepted:,} accepted by the check, {slow} of those slow on {n} characters"
    )


if __name__ == "__main__":
    main()
