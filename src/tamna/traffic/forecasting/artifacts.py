"""Versioned model artifacts: one folder per trained model, self-contained and checkable.

``<model>-<dataset>-<UTC stamp>/`` holds ``model.json`` (config, meta, band), ``scaler.json``, the model's weights,
``metrics.json`` (scores under both conventions, or the validation scores when trained on all rows) and
``artifact.json``: the manifest with the data fingerprint, the rows trained on, the Tamna version, the creation time
and a SHA-256 of every other file, so that a swapped or truncated file is refused rather than served.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tamna import __version__
from tamna.core.artifacts import sha256_file, slug
from tamna.core.timeutil import ensure_utc, utcnow
from tamna.traffic.datasets.series import SensorSeries
from tamna.traffic.forecasting.base import Forecaster
from tamna.traffic.forecasting.errors import ForecastError
from tamna.traffic.forecasting.registry import forecasters

MANIFEST = "artifact.json"
FORMAT = 1


@dataclass(frozen=True)
class Artifact:
    """A loaded artifact: the model and its manifest."""

    folder: Path
    model: Forecaster
    manifest: dict[str, Any]

    @property
    def created(self) -> datetime:
        """When it was written (UTC)."""
        return ensure_utc(datetime.fromisoformat(self.manifest["created"]))


_slug = slug
_sha256 = sha256_file


def write_artifact(
    model: Forecaster,
    series: SensorSeries,
    parent: Path,
    *,
    trained_rows: int,
    metrics: dict[str, Any],
    now: datetime | None = None,
) -> Path:
    """Save ``model`` (fitted on the first ``trained_rows`` rows of ``series``) under ``parent``; returns the folder."""
    created = ensure_utc(now or utcnow())
    base = f"{model.name}-{_slug(series.name)}-{created.strftime('%Y%m%dT%H%M%SZ')}"
    folder = parent / base
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = parent / f"{base}-{suffix}"
    model.save(folder)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    files = {p.name: _sha256(p) for p in sorted(folder.iterdir()) if p.is_file()}
    manifest = {
        "format": FORMAT,
        "model": model.name,
        "dataset": series.name,
        "fingerprint": series.fingerprint(),
        "trained_rows": trained_rows,
        "trained_from": series.time_of(0).isoformat(),
        "trained_until": series.time_of(trained_rows - 1).isoformat(),
        "sensors": len(series.sensor_ids),
        "unit": series.unit,
        "created": created.isoformat(),
        "tamna_version": __version__,
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder


def load_artifact(folder: Path) -> Artifact:
    """Load and check the artifact in ``folder``: manifest present, files unchanged, model registered."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ForecastError(f"{folder}: no {MANIFEST}; not a model artifact") from err
    except (OSError, ValueError) as err:
        raise ForecastError(f"{path}: unreadable ({err})") from err
    if manifest.get("format") != FORMAT:
        raise ForecastError(f"{path}: artifact format {manifest.get('format')!r}; this Tamna reads {FORMAT}")
    for name, digest in manifest.get("files", {}).items():
        file = folder / name
        if not file.is_file():
            raise ForecastError(f"{folder}: {name} listed in the manifest is missing")
        if _sha256(file) != digest:
            raise ForecastError(f"{folder}: {name} changed since the artifact was written")
    name = str(manifest.get("model"))
    if name not in forecasters():
        raise ForecastError(f"{folder}: model {name!r} is not registered in this Tamna")
    return Artifact(folder, forecasters().get(name).load(folder), manifest)


def newest_artifact(parent: Path) -> Path | None:
    """The most recently created artifact folder under ``parent``, if any."""
    if not parent.is_dir():
        return None
    found: list[tuple[str, Path]] = []
    for manifest in parent.glob(f"*/{MANIFEST}"):
        try:
            found.append((str(json.loads(manifest.read_text(encoding="utf-8"))["created"]), manifest.parent))
        except (OSError, ValueError, KeyError):
            continue
    return max(found)[1] if found else None
