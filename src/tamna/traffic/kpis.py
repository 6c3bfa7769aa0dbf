"""City KPIs from live link states and the network: the figures an operations center watches on its wall.

The rules live here, once, so that the API, the live stream and a report cannot disagree on what
"congested" means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field

from tamna.domain.network import RoadNetwork
from tamna.domain.observations import LinkState

#: A link runs congested below half its reference (free-flow) speed, the threshold Korean ITS centres colour red.
CONGESTED_RATIO = 0.5
#: Readings older than this (15 minutes, three detector intervals) no longer describe the road "now".
LIVE_WINDOW_S = 900


@dataclass(frozen=True, slots=True)
class LinkSize:
    """What a link weighs in network-wide figures."""

    length_m: float
    lanes: int


def link_sizes(network: RoadNetwork) -> dict[str, LinkSize]:
    """Length and lanes of every link, by id."""
    return {link.id: LinkSize(link.length_m, link.lanes) for link in network.links}


class CityKpis(BaseModel):
    """The city's headline figures at one instant."""

    time: datetime = Field(description="the platform's now when computed (the simulation clock under the twin)")
    window_s: int = Field(description="link states older than this many seconds are not counted")
    mean_speed_kmh: float | None = Field(description="mean speed of reporting links, weighted by link length")
    congested_lane_km: float = Field(description="lanes × km of links below half their free-flow speed")
    congested_links: int
    links_reporting: int = Field(description="links with a reading inside the window")
    links_total: int
    alerts_open: int
    vehicles_in_network: int | None = Field(description="vehicles the digital twin runs; null without a twin")


def city_kpis(
    states: Iterable[LinkState],
    sizes: Mapping[str, LinkSize],
    *,
    time: datetime,
    window_s: int = LIVE_WINDOW_S,
    alerts_open: int = 0,
    vehicles_in_network: int | None = None,
) -> CityKpis:
    """Aggregate link states into city KPIs.

    ``states`` should already be limited to the live window; links missing from ``sizes`` (a state for a link
    deleted since) are ignored.

    Examples
    --------
    A 1 km two-lane link at 20 km/h against 60 km/h free flow, and a 3 km link at 60 km/h:

    >>> from datetime import UTC, datetime
    >>> now = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    >>> def state(link, speed, ratio):
    ...     return LinkState(link_id=link, time=now, speed_kmh=speed, flow_vph=None, occupancy_pct=None,
    ...                      reference_speed_kmh=None, speed_ratio=ratio, sensors=1)
    >>> k = city_kpis([state("a", 20.0, 1 / 3), state("b", 60.0, 1.0)],
    ...               {"a": LinkSize(1000.0, 2), "b": LinkSize(3000.0, 1)}, time=now)
    >>> k.mean_speed_kmh, k.congested_lane_km, k.congested_links, k.links_reporting
    (50.0, 2.0, 1, 2)
    """
    weighted = length = congested_lane_km = 0.0
    congested = reporting = 0
    for state in states:
        size = sizes.get(state.link_id)
        if size is None:
            continue
        reporting += 1
        if state.speed_kmh is not None:
            weighted += state.speed_kmh * size.length_m
            length += size.length_m
        if state.speed_ratio is not None and state.speed_ratio < CONGESTED_RATIO:
            congested += 1
            congested_lane_km += size.lanes * size.length_m / 1000.0
    return CityKpis(
        time=time,
        window_s=window_s,
        mean_speed_kmh=round(weighted / length, 2) if length else None,
        congested_lane_km=round(congested_lane_km, 3),
        congested_links=congested,
        links_reporting=reporting,
        links_total=len(sizes),
        alerts_open=alerts_open,
        vehicles_in_network=vehicles_in_network,
    )
