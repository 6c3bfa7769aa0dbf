"""Access to SUMO: libsumo (one simulation per process, guarded here), and the binaries and tools of the
``eclipse-sumo`` wheel, found without SUMO_HOME."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType

from tamna.twin.errors import TwinConflictError, TwinError

#: Where SUMO's errors go (in the twin's cache folder): libsumo itself reports only "Process Error".
ERROR_LOG = "sumo-errors.log"

_guard = threading.Lock()
_owner: str | None = None


def libsumo() -> ModuleType:
    """The libsumo module. Its import prints a pyarrow version notice on stdout, which would corrupt a
    command's output; it is swallowed here."""
    with contextlib.redirect_stdout(io.StringIO()):
        return importlib.import_module("libsumo")


def claim(owner: str) -> None:
    """Reserve this process's one libsumo simulation for ``owner``; raises when another holds it."""
    global _owner  # noqa: PLW0603 - libsumo's state is process-wide, so is its guard
    with _guard:
        if _owner is not None:
            raise TwinConflictError(
                f"a SUMO simulation already runs in this process ({_owner}); libsumo runs one per process, "
                "so stop it first"
            )
        _owner = owner


def release(owner: str) -> None:
    """Give the reservation back (only its holder can)."""
    global _owner  # noqa: PLW0603 - see claim()
    with _guard:
        if _owner == owner:
            _owner = None


def current_owner() -> str | None:
    """Who holds the simulation now, if anyone."""
    with _guard:
        return _owner


def sumo_home() -> Path:
    """The ``eclipse-sumo`` installation (``bin/``, ``tools/``, ``data/``)."""
    # found, not imported: the wheel's package is only a folder of programs and data
    spec = importlib.util.find_spec("sumo")
    if spec is None or not spec.submodule_search_locations:
        raise TwinError("the eclipse-sumo package is not installed (pip install 'eclipse-sumo==1.28.*')")
    return Path(next(iter(spec.submodule_search_locations)))


def binary(name: str) -> Path:
    """A SUMO program (``netgenerate``, ``netconvert``, ``duarouter``, ``sumo``)."""
    path = sumo_home() / "bin" / name
    if not path.is_file():
        raise TwinError(f"SUMO program {name} not found at {path}")
    return path


def tool(relative: str) -> list[str]:
    """The command line that runs a SUMO Python tool such as ``randomTrips.py`` with this interpreter."""
    path = sumo_home() / "tools" / relative
    if not path.is_file():
        raise TwinError(f"SUMO tool {relative} not found at {path}")
    return [sys.executable, str(path)]


def tool_environment() -> dict[str, str]:
    """Environment for SUMO subprocesses: SUMO_HOME set (the tools look for it) and PROJ's database found
    (netconvert's bundled PROJ cannot find proj.db by itself)."""
    env = dict(os.environ)
    env.setdefault("SUMO_HOME", str(sumo_home()))
    try:
        from pyproj.datadir import get_data_dir

        env.setdefault("PROJ_DATA", get_data_dir())
        env.setdefault("PROJ_LIB", get_data_dir())
    except ImportError:  # pragma: no cover - pyproj is a dependency; only the warning would come back
        pass
    return env


def command_line(config: Path, additional: Sequence[Path], error_log: Path) -> list[str]:
    """How the twin starts SUMO on a scenario: its configuration, the additional files the twin loads (which
    replace the configuration's list, so they include its own), quiet, errors to ``error_log``."""
    args = ["sumo", "-c", str(config), "--error-log", str(error_log)]
    args += ["--no-step-log", "true", "--no-warnings", "true", "--duration-log.disable", "true"]
    # a closed lane can leave a vehicle's route without a connection; SUMO would end the whole run for it
    args += ["--ignore-route-errors", "true"]
    if additional:
        args += ["--additional-files", ",".join(str(path) for path in additional)]
    return args


def error_message(error_log: Path, err: BaseException) -> str:
    """SUMO's own words for a failure: the last errors in its log, else the exception."""
    try:
        lines = [line.strip() for line in error_log.read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError:
        lines = []
    errors = [line.removeprefix("Error: ") for line in lines if not line.startswith("Warning")]
    return "; ".join(errors[-3:]) or str(err) or type(err).__name__


@contextlib.contextmanager
def started(
    sumo: ModuleType, args: list[str], error_log: Path, owner: str, *, refused: Callable[[str], Exception]
) -> Iterator[ModuleType]:
    """SUMO started with ``args`` for ``owner`` (the process's one simulation reserved meanwhile), closed and the
    reservation released on leaving, whatever happens. A start SUMO refuses raises ``refused(reason)``, the
    reason read from ``error_log`` (libsumo itself says only "Process Error")."""
    claim(owner)
    try:
        try:
            sumo.start(args)
        except Exception as err:  # any failure to start is SUMO's refusal, in its log's words
            raise refused(error_message(error_log, err)) from err
        yield sumo
    finally:
        try:
            if sumo.simulation.isLoaded():
                sumo.close()  # an episode's close writes its unfinished and undeparted trips
        finally:
            release(owner)
