"""The generated city: a signalised downtown grid built offline with SUMO's own tools, the twin that runs when no
real city is at hand.

An 8 × 6 grid of signalised junctions (48 traffic lights), blocks of 220 m × 180 m, two east–west and two
north–south arterials (two lanes each way, 60 km/h) through one-lane local streets (40 km/h), placed on the globe
with a transverse Mercator projection centred on :data:`~tamna.twin.geo.DEFAULT_ORIGIN`. The morning from 07:00 to
09:00: about 2,300 car trips an hour with a peak at 07:40, mostly entering and leaving at the edge of the grid
(through and commuting traffic), routed by duarouter, and four bus lines on the arterials every 10 minutes each
way, stopping every other block, with their timetable as a GTFS feed in ``gtfs/``. Stop-line loops on every
signalised approach lane.

A seed fixes the demand; the same seed gives the same files, byte for byte. A build is cached in its folder and
reused while its recipe version matches.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

from tamna.twin.build.gtfs import GTFS_FOLDER, export_gtfs
from tamna.twin.build.tools import run_tool, strip_header
from tamna.twin.detectors import stopline_loops, write_loops
from tamna.twin.errors import TwinError
from tamna.twin.geo import DEFAULT_ORIGIN
from tamna.twin.netfile import NetInfo, read_net
from tamna.twin.sumo import binary, tool

#: Bump when the recipe changes: cached builds of another version are rebuilt.
RECIPE_VERSION = 2
COLUMNS, ROWS = 8, 6
BLOCK_X_M, BLOCK_Y_M, FRINGE_M = 220.0, 180.0, 150.0
ARTERIAL_ROWS, ARTERIAL_COLUMNS = (1, 4), (2, 5)
BEGIN_S, END_S = 7 * 3600, 9 * 3600
#: Mean seconds between two car trips in each 20-minute slice from 07:00 to 09:00: a peak around 07:40 of
#: 3,000 trips an hour, about 2,300 on average. The grid carries 4,000 an hour without gridlock (mean time loss
#: about two minutes a trip), so this is busy but never jammed.
TRIP_PERIODS_S = (2.0, 1.4, 1.2, 1.4, 1.8, 2.2)
BUS_HEADWAY_S, BUS_DWELL_S, BUS_STOP_LENGTH_M = 600, 20, 20.0
DETECTOR_PERIOD_S = 60.0
BUILD_FILE = "BUILD.json"

_TYPES = """<types>
    <type id="arterial" numLanes="2" speed="16.67" priority="3"/>
    <type id="local" numLanes="1" speed="11.11" priority="1"/>
</types>
"""
_BUS_TYPE = (
    '    <vType id="bus" vClass="bus" length="12.00" maxSpeed="16.67" accel="1.2" decel="4.0" '
    'guiShape="bus" personCapacity="70"/>'
)


@dataclass(frozen=True)
class _GridPlace:
    """A node's place in the grid: column and row, -1 or the count for the fringe beyond the edge."""

    column: int
    row: int


def build_generated_city(out_dir: Path, *, seed: int = 1) -> Path:
    """Build (or reuse) the generated city in ``out_dir`` and return its ``.sumocfg``."""
    name = f"generated-{seed}"
    config = out_dir / f"{name}.sumocfg"
    if _built(out_dir, seed) and config.is_file():
        return config
    work = out_dir.parent / f".{out_dir.name}.building-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        _build(work, name, seed)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        work.rename(out_dir)  # a half-built city is never found under the real name
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return config


def _built(folder: Path, seed: int) -> bool:
    try:
        stamp = json.loads((folder / BUILD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(stamp.get("recipe") == RECIPE_VERSION and stamp.get("seed") == seed)


def _build(work: Path, name: str, seed: int) -> None:
    net_file = work / f"{name}.net.xml"
    _network(work, net_file)
    net = read_net(net_file)
    _buses(work, net)
    _cars(work, net_file, seed)
    loops = stopline_loops(net, name, period_s=DETECTOR_PERIOD_S)
    write_loops(work / "detectors.add.xml", loops, note=f"stop-line loops of {name}")
    (work / f"{name}.sumocfg").write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- {name}: Tamna's generated city, recipe {RECIPE_VERSION}, seed {seed} -->
<configuration>
    <input>
        <net-file value="{net_file.name}"/>
        <route-files value="buses.rou.xml,cars.rou.xml"/>
        <additional-files value="stops.add.xml,detectors.add.xml"/>
    </input>
    <time>
        <begin value="{BEGIN_S}"/>
        <end value="{END_S}"/>
    </time>
    <processing>
        <time-to-teleport value="300"/>
    </processing>
    <random_number>
        <seed value="{seed}"/>
    </random_number>
</configuration>
""",
        encoding="utf-8",
    )
    export_gtfs(work / f"{name}.sumocfg", work / GTFS_FOLDER, agency_name="Tamna generated city")
    stamp = {"recipe": RECIPE_VERSION, "seed": seed, "signals": net.signals, "origin": list(DEFAULT_ORIGIN)}
    (work / BUILD_FILE).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")


# ---- the network ---------------------------------------------------------------------------------------------
def _network(work: Path, net_file: Path) -> None:
    run_tool(
        [
            binary("netgenerate"),
            "--grid",
            "--grid.x-number", str(COLUMNS),
            "--grid.y-number", str(ROWS),
            "--grid.x-length", str(BLOCK_X_M),
            "--grid.y-length", str(BLOCK_Y_M),
            "--grid.attach-length", str(FRINGE_M),
            "--output-file", "grid.net.xml",
            "--plain-output-prefix", "grid",
        ],
        cwd=work,
        what="netgenerate",
    )  # fmt: skip
    nodes = ET.parse(work / "grid.nod.xml").getroot()  # noqa: S314 - written by netgenerate just now
    edges = ET.parse(work / "grid.edg.xml").getroot()  # noqa: S314
    for plain in (nodes, edges):
        for location in plain.findall("location"):  # "unprojected" would make netconvert read lon/lat as metres
            plain.remove(location)
    _place_nodes(nodes)
    _classify_edges(edges)
    ET.ElementTree(nodes).write(work / "city.nod.xml", encoding="UTF-8", xml_declaration=True)
    ET.ElementTree(edges).write(work / "city.edg.xml", encoding="UTF-8", xml_declaration=True)
    (work / "city.typ.xml").write_text(_TYPES, encoding="utf-8")
    lon0, lat0 = DEFAULT_ORIGIN
    run_tool(
        [
            binary("netconvert"),
            "--node-files", "city.nod.xml",
            "--edge-files", "city.edg.xml",
            "--type-files", "city.typ.xml",
            "--proj", f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs",
            "--offset.disable-normalization", "true",
            "--no-turnarounds", "true",
            "--tls.default-type", "static",
            "--junctions.corner-detail", "5",
            "--output-file", net_file.name,
        ],
        cwd=work,
        what="netconvert",
    )  # fmt: skip
    strip_header(net_file)
    for leftover in work.glob("grid.*"):
        leftover.unlink()
    for leftover in work.glob("city.*"):
        leftover.unlink()


def _place(node_id: str) -> _GridPlace:
    for side, column, row in (("left", -1, None), ("right", COLUMNS, None), ("bottom", None, -1), ("top", None, ROWS)):
        if node_id.startswith(side):
            index = int(node_id.removeprefix(side))
            return _GridPlace(column if column is not None else index, row if row is not None else index)
    return _GridPlace(ord(node_id[0]) - ord("A"), int(node_id[1:]))


def _place_nodes(nodes: ET.Element) -> None:
    """Centre the grid on the origin, in lon/lat (netconvert projects them back to metres), with a traffic light
    at every grid junction."""
    from pyproj import CRS, Transformer

    lon0, lat0 = DEFAULT_ORIGIN
    local = CRS.from_proj4(f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m")
    to_geo = Transformer.from_crs(local, CRS.from_epsg(4326), always_xy=True)
    xs = [float(node.get("x", "0")) for node in nodes.iter("node")]
    ys = [float(node.get("y", "0")) for node in nodes.iter("node")]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    for node in nodes.iter("node"):
        lon, lat = to_geo.transform(float(node.get("x", "0")) - cx, float(node.get("y", "0")) - cy)
        node.set("x", f"{lon:.9f}")
        node.set("y", f"{lat:.9f}")
        place = _place(node.get("id", ""))
        inside = 0 <= place.column < COLUMNS and 0 <= place.row < ROWS
        node.set("type", "traffic_light" if inside else "priority")


def _classify_edges(edges: ET.Element) -> None:
    for edge in edges.iter("edge"):
        start, end = _place(edge.get("from", "")), _place(edge.get("to", ""))
        if start.row == end.row:
            arterial = start.row in ARTERIAL_ROWS
            name = f"{'Arterial' if arterial else 'Local'} Street {start.row + 1}"
        else:
            arterial = start.column in ARTERIAL_COLUMNS
            name = f"{'Arterial' if arterial else 'Local'} Avenue {chr(ord('A') + start.column)}"
        for attribute in ("numLanes", "speed", "priority"):
            edge.attrib.pop(attribute, None)
        edge.set("type", "arterial" if arterial else "local")
        edge.set("name", name)


# ---- buses ---------------------------------------------------------------------------------------------------
def _bus_lines() -> dict[str, list[str]]:
    """Four lines along the arterials, each both ways: line id → node ids from end to end."""
    lines: dict[str, list[str]] = {}
    for number, row in enumerate(ARTERIAL_ROWS, start=1):
        east = [f"left{row}", *(f"{chr(ord('A') + c)}{row}" for c in range(COLUMNS)), f"right{row}"]
        lines[f"{number}-east"], lines[f"{number}-west"] = east, east[::-1]
    for number, column in enumerate(ARTERIAL_COLUMNS, start=len(ARTERIAL_ROWS) + 1):
        letter = chr(ord("A") + column)
        north = [f"bottom{column}", *(f"{letter}{r}" for r in range(ROWS)), f"top{column}"]
        lines[f"{number}-north"], lines[f"{number}-south"] = north, north[::-1]
    return lines


def _buses(work: Path, net: NetInfo) -> None:
    stops: dict[str, str] = {}
    routes = ['<?xml version="1.0" encoding="UTF-8"?>', "<routes>", _BUS_TYPE]
    flows = []
    for index, (line_id, nodes) in enumerate(_bus_lines().items()):
        edges = [a + b for a, b in itertools.pairwise(nodes)]
        missing = [edge for edge in edges if edge not in net.edges]
        if missing:
            raise TwinError(f"generated city: bus line {line_id} runs over missing edges {missing[:3]}")
        routes.append(f'    <route id="line{line_id}" edges="{" ".join(edges)}">')
        for edge in edges[1:-1:2]:  # every other block, none on the entry and exit roads
            lane = net.lanes[f"{edge}_0"]
            middle = lane.length_m / 2
            start, end = middle - BUS_STOP_LENGTH_M / 2, middle + BUS_STOP_LENGTH_M / 2
            stops.setdefault(
                edge,
                f'    <busStop id="stop_{edge}" lane="{lane.id}" startPos="{start:.2f}" endPos="{end:.2f}" '
                f'name={quoteattr(f"stop {edge}")} friendlyPos="true"/>',
            )
            routes.append(f'        <stop busStop="stop_{edge}" duration="{BUS_DWELL_S}"/>')
        routes.append("    </route>")
        line = line_id.split("-")[0]
        # lines leave their terminals a minute apart, so that buses do not all reach the centre together
        flows.append(
            f'    <flow id="bus{line_id}" type="bus" route="line{line_id}" line="{line}" '
            f'begin="{BEGIN_S + 60 * index}" end="{END_S}" period="{BUS_HEADWAY_S}" departLane="best"/>'
        )
    routes += [*flows, "</routes>", ""]
    (work / "buses.rou.xml").write_text("\n".join(routes), encoding="utf-8")
    stop_lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<additional>", *stops.values(), "</additional>", ""]
    (work / "stops.add.xml").write_text("\n".join(stop_lines), encoding="utf-8")


# ---- cars ----------------------------------------------------------------------------------------------------
def _cars(work: Path, net_file: Path, seed: int) -> None:
    run_tool(
        [
            *tool("randomTrips.py"),
            "--net-file", net_file.name,
            "--output-trip-file", "trips.xml",
            "--seed", str(seed),
            "--begin", str(BEGIN_S),
            "--end", str(END_S),
            "--period", *(f"{period:g}" for period in TRIP_PERIODS_S),
            "--fringe-factor", "10",
            "--min-distance", "400",
            "--max-distance", "3000",
            "--vehicle-class", "passenger",
            "--trip-attributes", 'departLane="best" departSpeed="max"',
            "--prefix", "car",
            "--no-validate",
        ],
        cwd=work,
        what="randomTrips.py",
    )  # fmt: skip
    run_tool(
        [
            binary("duarouter"),
            "--net-file", net_file.name,
            "--route-files", "trips.xml",
            "--output-file", "cars.rou.xml",
            "--seed", str(seed),
            "--remove-loops", "true",
            "--ignore-errors", "true",
            "--no-step-log", "true",
            "--no-warnings", "true",
            "--routing-threads", "1",
        ],
        cwd=work,
        what="duarouter",
    )  # fmt: skip
    strip_header(work / "cars.rou.xml")
    for leftover in (work / "trips.xml", work / "cars.rou.alt.xml"):
        leftover.unlink(missing_ok=True)
