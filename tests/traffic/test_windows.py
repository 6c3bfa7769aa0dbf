"""Windows, the causal fill and the calendar."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from tamna.traffic.datasets.series import SensorSeries
from tamna.traffic.forecasting.graph import distance_graph, transitions
from tamna.traffic.forecasting.profile import Profile
from tamna.traffic.forecasting.windows import calendar, cut, fill_causal, targets


def test_cut_and_targets_pad_with_nan_beyond_the_series(series: SensorSeries) -> None:
    origins = np.array([1, series.steps - 2])
    windows = cut(series, origins, 4)
    assert windows.history.shape == (2, 4, series.values.shape[1])
    assert np.isnan(windows.history[0, :2]).all()
    np.testing.assert_array_equal(windows.history[0, 2:], series.values[0:2])
    ahead = targets(series, origins, 3)
    np.testing.assert_array_equal(ahead[1, 0], series.values[-1])
    assert np.isnan(ahead[1, 1:]).all()


def test_fill_carries_forward_within_the_limit_then_takes_the_fallback() -> None:
    history = np.array([[[1.0], [np.nan], [np.nan], [np.nan], [5.0], [np.nan]]])
    filled = fill_causal(history, np.array([9.0]), limit=2)
    np.testing.assert_array_equal(filled[0, :, 0], [1, 1, 1, 9, 5, 5])
    # never backwards: a leading gap takes the fallback, not the later reading
    lead = fill_causal(np.array([[[np.nan], [3.0]]]), np.array([9.0]), limit=5)
    np.testing.assert_array_equal(lead[0, :, 0], [9, 3])


def test_calendar_uses_local_time() -> None:
    # 2012-03-01 08:00 UTC is 00:00 on a Thursday in Los Angeles; DST started there on 11 March 2012
    stamps = np.array(
        [datetime(2012, 3, 1, 8, tzinfo=UTC).timestamp(), datetime(2012, 3, 12, 7, 5, tzinfo=UTC).timestamp()]
    )
    slot, weekday = calendar(stamps.astype(np.int64), "America/Los_Angeles", 300)
    assert slot.tolist() == [0, 1]
    assert weekday.tolist() == [3, 0]


def test_profile_leaves_out_the_row_it_is_asked_about() -> None:
    day = 86_400
    times = np.array([0, day, 2 * day], dtype=np.int64)  # Thursday, Friday, Saturday 00:00 UTC
    values = np.array([[10.0], [20.0], [50.0]])
    profile = Profile(300, "UTC", 1).add(times, values)
    at_thursday = np.array([0], dtype=np.int64)
    assert profile.lookup(at_thursday, finest="daytype")[0, 0] == 15.0  # the two weekdays
    own = np.array([[10.0]])
    assert profile.lookup(at_thursday, own, finest="daytype")[0, 0] == 20.0  # Friday alone
    # a weekend slot with nothing else falls back to the time of day over all days, still without itself
    at_saturday = np.array([2 * day], dtype=np.int64)
    assert profile.lookup(at_saturday, np.array([[50.0]]), finest="daytype")[0, 0] == 15.0


def test_the_sparse_walk_is_the_dense_product() -> None:
    rng = np.random.default_rng(0)
    graph = rng.random((30, 30))
    graph[graph < 0.8] = 0
    graph[4] = 0  # a sensor without neighbours
    walks = transitions(graph)
    assert len(walks) == 2  # directed: forward and backward
    x = rng.random((9, 30))
    for walk in walks:
        np.testing.assert_allclose(walk.apply(x), x @ walk.dense.T, atol=1e-12)
    np.testing.assert_allclose(walks[0].dense.sum(axis=1)[[0, 4]], [1.0, 0.0])


def test_the_distance_graph_links_near_sensors_only() -> None:
    near, also_near, far = (126.50, 33.50), (126.501, 33.50), (127.5, 34.5)
    graph = distance_graph([near, also_near, far, None])
    assert graph[0, 1] > 0.9 and graph[0, 1] == graph[1, 0]
    assert graph[0, 2] == 0 and not graph[3].any()
