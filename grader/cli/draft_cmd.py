"""`grader rubric draft`: a starter rubric from a question and a model answer."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from ..errors import GraderError
from ..evaluate import ScoredColumns, read_scored
from ..io.atomic import write_text
from ..rubric import RUBRIC_ID_RE
from .common import answer_col_option, decode_answer, encoding_option, id_col_option, model_option

_FILE_LIKE = re.compile(r"^\S+\.(txt|md|text)$|^\S*[/\\]\S*$", re.IGNORECASE)


def read_text_arg(arg: str, what: str, encoding: str | None = None) -> tuple[str, str]:
    """(text, where it came from): a file when one has that name, '-' for stdin, else the
    argument itself. A name that looks like a file but is not there is an error, not text."""
    if arg == "-":
        return decode_answer(sys.stdin.buffer.read(), "<stdin>", encoding), "stdin"
    path = Path(arg)
    try:
        is_file, is_dir = path.is_file(), path.is_dir()
    except (OSError, ValueError):  # a long text or one with a NUL is no file name
        is_file = is_dir = False
    if is_file:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise GraderError(f"{arg}: cannot read the {what} ({exc.strerror})") from None
        return decode_answer(raw, arg, encoding), arg
    if is_dir:
        raise GraderError(f"{arg}: is a folder; give the {what} as a text file or as text in quotes")
    if _FILE_LIKE.match(arg):
        raise GraderError(f"{arg}: no such file for the {what}; check the path, or give the text in quotes")
    return arg, ""


def _default_id(output: Path | None, title: str) -> str:
    stem = output.stem if output is not None else "-".join(re.findall(r"[a-z0-9]+", title.lower())[:5])
    rid = re.sub(r"[^a-z0-9_\-]+", "-", stem.lower()).strip("-_") or "draft"
    return rid if re.match(RUBRIC_ID_RE, rid) else f"draft-{rid}"


@click.command(name="draft", short_help="Draft a starter rubric from a model answer.")
@click.argument("question")
@click.argument("model_answer")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the rubric YAML (default: print it).",
)
@click.option(
    "--scored",
    "scored_file",
    type=click.Path(dir_okay=False),
    help="Answers you have scored (CSV, TSV or JSONL): examples come from them, and the draft's "
    "agreement with you is reported.",
)
@id_col_option
@answer_col_option
@click.option("--score-col", default="score", show_default=True, help="Column with your score.")
@encoding_option
@click.option("--id", "rubric_id", metavar="ID", help="The rubric's id (default: from the output file name).")
@click.option("--title", help="The rubric's title (default: the question's last sentence).")
@click.option(
    "--max-score",
    type=click.IntRange(1),
    help="The top score (default: your highest score in --scored, else one point per key element).",
)
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@model_option
def draft(  # type: ignore[no-untyped-def]
    question,
    model_answer,
    output,
    scored_file,
    id_col,
    answer_col,
    score_col,
    encoding,
    rubric_id,
    title,
    max_score,
    force,
    model,
):
    """Draft a starter rubric from a QUESTION and a MODEL_ANSWER.

    Each may be a text file or the text itself in quotes ('-' reads stdin). Each
    claim of the model answer becomes a concept with phrases for the ways it can
    be worded, its causal connectives become links, and the concepts that say
    more than the question are the key elements of the scoring. The draft passes
    grader rubric check; edit it before you use it.
    """
    from ..draft import draft_rubric
    from ..nlp import load_pipeline
    from ..rubric import parse_rubric

    if output is not None:
        if output.exists() and not force:
            raise GraderError(f"{output}: already exists; choose another name or add --force to replace it")
        if not output.parent.is_dir():
            raise GraderError(f"{output}: the folder {output.parent} does not exist; create it first")
    q_text, q_src = read_text_arg(question, "question", encoding)
    a_text, a_src = read_text_arg(model_answer, "model answer", encoding)
    if not q_text.strip():
        raise GraderError(f"{q_src or 'QUESTION'}: the question is empty; give the question students answer")
    if not a_text.strip():
        raise GraderError(
            f"{a_src or 'MODEL_ANSWER'}: the model answer is empty; write the answer you expect"
        )
    title = title or None
    rid = rubric_id or _default_id(output, title or q_text)
    if not re.match(RUBRIC_ID_RE, rid):
        raise GraderError(
            f"--id '{rid}': a rubric id is lower case letters, digits, '-', '_' and '/' (e.g. unit4/osmosis)"
        )
    nlp = load_pipeline(model)
    scored = None
    source = ""
    if scored_file:
        # the scale is not known yet: read scores up to any size, then take the top one
        probe = parse_rubric(
            f"id: {rid}\ntitle: probe\nprompt: probe\nconcepts: [{{id: x, label: x, phrases: [x]}}]\n"
            f"scoring: {{max: {max_score if max_score is not None else 1000000}}}\n"
        )
        cols = ScoredColumns(id_col, answer_col, score_col)
        scored = read_scored(
            scored_file,
            probe,
            id_col=cols.id,
            answer_col=cols.answer,
            score_col=cols.score,
            encoding=encoding,
        )
        for s in scored.skipped[:20]:
            click.echo(f"grader: {scored_file}:{s.line}: skipped ({s.id}): {s.reason}", err=True)
        if not scored.answers:
            raise GraderError(
                f"{scored_file}: no usable scored answers; each row needs an answer and a score"
            )
        source = f" and {len(scored.answers)} scored answers"
    try:
        result = draft_rubric(
            q_text, a_text, nlp, rubric_id=rid, title=title, max_score=max_score, scored=scored, source=source
        )
    except ValueError as exc:
        raise GraderError(f"{a_src or 'MODEL_ANSWER'}: {exc}") from None
    if output is None:
        click.echo(result.text, nl=False)
        return
    write_text(output, result.text)
    n_links = len(result.rubric.links)
    keys = result.rubric.scoring.key_elements or []
    click.echo(
        f"Wrote {output}: {len(result.rubric.concepts)} concepts ({len(keys)} key elements), "
        f"{n_links} link{'s' if n_links != 1 else ''}, {len(result.rubric.examples)} examples, "
        f"scored 0-{result.rubric.max_score():g}.",
        err=True,
    )
    if result.agreement is not None:
        a = result.agreement
        q = "-" if a["qwk"] is None else f"{a['qwk']:.2f}"
        click.echo(f"On your {a['n']} scored answers: QWK {q}, exact {100 * a['exact']:.0f}%.", err=True)
    click.echo(f"Edit it, then run: grader rubric check {output}", err=True)
