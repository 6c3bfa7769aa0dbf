"""Pushing observations over HTTP (operator) and reading the dead letters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from tamna.api.deps import Operator, State
from tamna.api.problems import problem
from tamna.api.schemas.observations import IngestAnswer
from tamna.domain.rejections import Rejection
from tamna.ingest.records import decode_json_body

router = APIRouter(prefix="/api/v1", tags=["observations"])

BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["sensor_id", "time"],
                        "properties": {
                            "sensor_id": {"type": "string"},
                            "time": {"type": "string", "format": "date-time"},
                            "speed_kmh": {"type": "number", "minimum": 0, "maximum": 250},
                            "flow_vph": {"type": "number", "minimum": 0, "maximum": 10000},
                            "occupancy_pct": {"type": "number", "minimum": 0, "maximum": 100},
                            "quality": {"type": "string", "enum": ["ok", "suspect", "imputed", "simulated"]},
                        },
                    },
                }
            },
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/observations",
    openapi_extra=BODY_DOC,
    response_model=IngestAnswer,
    responses={422: {"description": "every record refused"}, 413: {"description": "body or batch too large"}},
)
async def push_observations(request: Request, state: State, key: Operator) -> Response | IngestAnswer:
    """Store a batch given as a JSON array, one JSON object, or NDJSON. Valid records are stored even when
    others are refused; the refused ones are listed and kept in the dead-letter table."""
    body = await request.body()
    if len(body) == 0:
        return problem(422, "invalid input", "the body is empty", kind="invalid-input", instance=request.url.path)

    def work() -> IngestAnswer | Response:
        records, unparsed = decode_json_body(body)
        if len(records) > state.settings.max_batch_records:
            return problem(
                413,
                "batch too large",
                f"{len(records)} records exceed the limit of {state.settings.max_batch_records}; split the batch",
                kind="batch-too-large",
                instance=request.url.path,
            )
        outcome = state.pipeline.ingest_records(records, source=f"http:{key.id}", unparsed=unparsed)
        answer = IngestAnswer(
            received=outcome.received,
            stored=outcome.stored,
            rejected=outcome.rejected,
            rejections=outcome.rejections,
        )
        if outcome.stored == 0 and outcome.rejected:
            return problem(
                422,
                "invalid input",
                f"all {outcome.rejected} records were refused: {outcome.rejections[0].reason}",
                kind="invalid-input",
                instance=request.url.path,
                errors=[
                    {"field": r.field, "value": r.value, "reason": r.reason, "position": r.position}
                    for r in outcome.rejections
                ],
            )
        return answer

    return await run_in_threadpool(work)


@router.get("/rejections")
def list_rejections(
    state: State,
    key: Operator,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    source: Annotated[str | None, Query(max_length=200)] = None,
) -> list[Rejection]:
    """The most recent dead letters: what was refused, from where, and why."""
    return state.store.rejections(limit=limit, source=source)
