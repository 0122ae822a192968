"""Rubrics drafted with no human edit, scored against SciEntsBank's annotators.

For every question of a split, `grader rubric draft`'s code writes a rubric from the
question text and its reference answer only (scale 0-2, no scored answers, nothing
edited), and the checker scores every student answer of the split with it. Labels
become scores as in run.py (5-way: correct 2, partially correct 1, else 0). Beside it,
on test-uq, the same figures for the rubrics written by hand from the same question
and reference answer (benchmarks/semeval/rubrics-uq).

    python benchmarks/semeval/draft.py [--split test-uq|train|test-ua] [--data DIR]
                                       [--write DIR] [--json]

The drafting code was developed on the training split's questions; the test-uq
figures are the measure. --write DIR saves the drafted rubrics (as the teacher would
get them) to read.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from data import data_dir, load_corpus, load_five_way, question_of  # noqa: E402

from grader import Checker, load_rubric  # noqa: E402
from grader.draft import draft_rubric  # noqa: E402
from grader.evaluate import Agreement, ScoredAnswer, check_scored  # noqa: E402
from grader.nlp import load_pipeline  # noqa: E402


def figures(a: Agreement) -> dict[str, Any]:
    return {"n": a.n, "qwk": a.qwk, "exact": a.exact, "adjacent": a.adjacent}


def run(folder: Path, split: str, write: Path | None = None) -> dict[str, Any]:
    questions, items = load_corpus(folder, "sciEntsBank", split)
    dotted = {q.id: question_of(next(it.id for it in items if it.question == q.id)) for q in questions}
    labels = {it.id: it for it in load_five_way(folder, set(dotted.values()), split)[split]}
    nlp = load_pipeline()
    hand = HERE / "rubrics-uq" if split == "test-uq" else None
    rows = []
    pooled: dict[str, list[float]] = {"teacher": [], "draft": [], "hand": []}
    start = time.perf_counter()
    for q in questions:
        answers = [
            ScoredAnswer(it.id, n + 2, it.answer, labels[it.id].score)
            for n, it in enumerate(x for x in items if x.question == q.id)
            if it.id in labels
        ]
        stem = q.rubric_stem
        result = draft_rubric(q.text, q.references[0], nlp, rubric_id=f"semeval-draft/{stem}", max_score=2)
        if write is not None:
            write.mkdir(parents=True, exist_ok=True)
            (write / f"{stem}.yaml").write_text(result.text, encoding="utf-8")
        teacher = [a.score for a in answers]
        drafted = [fb.score for fb in check_scored(Checker(result.rubric, nlp), answers)]
        row: dict[str, Any] = {
            "question": dotted[q.id],
            "concepts": len(result.rubric.concepts),
            "key_elements": len(result.rubric.scoring.key_elements or []),
            "links": len(result.rubric.links),
            "draft": figures(Agreement.of(teacher, drafted)),
        }
        pooled["teacher"] += teacher
        pooled["draft"] += drafted
        if hand is not None and (hand / f"{stem}.yaml").is_file():
            by_hand = [
                fb.score for fb in check_scored(Checker(load_rubric(hand / f"{stem}.yaml"), nlp), answers)
            ]
            row["hand"] = figures(Agreement.of(teacher, by_hand))
            pooled["hand"] += by_hand
        rows.append(row)
    out: dict[str, Any] = {
        "split": split,
        "questions": rows,
        "draft": figures(Agreement.of(pooled["teacher"], pooled["draft"])),
        "seconds": time.perf_counter() - start,
    }
    if pooled["hand"] and len(pooled["hand"]) == len(pooled["teacher"]):
        out["hand"] = figures(Agreement.of(pooled["teacher"], pooled["hand"]))
    return out


def _f(x: float | None, pct: bool = False) -> str:
    if x is None:
        return "-"
    return f"{100 * x:.0f}%" if pct else f"{x:.2f}"


def print_report(r: dict[str, Any]) -> None:
    print(
        f"SciEntsBank {r['split']}: rubrics drafted from each question and its reference answer, "
        "no human edit"
    )
    print("scale: 5-way labels, correct=2, partially_correct_incomplete=1, others=0")
    print()
    hand = "hand" in r
    head = f"{'question':10}{'n':>5}{'concepts':>9}{'keys':>5}{'links':>6}  {'QWK':>5}{'exact':>7}{'adj':>6}"
    print(head + (f"   {'by hand: QWK':>12}{'exact':>7}" if hand else ""))
    for q in r["questions"]:
        d = q["draft"]
        line = (
            f"{q['question']:10}{d['n']:>5}{q['concepts']:>9}{q['key_elements']:>5}{q['links']:>6}  "
            f"{_f(d['qwk']):>5}{_f(d['exact'], True):>7}{_f(d['adjacent'], True):>6}"
        )
        if hand and "hand" in q:
            line += f"   {_f(q['hand']['qwk']):>12}{_f(q['hand']['exact'], True):>7}"
        print(line)
    d = r["draft"]
    line = (
        f"{'pooled':10}{d['n']:>5}{'':>20}  "
        f"{_f(d['qwk']):>5}{_f(d['exact'], True):>7}{_f(d['adjacent'], True):>6}"
    )
    if hand:
        line += f"   {_f(r['hand']['qwk']):>12}{_f(r['hand']['exact'], True):>7}"
    print(line)
    print(f"\n({r['seconds']:.0f} s, drafting and scoring)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="the semeval2013-task7 folder")
    parser.add_argument("--split", choices=["test-uq", "train", "test-ua"], default="test-uq")
    parser.add_argument("--write", type=Path, help="also save the drafted rubrics in this folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    folder = data_dir(args.data)
    if not (folder / "scientsbank_5way_parquet").is_dir() or not (folder / "semeval-3way.zip").is_file():
        print(
            f"SemEval-2013 Task 7 data not found in {folder}; skipping "
            "(give --data DIR or set GRADER_SEMEVAL_DIR)"
        )
        return 0
    result = run(folder, args.split, args.write)
    print(json.dumps(result) if args.json else "", end="\n" if args.json else "")
    if not args.json:
        print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
