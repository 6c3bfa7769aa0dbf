"""A twin of any city from an OpenStreetMap extract: the way a city without a national node-link starts.

netconvert reads the extract keeping the roads cars and buses use (``--keep-edges.by-vclass``), guesses what OSM
rarely maps completely (signals from the signal nodes around a junction, motorway ramps, sidewalks), joins the
nodes of one crossing and drops geometry-only nodes. Where OSM maps no signal, crossings of the main roads get one
by road rank (:func:`infer_signals`). Names are kept on the edges. Bus stops and lines come from
OSM's public-transport tagging when the extract has them (``--ptstop-output``/``--ptline-output``, then SUMO's
``ptlines2flows.py``), and no buses otherwise. The car demand is random (``randomTrips.py``, seeded), weighted
by lanes and speed, with more trips at the fringe, at the hourly profile of
:data:`~tamna.twin.build._demand.HOURLY_SHARE`, routed with duarouter.

Output, in ``out_dir``: ``osm.net.xml``, ``detectors.add.xml`` (a loop on each signalised approach lane),
``ptstops.add.xml`` and ``buses.rou.xml`` when OSM has buses, ``cars.rou.xml``, ``osm.sumocfg`` and
``manifest.json``.
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path
from typing import Any

from tamna.twin.build import _demand, _detectors
from tamna.twin.build._netconvert import COMMON_OPTIONS, patch_network
from tamna.twin.build._netinfo import read_net
from tamna.twin.build._scenario import write_config
from tamna.twin.build._tools import (
    TwinBuildError,
    inputs_key,
    parse_xml,
    prepare_out_dir,
    read_summary,
    reusable,
    run_tool,
    sumo_binary,
    sumo_tool,
    write_manifest,
)

__all__ = ["DEFAULT_WINDOW_S", "TwinBuildError", "build_from_osm", "read_summary"]

#: 06:00–10:00, as for Jeju: an off-peak hour, then the morning peak.
DEFAULT_WINDOW_S = (6 * 3600, 10 * 3600)
#: Cars starting in the busiest hour per lane-km of car lanes. Measured on the Jeju centre, where the node-link
#: holds only the main roads; OSM extracts hold every residential street, whose lane-km carry far less.
PEAK_VPH_PER_LANE_KM = 12.0
#: Road rank by OSM highway type, for the signals inferred where OSM maps none (see :func:`infer_signals`).
MAJOR_RANK = {
    "highway.motorway": 4,
    "highway.trunk": 3,
    "highway.primary": 3,
    "highway.secondary": 2,
    "highway.tertiary": 1,
}
BUS_HEADWAY_S = 600
_SNIFF_BYTES = 4096


def _check_osm(osm: Path) -> None:
    """Refuse what is not an OSM XML file before netconvert does so with a less helpful message."""
    if not osm.is_file():
        raise TwinBuildError(f"OSM extract {osm} does not exist")
    try:
        opener = gzip.open if osm.suffix == ".gz" else open
        with opener(osm, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as err:
        raise TwinBuildError(f"cannot read OSM extract {osm}: {err}") from err
    if b"<osm" not in head:
        raise TwinBuildError(f"{osm} is not an OpenStreetMap XML extract (no <osm> element at its start)")


def _netconvert(osm: Path, out: Path) -> tuple[Path, Path, Path]:
    net, stops, lines = out / "build" / "pass1.net.xml", out / "ptstops.add.xml", out / "build" / "ptlines.xml"
    run_tool(
        [
            sumo_binary("netconvert"),
            "--osm-files",
            osm,
            "--output-file",
            net,
            "--keep-edges.by-vclass",
            "passenger,bus",
            "--remove-edges.isolated",
            "--keep-edges.components",
            "1",
            "--geometry.remove",
            "--ramps.guess",
            "--sidewalks.guess",
            "--junctions.join",
            "--tls.guess-signals",
            "--tls.join",
            *COMMON_OPTIONS,
            "--osm.stop-output.length",
            "20",
            "--ptstop-output",
            stops,
            "--ptline-output",
            lines,
        ],
        what="netconvert (OpenStreetMap → SUMO network)",
        cwd=out,
    )
    if not net.is_file():
        raise TwinBuildError(f"netconvert wrote no network for {osm}")
    return net, stops, lines


def infer_signals(net: Any) -> list[str]:
    """Unsignalised junctions where a primary or secondary road meets two more legs of tertiary rank or above.

    OSM maps signals unevenly (the Dongjak extract has one signal node for a 2 × 3 km district of Seoul, where
    every arterial crossing has lights). netconvert's ``--tls.guess`` thresholds on summed incoming speeds, which
    either adds none or signalises residential corners too (399 in Jeju's centre); road rank is what decides where
    a Korean crossing gets lights, so that is the rule, kept to crossings of the main roads.
    """
    chosen = []
    for node in net.getNodes():
        if node.getType() in ("traffic_light", "traffic_light_unregulated", "dead_end", "internal", "rail_crossing"):
            continue
        legs: dict[str, int] = {}
        for edge in node.getIncoming():
            other = edge.getFromNode().getID()
            legs[other] = max(legs.get(other, 0), MAJOR_RANK.get(edge.getType(), 0))
        for edge in node.getOutgoing():
            other = edge.getToNode().getID()
            legs[other] = max(legs.get(other, 0), MAJOR_RANK.get(edge.getType(), 0))
        legs.pop(node.getID(), None)
        ranks = sorted(legs.values(), reverse=True)
        if len(ranks) >= 3 and ranks[0] >= 2 and ranks[2] >= 1:
            chosen.append(node.getID())
    return sorted(chosen)


def _count(path: Path, tag: str) -> int:
    if not path.is_file():
        return 0
    return sum(1 for _ in parse_xml(path, what="counting").iter(tag))


def _bus_flows(net: Path, stops: Path, lines: Path, out: Path, *, begin_s: int, end_s: int, seed: int) -> Path | None:
    """Bus flows for the OSM lines that have stops, or ``None`` when the extract has none."""
    if _count(stops, "busStop") == 0 or _count(lines, "ptLine") == 0:
        return None
    buses = out / "buses.rou.xml"
    run_tool(
        [
            sumo_tool("ptlines2flows.py"),
            "--net-file",
            net,
            "--ptstops-file",
            stops,
            "--ptlines-file",
            lines,
            "--output-file",
            buses,
            "--trips-file",
            out / "build" / "pttrips.xml",
            "--routes-file",
            out / "build" / "ptroutes.xml",
            "--period",
            str(BUS_HEADWAY_S),
            "--begin",
            str(begin_s),
            "--end",
            str(end_s),
            "--types",
            "bus",
            "--min-stops",
            "2",
            "--seed",
            str(seed),
            "--ignore-errors",
        ],
        what="ptlines2flows.py (bus lines from OSM)",
        cwd=out / "build",
    )
    return buses if _count(buses, "flow") else None


def build_from_osm(
    osm: Path,
    out_dir: Path,
    *,
    seed: int = 1,
    full_day: bool = False,
    peak_vph: float | None = None,
) -> Path:
    """Build a scenario from an OpenStreetMap extract into ``out_dir`` and return its ``.sumocfg``.

    Parameters
    ----------
    osm
        An OSM XML extract (``.osm`` or ``.osm.gz``), e.g. from Overpass or osmium; read only.
    out_dir
        Where the scenario goes; a folder already holding a build of the same extract and options is reused.
    seed
        Seeds randomTrips, duarouter and SUMO.
    full_day
        Simulate 00:00–24:00 instead of :data:`DEFAULT_WINDOW_S`.
    peak_vph
        Cars starting in the busiest hour; by default :data:`PEAK_VPH_PER_LANE_KM` × the car lane-km.
    """
    started = time.perf_counter()
    osm = Path(osm).resolve()
    _check_osm(osm)
    begin_s, end_s = (0, _demand.DAY_S) if full_day else DEFAULT_WINDOW_S
    options = {"builder": "osm", "seed": seed, "window": [begin_s, end_s], "peak": peak_vph}
    key = inputs_key([osm], options)
    existing = reusable(Path(out_dir), key)
    if existing is not None:
        return existing
    if Path(out_dir).resolve() == osm.parent:
        raise TwinBuildError(f"out_dir {osm.parent} is the extract's own folder; give the scenario a folder of its own")
    out = prepare_out_dir(Path(out_dir))
    (out / "build").mkdir(exist_ok=True)

    first, stops, lines = _netconvert(osm, out)
    inferred = infer_signals(read_net(first))
    net_file = out / "osm.net.xml"
    if inferred:
        patch_network(first, net_file, cwd=out, tls_set=inferred)
    else:
        first.replace(net_file)
    net = read_net(net_file)
    car_edges = [e for e in net.getEdges() if e.allows("passenger")]
    if not car_edges:
        raise TwinBuildError(f"{osm} holds no roads that cars may use")
    lane_km = sum(e.getLength() * sum(1 for ln in e.getLanes() if ln.allows("passenger")) for e in car_edges) / 1000
    detectors = out / "detectors.add.xml"
    loops = _detectors.write_detectors(net, detectors)

    buses = _bus_flows(net_file, stops, lines, out, begin_s=begin_s, end_s=end_s, seed=seed)
    if peak_vph is None:
        peak_vph = max(60.0, PEAK_VPH_PER_LANE_KM * lane_km)
    trips = _demand.random_trips(
        net_file,
        out / "build" / "trips.xml",
        cwd=out / "build",
        begin_s=begin_s,
        end_s=end_s,
        peak_vph=peak_vph,
        seed=seed,
    )
    cars = _demand.route(net_file, trips, out / "cars.rou.xml", cwd=out, seed=seed)

    has_stops = _count(stops, "busStop") > 0
    additionals = [detectors] + ([stops] if has_stops else [])
    routes = [cars] + ([buses] if buses else [])
    config = write_config(
        out / "osm.sumocfg",
        net=net_file,
        routes=routes,
        additionals=additionals,
        begin_s=begin_s,
        end_s=end_s,
        seed=seed,
    )
    summary: dict[str, object] = {
        "source": osm.name,
        "edges": len(net.getEdges()),
        "junctions": len(net.getNodes()),
        "car_lane_km": round(lane_km, 1),
        "traffic_lights": len(net.getTrafficLights()),
        "signals_inferred": len(inferred),
        "detectors": loops,
        "bus_stops": _count(stops, "busStop"),
        "bus_lines": _count(buses, "flow") if buses else 0,
        "window_s": [begin_s, end_s],
        "peak_vph": round(peak_vph),
        "cars_routed": _count(cars, "vehicle"),
        "build_s": round(time.perf_counter() - started, 1),
    }
    write_manifest(out, key, config, [net_file, detectors, cars, *additionals[1:], *routes[1:]], summary)
    return config
