"""The typical value of every sensor by time of week, day type and time of day, learnt from training rows.

Lookups fall back from the finest key that has data to coarser ones: the same weekday and slot, then the same day
type (weekday or weekend) and slot, then the same slot on any day, then the sensor's mean. A week of data (Los-loop)
has no Wednesday before its test part, so there the weekday profile answers.

``leave_out`` removes a row's own reading from the means it is compared with: a feature that contains its own
target would teach a model to trust the profile far more than it deserves on days it has not seen.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tamna.traffic.forecasting.windows import DAY_S, calendar

LEVELS = ("week", "daytype", "day")
LOOKUP_BLOCK = 4096


class Profile:
    """Sums and counts of readings per key (level x key x sensor); lookups are means."""

    def __init__(self, interval_s: int, timezone: str, sensors: int) -> None:
        self.interval_s = interval_s
        self.timezone = timezone
        self.slots = DAY_S // interval_s
        sizes = {"week": 7 * self.slots, "daytype": 2 * self.slots, "day": self.slots}
        self.sums = {level: np.zeros((sizes[level], sensors)) for level in LEVELS}
        self.counts = {level: np.zeros((sizes[level], sensors)) for level in LEVELS}
        self.mean = np.zeros(sensors)

    def _keys(self, times_s: np.ndarray) -> dict[str, np.ndarray]:
        slot, weekday = calendar(times_s, self.timezone, self.interval_s)
        weekend = (weekday >= 5).astype(np.int64)
        return {"week": weekday * self.slots + slot, "daytype": weekend * self.slots + slot, "day": slot}

    def add(self, times_s: np.ndarray, values: np.ndarray) -> Profile:
        """Count readings (``values`` is T x N for the T instants ``times_s``; NaN is skipped)."""
        seen = np.isfinite(values)
        clean = np.where(seen, values, 0.0)
        for level, key in self._keys(times_s).items():
            np.add.at(self.sums[level], key, clean)
            np.add.at(self.counts[level], key, seen.astype(np.float64))
        total = self.counts["day"].sum(axis=0)
        self.mean = np.divide(self.sums["day"].sum(axis=0), total, out=np.zeros_like(total), where=total > 0)
        return self

    def lookup(self, times_s: np.ndarray, leave_out: np.ndarray | None = None, *, finest: str = "week") -> np.ndarray:
        """Profile values at ``times_s`` (any shape S) for every sensor: an S x N array.

        ``leave_out`` (S x N, NaN where nothing to remove) holds each instant's own reading, which is taken out of
        the sums before the mean is formed.
        """
        shape = np.shape(times_s)
        flat = np.asarray(times_s, dtype=np.int64).ravel()
        own = None if leave_out is None else leave_out.reshape(flat.size, -1)
        out = np.empty((flat.size, self.mean.size))
        # in blocks: a year of training windows at once would hold several S x N temporaries
        for lo in range(0, flat.size, LOOKUP_BLOCK):
            hi = lo + LOOKUP_BLOCK
            out[lo:hi] = self._lookup(flat[lo:hi], None if own is None else own[lo:hi], finest)
        return out.reshape(*shape, -1)

    def _lookup(self, flat: np.ndarray, own: np.ndarray | None, finest: str) -> np.ndarray:
        keys = self._keys(flat)
        out = np.broadcast_to(self.mean, (flat.size, self.mean.size)).copy()
        decided = np.zeros_like(out, dtype=bool)
        own_seen = None
        if own is not None:
            own_seen = np.isfinite(own)
            own = np.where(own_seen, own, 0.0)
        for level in LEVELS[LEVELS.index(finest) :]:
            sums = self.sums[level][keys[level]]
            counts = self.counts[level][keys[level]]
            if own is not None and own_seen is not None:
                sums = sums - own
                counts = counts - own_seen
            usable = (counts > 0) & ~decided
            out[usable] = sums[usable] / counts[usable]
            decided |= usable
        return out

    def state(self) -> dict[str, Any]:
        """Arrays to save (``np.savez`` keys)."""
        arrays: dict[str, Any] = {
            f"{kind}_{level}": getattr(self, kind)[level] for kind in ("sums", "counts") for level in LEVELS
        }
        arrays["mean"] = self.mean
        return arrays

    @classmethod
    def from_state(cls, interval_s: int, timezone: str, arrays: dict[str, np.ndarray]) -> Profile:
        """The profile :meth:`state` saved."""
        profile = cls(interval_s, timezone, int(arrays["mean"].shape[0]))
        for level in LEVELS:
            profile.sums[level] = np.asarray(arrays[f"sums_{level}"])
            profile.counts[level] = np.asarray(arrays[f"counts_{level}"])
        profile.mean = np.asarray(arrays["mean"])
        return profile
