"""cologne3's lock on SUMO 1.9.2, reduced to two vehicles on an empty network (a diagnosis, not a target figure).

Under `best` on SUMO 1.9.2, every one of seeds 2–4 locks cologne3 at about 26,525 s the same way: on
``241660955#13``, an 11 m two-lane link between the priority junctions 360084 and 360083, two vehicles stand side
by side until the episode ends, each wanting the other's lane. One (``198727_436_0`` in the route file) is
inserted on the link's right lane for a U-turn at 360083 that only the left lane offers; the other
(``173745_427_0``) comes off the side road ``41910184``, whose left turn at 360084 enters only the left lane,
and turns right at 360083, from the right lane only. Eleven metres leave neither room to change lanes, and SUMO
1.9.2 does not resolve the standoff; SUMO 1.28 does.

This script puts those two routes alone on cologne3's network, the side-road vehicle leaving first and the U-turn
vehicle ``offset`` seconds later, with cologne3's vehicle type and RESCO's teleporting off, and reports for each
SUMO program the offsets at which the two never arrive. What a signal controller can do about it is only to
change, by the traffic it lets through 360084, when the side-road vehicle gets onto the link.

    python benchmarks/repro_cologne3_lock.py --sumo /path/to/sumo-1.9.2/bin/sumo [--seeds 1,2,3]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import harness
from tamna.twin.sumo import sumo_home
from tamna.twin.sumo_traci import version_of

SIDE_ROAD_RIGHT_TURN = "41910184 241660955#13 4145589#0"
INSERTED_U_TURN = "241660955#13 -241660955#13 -41910184"
#: cologne3.rou.xml's only vehicle type
VEHICLE_TYPE = '<vType id="pkw" vClass="passenger" speedDev="0.1" length="4.3" minGap="1.5"/>'
FIRST_DEPART_S = 100.0
#: long enough for both to arrive many times over when they do not lock
END_S = 700.0


def arrivals(sumo: Path, net: Path, offset_s: float, seed: int, folder: Path) -> int:
    """How many of the two vehicles arrive when the U-turn vehicle is inserted ``offset_s`` after the other."""
    stem = folder / f"{'_'.join(map(str, version_of(sumo)))}-{seed}-{round(offset_s * 10):+d}"  # no dots
    routes = stem.with_suffix(".rou.xml")
    pair = sorted([(FIRST_DEPART_S, "side", SIDE_ROAD_RIGHT_TURN), (FIRST_DEPART_S + offset_s, "u", INSERTED_U_TURN)])
    vehicles = "".join(
        f'<vehicle id="{name}" depart="{depart:.1f}" type="pkw"><route edges="{edges}"/></vehicle>'
        for depart, name, edges in pair
    )
    routes.write_text(f"<routes>{VEHICLE_TYPE}{vehicles}</routes>", encoding="utf-8")
    tripinfo = stem.with_suffix(".tripinfo.xml")
    command = [str(sumo), "-n", str(net), "-r", str(routes), "--time-to-teleport", "-1", "--end", f"{END_S:g}"]
    command += ["--seed", str(seed), "--tripinfo-output", str(tripinfo), "--no-step-log", "--no-warnings"]
    command += ["--xml-validation", "never"]  # older SUMO fetches schemas from the web otherwise
    subprocess.run(command, capture_output=True, check=True, timeout=120)
    return len(re.findall(r"<tripinfo ", tripinfo.read_text(encoding="utf-8")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=harness.REPO.parent / "shared" / "data", help="shared data folder")
    ap.add_argument("--sumo", type=Path, action="append", default=[], help="another SUMO program (repeatable)")
    ap.add_argument("--seeds", default="1,2,3", help="SUMO seeds, comma-separated")
    ap.add_argument("--offsets", default="-10:40:0.5", help="first:last:step of the U-turn vehicle's delay, s")
    args = ap.parse_args()
    net = args.data / "sumo" / "cologne3" / "cologne3.net.xml"
    first, last, step = (float(part) for part in args.offsets.split(":"))
    offsets = [first + i * step for i in range(round((last - first) / step) + 1)]
    programs = [sumo_home() / "bin" / "sumo", *args.sumo]
    with tempfile.TemporaryDirectory(prefix="tamna-lock-") as scratch, ThreadPoolExecutor(2) as pool:
        for sumo in programs:
            version = ".".join(map(str, version_of(sumo)))
            for seed in (int(s) for s in args.seeds.split(",")):
                counts = pool.map(lambda o: arrivals(sumo, net, o, seed, Path(scratch)), offsets)  # noqa: B023
                locked = [offset for offset, count in zip(offsets, counts, strict=True) if count < 2]
                shown = ", ".join(f"{o:g}" for o in locked) or "none"
                print(f"SUMO {version}, seed {seed}: locked at offsets (s) {shown} of {len(offsets)} tried")


if __name__ == "__main__":
    main()
