"""The record of one scored answer: its Feedback, the student's id and answer, and what scored it.

The batch engine makes one per answer and hands it to the scores CSV, the
class report and the gradebook exports; on disk it is one JSON line, the
Feedback's fields between the id and `scored_with`/`answer`:

    {"id": "s1", "schema_version": 1, "rubric": ..., "calibrated": false,
     "scored_with": "...", "answer": "..."}
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer, model_validator

from .feedback import Feedback

_OWN = ("id", "scored_with", "answer")


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    result: Feedback  # (not "feedback": that is the name of the Feedback's own list of sentences)
    scored_with: str  # a hash of the rubric version, spaCy pipeline and calibration that scored it
    answer: str

    @model_serializer(mode="wrap")
    def _flat(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        return {
            "id": data["id"],
            **data["result"],
            "scored_with": data["scored_with"],
            "answer": data["answer"],
        }

    @model_validator(mode="before")
    @classmethod
    def _nest(cls, data: Any) -> Any:
        if isinstance(data, dict) and "result" not in data:
            own = {k: data[k] for k in _OWN if k in data}
            own["result"] = {k: v for k, v in data.items() if k not in _OWN}
            return own
        return data

    @property
    def rubric(self) -> str:
        return self.result.rubric

    @property
    def key(self) -> tuple[str, str]:
        """(rubric id, student id): what identifies a record in a batch."""
        return self.result.rubric, self.id

    def to_line(self) -> bytes:
        """The JSONL line, newline included."""
        return self.model_dump_json(by_alias=True).encode() + b"\n"

    @classmethod
    def from_line(cls, line: bytes | str) -> Record:
        return cls.model_validate_json(line)
