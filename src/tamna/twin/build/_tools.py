"""What every builder shares: the error type, SUMO's programs, checked subprocess calls and the reuse manifest.

SUMO comes from the ``eclipse-sumo`` wheel, so its programs live inside the package (``sumo.SUMO_HOME``) and no
``SUMO_HOME`` variable is needed; the ``.venv/bin`` wrappers are not used because a test or a service may run
with another ``PATH``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from tamna.core.errors import TamnaError

#: Bumped whenever a builder's output changes for the same inputs, so stale scenario folders are rebuilt.
BUILDER_VERSION = "2"
MANIFEST = "manifest.json"
#: How much of a failing tool's stderr goes into the error message.
STDERR_TAIL_CHARS = 2000


class TwinBuildError(TamnaError):
    """A scenario could not be built: unreadable input, or a SUMO tool that failed (its stderr is in the message)."""


def sumo_home() -> Path:
    """The ``eclipse-sumo`` package folder (``bin/`` and ``tools/``), found without importing it."""
    spec = importlib.util.find_spec("sumo")
    if spec is None or spec.origin is None:
        raise TwinBuildError("the eclipse-sumo package is not installed")
    return Path(spec.origin).parent


def sumo_binary(name: str) -> Path:
    """Path of one of SUMO's programs (``netconvert``, ``duarouter``, ``sumo`` …)."""
    path = sumo_home() / "bin" / name
    if not path.is_file():
        raise TwinBuildError(f"SUMO program {name!r} not found at {path}")
    return path


def sumo_tool(relative: str) -> Path:
    """Path of one of SUMO's Python tools, e.g. ``randomTrips.py``."""
    path = sumo_home() / "tools" / relative
    if not path.is_file():
        raise TwinBuildError(f"SUMO tool {relative!r} not found at {path}")
    return path


def run_tool(args: Sequence[str | Path], *, what: str, cwd: Path, timeout_s: float = 900.0) -> str:
    """Run one SUMO program or tool; a non-zero exit becomes :class:`TwinBuildError` with the stderr's tail.

    Returns the captured stdout (the tools print their warnings on stderr, which is dropped on success).
    """
    command = [str(a) for a in args]
    if command[0].endswith(".py"):
        command.insert(0, sys.executable)
    env = dict(os.environ)
    # The tools import sumolib from SUMO_HOME/tools; point it at the wheel so an unrelated SUMO install is not used.
    env["SUMO_HOME"] = str(sumo_home())
    try:
        done = subprocess.run(  # noqa: S603 - the command is built from fixed program paths and our own files
            command, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False, env=env
        )
    except subprocess.TimeoutExpired as err:
        raise TwinBuildError(f"{what}: {Path(command[0]).name} ran longer than {timeout_s:.0f} s") from err
    except OSError as err:
        raise TwinBuildError(f"{what}: could not start {command[0]}: {err}") from err
    if done.returncode != 0:
        tail = (done.stderr or done.stdout or "").strip()[-STDERR_TAIL_CHARS:]
        raise TwinBuildError(f"{what} failed ({Path(command[0]).name} exit {done.returncode}):\n{tail}")
    return done.stdout


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inputs_key(files: Iterable[Path], options: Mapping[str, object]) -> str:
    """One hash over the input files' contents, the options and the builder version."""
    digest = hashlib.sha256(BUILDER_VERSION.encode())
    for path in sorted(files):
        digest.update(path.name.encode())
        digest.update(file_digest(path).encode())
    digest.update(json.dumps(options, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def reusable(out_dir: Path, key: str) -> Path | None:
    """The scenario's ``.sumocfg`` when ``out_dir`` already holds a complete build for ``key``."""
    manifest = out_dir / MANIFEST
    if not manifest.is_file():
        return None
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    files = data.get("files")
    config = data.get("config")
    if not isinstance(files, list) or not isinstance(config, str):
        return None
    if not all((out_dir / str(name)).is_file() for name in [*files, config]):
        return None
    return out_dir / config


def write_manifest(out_dir: Path, key: str, config: Path, files: Iterable[Path], summary: Mapping[str, object]) -> None:
    """Record what was built; written last, so an interrupted build is never mistaken for a complete one."""
    data = {
        "key": key,
        "builder_version": BUILDER_VERSION,
        "config": config.name,
        "files": sorted(p.name for p in files),
        "summary": dict(summary),
    }
    (out_dir / MANIFEST).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def read_summary(config: Path) -> dict[str, object]:
    """The figures a build recorded beside its ``.sumocfg`` (counts of signals, stops, trips, the build time)."""
    manifest = config.parent / MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise TwinBuildError(f"no readable build manifest beside {config}: {err}") from err
    summary = data.get("summary") if isinstance(data, dict) else None
    if not isinstance(summary, dict):
        raise TwinBuildError(f"{manifest} holds no summary")
    return summary


def refuse_inside(out_dir: Path, data: Path) -> None:
    """Refuse an ``out_dir`` inside the input data folder (shared and read-only; builds never write there)."""
    out_dir, data = out_dir.resolve(), data.resolve()
    if out_dir == data or data in out_dir.parents:
        raise TwinBuildError(f"out_dir {out_dir} lies inside the input data {data}; write the scenario elsewhere")


def prepare_out_dir(out_dir: Path) -> Path:
    """Create ``out_dir`` and drop a stale manifest (so a build cut short is never taken for a complete one)."""
    out_dir = out_dir.resolve()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise TwinBuildError(f"cannot create {out_dir}: {err}") from err
    (out_dir / MANIFEST).unlink(missing_ok=True)
    return out_dir


def write_xml(path: Path, root: ET.Element) -> None:
    """Write an element tree as indented UTF-8 XML (Korean names stay readable)."""
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def parse_xml(path: Path, *, what: str) -> ET.Element:
    """Parse a file written by a SUMO tool; a malformed file becomes :class:`TwinBuildError`."""
    try:
        return ET.parse(path).getroot()  # noqa: S314 - files produced by SUMO in our own out_dir
    except (OSError, ET.ParseError) as err:
        raise TwinBuildError(f"{what}: cannot read {path}: {err}") from err
