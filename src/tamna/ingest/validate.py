"""The rules every observation must pass, applied column-wise so that millions of rows stay fast.

A refused row becomes a :class:`~tamna.domain.rejections.Rejection` naming the field and the value; the rows
that pass go on untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tamna.domain.observations import EARLIEST_YEAR, LIMITS, MEASURE_COLUMNS, Quality
from tamna.domain.rejections import Rejection
from tamna.ingest.columns import FieldErrors, quality_or_default


@dataclass(frozen=True)
class Rules:
    """What the validator checks against: the registered sensors and the current time."""

    known_sensors: pa.Array
    now: datetime
    future_tolerance: timedelta = timedelta(minutes=5)

    @classmethod
    def of(cls, sensor_ids: frozenset[str] | Sequence[str], now: datetime, future_tolerance_s: float = 300) -> Rules:
        """Build rules from a set of sensor ids."""
        return cls(pa.array(sorted(sensor_ids), pa.string()), now, timedelta(seconds=future_tolerance_s))


@dataclass
class Checked:
    """The outcome of validating one batch."""

    valid: pa.Table
    rejections: list[Rejection] = field(default_factory=list)


def check_batch(
    table: pa.Table,
    rules: Rules,
    *,
    source: str,
    received_at: datetime,
    conversion_errors: FieldErrors | None = None,
    positions: np.ndarray | None = None,
    record_text: Callable[[int], str] | None = None,
) -> Checked:
    """Validate a canonical-schema batch. ``positions`` give each row's place in its input (a line number);
    ``record_text`` renders a row's raw input, kept for refused rows."""
    n = table.num_rows
    reasons: dict[int, tuple[str, str, str]] = dict(conversion_errors.by_row) if conversion_errors else {}

    def refuse(mask: np.ndarray, field_name: str, describe: str, column: pa.Array | None = None) -> None:
        for row in np.flatnonzero(mask):
            if int(row) in reasons:
                continue
            value = column[int(row)].as_py() if column is not None else None
            reasons[int(row)] = (field_name, _show(value), describe.format(value=_show(value)))

    def mask_of(expression: pa.Array) -> np.ndarray:
        return np.asarray(pc.fill_null(expression, False).to_numpy(zero_copy_only=False), dtype=bool)

    sensor = table.column("sensor_id").combine_chunks()
    refuse(mask_of(pc.is_null(sensor)), "sensor_id", "sensor_id is missing")
    unknown = pc.invert(pc.is_in(sensor, value_set=rules.known_sensors))
    refuse(
        mask_of(pc.and_(unknown, pc.is_valid(sensor))),
        "sensor_id",
        "sensor_id '{value}' is not a registered sensor",
        sensor,
    )

    time = table.column("time").combine_chunks()
    refuse(mask_of(pc.is_null(time)), "time", "time is missing")
    latest = pa.scalar(rules.now + rules.future_tolerance, time.type)
    tolerance = int(rules.future_tolerance.total_seconds())
    refuse(
        mask_of(pc.greater(time, latest)),
        "time",
        f"time {{value}} is more than {tolerance} s in the future",
        time,
    )
    earliest = pa.scalar(datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC), time.type)
    refuse(mask_of(pc.less(time, earliest)), "time", f"time {{value}} is before {EARLIEST_YEAR}", time)

    present = np.zeros(n, dtype=bool)
    for name in MEASURE_COLUMNS:
        column = table.column(name).combine_chunks()
        low, high = LIMITS[name]
        refuse(mask_of(pc.is_nan(column)), name, f"{name} is not a number (NaN)", column)
        outside = pc.or_(pc.less(column, low), pc.greater(column, high))
        refuse(mask_of(outside), name, f"{name} {{value}} is outside {low:g}–{high:g}", column)
        present |= mask_of(pc.is_valid(column))
    missing_all = ~present
    for row in np.flatnonzero(missing_all):
        # a cell that failed conversion already explains why nothing is left
        if int(row) not in reasons:
            reasons[int(row)] = (
                "speed_kmh",
                "",
                "no measurement: speed_kmh, flow_vph and occupancy_pct are all missing",
            )

    quality = table.column("quality").combine_chunks()
    known_quality = pa.array([int(q) for q in Quality], pa.int8())
    refuse(
        mask_of(pc.and_(pc.is_valid(quality), pc.invert(pc.is_in(quality, value_set=known_quality)))),
        "quality",
        "quality {value} is not a known quality code",
        quality,
    )

    if not reasons:
        return Checked(_with_quality(table))
    bad = np.zeros(n, dtype=bool)
    bad[list(reasons)] = True
    rejections = [
        Rejection(
            source=source,
            received_at=received_at,
            reason=reason,
            field=field_name,
            value=value,
            record=None if record_text is None else record_text(row),
            position=int(positions[row]) if positions is not None else row,
        )
        for row, (field_name, value, reason) in sorted(reasons.items())
    ]
    valid = table.filter(pa.array(~bad))
    return Checked(_with_quality(valid), rejections)


def _with_quality(table: pa.Table) -> pa.Table:
    index = table.schema.get_field_index("quality")
    return table.set_column(index, "quality", quality_or_default(table.column("quality").combine_chunks()))


def _show(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)
