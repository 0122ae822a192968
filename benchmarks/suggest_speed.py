"""How long `grader rubric suggest` takes on a class, and whether its proposals hold up.

    python benchmarks/suggest_speed.py [--answers 200] [--data DIR]

1. Speed. A class of N scored answers (default 200) is made from the bundled scored
   sample (61 membrane-potential answers scored 0-9 by a teacher): every answer once,
   then copies with a typo or two, each keeping its teacher's score. The rubric is the
   bundled one with every other phrase of each concept taken out, as a first draft
   would be, so there is wording to find. It prints the time of the whole suggest
   (parsing included; the pipeline loaded before), how many phrase-concept pairs were
   tried and how many rubrics were compiled to try them, and the agreement before and
   with every proposal added.

2. Do the proposals hold up on answers they were not mined from? On SciEntsBank's
   unseen questions (when the data is in ../shared/data, or --data DIR), with the blind
   rubrics of benchmarks/semeval/rubrics-uq: each question's answers are split in two
   halves (odd and even rows); suggest runs on one half, every proposed phrase is added,
   and agreement is measured on the other half, before and after; then the other way
   round. The figures are pooled over the 15 questions.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE / "semeval"))

from grader import Checker, load_rubric  # noqa: E402
from grader.evaluate import Agreement, ScoredAnswer, check_scored  # noqa: E402
from grader.nlp import load_pipeline  # noqa: E402
from grader.rubric import Rubric  # noqa: E402
from grader.suggest import suggest  # noqa: E402
from grader.trials import Change, apply_changes  # noqa: E402

SAMPLE = ROOT / "samples" / "scored" / "membrane-potential.csv"
RUBRIC = ROOT / "rubrics" / "ap-bio" / "membrane-potential.yaml"


def typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    for _ in range(rng.choice([1, 2])):
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 4 and w.isalpha():
            j = rng.randrange(1, len(w) - 1)
            words[i] = w[:j] + w[j + 1 :] if rng.random() < 0.5 else w[:j] + w[j] + w[j:]
    return " ".join(words)


def make_class(n: int, seed: int = 11) -> list[ScoredAnswer]:
    with open(SAMPLE, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rng = random.Random(seed)
    out = []
    for k in range(n):
        row = rows[k % len(rows)]
        text = row["answer"] if k < len(rows) else typo(row["answer"], rng)
        out.append(ScoredAnswer(f"{row['id']}-{k // len(rows)}", k + 2, text, float(row["score"])))
    return out


def first_draft(rubric: Rubric) -> Rubric:
    data = rubric.model_dump(by_alias=True)
    for c in data["concepts"]:
        c["phrases"] = c["phrases"][::2]
    return Rubric.model_validate(data)


def speed(n: int) -> None:
    nlp = load_pipeline()
    rubric = first_draft(load_rubric(RUBRIC))
    answers = make_class(n)
    print(f"speed: {n} scored answers (0-9), the bundled rubric with every other phrase taken out")
    for min_count in (2, 1):
        start = time.perf_counter()
        checker = Checker(rubric, nlp)
        docs = list(nlp.pipe(a.answer for a in answers))
        feedbacks = [checker.analyze(d) for d in docs]
        parsed = time.perf_counter() - start
        found = suggest(rubric, answers, feedbacks, nlp, docs=docs, min_count=min_count)
        total = time.perf_counter() - start
        print(f"  --min-count {min_count}: parse and check once {parsed:.1f} s; whole suggest {total:.1f} s")
        print(f"    phrase-concept pairs tried: {found.tried}; phrases proposed: {len(found.phrases)}")
        qwk_all, exact_all = found.qwk_all or found.qwk, found.exact_all or found.exact
        print(
            f"    agreement now: QWK {found.qwk:.2f}, exact {100 * found.exact:.0f}%; with every proposal "
            f"added: QWK {qwk_all:.2f}, exact {100 * exact_all:.0f}%"
        )


def held_out(folder: Path) -> None:
    from data import load_five_way

    rubrics = HERE / "semeval" / "rubrics-uq"
    questions = {}
    for path in sorted(rubrics.glob("*.yaml")):
        module, _, number = path.stem.partition("-")
        questions[f"{module.upper()}.{number}"] = path
    items = load_five_way(folder, questions, "test-uq")["test-uq"]
    nlp = load_pipeline()
    teacher: list[float] = []
    before: list[float] = []
    after: list[float] = []
    proposed = 0
    start = time.perf_counter()
    for qid, path in questions.items():
        rubric = load_rubric(path)
        mine = [it for it in items if it.question == qid]
        scored = [ScoredAnswer(it.id, i + 2, it.answer, it.score) for i, it in enumerate(mine)]
        halves = [scored[0::2], scored[1::2]]
        for learn, test in (halves, halves[::-1]):
            found = suggest(rubric, learn, check_scored(Checker(rubric, nlp), learn), nlp)
            proposed += len(found.phrases)
            changed = apply_changes(
                rubric, [Change("add", "concept", s.concept, s.phrase) for s in found.phrases]
            )
            teacher += [a.score for a in test]
            before += [fb.score for fb in check_scored(Checker(rubric, nlp), test)]
            after += [fb.score for fb in check_scored(Checker(changed, nlp), test)]
    a0, a1 = Agreement.of(teacher, before), Agreement.of(teacher, after)
    print()
    print("held out: SciEntsBank test-uq, blind rubrics; proposals from one half of each question's")
    print("answers, measured on the other half (both ways round), pooled over 15 questions")
    print(f"  answers: {a0.n}; phrases proposed: {proposed}; time: {time.perf_counter() - start:.0f} s")
    print(f"  before: QWK {a0.qwk:.3f}, exact {100 * a0.exact:.1f}%")
    print(f"  after:  QWK {a1.qwk:.3f}, exact {100 * a1.exact:.1f}%")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=200, help="size of the class (default 200)")
    parser.add_argument("--data", help="the semeval2013-task7 folder")
    parser.add_argument("--skip-held-out", action="store_true", help="only the speed figures")
    args = parser.parse_args()
    speed(args.answers)
    if args.skip_held_out:
        return 0
    from data import data_dir

    folder = data_dir(args.data)
    if not (folder / "scientsbank_5way_parquet").is_dir():
        print(f"\nSciEntsBank data not found in {folder}; skipping the held-out check (give --data DIR)")
        return 0
    held_out(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
