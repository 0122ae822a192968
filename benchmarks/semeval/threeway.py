"""SemEval-2013 Task 7 three-way figures: the checker's label beside the lexical-overlap baseline.

For each split, every answer gets a 3-way label (correct / contradictory /
incorrect) two ways, and both are compared with the annotators' labels
(accuracy, macro-F1, weighted F1, per-class precision/recall/F1, confusion):

- grader: the question's rubric checks the answer, and the label follows from
  the Feedback (see `three_way_label`): contradictory when a misconception
  fired; else correct when every key element of the rubric is present; else
  contradictory when a concept of a key element was found only negated; else
  incorrect.
- baseline: the task's lexical-overlap baseline (Dzikovska et al. 2012, 2013):
  eight overlap features of the answer against the question text and against
  its best-matching reference answer (see `overlap_features`), fed to an
  entropy decision tree trained on the same corpus's training split.

Splits: Beetle unseen questions (rubrics-beetle-uq/), SciEntsBank unseen
questions (rubrics-uq/), and SciEntsBank unseen answers of the twelve
questions that have a rubric in rubrics/. The data is read where it lies
(never copied into this repository):

    python benchmarks/semeval/threeway.py [--data DIR] [--split NAME ...] [--json]

DIR defaults to $GRADER_SEMEVAL_DIR, else ../shared/data/semeval2013-task7
beside the repository.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from data import ZIP_NAME, Item, Question, data_dir, explicit_data_dir, load_corpus  # noqa: E402

from grader import Checker, Feedback, load_rubric  # noqa: E402
from grader.errors import EXIT_BAD_INPUT, GraderError  # noqa: E402
from grader.nlp import load_pipeline  # noqa: E402
from grader.rubric import Rubric, parse_link  # noqa: E402

LABELS = ("correct", "contradictory", "incorrect")
DERIVATION = (
    "contradictory if a misconception fired; else correct if every key element is present "
    "(full marks, for a rubric scored by points); else contradictory if a key element's concept "
    "is only negated; else incorrect"
)


@dataclass(frozen=True)
class Split:
    name: str
    title: str
    corpus: str  # as the zip spells it
    split: str  # test-uq / test-ua
    rubrics: Path
    every_question: bool  # the rubrics must cover every question of the split


SPLIT_SETS = {
    s.name: s
    for s in (
        Split("beetle-uq", "Beetle test-uq", "beetle", "test-uq", HERE / "rubrics-beetle-uq", True),
        Split("scientsbank-uq", "SciEntsBank test-uq", "sciEntsBank", "test-uq", HERE / "rubrics-uq", True),
        # the twelve questions with a rubric written from their training answers
        Split("scientsbank-ua", "SciEntsBank test-ua", "sciEntsBank", "test-ua", HERE / "rubrics", False),
    )
}


class DataError(Exception):
    """The data or a rubric folder is not what the script needs; the message says what to do."""


# --- the checker's three-way label --------------------------------------------------------


def key_elements(rubric: Rubric) -> list[tuple[list[str], int]]:
    """The rubric's key elements as (members, how many of them count): a concept or link
    is ([itself], 1), a group is (its members, its `counts`). Empty for a rubric scored by
    points per concept and link."""
    s = rubric.scoring
    groups = {g.id: g for g in s.groups}
    out = []
    for el in s.key_elements or []:
        if el in groups:
            g = groups[el]
            out.append((list(g.members), min(g.counts, len(g.members))))
        else:
            out.append(([el], 1))
    return out


def _link_key(text: str) -> str | None:
    try:
        return "{} -> {}".format(*parse_link(text))
    except ValueError:
        return None


def key_element_concepts(rubric: Rubric) -> set[str]:
    """Concepts that a key element is made of: the concept itself, a group's concepts, a
    link's two ends; for a rubric scored by points, every concept."""
    if rubric.scoring.key_elements is None:
        return {c.id for c in rubric.concepts}
    out: set[str] = set()
    for members, _ in key_elements(rubric):
        for m in members:
            key = _link_key(m)
            out.update(parse_link(key) if key else (m,))
    return out


def all_key_elements_present(rubric: Rubric, fb: Feedback) -> bool:
    """Every key element shown (a group: as many members as it counts). A rubric scored by
    points has no key elements: there the complete answer is the one with full marks."""
    if rubric.scoring.key_elements is None:
        return fb.score >= rubric.max_score()
    shown = set(fb.credited_concepts) | set(fb.credited_links)

    def present(member: str) -> bool:
        return member in shown or _link_key(member) in shown

    return all(sum(present(m) for m in members) >= counts for members, counts in key_elements(rubric))


def three_way_label(rubric: Rubric, fb: Feedback) -> str:
    """correct / contradictory / incorrect, from what the checker found.

    A stated misconception makes the answer contradictory even beside correct
    statements (the annotators label an answer that contradicts the reference
    contradictory). Otherwise every key element present is correct; a key
    element's concept found only in a negation ("there is no gap") is
    contradictory; anything else is incorrect (partial, off-topic, empty)."""
    if fb.misconceptions:
        return "contradictory"
    if all_key_elements_present(rubric, fb):
        return "correct"
    wanted = key_element_concepts(rubric)
    if any(c.status == "negated" and c.id in wanted for c in fb.concepts):
        return "contradictory"
    return "incorrect"


# --- the lexical-overlap baseline ---------------------------------------------------------

WORD_RE = re.compile(r"[a-z0-9]+(?:['.][a-z0-9]+)*")
FEATURES = [
    f"{against}_{name}" for against in ("question", "reference") for name in ("raw", "cosine", "f1", "lesk")
]


def words(text: str) -> list[str]:
    """Lower-case words and numbers ("1.5", "don't"); no stemming, no stop list."""
    return WORD_RE.findall(text.lower())


def overlaps(a: Sequence[str], b: Sequence[str]) -> list[int]:
    """Lengths of the word sequences a and b share, found longest first, each word used at
    most once on each side (as Text::Similarity::Overlaps counts them)."""
    used_a, used_b = [False] * len(a), [False] * len(b)
    found = []
    while True:
        best = (0, 0, 0)
        for i in range(len(a)):
            if used_a[i]:
                continue
            for j in range(len(b)):
                if used_b[j] or a[i] != b[j]:
                    continue
                k = 1
                while (
                    i + k < len(a)
                    and j + k < len(b)
                    and not used_a[i + k]
                    and not used_b[j + k]
                    and a[i + k] == b[j + k]
                ):
                    k += 1
                if k > best[0]:
                    best = (k, i, j)
        k, i, j = best
        if k == 0:
            return found
        used_a[i : i + k] = [True] * k
        used_b[j : j + k] = [True] * k
        found.append(k)


def overlap_scores(a: Sequence[str], b: Sequence[str]) -> tuple[float, float, float, float]:
    """(raw, cosine, F1, Lesk) of two word lists: raw = words in shared sequences;
    cosine = raw / sqrt(|a| |b|); F1 of precision raw/|b| and recall raw/|a|;
    Lesk = sum of squared shared-sequence lengths / (|a| |b|)."""
    if not a or not b:
        return (0.0, 0.0, 0.0, 0.0)
    lens = overlaps(a, b)
    raw = sum(lens)
    if raw == 0:
        return (0.0, 0.0, 0.0, 0.0)
    precision, recall = raw / len(b), raw / len(a)
    f1 = 2 * precision * recall / (precision + recall)
    return (float(raw), raw / math.sqrt(len(a) * len(b)), f1, sum(k * k for k in lens) / (len(a) * len(b)))


def overlap_features(answer: str, question: Question) -> list[float]:
    """The eight baseline features: (raw, cosine, F1, Lesk) against the question text, then
    against the reference answer with the highest F1 (ties: more shared words, then the
    first listed)."""
    ans = words(answer)
    against_question = overlap_scores(ans, words(question.text))
    refs = [overlap_scores(ans, words(r)) for r in question.references] or [(0.0, 0.0, 0.0, 0.0)]
    best = max(refs, key=lambda s: (s[2], s[0]))
    return [*against_question, *best]


@dataclass
class Baseline:
    """Entropy decision tree on the overlap features, trained on one corpus's training split.
    Pruning (cost-complexity alpha) is chosen by 5-fold cross-validation on the training
    answers, for macro-F1; leaves hold at least 2 answers (C4.5's default)."""

    corpus: str
    alphas: tuple[float, ...] = (0.0, 0.0005, 0.001, 0.002, 0.004, 0.008)

    def fit(self, questions: list[Question], items: list[Item]) -> Baseline:
        from sklearn.model_selection import StratifiedKFold, cross_val_score

        X, y = self._features(questions, items), [it.label for it in items]
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
        self.cv_ = {
            a: float(cross_val_score(self._tree(a), X, y, cv=folds, scoring="f1_macro").mean())
            for a in self.alphas
        }
        # the simplest tree within 0.005 of the best
        top = max(self.cv_.values())
        self.alpha_ = max(a for a, f in self.cv_.items() if f >= top - 0.005)
        self.tree_ = self._tree(self.alpha_).fit(X, y)
        self.n_train_ = len(items)
        self.train_questions_ = len(questions)
        return self

    def predict(self, questions: list[Question], items: list[Item]) -> list[str]:
        return [str(p) for p in self.tree_.predict(self._features(questions, items))]

    def _tree(self, alpha: float) -> Any:
        from sklearn.tree import DecisionTreeClassifier

        return DecisionTreeClassifier(
            criterion="entropy", min_samples_leaf=2, ccp_alpha=alpha, random_state=0
        )

    @staticmethod
    def _features(questions: list[Question], items: list[Item]) -> list[list[float]]:
        by_id = {q.id: q for q in questions}
        return [overlap_features(it.answer, by_id[it.question]) for it in items]

    def describe(self) -> dict[str, Any]:
        return {
            "corpus": self.corpus,
            "trained_on": f"{self.corpus} training split",
            "n_train": self.n_train_,
            "train_questions": self.train_questions_,
            "features": FEATURES,
            "tree": "sklearn DecisionTreeClassifier(criterion='entropy', min_samples_leaf=2)",
            "ccp_alpha": self.alpha_,
            "cv_macro_f1": {str(a): round(f, 4) for a, f in self.cv_.items()},
            "leaves": int(self.tree_.get_n_leaves()),
        }


# --- figures ------------------------------------------------------------------------------


def metrics(truth: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro- and weighted-average F1, per-class P/R/F1 and the confusion matrix
    (rows: the annotators' labels, columns: predicted; both in LABELS order)."""
    per_class = {}
    for label in LABELS:
        tp = sum(1 for t, p in zip(truth, pred, strict=True) if t == p == label)
        predicted = sum(1 for p in pred if p == label)
        support = sum(1 for t in truth if t == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    n = len(truth)
    present = [lb for lb in LABELS if per_class[lb]["support"]]
    return {
        "n": n,
        "accuracy": sum(1 for t, p in zip(truth, pred, strict=True) if t == p) / n if n else 0.0,
        "macro_f1": sum(per_class[lb]["f1"] for lb in present) / len(present) if present else 0.0,
        "weighted_f1": sum(per_class[lb]["f1"] * per_class[lb]["support"] for lb in LABELS) / n if n else 0.0,
        "per_class": per_class,
        "confusion": [
            [sum(1 for t, p in zip(truth, pred, strict=True) if (t, p) == (a, b)) for b in LABELS]
            for a in LABELS
        ],
    }


def rubric_files(split: Split, questions: list[Question]) -> dict[str, Path]:
    """Question id -> rubric file; every question of an unseen-questions split must have one."""
    if not split.rubrics.is_dir():
        raise DataError(f"{split.rubrics}: no such rubric folder")
    files = {p.stem: p for p in split.rubrics.glob("*.yaml")}
    out = {q.id: files[q.rubric_stem] for q in questions if q.rubric_stem in files}
    missing = [q for q in questions if q.id not in out]
    if split.every_question and missing:
        names = ", ".join(f"{q.rubric_stem}.yaml" for q in missing)
        raise DataError(
            f"{split.rubrics}: no rubric for {len(missing)} question(s) of {split.title}: {names}"
        )
    if not out:
        raise DataError(f"{split.rubrics}: no rubric names a question of {split.title}")
    return out


def run_split(split: Split, folder: Path, nlp: Any, baseline: Baseline) -> dict[str, Any]:
    questions, items = load_corpus(folder, split.corpus, split.split)
    rubrics = rubric_files(split, questions)
    questions = [q for q in questions if q.id in rubrics]
    items = [it for it in items if it.question in rubrics]
    pred_grader = [""] * len(items)
    started = time.perf_counter()
    for q in questions:
        rubric = load_rubric(rubrics[q.id])
        mine = [i for i, it in enumerate(items) if it.question == q.id]
        checker = Checker(rubric, nlp)
        for i, fb in zip(mine, checker.check_many(items[i].answer for i in mine), strict=True):
            pred_grader[i] = three_way_label(rubric, fb)
    seconds = time.perf_counter() - started
    truth = [it.label for it in items]
    pred_base = baseline.predict(questions, items)
    per_question = []
    for q in questions:
        idx = [i for i, it in enumerate(items) if it.question == q.id]
        per_question.append(
            {
                "question": q.id,
                "rubric": rubrics[q.id].name,
                "n": len(idx),
                "labels": dict(Counter(truth[i] for i in idx)),
                "grader_accuracy": sum(truth[i] == pred_grader[i] for i in idx) / len(idx),
                "baseline_accuracy": sum(truth[i] == pred_base[i] for i in idx) / len(idx),
                "grader_macro_f1": metrics([truth[i] for i in idx], [pred_grader[i] for i in idx])[
                    "macro_f1"
                ],
            }
        )
    return {
        "split": split.name,
        "title": split.title,
        "corpus": split.corpus,
        "zip_split": split.split,
        "rubrics": str(split.rubrics.relative_to(ROOT)),
        "questions": len(questions),
        "n": len(items),
        "labels": {lb: truth.count(lb) for lb in LABELS},
        "grader": metrics(truth, pred_grader),
        "baseline": metrics(truth, pred_base),
        "majority_class": metrics(truth, [Counter(truth).most_common(1)[0][0]] * len(truth)),
        "check_seconds": round(seconds, 2),
        "per_question": per_question,
    }


def run(folder: Path, names: Sequence[str]) -> dict[str, Any]:
    splits = [SPLIT_SETS[n] for n in names]
    baselines: dict[str, Baseline] = {}
    for corpus in dict.fromkeys(s.corpus for s in splits):
        train_q, train_items = load_corpus(folder, corpus, "train")
        baselines[corpus] = Baseline(corpus).fit(train_q, train_items)
    nlp = load_pipeline()
    return {
        "derivation": DERIVATION,
        "baselines": {c: b.describe() for c, b in baselines.items()},
        "splits": [run_split(s, folder, nlp, baselines[s.corpus]) for s in splits],
    }


# --- report -------------------------------------------------------------------------------


def print_report(r: dict[str, Any]) -> None:
    print("SemEval-2013 Task 7, three-way labels (correct / contradictory / incorrect)")
    print(f"grader: {DERIVATION}")
    print("baseline: lexical overlap with the question and the best reference answer, decision tree")
    print()
    print(
        f"{'split':22}{'questions':>10}{'n':>6}  {'system':10}"
        f"{'accuracy':>9}{'macro-F1':>10}{'weighted-F1':>13}"
    )
    for s in r["splits"]:
        first = True
        for system in ("grader", "baseline", "majority_class"):
            m = s[system]
            head = f"{s['title']:22}{s['questions']:>10}{s['n']:>6}" if first else " " * 38
            name = "majority" if system == "majority_class" else system
            print(f"{head}  {name:10}{m['accuracy']:>9.3f}{m['macro_f1']:>10.3f}{m['weighted_f1']:>13.3f}")
            first = False
    for s in r["splits"]:
        print()
        labels = ", ".join(f"{k} {v}" for k, v in s["labels"].items())
        print(f"{s['title']} ({labels}); rubrics: {s['rubrics']}")
        print(f"  {'':15}{'grader P / R / F1':>22}   {'baseline P / R / F1':>22}")
        for lb in LABELS:
            g, b = s["grader"]["per_class"][lb], s["baseline"]["per_class"][lb]
            print(
                f"  {lb:15}{g['precision']:>8.2f}{g['recall']:>7.2f}{g['f1']:>7.2f}"
                f"   {b['precision']:>8.2f}{b['recall']:>7.2f}{b['f1']:>7.2f}"
            )
        print("  confusion (rows: annotators; columns: correct, contradictory, incorrect)")
        for lb, g_row, b_row in zip(
            LABELS, s["grader"]["confusion"], s["baseline"]["confusion"], strict=True
        ):
            g_cells = "".join(f"{x:>6}" for x in g_row)
            b_cells = "".join(f"{x:>6}" for x in b_row)
            print(f"  {lb:15}grader{g_cells}   baseline{b_cells}")
        print("  per question: n, grader accuracy, baseline accuracy")
        for q in s["per_question"]:
            print(
                f"    {q['question']:34}{q['n']:>5}{q['grader_accuracy']:>7.2f}{q['baseline_accuracy']:>7.2f}"
            )
    print()
    for corpus, b in r["baselines"].items():
        print(
            f"baseline for {corpus}: trained on {b['n_train']} answers to {b['train_questions']} training "
            f"questions; ccp_alpha {b['ccp_alpha']} (5-fold CV), {b['leaves']} leaves"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", help="the semeval2013-task7 folder")
    parser.add_argument(
        "--split",
        action="append",
        choices=list(SPLIT_SETS),
        help="a split to report on (repeatable; default: all three)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    folder = data_dir(args.data)
    if not (folder / ZIP_NAME).is_file():
        if explicit_data_dir(args.data):
            print(
                f"threeway: {folder / ZIP_NAME}: not found; give --data the folder that holds "
                f"SemEval-2013 Task 7's {ZIP_NAME}",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
        print(
            f"SemEval-2013 Task 7 data not found in {folder}; skipping "
            "(give --data DIR or set GRADER_SEMEVAL_DIR)"
        )
        return 0
    try:
        result = run(folder, args.split or list(SPLIT_SETS))
    except (DataError, GraderError) as exc:
        print(f"threeway: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (zipfile.BadZipFile, ET.ParseError, OSError) as exc:
        print(f"threeway: {folder / ZIP_NAME}: cannot read it ({exc}); check the file", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(result))
    else:
        print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
