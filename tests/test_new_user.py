"""What a new user tripped on: the README's commands, rubric ids, --help, the batch summary."""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path

import click
import pytest
from test_batch import SEED, STRONG, write_csv

from grader.cli.main import cli, main
from grader.errors import GraderError
from grader.io.catalog import resolve

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = 0
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


# --- rubric ids -------------------------------------------------------------------------

IDS = [
    # (what the user typed, the rubric it names)
    ("ap-bio/membrane-potential", "ap-bio/membrane-potential"),
    ("membrane-potential", "ap-bio/membrane-potential"),  # the last part, as batch accepts it
    ("Membrane-Potential", "ap-bio/membrane-potential"),
    ("synaptic-transmission", "ap-bio/synaptic-transmission"),
]


@pytest.mark.parametrize(("typed", "rubric"), IDS)
def test_check_takes_a_rubric_id_whole_or_by_its_last_part(capsys, monkeypatch, typed, rubric):
    monkeypatch.chdir(ROOT)
    code, out, err = run(capsys, "check", typed, "samples/membrane-potential/strong.txt", "--format", "json")
    assert code == 0, err
    assert f'"rubric":"{rubric}"' in out


def test_an_unknown_rubric_id_lists_the_ids_there(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, _, err = run(capsys, "check", "membrane", "samples/membrane-potential/strong.txt")
    assert code == 2 and err.count("\n") == 1
    assert "unknown rubric 'membrane'" in err
    assert "ap-bio/membrane-potential, ap-bio/synaptic-transmission, ap-bio/water-potential" in err


# --- help -------------------------------------------------------------------------------


def _commands(group: click.Group, ctx: click.Context, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        found.append((prefix + name, cmd))
        if isinstance(cmd, click.Group):
            found += _commands(cmd, ctx, prefix + name + " ")
    return found


COMMANDS = _commands(cli, click.Context(cli))


def test_every_command_is_listed_with_its_whole_description(capsys):
    for args in (["--help"], ["rubric", "--help"]):
        code, out, _ = run(capsys, *args)
        assert code == 0
        listed = out.split("Commands:\n", 1)[1]
        assert listed.strip() and "..." not in listed, listed


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_option_has_help(name, command):
    missing = [p.opts[0] for p in command.params if isinstance(p, click.Option) and not p.help]
    assert not missing, f"grader {name}: {missing} without help"


# --- the batch summary ------------------------------------------------------------------


def test_the_batch_summary_says_what_its_numbers_are(tmp_path, capsys):
    src = write_csv(tmp_path / "class.csv", ["id", "answer"], [["s1", STRONG]])
    code, out, err = run(capsys, "batch", SEED, src, "-o", tmp_path / "scores.csv")
    assert code == 0, err
    assert out.startswith("Scored 1 answer in ")
    assert "ap-bio/membrane-potential: 1 answer, mean " in out
    assert re.search(r"median \d+, [01] answers? with full marks", out)
    two = write_csv(tmp_path / "two.csv", ["id", "answer"], [["s1", STRONG], ["s2", "Channels open."]])
    code, out, _ = run(capsys, "batch", SEED, two, "-o", tmp_path / "scores2.csv")
    missed = re.search(r"most missed: (.*)", out)
    assert missed and re.search(r"\(shown by \d+%\)", missed.group(1)), out


# --- the README ---------------------------------------------------------------------------


def _shell_lines() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    lines = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #", 1)[0].strip()
            if line:
                lines.append(line)
    return lines


def test_the_readme_says_to_activate_the_venv_before_using_bare_grader():
    lines = _shell_lines()
    bare = next(i for i, ln in enumerate(lines) if re.match(r"(.*\| )?grader ", ln))
    assert any("source .venv/bin/activate" in ln for ln in lines[:bare]), lines[: bare + 1]


def _is_rubric_id(word: str) -> bool:
    try:
        resolve(word, ROOT / "rubrics")
    except GraderError:
        return False
    return True


READERS = {"check", "batch", "evaluate", "calibrate", "rubric suggest", "rubric check"}


def test_every_file_a_readme_command_reads_exists():
    """`answer.txt` did not exist: the README's examples must run as written, from the repository."""
    checked = 0
    for line in _shell_lines():
        words = shlex.split(line.split("|")[-1])
        if len(words) < 3 or Path(words[0]).name != "grader":
            continue
        sub, rest = (words[1:3], words[3:]) if words[1] == "rubric" else (words[1:2], words[2:])
        if " ".join(sub) not in READERS:
            continue
        for w in itertools.takewhile(lambda w: not w.startswith("-"), rest):
            if w.isupper() or any(mark in w for mark in "[]*") or "..." in w:
                continue  # a placeholder of a usage line (RUBRIC [ANSWER ...]) or a glob
            assert (ROOT / w).exists() or _is_rubric_id(w), f"README: {line}: {w} does not exist"
            checked += 1
    assert checked >= 10
