"""The checker's findings on spaCy objects, as registered extensions.

- `Doc._.normalized`: the `Normalized` text (offset map back to the student's characters).
- `Doc._.mentions`: the rubric mentions found in the answer, as a list of `Span`s whose label
  is `"<kind>:<owner>"` (kind: concept, misconception, term).
- `Span._.concept`: the rubric concept id of a concept mention (None for other spans).
- `Span._.kind`, `Span._.rule`: what fired (the rubric phrase or pattern).
- `Span._.polarity`: "affirmed", "negated", "counterfactual", "contrast" or "hypothetical".
- `Span._.cue`: the word that set the polarity ("not", "without", "unlike"), if any.
- `Span._.clause`: the clause the mention belongs to (a Span over its predicate's subtree).
- `Span._.asserted`: whether the mention counts as the student's own claim (credited).
- `Span._.original`: (start, end) character offsets into the student's original text.

They are written by `Checker.annotate` (or `Checker.analyze(doc, annotate=True)`).
Values live in `doc.user_data`, keyed by (start, end, label), so two mentions over the
same words (a concept and a claim's term) never share their values.
"""

from __future__ import annotations

from typing import Any

from spacy.tokens import Doc, Span

_MENTION_KEY = "grader.mention"
_NORMALIZED = "grader.normalized"
_MENTIONS = "grader.mentions"


def _info(span: Span) -> dict[str, Any]:
    data: dict[Any, Any] = span.doc.user_data
    return data.get((_MENTION_KEY, span.start, span.end, span.label_), {})


def normalized_of(doc: Doc) -> Any:
    """The Doc's `Normalized` text (what `doc._.normalized` reads), or None."""
    return doc.user_data.get(_NORMALIZED)


def _getter(name: str):
    return lambda span: _info(span).get(name)


def _original(span: Span) -> tuple[int, int]:
    norm = span.doc.user_data.get(_NORMALIZED)
    if norm is None:
        return span.start_char, span.end_char
    return norm.span(span.start_char, span.end_char)


def register_extensions() -> None:
    """Register once per process (idempotent)."""
    if Span.has_extension("concept"):
        return
    Doc.set_extension("normalized", getter=lambda doc: doc.user_data.get(_NORMALIZED))
    Doc.set_extension("mentions", getter=lambda doc: list(doc.user_data.get(_MENTIONS, ())))
    for name in ("concept", "kind", "owner", "rule", "polarity", "cue", "clause", "asserted"):
        Span.set_extension(name, getter=_getter(name))
    Span.set_extension("original", getter=_original)


def set_mention(span: Span, **values: Any) -> None:
    """Record a mention's findings (see the module docstring for the names)."""
    data: dict[Any, Any] = span.doc.user_data
    data.setdefault((_MENTION_KEY, span.start, span.end, span.label_), {}).update(values)


def set_mentions(doc: Doc, spans: list[Span]) -> None:
    doc.user_data[_MENTIONS] = tuple(spans)
