"""What the twin needs from a ``.net.xml``: its projection, its road lanes, and which lanes a traffic light
controls. Read in one streaming pass; a file that is not a usable network is refused here, before libsumo (which
can crash on an empty or broken network instead of raising) is given it.
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from tamna.ingest.sources.sumo_net.adapter import ROAD_CLASSES
from tamna.twin.errors import TwinError
from tamna.twin.geo import DEFAULT_ORIGIN, Point, Projection, parse_shape


@dataclass(frozen=True)
class Lane:
    """A lane of a normal (non-internal) edge."""

    id: str
    edge: str
    index: int
    length_m: float
    shape: tuple[Point, ...]
    road: bool
    #: the lane's speed limit (SUMO's default when the network gives none)
    speed_mps: float = 13.89


@dataclass
class NetInfo:
    """The parts of a network the twin uses."""

    projection: Projection
    lanes: dict[str, Lane] = field(default_factory=dict)
    #: normal edge id → number of lanes
    edges: dict[str, int] = field(default_factory=dict)
    #: road lanes entering a signalised junction (controlled by a traffic light), in network order
    signal_lanes: list[str] = field(default_factory=list)
    #: traffic-light programs (``tlLogic``) and junctions of a traffic-light type
    signals: int = 0
    signal_junctions: int = 0


def read_net(path: Path, *, origin: Point = DEFAULT_ORIGIN) -> NetInfo:
    """Read ``path`` (``.net.xml`` or ``.net.xml.gz``); unprojected networks are placed at ``origin``."""
    reader = _Reader(path, origin)
    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as stream:
            for event, element in ET.iterparse(stream, events=("start", "end")):  # noqa: S314 - local file
                reader.feed(event, element)
    except ET.ParseError as err:
        raise TwinError(f"{path}: not a readable SUMO network: {err}") from err
    except OSError as err:
        raise TwinError(f"{path}: unreadable network: {err}") from err
    return reader.result()


class _Reader:
    """One streaming pass; elements are cleared once read so that a city-sized network stays small in memory."""

    def __init__(self, path: Path, origin: Point) -> None:
        self.path = path
        self.origin = origin
        self.info: NetInfo | None = None
        self.signal_lanes: dict[str, None] = {}
        self.root_checked = False

    def feed(self, event: str, element: ET.Element) -> None:
        if not self.root_checked:
            if element.tag != "net":
                raise TwinError(f"{self.path}: root element is <{element.tag}>, not <net>")
            self.root_checked = True
        if event != "end":
            return
        tag, info = element.tag, self.info
        if tag == "location":
            self.info = _with_location(self.path, element, self.origin)
        elif tag == "edge":
            _edge(element, info, self.path)
        elif tag == "connection" and element.get("tl") is not None:
            source = element.get("from", "")
            if not source.startswith(":"):
                self.signal_lanes[f"{source}_{element.get('fromLane', '0')}"] = None
        elif tag == "tlLogic" and info is not None:
            info.signals += 1
        elif tag == "junction" and info is not None and element.get("type", "").startswith("traffic_light"):
            info.signal_junctions += 1
        if tag in ("edge", "connection", "tlLogic", "junction"):
            element.clear()

    def result(self) -> NetInfo:
        info = self.info
        if info is None:
            raise TwinError(f"{self.path}: the network has no <location> element (was it written by netconvert?)")
        if not info.edges:
            raise TwinError(f"{self.path}: the network has no road edges")
        lanes = info.lanes
        info.signal_lanes = [lane for lane in self.signal_lanes if lane in lanes and lanes[lane].road]
        return info


def _with_location(path: Path, element: ET.Element, origin: Point) -> NetInfo:
    try:
        x, y = (float(v) for v in element.get("netOffset", "0,0").split(","))
    except ValueError:
        raise TwinError(f"{path}: <location netOffset={element.get('netOffset')!r}> is not x,y") from None
    return NetInfo(Projection.of((x, y), element.get("projParameter", "!"), origin))


def _edge(element: ET.Element, info: NetInfo | None, path: Path) -> None:
    if element.get("function") is not None:  # internal, crossing, walkingarea
        return
    if info is None:
        raise TwinError(f"{path}: <edge> before <location>; not a network written by netconvert")
    edge_id = element.get("id", "")
    lanes = element.findall("lane")
    if not lanes:
        return
    for lane in lanes:
        lane_id = lane.get("id", "")
        try:
            shape = tuple(parse_shape(lane.get("shape", "")))
            length = float(lane.get("length", "0"))
            index = int(lane.get("index", "0"))
            speed = float(lane.get("speed", "13.89"))
        except ValueError:
            raise TwinError(f"{path}: lane {lane_id!r} has an unreadable shape, length, index or speed") from None
        if not shape:
            raise TwinError(f"{path}: lane {lane_id!r} has no shape")
        info.lanes[lane_id] = Lane(lane_id, edge_id, index, length, shape, _allows_road_traffic(lane), speed)
    info.edges[edge_id] = len(lanes)


def _allows_road_traffic(lane: ET.Element) -> bool:
    # the same rule as the store's SUMO adapter, so that every detector lane belongs to a stored link
    allow, disallow = lane.get("allow"), lane.get("disallow")
    if allow is not None:
        return allow == "all" or any(vclass in allow.split() for vclass in ROAD_CLASSES)
    if disallow is not None:
        return not all(vclass in disallow.split() for vclass in ROAD_CLASSES)
    return True
