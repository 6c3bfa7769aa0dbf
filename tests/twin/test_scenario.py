"""Loading scenarios: RESCO's real ones load; every broken or missing file is refused with a message naming it,
before libsumo (which can crash the process on a broken network) ever sees it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tamna.twin.errors import TwinError
from tamna.twin.netfile import read_net
from tamna.twin.scenario import Scenario, load_scenario

CONFIG = """<configuration>
    <input>
        <net-file value="{net}"/>
        <route-files value="{routes}"/>
        {additional}
    </input>
    <time><begin value="{begin}"/><end value="{end}"/></time>
</configuration>
"""


def write_config(
    folder: Path, *, net: str, routes: str = "", additional: str = "", begin: str = "0", end: str = "600"
) -> Path:
    extra = f'<additional-files value="{additional}"/>' if additional else ""
    path = folder / "test.sumocfg"
    path.write_text(CONFIG.format(net=net, routes=routes, additional=extra, begin=begin, end=end), encoding="utf-8")
    return path


@pytest.mark.data
def test_resco_scenarios_load_with_their_files_and_window(resco: Callable[[str], Scenario]) -> None:
    cologne = resco("cologne1")
    assert cologne.name == "cologne1"
    assert cologne.net_file.name == "cologne1.net.xml" and cologne.net_file.is_absolute()
    assert [p.name for p in cologne.route_files] == ["cologne1.rou.xml"]
    assert cologne.additional_files == ()
    assert (cologne.begin_s, cologne.end_s, cologne.step_length_s) == (25200.0, 28800.0, 1.0)
    grid = resco("grid4x4")
    assert (grid.name, grid.begin_s, grid.end_s) == ("grid4x4", 0.0, 3600.0)
    assert [p.name for p in grid.route_files] == ["grid4x4_1.rou.xml"]


@pytest.mark.data
def test_a_projected_and_an_unprojected_network_are_read(resco: Callable[[str], Scenario]) -> None:
    cologne = read_net(resco("cologne1").net_file)
    assert cologne.projection.geographic
    assert cologne.signals == 1
    lon, lat = cologne.projection.lonlat(11800.0, 13300.0)
    assert 6.8 < lon < 7.1 and 50.8 < lat < 51.1  # Cologne
    grid = read_net(resco("grid4x4").net_file)
    assert not grid.projection.geographic
    assert grid.signals == 16
    # four approaches of one or more road lanes at each of the sixteen signals
    assert len(grid.signal_lanes) >= 16 * 4


def test_a_missing_scenario_is_named(tmp_path: Path) -> None:
    with pytest.raises(TwinError, match=r"nope\.sumocfg: no such file"):
        load_scenario(tmp_path / "nope.sumocfg")


def test_a_malformed_configuration_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.sumocfg"
    path.write_text("<configuration><input><net-file value='a.net.xml'/>", encoding="utf-8")
    with pytest.raises(TwinError, match=r"broken\.sumocfg: not a readable SUMO configuration"):
        load_scenario(path)


def test_a_file_that_is_not_a_configuration_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "routes.sumocfg"
    path.write_text("<routes/>", encoding="utf-8")
    with pytest.raises(TwinError, match="root element is <routes>"):
        load_scenario(path)


@pytest.mark.data
def test_a_missing_route_file_is_named(tmp_path: Path, shared_data: Path) -> None:
    net = shared_data / "sumo" / "grid4x4" / "grid4x4.net.xml"
    config = write_config(tmp_path, net=str(net), routes="missing.rou.xml")
    with pytest.raises(TwinError, match=r"the route-files .*missing\.rou\.xml does not exist"):
        load_scenario(config)


def test_a_configuration_without_a_network_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.sumocfg"
    path.write_text("<configuration><input/></configuration>", encoding="utf-8")
    with pytest.raises(TwinError, match="names no net-file"):
        load_scenario(path)


def test_a_truncated_network_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "cut.net.xml").write_text("<net>\n<location/>\n<edge id='x'", encoding="utf-8")
    config = write_config(tmp_path, net="cut.net.xml")
    with pytest.raises(
        TwinError, match=r"cut\.net\.xml: malformed XML \(net-file of scenario test\.sumocfg\) at line 3"
    ):
        load_scenario(config)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<net></net>", "no <location> element"),
        ('<net><location netOffset="0,0" projParameter="!"/></net>', "no road edges"),
        ("<routes/>", "root element is <routes>, not <net>"),
    ],
)
def test_a_network_libsumo_would_crash_on_is_refused(tmp_path: Path, text: str, message: str) -> None:
    # well-formed but empty networks made libsumo 1.28 crash the whole process (segmentation fault)
    path = tmp_path / "odd.net.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TwinError, match=message):
        read_net(path)


@pytest.mark.data
def test_a_window_that_ends_before_it_begins_is_refused(tmp_path: Path, shared_data: Path) -> None:
    net = shared_data / "sumo" / "grid4x4" / "grid4x4.net.xml"
    with pytest.raises(TwinError, match="end 100 s is not after begin 600 s"):
        load_scenario(write_config(tmp_path, net=str(net), begin="600", end="100"))


@pytest.mark.data
def test_times_may_be_written_as_hours_minutes_seconds(tmp_path: Path, shared_data: Path) -> None:
    net = shared_data / "sumo" / "grid4x4" / "grid4x4.net.xml"
    scenario = load_scenario(write_config(tmp_path, net=str(net), begin="7:00:00", end="7:30:00"))
    assert (scenario.begin_s, scenario.end_s) == (25200.0, 27000.0)
