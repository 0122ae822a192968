"""The labelled development set for the checker's linguistics: loading, answer texts, judging.

Each `*.yaml` file in this folder holds the items of one rubric:

    rubric: rubrics/ap-bio/membrane-potential.yaml    # relative to the repository root
    items:
      - id: mp-neg-relcl-01                           # unique across the devset
        text: "The pump is a protein that does not require ATP."
        # or a real answer, read at run time:  source: {corpus: beetle, split: train, answer_id: "..."}
        phenomena: [negation.relcl, claim.subject]    # dotted tags
        expect:                                       # every list optional
          concepts: [active_transport]                # credited
          negated: [atp]                              # found, but only inside a negation
          absent: []                                  # not credited (missing or negated)
          links: []                                   # credited, 'cause -> effect'
          not_links: []                               # not credited
          reversed: []                                # stated backwards: not credited, noted 'reversed'
          misconceptions: [no_energy_needed]          # stated
          not_misconceptions: []                      # not stated
        note: why the item is here
        gap: why no dependency parse can get it       # optional: the test is then a strict xfail
        open: what the checker still gets wrong       # optional: a known fault, a strict xfail too

Labels say what a careful reader finds in the text, not what any version of the
checker reports. SemEval-2013 Task 7 answers are never copied here: an item
names one by corpus, split and answer id, and its text is read from the
release zip in ../shared/data/semeval2013-task7 (or $GRADER_SEMEVAL_DIR).

`judge()` compares one item with the checker's Feedback and counts, per kind:

- concepts: TP an expected concept credited; FN not credited; FP a `negated`
  or `absent` concept credited.
- negation: TP a `negated` concept reported negated; FN reported otherwise;
  FP a `concepts` concept reported negated.
- links: TP an expected link credited; FN not credited; FP a `not_links` or
  `reversed` link credited.
- direction: TP a `reversed` link reported reversed (not credited, note
  'reversed'); FN not so reported; FP a `links` or `not_links` link reported
  reversed.
- misconceptions: TP an expected misconception stated; FN not stated; FP a
  `not_misconceptions` one stated.

An item passes when it has no FN and no FP.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader import Feedback, load_rubric
from grader.errors import RubricError
from grader.rubric import Rubric, parse_link

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
KINDS = ("concepts", "negation", "links", "direction", "misconceptions")
EXPECT_FIELDS = (
    "concepts",
    "negated",
    "absent",
    "links",
    "not_links",
    "reversed",
    "misconceptions",
    "not_misconceptions",
)
ITEM_FIELDS = ("id", "text", "source", "phenomena", "expect", "note", "gap", "open")
CORPORA = {"beetle": "beetle", "scientsbank": "sciEntsBank"}
# split -> folder of the 3-way XML files in the release zip, {c} the corpus folder
SPLITS = {
    "train": "training/3way/{c}/",
    "test-ua": "test/3way/{c}/test-unseen-answers/",
    "test-uq": "test/3way/{c}/test-unseen-questions/",
    "test-ud": "test/3way/{c}/test-unseen-domains/",
}
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TAG_RE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)*$")


class DevsetError(Exception):
    """A devset file that cannot be used; the message names the file, line, item and field."""


@dataclass(frozen=True)
class Source:
    corpus: str
    split: str
    answer_id: str


@dataclass(frozen=True)
class Expect:
    concepts: tuple[str, ...] = ()
    negated: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    not_links: tuple[str, ...] = ()
    reversed: tuple[str, ...] = ()
    misconceptions: tuple[str, ...] = ()
    not_misconceptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    id: str
    file: Path
    line: int
    rubric: Path
    phenomena: tuple[str, ...]
    expect: Expect
    text: str | None = None
    source: Source | None = None
    note: str | None = None
    gap: str | None = None
    open: str | None = None  # a fault of today's checker: fixing it turns the xfail into a failure

    @property
    def origin(self) -> str:
        """'own' for text written for the devset, else the corpus name."""
        return self.source.corpus if self.source else "own"


# --- loading --------------------------------------------------------------------------


def load_devset(folder: Path = HERE) -> list[Item]:
    """Every item of every `*.yaml` file in `folder`, checked against its rubric."""
    items: list[Item] = []
    seen: dict[str, Item] = {}
    for path in sorted(folder.glob("*.yaml")):
        for item in load_file(path):
            if item.id in seen:
                first = seen[item.id]
                raise DevsetError(
                    f"{_rel(path)}:{item.line}: id '{item.id}' is already used in "
                    f"{_rel(first.file)}:{first.line}; give each item its own id"
                )
            seen[item.id] = item
            items.append(item)
    if not items:
        raise DevsetError(f"{_rel(folder)}: no devset items (*.yaml files with 'items')")
    return items


def load_file(path: Path) -> list[Item]:
    where = _rel(path)
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except UnicodeDecodeError:
        raise DevsetError(f"{where}: is not UTF-8 text; save it as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise DevsetError(f"{where}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict) or set(data) - {"rubric", "items"} or "rubric" not in data:
        raise DevsetError(f"{where}: a devset file is a mapping with 'rubric' (a path) and 'items' (a list)")
    rubric_path = ROOT / str(data["rubric"])
    try:
        rubric = load_rubric(rubric_path)
    except RubricError as exc:
        raise DevsetError(f"{where}:1: rubric: {exc}") from None
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise DevsetError(f"{where}: 'items' must be a non-empty list of items")
    item_nodes = _items_node(node)
    out = []
    for i, raw in enumerate(raw_items):
        line = item_nodes[i].start_mark.line + 1 if i < len(item_nodes) else 1
        out.append(_item(raw, path, line, rubric_path, rubric))
    return out


def _items_node(node: yaml.Node | None) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if getattr(key, "value", None) == "items" and isinstance(value, yaml.SequenceNode):
                return list(value.value)
    return []


def _item(raw: Any, path: Path, line: int, rubric_path: Path, rubric: Rubric) -> Item:
    where = f"{_rel(path)}:{line}"
    if not isinstance(raw, dict):
        raise DevsetError(f"{where}: an item is a mapping with id, text or source, phenomena, expect")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not ID_RE.match(item_id):
        raise DevsetError(f"{where}: id: give a lower-case id of letters, digits and dashes")
    where = f"{where}: {item_id}"
    unknown = set(raw) - set(ITEM_FIELDS)
    if unknown:
        raise DevsetError(
            f"{where}: unknown field '{sorted(unknown)[0]}'; item fields: {', '.join(ITEM_FIELDS)}"
        )
    if ("text" in raw) == ("source" in raw):
        raise DevsetError(f"{where}: give either 'text' or 'source', not both or neither")
    text = raw.get("text")
    if "text" in raw and (not isinstance(text, str) or not text.strip()):
        raise DevsetError(f"{where}: text: write the answer as a non-empty string")
    source = _source(raw["source"], where) if "source" in raw else None
    tags = raw.get("phenomena")
    if (
        not isinstance(tags, list)
        or not tags
        or not all(isinstance(t, str) and TAG_RE.match(t) for t in tags)
    ):
        raise DevsetError(f"{where}: phenomena: give a list of dotted lower-case tags, e.g. [negation.relcl]")
    for name in ("note", "gap", "open"):
        if name in raw and (not isinstance(raw[name], str) or not raw[name].strip()):
            raise DevsetError(f"{where}: {name}: write it as a non-empty string")
    return Item(
        id=item_id,
        file=path,
        line=line,
        rubric=rubric_path,
        phenomena=tuple(tags),
        expect=_expect(raw.get("expect"), where, rubric),
        text=text,
        source=source,
        note=raw.get("note"),
        gap=raw.get("gap"),
        open=raw.get("open"),
    )


def _source(raw: Any, where: str) -> Source:
    if not isinstance(raw, dict) or set(raw) != {"corpus", "split", "answer_id"}:
        raise DevsetError(
            f"{where}: source: write {{corpus: beetle|scientsbank, split: ..., answer_id: ...}}"
        )
    if raw["corpus"] not in CORPORA:
        raise DevsetError(f"{where}: source.corpus: '{raw['corpus']}' is not one of {', '.join(CORPORA)}")
    if raw["split"] not in SPLITS:
        raise DevsetError(f"{where}: source.split: '{raw['split']}' is not one of {', '.join(SPLITS)}")
    if not isinstance(raw["answer_id"], str) or not raw["answer_id"]:
        raise DevsetError(f"{where}: source.answer_id: put the answer id in quotes")
    return Source(raw["corpus"], raw["split"], raw["answer_id"])


def _expect(raw: Any, where: str, rubric: Rubric) -> Expect:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise DevsetError(f"{where}: expect: a mapping of lists ({', '.join(EXPECT_FIELDS)})")
    unknown = set(raw) - set(EXPECT_FIELDS)
    if unknown:
        raise DevsetError(
            f"{where}: expect: unknown field '{sorted(unknown)[0]}'; fields: {', '.join(EXPECT_FIELDS)}"
        )
    concepts = {c.id for c in rubric.concepts}
    links = {lk.key: lk for lk in rubric.links}
    miscs = {m.id for m in rubric.misconceptions}
    values: dict[str, tuple[str, ...]] = {}
    for name in EXPECT_FIELDS:
        value = raw.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise DevsetError(f"{where}: expect.{name}: give a list of ids")
        if name in ("links", "not_links", "reversed"):
            value = [_link_key(v, f"{where}: expect.{name}") for v in value]
            pool: Iterable[str] = links
        elif name in ("misconceptions", "not_misconceptions"):
            pool = miscs
        else:
            pool = concepts
        for v in value:
            if v not in pool:
                choices = ", ".join(sorted(pool))
                raise DevsetError(
                    f"{where}: expect.{name}: '{v}' is not in {rubric.id}; use one of: {choices}"
                )
        values[name] = tuple(value)
    for group in (("concepts", "negated", "absent"), ("links", "not_links", "reversed")):
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                both = set(values[a]) & set(values[b])
                if both:
                    raise DevsetError(f"{where}: expect: '{sorted(both)[0]}' is in both {a} and {b}")
    both = set(values["misconceptions"]) & set(values["not_misconceptions"])
    if both:
        raise DevsetError(
            f"{where}: expect: '{sorted(both)[0]}' is in both misconceptions and not_misconceptions"
        )
    for key in values["reversed"]:
        if not links[key].directed:
            raise DevsetError(
                f"{where}: expect.reversed: '{key}' is undirected in {rubric.id}, so it cannot be "
                "stated backwards; put it in links or not_links"
            )
    return Expect(**values)


def _link_key(text: str, where: str) -> str:
    try:
        src, dst = parse_link(text)
    except ValueError as exc:
        raise DevsetError(f"{where}: {exc}") from None
    return f"{src} -> {dst}"


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


# --- SemEval-2013 Task 7 answers --------------------------------------------------------


def semeval_dir() -> Path:
    env = os.environ.get("GRADER_SEMEVAL_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "data" / "semeval2013-task7"


@dataclass
class SemevalAnswers:
    """The student answers of the SemEval-2013 Task 7 release, read from its zip once."""

    zip_path: Path
    _answers: dict[tuple[str, str], dict[str, tuple[str, str]]] = field(default_factory=dict)

    @classmethod
    def find(cls, folder: Path | None = None) -> SemevalAnswers | None:
        path = (folder or semeval_dir()) / "semeval-3way.zip"
        return cls(path) if path.is_file() else None

    def _load(self) -> None:
        with zipfile.ZipFile(self.zip_path) as zf:
            for name in zf.namelist():
                if not name.endswith(".xml"):
                    continue
                for corpus, folder in CORPORA.items():
                    for split, prefix in SPLITS.items():
                        if name.startswith(prefix.format(c=folder)):
                            answers = self._answers.setdefault((corpus, split), {})
                            for sa in ET.fromstring(zf.read(name)).iter("studentAnswer"):
                                answers[sa.get("id", "")] = ((sa.text or "").strip(), sa.get("accuracy", ""))

    def get(self, source: Source) -> tuple[str, str]:
        """(answer text, 3-way label) of a sourced item; DevsetError when the id is not there."""
        if not self._answers:
            self._load()
        found = self._answers.get((source.corpus, source.split), {}).get(source.answer_id)
        if found is None:
            raise DevsetError(
                f"answer '{source.answer_id}' is not in the {source.corpus} {source.split} split of "
                f"{self.zip_path}; check the id and split"
            )
        return found


# --- judging ----------------------------------------------------------------------------


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass
class Judgement:
    counts: dict[str, Counts]
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def judge(item: Item, fb: Feedback) -> Judgement:
    """Count TP/FP/FN per kind (see the module docstring) and say what went wrong."""
    e = item.expect
    counts = {kind: Counts() for kind in KINDS}
    failures: list[str] = []
    status = {c.id: c.status for c in fb.concepts}
    link = {lk.key: lk for lk in fb.links}
    fired = set(fb.misconception_ids)

    def credited(key: str) -> bool:
        return link[key].status == "present"

    def backwards(key: str) -> bool:
        return link[key].status != "present" and link[key].note == "reversed"

    def count(kind: str, outcome: str, message: str | None = None) -> None:
        c = counts[kind]
        setattr(c, outcome, getattr(c, outcome) + 1)
        if message:
            failures.append(message)

    for cid in e.concepts:
        ok = status[cid] == "present"
        count(
            "concepts",
            "tp" if ok else "fn",
            None if ok else f"concept {cid}: expected credited, got {status[cid]}",
        )
        if status[cid] == "negated":
            count("negation", "fp", f"concept {cid}: reported negated, but the text affirms it")
    for cid in e.negated:
        ok = status[cid] == "negated"
        count(
            "negation",
            "tp" if ok else "fn",
            None if ok else f"concept {cid}: expected negated, got {status[cid]}",
        )
        if status[cid] == "present":
            count("concepts", "fp")
    for cid in e.absent:
        if status[cid] == "present":
            count("concepts", "fp", f"concept {cid}: expected not credited, got present")
    for key in e.links:
        ok = credited(key)
        note = f" ({link[key].note})" if link[key].note else ""
        count(
            "links", "tp" if ok else "fn", None if ok else f"link {key}: expected credited, got missing{note}"
        )
    for key in e.not_links:
        if credited(key):
            count("links", "fp", f"link {key}: expected not credited, got present")
    for key in e.reversed:
        if credited(key):
            count("links", "fp", f"link {key}: stated backwards, but credited")
        ok = backwards(key)
        count("direction", "tp" if ok else "fn", None if ok else f"link {key}: expected noted reversed")
    for key in e.links + e.not_links:
        if backwards(key):
            count("direction", "fp", f"link {key}: reported reversed, but not stated backwards")
    for mid in e.misconceptions:
        ok = mid in fired
        count(
            "misconceptions",
            "tp" if ok else "fn",
            None if ok else f"misconception {mid}: expected, not found",
        )
    for mid in e.not_misconceptions:
        if mid in fired:
            count("misconceptions", "fp", f"misconception {mid}: found, but the text does not state it")
    return Judgement(counts, failures)
