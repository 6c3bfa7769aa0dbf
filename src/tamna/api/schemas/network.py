"""GeoJSON rendering of the road network and its live state."""

from __future__ import annotations

from typing import Any

from tamna.domain.network import Node, RoadNetwork


def network_geojson(network: RoadNetwork) -> dict[str, Any]:
    """Links as LineString features (properties carry lanes, speeds, names); nodes are left out."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": link.id,
                "geometry": {"type": "LineString", "coordinates": [list(p) for p in link.geometry]},
                "properties": {
                    "id": link.id,
                    "from_node": link.from_node,
                    "to_node": link.to_node,
                    "lanes": link.lanes,
                    "length_m": round(link.length_m, 1),
                    "speed_limit_kmh": link.speed_limit_kmh,
                    "freeflow_speed_kmh": link.freeflow_speed_kmh,
                    "name": link.name,
                    "road_class": link.road_class,
                },
            }
            for link in network.links
        ],
    }


def nodes_geojson(nodes: list[Node], kind: str | None = None) -> dict[str, Any]:
    """Nodes (only those of ``kind`` when given, e.g. ``traffic_light``) as Point features."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": node.id,
                "geometry": {"type": "Point", "coordinates": [node.lon, node.lat]},
                "properties": {"id": node.id, "name": node.name, "kind": node.kind},
            }
            for node in nodes
            if kind is None or node.kind == kind
        ],
    }
