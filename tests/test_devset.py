"""The linguistics development set: one case per labelled item (tests/devset/*.yaml).

Each case checks the item's text against its rubric through the public API and
compares what the checker found with what a careful reader finds (see
tests/devset/__init__.py for the format and the counting). Items from the
SemEval-2013 Task 7 answers skip when ../shared/data is absent. An item with a
`gap` (a reading no dependency parse can give) or an `open` fault of today's checker
(what it still gets wrong) is a strict xfail: when the checker gets it right, the
mark must go.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from devset import (
    DevsetError,
    Expect,
    Item,
    SemevalAnswers,
    judge,
    load_devset,
    load_file,
    semeval_dir,
)

from grader import Checker, Feedback, load_rubric
from grader.feedback import ConceptResult, LinkResult, MisconceptionResult

try:
    ITEMS: list[Item] = load_devset()
    LOAD_ERROR: str | None = None
except DevsetError as exc:
    ITEMS, LOAD_ERROR = [], str(exc)

SEMEVAL = SemevalAnswers.find()
MIN_ITEMS = 450
MIN_SEMEVAL_ITEMS = 200
MP = "rubrics/ap-bio/membrane-potential.yaml"


def test_devset_loads():
    assert LOAD_ERROR is None, LOAD_ERROR


@pytest.fixture(scope="module")
def checkers(nlp):
    cache: dict[Path, Checker] = {}

    def get(path: Path) -> Checker:
        if path not in cache:
            cache[path] = Checker(load_rubric(path), nlp)
        return cache[path]

    return get


def _param(item: Item):
    why = item.gap or item.open
    marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
    return pytest.param(item, id=item.id, marks=marks)


@pytest.mark.parametrize("item", [_param(it) for it in ITEMS])
def test_item(item: Item, checkers):
    if item.source is not None:
        if SEMEVAL is None:
            pytest.skip(
                f"SemEval-2013 Task 7 data not found in {semeval_dir()}; {item.id} reads its answer there"
            )
        text, _label = SEMEVAL.get(item.source)
    else:
        assert item.text is not None
        text = item.text
    fb = checkers(item.rubric).check(text)
    verdict = judge(item, fb)
    assert verdict.passed, f"{item.id} ({', '.join(item.phenomena)}):\n  " + "\n  ".join(verdict.failures)


# --- the set itself -------------------------------------------------------------------------


def test_size_and_spread():
    sourced = [it for it in ITEMS if it.source]
    assert len(ITEMS) >= MIN_ITEMS
    assert len(sourced) >= MIN_SEMEVAL_ITEMS
    assert {it.source.corpus for it in sourced if it.source} == {"beetle", "scientsbank"}
    # many questions, not a few: no question gives more than a tenth of the sourced items
    questions = Counter(it.source.answer_id.rsplit(".", 2)[0] for it in sourced if it.source)
    assert len(questions) >= 20
    assert max(questions.values()) <= len(sourced) / 10


@pytest.mark.skipif(SEMEVAL is None, reason="SemEval-2013 Task 7 data not found")
def test_every_source_resolves_and_contradictory_answers_are_in():
    assert SEMEVAL is not None
    labels = Counter(SEMEVAL.get(it.source)[1] for it in ITEMS if it.source)
    assert labels["contradictory"] >= 40


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


@pytest.mark.skipif(SEMEVAL is None, reason="SemEval-2013 Task 7 data not found")
def test_no_answer_text_is_copied_into_the_repository():
    """Real answers are referenced by id only: none of their wording (6 words or more) is in a devset file."""
    assert SEMEVAL is not None
    here = Path(__file__).resolve().parent / "devset"
    files = {p: _words(p.read_text(encoding="utf-8")) for p in [*here.rglob("*.yaml"), here / "__init__.py"]}
    for it in ITEMS:
        if it.source is None:
            continue
        answer = _words(SEMEVAL.get(it.source)[0])
        if len(answer.split()) >= 6:
            copied = [p.name for p, words in files.items() if answer in words]
            assert not copied, (
                f"{it.id}: its answer text is written out in {', '.join(copied)}; refer to it by id"
            )


# --- the counting ---------------------------------------------------------------------------


def _feedback(
    concepts: dict[str, str], links: dict[str, tuple[str, str | None]], fired: list[str]
) -> Feedback:
    return Feedback(
        rubric="r",
        pipeline="p",
        score=0,
        max_score=1,
        concepts=[ConceptResult(id=c, label=c, status=s) for c, s in concepts.items()],
        links=[
            LinkResult(from_=k.split(" -> ")[0], to=k.split(" -> ")[1], status=s, note=n)
            for k, (s, n) in links.items()
        ],
        misconceptions=[MisconceptionResult(id=m, feedback="f") for m in fired],
        feedback=[],
    )


def test_judge_counts_each_kind():
    item = Item(
        id="x",
        file=Path("x.yaml"),
        line=1,
        rubric=Path("r.yaml"),
        phenomena=("t",),
        expect=Expect(
            concepts=("a", "b"),
            negated=("c", "d"),
            absent=("e",),
            links=("a -> b", "b -> c"),
            not_links=("c -> d",),
            reversed=("d -> e", "a -> e"),
            misconceptions=("m1",),
            not_misconceptions=("m2",),
        ),
    )
    fb = _feedback(
        {"a": "present", "b": "negated", "c": "negated", "d": "present", "e": "present"},
        {
            "a -> b": ("present", None),
            "b -> c": ("missing", "reversed"),
            "c -> d": ("present", None),
            "d -> e": ("missing", "reversed"),
            "a -> e": ("present", None),
        },
        ["m2"],
    )
    got = {k: (c.tp, c.fp, c.fn) for k, c in judge(item, fb).counts.items()}
    assert got == {
        "concepts": (1, 2, 1),  # a credited; d (negated) and e (absent) credited; b not
        "negation": (1, 1, 1),  # c negated; b wrongly negated; d credited instead
        "links": (1, 2, 1),  # a -> b; c -> d and a -> e (reversed) credited; b -> c missing
        "direction": (1, 1, 1),  # d -> e noted reversed; b -> c noted though expected; a -> e credited
        "misconceptions": (0, 1, 1),  # m1 missed, m2 found
    }
    assert not judge(item, fb).passed


# --- the loader's messages on bad files -------------------------------------------------------

BAD_FILES = [
    ("rubric: rubrics/ap-bio/nope.yaml\nitems: [{id: a, text: x, phenomena: [t]}]\n", "bad.yaml:1: rubric:"),
    ("items: []\n", "a mapping with 'rubric'"),
    ("rubric: rubrics/ap-bio/membrane-potential.yaml\nitems: []\n", "'items' must be a non-empty list"),
    (
        "rubric: rubrics/ap-bio/membrane-potential.yaml\nitems:\n  - {id: Bad_Id, text: x, phenomena: [t]}\n",
        "bad.yaml:3: id: give a lower-case id",
    ),
    (
        "rubric: rubrics/ap-bio/membrane-potential.yaml\nitems:\n  - {id: a, phenomena: [t]}\n",
        "bad.yaml:3: a: give either 'text' or 'source'",
    ),
    (
        "rubric: rubrics/ap-bio/membrane-potential.yaml\nitems:\n  - {id: a, text: x, phenomena: [Neg]}\n",
        "a: phenomena: give a list of dotted lower-case tags",
    ),
    (
        "rubric: rubrics/ap-bio/membrane-potential.yaml\nitems:\n"
        "  - {id: a, text: x, phenomena: [t], expect: {concepts: [atpp]}}\n",
        "a: expect.concepts: 'atpp' is not in ap-bio/membrane-potential; use one of: active_transport, atp",
    ),
    (
        "rubric: rubrics/ap-bio/membrane-potential.yaml\nitems:\n"
        "  - {id: a, text: x, phenomena: [t], expect: {links: [atp to gradient]}}\n",
        "a: expect.links: 'atp to gradient' is not a link; write it as 'cause -> effect'",
    ),
    (
        "rubric: rubrics/ap-bio/membrane-potential.yaml\nitems:\n"
        "  - {id: a, text: x, phenomena: [t], expect: {concepts: [atp], negated: [atp]}}\n",
        "a: expect: 'atp' is in both concepts and negated",
    ),
    (
        "rubric: rubrics/ap-bio/membrane-potential.yaml\nitems:\n"
        "  - {id: a, text: x, phenomena: [t], expect: {reversed: [gradient -> channels_open]}}\n",
        "'gradient -> channels_open' is undirected",
    ),
    (
        "rubric: rubrics/ap-bio/membrane-potential.yaml\nitems:\n"
        "  - {id: a, source: {corpus: beetel, split: train, answer_id: x}, phenomena: [t]}\n",
        "a: source.corpus: 'beetel' is not one of beetle, scientsbank",
    ),
    (
        "rubric: rubrics/ap-bio/membrane-potential.yaml\nitems:\n"
        "  - {id: a, text: x, phenomena: [t], expect: {misconception: [no_energy_needed]}}\n",
        "a: expect: unknown field 'misconception'",
    ),
    ("rubric: [unclosed\n", "bad.yaml:2: not valid YAML"),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_bad_file_message(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DevsetError) as info:
        load_file(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_duplicate_id_names_both_places(tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(
            f"rubric: {MP}\nitems:\n  - {{id: same, text: x, phenomena: [t]}}\n",
            encoding="utf-8",
        )
    with pytest.raises(DevsetError, match=r"b.yaml:3: id 'same' is already used in .*a.yaml:3"):
        load_devset(tmp_path)


@pytest.mark.skipif(SEMEVAL is None, reason="SemEval-2013 Task 7 data not found")
def test_unknown_answer_id_is_named():
    from devset import Source

    assert SEMEVAL is not None
    with pytest.raises(DevsetError, match="answer 'NO.SUCH.1' is not in the scientsbank train split"):
        SEMEVAL.get(Source("scientsbank", "train", "NO.SUCH.1"))
