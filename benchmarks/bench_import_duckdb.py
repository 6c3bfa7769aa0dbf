"""Bulk import into DuckDB through Tamna's real path: ``tamna.ingest.files.import_observations`` on the
workload as Parquet and as CSV (reading, typing, validation, dead-lettering and the upsert included), into a
fresh DuckDB file per run. The roll-up refresh that follows an import is timed separately.

Target (issue): >= 500,000 observations/s.
"""

from __future__ import annotations

import time
from pathlib import Path

import harness
from harness import Figure
from tamna.ingest.files import import_observations
from tamna.ingest.pipeline import IngestPipeline
from tamna.store.base import open_store
from workload import Workload

TARGET_OBS_S = 500_000


def import_once(path: Path, folder: Path, workload: Workload) -> tuple[float, float, int]:
    """(import seconds, roll-up seconds, rows stored) for one import into a new DuckDB file."""
    db = folder / f"import-{path.suffix[1:]}.duckdb"
    for leftover in (db, db.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    store = open_store(str(db))  # the CLI's defaults (memory_limit 512MB)
    try:
        workload.register(store)
        pipeline = IngestPipeline(store)
        started = time.perf_counter()
        result = import_observations(pipeline, path, flush_rollups=False)
        imported = time.perf_counter()
        pipeline.flush_rollups()
        rolled = time.perf_counter()
        if result.stored != workload.observations or result.rejected:
            # ~1 % of readings are 'suspect' but valid: nothing of the workload may be refused
            raise RuntimeError(f"{path.name}: stored {result.stored}, refused {result.rejected}")
        stored = store.count_observations()
    finally:
        store.close()
        for leftover in (db, db.with_suffix(".duckdb.wal")):
            leftover.unlink(missing_ok=True)
    return imported - started, rolled - imported, stored


def main() -> None:
    args = harness.parser(__doc__ or "").parse_args()
    workload = harness.workload_of(args)
    figures: list[Figure] = []
    details: dict[str, object] = {}
    with harness.data_folder(args) as data, harness.scratch() as folder:
        parquet, csv = workload.files(data)
        details["file_bytes"] = {"parquet": parquet.stat().st_size, "csv": csv.stat().st_size}
        for label, path in (("Parquet", parquet), ("CSV", csv)):
            import_s, rollup_s = [], []
            for run in range(args.runs):
                seconds, rollups, stored = import_once(path, folder, workload)
                import_s.append(seconds)
                rollup_s.append(rollups)
                print(f"{label} run {run + 1}: {stored:,} rows in {seconds:.2f} s, roll-ups {rollups:.2f} s")
            rates = [workload.observations / s for s in import_s]
            figures.append(
                Figure(
                    f"DuckDB import, {label} (obs/s)",
                    round(harness.median(rates)),
                    "obs/s",
                    TARGET_OBS_S,
                    runs=[round(r) for r in rates],
                    note=f"median import {harness.median(import_s):.2f} s for {workload.observations:,} rows",
                )
            )
            figures.append(
                Figure(
                    f"DuckDB roll-up refresh after {label} import (s)",
                    round(harness.median(rollup_s), 2),
                    "s",
                    runs=[round(s, 2) for s in rollup_s],
                    note="15-min and 1-h roll-ups over the whole imported span, timed apart from the import",
                )
            )
    harness.save("import_duckdb", args, figures, **details)


if __name__ == "__main__":
    main()
