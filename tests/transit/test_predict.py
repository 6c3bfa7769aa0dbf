"""Arrival prediction: the baseline worked by hand, the learned model against it on a synthetic history (made in
the tests, not real), and ``tamna transit evaluate`` on history files of both formats."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tamna.cli.main import app
from tamna.domain.transit import MatchKind, StopEvent, VehicleState
from tamna.transit.errors import TransitError
from tamna.transit.predict.baseline import ScheduleDelayPredictor
from tamna.transit.predict.evaluate import evaluate
from tamna.transit.predict.history import write_history
from tamna.transit.predict.learned import SegmentModel
from tamna.transit.schedule import Schedule
from tests.transit.support import MONDAY, at, drive, synthetic_history, weekdays

TRIP = "100-0-0480"  # leaves S1 08:00; S2 08:02, S3 08:04–08:04:30, S4 08:06:30, S5 08:08:30, S6 08:10:30


def _state(schedule: Schedule, **changes: object) -> VehicleState:
    trip = schedule.trips[TRIP]
    base = VehicleState(
        feed_id="jeju",
        vehicle_id="bus-1",
        time=at(MONDAY, 8 * 3600 + 180 + 90),  # 08:04:30, 90 s late
        source="test",
        route_id="R100",
        trip_id=TRIP,
        start_date="20260302",
        shape_dist_m=float((trip.dist[1] + trip.dist[2]) / 2),  # half way from S2 to S3
        delay_s=90.0,
        match=MatchKind.SCHEDULE,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_baseline_shifts_the_timetable_by_the_delay(schedule: Schedule) -> None:
    state = _state(schedule)
    prediction = ScheduleDelayPredictor().predict(schedule, state, state.time.timestamp())
    assert prediction is not None
    assert prediction.first == 2  # S3 is next
    expected = [8 * 3600 + s + 90 for s in (240, 390, 510, 630)]
    assert prediction.arrivals.tolist() == [at(MONDAY, s).timestamp() for s in expected]
    assert prediction.departures[0] == at(MONDAY, 8 * 3600 + 270 + 90).timestamp()


def test_predictions_never_go_back_in_time(schedule: Schedule) -> None:
    state = _state(schedule, delay_s=-600.0)  # ten minutes early: the next stop's time would be in the past
    now = state.time.timestamp()
    prediction = ScheduleDelayPredictor().predict(schedule, state, now)
    assert prediction is not None
    assert prediction.arrivals.min() >= now
    assert (prediction.arrivals[1:] >= prediction.departures[:-1]).all()


def test_the_learned_model_beats_the_baseline_on_a_congested_synthetic_history(schedule: Schedule) -> None:
    events = synthetic_history(schedule, weekdays(MONDAY, 6))
    result = evaluate(schedule, events, train_fraction=0.67)  # type: ignore[arg-type]
    assert result.train_days == ["20260302", "20260303", "20260304", "20260305"]
    assert result.test_days == ["20260306", "20260309"]
    baseline, learned = result.scores["schedule+delay"], result.scores["segments+dwell (learned)"]
    assert [s.bucket for s in baseline] == ["0-5", "5-10", "10-20", "20-30"]
    for ours, theirs in zip(learned[:3], baseline[:3], strict=True):
        assert ours.count == theirs.count > 0
        assert ours.mae_s < theirs.mae_s  # type: ignore[operator]
    print(result.render())


def test_a_model_learns_each_segment_by_hour(schedule: Schedule) -> None:
    events = synthetic_history(schedule, weekdays(MONDAY, 3))
    model = SegmentModel.fit(schedule, events)  # type: ignore[arg-type]
    trip = schedule.trips[TRIP]
    peak, _ = model.segment_times(trip, "weekday", 8)
    calm, _ = model.segment_times(trip, "weekday", 11)
    # S1→S2 at 8 h: 120 s × 1.8 = 216 s; at 11 h: 120 s; into S3 × 1.3 more
    assert peak[0] == pytest.approx(216, rel=0.08)
    assert calm[0] == pytest.approx(120, rel=0.08)
    assert peak[1] == pytest.approx(120 * 1.8 * 1.3, rel=0.08)


def test_one_day_of_history_cannot_be_split(schedule: Schedule) -> None:
    with pytest.raises(TransitError, match="needs at least two"):
        evaluate(schedule, synthetic_history(schedule, [MONDAY]))  # type: ignore[arg-type]


def test_cli_evaluate_reads_stop_events_and_position_logs(schedule: Schedule, feed_dir: Path, tmp_path: Path) -> None:
    history = tmp_path / "history"
    events: list[StopEvent] = synthetic_history(schedule, weekdays(MONDAY, 3))  # type: ignore[assignment]
    write_history(events, history / "stop_events.csv")
    # a fourth day as a position log of two buses: matched into stop events by the evaluation
    friday = MONDAY + timedelta(days=3)
    rows = ["vehicle_id,time,lat,lon,route_id"]
    for trip_id, late in (("100-0-0540", 30), ("100-1-0540", 90)):
        pings = drive(schedule, trip_id, friday, late_s=late, vehicle_id=f"v-{trip_id}")
        rows.extend(f"{p.vehicle_id},{p.time.isoformat()},{p.lat},{p.lon},R100" for p in pings)  # type: ignore[attr-defined]
    (history / "positions.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["transit", "evaluate", "--gtfs", str(feed_dir), "--history", str(history)])
    assert result.exit_code == 0, result.output
    assert "trained on 3 service days" in result.stdout
    assert "tested on 1 (12 events" in result.stdout
    assert "0–5 min" in result.stdout and "schedule+delay" in result.stdout
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.csv").write_text("a,b\n1,2\n")
    bad = CliRunner().invoke(app, ["transit", "evaluate", "--gtfs", str(feed_dir), "--history", str(broken)])
    assert bad.exit_code == 2
    assert "neither stop events" in bad.stderr
