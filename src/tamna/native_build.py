"""Builds and removes the compiled signal hot path (:mod:`tamna.native`): ``python -m tamna.native_build`` (what
``make setup`` runs; a no-op while the build matches its sources) or ``python -m tamna.native_build clean``.

Needs mypyc (with mypy, in the ``dev`` extra) and a C compiler; without them it says so and builds nothing, and
Tamna runs its pure-Python modules.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import io
import json
import os
import sys
import tempfile
from pathlib import Path

from tamna.native import GROUP, HOT_PATH, SOURCE_ROOT, fingerprint, manifest_of, source_of, stale_reason

_SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def libraries(root: Path = SOURCE_ROOT) -> list[Path]:
    """The extension modules a build puts under ``root``: one per module, and the group's shared library."""
    return [source_of(m, root).with_suffix(_SUFFIX) for m in HOT_PATH] + [
        source_of(GROUP, root).with_name(source_of(GROUP, root).stem + "__mypyc" + _SUFFIX)
    ]


def build(root: Path = SOURCE_ROOT) -> int:
    """Compile :data:`HOT_PATH` beside its sources and write the manifest; 0 when built or already up to date,
    1 when it could not be built (the pure-Python modules then run; the message says why)."""
    if stale_reason(root) is None and all(p.exists() for p in libraries(root)):
        _say("the compiled hot path is up to date")
        return 0
    try:
        from mypyc.build import mypycify
        from setuptools import Distribution
    except ImportError as err:
        _say(f"not compiled, {err} (pip install -e '.[dev]' brings mypyc); the pure-Python modules run")
        return 1
    manifest_of(root).unlink(missing_ok=True)  # no build is used while one is half written
    with tempfile.TemporaryDirectory(prefix="tamna-native-") as work:
        out = Path(work)
        cwd, notes = Path.cwd(), io.StringIO()
        os.chdir(root)  # mypyc names each module by its path from here
        try:
            paths = [str(source_of(m, root).relative_to(root)) for m in HOT_PATH]
            with contextlib.redirect_stdout(notes):  # mypyc's notes ("treating generator comprehension as list")
                extensions = mypycify(paths, opt_level="3", group_name=GROUP, target_dir=str(out / "c"))
            dist = Distribution({"name": "tamna-native", "ext_modules": extensions})
            command = dist.get_command_obj("build_ext")
            command.build_lib = str(out / "lib")
            command.build_temp = str(out / "tmp")
            dist.run_command("build_ext")
        # distutils reports a compiler error as SystemExit; whatever fails, the pure-Python modules still run
        except (Exception, SystemExit) as err:  # noqa: BLE001
            errors = "".join(line + "\n" for line in notes.getvalue().splitlines() if "error:" in line)
            _say(f"not compiled, the build failed ({err}); the pure-Python modules run\n{errors}")
            return 1
        finally:
            os.chdir(cwd)
        for target in libraries(root):
            built = out / "lib" / target.relative_to(root)
            staged = target.with_name(target.name + ".new")
            staged.write_bytes(built.read_bytes())
            # a new file, not the old one overwritten: a process running the old library keeps its own copy
            staged.replace(target)
    manifest_of(root).write_text(json.dumps(fingerprint(root), indent=1) + "\n", encoding="utf-8")
    _say(f"compiled {len(HOT_PATH)} modules")
    return 0


def clean(root: Path = SOURCE_ROOT) -> int:
    """Remove the compiled modules and their manifest."""
    manifest_of(root).unlink(missing_ok=True)
    removed = [p for p in libraries(root) if p.exists()]
    for library in removed:
        library.unlink()
    _say(f"removed {len(removed)} libraries")
    return 0


def _say(line: str) -> None:
    sys.stderr.write(f"tamna.native_build: {line}\n")


def main(argv: list[str]) -> int:
    action = argv[0] if argv else "build"
    if action not in {"build", "clean"}:
        _say(f"usage: python -m tamna.native_build [build|clean], not {action!r}")
        return 2
    return build() if action == "build" else clean()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
