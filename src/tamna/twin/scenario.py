"""Loading and checking a SUMO scenario by its ``.sumocfg``: the files it names exist and are well-formed XML,
and its time window makes sense. Everything is checked here, before libsumo sees the files, because libsumo
runs inside Tamna's process and a malformed network can crash it outright rather than raise.
"""

from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from io import BufferedReader
from pathlib import Path

from tamna.twin.errors import TwinError

#: Option names a configuration may use for the files the twin reads (long name first, then SUMO's synonyms).
_OPTIONS = {
    "net-file": ("net-file", "net"),
    "route-files": ("route-files", "routes"),
    "additional-files": ("additional-files", "additional"),
    "begin": ("begin", "b"),
    "end": ("end", "e"),
    "step-length": ("step-length",),
}
_SAFE_ID = re.compile(r"[^A-Za-z0-9_.:-]")


@dataclass(frozen=True)
class Scenario:
    """A checked scenario. Paths are absolute; times are simulated seconds (``end_s`` None: until the last
    vehicle has arrived)."""

    name: str
    config: Path
    net_file: Path
    route_files: tuple[Path, ...]
    additional_files: tuple[Path, ...]
    begin_s: float
    end_s: float | None
    step_length_s: float

    @property
    def folder(self) -> Path:
        """The folder of the ``.sumocfg`` (read-only for the twin: generated files go to a cache folder)."""
        return self.config.parent


def safe_id(text: str) -> str:
    """``text`` with every character a sensor id may not hold replaced by ``_``.

    >>> safe_id("-32038056#3_0")
    '-32038056_3_0'
    """
    return _SAFE_ID.sub("_", text)


def load_scenario(path: Path) -> Scenario:
    """Read and check the ``.sumocfg`` at ``path``; a broken or missing file raises :class:`TwinError` naming it."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise TwinError(f"scenario {path}: no such file" if not path.exists() else f"scenario {path}: not a file")
    path = path.resolve()
    try:
        root = ET.parse(path).getroot()  # noqa: S314 - a local file the operator chose; no entities expanded
    except (ET.ParseError, OSError) as err:
        raise TwinError(f"scenario {path}: not a readable SUMO configuration: {err}") from err
    if root.tag not in ("configuration", "sumoConfiguration"):
        raise TwinError(f"scenario {path}: root element is <{root.tag}>, not <configuration>")
    options = _options(root)
    net = options.get("net-file")
    if not net:
        raise TwinError(f"scenario {path}: names no net-file")
    net_file = _existing(path, "net-file", net)
    routes = tuple(_existing(path, "route-files", name) for name in _split(options.get("route-files", "")))
    additional = tuple(
        _existing(path, "additional-files", name) for name in _split(options.get("additional-files", ""))
    )
    begin = _seconds(path, "begin", options.get("begin", "0"))
    end = _seconds(path, "end", options["end"]) if options.get("end") not in (None, "", "-1") else None
    if end is not None and end <= begin:
        raise TwinError(f"scenario {path}: end {end:g} s is not after begin {begin:g} s")
    step = _seconds(path, "step-length", options.get("step-length", "1"))
    if step <= 0:
        raise TwinError(f"scenario {path}: step-length {step:g} s is not positive")
    for role, file in (
        ("net-file", net_file),
        *(("route-files", f) for f in routes),
        *(("additional-files", f) for f in additional),
    ):
        check_well_formed(file, f"{role} of scenario {path.name}")
    name = safe_id(path.name.removesuffix(".sumocfg").removesuffix(".xml")) or "scenario"
    return Scenario(name, path, net_file, routes, additional, begin, end, step)


def check_well_formed(path: Path, role: str) -> None:
    """Stream ``path`` through expat (no tree is built, so a city-sized network costs seconds, not memory)."""
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate()
    try:
        with _open(path) as stream:
            parser.ParseFile(stream)
    except xml.parsers.expat.ExpatError as err:
        raise TwinError(
            f"{path}: malformed XML ({role}) at line {err.lineno}: {xml.parsers.expat.errors.messages[err.code]}"
        ) from err
    except (OSError, EOFError) as err:
        raise TwinError(f"{path}: unreadable ({role}): {err}") from err


def _open(path: Path) -> gzip.GzipFile | BufferedReader:
    # SUMO reads gzip-compressed inputs transparently; so must the checks
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def _options(root: ET.Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for element in _elements(root):
        for canonical, names in _OPTIONS.items():
            if element.tag in names and "value" in element.attrib and canonical not in found:
                found[canonical] = element.attrib["value"].strip()
    return found


def _elements(root: ET.Element) -> Iterator[ET.Element]:
    # options sit in sections (<input>, <time>) or directly under the root; both are valid
    for child in root:
        yield child
        yield from child


def _split(value: str) -> list[str]:
    return [part for part in re.split(r"[,\s]+", value) if part]


def _existing(config: Path, role: str, name: str) -> Path:
    file = (config.parent / name).resolve()
    if not file.is_file():
        raise TwinError(f"scenario {config}: the {role} {file} does not exist")
    return file


def _seconds(config: Path, option: str, value: str) -> float:
    """SUMO times: seconds, or ``h:m:s`` / ``d:h:m:s``."""
    try:
        parts = [float(part) for part in value.split(":")]
    except ValueError:
        raise TwinError(f"scenario {config}: {option} {value!r} is not a time in seconds") from None
    if len(parts) > 4:
        raise TwinError(f"scenario {config}: {option} {value!r} is not a time in seconds")
    seconds = 0.0
    for part, unit in zip(reversed(parts), (1, 60, 3600, 86400), strict=False):
        seconds += part * unit
    return seconds
