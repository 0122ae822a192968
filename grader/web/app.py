"""The student's local web page and its JSON API, on one ASGI app.

Everything is loaded before the first request: the spaCy pipeline and one
compiled Checker per rubric of the folder. A rubric id is only a key of that
dict, so a request can never name a file. Answers are checked one at a time
by a CheckRunner (see runner.py: under `grader serve`, in the main thread
within a time budget), never in the event loop, and never logged.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer
from spacy.language import Language
from starlette.middleware.trustedhost import TrustedHostMiddleware

from .. import __version__
from ..answers import MAX_ANSWER_CHARS, validate_answer
from ..checker import Checker
from ..errors import AnswerError, CheckTimeout
from ..feedback import Feedback
from ..nlp import load_pipeline
from ..rubric import Rubric
from .limits import MAX_BODY_BYTES, BodySizeLimit, SecurityHeaders
from .runner import CheckRunner, ServerStopping, ThreadRunner

STATIC = files("grader.web") / "static"
# JSON can carry half of a UTF-16 surrogate pair ("\ud800"): such a rubric id is shown with "?"
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# what validate_answer's reasons become
STATUS = {"too long": 413, "broken character": 422, "not text": 422}


class PartInfo(BaseModel):
    id: str = Field(description="The part's letter, as the student marks it: '(a)'.")
    prompt: str
    max_score: float


class RubricInfo(BaseModel):
    id: str = Field(description="The id to send as `rubric` to POST /api/check.")
    title: str
    prompt: str = Field(description="The question the student answers.")
    course: str | None = None
    standard: str | None = None
    max_score: float
    parts: list[PartInfo] | None = Field(
        None, description="A question in parts only: each part's id, prompt and maximum score."
    )

    @model_serializer(mode="wrap")
    def _without_empty_parts(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # a one-part question is listed as it always was: no "parts" key
        data: dict[str, Any] = handler(self)
        if self.parts is None:
            data.pop("parts", None)
        return data


class CheckRequest(BaseModel):
    rubric: str = Field(
        description="A rubric id from GET /api/rubrics.", examples=["ap-bio/membrane-potential"]
    )
    answer: str = Field(
        description=f"The student's answer: plain text, at most {MAX_ANSWER_CHARS:,} characters.",
        examples=["The Na+/K+ pump uses ATP to move 3 Na+ out of the cell and 2 K+ in."],
    )


class Problem(BaseModel):
    detail: str


def create_app(
    rubrics: Mapping[str, Rubric],
    *,
    model: str | None = None,
    nlp: Language | None = None,
    allowed_hosts: list[str] | None = None,
    runner: CheckRunner | None = None,
) -> FastAPI:
    """The app for these rubrics (by id). Loads the pipeline and compiles every rubric now.

    `allowed_hosts` restricts the Host header (e.g. to loopback names, against DNS
    rebinding); None accepts any. `runner` runs the checks (default: one at a time in
    a worker thread).
    """
    nlp = nlp if nlp is not None else load_pipeline(model)
    checkers = {rid: Checker(r, nlp) for rid, r in sorted(rubrics.items())}
    listing = [
        RubricInfo(
            id=rid,
            title=c.rubric.title.strip(),
            prompt=c.rubric.prompt.strip(),
            course=c.rubric.course,
            standard=c.rubric.standard,
            max_score=c.rubric.max_score(),
            parts=[
                PartInfo(
                    id=p.id,
                    prompt=" ".join(p.prompt.split()),
                    max_score=c.rubric.part_rubric(p.id).max_score(),
                )
                for p in c.rubric.parts
            ]
            or None,
        )
        for rid, c in checkers.items()
    ]
    # one answer at a time through spaCy: the pipeline is shared, and on a few
    # cores with the GIL parallel checks would not be faster anyway
    checks = runner if runner is not None else ThreadRunner()
    index_html = (
        (STATIC / "index.html").read_text("utf-8").replace("{{MAX_ANSWER_CHARS}}", str(MAX_ANSWER_CHARS))
    )

    app = FastAPIOffline(
        title="grader",
        version=__version__,
        description=(
            "Check a student's answer against a teacher's rubric, offline. "
            f"Answers over {MAX_ANSWER_CHARS:,} characters get 413; unknown rubric ids get 404; "
            "a body that is not the JSON below gets 422; a check that runs past its time limit, "
            "or a server that is stopping, gets 503."
        ),
    )

    @app.get("/", include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(index_html)

    @app.get("/api/rubrics", summary="The questions this server can check")
    async def list_rubrics() -> list[RubricInfo]:
        return listing

    @app.post(
        "/api/check",
        summary="Check one answer",
        response_class=Response,
        responses={
            200: {
                "model": Feedback,
                "description": "The same Feedback JSON as `grader check --format json`.",
            },
            404: {"model": Problem, "description": "No rubric with that id."},
            413: {"model": Problem, "description": f"Answer over {MAX_ANSWER_CHARS:,} characters."},
            503: {
                "model": Problem,
                "description": "The check ran past its time limit, or the server is stopping.",
            },
        },
    )
    async def check(req: CheckRequest) -> Response:
        checker = checkers.get(req.rubric)
        if checker is None:
            shown = LONE_SURROGATE.sub("?", req.rubric[:80]) + ("..." if len(req.rubric) > 80 else "")
            raise HTTPException(
                404, f"unknown rubric '{shown}'; GET /api/rubrics lists the ids: {', '.join(checkers)}"
            )
        problem = validate_answer(req.answer)
        if problem is not None:
            raise HTTPException(STATUS[problem.kind], problem.message)

        def run() -> tuple[Feedback, float]:
            t0 = time.perf_counter()
            fb = checker.check(req.answer)
            return fb, time.perf_counter() - t0

        try:
            fb, took = await checks.run(run)
        except AnswerError as exc:
            raise HTTPException(422, str(exc)) from None
        except (CheckTimeout, ServerStopping) as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": "1"}) from None
        return Response(
            fb.to_json(),
            media_type="application/json",
            headers={"Server-Timing": f"check;dur={took * 1000:.1f}", "Cache-Control": "no-store"},
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's usual 422 detail, written as ASCII JSON so that any echoed input encodes
        detail = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True)
        return Response(detail, status_code=422, media_type="application/json")

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodySizeLimit, limit=MAX_BODY_BYTES)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    return app
