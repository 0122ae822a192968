"""The Feedback model: what the checker found in one answer.

One model backs the terminal report, the JSON lines, CSV rows, the web page
and the Python API. Offsets are character offsets into the original answer.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from .rubric import link_key

SCHEMA_VERSION = 1


class Evidence(BaseModel):
    start: int = Field(description="Character offset in the original answer.")
    end: int
    text: str
    rule: str = Field(description="What fired: 'phrase: ...', 'pattern: ...', 'verb: uses', ...")


class ConceptResult(BaseModel):
    id: str
    label: str
    status: Literal["present", "missing", "negated"]
    evidence: list[Evidence] = Field(default_factory=list)
    note: str | None = Field(None, description="Why a found concept was not credited.")


class LinkResult(BaseModel):
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    status: Literal["present", "missing"]
    evidence: list[Evidence] = Field(default_factory=list)
    note: str | None = Field(None, description="e.g. 'reversed': related, but the other way round.")

    model_config = {"populate_by_name": True}

    @property
    def key(self) -> str:
        return link_key(self.from_, self.to)


class MisconceptionResult(BaseModel):
    id: str
    feedback: str
    evidence: list[Evidence] = Field(default_factory=list)


class PartResult(BaseModel):
    """One part of a multi-part question: what it scored, and where its answer was."""

    id: str
    score: float
    max_score: float
    start: int = Field(description="Character offset where this part's answer starts.")
    end: int
    marked: bool = Field(description="False when the answer had no part markers and was read whole.")


class Feedback(BaseModel):
    schema_version: int = SCHEMA_VERSION
    rubric: str
    pipeline: str
    score: float
    max_score: float
    concepts: list[ConceptResult]
    links: list[LinkResult]
    misconceptions: list[MisconceptionResult]
    feedback: list[str]
    calibrated: bool = Field(False, description="True when a teacher's calibration set the score.")
    parts: list[PartResult] | None = Field(
        None, description="Multi-part questions only: each part's score and answer span."
    )

    def concept(self, concept_id: str) -> ConceptResult:
        return next(c for c in self.concepts if c.id == concept_id)

    def link(self, key: str) -> LinkResult:
        wanted = link_key(*(part.strip() for part in key.split("->")))
        return next(lk for lk in self.links if lk.key == wanted)

    @property
    def credited_concepts(self) -> list[str]:
        return [c.id for c in self.concepts if c.status == "present"]

    @property
    def credited_links(self) -> list[str]:
        return [lk.key for lk in self.links if lk.status == "present"]

    @property
    def misconception_ids(self) -> list[str]:
        return [m.id for m in self.misconceptions]

    def for_part(self, part_id: str) -> Feedback:
        """One part of a multi-part answer as a Feedback of its own: the part's concepts,
        links and misconceptions (ids still prefixed, offsets still into the whole answer),
        its feedback sentences without the "(a) " they start with, and its score."""
        part = next((p for p in self.parts or [] if p.id == part_id), None)
        if part is None:
            raise KeyError(f"no part '{part_id}' in this feedback")
        prefix, mark = f"{part_id}.", f"({part_id}) "
        return Feedback(
            schema_version=self.schema_version,
            rubric=self.rubric,
            pipeline=self.pipeline,
            score=part.score,
            max_score=part.max_score,
            concepts=[c for c in self.concepts if c.id.startswith(prefix)],
            links=[lk for lk in self.links if lk.from_.startswith(prefix)],
            misconceptions=[m for m in self.misconceptions if m.id.startswith(prefix)],
            feedback=[s[len(mark) :] for s in self.feedback if s.startswith(mark)],
        )

    @property
    def overall_feedback(self) -> list[str]:
        """The sentences about no one part ("You have not written anything yet."); all of
        them for a single-part answer."""
        marks = tuple(f"({p.id}) " for p in self.parts or [])
        return [s for s in self.feedback if not (marks and s.startswith(marks))]

    @model_serializer(mode="wrap")
    def _without_empty_parts(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # a single-part answer keeps the JSON it always had: no "parts" key
        data: dict[str, Any] = handler(self)
        if self.parts is None:
            data.pop("parts", None)
        return data

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True)
