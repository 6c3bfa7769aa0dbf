"""JSON records (HTTP push, MQTT) into the canonical columns, with one clear reason per malformed record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa

from tamna.domain.observations import MEASURE_COLUMNS, QUALITY_BY_NAME, Quality
from tamna.ingest.columns import OBSERVATION_SCHEMA, FieldErrors

MAX_RECORD_TEXT = 500
JSON_TYPE_NAMES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}


class RecordError(ValueError):
    """One record is malformed; carries the field and the value for the dead-letter entry."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.value = value
        self.reason = reason


def _number(record: dict[str, Any], name: str) -> float | None:
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(name, value, f"{name} {value!r} is not a number")
    return float(value)


def _time(record: dict[str, Any]) -> datetime:
    value = record.get("time")
    if value is None:
        raise RecordError("time", None, "time is missing")
    if not isinstance(value, str):
        raise RecordError("time", value, f"time {value!r} is not an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RecordError("time", value, f"time {value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise RecordError("time", value, f"time {value!r} has no UTC offset")
    return parsed


def _quality(record: dict[str, Any]) -> int | None:
    value = record.get("quality")
    if value is None:
        return None
    if isinstance(value, str) and value.lower() in QUALITY_BY_NAME:
        return int(QUALITY_BY_NAME[value.lower()])
    if isinstance(value, int) and not isinstance(value, bool) and value in {int(q) for q in Quality}:
        return value
    raise RecordError("quality", value, f"quality {value!r} is not one of {', '.join(QUALITY_BY_NAME)}")


def records_to_table(records: Sequence[object], *, sensor_id: str | None = None) -> tuple[pa.Table, FieldErrors]:
    """Type a list of decoded JSON values. ``sensor_id`` (from an MQTT topic) fills or must match the record's.

    Returns the canonical table (malformed records as all-null rows) and their errors.
    """
    columns: dict[str, list[Any]] = {name: [] for name in OBSERVATION_SCHEMA.names}
    errors = FieldErrors()
    for row, record in enumerate(records):
        try:
            if not isinstance(record, dict):
                kind = JSON_TYPE_NAMES.get(type(record), type(record).__name__)
                raise RecordError("record", record_text(record), f"record is a JSON {kind}, not an object")
            sid = record.get("sensor_id", sensor_id)
            if not isinstance(sid, str) or not sid:
                raise RecordError("sensor_id", sid, f"sensor_id {sid!r} is not a non-empty string")
            if sensor_id is not None and sid != sensor_id:
                raise RecordError("sensor_id", sid, f"sensor_id {sid!r} differs from the topic's {sensor_id!r}")
            values = (sid, _time(record), *(_number(record, m) for m in MEASURE_COLUMNS), _quality(record))
        except RecordError as err:
            errors.add(row, err.field, "" if err.value is None else str(err.value)[:MAX_RECORD_TEXT], err.reason)
            values = (None,) * len(OBSERVATION_SCHEMA)
        for name, value in zip(OBSERVATION_SCHEMA.names, values, strict=True):
            columns[name].append(value)
    table = pa.table({name: pa.array(columns[name], OBSERVATION_SCHEMA.field(name).type) for name in columns})
    return table, errors


def decode_json_body(body: bytes) -> tuple[list[object], list[tuple[int, str, str]]]:
    """Decode a JSON array, a single JSON object or NDJSON. Returns the values and the lines that did not parse
    as (line number, text, reason). An unparseable JSON array is one error for the whole body."""
    stripped = body.strip()
    if not stripped:
        return [], [(0, "", "the body is empty")]
    if stripped[:1] in (b"[", b"{"):
        try:
            value = orjson.loads(stripped)
        except orjson.JSONDecodeError as err:
            if stripped[:1] == b"[":
                return [], [(0, stripped[:MAX_RECORD_TEXT].decode("utf-8", "replace"), f"malformed JSON: {err}")]
        else:
            return (value if isinstance(value, list) else [value]), []
    values: list[object] = []
    bad: list[tuple[int, str, str]] = []
    for number, line in enumerate(stripped.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            values.append(orjson.loads(line))
        except orjson.JSONDecodeError as err:
            bad.append(
                (number, line[:MAX_RECORD_TEXT].decode("utf-8", "replace"), f"malformed JSON on line {number}: {err}")
            )
    return values, bad


def record_text(record: object) -> str:
    """A record as compact JSON for the dead-letter table."""
    try:
        return orjson.dumps(record).decode()[:MAX_RECORD_TEXT]
    except TypeError:
        return repr(record)[:MAX_RECORD_TEXT]
