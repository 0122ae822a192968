"""Precision and recall of the checker's linguistics on the labelled development set.

Runs every item of tests/devset/*.yaml through its rubric (the public API:
Checker(load_rubric(path)).check(text)) and prints precision and recall per
phenomenon tag, per tag family (the part before the first dot), per origin
(own writing, Beetle, SciEntsBank; and the answers the SemEval annotators
labelled contradictory), and overall, for five kinds of finding:

    concepts        TP an expected concept credited; FN an expected concept not credited;
                    FP a concept labelled `negated` or `absent` credited.
    negation        TP a `negated` concept reported negated; FN reported otherwise (credited
                    or missing); FP a concept labelled credited reported negated.
    links           TP an expected link credited; FN not credited; FP a `not_links` or
                    `reversed` link credited.
    direction       TP a `reversed` link reported reversed (not credited, note 'reversed');
                    FN not so reported; FP a `links` or `not_links` link reported reversed.
    misconceptions  TP an expected misconception found; FN not found; FP a
                    `not_misconceptions` one found.

precision = TP / (TP + FP), recall = TP / (TP + FN); "-" where there is nothing
to divide. "all" sums the five kinds. An item passes when it has no FN and no FP
of any kind; "pass" counts them.

    python benchmarks/devset.py [--tag TAG ...] [--json] [--failures] [--data DIR]

--tag keeps the items with a tag equal to TAG or below it (--tag negation keeps
negation.relcl too); repeat it for several. SemEval-sourced items read their
answers from DIR (default $GRADER_SEMEVAL_DIR, else
../shared/data/semeval2013-task7 beside the repository) and are left out, with a
line saying so, when it is absent. Exit code 0, or 2 for a devset file that
cannot be read (the message names the file, line and field).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location("devset", ROOT / "tests" / "devset" / "__init__.py")
assert _spec is not None and _spec.loader is not None
devset = importlib.util.module_from_spec(_spec)
sys.modules["devset"] = devset
_spec.loader.exec_module(devset)

from grader import Checker, load_rubric  # noqa: E402
from grader.nlp import load_pipeline  # noqa: E402

KINDS = devset.KINDS


def _kept(tag: str, wanted: list[str]) -> bool:
    """True when `tag` is one of `wanted` or below one (negation.relcl is below negation)."""
    return any(tag == w or tag.startswith(w + ".") for w in wanted)


def _group_counts() -> dict[str, Any]:
    return {"items": 0, "passed": 0, "counts": {k: devset.Counts() for k in KINDS}}


def run(tags: list[str], data: Path | None) -> dict[str, Any]:
    items = devset.load_devset()
    if tags:
        items = [it for it in items if any(_kept(t, tags) for t in it.phenomena)]
    answers = devset.SemevalAnswers.find(data)
    skipped = [it for it in items if it.source and answers is None]
    items = [it for it in items if it not in skipped]
    nlp = load_pipeline()
    by_rubric: dict[Path, list[Any]] = defaultdict(list)
    for it in items:
        by_rubric[it.rubric].append(it)
    groups: dict[str, dict[str, Any]] = defaultdict(_group_counts)
    failures: list[dict[str, Any]] = []
    started = time.perf_counter()
    for path, rubric_items in by_rubric.items():
        checker = Checker(load_rubric(path), nlp)
        labels, texts = [], []
        for it in rubric_items:
            if it.source:
                text, label = answers.get(it.source)
            else:
                text, label = it.text, None
            texts.append(text)
            labels.append(label)
        for it, label, fb in zip(rubric_items, labels, checker.check_many(texts), strict=True):
            verdict = devset.judge(it, fb)
            names = {"all", f"origin:{it.origin}"}
            if label == "contradictory":
                names.add("origin:contradictory")
            for tag in it.phenomena:
                if not tags or _kept(tag, tags):
                    names.add(tag)
                    names.add(tag.split(".")[0] + ".*")
            for name in names:
                g = groups[name]
                g["items"] += 1
                g["passed"] += verdict.passed
                for kind in KINDS:
                    g["counts"][kind].add(verdict.counts[kind])
            if not verdict.passed:
                failures.append({"id": it.id, "phenomena": list(it.phenomena), "failures": verdict.failures})
    seconds = time.perf_counter() - started
    return {
        "items": len(items),
        "skipped_no_data": len(skipped),
        "seconds": round(seconds, 2),
        "groups": {name: _figures(g) for name, g in sorted(groups.items())},
        "failures": failures,
    }


def _figures(g: dict[str, Any]) -> dict[str, Any]:
    total = devset.Counts()
    out: dict[str, Any] = {"items": g["items"], "passed": g["passed"]}
    for kind in KINDS:
        c = g["counts"][kind]
        total.add(c)
        out[kind] = _prf(c)
    out["all"] = _prf(total)
    return out


def _prf(c: Any) -> dict[str, Any]:
    return {"tp": c.tp, "fp": c.fp, "fn": c.fn, "precision": c.precision, "recall": c.recall}


def _pr(f: dict[str, Any]) -> str:
    if f["tp"] + f["fp"] + f["fn"] == 0:
        return "-"
    p = "-" if f["precision"] is None else f"{f['precision']:.2f}"
    r = "-" if f["recall"] is None else f"{f['recall']:.2f}"
    return f"{p} {r}"


def _order(name: str) -> tuple[int, str]:
    if name == "all":
        return (2, "")
    if name.startswith("origin:"):
        return (1, name)
    family = name.split(".")[0]
    return (0, family + ("" if name.endswith(".*") else "~" + name))


def print_report(r: dict[str, Any], show_failures: bool) -> None:
    print("Devset: precision and recall of the checker's linguistics (tests/devset/*.yaml)")
    print(f"{r['items']} items checked in {r['seconds']:.1f} s", end="")
    if r["skipped_no_data"]:
        print(f"; {r['skipped_no_data']} SemEval items left out (data not found: give --data DIR)", end="")
    print()
    print("each cell: precision recall ('-': nothing to count); a family row (x.*) counts its items once\n")
    width = max(len(n) for n in r["groups"]) + 2
    header = f"{'phenomenon':{width}}{'items':>6}{'pass':>6}" + "".join(f"{k:>15}" for k in KINDS)
    print(header + f"{'all':>12}")
    tags = [n for n in r["groups"] if n != "all" and not n.startswith("origin:") and not n.endswith(".*")]
    # a family of one tag ("spelling", "phrase.adverb_gap") needs no family row
    members: dict[str, list[str]] = defaultdict(list)
    for t in tags:
        members[t.split(".")[0]].append(t)
    alone = {ts[0] for ts in members.values() if len(ts) == 1}
    section = 0
    for name in sorted(r["groups"], key=_order):
        if name.endswith(".*") and len(members[name[:-2]]) == 1:
            continue
        g = r["groups"][name]
        if _order(name)[0] != section:
            section = _order(name)[0]
            print()
        label = name if name.endswith(".*") or section or name in alone else "  " + name
        row = f"{label:{width}}{g['items']:>6}{g['passed']:>6}" + "".join(f"{_pr(g[k]):>15}" for k in KINDS)
        print(row + f"{_pr(g['all']):>12}")
    if show_failures:
        print()
        for f in r["failures"]:
            print(f"{f['id']} ({', '.join(f['phenomena'])})")
            for line in f["failures"]:
                print(f"    {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tag", action="append", default=[], help="keep items with this tag or below it")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--failures", action="store_true", help="also list every failed expectation")
    parser.add_argument("--data", type=Path, help="the semeval2013-task7 folder")
    args = parser.parse_args()
    try:
        result = run(args.tag, args.data)
    except devset.DevsetError as exc:
        print(f"devset: {exc}", file=sys.stderr)
        return 2
    if not result["items"]:
        print(
            f"devset: no item has a tag {' or '.join(args.tag)}; tags look like negation.relcl",
            file=sys.stderr,
        )
        return 2
    try:
        if args.json:
            print(json.dumps(result))
        else:
            print_report(result, args.failures)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader (head, less) stopped early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
