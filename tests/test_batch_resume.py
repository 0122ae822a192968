"""Interrupted batch runs lose nothing and rerunning never scores an answer twice.

A real `grader batch` process is started, stopped part way (Ctrl-C, SIGTERM or
kill -9), and the same command is run again; the result must be the files of
an uninterrupted run, byte for byte.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_batch import RUBRICS, SAMPLE, read_csv, write_csv

from grader.batch import BatchInterrupted, Outputs, RubricSet, run_batch
from grader.rubric import Rubric, load_rubric

ROWS = 480  # enough that a run outlives the kill below by far, even on a loaded machine
CHUNK = 16


@pytest.fixture(scope="module")
def class_file(tmp_path_factory) -> Path:
    sample = [r for r in read_csv(SAMPLE) if r["question"] != "ap-bio/cell-respiration"]
    rows = [
        [f"{r['id']}-{k}", r["question"], r["answer"]] for k in range(ROWS // len(sample) + 1) for r in sample
    ]
    # the sample's duplicate ids come along: the errors file must come out the same too
    rows = rows[:ROWS]
    return write_csv(tmp_path_factory.mktemp("class") / "class.csv", ["id", "question", "answer"], rows)


# Every run of these tests is a separate process with one hash seed: the checker's
# evidence notes can differ between processes with different seeds (see the report).
ENV = {**os.environ, "PYTHONHASHSEED": "0"}


def command(class_file: Path, out: Path, jobs: int) -> list[str]:
    cmd = [sys.executable, "-m", "grader.cli.main", "batch", str(RUBRICS), str(class_file), "-o", str(out)]
    return cmd + ["--jobs", str(jobs), "--chunk-size", str(CHUNK), "--quiet"]


@pytest.fixture(scope="module")
def reference(class_file, tmp_path_factory) -> Path:
    """The files of an uninterrupted run."""
    out = tmp_path_factory.mktemp("ref") / "scores.csv"
    done = subprocess.run(command(class_file, out, 1), env=ENV, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr  # 1: the sample's duplicate ids
    return out


def complete_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def start(class_file: Path, out: Path, jobs: int) -> subprocess.Popen:
    return subprocess.Popen(command(class_file, out, jobs), env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def stop_part_way(proc: subprocess.Popen, partial: Path, sig: int) -> tuple[int, str]:
    deadline = time.monotonic() + 120
    while complete_lines(partial) < 2 * CHUNK:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the batch wrote nothing"
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def processes_writing(out: Path) -> list[int]:
    """Pids whose command line names this output (the batch and its forked workers)."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if str(out).encode() in (d / "cmdline").read_bytes():
                    pids.append(int(d.name))
            except OSError:
                continue
    return pids


STOPS = [
    # (signal, --jobs, exit code of the stopped run)
    (signal.SIGINT, 1, 130),
    (signal.SIGTERM, 1, 130),
    (signal.SIGKILL, 1, -signal.SIGKILL),
    (signal.SIGINT, 2, 130),
    (signal.SIGKILL, 2, -signal.SIGKILL),
]


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the batch's worker processes")
@pytest.mark.parametrize(("sig", "jobs", "code"), STOPS, ids=lambda v: getattr(v, "name", str(v)))
def test_an_interrupted_run_resumes_to_the_same_files(tmp_path, class_file, reference, sig, jobs, code):
    out = tmp_path / "scores.csv"
    outputs = Outputs.beside(out)
    returncode, err = stop_part_way(start(class_file, out, jobs), outputs.partial, sig)
    assert returncode == code, err
    if sig != signal.SIGKILL:
        assert "interrupted" in err and "Run the same command again" in err and "Traceback" not in err
    # no finished-looking output yet, only complete records in the .partial
    assert not out.exists() and not outputs.jsonl.exists() and not outputs.errors.exists()
    raw = outputs.partial.read_bytes()
    assert raw.endswith(b"\n")
    records = [json.loads(line) for line in raw.splitlines()]
    keys = [(r["rubric"], r["id"]) for r in records]
    assert len(keys) == len(set(keys))
    assert 2 * CHUNK <= len(records) < ROWS
    # a killed parent takes its workers with it
    deadline = time.monotonic() + 10
    while processes_writing(out) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not processes_writing(out)

    # the same command again
    again = subprocess.run(command(class_file, out, jobs)[:-1], env=ENV, capture_output=True, text=True)
    assert again.returncode == 1, again.stderr
    assert f"{len(records)} answers already scored by an earlier run" in again.stdout  # nothing scored twice
    for suffix in (".csv", ".jsonl", ".errors.csv"):
        got = out.with_suffix("").with_name(out.stem + suffix)
        want = reference.with_suffix("").with_name(reference.stem + suffix)
        assert got.read_bytes() == want.read_bytes(), suffix
    assert not outputs.partial.exists()


def test_a_torn_last_line_is_cut_off_and_scored_again(tmp_path, class_file, reference):
    outputs = Outputs.beside(tmp_path / "scores.csv")
    lines = reference.with_suffix(".jsonl").read_bytes().splitlines(keepends=True)
    # what a power cut can leave: some complete records, then half of one
    outputs.partial.write_bytes(b"".join(lines[:40]) + lines[40][:57])
    result = run_batch(RubricSet.from_arg(str(RUBRICS)), class_file, outputs, chunk_size=CHUNK)
    assert result.reused == 40
    assert outputs.jsonl.read_bytes().splitlines(keepends=True)[:40] == lines[:40]
    assert len(outputs.jsonl.read_bytes().splitlines()) == len(lines)
    assert outputs.csv.read_bytes() == reference.read_bytes()


def test_rerunning_scores_only_what_changed(tmp_path):
    rows = [["s1", "The pump uses ATP."], ["s2", "The pump makes a gradient."], ["s3", "Channels open."]]
    src = write_csv(tmp_path / "class.csv", ["id", "answer"], rows)
    outputs = Outputs.beside(tmp_path / "scores.csv")
    seed = RubricSet.from_arg(str(RUBRICS / "membrane-potential.yaml"))
    assert run_batch(seed, src, outputs).scored == 3

    same = run_batch(seed, src, outputs)
    assert (same.scored, same.reused) == (0, 3)

    # an edited answer and a new row are scored; a row gone from the input leaves the outputs
    rows = [["s1", "The pump uses ATP."], ["s2", "The pump uses ATP to make a gradient."], ["s4", "ATP."]]
    write_csv(src, ["id", "answer"], rows)
    changed = run_batch(seed, src, outputs)
    assert (changed.scored, changed.reused) == (2, 1)
    assert [r["id"] for r in read_csv(outputs.csv)] == ["s1", "s2", "s4"]
    assert json.loads(outputs.jsonl.read_text().splitlines()[1])["answer"] == rows[1][1]

    # an edited rubric scores everything again
    data = load_rubric(RUBRICS / "membrane-potential.yaml").model_dump(by_alias=True)
    data["concepts"][0]["phrases"].append("adenosine 5'-triphosphate")
    edited = RubricSet({data["id"]: Rubric.model_validate(data)}, single=True)
    assert run_batch(edited, src, outputs).scored == 3

    # and --fresh does, whatever is there
    fresh = run_batch(edited, src, outputs, fresh=True)
    assert (fresh.scored, fresh.reused) == (3, 0)


def test_outputs_of_a_finished_run_are_never_half_written(tmp_path, monkeypatch):
    """A failure while writing the final files leaves the earlier files as they were."""
    src = write_csv(tmp_path / "class.csv", ["id", "answer"], [["s1", "The pump uses ATP."]])
    outputs = Outputs.beside(tmp_path / "scores.csv")
    seed = RubricSet.from_arg(str(RUBRICS / "membrane-potential.yaml"))
    run_batch(seed, src, outputs)
    before = outputs.csv.read_bytes(), outputs.jsonl.read_bytes()

    class Broken:
        def add(self, record, rubric):
            raise OSError("disk full")

    write_csv(src, ["id", "answer"], [["s1", "The pump uses ATP."], ["s2", "Channels open."]])
    with pytest.raises(OSError):
        run_batch(seed, src, outputs, sinks=[Broken()])
    assert (outputs.csv.read_bytes(), outputs.jsonl.read_bytes()) == before
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    # the answer scored before the failure is kept for the next run
    assert run_batch(seed, src, outputs).reused == 2


# --- a signal while a chunk is written; two runs on the same outputs ----------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_a_chunk_is_written_never_writes_it_twice(tmp_path, class_file, monkeypatch, sig):
    """The signal used to be let through after the write but before the buffer was emptied,
    and the `finally` that keeps every finished answer wrote the same chunk again."""
    real_fsync = os.fsync
    writes: list[int] = []

    def fsync_then_signal(fd: int) -> None:
        real_fsync(fd)
        writes.append(fd)
        if len(writes) == 2:  # in the middle of the second chunk's write
            os.kill(os.getpid(), sig)

    monkeypatch.setattr(os, "fsync", fsync_then_signal)
    outputs = Outputs.beside(tmp_path / "scores.csv")
    with pytest.raises(BatchInterrupted) as stop:
        run_batch(RubricSet.from_arg(str(RUBRICS)), class_file, outputs, chunk_size=CHUNK, jobs=1)
    records = [json.loads(line) for line in outputs.partial.read_bytes().splitlines()]
    keys = [(r["rubric"], r["id"]) for r in records]
    assert len(records) == 2 * CHUNK and len(set(keys)) == len(keys)
    assert stop.value.result.answers == 2 * CHUNK


def test_a_second_run_on_the_same_outputs_stops_at_once_with_one_line(tmp_path, class_file, reference):
    out = tmp_path / "scores.csv"
    outputs = Outputs.beside(out)
    first = start(class_file, out, 1)
    deadline = time.monotonic() + 120
    while complete_lines(outputs.partial) < CHUNK:
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the first run wrote nothing"
        time.sleep(0.02)
    second = subprocess.run(command(class_file, out, 1), env=ENV, capture_output=True, text=True, timeout=60)
    assert second.returncode == 2, second.stderr
    assert second.stderr.startswith(f"grader: error: {out}: another grader batch run (process {first.pid})")
    assert second.stderr.count("\n") == 1 and "Traceback" not in second.stderr
    # the first run is undisturbed and writes what an uninterrupted run writes
    _, err = first.communicate(timeout=300)
    assert first.returncode == 1, err
    for suffix in (".csv", ".jsonl", ".errors.csv"):
        got = out.with_suffix("").with_name(out.stem + suffix)
        want = reference.with_suffix("").with_name(reference.stem + suffix)
        assert got.read_bytes() == want.read_bytes(), suffix
    assert not outputs.lock.exists() and not outputs.partial.exists()
    # and once it is done, the next run may go
    again = subprocess.run(command(class_file, out, 1), env=ENV, capture_output=True, text=True, timeout=300)
    assert again.returncode == 1 and "another grader batch run" not in again.stderr
