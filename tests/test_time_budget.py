"""Every check has a time budget: an answer that runs past it is stopped, and the rest goes on.

The rubric here has a REGEX that the load-time check lets through but that
backtracks for minutes on one 19,000-letter word (polynomially, not
exponentially). Before the budget, one such answer froze `grader serve` for
every student (Ctrl-C ignored) and hung a batch.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from test_batch import read_csv, write_csv

from grader.cli.main import main

SLOW_RUBRIC = """\
id: test/slow
title: Slow
prompt: Explain.
concepts:
  - id: atp
    label: ATP
    phrases: [ATP]
  - id: pump
    label: The pump
    phrases: [pump]
    patterns:
      - [{"LOWER": {"REGEX": "a{1,3}(([ab]*b?|[ab])[ab])?\\\\d{1,3}"}}]
links:
  - {from: atp, to: pump}
"""
SLOW_ANSWER = "The pump uses ATP. " + "a" * 19_000
GOOD_ANSWER = "The pump uses ATP."


@pytest.fixture
def rubrics(tmp_path) -> Path:
    folder = tmp_path / "rubrics"
    folder.mkdir()
    (folder / "slow.yaml").write_text(SLOW_RUBRIC)
    return folder


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = 0
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("jobs", [1, 2])
def test_batch_makes_a_too_slow_answer_a_bad_row_and_scores_the_rest(tmp_path, rubrics, capsys, jobs):
    rows = [["s1", GOOD_ANSWER], ["s2", SLOW_ANSWER], ["s3", GOOD_ANSWER]]
    src = write_csv(tmp_path / "class.csv", ["id", "answer"], rows)
    out = tmp_path / "scores.csv"
    started = time.monotonic()
    code, _, err = run(
        capsys, "batch", rubrics / "slow.yaml", src, "-o", out, "--time-limit", "1", "-j", jobs
    )
    assert time.monotonic() - started < 60
    assert code == 1, err
    assert [r["id"] for r in read_csv(out)] == ["s1", "s3"]
    errors = read_csv(tmp_path / "scores.errors.csv")
    assert [(e["line"], e["id"]) for e in errors] == [("3", "s2")]
    assert "longer than the time limit of 1 s" in errors[0]["reason"]
    assert "1 row failed (1 too slow to check)" in err and "Traceback" not in err


def test_check_stops_a_too_slow_answer_with_one_line(tmp_path, rubrics, capsys):
    answer = tmp_path / "long.txt"
    answer.write_text(SLOW_ANSWER)
    code, out, err = run(capsys, "check", rubrics / "slow.yaml", answer, "--time-limit", "1")
    assert code == 1 and out == ""
    assert err.startswith(f"grader: error: {answer}: checking this answer took longer than the time limit")
    assert err.count("\n") == 1


class Server:
    """`grader serve` with a one-second budget, in a subprocess."""

    def __init__(self, rubrics: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.cli.main", "serve", "--rubrics", str(rubrics), "--port", "0"]
            + ["--time-limit", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self.url = ""
        ready = threading.Event()

        def drain() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.lines.append(line)
                if "in your browser" in line:
                    self.url = line.split("open ", 1)[1].split(" ", 1)[0]
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        assert ready.wait(120) and self.url, "".join(self.lines)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "api/rubrics", timeout=5):
                    break
            except OSError:
                assert time.monotonic() < deadline, "".join(self.lines)
                time.sleep(0.2)

    def check(self, answer: str, timeout: float = 30) -> tuple[int, dict]:
        body = json.dumps({"rubric": "test/slow", "answer": answer}).encode()
        request = urllib.request.Request(self.url + "api/check", body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def server(rubrics):
    s = Server(rubrics)
    yield s
    s.kill()


def test_serve_answers_503_past_the_budget_and_keeps_serving(server):
    started = time.monotonic()
    status, body = server.check(SLOW_ANSWER)
    assert status == 503, body
    assert "longer than the time limit of 1 s" in body["detail"]
    assert time.monotonic() - started < 15
    status, body = server.check(GOOD_ANSWER)
    assert status == 200 and body["score"] == 3
    with urllib.request.urlopen(server.url + "api/rubrics", timeout=10) as r:
        assert r.status == 200


def test_ctrl_c_stops_serve_in_the_middle_of_a_slow_check(server):
    answers: list[int] = []
    thread = threading.Thread(target=lambda: answers.append(server.check(SLOW_ANSWER)[0]), daemon=True)
    thread.start()
    time.sleep(0.5)  # the check is running in the server's main thread now
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(15) == 130
    assert "grader: interrupted" in "".join(server.lines)
    thread.join(15)
    assert answers == [503]  # the request in flight got an answer before the server closed
