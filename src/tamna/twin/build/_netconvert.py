"""The netconvert calls: plain XML (the node-link) or OpenStreetMap in, a ``.net.xml`` out.

Signals are set in a separate pass on the built network (``-s net --node-files patch``): only once junctions are
joined do we know which junction a signal belongs to and how many legs it has.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from pathlib import Path

from tamna.twin.build._tools import run_tool, sumo_binary, write_xml

#: Nodes of one crossing closer than this become one junction: the node-link draws a divided road's crossing,
#: and a bridge's two abutments, as nodes 10–20 m apart; 20 m stays below the shortest real block (~30 m).
JOIN_DIST_M = 20.0
#: Options every network shares: no U-turns except at dead ends (SUMO would otherwise offer one at every
#: junction and the router uses them), and no right-before-left (Korean law has none; it gridlocks SUMO).
COMMON_OPTIONS = (
    "--no-turnarounds.except-deadend",
    "--junctions.right-before-left.speed-threshold",
    "0",
    "--tls.default-type",
    "static",
    "--output.street-names",
    "--no-warnings",
)


def convert_plain(nodes: Path, edges: Path, out: Path, *, cwd: Path) -> Path:
    """Plain XML with lon/lat nodes → a UTM-projected network that keeps the projection (lon/lat convert back)."""
    run_tool(
        [
            sumo_binary("netconvert"),
            "--node-files",
            nodes,
            "--edge-files",
            edges,
            "--proj.utm",
            "--proj.plain-geo",
            "--junctions.join",
            "--junctions.join-dist",
            str(JOIN_DIST_M),
            "--keep-edges.components",
            "1",
            *COMMON_OPTIONS,
            "--output-file",
            out,
        ],
        what="netconvert (node-link → SUMO network)",
        cwd=cwd,
    )
    return out


def signal_patch(path: Path, junctions: Iterable[tuple[str, float, float, str]]) -> Path:
    """A node file that turns junctions (id, x, y in network metres, controller id) into signals."""
    root = ET.Element("nodes")
    for junction, x, y, controller in sorted(junctions):
        ET.SubElement(root, "node", id=junction, x=f"{x:.2f}", y=f"{y:.2f}", type="traffic_light", tl=controller)
    write_xml(path, root)
    return path


def fixed_programs(path: Path, programs: Iterable[tuple[str, int, Sequence[tuple[int, str]]]]) -> Path:
    """A tlLogic file: (controller id, link count, [(seconds, one state letter for all links)])."""
    root = ET.Element("tlLogics")
    for controller, links, phases in programs:
        logic = ET.SubElement(root, "tlLogic", id=controller, type="static", programID="0", offset="0")
        for duration, letter in phases:
            ET.SubElement(logic, "phase", duration=str(duration), state=letter * links)
    write_xml(path, root)
    return path


def patch_network(
    net: Path,
    out: Path,
    *,
    cwd: Path,
    nodes: Path | None = None,
    tls_set: list[str] | None = None,
    programs: Path | None = None,
    plain_prefix: Path | None = None,
) -> Path:
    """Rebuild ``net`` with signal nodes (a node patch, or junction ids) and/or fixed programs loaded on top."""
    args: list[str | Path] = [sumo_binary("netconvert"), "--sumo-net-file", net, *COMMON_OPTIONS, "--output-file", out]
    if nodes is not None:
        args += ["--node-files", nodes]
    if tls_set:
        args += ["--tls.set", ",".join(tls_set)]
    if programs is not None:
        args += ["--tllogic-files", programs]
    if plain_prefix is not None:
        # Plain XML beside the network with lon/lat coordinates, for editing the twin in netedit or by hand.
        plain_prefix.parent.mkdir(parents=True, exist_ok=True)
        args += ["--plain-output-prefix", plain_prefix, "--proj.plain-geo"]
    run_tool(args, what="netconvert (signals)", cwd=cwd)
    return out
