"""Observation files: CSV and Parquet, read in batches so that a month of a city fits in little memory."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tamna.core.errors import IngestError
from tamna.domain.observations import MEASURE_COLUMNS
from tamna.domain.rejections import Rejection
from tamna.ingest.columns import OBSERVATION_SCHEMA, REQUIRED_COLUMNS, FieldErrors, typed_from_arrow, typed_from_text
from tamna.ingest.pipeline import IngestPipeline, IngestResult

BATCH_ROWS = 1_000_000
CSV_BLOCK_BYTES = 16 << 20


def _check_columns(names: list[str], path: Path) -> None:
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise IngestError(
            f"{path.name}: missing column(s) {', '.join(missing)}; expected {', '.join(OBSERVATION_SCHEMA.names)}"
        )
    if not any(name in names for name in MEASURE_COLUMNS):
        raise IngestError(f"{path.name}: no measurement column; expected one of {', '.join(MEASURE_COLUMNS)}")


def import_observations(pipeline: IngestPipeline, path: Path, *, flush_rollups: bool = True) -> IngestResult:
    """Import a CSV or Parquet file of observations through the pipeline. Returns totals over the file."""
    if not path.is_file():
        raise IngestError(f"no such file: {path}")
    source = f"file:{path.name}"
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        batches = _csv_batches(path, source, pipeline)
    elif suffix in (".parquet", ".pq"):
        batches = _parquet_batches(path)
    else:
        raise IngestError(f"{path.name}: unsupported observation file type {suffix!r} (use .csv or .parquet)")
    total = IngestResult(source=source)
    for table, errors, positions, extra, raw in batches:
        total.merge(
            pipeline.ingest_table(
                table,
                source=source,
                errors=errors,
                positions=positions,
                extra_rejections=extra,
                record_text=functools.partial(_row_text, raw),
            )
        )
    if flush_rollups:
        pipeline.flush_rollups()
    return total


#: (typed table, conversion errors, each row's position in the file, extra rejections, the table as read).
#: Positions are line numbers for CSV (the header is line 1) and 1-based row numbers for Parquet.
Batch = tuple[pa.Table, FieldErrors, np.ndarray, list[Rejection], pa.Table]


def _csv_batches(path: Path, source: str, pipeline: IngestPipeline) -> Iterator[Batch]:
    malformed: list[Rejection] = []

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        malformed.append(
            Rejection(
                source=source,
                received_at=pipeline.clock(),
                field="record",
                value=None,
                reason=f"malformed CSV row: {row.actual_columns} columns, expected {row.expected_columns}",
                record=row.text,
                position=row.number,
            )
        )
        return "skip"

    try:
        # only the names are wanted here: malformed rows are the real reader's business, not a reason to fail
        header = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 16),
            parse_options=pacsv.ParseOptions(invalid_row_handler=lambda _row: "skip"),
        ).schema.names
    except (pa.ArrowInvalid, OSError) as err:
        raise IngestError(f"{path.name}: not a readable CSV file: {err}") from err
    _check_columns(header, path)
    try:
        reader = pacsv.open_csv(
            path,
            # one thread keeps row numbers for malformed rows (the dead letter says where to look)
            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES, use_threads=False),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid_row),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, OSError) as err:
        raise IngestError(f"{path.name}: not a readable CSV file: {err}") from err
    next_line = 2  # the header is line 1
    with reader:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as err:
                raise IngestError(f"{path.name}: CSV could not be read past line {next_line}: {err}") from err
            table = pa.Table.from_batches([batch])
            typed, errors = typed_from_text(table)
            extra, malformed[:] = list(malformed), []
            # the lines this batch spans, minus the malformed ones skipped inside it
            lines = np.arange(next_line, next_line + table.num_rows + len(extra))
            skipped = np.array([r.position for r in extra if r.position is not None], dtype=np.int64)
            positions = lines[~np.isin(lines, skipped)][: table.num_rows]
            next_line += table.num_rows + len(extra)
            yield typed, errors, positions, extra, table
    if malformed:
        empty = OBSERVATION_SCHEMA.empty_table()
        yield empty, FieldErrors(), np.zeros(0, dtype=np.int64), list(malformed), empty


def _parquet_batches(path: Path) -> Iterator[Batch]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise IngestError(f"{path.name}: not a readable Parquet file: {err}") from err
    _check_columns(parquet.schema_arrow.names, path)
    offset = 0
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
        raw = pa.Table.from_batches([batch])
        typed, errors = typed_from_arrow(raw)
        yield typed, errors, np.arange(offset, offset + batch.num_rows) + 1, [], raw
        offset += batch.num_rows


def _row_text(table: pa.Table, row: int) -> str:
    values = [table.column(i)[row].as_py() for i in range(table.num_columns)]
    return ",".join("" if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v)) for v in values)
