"""Class files as teachers have them: broken quotes that swallow rows, UTF-16, Windows-1252."""

from __future__ import annotations

import codecs
import json

import pytest
from test_batch import KEYWORDS, SEED, STRONG, read_csv, write_csv

from grader.cli.main import main

SCORED = SEED.parent.parent.parent / "samples" / "scored" / "membrane-potential.csv"


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = 0
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


# --- a quote that is never closed -----------------------------------------------------

UNCLOSED = (
    "id,answer\r\n"
    's1,"The pump uses ATP to move Na+ out.\r\n'  # the quote opened here is never closed
    "s2,Channels open and Na+ rushes in.\r\n"
    "s3,The gradient stores energy.\r\n"
    "s4,ATP powers the pump.\r\n"
)


def test_an_unclosed_quote_never_swallows_students_silently(tmp_path, capsys):
    """It used to read s1's answer to the end of the file, and say 'Scored 1 answer', exit 0."""
    src = tmp_path / "class.csv"
    src.write_text(UNCLOSED, newline="")
    code, out, err = run(capsys, "batch", SEED, src, "-o", tmp_path / "scores.csv")
    assert code == 1
    assert f"grader: warning: {src}:2: a quote opens in this row and is not closed before line 5" in err
    assert "3 more rows (s2, s3, s4) inside it were not scored" in err
    assert "4 rows failed (4 unclosed quote)" in err
    errors = read_csv(tmp_path / "scores.errors.csv")
    assert [(e["line"], e["id"]) for e in errors] == [("2", "s1"), ("3", "s2"), ("4", "s3"), ("5", "s4")]
    assert "lines 2-5 were read as one answer holding 3 more rows (s2, s3, s4)" in errors[0]["reason"]
    assert all("inside the answer of the row on line 2" in e["reason"] for e in errors[1:])


def test_a_quote_closed_by_the_next_row_is_caught_and_the_rows_after_it_are_scored(tmp_path, capsys):
    text = (
        "id,answer\r\n"
        's1,"The pump uses ATP.\r\n'
        's2,"Channels open."\r\n'  # its opening quote closes s1's, and its closing one opens anew
        "s3,Na+ rushes in and the cell depolarizes.\r\n"
        "s4,ATP powers the pump.\r\n"
    )
    src = tmp_path / "class.csv"
    src.write_text(text, newline="")
    code, _, err = run(capsys, "batch", SEED, src, "-o", tmp_path / "scores.csv")
    assert code == 1
    ids = {e["id"] for e in read_csv(tmp_path / "scores.errors.csv")} | {
        r["id"] for r in read_csv(tmp_path / "scores.csv")
    }
    assert {"s1", "s2"} <= ids  # every student is in one file or the other: none vanish
    assert "s4" in {r["id"] for r in read_csv(tmp_path / "scores.csv")}
    assert f"{src}:2: a quote opens in this row" in err


def test_answers_with_line_breaks_quoted_as_excel_does_are_fine(tmp_path, capsys):
    rows = [
        ["s1", "The pump uses ATP.\nIt moves 3 Na+ out,\nand 2 K+ in."],
        ["s2", 'Step 1, the pump.\nStep 2, the gradient. He said "ATP".'],
        ["s3", KEYWORDS],
    ]
    src = write_csv(tmp_path / "class.csv", ["id", "answer"], rows, lineterminator="\r\n")
    code, _, err = run(capsys, "batch", SEED, src, "-o", tmp_path / "scores.csv")
    assert code == 0, err
    assert [r["id"] for r in read_csv(tmp_path / "scores.csv")] == ["s1", "s2", "s3"]
    assert "warning" not in err


def test_a_quote_open_to_the_end_of_the_file_is_reported(tmp_path, capsys):
    src = tmp_path / "class.csv"
    src.write_text('id,answer\ns1,ATP powers the pump.\ns2,"The pump uses ATP\nand more text\n', newline="")
    code, _, err = run(capsys, "batch", SEED, src, "-o", tmp_path / "scores.csv")
    assert code == 1
    assert [r["id"] for r in read_csv(tmp_path / "scores.csv")] == ["s1"]
    assert [e["id"] for e in read_csv(tmp_path / "scores.errors.csv")] == ["s2"]
    assert f"{src}:3: a quote opens in this row and is not closed before line 4" in err


# --- encodings --------------------------------------------------------------------------

ROWS = [["s1", STRONG], ["s2", "The pump’s ATP moves Na⁺ out – “active transport”."]]


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("utf16-bom.csv", lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le")),  # Notepad "Unicode"
        ("utf16-be-bom.csv", lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be")),
        ("utf16-no-bom.csv", lambda text: text.encode("utf-16-le")),
        ("utf8-bom.csv", lambda text: codecs.BOM_UTF8 + text.encode("utf-8")),
    ],
)
def test_utf16_and_utf8_class_files_give_the_same_scores(tmp_path, capsys, name, raw):
    """UTF-16 used to be read as UTF-8: garbled column names, 'no column id'."""
    plain = write_csv(tmp_path / "plain.csv", ["id", "answer"], ROWS, lineterminator="\r\n")
    src = tmp_path / name
    src.write_bytes(raw(plain.read_text(encoding="utf-8")))
    assert run(capsys, "batch", SEED, plain, "-o", tmp_path / "want.csv")[0] == 0
    code, _, err = run(capsys, "batch", SEED, src, "-o", tmp_path / "got.csv")
    assert code == 0, err
    assert (tmp_path / "got.csv").read_bytes() == (tmp_path / "want.csv").read_bytes()
    answers = [json.loads(line)["answer"] for line in (tmp_path / "got.jsonl").read_text().splitlines()]
    assert answers[1] == ROWS[1][1]


def test_a_windows_1252_file_is_named_as_such_and_read_with_encoding(tmp_path, capsys):
    """Excel on Windows saves "CSV" in Windows-1252: it used to fail row by row as 'not UTF-8'."""
    rows = [["s1", STRONG], ["s2", "The pump’s ATP – “active transport” – moves Na+ out."], ["s3", "Café."]]
    src = tmp_path / "excel.csv"
    with open(src, "w", encoding="cp1252", newline="") as fh:
        fh.write("id,answer\r\n" + "".join(f'{i},"{a}"\r\n' for i, a in rows))
    code, out, err = run(capsys, "batch", SEED, src, "-o", tmp_path / "scores.csv")
    assert code == 2 and out == ""
    assert err == (
        f"grader: error: {src}: is not UTF-8 text (line 3, byte 0x92); it looks like Windows-1252 "
        '(what Excel on Windows saves as "CSV"): give --encoding cp1252, or save it as "CSV UTF-8"\n'
    )
    assert not (tmp_path / "scores.csv").exists()
    code, _, err = run(capsys, "batch", SEED, src, "-o", tmp_path / "scores.csv", "--encoding", "cp1252")
    assert code == 0, err
    answers = [json.loads(line)["answer"] for line in (tmp_path / "scores.jsonl").read_text().splitlines()]
    assert answers[1:] == [rows[1][1], rows[2][1]]


def test_evaluate_takes_encoding_too(tmp_path, capsys):
    src = tmp_path / "scored.csv"
    src.write_text(SCORED.read_text(encoding="utf-8-sig").replace("ATP.", "ATP’s."), encoding="cp1252")
    code, _, err = run(capsys, "evaluate", SEED, src)
    assert code == 2 and "--encoding cp1252" in err
    code, out, err = run(capsys, "evaluate", SEED, src, "--encoding", "cp1252", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["n"] == 61


def test_an_unknown_encoding_is_one_line(tmp_path, capsys):
    src = write_csv(tmp_path / "class.csv", ["id", "answer"], ROWS)
    code, _, err = run(capsys, "batch", SEED, src, "-o", tmp_path / "s.csv", "--encoding", "klingon")
    assert code == 2
    assert err.startswith("grader: error: --encoding klingon: not an encoding Python knows")


ANSWER = "The pump’s ATP moves Na⁺ out of the cell."


@pytest.mark.parametrize(
    ("raw", "options"),
    [
        (codecs.BOM_UTF16_LE + ANSWER.encode("utf-16-le"), []),  # Notepad's "Unicode"
        (ANSWER.encode("utf-16-le"), []),
        (ANSWER.replace("⁺", "+").encode("cp1252"), ["--encoding", "cp1252"]),
    ],
    ids=["utf16-bom", "utf16-no-bom", "cp1252"],
)
def test_check_reads_notepad_and_excel_answers(tmp_path, capsys, raw, options):
    """A UTF-16 answer file used to be called 'a binary file'."""
    path = tmp_path / "answer.txt"
    path.write_bytes(raw)
    code, out, err = run(capsys, "check", SEED, path, "--format", "json", *options)
    assert code == 0, err
    credited = {c["id"] for c in json.loads(out)["concepts"] if c["status"] == "present"}
    assert "atp" in credited


def test_check_names_the_likely_encoding(tmp_path, capsys):
    path = tmp_path / "answer.txt"
    path.write_bytes("The pump’s ATP.".encode("cp1252"))
    code, _, err = run(capsys, "check", SEED, path)
    assert code == 2
    assert f"{path}: is not UTF-8 text (line 1, byte 0x92); it looks like Windows-1252" in err
    assert "--encoding cp1252" in err and err.count("\n") == 1
