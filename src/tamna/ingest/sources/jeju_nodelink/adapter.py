"""Korea's national standard node-link (국가표준노드링크) as published for Jeju: ``Jeju_links.csv`` and
``Jeju_nodes.csv`` in one folder, with measured free-flow speeds from ``../freeflow-speed/road-baseline.json``
when that file is beside it. Links are straight lines between their nodes (the extract has no shape points).

The default area is Jeju-si's centre (old city, Yeon-dong, Nohyeong-dong); ``bbox=None`` takes the whole island.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tamna.core.errors import IngestError
from tamna.domain.network import Link, Node, RoadNetwork
from tamna.domain.rejections import Rejection
from tamna.ingest.sources import NetworkRead
from tamna.ingest.sources._features import build_or_reject

#: (min lon, min lat, max lon, max lat) of Jeju-si's centre.
JEJU_CITY_BBOX = (126.470, 33.475, 126.540, 33.520)
LINKS_FILE, NODES_FILE = "Jeju_links.csv", "Jeju_nodes.csv"
FREEFLOW_FILE = Path("..") / "freeflow-speed" / "road-baseline.json"


class JejuNodeLink:
    """Road network from the Jeju node-link extract."""

    name = "jeju-nodelink"
    description = "Korean standard node-link CSV (Jeju_links.csv + Jeju_nodes.csv)"

    def __init__(self, bbox: tuple[float, float, float, float] | None = JEJU_CITY_BBOX) -> None:
        self.bbox = bbox

    def accepts(self, path: Path) -> bool:
        folder = path if path.is_dir() else path.parent
        return (folder / LINKS_FILE).is_file() and (folder / NODES_FILE).is_file()

    def _inside(self, lon: float, lat: float) -> bool:
        if self.bbox is None:
            return True
        west, south, east, north = self.bbox
        return west <= lon <= east and south <= lat <= north

    def read(self, path: Path) -> NetworkRead:
        folder = path if path.is_dir() else path.parent
        if not self.accepts(folder):
            raise IngestError(f"{folder}: needs {LINKS_FILE} and {NODES_FILE}")
        source = f"file:{LINKS_FILE}"
        rejections: list[Rejection] = []
        freeflow_path = folder / FREEFLOW_FILE
        freeflow: dict[str, float] = (
            {k: float(v) for k, v in json.loads(freeflow_path.read_text(encoding="utf-8")).items()}
            if freeflow_path.is_file()
            else {}
        )
        nodes: dict[str, Node] = {}
        with (folder / NODES_FILE).open(newline="", encoding="utf-8") as handle:
            for position, row in enumerate(csv.DictReader(handle), start=2):
                node = build_or_reject(
                    lambda: Node(
                        id=row["Id"],
                        lon=float(row["longitude"]),
                        lat=float(row["latitude"]),
                        name=row["NODE_NAME"] or None,
                        kind=row["NODE_TYPE"] or None,
                    ),
                    source=f"file:{NODES_FILE}",
                    position=position,
                    raw=row,
                    rejections=rejections,
                )
                if node and self._inside(node.lon, node.lat):
                    nodes[node.id] = node
        links: list[Link] = []
        with (folder / LINKS_FILE).open(newline="", encoding="utf-8") as handle:
            for position, row in enumerate(csv.DictReader(handle), start=2):
                start, end = nodes.get(row["Source"]), nodes.get(row["Target"])
                if start is None or end is None:
                    continue  # outside the area
                link = build_or_reject(
                    lambda: Link(
                        id=row["LINK_ID"],
                        from_node=start.id,
                        to_node=end.id,
                        geometry=[(start.lon, start.lat), (end.lon, end.lat)],
                        lanes=int(row["LANES"]),
                        length_m=float(row["LENGTH"]),
                        speed_limit_kmh=float(row["MAX_SPD"]) or None,
                        freeflow_speed_kmh=freeflow.get(row["LINK_ID"]),
                        name=row["ROAD_NAME"] if row["ROAD_NAME"] not in ("", "-") else None,
                        road_class=row["ROAD_RANK"],
                    ),
                    source=source,
                    position=position,
                    raw=row,
                    rejections=rejections,
                )
                if link:
                    links.append(link)
        used = {link.from_node for link in links} | {link.to_node for link in links}
        return NetworkRead(RoadNetwork(nodes=[n for n in nodes.values() if n.id in used], links=links), rejections)
