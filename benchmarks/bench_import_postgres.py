"""Bulk import into PostgreSQL through Tamna's real path: ``tamna.ingest.files.import_observations`` on the
workload as Parquet and as CSV, into a fresh database per run (created and dropped by the script). The
PostgreSQL backend stages each batch with COPY into a temporary table and upserts from there. The roll-up
refresh is timed separately.

Target (issue): >= 100,000 observations/s.
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

TARGET_OBS_S = 100_000


def import_once(path: Path, workload: Workload) -> tuple[float, float, int]:
    """(import seconds, roll-up seconds, rows stored) for one import into a new database."""
    with harness.postgres_database() as url:
        store = open_store(url)
        try:
            workload.register(store)
            pipeline = IngestPipeline(store)
            started = time.perf_counter()
            result = import_observations(pipeline, path, flush_rollups=False)
            imported = time.perf_counter()
            pipeline.flush_rollups()
            rolled = time.perf_counter()
            if result.stored != workload.observations or result.rejected:
                raise RuntimeError(f"{path.name}: stored {result.stored}, refused {result.rejected}")
            stored = store.count_observations()
        finally:
            store.close()
    return imported - started, rolled - imported, stored


def main() -> None:
    ap = harness.parser(__doc__ or "")
    ap.add_argument("--formats", default="parquet,csv", help="which files to import, comma-separated")
    args = ap.parse_args()
    workload = harness.workload_of(args)
    figures: list[Figure] = []
    with harness.data_folder(args) as data:
        parquet, csv = workload.files(data)
        chosen = [
            (label, path) for label, path in (("Parquet", parquet), ("CSV", csv)) if path.suffix[1:] in args.formats
        ]
        for label, path in chosen:
            import_s, rollup_s = [], []
            for run in range(args.runs):
                seconds, rollups, stored = import_once(path, workload)
                import_s.append(seconds)
                rollup_s.append(rollups)
                print(f"{label} run {run + 1}: {stored:,} rows in {seconds:.2f} s, roll-ups {rollups:.2f} s")
            rates = [workload.observations / s for s in import_s]
            figures.append(
                Figure(
                    f"PostgreSQL import, {label} (obs/s)",
                    round(harness.median(rates)),
                    "obs/s",
                    TARGET_OBS_S,
                    runs=[round(r) for r in rates],
                    note=f"median import {harness.median(import_s):.1f} s for {workload.observations:,} rows",
                )
            )
            figures.append(
                Figure(
                    f"PostgreSQL roll-up refresh after {label} import (s)",
                    round(harness.median(rollup_s), 2),
                    "s",
                    runs=[round(s, 2) for s in rollup_s],
                    note="15-min and 1-h roll-ups over the whole imported span, timed apart from the import",
                )
            )
    harness.save("import_postgres", args, figures, postgres=harness.postgres_version())


if __name__ == "__main__":
    main()
