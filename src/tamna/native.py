"""Signal control's hot path compiled to C with mypyc, used only while it matches its sources.

Signal control runs inside every simulated second of SUMO, and on grid4x4 the interpreted controllers added
23–26 % to SUMO's own step time against a target of 20 % (docs/benchmarks.md). The same modules compiled by
mypyc make the same decisions with less Python running between two SUMO steps. They are an optional build:

- ``python -m tamna.native_build`` (run by ``make setup``) compiles :data:`HOT_PATH` into extension modules
  beside the sources, and writes a manifest with each source's hash. Without a C compiler or mypyc it says why
  and builds nothing; Tamna then runs its pure-Python modules, which stay the reference.
- On import (:func:`install`, called by ``tamna/__init__.py``), the compiled modules are used only if the
  manifest matches every source byte for byte and this interpreter; otherwise an import finder loads every one
  of them from its source, and a warning says so. It is all or nothing: compiled code checks the classes it
  receives against its own compiled classes, so a compiled ``control`` beside an interpreted ``model`` fails.
- ``TAMNA_NATIVE=0`` runs the pure-Python modules whatever is built (the tests compare the two).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

log = logging.getLogger(__name__)

#: the modules compiled: what runs every simulated second under a controller (the controllers, the safety
#: layer's timers, the control loop and the SUMO readings) and what they build on
HOT_PATH: tuple[str, ...] = (
    "tamna.signals.model",
    "tamna.signals.controller",
    "tamna.signals.safety",
    "tamna.signals.control",
    "tamna.signals.controllers.guard",
    "tamna.signals.controllers.demand",
    "tamna.signals.controllers.max_pressure",
    "tamna.signals.controllers.gap_pressure",
    "tamna.signals.controllers.tuned_pressure",
    "tamna.signals.controllers.actuated",
    "tamna.signals.controllers.fixed_time",
    "tamna.signals.controllers.webster",
    "tamna.twin.signal_control",
    "tamna.twin.junction_box",
)
#: mypyc's shared library of the group (all modules in one, so calls between them are C calls)
GROUP = "tamna._native"
#: the environment variable that turns the compiled modules off ("0")
SWITCH = "TAMNA_NATIVE"

#: the folder holding the ``tamna`` package (``src``)
SOURCE_ROOT = Path(__file__).resolve().parent.parent


def manifest_of(root: Path) -> Path:
    """Where the build under ``root`` records what it was built from."""
    return root / "tamna" / "_native.json"


def source_of(module: str, root: Path = SOURCE_ROOT) -> Path:
    """The source file of ``module`` under ``root``."""
    return root.joinpath(*module.split(".")).with_suffix(".py")


def digest(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(root: Path = SOURCE_ROOT, modules: Sequence[str] = HOT_PATH) -> dict[str, object]:
    """What a build must match to be used: this interpreter and every source's hash."""
    return {
        "cache_tag": sys.implementation.cache_tag,
        "sources": {module: digest(source_of(module, root)) for module in modules},
    }


def stale_reason(root: Path = SOURCE_ROOT, modules: Sequence[str] = HOT_PATH) -> str | None:
    """Why the compiled build under ``root`` cannot be used (None: it can). No manifest means no build."""
    manifest = manifest_of(root)
    try:
        built = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "not built"
    except (OSError, ValueError) as err:
        return f"{manifest.name} unreadable ({err})"
    now = fingerprint(root, modules)
    built = built if isinstance(built, dict) else {}
    if built.get("cache_tag") != now["cache_tag"]:
        return f"built for {built.get('cache_tag')}, this interpreter is {now['cache_tag']}"
    sources, current = built.get("sources"), now["sources"]
    assert isinstance(current, dict)
    sources = sources if isinstance(sources, dict) else {}
    changed = sorted(m for m in current if sources.get(m) != current[m])
    return f"edited since the build: {', '.join(changed)}" if changed else None


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Loads the hot-path modules from their ``.py`` files, passing over the extension modules beside them
    (which Python's own finder would otherwise prefer)."""

    def __init__(self, root: Path, modules: Sequence[str]) -> None:
        self._sources = {module: source_of(module, root) for module in modules}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        source = self._sources.get(fullname)
        if source is None:
            return None
        return importlib.util.spec_from_file_location(fullname, source)


_state: dict[str, str | None] = {}


def install() -> None:
    """Decide, once per process, whether the compiled hot path is used; if not, make sure no compiled module
    of it can load."""
    if "reason" in _state:
        return
    reason = "turned off (TAMNA_NATIVE=0)" if os.environ.get(SWITCH) == "0" else stale_reason()
    _state["reason"] = reason
    if reason is None:
        return
    if reason != "not built" and os.environ.get(SWITCH) != "0":
        log.warning("compiled signal modules not used, %s: running the pure-Python ones (make setup rebuilds)", reason)
    sys.meta_path.insert(0, _SourceFirst(SOURCE_ROOT, HOT_PATH))


def active() -> bool:
    """Whether the compiled hot path is in use in this process (for reports: a benchmark says which ran)."""
    install()
    return _state["reason"] is None


def status() -> str:
    """One line for reports: compiled or interpreted, and why."""
    install()
    reason = _state["reason"]
    return "compiled (mypyc)" if reason is None else f"interpreted ({reason})"
