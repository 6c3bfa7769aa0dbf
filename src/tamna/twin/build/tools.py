"""Running SUMO's programs and tools for the builders, and making their output reproducible."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tamna.twin.errors import TwinError
from tamna.twin.sumo import tool_environment

#: The comment SUMO's programs put at the top of every file: a timestamp and the options, which differ between
#: two otherwise identical builds.
_HEADER = re.compile(rb"\A(<\?xml[^>]*\?>\s*)<!-- generated on .*?-->\s*", re.DOTALL)


def run_tool(command: Sequence[str | Path], *, cwd: Path, what: str, timeout_s: float = 900.0) -> str:
    """Run a SUMO program; a failure raises :class:`TwinError` with the end of its error output."""
    try:
        done = subprocess.run(  # noqa: S603 - SUMO's own programs with arguments built here, no shell
            [str(part) for part in command],
            cwd=cwd,
            env=tool_environment(),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise TwinError(f"{what} could not run: {err}") from err
    if done.returncode != 0:
        tail = "; ".join(line.strip() for line in (done.stderr or done.stdout).splitlines()[-4:] if line.strip())
        raise TwinError(f"{what} failed (exit {done.returncode}): {tail}")
    return done.stdout


def strip_header(path: Path) -> None:
    """Remove SUMO's "generated on …" comment so that the same inputs give the same bytes."""
    data = path.read_bytes()
    stripped = _HEADER.sub(rb"\1", data, count=1)
    if stripped != data:
        path.write_bytes(stripped)
