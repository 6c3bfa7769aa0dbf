"""SUMO ``.net.xml``: normal edges become links, junctions become nodes, projected back to WGS84.

A network built from OSM or with ``--proj`` carries its projection in ``<location projParameter=…>``; an
unprojected one (netgenerate, hand-made grids) is placed with its origin at ``origin`` (lon, lat).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from tamna.core.errors import IngestError
from tamna.core.timeutil import utcnow
from tamna.domain.network import Link, Node, RoadNetwork
from tamna.domain.rejections import Rejection
from tamna.ingest.geo import local_to_lonlat
from tamna.ingest.sources import NetworkRead
from tamna.ingest.sources._features import build_or_reject

ROAD_CLASSES = ("passenger", "bus", "truck", "delivery", "emergency")
Project = Callable[[float, float], tuple[float, float]]


def _allows_road_traffic(lane: ET.Element) -> bool:
    allow, disallow = lane.get("allow"), lane.get("disallow")
    if allow is not None:
        return allow == "all" or any(vclass in allow.split() for vclass in ROAD_CLASSES)
    if disallow is not None:
        return not all(vclass in disallow.split() for vclass in ROAD_CLASSES)
    return True


def _projection(location: ET.Element | None, origin: tuple[float, float] | None) -> Project:
    if location is None:
        raise IngestError("the .net.xml has no <location> element")
    offset_x, offset_y = (float(v) for v in location.get("netOffset", "0,0").split(","))
    proj = location.get("projParameter", "!")
    if proj == "!":
        if origin is None:
            raise IngestError(
                "this network has no geographic projection (projParameter '!'); give an origin (lon, lat) "
                "to place it, e.g. --origin 126.53,33.50"
            )
        return lambda x, y: local_to_lonlat(x - offset_x, y - offset_y, origin)
    from pyproj import CRS, Transformer

    try:
        transformer = Transformer.from_crs(CRS.from_proj4(proj), CRS.from_epsg(4326), always_xy=True)
    except Exception as err:  # pyproj raises its own CRSError subclasses
        raise IngestError(f"unusable projection {proj!r}: {err}") from err

    def project(x: float, y: float) -> tuple[float, float]:
        lon, lat = transformer.transform(x - offset_x, y - offset_y)
        return float(lon), float(lat)

    return project


def _shape(text: str, project: Project) -> list[tuple[float, float]]:
    points = []
    for pair in text.split():
        x, y = pair.split(",")[:2]
        points.append(project(float(x), float(y)))
    return points


class SumoNetwork:
    """Road network from a SUMO network file."""

    name = "sumo-net"
    description = "SUMO .net.xml (projected or placed at an origin)"

    def __init__(self, origin: tuple[float, float] | None = None) -> None:
        self.origin = origin

    def accepts(self, path: Path) -> bool:
        return path.is_file() and path.name.endswith((".net.xml", ".net.xml.gz"))

    def read(self, path: Path) -> NetworkRead:
        source = f"file:{path.name}"
        try:
            root = ET.parse(path).getroot()  # noqa: S314 - local files the operator chose; no entities expanded
        except (ET.ParseError, OSError) as err:
            raise IngestError(f"{path.name}: not a readable SUMO network: {err}") from err
        if root.tag != "net":
            raise IngestError(f"{path.name}: root element is <{root.tag}>, not <net>")
        project = _projection(root.find("location"), self.origin)
        rejections: list[Rejection] = []
        junctions: dict[str, Node] = {}
        positions: dict[str, tuple[float, float]] = {}
        for junction in root.iter("junction"):
            if junction.get("type") == "internal":
                continue
            junction_id = junction.get("id", "")
            point = project(float(junction.get("x", "0")), float(junction.get("y", "0")))
            positions[junction_id] = point
            node = build_or_reject(
                lambda: Node(id=junction_id, lon=point[0], lat=point[1], kind=junction.get("type")),
                source=source,
                position=0,
                raw=ET.tostring(junction, encoding="unicode")[:500],
                rejections=rejections,
            )
            if node:
                junctions[node.id] = node
        links: list[Link] = []
        for position, edge in enumerate(root.iter("edge")):
            if edge.get("function") is not None:  # internal, crossing, walkingarea
                continue
            lanes = [lane for lane in edge.findall("lane") if _allows_road_traffic(lane)]
            if not lanes:
                continue
            link = build_or_reject(
                lambda: self._link(edge, lanes, positions, project),
                source=source,
                position=position,
                raw=ET.tostring(edge, encoding="unicode")[:2000],
                rejections=rejections,
            )
            if link:
                links.append(link)
        if not links and not rejections:
            rejections.append(
                Rejection(source=source, received_at=utcnow(), field="edge", reason="the network has no road edges")
            )
        return NetworkRead(RoadNetwork(nodes=list(junctions.values()), links=links), rejections)

    @staticmethod
    def _link(
        edge: ET.Element, lanes: list[ET.Element], positions: dict[str, tuple[float, float]], project: Project
    ) -> Link:
        start, end = edge.get("from", ""), edge.get("to", "")
        if edge.get("shape"):
            geometry = _shape(edge.get("shape", ""), project)
        elif start in positions and end in positions:
            geometry = [positions[start], positions[end]]
        else:
            geometry = _shape(lanes[len(lanes) // 2].get("shape", ""), project)
        speed_ms = max(float(lane.get("speed", "0")) for lane in lanes)
        return Link(
            id=edge.get("id", ""),
            from_node=start,
            to_node=end,
            geometry=geometry,
            lanes=len(lanes),
            length_m=float(lanes[0].get("length", "0")),
            speed_limit_kmh=round(speed_ms * 3.6, 2) or None,
            name=edge.get("name"),
            road_class=edge.get("type"),
        )
