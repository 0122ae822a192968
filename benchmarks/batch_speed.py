"""Batch scoring speed and memory: `grader batch` next to the raw spaCy pipeline.

Builds a class file of realistic answers (sentences of the bundled sample
class recombined, with a typo or two each so the vocabulary keeps growing the
way real student writing makes it grow), then prints, measured in one run:

- answers per second for the raw spaCy pipeline (nlp.pipe on the same texts),
  for the checker alone (Checker.check_many), and for the batch engine with
  --jobs 1, --jobs 2 and --dask local with two workers (reading the file,
  checking rows, scoring, writing the .partial, then the CSV and the JSONL;
  for Dask, starting and stopping the local cluster too), best of --rounds
  interleaved rounds, and the ratios (targets: jobs 1 >= 0.8 of raw spaCy,
  jobs 2 >= 1.7 x jobs 1 on two cores, Dask >= 0.9 x jobs 2);
- the peak memory (max RSS) of a whole `grader batch` run, from process start
  to exit, on 10,000 and on 100,000 rows, with --jobs 2 and with --dask local:
  of the batch process (the driver), which holds the resume index, and of its
  largest worker (target: the larger run needs far less than 10 times the
  smaller one).

    .venv/bin/python benchmarks/batch_speed.py [--answers 20000] [--memory-rows 10000 100000]
        [--dask local|ADDRESS|'']

--dask needs the dask extra (pip install -e '.[dask]'); '' leaves it out.

The whole run takes about 20 minutes on two cores; --rounds 1 and smaller
--answers or --memory-rows give a quick look.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from grader.batch import Outputs, RubricSet, run_batch
from grader.checker import Checker
from grader.nlp import load_pipeline

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "class" / "neurons-frq.csv"
RUBRICS = ROOT / "rubrics" / "ap-bio"


def sentence_pool() -> dict[str, list[str]]:
    """The sample class's sentences, by question."""
    pool: dict[str, list[str]] = defaultdict(list)
    with open(SAMPLE, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["question"].startswith("ap-bio/") and (RUBRICS / f"{row['question'][7:]}.yaml").exists():
                pool[row["question"]] += [s for s in re.split(r"(?<=[.!?])\s+", row["answer"]) if s.strip()]
    return pool


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 5 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def make_class(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    pool = sentence_pool()
    questions = sorted(pool)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "question", "answer"])
        for i in range(rows):
            q = questions[i % len(questions)]
            words = " ".join(rng.sample(pool[q], rng.randint(2, 5))).split(" ")
            for _ in range(rng.randint(1, 2)):
                k = rng.randrange(len(words))
                words[k] = typo(words[k], rng)
            w.writerow([f"s{i // len(questions):06d}", q, " ".join(words)])


def texts_of(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [row["answer"] for row in csv.DictReader(fh)]


# Runs `grader batch` exactly as the command line does, then reports the peak RSS of
# the batch process itself and of its largest worker (a child's peak is not in the
# parent's own figure).
MEASURE = """
import json, resource, sys
from grader.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
end_kb = 0
try:  # what the batch process holds at the end, index included (Linux)
    with open("/proc/self/status") as fh:
        end_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
except (OSError, StopIteration):
    pass
print(json.dumps({"parent": self_kb / 1024, "worker": child_kb / 1024, "end": end_kb / 1024}))
"""


def peak_rss_mb(args: list[str]) -> tuple[dict[str, float], float]:
    """({"parent": MB, "worker": MB}, seconds) for one `grader batch` run."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"grader {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1]), time.perf_counter() - start


def speed(args: argparse.Namespace, rubrics: RubricSet, tmp: Path) -> None:
    src = tmp / "class.csv"
    make_class(src, args.answers)
    texts = texts_of(src)
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"answers: {len(texts):,} ({words:.0f} words on average), 2 questions, {os.cpu_count()} CPUs")

    nlp = load_pipeline()
    list(nlp.pipe(texts[:300]))  # warm up
    by_question: dict[str, list[str]] = defaultdict(list)
    with open(src, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            by_question[row["question"]].append(row["answer"])

    def raw_pipe() -> None:
        for _ in nlp.pipe(texts, batch_size=64):
            pass

    def checker_alone() -> None:
        # spaCy + matching, negation, links, scoring, feedback: no reading, writing or resume
        for q, answers in by_question.items():
            for _ in Checker(rubrics.rubrics[q], nlp).check_many(answers):
                pass

    driver_cpu: list[float] = []  # seconds of this process's CPU per --dask run

    def batch(jobs: int, dask: str | None = None) -> None:
        out = Outputs.beside(tmp / ("dask.csv" if dask else f"jobs{jobs}.csv"))
        before = resource.getrusage(resource.RUSAGE_SELF)
        result = run_batch(rubrics, src, out, jobs=jobs, fresh=True, dask=dask)
        after = resource.getrusage(resource.RUSAGE_SELF)
        assert result.scored == len(texts), result
        if dask:
            driver_cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)

    runs = [
        ("raw", raw_pipe),
        ("checker", checker_alone),
        ("jobs1", lambda: batch(1)),
        ("jobs2", lambda: batch(2)),
    ]
    if args.dask:
        runs.append(("dask", lambda: batch(2, args.dask)))
    best: dict[str, float] = {}
    # rounds interleave the runs, so a busy spell on a shared machine hits them alike
    for _ in range(args.rounds):
        for name, run in runs:
            start = time.perf_counter()
            run()
            rate = len(texts) / (time.perf_counter() - start)
            best[name] = max(best.get(name, 0.0), rate)
    raw, checker, rates = best["raw"], best["checker"], {1: best["jobs1"], 2: best["jobs2"]}
    same = all(
        (tmp / f"jobs1{s}").read_bytes() == (tmp / f"jobs2{s}").read_bytes() for s in (".csv", ".jsonl")
    )

    def line(name: str, rate: float, note: str) -> None:
        print(f"{name:<34}{rate:8.1f} answers/s  {note}")

    print(f"best of {args.rounds} rounds:")
    line("raw spaCy pipeline (nlp.pipe)", raw, "")
    line("checker alone (check_many)", checker, f"({checker / raw:.2f} of raw spaCy)")
    line("grader batch --jobs 1", rates[1], f"({rates[1] / raw:.2f} of raw spaCy; target >= 0.8)")
    line(
        "grader batch --jobs 2",
        rates[2],
        f"({rates[2] / rates[1]:.2f} x jobs 1; target >= 1.7 on 2 cores)",
    )
    if args.dask:
        where = "2 workers" if args.dask == "local" else "the cluster's workers"
        line(
            f"grader batch --dask {args.dask}"[:34],
            best["dask"],
            f"({where}; {best['dask'] / rates[2]:.2f} x jobs 2; target >= 0.9)",
        )
    print(f"batch engine cost over the checker alone: {100 * (checker / rates[1] - 1):.1f}%")
    print(f"jobs 1 and jobs 2 wrote identical files: {same}")
    if args.dask:
        same = all(
            (tmp / f"jobs1{s}").read_bytes() == (tmp / f"dask{s}").read_bytes() for s in (".csv", ".jsonl")
        )
        print(f"jobs 1 and --dask {args.dask} wrote identical files: {same}")
        # what bounds a large cluster: the driver reads, checks and writes every answer itself
        per = min(driver_cpu) / len(texts)
        print(
            f"driver CPU with --dask {args.dask}: {1000 * per:.2f} ms per answer (its cluster's start "
            f"included): one driver keeps up with about {1 / per:,.0f} answers/s of workers"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answers", type=int, default=20_000, help="answers for the speed runs (0: none)")
    ap.add_argument("--rounds", type=int, default=2, help="speed runs: best of this many rounds")
    ap.add_argument("--memory-rows", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--memory-jobs", type=int, default=2, help="--jobs for the memory runs")
    ap.add_argument(
        "--dask",
        default="local",
        metavar="local|ADDRESS|''",
        help="also run grader batch --dask this (default: local, two workers); '' for none",
    )
    args = ap.parse_args()
    if args.dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("Dask is not installed (pip install -e '.[dask]'): the --dask rows are left out")
            args.dask = ""

    rubrics = RubricSet.from_arg(str(RUBRICS))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.answers > 0:
            speed(args, rubrics, tmp)

        executors = [f"--jobs {args.memory_jobs}"]
        if args.dask:
            executors.append(f"--dask {args.dask} --jobs {args.memory_jobs}")
        peaks: dict[str, dict[int, float]] = {e: {} for e in executors}
        for rows in args.memory_rows:
            big = tmp / f"class-{rows}.csv"
            make_class(big, rows)
            for executor in executors:
                cli = ["batch", str(RUBRICS), str(big), "-o", str(tmp / f"mem-{rows}.csv"), "--fresh"]
                peak, seconds = peak_rss_mb(cli + executor.split() + ["--quiet"])
                peaks[executor][rows] = peak["parent"]
                # a Dask worker's scoring processes are not its children's peak: left out
                workers = f", largest worker {peak['worker']:.1f} MB" if "--dask" not in executor else ""
                end = f", {peak['end']:.1f} MB at the end" if peak["end"] else ""
                print(
                    f"peak memory, {rows:>7,} rows ({executor}): batch process "
                    f"{peak['parent']:.1f} MB{end}{workers}  ({seconds:.0f} s)"
                )
        for executor, by_rows in peaks.items():
            if len(by_rows) >= 2:
                lo, hi = min(by_rows), max(by_rows)
                ratio = by_rows[hi] / by_rows[lo]
                print(
                    f"batch process memory ({executor}), {hi:,} rows / {lo:,} rows: {ratio:.2f} x "
                    f"for {hi / lo:.0f} x the rows (target < 10 x)"
                )


if __name__ == "__main__":
    main()
