"""The canonical Arrow form of an observation batch, and conversions into it that report bad values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tamna.domain.observations import MEASURE_COLUMNS, QUALITY_BY_NAME, Quality

OBSERVATION_SCHEMA = pa.schema(
    [
        ("sensor_id", pa.string()),
        ("time", pa.timestamp("us", tz="UTC")),
        ("speed_kmh", pa.float64()),
        ("flow_vph", pa.float64()),
        ("occupancy_pct", pa.float64()),
        ("quality", pa.int8()),
    ]
)
REQUIRED_COLUMNS = ("sensor_id", "time")


@dataclass
class FieldErrors:
    """Per-row conversion errors found while typing a batch: row index → (field, value, reason)."""

    by_row: dict[int, tuple[str, str, str]] = field(default_factory=dict)

    def add(self, row: int, field_name: str, value: str, reason: str) -> None:
        """Keep the first error of a row: one clear reason beats a list of consequences."""
        self.by_row.setdefault(row, (field_name, value, reason))


def _blank_to_null(column: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim_whitespace(column)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _cast_or_find_bad(
    column: pa.Array,
    target: pa.DataType,
    name: str,
    errors: FieldErrors,
    parse_one: Callable[[str], object],
    reason: str,
) -> pa.Array:
    """Cast a text column; when the fast vectorised cast fails, find the bad cells one by one."""
    column = _blank_to_null(column)
    try:
        return pc.cast(column, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    good: list[object] = []
    for row, text in enumerate(column.to_pylist()):
        if text is None:
            good.append(None)
            continue
        try:
            good.append(parse_one(text))
        except (ValueError, TypeError, pa.ArrowInvalid):
            errors.add(row, name, text, reason.format(value=text))
            good.append(None)
    return pa.array(good, target)


def _parse_time(text: str) -> object:
    return pc.cast(pa.array([text]), OBSERVATION_SCHEMA.field("time").type)[0].as_py()


def _quality_names_to_codes(column: pa.Array) -> pa.Array:
    """Replace quality names (``ok``, ``suspect``, …; any case, blanks around) by their codes, vectorised, so
    that a column of names casts in one go; anything else passes unchanged to the cast and its error report."""
    names = pa.array(list(QUALITY_BY_NAME), pa.string())
    codes = pa.array([str(int(quality)) for quality in QUALITY_BY_NAME.values()], pa.string())
    index = pc.index_in(pc.utf8_lower(pc.utf8_trim_whitespace(column)), value_set=names)
    return pc.if_else(pc.is_valid(index), pc.take(codes, index), column)


def _parse_quality(text: str) -> int:
    key = text.strip().lower()
    if key in QUALITY_BY_NAME:
        return int(QUALITY_BY_NAME[key])
    return int(Quality(int(key)))


def typed_from_text(table: pa.Table) -> tuple[pa.Table, FieldErrors]:
    """Convert a table of text columns (a CSV read as strings) into the canonical schema.

    Cells that do not convert become null and are reported in the returned :class:`FieldErrors`; a
    missing optional column becomes all-null.
    """
    errors = FieldErrors()
    n = table.num_rows
    arrays: dict[str, pa.Array] = {}
    arrays["sensor_id"] = (
        _blank_to_null(table.column("sensor_id").combine_chunks())
        if "sensor_id" in table.column_names
        else pa.nulls(n, pa.string())
    )
    if "time" in table.column_names:
        arrays["time"] = _cast_or_find_bad(
            table.column("time").combine_chunks(),
            OBSERVATION_SCHEMA.field("time").type,
            "time",
            errors,
            _parse_time,
            "time {value!r} is not an ISO 8601 time with a UTC offset",
        )
    else:
        arrays["time"] = pa.nulls(n, OBSERVATION_SCHEMA.field("time").type)
    for name in MEASURE_COLUMNS:
        if name in table.column_names:
            arrays[name] = _cast_or_find_bad(
                table.column(name).combine_chunks(),
                pa.float64(),
                name,
                errors,
                float,
                name + " {value!r} is not a number",
            )
        else:
            arrays[name] = pa.nulls(n, pa.float64())
    if "quality" in table.column_names:
        arrays["quality"] = _cast_or_find_bad(
            _quality_names_to_codes(table.column("quality").combine_chunks()),
            pa.int8(),
            "quality",
            errors,
            _parse_quality,
            "quality {value!r} is not one of " + ", ".join(QUALITY_BY_NAME),
        )
    else:
        arrays["quality"] = pa.nulls(n, pa.int8())
    return pa.table(arrays, schema=OBSERVATION_SCHEMA), errors


def typed_from_arrow(table: pa.Table) -> tuple[pa.Table, FieldErrors]:
    """Bring an already typed table (Parquet) to the canonical schema; text columns go the CSV way."""
    errors = FieldErrors()
    n = table.num_rows
    arrays: dict[str, pa.Array] = {}
    for target in OBSERVATION_SCHEMA:
        if target.name not in table.column_names:
            arrays[target.name] = pa.nulls(n, target.type)
            continue
        column = table.column(target.name).combine_chunks()
        if column.type == target.type:
            arrays[target.name] = column
        elif pa.types.is_timestamp(column.type) and target.name == "time":
            if column.type.tz is None:
                for row in range(n):
                    errors.add(row, "time", str(column[row].as_py()), "time has no UTC offset (naive timestamp column)")
                arrays["time"] = pa.nulls(n, target.type)
            else:
                arrays["time"] = pc.cast(column, target.type)
        elif (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)) and target.name != "time":
            arrays[target.name] = pc.cast(column, target.type)
        else:
            typed, text_errors = typed_from_text(pa.table({target.name: pc.cast(column, pa.string())}))
            arrays[target.name] = typed.column(target.name).combine_chunks()
            for row, error in text_errors.by_row.items():
                errors.add(row, *error)
    return pa.table(arrays, schema=OBSERVATION_SCHEMA), errors


def quality_or_default(column: pa.Array) -> pa.Array:
    """Missing quality means OK."""
    return pc.fill_null(column, pa.scalar(int(Quality.OK), pa.int8()))


def row_texts(table: pa.Table, rows: np.ndarray) -> list[str]:
    """Render the given rows of a (text) table as compact CSV-like strings for the dead-letter table."""
    subset = table.take(pa.array(rows, pa.int64())) if len(rows) else table.slice(0, 0)
    columns = [subset.column(i).to_pylist() for i in range(subset.num_columns)]
    return [",".join("" if c[i] is None else str(c[i]) for c in columns) for i in range(subset.num_rows)]
