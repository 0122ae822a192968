"""How much the checker costs on top of spaCy, and how fast one answer comes back.

Prints answers per second for the raw spaCy pipeline (nlp.pipe on the same
normalized texts) and for the checker (normalize + nlp.pipe + matching,
negation, links, scoring, feedback), measured in the same run, and their ratio
(target: >= 0.85, i.e. the checker's own work costs at most about a sixth of
spaCy's time). Then times `grader check` on one answer from a cold start
(target: under 3 seconds).

    .venv/bin/python benchmarks/check_speed.py [--answers 3000]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader import Checker, load_rubric
from grader.nlp import load_pipeline, normalize

ROOT = Path(__file__).resolve().parent.parent


def answers_pool() -> list[str]:
    """Realistic answers: every rubric's examples and every bundled sample answer."""
    pool = []
    for path in sorted((ROOT / "rubrics").rglob("*.yaml")):
        pool += [ex.answer for ex in load_rubric(path).examples]
    pool += [p.read_text() for p in sorted((ROOT / "samples").rglob("*.txt"))]
    return [a for a in pool if a.strip()]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answers", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3, help="alternate raw/checker runs; best of each")
    args = ap.parse_args()

    pool = answers_pool()
    texts = list(itertools.islice(itertools.cycle(pool), args.answers))
    words = sum(len(t.split()) for t in texts)
    nlp = load_pipeline()
    seed = Checker(load_rubric(ROOT / "rubrics/ap-bio/membrane-potential.yaml"), nlp)
    normalized = [normalize(t).text for t in texts]
    list(seed.check_many(texts[:200]))  # warm up both paths

    raw_times, checker_times = [], []
    for _ in range(args.rounds):
        raw_times.append(timed(lambda: [None for _ in nlp.pipe(normalized, batch_size=64)]))
        checker_times.append(timed(lambda: [None for _ in seed.check_many(texts, batch_size=64)]))
    raw, checked = min(raw_times), min(checker_times)
    print(f"answers: {len(texts)} ({len(pool)} distinct, {words / len(texts):.0f} words on average)")
    print(f"raw spaCy pipeline:   {len(texts) / raw:8.1f} answers/s  (best of {args.rounds})")
    print(f"checker (seed rubric): {len(texts) / checked:7.1f} answers/s  (best of {args.rounds})")
    print(f"ratio checker/raw: {raw / checked:.2f}  (target >= 0.85)")

    with tempfile.TemporaryDirectory() as tmp:
        answer = Path(tmp) / "answer.txt"
        answer.write_text(pool[0])
        cmd = [
            str(Path(sys.executable).parent / "grader"),
            "check",
            str(ROOT / "rubrics/ap-bio/membrane-potential.yaml"),
            str(answer),
        ]
        runs = [timed(lambda: subprocess.run(cmd, check=True, capture_output=True)) for _ in range(3)]
    print(
        f"one answer from the CLI, start-up included: median {statistics.median(runs):.2f} s "
        f"(runs: {', '.join(f'{r:.2f}' for r in runs)}; target < 3 s)"
    )


if __name__ == "__main__":
    main()
