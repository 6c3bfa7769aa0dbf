"""RESCO's average delay on a tiny hand-made tripinfo file, against numbers worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from tamna.signals.errors import SignalsError
from tamna.signals.metrics import never_inserted, read_tripinfo

TRIPINFO = """<?xml version="1.0" encoding="UTF-8"?>
<tripinfos>
    <tripinfo id="a" depart="10.00" departDelay="2.00" arrival="70.00" duration="60.00" timeLoss="20.00"
              waitingTime="12.00">
        <emissions CO2_abs="150000.00"/>
    </tripinfo>
    <tripinfo id="b" depart="20.00" departDelay="0.00" arrival="60.00" duration="40.00" timeLoss="5.00"
              waitingTime="0.00">
        <emissions CO2_abs="50000.00"/>
    </tripinfo>
    <tripinfo id="c" depart="50.00" departDelay="4.00" arrival="-1.00" duration="50.00" timeLoss="30.00"
              waitingTime="25.00"/>
    <tripinfo id="d" depart="-1" departDelay="15.00" arrival="-1.00" duration="0.00" timeLoss="0.00"
              waitingTime="0.00"/>
</tripinfos>
"""


def test_delay_counts_time_loss_insertion_delay_and_vehicles_that_never_entered(tmp_path: Path) -> None:
    path = tmp_path / "tripinfo.xml"
    path.write_text(TRIPINFO, encoding="utf-8")
    stats = read_tripinfo(path)
    # a: 20 + 2, b: 5 + 0, c (still driving): 30 + 4, d (never entered, waited 15 s): 0 + 15
    assert stats.delay_s == pytest.approx((22 + 5 + 34 + 15) / 4)
    assert (stats.arrived, stats.unfinished, stats.undeparted, stats.vehicles) == (2, 1, 1, 4)
    assert stats.trip_time_s == pytest.approx((60 + 40) / 2)
    assert stats.waiting_s == pytest.approx((12 + 0 + 25) / 3)
    assert stats.co2_kg == pytest.approx(0.2)


def test_vehicles_missing_from_the_file_count_from_their_scheduled_departure(tmp_path: Path) -> None:
    path = tmp_path / "tripinfo.xml"
    path.write_text(TRIPINFO, encoding="utf-8")
    stats = read_tripinfo(path, end_s=100.0, pending_departs_s=[90.0, 40.0])
    assert stats.delay_s == pytest.approx((22 + 5 + 34 + 15 + 10 + 60) / 6)
    assert stats.undeparted == 3


def test_a_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "tripinfo.xml"
    path.write_text("<tripinfos><tripinfo id=", encoding="utf-8")
    with pytest.raises(SignalsError, match="not a readable SUMO tripinfo"):
        read_tripinfo(path)


def test_vehicles_an_older_sumo_leaves_out_are_found_in_the_route_file(tmp_path: Path) -> None:
    # SUMO before 1.28 writes no vehicle that never departed: those due in the window and missing from the
    # tripinfo are read from the route file (a: listed; e: due at 40 s, missing; f: due before the window;
    # g: due after it; h: a trip element, missing)
    tripinfo = tmp_path / "tripinfo.xml"
    tripinfo.write_text(TRIPINFO, encoding="utf-8")
    routes = tmp_path / "routes.rou.xml"
    routes.write_text(
        '<routes><vehicle id="a" depart="10"><route edges="x"/></vehicle>'
        '<vehicle id="e" depart="40"><route edges="x"/></vehicle>'
        '<vehicle id="f" depart="5"><route edges="x"/></vehicle>'
        '<vehicle id="g" depart="100"><route edges="x"/></vehicle>'
        '<trip id="h" depart="90.5" from="x" to="y"/></routes>',
        encoding="utf-8",
    )
    missing = never_inserted(tripinfo, [routes], begin_s=10.0, end_s=100.0)
    assert sorted(missing) == [40.0, 90.5]
    stats = read_tripinfo(tripinfo, end_s=100.0, pending_departs_s=missing)
    assert stats.undeparted == 3 and stats.delay_s == pytest.approx((22 + 5 + 34 + 15 + 60 + 9.5) / 6)
    with pytest.raises(SignalsError, match="route file"):
        never_inserted(tripinfo, [tmp_path / "absent.rou.xml"], begin_s=0.0, end_s=1.0)
