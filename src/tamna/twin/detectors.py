"""Detectors of a scenario as Tamna sensors: induction loops (E1) and lane-area detectors (E2) read from the
scenario's additional files, or, when it has none, loops generated a few metres before the stop line of every
signalised approach lane.

Sensor ids are ``<scenario>-<detector id>`` (characters a sensor id may not hold become ``_``), the link is the
SUMO edge, and the position comes from the lane's shape through the network's projection.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from xml.sax.saxutils import quoteattr

from tamna.domain.sensors import Sensor, SensorKind
from tamna.twin.errors import TwinError
from tamna.twin.geo import point_along, shape_length
from tamna.twin.netfile import NetInfo
from tamna.twin.scenario import safe_id

log = logging.getLogger(__name__)

#: How far before the stop line a generated loop sits: clear of the junction, under the first queued car.
STOPLINE_SETBACK_M = 5.0
#: SUMO's name for "write no output file" (E1 detectors must name one).
NO_OUTPUT = "NUL"
_E1_TAGS = ("inductionLoop", "e1Detector")
_E2_TAGS = ("laneAreaDetector", "e2Detector")
_MAX_SENSOR_ID = 128


class DetectorKind(StrEnum):
    """SUMO's detector families the twin reads."""

    E1 = "e1"
    E2 = "e2"


@dataclass(frozen=True)
class Detector:
    """A SUMO detector and the Tamna sensor it reports as."""

    sumo_id: str
    kind: DetectorKind
    lane: str
    edge: str | None
    pos_m: float
    length_m: float
    #: the detector's own aggregation period; None when it aggregates over the whole run
    period_s: float | None
    sensor_id: str
    lon: float | None
    lat: float | None

    def sensor(self) -> Sensor:
        """The sensor registration of this detector."""
        what = "loop" if self.kind is DetectorKind.E1 else f"{self.length_m:g} m lane-area detector"
        return Sensor(
            id=self.sensor_id,
            kind=SensorKind.LOOP,
            link_id=self.edge,
            lon=self.lon,
            lat=self.lat,
            name=f"simulated {what} on lane {self.lane} at {self.pos_m:.1f} m",
        )


def read_detectors(files: Iterable[Path], net: NetInfo, scenario: str) -> list[Detector]:
    """The E1 and E2 detectors defined in ``files`` (a scenario's additional files)."""
    found: list[Detector] = []
    taken: set[str] = set()
    for path in files:
        try:
            for _event, element in ET.iterparse(path, events=("end",)):  # noqa: S314 - local scenario file
                kind = (
                    DetectorKind.E1 if element.tag in _E1_TAGS else DetectorKind.E2 if element.tag in _E2_TAGS else None
                )
                if kind is not None:
                    found.append(_detector(element, kind, net, scenario, taken, path))
        except ET.ParseError as err:
            raise TwinError(f"{path}: not a readable additional file: {err}") from err
    return found


def stopline_loops(net: NetInfo, scenario: str, *, period_s: float, prefix: str = "loop_") -> list[Detector]:
    """One loop per road lane entering a signalised junction, :data:`STOPLINE_SETBACK_M` before the stop line;
    SUMO ids are ``prefix`` + the lane id."""
    taken: set[str] = set()
    loops = []
    for lane_id in net.signal_lanes:
        lane = net.lanes[lane_id]
        # short lanes (a slip lane of a few metres) get their loop half-way instead
        pos = lane.length_m - STOPLINE_SETBACK_M if lane.length_m > 2 * STOPLINE_SETBACK_M else lane.length_m / 2
        sumo_id = f"{prefix}{lane_id}"
        loops.append(_made(sumo_id, DetectorKind.E1, lane_id, round(pos, 2), 0.0, period_s, net, scenario, taken))
    return loops


def write_loops(
    path: Path, loops: Sequence[Detector], *, output: str = NO_OUTPUT, note: str = "", period_attribute: str = "period"
) -> bool:
    """Write ``loops`` as an additional file (only when its content changes); returns whether it was written.
    ``period_attribute``: the aggregation period's name for the SUMO that reads it (``freq`` before SUMO 1.x's
    rename; see :mod:`tamna.twin.sumo_traci`)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    if note:
        lines.append(f"<!-- {note.replace('--', '-')} -->")
    lines.append("<additional>")
    for loop in loops:
        period = f"{loop.period_s:g}" if loop.period_s else "60"
        lines.append(
            f'    <inductionLoop id={quoteattr(loop.sumo_id)} lane={quoteattr(loop.lane)} pos="{loop.pos_m:.2f}" '
            f'{period_attribute}="{period}" file={quoteattr(output)} friendlyPos="true"/>'
        )
    lines.append("</additional>")
    text = "\n".join(lines) + "\n"
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return True


def _detector(
    element: ET.Element, kind: DetectorKind, net: NetInfo, scenario: str, taken: set[str], path: Path
) -> Detector:
    sumo_id = element.get("id", "")
    lanes = (element.get("lanes") or element.get("lane") or "").split()
    if not sumo_id or not lanes:
        raise TwinError(f"{path}: a <{element.tag}> has no id or no lane")
    lane_id = lanes[0]
    try:
        pos = float(element.get("pos", "0"))
        length = float(element.get("length", "0")) if kind is DetectorKind.E2 else 0.0
        period_text = element.get("period") or element.get("freq")
        period = float(period_text) if period_text else None
    except ValueError:
        raise TwinError(f"{path}: detector {sumo_id!r} has a pos, length or period that is not a number") from None
    lane = net.lanes.get(lane_id)
    if lane is not None and pos < 0:  # negative positions count back from the lane's end
        pos += lane.length_m
    if kind is DetectorKind.E2 and not length and element.get("endPos") and lane is not None:
        end = float(element.get("endPos", "0"))
        length = (end + lane.length_m if end < 0 else end) - pos
    if period is None or period <= 0:
        log.warning("detector %s has no aggregation period; it reports only at the end of the run", sumo_id)
        period = None
    return _made(sumo_id, kind, lane_id, pos, length, period, net, scenario, taken)


def _made(
    sumo_id: str,
    kind: DetectorKind,
    lane_id: str,
    pos: float,
    length: float,
    period: float | None,
    net: NetInfo,
    scenario: str,
    taken: set[str],
) -> Detector:
    lane = net.lanes.get(lane_id)
    lon = lat = None
    edge = None
    if lane is not None:
        edge = lane.edge if lane.road else None
        # lane lengths may differ from the drawn shape (SUMO allows it); place by the share of the length
        scale = shape_length(lane.shape) / lane.length_m if lane.length_m > 0 else 1.0
        x, y = point_along(lane.shape, (pos + length / 2) * scale)
        lon, lat = net.projection.lonlat(x, y)
    else:
        log.warning("detector %s is on lane %s, which is not a lane of a road edge; it gets no link", sumo_id, lane_id)
    return Detector(sumo_id, kind, lane_id, edge, pos, length, period, _unique(scenario, sumo_id, taken), lon, lat)


def _unique(scenario: str, sumo_id: str, taken: set[str]) -> str:
    base = safe_id(f"{scenario}-{sumo_id}")[:_MAX_SENSOR_ID]
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        suffix = f"_{n}"
        candidate = base[: _MAX_SENSOR_ID - len(suffix)] + suffix
    taken.add(candidate)
    return candidate
