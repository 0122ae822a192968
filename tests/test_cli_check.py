"""`grader check` and `grader rubric` as a user runs them: output, exit codes, messages."""

import io
import json
import subprocess
import sys

import pytest
from conftest import ROOT, SEED

from grader.cli.main import main

STRONG = (
    "The Na+/K+ pump uses ATP to move 3 Na+ out and 2 K+ in, which builds a concentration "
    "gradient. Because of this gradient, when sodium channels open, Na+ rushes in and the "
    "membrane depolarizes."
)


def run(argv, capsys, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return exit_info.value.code or 0, out, err


def test_text_report(tmp_path, capsys):
    answer = tmp_path / "a.txt"
    answer.write_text(STRONG)
    code, out, err = run(["check", str(SEED), str(answer), "--no-color"], capsys)
    assert code == 0, err
    assert "score" in out and "What your answer shows" in out
    assert "\x1b[" not in out


def test_json_lines_in_input_order(tmp_path, capsys):
    paths = []
    for i, text in enumerate([STRONG, "", "ATP, pump, gradient."]):
        p = tmp_path / f"{i}.txt"
        p.write_text(text)
        paths.append(str(p))
    code, out, _ = run(["check", str(SEED), *paths, "--format", "json"], capsys)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 3
    assert lines[0]["score"] > lines[2]["score"] >= lines[1]["score"] == 0


def test_stdin_and_rubric_id(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, _ = run(
        ["check", "ap-bio/membrane-potential", "--format", "json"],
        capsys,
        stdin=b"The pump uses ATP.",
        monkeypatch=monkeypatch,
    )
    assert code == 0
    assert "atp -> active_transport" in {
        f"{lk['from']} -> {lk['to']}" for lk in json.loads(out)["links"] if lk["status"] == "present"
    }


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: ["check", str(SEED), str(d / "missing.txt")], "missing.txt: no such answer file"),
        (lambda d: ["check", "no/such-rubric", str(d / "a.txt")], "unknown rubric 'no/such-rubric'"),
        (lambda d: ["check", str(SEED), str(d / "latin1.txt")], "latin1.txt: is not UTF-8 text"),
        (lambda d: ["check", str(SEED), str(d / "binary.txt")], "binary.txt: looks like a binary file"),
        (lambda d: ["check", str(SEED), str(d / "long.txt")], "over the limit of 20,000"),
        (lambda d: ["check", str(d / "bad.yaml"), str(d / "a.txt")], "bad.yaml"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, capsys, make, message):
    (tmp_path / "a.txt").write_text("The pump uses ATP.")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 ATP".encode("latin-1"))
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02ATP")
    (tmp_path / "long.txt").write_text("ATP " * 30_000)
    (tmp_path / "bad.yaml").write_text("id: x\ntitle: t\n")
    code, out, err = run(make(tmp_path), capsys)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and out == ""


def test_rubric_check_runs_examples(capsys):
    code, out, _ = run(["rubric", "check", str(SEED)], capsys)
    assert "membrane-potential" in out and "examples pass" in out
    assert code in (0, 1)


def test_rubric_check_fails_on_a_wrong_example(tmp_path, capsys):
    bad = tmp_path / "r.yaml"
    bad.write_text(
        "id: test/r\ntitle: T\nprompt: P\nconcepts:\n  - {id: atp, label: ATP, phrases: [ATP]}\n"
        "examples:\n  - answer: Nothing about energy.\n    expect: {concepts: [atp]}\n"
    )
    code, out, _ = run(["rubric", "check", str(bad)], capsys)
    assert code == 1
    assert "concept 'atp' not credited" in out


def test_rubric_schema(capsys):
    code, out, _ = run(["rubric", "schema"], capsys)
    schema = json.loads(out)
    assert code == 0 and "concepts" in schema["properties"]


def test_installed_command_end_to_end():
    """The console script a user types, with the bundled sample answer."""
    sample = ROOT / "samples" / "membrane-potential" / "partial.txt"
    proc = subprocess.run(
        [sys.executable, "-m", "grader.cli.main", "check", str(SEED), str(sample)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "What to work on" in proc.stdout
