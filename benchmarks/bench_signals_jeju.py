"""Issue 5's Jeju target: Tamna's controllers on one arterial corridor of the Jeju-si twin, against the network's
fixed-time plans, beside the 22 % less delay Jeju reported for its AI retiming of Yeonbuk-ro (연북로, 112 → 88 s).

Corridor: the traffic lights that control a connection into or out of an edge named 연북로 (read from the
.net.xml with sumolib, never by id), limited to the connected stretch of 연북로 edges with the most signals.

Each seed runs the scenario from its begin (06:00) to ``--end`` (09:00) in a fresh process (libsumo keeps state
between simulations), with SUMO's routing device as the scenario sets it, teleporting after the scenario's own
240 s and the program's own yellow, a decision every 10 s:

- ``fixed``: every signal on its fixed-time program (SUMO alone, Tamna controls nothing);
- one run per controller (``best``, ``actuated``, ``max-pressure``): the corridor's signals under that controller,
  every other signal on its fixed-time program.

Corridor delay per vehicle: the vehicles that entered a corridor edge between ``--measure-from`` (07:00; the hour
before is warm-up) and the end and drove ≥ 2 corridor edges and ≥ 500 m of them. For each, Σ over its corridor
edges of (time on the edge − edge length / edge speed limit), from SUMO's vehroute output with exit times (an
edge's entry is the previous edge's exit, or the departure; a vehicle still on a corridor edge at the end counts
its time up to the end). Also reported: the same vehicles' whole-trip timeLoss (tripinfo), and network-wide
RESCO delay over every vehicle of the window, teleports and the simulation speed.

    python benchmarks/bench_signals_jeju.py --scenario /tmp/jeju-twin/jeju.sumocfg --runs 2
"""

from __future__ import annotations

import json
import math
import statistics
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import harness
from tamna.signals.evaluation import EpisodeSettings, RunResult
from tamna.signals.registry import BEST, RECOMMENDED
from tamna.twin.scenario import load_scenario
from tamna.twin.signal_episode import run_episode

ROAD = "연북로"
CONTROLLERS = (BEST, "actuated", "max-pressure")
TARGET_PCT = 22.0  # Jeju's reported reduction on Yeonbuk-ro: 112 → 88 s per vehicle
MIN_EDGES, MIN_LENGTH_M = 2, 500.0


@dataclass(frozen=True)
class Corridor:
    road: str
    signals: tuple[str, ...]
    edges: dict[str, tuple[float, float]]  # edge id → (length m, speed limit m/s)

    @property
    def km(self) -> float:
        """Length of the road (both directions counted once: half the sum over its edges)."""
        return sum(length for length, _ in self.edges.values()) / 2000.0


def find_corridor(net_file: Path, road: str) -> Corridor:
    """The signals controlling a connection into or out of an edge named ``road``, on the connected stretch of
    those edges with the most signals."""
    import sumolib

    net = sumolib.net.readNet(str(net_file), withPrograms=True)
    edges = [e for e in net.getEdges() if e.getName() == road and e.getFunction() != "internal"]
    if not edges:
        raise SystemExit(f"{net_file}: no edge named {road}")
    adjacent: dict[str, set[str]] = defaultdict(set)
    for e in edges:
        a, b = e.getFromNode().getID(), e.getToNode().getID()
        adjacent[a].add(b)
        adjacent[b].add(a)
    signals_of: dict[str, set[str]] = defaultdict(set)  # tls id → nodes of the corridor it controls
    for tls in net.getTrafficLights():
        for incoming, outgoing, _index in tls.getConnections():
            for lane in (incoming, outgoing):
                if lane.getEdge().getName() == road:
                    edge = lane.getEdge()
                    node = edge.getToNode() if lane is incoming else edge.getFromNode()
                    signals_of[tls.getID()].add(node.getID())
    best: tuple[int, set[str]] = (-1, set())
    seen: set[str] = set()
    for start in adjacent:
        if start in seen:
            continue
        stack, component = [start], set()
        while stack:
            node = stack.pop()
            if node not in component:
                component.add(node)
                stack.extend(adjacent[node])
        seen |= component
        count = sum(1 for nodes in signals_of.values() if nodes & component)
        if count > best[0]:
            best = (count, component)
    component = best[1]
    signals = tuple(sorted(t for t, nodes in signals_of.items() if nodes & component))
    stretch = {
        e.getID(): (float(e.getLength()), float(e.getSpeed())) for e in edges if e.getFromNode().getID() in component
    }
    return Corridor(road, signals, stretch)


def derived_config(config: Path, work: Path) -> Path:
    """The scenario's configuration with absolute input paths and a vehroute output with exit times."""
    root = ET.parse(config).getroot()
    base = config.resolve().parent
    for tag in ("net-file", "route-files", "additional-files"):
        for element in root.iter(tag):
            files = [f.strip() for f in element.get("value", "").split(",") if f.strip()]
            element.set("value", ",".join(str((base / f).resolve()) for f in files))
    output = root.find("output")
    if output is None:
        output = ET.SubElement(root, "output")
    for key, value in (
        ("vehroute-output", str(work / "vehroutes.xml")),
        ("vehroute-output.exit-times", "true"),
        ("vehroute-output.write-unfinished", "true"),
    ):
        ET.SubElement(output, key, value=value)
    work.mkdir(parents=True, exist_ok=True)
    path = work / "scenario.sumocfg"
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def corridor_delays(
    vehroutes: Path, tripinfo: Path, corridor: Corridor, from_s: float, end_s: float, to_s: float = math.inf
) -> dict[str, Any]:
    """Per-vehicle time loss on the corridor's edges, and whole-trip timeLoss of the same vehicles, over the
    vehicles that entered the corridor in [``from_s``, ``to_s``)."""
    losses: dict[str, float] = {}
    on_corridor: dict[str, float] = {}
    for _event, element in ET.iterparse(vehroutes, events=("end",)):
        if element.tag != "vehicle":
            continue
        routes = element.findall(".//route")  # rerouted: a routeDistribution whose last route was driven
        route = routes[-1] if routes else None
        if route is None or "exitTimes" not in route.attrib:
            element.clear()
            continue
        ids = route.get("edges", "").split()
        # an unfinished vehicle's edges not left yet have exit time -1: the first of them is its edge at the end
        exits = [t for t in (float(x) for x in route.get("exitTimes", "").split()) if t >= 0]
        entry = float(element.get("depart", "nan"))
        loss, length, count, first_entry = 0.0, 0.0, 0, None
        for i, edge in enumerate(ids):
            if i > len(exits):
                break
            leave = exits[i] if i < len(exits) else end_s  # still on this edge at the end
            if edge in corridor.edges:
                edge_length, speed = corridor.edges[edge]
                loss += (leave - entry) - edge_length / speed
                length += edge_length
                count += 1
                first_entry = entry if first_entry is None else first_entry
            entry = leave
        if count >= MIN_EDGES and length >= MIN_LENGTH_M and first_entry is not None and from_s <= first_entry < to_s:
            losses[element.get("id", "")] = loss
            on_corridor[element.get("id", "")] = length
        element.clear()
    trip_loss: list[float] = []
    for _event, element in ET.iterparse(tripinfo, events=("end",)):
        if element.tag == "tripinfo" and element.get("id") in losses:
            trip_loss.append(float(element.get("timeLoss", "0")))
        element.clear()
    values = list(losses.values())
    return {
        "vehicles": len(values),
        "corridor_delay_s": statistics.fmean(values) if values else float("nan"),
        "corridor_km_per_vehicle": statistics.fmean(on_corridor.values()) / 1000 if values else float("nan"),
        "trip_timeloss_s": statistics.fmean(trip_loss) if trip_loss else float("nan"),
    }


def one_run(config: Path, controller: str | None, work: Path, settings: EpisodeSettings) -> RunResult:
    """In a worker process (fresh: spawn)."""
    return run_episode(load_scenario(config), controller, work, settings)


def main() -> None:
    ap = harness.parser(__doc__ or "", runs=2)
    ap.add_argument("--scenario", type=Path, default=Path("/tmp/jeju-twin/jeju.sumocfg"))
    ap.add_argument("--end", type=float, default=9 * 3600.0, help="end of the simulation, scenario seconds")
    ap.add_argument("--measure-from", type=float, default=7 * 3600.0, help="vehicles entering the corridor from")
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--controllers", default=",".join(CONTROLLERS))
    ap.add_argument("--work", type=Path, default=Path("/tmp/tamna-bench-jeju"))
    ap.add_argument("--parallel", type=int, default=4, help="runs of one seed at once (fresh processes)")
    ap.add_argument(
        "--combine", type=Path, nargs="+", help="run nothing: merge the results of these signals_jeju JSON files"
    )
    args = ap.parse_args()
    scenario = load_scenario(args.scenario)
    corridor = find_corridor(scenario.net_file, ROAD)
    if args.combine:
        _combine(args, corridor, scenario.begin_s)
        return
    print(f"corridor {ROAD}: {len(corridor.signals)} signals, {corridor.km:.1f} km, {len(corridor.edges)} edges")
    variants: list[tuple[str, str | None, tuple[str, ...] | None]] = [("fixed", None, None)]
    variants += [(name, name, corridor.signals) for name in args.controllers.split(",") if name]
    seeds = list(range(args.first_seed, args.first_seed + args.runs))
    results: dict[str, list[dict[str, Any]]] = defaultdict(list)
    import multiprocessing

    for seed in seeds:
        jobs = {}
        with ProcessPoolExecutor(args.parallel, mp_context=multiprocessing.get_context("spawn")) as pool:
            for label, controller, ids in variants:
                work = args.work / f"seed{seed}" / label
                config = derived_config(scenario.config, work)
                settings = EpisodeSettings(
                    seed=seed, until_s=args.end, time_to_teleport_s=240.0, emissions=False, signal_ids=ids
                )
                jobs[label] = (work, pool.submit(one_run, config, controller, work, settings))
            for label, (work, future) in jobs.items():
                run = future.result()
                row = corridor_delays(
                    work / "vehroutes.xml", work / "tripinfo.xml", corridor, args.measure_from, run.end_s
                )
                row.update(
                    seed=seed,
                    controller=run.controller,
                    controlled=run.controlled,
                    network_delay_s=run.trips.delay_s,
                    network_vehicles=run.trips.vehicles,
                    arrived=run.trips.arrived,
                    teleports=run.teleports,
                    sim_per_wall_s=run.sim_per_wall_s,
                    wall_s=run.wall_s,
                )
                results[label].append(row)
                print(
                    f"seed {seed} {label:13s} corridor {row['corridor_delay_s']:6.1f} s ({row['vehicles']} veh), "
                    f"trip timeLoss {row['trip_timeloss_s']:6.1f} s, network {run.trips.delay_s:6.1f} s, "
                    f"teleports {run.teleports}, {run.sim_per_wall_s:.0f} sim s/wall s, controlled {run.controlled}",
                    flush=True,
                )
        # saved after every seed: a long run cut short keeps the seeds it finished
        harness.save(
            "signals_jeju",
            args,
            _figures(results, corridor),
            scenario=str(scenario.config),
            window_s=[scenario.begin_s, args.end],
            measure_from_s=args.measure_from,
            seeds=seeds[: seeds.index(seed) + 1],
            corridor={"road": ROAD, "signals": list(corridor.signals), "km": round(corridor.km, 2)},
            definition=(
                f"corridor vehicles: entered a {ROAD} edge of the stretch from measure_from_s on and drove >= "
                f"{MIN_EDGES} of its edges and >= {MIN_LENGTH_M:g} m; corridor delay: mean over them of the sum over "
                "those edges of (time on the edge - length / speed limit)"
            ),
            results=results,
        )


def _combine(args: Any, corridor: Corridor, begin_s: float) -> None:
    """One result file from several runs of this script (seeds run separately, e.g. at the same time)."""
    results: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in args.combine:
        details = json.loads(path.read_text())["details"]
        for label, rows in details["results"].items():
            results[label].extend(rows)
    seeds = sorted({r["seed"] for rows in results.values() for r in rows})
    harness.save(
        "signals_jeju",
        args,
        _figures(results, corridor),
        combined=[str(p) for p in args.combine],
        window_s=[begin_s, details["window_s"][1]],
        measure_from_s=details["measure_from_s"],
        seeds=seeds,
        corridor={"road": ROAD, "signals": list(corridor.signals), "km": round(corridor.km, 2)},
        definition=details["definition"],
        results=results,
    )


def _mean(rows: Sequence[dict[str, Any]], key: str) -> float:
    return statistics.fmean(float(r[key]) for r in rows)


def _figures(results: dict[str, list[dict[str, Any]]], corridor: Corridor) -> list[harness.Figure]:
    by_seed = {r["seed"]: r for r in results["fixed"]}
    figures = []
    for label, rows in results.items():
        if label == "fixed":
            continue
        fixed = [by_seed[r["seed"]] for r in rows]  # the same seeds, fixed-time
        cuts = [(1 - r["corridor_delay_s"] / f["corridor_delay_s"]) * 100 for r, f in zip(rows, fixed, strict=True)]
        name = f"{label} ({RECOMMENDED})" if label == BEST else label
        figures.append(
            harness.Figure(
                f"signals jeju {ROAD} corridor: delay reduction, {name} vs fixed-time",
                round(statistics.fmean(cuts), 1),
                "%",
                target=TARGET_PCT if label == BEST else None,
                better="higher",
                runs=[round(c, 1) for c in cuts],
                note=(
                    f"{_mean(fixed, 'corridor_delay_s'):.1f} → {_mean(rows, 'corridor_delay_s'):.1f} s per corridor "
                    f"vehicle, {len(corridor.signals)} signals, {corridor.km:.1f} km; network delay "
                    f"{_mean(fixed, 'network_delay_s'):.1f} → {_mean(rows, 'network_delay_s'):.1f} s; "
                    f"{len(rows)} seeds; target: Jeju's 22 % (112 → 88 s)"
                ),
            )
        )
    return figures


if __name__ == "__main__":
    main()
