"""The road network: nodes and directed links with straight or curved LineString geometry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: (longitude, latitude) in WGS84 degrees, GeoJSON's order.
LonLat = tuple[float, float]


def _check_lonlat(point: LonLat) -> LonLat:
    lon, lat = point
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(f"coordinate ({lon}, {lat}) is outside WGS84 longitude/latitude bounds")
    return point


class Node(BaseModel):
    """A junction or the end of a road."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=128)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    name: str | None = None
    kind: str | None = Field(default=None, description="source-specific junction type, e.g. 'traffic_light'")


class Link(BaseModel):
    """A directed road segment from one node to another; a two-way street is two links."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=128)
    from_node: str
    to_node: str
    geometry: list[LonLat] = Field(min_length=2, description="LineString, (lon, lat) pairs")
    lanes: int = Field(ge=1, le=16)
    length_m: float = Field(gt=0)
    speed_limit_kmh: float | None = Field(default=None, gt=0, le=200)
    freeflow_speed_kmh: float | None = Field(default=None, gt=0, le=250)
    name: str | None = None
    road_class: str | None = None

    @field_validator("geometry")
    @classmethod
    def _points_in_bounds(cls, value: list[LonLat]) -> list[LonLat]:
        return [_check_lonlat(point) for point in value]

    @property
    def reference_speed_kmh(self) -> float | None:
        """Speed that counts as uncongested: measured free flow when known, else the limit."""
        return self.freeflow_speed_kmh or self.speed_limit_kmh


class RoadNetwork(BaseModel):
    """Nodes and links as one consistent graph (every link's ends are nodes of the network)."""

    nodes: list[Node]
    links: list[Link]

    def dangling_links(self) -> list[str]:
        """Ids of links whose start or end node is missing."""
        node_ids = {node.id for node in self.nodes}
        return [link.id for link in self.links if link.from_node not in node_ids or link.to_node not in node_ids]
