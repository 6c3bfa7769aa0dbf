"""The Jeju twin: a runnable SUMO scenario of Jeju-si's centre (or the whole island) from real public data.

Inputs, all under the shared data folder's ``jeju/``: the national standard node-link (roads), the measured
free-flow speeds, the signal register, the bus-stop register and the public car parks. Output, in ``out_dir``:

==========================  ==========================================================================
``jeju.net.xml``            the network; edge ids are node-link LINK_IDs, names the Korean road names,
                            params ``freeflow_speed_kmh``, ``max_speed_kmh``, ``road_rank``; UTM 52N with
                            its projection, so positions convert back to lon/lat
``detectors.add.xml``       an induction loop on every signalised approach lane (``e1_<lane>``)
``busstops.add.xml``        the register's stops on their kerb lanes (``bs_<station id>``, Korean names)
``buses.rou.xml``           derived bus lines, both directions, at fixed headways
``cars.rou.xml``            the car demand, routed by duarouter
``jeju.sumocfg``            ties them together; ``manifest.json`` records inputs, options and figures
``gtfs/``                   the bus lines as a GTFS feed: the register's stop ids, Korean names and places
``plain/``                  the network as plain XML with lon/lat coordinates (for netedit or hand edits)
==========================  ==========================================================================

How each part is derived is told in the helper modules: ``_jeju_nodelink`` (roads), ``_jeju_signals``
(signals), ``_jeju_bus`` (stops and lines), ``_jeju_demand`` (trips).
"""

from __future__ import annotations

import time
from pathlib import Path

from tamna.domain.network import RoadNetwork
from tamna.ingest.sources.jeju_nodelink.adapter import FREEFLOW_FILE, LINKS_FILE, NODES_FILE, JejuNodeLink
from tamna.twin.build import _demand, _detectors, _jeju_bus, _jeju_demand, _jeju_nodelink, _jeju_signals
from tamna.twin.build._jeju_signals import SignalPlan
from tamna.twin.build._netconvert import convert_plain, fixed_programs, patch_network, signal_patch
from tamna.twin.build._netinfo import geo_converters, read_net
from tamna.twin.build._scenario import write_config
from tamna.twin.build._tools import (
    TwinBuildError,
    inputs_key,
    prepare_out_dir,
    read_summary,
    refuse_inside,
    reusable,
    write_manifest,
)
from tamna.twin.build.gtfs import GTFS_FOLDER, export_gtfs

__all__ = ["DEFAULT_WINDOW_S", "TwinBuildError", "build_jeju", "read_summary"]

#: 06:00–10:00: an off-peak hour to fill the network, then the morning peak (07–09 h) and its shoulder.
DEFAULT_WINDOW_S = (6 * 3600, 10 * 3600)
#: Cars starting in the busiest hour in the centre. Chosen by measurement (see docs in the build summary): the
#: centre then congests at the peak (mean speed falls to about half of the off-peak) without gridlocking.
CENTRE_PEAK_VPH = 16000.0
#: The whole island: the same density of trips per lane-km as the centre would overstate the countryside, so
#: it gets this fraction of it.
ISLAND_DENSITY_FACTOR = 0.25
#: Lane-km of the centre's network (measured on the default build), the yardstick for scaling the island.
CENTRE_LANE_KM = 638.0
#: Mid-block crossing program (단일로): cars green, yellow, then red while pedestrians cross.
MIDBLOCK_PHASES = ((70, "G"), (3, "y"), (27, "r"))


def _input_files(data: Path) -> list[Path]:
    jeju = data / "jeju"
    road = jeju / "road-network"
    files = [
        road / LINKS_FILE,
        road / NODES_FILE,
        (road / FREEFLOW_FILE).resolve(),
        jeju / _jeju_signals.REGISTER_FILE,
        jeju / _jeju_bus.STOPS_FILE,
    ]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise TwinBuildError(f"the Jeju data is incomplete under {data}: missing {', '.join(missing)}")
    return files + [jeju / p for p in _jeju_signals.PARKING_FILES if (jeju / p).is_file()]


def _count_vehicles(path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        return sum(line.count("<vehicle ") for line in handle)


def _network(data: Path, area: RoadNetwork, out: Path, *, whole_island: bool) -> tuple[Path, SignalPlan]:
    """Roads, then signals: plain XML → a first network (junctions joined, no signals), the register placed on
    its junctions, a second pass that sets them, a third that gives mid-block crossings their program."""
    work = out / "build"
    plain = _jeju_nodelink.write_plain(area, work)
    first = convert_plain(plain.nodes_file, plain.edges_file, work / "pass1.net.xml", cwd=work)
    net = read_net(first)
    sites = _jeju_signals.build_sites(net, area, plain.named_groups)
    to_xy, inside = geo_converters(net)
    # The whole island's address-named nodes geocode the register even when only the centre is built.
    island = area if whole_island else JejuNodeLink(None).read(data / "jeju" / "road-network").network
    plan = _jeju_signals.place_signals(
        _jeju_signals.read_register(data), _jeju_signals.build_geocoder(data, island.nodes), sites, to_xy, inside
    )
    by_id = {s.id: s for s in sites}
    chosen = [by_id[s] for s in plan.sites]
    patch = signal_patch(
        work / "signals.nod.xml",
        [(j, *net.getNode(j).getCoord(), site.id) for site in chosen for j in site.junctions],
    )
    second = patch_network(first, work / "pass2.net.xml", cwd=work, nodes=patch)
    controllers = {tls.getID(): tls for tls in read_net(second).getTrafficLights()}
    midblock = [
        (site.id, 1 + max(index for _in, _out, index in controllers[site.id].getConnections()), MIDBLOCK_PHASES)
        for site in chosen
        if site.legs == 2 and site.id in controllers
    ]
    programs = fixed_programs(work / "midblock.tll.xml", midblock) if midblock else None
    net_file = patch_network(
        second, out / "jeju.net.xml", cwd=out, programs=programs, plain_prefix=out / "plain" / "jeju"
    )
    return net_file, plan


def build_jeju(
    data: Path,
    out_dir: Path,
    *,
    whole_island: bool = False,
    seed: int = 1,
    full_day: bool = False,
    peak_vph: float | None = None,
) -> Path:
    """Build the Jeju scenario into ``out_dir`` and return its ``.sumocfg``.

    Parameters
    ----------
    data
        The shared data folder (the one holding ``jeju/``); read only.
    out_dir
        Where the scenario goes; a folder already holding a build of the same inputs and options is reused.
    whole_island
        The whole island instead of Jeju-si's centre (bounding box
        :data:`~tamna.twin.build._jeju_nodelink.JEJU_CENTRE_BBOX`).
    seed
        Seeds the demand, duarouter and SUMO; the same seed gives the same scenario.
    full_day
        Simulate 00:00–24:00 (both peaks) instead of :data:`DEFAULT_WINDOW_S`.
    peak_vph
        Cars starting in the busiest hour; by default :data:`CENTRE_PEAK_VPH`, scaled by lane-km on the island.
    """
    started = time.perf_counter()
    data = Path(data).resolve()
    refuse_inside(Path(out_dir), data)
    files = _input_files(data)
    begin_s, end_s = (0, _demand.DAY_S) if full_day else DEFAULT_WINDOW_S
    options = {
        "builder": "jeju",
        "whole_island": whole_island,
        "seed": seed,
        "window": [begin_s, end_s],
        "peak": peak_vph,
    }
    key = inputs_key(files, options)
    existing = reusable(Path(out_dir), key)
    if existing is not None:
        return existing
    out = prepare_out_dir(Path(out_dir))
    (out / "build").mkdir(exist_ok=True)

    bbox = None if whole_island else _jeju_nodelink.JEJU_CENTRE_BBOX
    area = JejuNodeLink(bbox).read(data / "jeju" / "road-network").network
    net_file, signal_plan = _network(data, area, out, whole_island=whole_island)
    net = read_net(net_file)
    detectors = out / "detectors.add.xml"
    loops = _detectors.write_detectors(net, detectors)

    stops = _jeju_bus.read_stops(data)
    bus_plan = _jeju_bus.snap_stops(net, stops)
    _jeju_bus.derive_lines(net, bus_plan, _jeju_bus.CENTRE_LINES + (_jeju_bus.ISLAND_LINES if whole_island else ()))
    bus_stops, buses = out / "busstops.add.xml", out / "buses.rou.xml"
    _jeju_bus.write_bus_files(bus_plan, bus_stops, buses, begin_s=begin_s, end_s=end_s)

    lane_km = sum(e.getLength() * e.getLaneNumber() for e in net.getEdges()) / 1000.0
    if peak_vph is None:
        scale = ISLAND_DENSITY_FACTOR * lane_km / CENTRE_LANE_KM if whole_island else 1.0
        peak_vph = CENTRE_PEAK_VPH * scale
    to_xy, inside = geo_converters(net)
    uses = _jeju_demand.land_use([s for s in stops if inside(s[2], s[3])], data, to_xy)
    demand = _jeju_demand.jeju_demand(net, {lk.id: lk for lk in area.links}, uses, external=not whole_island)
    trips = _jeju_demand.draw_trips(demand, begin_s=begin_s, end_s=end_s, peak_vph=peak_vph, seed=seed)
    _demand.write_trips(out / "build" / "trips.xml", trips)
    cars = _demand.route(net_file, out / "build" / "trips.xml", out / "cars.rou.xml", cwd=out, seed=seed)

    config = write_config(
        out / "jeju.sumocfg",
        net=net_file,
        routes=[cars, buses],
        additionals=[bus_stops, detectors],
        begin_s=begin_s,
        end_s=end_s,
        seed=seed,
    )
    timetable = export_gtfs(config, out / GTFS_FOLDER, agency_name="제주 트윈 버스 (Tamna twin)", lang="ko")
    summary: dict[str, object] = {
        "area": "whole island" if whole_island else f"Jeju-si centre {bbox}",
        "edges": len(net.getEdges()),
        "junctions": len(net.getNodes()),
        "lane_km": round(lane_km, 1),
        "signals": signal_plan.counts(),
        "traffic_lights": len(net.getTrafficLights()),
        "detectors": loops,
        "bus": bus_plan.counts(),
        "gtfs": {"routes": timetable.routes, "trips": timetable.trips, "stops": timetable.stops},
        "window_s": [begin_s, end_s],
        "peak_vph": round(peak_vph),
        "trips": len(trips),
        "cars_routed": _count_vehicles(cars),
        "build_s": round(time.perf_counter() - started, 1),
    }
    write_manifest(out, key, config, [net_file, detectors, bus_stops, buses, cars], summary)
    return config
