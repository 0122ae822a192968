"""Agreement of the checker with real teachers' labels on SciEntsBank (SemEval-2013 Task 7).

For each question with a rubric in ./rubrics, the rubric was written from the
question, its reference answer and its training answers; figures are reported
on the unseen-answers test split (test-ua) of the same questions, raw and with
a calibration fitted on the training answers only. With --split test-uq
--rubrics benchmarks/semeval/rubrics-uq, the rubrics are those of the
unseen-questions test split, written from each question and its reference
answer only (those questions have no training answers, so there is no
calibration). The data is read where it lies (never copied into this
repository):

    python benchmarks/semeval/run.py [--data DIR] [--split test-ua|test-uq] [--rubrics DIR]
                                     [--json] [--csv-dir DIR]

DIR defaults to $GRADER_SEMEVAL_DIR, else ../shared/data/semeval2013-task7
beside the repository. Labels become scores: with the 5-way labels (read with
pyarrow when it is installed) correct=2, partially_correct_incomplete=1,
contradictory/irrelevant/non_domain=0; without pyarrow, the 3-way labels from
the zip: correct=2, contradictory/incorrect=0 (no partial level, so no
calibration).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from data import Item, data_dir, load_five_way, load_three_way  # noqa: E402

from grader import Checker, load_rubric  # noqa: E402
from grader.calibration import CalibrationError, calibrate  # noqa: E402
from grader.evaluate import Agreement, Evaluation, ScoredAnswer, ScoredSet, check_scored  # noqa: E402
from grader.nlp import load_pipeline  # noqa: E402

# SciEntsBank question id -> rubric file
QUESTIONS = {
    "EM.47": "em-47.yaml",
    "LF.33b": "lf-33b.yaml",
    "ME.66b": "me-66b.yaml",
    "ME.5b": "me-5b.yaml",
    "MX.19": "mx-19.yaml",
    "ST.52a": "st-52a.yaml",
    "SE.4a": "se-4a.yaml",
    "LF.18a": "lf-18a.yaml",
    "MX.42a": "mx-42a.yaml",
    "ME.27b": "me-27b.yaml",
    "SE.3c": "se-3c.yaml",
    "ST.25b2": "st-25b2.yaml",
}
SCALE_5 = "5-way labels: correct=2, partially_correct_incomplete=1, contradictory/irrelevant/non_domain=0"
SCALE_3 = "3-way labels: correct=2, contradictory/incorrect=0"
WRITTEN_FROM = {
    "test-ua": "rubrics written from each question's reference and training answers; reported on test-ua",
    "test-uq": "rubrics written from each question and its reference answer only, before reading any "
    "answer; reported on test-uq",
}


def questions_in(rubrics: Path) -> dict[str, str]:
    """Question id -> rubric file: the list above for ./rubrics, else from the file names
    (em-33b.yaml is EM.33b)."""
    if rubrics.resolve() == (HERE / "rubrics").resolve():
        return QUESTIONS
    out = {}
    for path in sorted(rubrics.glob("*.yaml")):
        module, _, number = path.stem.partition("-")
        out[f"{module.upper()}.{number}"] = path.name
    return out


def scored_set(items: list[Item], source: str) -> ScoredSet:
    return ScoredSet(
        source, [ScoredAnswer(it.id, i + 1, it.answer, it.score) for i, it in enumerate(items)], []
    )


def figures(a: Agreement) -> dict[str, Any]:
    return {"n": a.n, "qwk": a.qwk, "exact": a.exact, "adjacent": a.adjacent}


def contradictory_handling(items: list[Item], feedbacks: list[Any]) -> dict[str, Any]:
    """How the checker scored answers the annotators labelled contradictory."""
    pairs = [(it, fb) for it, fb in zip(items, feedbacks, strict=True) if it.label == "contradictory"]
    scores = Counter(fb.score for _, fb in pairs)
    return {
        "n": len(pairs),
        "full_credit": scores.get(2.0, 0),
        "partial_credit": scores.get(1.0, 0),
        "no_credit": scores.get(0.0, 0),
        "misconception_fired": sum(1 for _, fb in pairs if fb.misconceptions),
        "negated_concept": sum(1 for _, fb in pairs if any(c.status == "negated" for c in fb.concepts)),
    }


def run(
    folder: Path, csv_dir: Path | None, split: str = "test-ua", rubrics: Path = HERE / "rubrics"
) -> dict[str, Any]:
    questions = questions_in(rubrics)
    try:
        import pyarrow  # noqa: F401

        splits, scale = load_five_way(folder, questions, split), SCALE_5
    except ImportError:
        splits, scale = load_three_way(folder, questions, split), SCALE_3
    nlp = load_pipeline()
    out: dict[str, Any] = {"scale": scale, "questions": [], "split_reported": split}
    pooled: dict[str, list[float]] = {
        "teacher": [],
        "raw": [],
        "calibrated": [],
        "train_teacher": [],
        "train_raw": [],
    }
    contra_items: list[Item] = []
    contra_fbs: list[Any] = []
    test_items: list[Item] = []
    test_fbs: list[Any] = []
    for qid, rubric_file in questions.items():
        rubric = load_rubric(rubrics / rubric_file)
        train = [it for it in splits["train"] if it.question == qid]
        test = [it for it in splits[split] if it.question == qid]
        if not test:
            raise SystemExit(f"{qid} has no {split} answers; give the rubrics of that split with --rubrics")
        checker = Checker(rubric, nlp)
        train_set, test_set = scored_set(train, f"{qid} train"), scored_set(test, f"{qid} {split}")
        train_fb = check_scored(checker, train_set.answers)
        test_fb = check_scored(checker, test_set.answers)
        if csv_dir is not None:
            for name, items in (("train", train), (split, test)):
                if items:
                    write_csv(csv_dir / f"{rubric_file.removesuffix('.yaml')}-{name}.csv", items)
        row: dict[str, Any] = {
            "question": qid,
            "rubric": rubric.id,
            # unseen questions have no training answers
            "train": figures(Evaluation(rubric, train_set, train_fb).machine) if train else None,
            "test_raw": figures(Evaluation(rubric, test_set, test_fb).machine),
        }
        try:
            if not train:
                raise CalibrationError("no training answers for this question")
            cal = calibrate(rubric, train_set, train_fb).calibration
            test_cal = [cal.apply(fb) for fb in test_fb]
            row["test_calibrated"] = figures(Agreement.of(test_set.scores, [fb.score for fb in test_cal]))
            pooled["calibrated"] += [fb.score for fb in test_cal]
        except CalibrationError as exc:
            row["test_calibrated"] = None
            row["calibration_refused"] = str(exc)
            pooled["calibrated"] += [fb.score for fb in test_fb]
        pooled["teacher"] += test_set.scores
        pooled["raw"] += [fb.score for fb in test_fb]
        pooled["train_teacher"] += train_set.scores
        pooled["train_raw"] += [fb.score for fb in train_fb]
        contra_items += train + test
        contra_fbs += train_fb + test_fb
        test_items += test
        test_fbs += test_fb
        row["contradictory_test"] = contradictory_handling(test, test_fb)
        out["questions"].append(row)
    out["overall"] = {
        "train": figures(Agreement.of(pooled["train_teacher"], pooled["train_raw"]))
        if pooled["train_teacher"]
        else None,
        "test_raw": figures(Agreement.of(pooled["teacher"], pooled["raw"])),
        # pooled only when every question could be calibrated
        "test_calibrated": None
        if any(q["test_calibrated"] is None for q in out["questions"])
        else figures(Agreement.of(pooled["teacher"], pooled["calibrated"])),
    }
    out["contradictory"] = contradictory_handling(contra_items, contra_fbs)
    out["contradictory_test"] = contradictory_handling(test_items, test_fbs)
    return out


def write_csv(path: Path, items: list[Item]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "answer", "score", "label"])
        for it in items:
            w.writerow([it.id, it.answer, int(it.score), it.label])


def _f(x: float | None, pct: bool = False) -> str:
    if x is None:
        return "-"
    return f"{100 * x:.0f}%" if pct else f"{x:.2f}"


def print_report(r: dict[str, Any]) -> None:
    print("SciEntsBank (SemEval-2013 Task 7): agreement of grader with the annotators' labels")
    print(f"scale: {r['scale']}")
    split = r["split_reported"]
    print(WRITTEN_FROM[split])
    print()
    print(f"{'':10}{split:>4}{'raw':>9}{'':13}{'calibrated':>12}{'':11}{'train (seen)':>14}")
    print(
        f"{'question':10}{'n':>4}  {'QWK':>6}{'exact':>7}{'adj':>6}  {'QWK':>6}{'exact':>7}{'adj':>6}"
        f"  {'n':>4}{'QWK':>6}{'exact':>7}"
    )
    rows = [(q["question"], q["test_raw"], q["test_calibrated"], q["train"]) for q in r["questions"]]
    rows.append(("overall", r["overall"]["test_raw"], r["overall"]["test_calibrated"], r["overall"]["train"]))
    for name, raw, cal, tr in rows:
        cal = cal or {"qwk": None, "exact": None, "adjacent": None}
        tr = tr or {"n": 0, "qwk": None, "exact": None}
        print(
            f"{name:10}{raw['n']:>4}  {_f(raw['qwk']):>6}{_f(raw['exact'], True):>7}"
            f"{_f(raw['adjacent'], True):>6}"
            f"  {_f(cal['qwk']):>6}{_f(cal['exact'], True):>7}{_f(cal['adjacent'], True):>6}"
            f"  {tr['n']:>4}{_f(tr['qwk']):>6}{_f(tr['exact'], True):>7}"
        )
    if r["overall"]["train"] is not None:
        print(
            "train: the answers read while writing the rubrics (and fitting the calibration), so optimistic"
        )
    for q in r["questions"]:
        if q.get("calibration_refused") and q["train"] is not None:
            print(f"{q['question']}: no calibration ({q['calibration_refused']})")
    print()
    both = r["overall"]["train"] is not None
    for name, c in ((split, r["contradictory_test"]), *([(f"train and {split}", r["contradictory"])] * both)):
        print(
            f"contradictory answers ({name}, n={c['n']}): full credit {c['full_credit']}, "
            f"partial {c['partial_credit']}, none {c['no_credit']}; a misconception fired in "
            f"{c['misconception_fired']}, a concept was found negated in {c['negated_concept']}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="the semeval2013-task7 folder")
    parser.add_argument(
        "--split", choices=["test-ua", "test-uq"], default="test-ua", help="the split to report on"
    )
    parser.add_argument(
        "--rubrics", type=Path, default=HERE / "rubrics", help="rubric folder (em-33b.yaml for EM.33b)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--csv-dir", type=Path, help="also write each question's answers as CSV for grader evaluate"
    )
    args = parser.parse_args()
    folder = data_dir(args.data)
    if not (folder / "scientsbank_5way_parquet").is_dir() and not (folder / "semeval-3way.zip").is_file():
        print(
            f"SemEval-2013 Task 7 data not found in {folder}; skipping "
            "(give --data DIR or set GRADER_SEMEVAL_DIR)"
        )
        return 0
    result = run(folder, args.csv_dir, args.split, args.rubrics)
    if args.json:
        print(json.dumps(result))
    else:
        print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
