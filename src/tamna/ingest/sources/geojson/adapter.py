"""GeoJSON: LineString features are directed links, Point features are nodes (network) or sensors.

Link properties: ``id`` (or the feature id), ``from_node``/``to_node`` (derived from the end points when
absent), ``lanes`` (default 1), ``length_m`` (default: measured along the line), ``speed_limit_kmh``,
``freeflow_speed_kmh``, ``name``, ``road_class``. Sensor properties: ``id``, ``kind``, ``link_id``, ``name``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from tamna.core.errors import IngestError
from tamna.domain.network import Link, Node, RoadNetwork
from tamna.domain.rejections import Rejection
from tamna.domain.sensors import Sensor
from tamna.ingest.geo import line_length_m
from tamna.ingest.sources import NetworkRead, SensorRead
from tamna.ingest.sources._features import build_or_reject

MAX_GEOJSON_BYTES = 512 << 20


def _features(path: Path) -> list[dict[str, Any]]:
    try:
        too_big = path.stat().st_size > MAX_GEOJSON_BYTES
        content = b"" if too_big else path.read_bytes()
    except OSError as err:  # missing, a folder, unreadable: the caller's mistake, said plainly
        raise IngestError(f"{path.name}: cannot be read: {err.strerror or err}") from err
    if too_big:
        raise IngestError(f"{path.name}: larger than {MAX_GEOJSON_BYTES >> 20} MiB")
    try:
        document = orjson.loads(content)
    except orjson.JSONDecodeError as err:
        raise IngestError(f"{path.name}: not valid JSON: {err}") from err
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise IngestError(f"{path.name}: not a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise IngestError(f"{path.name}: 'features' is not a list")
    return features


def _node_id(point: list[float]) -> str:
    return f"pt:{point[0]:.6f},{point[1]:.6f}"


def _line(feature: dict[str, Any]) -> list[tuple[float, float]]:
    geometry = feature.get("geometry") or {}
    coordinates = geometry.get("coordinates")
    if geometry.get("type") == "MultiLineString" and isinstance(coordinates, list) and len(coordinates) == 1:
        coordinates = coordinates[0]
    if not isinstance(coordinates, list):
        raise TypeError("geometry has no coordinates")
    return [(float(p[0]), float(p[1])) for p in coordinates]


class GeoJsonNetwork:
    """Road network from a GeoJSON FeatureCollection."""

    name = "geojson"
    description = "GeoJSON FeatureCollection: LineString links, Point nodes"

    def accepts(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() in (".geojson", ".json")

    def read(self, path: Path) -> NetworkRead:
        source = f"file:{path.name}"
        rejections: list[Rejection] = []
        nodes: dict[str, Node] = {}
        links: list[Link] = []
        for position, feature in enumerate(_features(path)):
            if not isinstance(feature, dict):
                rejections.extend(_not_a_feature(source, position, feature))
                continue
            kind = (feature.get("geometry") or {}).get("type")
            props = feature.get("properties") or {}
            if kind == "Point":
                node = build_or_reject(
                    lambda: Node(
                        id=str(props.get("id", feature.get("id"))),
                        lon=feature["geometry"]["coordinates"][0],
                        lat=feature["geometry"]["coordinates"][1],
                        name=props.get("name"),
                        kind=props.get("kind"),
                    ),
                    source=source,
                    position=position,
                    raw=feature,
                    rejections=rejections,
                )
                if node:
                    nodes[node.id] = node
            elif kind in ("LineString", "MultiLineString"):
                link = build_or_reject(
                    lambda: _link(feature, props),
                    source=source,
                    position=position,
                    raw=feature,
                    rejections=rejections,
                )
                if link:
                    links.append(link)
            else:
                rejections.extend(_not_a_feature(source, position, feature, f"geometry type {kind!r} is not used"))
        for link in links:  # ends without a Point feature become nodes at the line's ends
            for node_id, point in ((link.from_node, link.geometry[0]), (link.to_node, link.geometry[-1])):
                nodes.setdefault(node_id, Node(id=node_id, lon=point[0], lat=point[1]))
        return NetworkRead(RoadNetwork(nodes=list(nodes.values()), links=links), rejections)


def _link(feature: dict[str, Any], props: dict[str, Any]) -> Link:
    line = _line(feature)
    link_id = props.get("id", feature.get("id"))
    if link_id is None:
        raise ValueError("link has no id (properties.id or feature id)")
    return Link(
        id=str(link_id),
        from_node=str(props.get("from_node") or _node_id(list(line[0]))),
        to_node=str(props.get("to_node") or _node_id(list(line[-1]))),
        geometry=line,
        lanes=props.get("lanes", 1),
        length_m=props.get("length_m") or line_length_m(line) or 0.0,
        speed_limit_kmh=props.get("speed_limit_kmh"),
        freeflow_speed_kmh=props.get("freeflow_speed_kmh"),
        name=props.get("name"),
        road_class=None if props.get("road_class") is None else str(props["road_class"]),
    )


def _not_a_feature(source: str, position: int, raw: object, reason: str = "not a GeoJSON feature") -> list[Rejection]:
    from tamna.core.timeutil import utcnow

    return [
        Rejection(
            source=source,
            received_at=utcnow(),
            field="geometry",
            reason=reason,
            record=str(raw)[:4000],
            position=position,
        )
    ]


class GeoJsonSensors:
    """Sensors from GeoJSON Point features."""

    name = "geojson-sensors"
    description = "GeoJSON FeatureCollection of Point sensors (properties id, kind, link_id, name)"

    def accepts(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() in (".geojson", ".json")

    def read(self, path: Path) -> SensorRead:
        source = f"file:{path.name}"
        rejections: list[Rejection] = []
        sensors: list[Sensor] = []
        for position, feature in enumerate(_features(path)):
            props = (feature.get("properties") or {}) if isinstance(feature, dict) else {}
            sensor = build_or_reject(
                lambda: Sensor(
                    id=str(props.get("id", feature.get("id"))),
                    kind=props.get("kind", "loop"),
                    link_id=props.get("link_id"),
                    lon=feature["geometry"]["coordinates"][0],
                    lat=feature["geometry"]["coordinates"][1],
                    name=props.get("name"),
                ),
                source=source,
                position=position,
                raw=feature,
                rejections=rejections,
            )
            if sensor:
                sensors.append(sensor)
        return SensorRead(sensors, rejections)
