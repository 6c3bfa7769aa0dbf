"""The ``.sumocfg`` that ties a scenario folder together (all paths relative, so the folder can move)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from tamna.twin.build._tools import write_xml

#: A vehicle stuck this long is teleported: long enough that a queue behind a red light or a bus never trips it,
#: short enough that a real deadlock (two turning streams blocking each other) clears within a signal cycle or two.
TIME_TO_TELEPORT_S = 240
#: Cars that could not enter for this long are dropped: keeps an overloaded hour from building an endless backlog.
MAX_DEPART_DELAY_S = 900
#: A share of drivers follow a navigation app and re-route around queues every few minutes (Kakao/Naver/T map
#: use is near universal in Korea); everyone on the free-flow shortest path would pile onto the same arterials.
REROUTING_PROBABILITY = 0.3
REROUTING_PERIOD_S = 180


def write_config(
    path: Path,
    *,
    net: Path,
    routes: Sequence[Path],
    additionals: Sequence[Path],
    begin_s: int,
    end_s: int,
    seed: int,
) -> Path:
    """Write the SUMO configuration; returns ``path``."""
    root = ET.Element("configuration")
    sections: dict[str, dict[str, str]] = {
        "input": {
            "net-file": net.name,
            "route-files": ",".join(p.name for p in routes),
            "additional-files": ",".join(p.name for p in additionals),
        },
        "time": {"begin": str(begin_s), "end": str(end_s), "step-length": "1"},
        "processing": {
            "time-to-teleport": str(TIME_TO_TELEPORT_S),
            "max-depart-delay": str(MAX_DEPART_DELAY_S),
            "ignore-route-errors": "true",
        },
        "routing": {
            "device.rerouting.probability": str(REROUTING_PROBABILITY),
            "device.rerouting.period": str(REROUTING_PERIOD_S),
            "device.rerouting.adaptation-steps": "18",
        },
        "random_number": {"seed": str(seed)},
        "report": {"no-step-log": "true", "no-warnings": "true", "duration-log.disable": "true"},
    }
    for section, options in sections.items():
        element = ET.SubElement(root, section)
        for key, value in options.items():
            if value:
                ET.SubElement(element, key, value=value)
    write_xml(path, root)
    return path
