"""`grader batch --dask`: the same files as --jobs 1, resume after Ctrl-C, a worker killed mid-run.

Each run here starts a LocalCluster of two workers (or uses one the test starts,
standing for a cluster on other machines). A class of a few hundred answers in
chunks of 16 keeps every run to seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_batch import RUBRICS, SAMPLE, read_csv, write_csv
from test_batch_resume import CHUNK, ENV, ROWS, command, complete_lines
from test_time_budget import GOOD_ANSWER, SLOW_ANSWER, SLOW_RUBRIC

from grader.batch import Outputs, RubricSet, run_batch
from grader.cli.main import main

distributed = pytest.importorskip(
    "distributed", reason="the Dask tests need the dask extra: pip install -e '.[test]' brings it"
)

FILES = (".csv", ".jsonl", ".errors.csv", ".html", ".canvas.csv", ".gradescope.csv")


@pytest.fixture(scope="module")
def class_file(tmp_path_factory) -> Path:
    """The sample class copied out to ROWS answers, its duplicate ids included."""
    sample = [r for r in read_csv(SAMPLE) if r["question"] != "ap-bio/cell-respiration"]
    rows = [
        [f"{r['id']}-{k}", r["question"], r["answer"]] for k in range(ROWS // len(sample) + 1) for r in sample
    ]
    return write_csv(
        tmp_path_factory.mktemp("class") / "class.csv", ["id", "question", "answer"], rows[:ROWS]
    )


def files(out: Path, suffixes: tuple[str, ...] = FILES) -> dict[str, bytes]:
    stem = out.with_suffix("")
    return {s: stem.with_name(stem.name + s).read_bytes() for s in suffixes}


def cli(capsys, *args: object) -> tuple[int, str, str]:
    code = 0
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def whole_job(class_file: Path, out: Path) -> list[object]:
    report = out.with_suffix(".html")
    return ["batch", RUBRICS, class_file, "-o", out, "--report", report, "--export", "canvas",
            "--export", "gradescope", "--chunk-size", CHUNK, "--quiet"]  # fmt: skip


@pytest.fixture(scope="module")
def jobs1(class_file, tmp_path_factory) -> Path:
    """The files of a --jobs 1 run in this process."""
    out = tmp_path_factory.mktemp("jobs1") / "scores.csv"
    with pytest.raises(SystemExit) as exit:
        main([str(a) for a in whole_job(class_file, out)])
    assert exit.value.code == 1  # the sample's duplicate ids
    return out


def test_dask_local_writes_the_files_of_jobs_1_byte_for_byte(tmp_path, class_file, jobs1, capsys):
    out = tmp_path / "scores.csv"
    code, _, err = cli(capsys, *whole_job(class_file, out), "--dask", "local", "--jobs", 2)
    assert code == 1, err  # the sample's duplicate ids, as with --jobs 1
    assert "Traceback" not in err
    assert files(out) == files(jobs1)
    assert not Outputs.beside(out).partial.exists()


# --- a cluster of its own, as on other machines -------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    """A scheduler and two workers on loopback, started here the way `dask scheduler` and
    `dask worker` start them on real machines."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            silence_logs=40,
        ) as local,
        distributed.Client(local, set_as_default=False) as client,
    ):
        yield local.scheduler_address, client


def test_a_worker_killed_mid_run_loses_nothing_and_scores_nothing_twice(tmp_path, class_file, jobs1, cluster):
    address, client = cluster
    pids = client.run(os.getpid)
    victim = next(iter(pids.values()))
    outputs = Outputs.beside(tmp_path / "scores.csv")
    killed_at: list[int] = []

    def kill_part_way() -> None:
        deadline = time.monotonic() + 120
        while complete_lines(outputs.partial) < 2 * CHUNK and time.monotonic() < deadline:
            time.sleep(0.01)
        killed_at.append(complete_lines(outputs.partial))
        os.kill(victim, signal.SIGKILL)  # both workers are busy: it dies in the middle of a chunk

    killer = threading.Thread(target=kill_part_way)
    killer.start()
    rubrics = RubricSet.from_arg(str(RUBRICS))
    result = run_batch(rubrics, class_file, outputs, chunk_size=CHUNK, dask=address)
    killer.join()
    scored, failed = len(read_csv(jobs1)), len(read_csv(jobs1.with_suffix(".errors.csv")))
    assert 2 * CHUNK <= killed_at[0] < scored, "the worker was not killed during the run"
    assert (result.scored, result.reused, result.n_failed) == (scored, 0, failed)  # each answer written once
    assert files(outputs.csv, (".csv", ".jsonl", ".errors.csv")) == files(
        jobs1, (".csv", ".jsonl", ".errors.csv")
    )
    # the worker's nanny started a new one, which the next run uses like the others
    deadline = time.monotonic() + 60
    while victim in client.run(os.getpid).values() or len(client.nthreads()) < 2:
        assert time.monotonic() < deadline, "the killed worker was not replaced"
        time.sleep(0.2)


def test_the_run_leaves_no_plugin_on_a_cluster_it_did_not_start(tmp_path, cluster):
    address, client = cluster
    src = write_csv(tmp_path / "class.csv", ["id", "answer"], [["s1", GOOD_ANSWER]])
    result = run_batch(RubricSet.from_arg(str(RUBRICS / "membrane-potential.yaml")), src,
                       Outputs.beside(tmp_path / "scores.csv"), dask=address)  # fmt: skip
    assert result.scored == 1
    plugins = client.run(lambda dask_worker: list(dask_worker.plugins))
    assert not [name for names in plugins.values() for name in names if name.startswith("grader-")]


# --- Ctrl-C and resume ---------------------------------------------------------------------


def group_processes(pgid: int) -> list[int]:
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if os.getpgid(int(d.name)) == pgid:
                    found.append(int(d.name))
            except OSError:
                continue
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the run's processes")
def test_ctrl_c_in_the_terminal_stops_the_run_and_the_same_command_finishes_it(tmp_path, class_file):
    reference = tmp_path / "ref" / "scores.csv"
    reference.parent.mkdir()
    done = subprocess.run(command(class_file, reference, 1), env=ENV, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr

    out = tmp_path / "scores.csv"
    outputs = Outputs.beside(out)
    cmd = command(class_file, out, 2)[:-1] + ["--dask", "local"]  # not --quiet: the rerun's summary
    # its own process group, as a terminal makes one: Ctrl-C goes to the driver and every worker
    run = subprocess.Popen(cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 180
    while complete_lines(outputs.partial) < 2 * CHUNK:
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline, "the batch wrote nothing"
        time.sleep(0.02)
    os.killpg(run.pid, signal.SIGINT)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 130, err
    assert "interrupted" in err and "Run the same command again" in err
    assert "Traceback" not in err and err.count("\n") == 1, err
    records = [json.loads(line) for line in outputs.partial.read_bytes().splitlines()]
    keys = [(r["rubric"], r["id"]) for r in records]
    assert len(keys) == len(set(keys)) and 2 * CHUNK <= len(keys) < ROWS
    assert not out.exists() and not outputs.jsonl.exists()
    deadline = time.monotonic() + 20  # the workers and their scoring processes are gone
    while group_processes(run.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not group_processes(run.pid)

    again = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=300)
    assert again.returncode == 1, again.stderr
    assert f"{len(records)} answers already scored by an earlier run" in again.stdout
    assert files(out, (".csv", ".jsonl", ".errors.csv")) == files(
        reference, (".csv", ".jsonl", ".errors.csv")
    )
    assert not outputs.partial.exists()


# --- what the user is told -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("address", "says"),
    [
        (f"tcp://127.0.0.1:{free_port()}", "no Dask scheduler answered within 1 s"),
        ("10.0.0.5", "give the scheduler's address, e.g. tcp://10.0.0.5:8786, or 'local'"),
    ],
    ids=["nobody-listening", "no-protocol"],
)
def test_a_scheduler_that_cannot_be_reached_stops_the_run_before_any_work(
    tmp_path, capsys, monkeypatch, address, says
):
    import grader.batch.distributed as dask_executor

    monkeypatch.setattr(dask_executor, "CONNECT_SECONDS", 1.0)
    src = write_csv(tmp_path / "class.csv", ["id", "answer"], [["s1", GOOD_ANSWER]])
    out = tmp_path / "scores.csv"
    code, stdout, err = cli(
        capsys, "batch", RUBRICS / "membrane-potential.yaml", src, "-o", out, "--dask", address
    )
    assert code == 2 and stdout == ""
    assert err.startswith(f"grader: error: --dask {address}: ") and says in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["class.csv"]  # nothing written, not even a .partial


def test_without_the_dask_extra_it_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # what an install without the extra has
    monkeypatch.delitem(sys.modules, "grader.batch.distributed", raising=False)
    src = write_csv(tmp_path / "class.csv", ["id", "answer"], [["s1", GOOD_ANSWER]])
    code, _, err = cli(capsys, "batch", RUBRICS / "membrane-potential.yaml", src, "-o", tmp_path / "s.csv",
                       "--dask", "local")  # fmt: skip
    assert code == 2
    assert err == (
        "grader: error: --dask needs Dask, which is not installed; install it with: "
        "pip install 'grader[dask]' (in a clone: pip install -e '.[dask]')\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["class.csv"]


def test_a_too_slow_answer_is_a_bad_row_on_dask_workers_too(tmp_path, capsys):
    """Dask runs tasks in threads; the budget still stops the check (in the scoring process)."""
    (tmp_path / "slow.yaml").write_text(SLOW_RUBRIC)
    rows = [["s1", GOOD_ANSWER], ["s2", SLOW_ANSWER], ["s3", GOOD_ANSWER]]
    src = write_csv(tmp_path / "class.csv", ["id", "answer"], rows)
    out = tmp_path / "scores.csv"
    started = time.monotonic()
    code, _, err = cli(capsys, "batch", tmp_path / "slow.yaml", src, "-o", out, "--time-limit", "1",
                       "--dask", "local", "--chunk-size", "1")  # fmt: skip
    assert time.monotonic() - started < 90
    assert code == 1, err
    assert [r["id"] for r in read_csv(out)] == ["s1", "s3"]
    errors = read_csv(tmp_path / "scores.errors.csv")
    assert [(e["line"], e["id"]) for e in errors] == [("3", "s2")]
    assert "longer than the time limit of 1 s" in errors[0]["reason"]


def test_a_worker_with_another_pipeline_is_refused_and_takes_no_chunk():
    """What a worker machine with another spaCy pipeline version says, and that it then scores nothing."""
    from grader.batch.distributed import ClusterError, GraderPlugin
    from grader.rubric import load_rubric

    rubric = load_rubric(RUBRICS / "membrane-potential.yaml")
    settings = {
        "rubric_json": {rubric.id: rubric.model_dump_json(by_alias=True)},
        "fingerprints": {rubric.id: "0123456789abcdef"},
        "model": None,
        "calibrations": {},
        "time_limit": 5.0,
    }
    # shipped to the worker as Dask ships it; the driver had an older pipeline
    plugin = pickle.loads(pickle.dumps(GraderPlugin(settings, "en_core_web_sm-3.7.1", local=False)))
    worker = SimpleNamespace(address="tcp://10.0.0.7:40000", state=SimpleNamespace(nthreads=1))
    with pytest.raises(ClusterError) as refused:
        asyncio.run(plugin.setup(worker))
    assert str(refused.value).startswith("the Dask worker at tcp://10.0.0.7:40000 has the spaCy pipeline en_")
    assert str(refused.value).endswith(
        "this run scores with en_core_web_sm-3.7.1; install the same grader and pipeline on every worker"
    )
    with pytest.raises(ClusterError) as again:  # a chunk sent there fails at once instead of waiting
        plugin.score([])
    assert again.value is refused.value
