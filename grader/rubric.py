"""The rubric: pydantic models, the YAML loader and its error messages.

A rubric names the concepts of a good answer, the causal links between them,
the misconceptions to catch, how to score, and graded examples it must
reproduce. Ids are the keys everywhere (feedback, CSV columns, tests).
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import RubricError
from .pattern_safety import regex_hazard

ID_RE = r"^(?:[a-z0-9]+\.)?[a-z][a-z0-9_]*$"  # "atp", or "a.atp" in part a of a multi-part rubric
PART_ID_RE = r"^[a-z0-9]+$"
RUBRIC_ID_RE = r"^[a-z0-9][a-z0-9_\-]*(/[a-z0-9][a-z0-9_\-]*)*$"
LINK_RE = re.compile(r"^\s*((?:[a-z0-9]+\.)?[a-z][a-z0-9_]*)\s*->\s*((?:[a-z0-9]+\.)?[a-z][a-z0-9_]*)\s*$")

TokenPattern = list[dict[str, Any]]
Window = Annotated[int, Field(ge=0, le=50)] | Literal["clause", "sentence", "item"]


class _Model(BaseModel):
    # YAML's folded blocks (">") end in a newline: labels, hints and feedback are stripped
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)


class _At(ValueError):
    """A validation error that knows where it is (below the field it is raised for)."""

    def __init__(self, loc: tuple[str | int, ...], message: str):
        super().__init__(message)
        self.loc = loc


def link_key(cause: str, effect: str) -> str:
    """How a link is named everywhere: 'atp -> active_transport'."""
    return f"{cause} -> {effect}"


def _safe_patterns(value: list[TokenPattern]) -> list[TokenPattern]:
    for i, pattern in enumerate(value):
        for j, token in enumerate(pattern if isinstance(pattern, list) else []):
            for where, regex in _regexes(token, ()):
                hazard = regex_hazard(regex)
                if hazard:
                    raise _At((i, j, *where), f"the REGEX {regex!r} is refused: {hazard}")
    return value


def _regexes(node: Any, where: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
    """Every REGEX predicate in a token pattern, with its path."""
    if not isinstance(node, dict):
        return []
    found = []
    for key, value in node.items():
        if key == "REGEX" and isinstance(value, str):
            found.append(((*where, key), value))
        else:
            found += _regexes(value, (*where, str(key)))
    return found


def _clean_phrases(value: list[str]) -> list[str]:
    cleaned = [p.strip() for p in value]
    if any(not p for p in cleaned):
        raise ValueError("a phrase is empty; remove it or write the words it should match")
    return cleaned


class Concept(_Model):
    """One idea a good answer states, found by phrases or token patterns."""

    id: str = Field(pattern=ID_RE, description="Stable id: lower case, digits, underscores.")
    label: str = Field(min_length=1, description="What the concept says, as a teacher would.")
    phrases: list[str] = Field(
        default_factory=list,
        description=(
            "Wordings that show the concept. Matched on lemmas, case-insensitively, "
            "ignoring articles, auxiliaries and punctuation. 'A ... B' allows a few "
            "words between A and B in one sentence; 'A & B' needs both in one sentence, "
            "in any order."
        ),
    )
    patterns: list[TokenPattern] = Field(
        default_factory=list,
        description="spaCy Matcher token patterns, for what phrases can't say.",
    )
    hint: str | None = Field(None, description="Shown to the student when the concept is missing.")
    name: str | None = Field(
        None, description="How feedback names the concept mid-sentence, e.g. 'the ion gradient'."
    )
    points: float | None = Field(None, description="Overrides scoring.concept_points.")
    not_: list[str] = Field(
        default_factory=list,
        alias="not",
        description=(
            "Phrases that cancel a mention in the same clause: 'to the ribosome' with "
            "not: [protein] is not credited in 'the protein goes to the ribosome'."
        ),
    )
    window: Window | None = Field(
        None,
        description=(
            "How far apart the parts of an 'A ... B' phrase may be: a number of words (in one "
            "clause), 'clause', 'sentence', or 'item' (one item of a list: up to a comma, "
            "semicolon or line break). Default: 5 words in one clause."
        ),
    )
    describes: str | None = Field(
        None,
        description=(
            "The concept id of the term this description defines. The description then counts "
            "only where it is said of that term, or of no other named term: in 'osmosis is the "
            "diffusion of water from high to low' a description of diffusion does not count."
        ),
    )

    _check_phrases = field_validator("phrases", "not_")(_clean_phrases)
    _check_patterns = field_validator("patterns")(_safe_patterns)

    @model_validator(mode="after")
    def _needs_a_matcher(self) -> Concept:
        if not self.phrases and not self.patterns:
            raise ValueError(f"concept '{self.id}' has no phrases and no patterns; add at least one phrase")
        return self

    @property
    def short(self) -> str:
        return self.name or (self.label[:1].lower() + self.label[1:])


class Link(_Model):
    """A causal step the answer must argue: the cause concept leads to the effect concept."""

    from_: str = Field(alias="from", pattern=ID_RE)
    to: str = Field(pattern=ID_RE)
    hint: str | None = Field(None, description="Shown when both ends are present but not related.")
    points: float | None = Field(None, description="Overrides scoring.link_points.")
    directed: bool = Field(
        True,
        description=(
            "False when students fairly state the link either way round "
            "('ions flow down the gradient when channels open'); a reversed statement then counts."
        ),
    )
    verbs: list[str] | None = Field(
        None,
        description=(
            "Verb (or predicative adjective) lemmas that alone argue this link, in place of the "
            "built-in relating verbs: e.g. [be, mean] for a definition. Connectives ('because', "
            "'so'), sentence openers and arrows still count."
        ),
    )

    @property
    def key(self) -> str:
        return link_key(self.from_, self.to)


class Claim(_Model):
    """A wrong statement as who-does-what: subject related to object (through verbs)."""

    subject: list[str] = Field(min_length=1)
    object: list[str] = Field(min_length=1)
    verbs: list[str] = Field(
        default_factory=list,
        description="Lemmas of the verbs that must relate them; empty means any relating verb.",
    )
    negated: bool = Field(
        False, description="True when the wrong claim is the negative one ('does not need ATP')."
    )

    _check_subject = field_validator("subject", "object")(_clean_phrases)


class Misconception(_Model):
    id: str = Field(pattern=ID_RE)
    label: str | None = None
    phrases: list[str] = Field(default_factory=list)
    patterns: list[TokenPattern] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)
    feedback: str = Field(min_length=1, description="Shown to the student when it is stated.")
    penalty: float = Field(0, ge=0, description="Points taken off when stated (0: no credit only).")
    window: Window | None = Field(None, description="As for concepts: how far apart phrase parts may be.")
    scope: Literal["clause", "sentence"] = Field(
        "clause",
        description=(
            "What a stated misconception takes credit from: its own clause (default), or its whole sentence."
        ),
    )

    _check_phrases = field_validator("phrases")(_clean_phrases)
    _check_patterns = field_validator("patterns")(_safe_patterns)

    @model_validator(mode="after")
    def _needs_a_matcher(self) -> Misconception:
        if not (self.phrases or self.patterns or self.claims):
            raise ValueError(f"misconception '{self.id}' has no phrases, patterns or claims; add one")
        return self


class Group(_Model):
    """Key-element group: 'any N of these' members count, at most `counts` of them."""

    id: str = Field(pattern=ID_RE)
    members: list[str] = Field(min_length=1)
    counts: int = Field(1, ge=1, description="How many members can count as key elements.")


class Scoring(_Model):
    concept_points: float = 1.0
    link_points: float = 1.0
    key_elements: list[str] | None = Field(
        None,
        description=("Score by counting key elements: concept ids, links written 'a -> b', or group ids."),
    )
    groups: list[Group] = Field(default_factory=list)
    table: dict[int, float] | None = Field(
        None,
        description=(
            "Key elements found -> points. The entry with the largest count not above "
            "the number found applies; below every entry the score is 0."
        ),
    )
    max: float | None = Field(None, description="Highest score; defaults to the sum of points.")
    list_max: float | None = Field(
        None,
        ge=0,
        description=(
            "Highest score for an answer that only lists terms: every concept it earns is named "
            "in a list with no sentence that uses it, and it argues no link. None: no such cap."
        ),
    )

    @model_validator(mode="after")
    def _table_goes_with_key_elements(self) -> Scoring:
        if (self.key_elements is None) != (self.table is None):
            raise ValueError("key_elements and table go together: give both or neither")
        return self


class Expect(_Model):
    score: float | None = None
    concepts: list[str] = Field(default_factory=list, description="Must be credited.")
    not_concepts: list[str] = Field(default_factory=list, description="Must not be credited.")
    links: list[str] = Field(default_factory=list, description="'a -> b', must be credited.")
    not_links: list[str] = Field(default_factory=list)
    misconceptions: list[str] = Field(default_factory=list)
    not_misconceptions: list[str] = Field(default_factory=list)


class Example(_Model):
    answer: str
    expect: Expect
    note: str | None = Field(None, description="Why the example is here: the case it pins.")


class Part(_Model):
    """One part of a multi-part question ("(a) Describe ...", "(b) Explain ..."): its own
    concepts, links, misconceptions and scoring. In the loaded rubric they are listed with
    the rubric's, their ids prefixed with the part's ("a.atp"); the part keeps its prompt
    and scoring."""

    id: str = Field(
        pattern=PART_ID_RE, description="The part's letter or number, as students mark it: a, b, c."
    )
    title: str | None = None
    prompt: str = Field(min_length=1)
    relating_verbs: list[str] = Field(default_factory=list)
    scoring: Scoring = Field(default_factory=Scoring)

    def owns(self, item_id: str) -> bool:
        return item_id.startswith(f"{self.id}.")


class Rubric(_Model):
    id: str = Field(pattern=RUBRIC_ID_RE, description="Stable id, e.g. 'ap-bio/membrane-potential'.")
    title: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    course: str | None = None
    standard: str | None = None
    parts: list[Part] = Field(
        default_factory=list,
        description=(
            "For a multi-part question: each part with its id, prompt, concepts, links, "
            "misconceptions and scoring. Concept ids are then written 'a.atp' in links between "
            "parts' examples, CSV columns and feedback. The total is the sum of the parts."
        ),
    )
    concepts: list[Concept] = Field(min_length=1)
    links: list[Link] = Field(default_factory=list)
    misconceptions: list[Misconception] = Field(default_factory=list)
    relating_verbs: list[str] = Field(
        default_factory=list,
        description="Extra verb lemmas that argue a link for this topic (beyond the built-in list).",
    )
    scoring: Scoring = Field(default_factory=Scoring)
    examples: list[Example] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _flatten_parts(cls, data: Any) -> Any:
        """A part's concepts, links and misconceptions join the rubric's, prefixed with the
        part id; the part keeps its prompt and scoring (its key elements prefixed too)."""
        if not isinstance(data, dict) or not isinstance(data.get("parts"), list):
            return data
        if not any(isinstance(p, dict) and "concepts" in p for p in data["parts"]):
            return data  # already flat (a rubric read back from its own JSON)
        if data.get("concepts") or data.get("links") or data.get("misconceptions"):
            raise ValueError(
                "a rubric with parts lists its concepts, links and misconceptions under each part, "
                "not at the top level; move them into the part they belong to"
            )
        data = dict(data)
        flat: dict[str, list[Any]] = {"concepts": [], "links": [], "misconceptions": []}
        parts = []
        for part in data["parts"]:
            if not isinstance(part, dict):
                parts.append(part)
                continue
            part = dict(part)
            pid = str(part.get("id", ""))
            for key in flat:
                for item in part.pop(key, None) or []:
                    flat[key].append(_prefixed(key, item, pid))
            if isinstance(part.get("scoring"), dict):
                part["scoring"] = _prefixed_scoring(part["scoring"], pid)
            parts.append(part)
        data.update(flat, parts=parts)
        return data

    @model_validator(mode="after")
    def _check_references(self) -> Rubric:
        concept_ids = [c.id for c in self.concepts]
        _no_duplicates("concepts", concept_ids)
        _no_duplicates("misconceptions", [m.id for m in self.misconceptions])
        _no_duplicates(("scoring", "groups"), [g.id for g in self.scoring.groups])
        known = set(concept_ids)
        for i, c in enumerate(self.concepts):
            if c.describes is not None and (c.describes not in known or c.describes == c.id):
                raise _At(
                    ("concepts", i, "describes"),
                    f"describes names '{c.describes}', which is not another concept of the rubric; "
                    f"use one of: {', '.join(x for x in concept_ids if x != c.id)}",
                )
        for i, link in enumerate(self.links):
            for end, name in ((link.from_, "from"), (link.to, "to")):
                if end not in known:
                    raise _At(
                        ("links", i, name),
                        f"concept '{end}' is not defined in this rubric; "
                        f"use one of: {', '.join(concept_ids)}",
                    )
            if link.from_ == link.to:
                raise _At(("links", i), f"links '{link.from_}' to itself")
        _no_duplicates("links", [lk.key for lk in self.links], what="link")
        link_keys = {lk.key for lk in self.links}
        misc_ids = {m.id for m in self.misconceptions}
        _no_duplicates("parts", [p.id for p in self.parts])
        part_ids = {p.id for p in self.parts}
        for i, c in enumerate(self.concepts):
            prefix = c.id.split(".", 1)[0] if "." in c.id else None
            if self.parts and prefix not in part_ids:
                raise _At(
                    ("concepts", i, "id"),
                    f"'{c.id}': a concept id 'x.name' belongs to part x of a rubric with parts; "
                    "list it under its part, or drop the prefix",
                )
        scorings: list[tuple[tuple[str | int, ...], Scoring]] = [(("scoring",), self.scoring)]
        scorings += [(("parts", pi, "scoring"), p.scoring) for pi, p in enumerate(self.parts)]
        for where, scoring in scorings:
            group_ids = {g.id for g in scoring.groups}
            for gi, g in enumerate(scoring.groups):
                for mi, m in enumerate(g.members):
                    if m not in known and _norm_link(m) not in link_keys:
                        raise _At(
                            (*where, "groups", gi, "members", mi),
                            f"'{m}' is not a concept or link of this rubric",
                        )
            for ki, el in enumerate(scoring.key_elements or []):
                if el not in known and el not in group_ids and _norm_link(el) not in link_keys:
                    raise _At(
                        (*where, "key_elements", ki),
                        f"'{el}' is not a concept, a link ('a -> b') or a group of this rubric",
                    )
        for i, ex in enumerate(self.examples):
            e = ex.expect
            for field_name, pool in (
                ("concepts", known),
                ("not_concepts", known),
                ("misconceptions", misc_ids),
                ("not_misconceptions", misc_ids),
            ):
                for xi, x in enumerate(getattr(e, field_name)):
                    if x not in pool:
                        kind = field_name.removeprefix("not_")[:-1]
                        raise _At(
                            ("examples", i, "expect", field_name, xi),
                            f"{kind} '{x}' is not defined in this rubric",
                        )
            for field_name in ("links", "not_links"):
                for xi, x in enumerate(getattr(e, field_name)):
                    if _norm_link(x) not in link_keys:
                        raise _At(
                            ("examples", i, "expect", field_name, xi),
                            f"link '{x}' is not defined in this rubric",
                        )
        return self

    # --- derived, read-only views -------------------------------------------------

    @cached_property
    def concept_by_id(self) -> dict[str, Concept]:
        return {c.id: c for c in self.concepts}

    @property
    def content_hash(self) -> str:
        """sha256 of the rubric's meaning (not its formatting): ties calibrations to it."""
        # defaults left out: a field added to the format later leaves old rubrics' hashes as they were
        data = self.model_dump(mode="json", by_alias=True, exclude={"examples"}, exclude_defaults=True)
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()

    def part_rubric(self, part_id: str) -> Rubric:
        """One part as a rubric of its own (its concepts keep their prefixed ids)."""
        cache = self.__dict__.setdefault("_part_rubrics", {})
        if part_id not in cache:
            part = next(p for p in self.parts if p.id == part_id)
            cache[part_id] = Rubric.model_construct(
                id=self.id,
                title=part.title or self.title,
                prompt=part.prompt,
                course=self.course,
                standard=self.standard,
                parts=[],
                concepts=[c for c in self.concepts if part.owns(c.id)],
                links=[lk for lk in self.links if part.owns(lk.from_)],
                misconceptions=[m for m in self.misconceptions if part.owns(m.id)],
                relating_verbs=[*self.relating_verbs, *part.relating_verbs],
                scoring=part.scoring,
                examples=[],
            )
        return cache[part_id]

    def max_score(self) -> float:
        s = self.scoring
        if s.max is not None:
            return s.max
        if self.parts:
            return sum(self.part_rubric(p.id).max_score() for p in self.parts)
        if s.table:
            return max(s.table.values())
        total = sum(c.points if c.points is not None else s.concept_points for c in self.concepts)
        total += sum(lk.points if lk.points is not None else s.link_points for lk in self.links)
        return total


def _prefixed(key: str, item: Any, pid: str) -> Any:
    """A part's concept, link or misconception with its ids prefixed: atp -> a.atp."""
    if not isinstance(item, dict):
        return item
    item = dict(item)
    fields = {"concepts": ("id", "describes"), "links": ("from", "to"), "misconceptions": ("id",)}[key]
    for f in fields:
        if isinstance(item.get(f), str) and "." not in item[f]:
            item[f] = f"{pid}.{item[f]}"
    return item


def _prefixed_scoring(scoring: dict[str, Any], pid: str) -> dict[str, Any]:
    def fix(el: Any) -> Any:
        if not isinstance(el, str):
            return el
        m = LINK_RE.match(el)
        if m:
            return " -> ".join(x if "." in x else f"{pid}.{x}" for x in m.groups())
        return el if "." in el else f"{pid}.{el}"

    scoring = dict(scoring)
    if isinstance(scoring.get("key_elements"), list):
        groups = {g.get("id") for g in scoring.get("groups") or [] if isinstance(g, dict)}
        scoring["key_elements"] = [el if el in groups else fix(el) for el in scoring["key_elements"]]
    if isinstance(scoring.get("groups"), list):
        scoring["groups"] = [
            {**g, "members": [fix(m) for m in g.get("members") or []]} if isinstance(g, dict) else g
            for g in scoring["groups"]
        ]
    return scoring


def _norm_link(text: str) -> str | None:
    m = LINK_RE.match(text)
    return link_key(m.group(1), m.group(2)) if m else None


def _no_duplicates(where: str | tuple[str, ...], ids: list[str], what: str = "id") -> None:
    seen: dict[str, int] = {}
    path = (where,) if isinstance(where, str) else where
    for i, x in enumerate(ids):
        if x in seen:
            field: tuple[str | int, ...] = (*path, i) if what == "link" else (*path, i, "id")
            raise _At(
                field, f"{what} '{x}' is used twice (also {_field_path([*path, seen[x]])}); make it unique"
            )
        seen[x] = i


# --- loading ------------------------------------------------------------------------


def load_rubric(path: str | Path) -> Rubric:
    """Read and validate a rubric YAML file; raise RubricError naming file, line and fix."""
    path = Path(path)
    if path.is_dir():
        raise RubricError(f"{path}: is a folder; give a rubric .yaml file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RubricError(f"{path}: no such rubric file; check the path") from None
    except OSError as exc:
        raise RubricError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RubricError(f"{path}: is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    return parse_rubric(text, source=str(path))


MAX_ALIAS_VALUES = 10_000  # what YAML aliases may add to a rubric; a real one has about 1,000 values


def parse_rubric(text: str, source: str = "<rubric>") -> Rubric:
    """Validate rubric YAML; raise RubricError naming the line, the field and the fix."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise RubricError(f"{source}: nested too deeply to be a rubric") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise RubricError(f"{where}: not valid YAML: {problem}") from None
    if node is not None:
        _check_nodes(node, source)
    try:
        data = yaml.SafeLoader("").construct_document(node) if node is not None else None
    except RecursionError:
        raise RubricError(f"{source}: nested too deeply to be a rubric") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise RubricError(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise RubricError(f"{source}: a rubric is a YAML mapping with id, title, prompt, concepts")
    try:
        return Rubric.model_validate(data)
    except ValidationError as exc:
        raise RubricError(_explain(exc, node, source)) from None


def _check_nodes(root: yaml.Node, source: str) -> None:
    """Refuse what safe loading lets through: a key given twice in one mapping (YAML keeps only
    the last), and aliases that expand to more values than a rubric has ("billion laughs")."""
    sizes: dict[int, int] = {}
    written = 0
    stack: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue  # an alias: its anchor's node is walked once
        seen.add(id(node))
        written += 1
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    line = key.start_mark.line + 1
                    if key.value in first:
                        where = _field_path([*path, key.value])
                        raise RubricError(
                            f"{source}:{line}: {where}: given twice in one place (also on line "
                            f"{first[key.value]}); YAML would keep only this one, so merge the two"
                        )
                    first[key.value] = line
                    stack.append((value, (*path, key.value)))
                else:
                    stack.append((value, path))
        elif isinstance(node, yaml.SequenceNode):
            stack += [(item, (*path, i)) for i, item in enumerate(node.value)]
    try:
        total = _expanded(root, sizes, set())
    except RecursionError:
        raise RubricError(f"{source}: nested too deeply to be a rubric") from None
    except _Cycle as cycle:
        raise RubricError(
            f"{source}:{cycle.line}: a YAML alias refers to the list or mapping it is in; remove the alias"
        ) from None
    if total - written > MAX_ALIAS_VALUES:
        node = _tipping(root, sizes)
        raise RubricError(
            f"{source}:{node.start_mark.line + 1}: YAML aliases here expand to {sizes[id(node)]:,} values "
            f"(a rubric may add at most {MAX_ALIAS_VALUES:,} this way); write the lists out instead "
            "of nesting aliases"
        )


class _Cycle(Exception):
    def __init__(self, line: int):
        self.line = line


def _expanded(node: yaml.Node, sizes: dict[int, int], path: set[int]) -> int:
    """How many values the node stands for with every alias expanded (memoized per node)."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in path:
        raise _Cycle(node.start_mark.line + 1)
    path.add(id(node))
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded(k, sizes, path) + _expanded(v, sizes, path) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded(v, sizes, path) for v in node.value)
    else:
        size = 1
    path.discard(id(node))
    sizes[id(node)] = size
    return size


def _tipping(node: yaml.Node, sizes: dict[int, int]) -> yaml.Node:
    """The node where the expansion goes past the bound while none of its children does."""
    while True:
        children = (
            [v for _, v in node.value]
            if isinstance(node, yaml.MappingNode)
            else list(node.value)
            if isinstance(node, yaml.SequenceNode)
            else []
        )
        big = [c for c in children if sizes.get(id(c), 0) > MAX_ALIAS_VALUES]
        if not big:
            return node
        node = big[0]


def _explain(exc: ValidationError, node: yaml.Node | None, source: str) -> str:
    lines = []
    for err in exc.errors()[:5]:
        loc = [p for p in err["loc"] if p != "from_"] if err["loc"] else []
        located = (err.get("ctx") or {}).get("error")
        if isinstance(located, _At):
            loc = [*loc, *located.loc]
        line = _line_of(node, loc)
        where = f"{source}:{line}" if line else source
        field = _field_path(loc) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown field; check its spelling (rubric fields: {_allowed(loc)})"
        elif err["type"] == "missing":
            msg = "required field is missing; add it"
        elif err["type"] == "string_type" and isinstance(err.get("input"), bool | int | float):
            msg += f" (YAML read {err['input']!r} as a {type(err['input']).__name__}; put the text in quotes)"
        lines.append(f"{where}: {field}: {msg}")
    more = len(exc.errors()) - 5
    if more > 0:
        lines.append(f"... and {more} more problem(s)")
    return "\n".join(lines)


def _allowed(loc: list[Any]) -> str:
    models: dict[str, type[BaseModel]] = {
        "concepts": Concept,
        "links": Link,
        "misconceptions": Misconception,
        "scoring": Scoring,
        "examples": Example,
        "expect": Expect,
        "claims": Claim,
        "groups": Group,
    }
    model: type[BaseModel] = Rubric
    for part in loc[:-1]:
        if isinstance(part, str) and part in models:
            model = models[part]
    return ", ".join(f.alias or n for n, f in model.model_fields.items())


def _field_path(loc: list[Any]) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _line_of(node: yaml.Node | None, loc: list[Any]) -> int | None:
    """The 1-based line of the YAML node at `loc`, or of its nearest existing parent."""
    best = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if nxt is None:
                break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
        else:
            break
        best = node.start_mark.line + 1
    return best


def rubric_json_schema() -> dict[str, Any]:
    schema = Rubric.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "grader rubric"
    return schema


def parse_link(text: str) -> tuple[str, str]:
    m = LINK_RE.match(text)
    if not m:
        raise ValueError(f"'{text}' is not a link; write it as 'cause -> effect'")
    return m.group(1), m.group(2)


LinkStatus = Literal["present", "missing"]
