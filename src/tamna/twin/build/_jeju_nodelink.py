"""The Jeju node-link as SUMO plain XML: one ``<node>`` per node-link node (lon/lat, projected by netconvert),
one ``<edge>`` per link with the LINK_ID as its id, and ``<join>`` elements for intersections that the node-link
draws as several nodes.

The node-link reader in ``ingest`` does the parsing (and the free-flow join); this module only decides what SUMO
needs on top: priorities from road rank, which nodes form one intersection, and the edge parameters.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from tamna.domain.network import Link, Node, RoadNetwork
from tamna.twin.build._tools import TwinBuildError, write_xml

#: (west, south, east, north) of Jeju-si's centre. Wider than the ingest adapter's default (126.470–126.540,
#: 33.475–33.520): the lot-number addresses of Nohyeong-dong's urban blocks reach 126.462, Ido-2-dong's 126.550
#: and Geonip-dong's harbour front 33.519, so the narrower box cut the three districts the twin is about.
JEJU_CENTRE_BBOX = (126.455, 33.470, 126.550, 33.522)
#: Node names that mark an intersection (사거리 four-way, 오거리 five-way, 교차로 junction, 로터리 roundabout …).
INTERSECTION_NAME = re.compile(r"(교차로|사거리|삼거리|오거리|육거리|로터리|네거리)$")
#: Same-named intersection nodes closer than this are one junction in SUMO; farther ones share one controller.
NAMED_JOIN_M = 60.0
NAMED_GROUP_M = 170.0
#: ROAD_RANK of the node-link: 101 motorway … 106 provincial road, 107 city road, 108 other.
MAJOR_RANKS = frozenset({"101", "102", "103", "104", "105", "106"})
_EARTH_M_PER_DEG = 111_195.0


@dataclass(frozen=True)
class PlainNetwork:
    """The plain XML files written for netconvert and what was decided on the way."""

    nodes_file: Path
    edges_file: Path
    network: RoadNetwork
    #: Groups of nodes with one intersection name that lie too far apart to be one junction.
    named_groups: list[frozenset[str]]
    joined: int


def metres(a: Node, b: Node) -> float:
    """Distance between two nodes on a local equirectangular plane (exact enough below a few km)."""
    dx = (a.lon - b.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    return math.hypot(dx, a.lat - b.lat) * _EARTH_M_PER_DEG


def rank_weight(link: Link) -> float:
    """How much a link carries, from its lanes, its limit and its rank; the scale that priorities, signal choice
    and demand all read, so a four-lane provincial road counts several times a one-lane lane."""
    speed = link.speed_limit_kmh or 50.0
    major = 1.5 if link.road_class in MAJOR_RANKS else 1.0
    return link.lanes * (speed / 50.0) * major


def _priority(link: Link) -> int:
    # Priorities decide right of way at unsignalised junctions; equal priorities everywhere would make SUMO fall
    # back to right-before-left, which Korean traffic law does not use and which gridlocks easily.
    return max(1, min(10, round(2 * rank_weight(link))))


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)

    def groups(self) -> list[frozenset[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for item in self.parent:
            out[self.find(item)].add(item)
        return [frozenset(g) for g in out.values() if len(g) > 1]


def named_clusters(network: RoadNetwork, within_m: float) -> list[frozenset[str]]:
    """Nodes that carry the same intersection name and lie within ``within_m`` of another member."""
    by_name: dict[str, list[Node]] = defaultdict(list)
    for node in network.nodes:
        if node.name and INTERSECTION_NAME.search(node.name):
            by_name[node.name].append(node)
    union = _UnionFind()
    for members in by_name.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if metres(a, b) <= within_m:
                    union.union(a.id, b.id)
    return union.groups()


def write_plain(network: RoadNetwork, folder: Path) -> PlainNetwork:
    """Write ``jeju.nod.xml`` and ``jeju.edg.xml`` into ``folder``."""
    if not network.links:
        raise TwinBuildError("the node-link area holds no links; check the bounding box and the data folder")
    nodes_root = ET.Element("nodes")
    for node in sorted(network.nodes, key=lambda n: n.id):
        # Unsignalised by default; signals are set in a second pass once junctions are known (see signals module).
        ET.SubElement(nodes_root, "node", id=node.id, x=repr(node.lon), y=repr(node.lat), type="priority")
    joins = named_clusters(network, NAMED_JOIN_M)
    for group in sorted(joins, key=sorted):
        ET.SubElement(nodes_root, "join", nodes=" ".join(sorted(group)))
    edges_root = ET.Element("edges")
    for link in sorted(network.links, key=lambda lk: lk.id):
        attrs = {
            "id": link.id,
            "from": link.from_node,
            "to": link.to_node,
            "numLanes": str(link.lanes),
            "speed": f"{(link.speed_limit_kmh or 50.0) / 3.6:.2f}",
            "priority": str(_priority(link)),
        }
        if link.name:
            attrs["name"] = link.name
        edge = ET.SubElement(edges_root, "edge", attrs)
        params = {"road_rank": link.road_class or "", "length_nodelink_m": f"{link.length_m:.1f}"}
        if link.speed_limit_kmh:
            params["max_speed_kmh"] = f"{link.speed_limit_kmh:g}"
        if link.freeflow_speed_kmh:
            params["freeflow_speed_kmh"] = f"{link.freeflow_speed_kmh:g}"
        for key, value in params.items():
            if value:
                ET.SubElement(edge, "param", key=key, value=value)
    nodes_file, edges_file = folder / "jeju.nod.xml", folder / "jeju.edg.xml"
    write_xml(nodes_file, nodes_root)
    write_xml(edges_file, edges_root)
    joined = {n for g in joins for n in g}
    groups = [g for g in named_clusters(network, NAMED_GROUP_M) if not g <= joined]
    return PlainNetwork(nodes_file, edges_file, network, groups, len(joins))
