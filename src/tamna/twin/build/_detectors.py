"""Induction loops (E1) on every lane that enters a signalised junction, as a SUMO additional file.

One loop per approach lane, a few metres before the stop line: where a stop-bar detector sits in the field, so the
twin's counts and occupancies feed the same ingest path and the same actuated controllers a real loop would.
Ids are ``e1_<lane id>``; a lane id is ``<edge id>_<index>``, so a loop names its link (a node-link LINK_ID on the
Jeju twin) directly.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from tamna.twin.build._tools import write_xml

#: Distance of the loop from the stop line; lanes shorter than twice this get it at their middle.
SETBACK_M = 10.0
#: Aggregation period of the loops' file output: five minutes, the interval of Korean ITS detector data (the
#: runtime reads the loops live through libsumo as well; at 60 s the file grew to ~4 MB per simulated hour).
PERIOD_S = 300
OUTPUT_FILE = "e1.out.xml"


def approach_lanes(net: Any) -> list[Any]:
    """Lanes that cars use to enter a signal-controlled junction, in a stable order."""
    lanes: dict[str, Any] = {}
    for tls in net.getTrafficLights():
        for incoming, _outgoing, _index in tls.getConnections():
            if incoming.allows("passenger") or incoming.allows("bus"):
                lanes[incoming.getID()] = incoming
    return [lanes[key] for key in sorted(lanes)]


def write_detectors(net: Any, path: Path) -> int:
    """Write the loops' additional file; returns how many loops it holds."""
    root = ET.Element("additional")
    count = 0
    for lane in approach_lanes(net):
        length = float(lane.getLength())
        position = length - SETBACK_M if length > 2 * SETBACK_M else length / 2
        ET.SubElement(
            root,
            "inductionLoop",
            id=f"e1_{lane.getID()}",
            lane=lane.getID(),
            pos=f"{position:.2f}",
            period=str(PERIOD_S),
            file=OUTPUT_FILE,
        )
        count += 1
    write_xml(path, root)
    return count
