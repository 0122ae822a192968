"""The class report of a large class: its size, the time to write it and the time a browser takes to open it.

Scores the bundled sample class once, then repeats its records under new ids
to --answers records (50,000 by default), as the batch's JSONL would hold
them, and writes the class report from them the way `grader batch --report`
does. With Debian's chromium installed (and Playwright), it also loads the
page in headless Chromium and reports how long until the page has loaded.

    .venv/bin/python benchmarks/report_size.py [--answers 50000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from grader.batch import Outputs, RubricSet, run_batch
from grader.record import Record
from grader.reports import class_report
from grader.reports.class_summary import ClassSummary

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "class" / "neurons-frq.csv"
RUBRICS = ROOT / "rubrics" / "ap-bio"
CHROMIUM = Path("/usr/bin/chromium")


def open_time(page: Path) -> float | None:
    """Seconds until headless Chromium fires `load` for the page (None without a browser)."""
    if not CHROMIUM.exists():
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ModuleNotFoundError:
        return None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        tab = browser.new_page()
        started = time.perf_counter()
        tab.goto(page.as_uri(), wait_until="load", timeout=600_000)
        took = time.perf_counter() - started
        browser.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rubrics = RubricSet.from_arg(str(RUBRICS))
        sample = Outputs.beside(folder / "sample.csv")
        run_batch(rubrics, SAMPLE, sample)
        records = [Record.from_line(line) for line in sample.jsonl.read_bytes().splitlines()]
        jsonl = folder / "scores.jsonl"
        summary = ClassSummary()
        with open(jsonl, "wb") as fh:
            for k in range(args.answers):
                base = records[k % len(records)]
                record = base.model_copy(update={"id": f"{base.id}-{k // len(records)}"})
                fh.write(record.to_line())
                summary.add(record, rubrics.rubrics[record.result.rubric])
        out = folder / "report.html"
        started = time.perf_counter()
        class_report.write_report(summary, jsonl, out, source="class.csv", scores_csv=folder / "scores.csv")
        wrote = time.perf_counter() - started
        size = out.stat().st_size
        shown = min(args.answers, class_report.MAX_STUDENTS)
        print(f"class report of {args.answers:,} answers ({shown:,} listed on the page)")
        print(f"size        {size / 1e6:.1f} MB")
        print(f"written in  {wrote:.1f} s")
        opened = open_time(out)
        print(
            f"opened in   {opened:.1f} s (headless Chromium, until 'load')"
            if opened is not None
            else "opened in   (no /usr/bin/chromium or Playwright: not measured)"
        )


if __name__ == "__main__":
    main()
