"""Live forecasts: every interval, every sensor with a recent reading is forecast 15 to 60 minutes ahead from the
store's latest data, with the chosen artifact, and merged per link.

Without a usable model (none configured or trained, unreadable, stale, of another unit or interval, or not knowing a
sensor) the forecast is the last reading, and each answer says so (``fallback`` and ``fallback_reason``): a
dashboard must be able to tell a model's forecast from persistence.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from tamna.core.errors import TamnaError
from tamna.core.timeutil import floor_time, utcnow
from tamna.ingest.sources.sensor_dataset.adapter import TO_KMH
from tamna.store.base import Bucket, Store
from tamna.traffic.forecasting.artifacts import Artifact, load_artifact, newest_artifact
from tamna.traffic.forecasting.base import fitted
from tamna.traffic.forecasting.windows import Windows

log = logging.getLogger(__name__)

HORIZONS_MIN = (15, 30, 45, 60)
BUCKETS = {60: Bucket.MIN_1, 300: Bucket.MIN_5, 900: Bucket.MIN_15, 3600: Bucket.HOUR_1}
#: steps of history read besides the model's context, for the persistence band
BAND_STEPS = 24
#: persistence band when the history is too short to measure one: +- this share of the speed
DEFAULT_BAND_SHARE = 0.1


@dataclass(frozen=True)
class LinkForecast:
    """The forecast speed of a link (or of a sensor on no link) at one horizon, with an 80 % band."""

    link_id: str | None
    sensor_ids: tuple[str, ...]
    horizon_min: int
    time: datetime
    speed_kmh: float
    lower_kmh: float
    upper_kmh: float
    model: str
    fallback: bool
    fallback_reason: str | None
    issued_at: datetime


@dataclass(frozen=True)
class _SensorForecast:
    speed: np.ndarray  # per horizon, km/h
    lower: np.ndarray
    upper: np.ndarray
    model: str
    reason: str | None


class LiveForecasts:
    """Forecasts for the whole city, refreshed each interval by a background thread or on request.

    ``artifact`` is the model folder to use; without one, the newest artifact under ``models_dir`` is used (what
    ``tamna forecast train`` wrote last), and without that, persistence.
    """

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] = utcnow,
        artifact: Path | None = None,
        models_dir: Path | None = None,
        horizons_min: tuple[int, ...] = HORIZONS_MIN,
        interval: timedelta = timedelta(minutes=5),
        max_artifact_age: timedelta = timedelta(days=30),
        max_reading_age: timedelta = timedelta(minutes=15),
    ) -> None:
        self.store = store
        self.clock = clock
        self.artifact_path = artifact
        self.models_dir = models_dir
        self.horizons_min = horizons_min
        self.interval = interval
        self.max_artifact_age = max_artifact_age
        self.max_reading_age = max_reading_age
        self._lock = threading.Lock()
        self._loaded: tuple[Path, Artifact] | None = None
        self._snapshot: tuple[datetime, list[LinkForecast]] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- background ------------------------------------------------------------------------------------
    def start(self) -> None:
        """Refresh now and then every interval, in a daemon thread, until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="forecasts", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop refreshing (waits for a refresh under way)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception:  # the next interval retries; the API answers from the last good snapshot
                log.exception("forecast refresh failed")
            self._stop.wait(self.interval.total_seconds())

    # ---- answers ---------------------------------------------------------------------------------------
    def current(self, *, link_id: str | None = None, horizon_min: int | None = None) -> list[LinkForecast]:
        """The latest forecasts (recomputed when the interval has moved on), optionally for one link or horizon."""
        bucket = floor_time(self.clock(), self.interval)
        snapshot = self._snapshot
        if snapshot is None or snapshot[0] != bucket:
            self.refresh()
            snapshot = self._snapshot
        found = snapshot[1] if snapshot else []
        return [
            f
            for f in found
            if (link_id is None or f.link_id == link_id) and (horizon_min is None or f.horizon_min == horizon_min)
        ]

    def refresh(self) -> list[LinkForecast]:
        """Forecast every sensor with a recent reading now; keeps and returns the result."""
        with self._lock:
            now = self.clock()
            artifact, reason = self._artifact()
            forecasts = self._forecast(now, artifact, reason)
            self._snapshot = (floor_time(now, self.interval), forecasts)
            return forecasts

    # ---- the model -------------------------------------------------------------------------------------
    def _artifact(self) -> tuple[Artifact | None, str | None]:
        """The model to use now, or None and why not."""
        path = self.artifact_path
        if path is None and self.models_dir is not None:
            path = newest_artifact(self.models_dir)
        if path is None:
            return None, "no trained model (tamna forecast train writes one)"
        if self._loaded is None or self._loaded[0] != path:
            try:
                self._loaded = (path, load_artifact(path))
            except (TamnaError, OSError) as err:
                self._loaded = None
                return None, f"model artifact unusable: {err}"
        artifact = self._loaded[1]
        reason = self._unsuitable(artifact)
        return (None, reason) if reason else (artifact, None)

    def _unsuitable(self, artifact: Artifact) -> str | None:
        """Why a loaded artifact cannot serve the live forecasts, if it cannot."""
        meta = artifact.model.meta
        age = utcnow() - artifact.created
        if age > self.max_artifact_age:
            return f"model is stale: trained {age.days} days ago (limit {self.max_artifact_age.days})"
        if meta is None or meta.quantity != "speed" or meta.unit.lower() not in TO_KMH:
            return "model does not forecast speed in a known unit"
        if meta.interval_s not in BUCKETS:
            return f"model steps of {meta.interval_s} s have no store bucket"
        reach_min = meta.horizon_steps * meta.interval_s // 60
        if any(m * 60 % meta.interval_s or m > reach_min for m in self.horizons_min):
            return f"model forecasts {reach_min} min ahead in {meta.interval_s} s steps, not every horizon served"
        return None

    def _forecast(self, now: datetime, artifact: Artifact | None, reason: str | None) -> list[LinkForecast]:
        model = artifact.model if artifact else None
        interval = timedelta(seconds=model.meta.interval_s) if model and model.meta else self.interval
        context = model.context_steps if model else 1
        steps = max(context, BAND_STEPS)
        end = floor_time(now, interval) + interval
        start = end - steps * interval
        sensors = self.store.sensors()
        ids = [s.id for s in sensors]
        matrix = np.full((steps, len(ids)), np.nan)
        column = {sensor_id: i for i, sensor_id in enumerate(ids)}
        bucket = BUCKETS.get(int(interval.total_seconds()), Bucket.MIN_5)
        for sensor_id, when, value in self.store.sensor_series(start=start, end=end, bucket=bucket):
            if sensor_id in column:
                matrix[int((when - start) / interval), column[sensor_id]] = value
        filled_rows = np.flatnonzero(np.isfinite(matrix).any(axis=1))
        if filled_rows.size == 0:
            return []
        origin_row = int(filled_rows[-1])
        matrix = matrix[: origin_row + 1]
        origin = start + origin_row * interval
        recent = matrix[-max(1, int(self.max_reading_age / interval)) :]
        fresh = np.isfinite(recent).any(axis=0)
        last = _last_seen(matrix)
        steps_ahead = [int(m * 60 // interval.total_seconds()) for m in self.horizons_min]
        persistence = _persistence(matrix, last, steps_ahead)
        by_sensor: dict[str, _SensorForecast] = {}
        learnt: dict[str, _SensorForecast] = {}
        if artifact is not None:
            learnt, reason = self._model_forecast(artifact, matrix, ids, origin, steps_ahead)
        for i, sensor_id in enumerate(ids):
            if not fresh[i]:
                continue
            if sensor_id in learnt:
                by_sensor[sensor_id] = learnt[sensor_id]
            else:
                why = reason or "the model does not know this sensor"
                by_sensor[sensor_id] = replace(persistence[i], reason=why)
        issued = now
        links = {s.id: s.link_id for s in sensors}
        groups: dict[str | None, list[str]] = defaultdict(list)
        for sensor_id in by_sensor:
            groups[links.get(sensor_id)].append(sensor_id)
        out: list[LinkForecast] = []
        for link_id, members in sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or "")):
            parts = [members] if link_id is not None else [[m] for m in members]
            for group in parts:
                out.extend(self._merge(link_id, group, by_sensor, origin, issued))
        return out

    def _model_forecast(
        self, artifact: Artifact, matrix: np.ndarray, ids: list[str], origin: datetime, steps_ahead: list[int]
    ) -> tuple[dict[str, _SensorForecast], str | None]:
        """The model's forecasts of the sensors it knows, or none and the reason."""
        model = artifact.model
        meta = fitted(model.meta, model.name)
        to_kmh = TO_KMH[meta.unit.lower()]
        column = {sensor_id: i for i, sensor_id in enumerate(ids)}
        history = np.full((matrix.shape[0], len(meta.sensor_ids)), np.nan)
        known = [(j, column[s]) for j, s in enumerate(meta.sensor_ids) if s in column]
        if not known:
            return {}, None
        for j, i in known:
            history[:, j] = matrix[:, i] / to_kmh
        windows = Windows(
            history=history[None],
            origin_s=np.array([int(origin.timestamp())], dtype=np.int64),
            interval_s=meta.interval_s,
            timezone=meta.timezone,
        )
        try:
            predicted = model.predict(windows)[0]  # H x N in the model's unit
        except (TamnaError, ValueError, RuntimeError) as err:
            log.warning("model %s failed, falling back to persistence: %s", model.name, err)
            return {}, f"the model failed: {err}"
        band = model.band if model.band is not None else np.zeros((meta.horizon_steps, 2))
        out = {}
        rows = np.array(steps_ahead) - 1
        for j, _ in known:
            speed = predicted[rows, j] * to_kmh
            out[meta.sensor_ids[j]] = _SensorForecast(
                speed=np.maximum(speed, 0.0),
                lower=np.maximum(speed + band[rows, 0] * to_kmh, 0.0),
                upper=np.maximum(speed + band[rows, 1] * to_kmh, 0.0),
                model=model.name,
                reason=None,
            )
        return out, None

    def _merge(
        self,
        link_id: str | None,
        members: list[str],
        by_sensor: dict[str, _SensorForecast],
        origin: datetime,
        issued: datetime,
    ) -> list[LinkForecast]:
        chosen = [by_sensor[m] for m in members]
        reasons = sorted({c.reason for c in chosen if c.reason})
        fallback = bool(reasons)
        names = sorted({c.model for c in chosen})
        speed = np.mean([c.speed for c in chosen], axis=0)
        lower = np.mean([c.lower for c in chosen], axis=0)
        upper = np.mean([c.upper for c in chosen], axis=0)
        return [
            LinkForecast(
                link_id=link_id,
                sensor_ids=tuple(sorted(members)),
                horizon_min=minutes,
                time=origin + timedelta(minutes=minutes),
                speed_kmh=round(float(speed[k]), 2),
                lower_kmh=round(float(min(lower[k], speed[k])), 2),
                upper_kmh=round(float(max(upper[k], speed[k])), 2),
                model="+".join(names),
                fallback=fallback,
                fallback_reason="; ".join(reasons) or None,
                issued_at=issued,
            )
            for k, minutes in enumerate(self.horizons_min)
        ]


def _last_seen(matrix: np.ndarray) -> np.ndarray:
    """Each sensor's latest reading in ``matrix`` (NaN when it has none)."""
    last = np.full(matrix.shape[1], np.nan)
    for row in matrix:
        seen = np.isfinite(row)
        last[seen] = row[seen]
    return last


def _persistence(matrix: np.ndarray, last: np.ndarray, steps_ahead: list[int]) -> list[_SensorForecast]:
    """The last reading at every horizon, with a band from the changes over that many steps in ``matrix``."""
    lows, highs = [], []
    for step in steps_ahead:
        changes = (matrix[step:] - matrix[:-step]).ravel() if step < matrix.shape[0] else np.array([])
        changes = changes[np.isfinite(changes)]
        if changes.size >= 30:
            low, high = np.quantile(changes, (0.1, 0.9))
            lows.append(np.full_like(last, low))
            highs.append(np.full_like(last, high))
        else:
            lows.append(-DEFAULT_BAND_SHARE * last)
            highs.append(DEFAULT_BAND_SHARE * last)
    low_all, high_all = np.stack(lows), np.stack(highs)  # H x N
    return [
        _SensorForecast(
            speed=np.full(len(steps_ahead), last[i]),
            lower=np.maximum(last[i] + low_all[:, i], 0.0),
            upper=np.maximum(last[i] + high_all[:, i], 0.0),
            model="last-value",
            reason=None,
        )
        for i in range(matrix.shape[1])
    ]
