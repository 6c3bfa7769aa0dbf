"""Inputs the learnt models share, all in scaled units (each sensor's training mean 0, spread 1):

- lags of each sensor and their diffusion over the graph (DCRNN's random walk, forward and, on a directed graph,
  backward; ``hops`` steps each), so a model sees congestion arriving from upstream;
- the sensor's typical value (:class:`~.profile.Profile`) at the origin and at every target instant, minus the
  current reading: how far today is from usual, and where usual is heading;
- the calendar: local time-of-day slot and weekend flag.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tamna.traffic.forecasting.graph import Walk
from tamna.traffic.forecasting.profile import Profile
from tamna.traffic.forecasting.windows import Windows, calendar


def diffused_lags(scaled: np.ndarray, walks: list[Walk], hops: int) -> np.ndarray:
    """B x N x (L * (1 + hops * len(walks))) from ``scaled`` history (B x L x N)."""
    parts = [scaled]
    sensors = scaled.shape[2]
    for walk in walks:
        walked = scaled.reshape(-1, sensors)
        for _ in range(hops):
            walked = walk.apply(walked)
            parts.append(walked.reshape(scaled.shape))
    return np.concatenate(parts, axis=1).transpose(0, 2, 1)


@dataclass(frozen=True)
class Calendar:
    """Per-origin calendar and per-target profile features of a batch of windows."""

    #: B x N x (H + 1): the profile at the origin and at each target, minus the origin's reading
    profile_gap: np.ndarray
    #: B x N x (H + 1): the profile itself at the same instants
    profile: np.ndarray
    #: B x (H + 1) local slot of the day and weekend flag, origin first
    slot: np.ndarray
    weekend: np.ndarray


def calendar_features(
    windows: Windows, scaled_last: np.ndarray, profile: Profile, horizon: int, leave_out: np.ndarray | None = None
) -> Calendar:
    """Calendar and profile features. ``leave_out`` (B x (H + 1) x N, scaled) holds each instant's own reading when
    the windows are training windows, so that the profile a model learns from never contains its target."""
    times = np.concatenate([windows.origin_s[:, None], windows.target_times(horizon)], axis=1)
    typical = profile.lookup(times, leave_out, finest="daytype")  # B x (H+1) x N
    slot, weekday = calendar(times, windows.timezone, windows.interval_s)
    typical = typical.transpose(0, 2, 1)
    return Calendar(
        profile_gap=typical - scaled_last[:, :, None],
        profile=typical,
        slot=slot,
        weekend=(weekday >= 5).astype(np.int64),
    )


def fourier(slot: np.ndarray, slots_per_day: int, harmonics: int) -> np.ndarray:
    """sin/cos of the time of day at ``harmonics`` frequencies: slot.shape + (2 * harmonics,)."""
    angle = 2 * np.pi * slot[..., None] / slots_per_day * np.arange(1, harmonics + 1)
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=-1)
