"""Checksummed artifact folders, the convention every trained thing in Tamna follows (forecasting models,
signal controllers): one folder per artifact, a manifest ``artifact.json`` that names its format, its creation
time, the Tamna version and a SHA-256 of every other file, so that a swapped or truncated file is refused rather
than used. Each room adds its own fields to the manifest and wraps the problems in its own error.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

MANIFEST = "artifact.json"


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def slug(text: str) -> str:
    """``text`` as a folder-name part: lower-case letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "data"


def new_folder(parent: Path, name: str, created: datetime) -> Path:
    """A folder ``<name>-<UTC stamp>`` under ``parent`` that does not exist yet (not created)."""
    base = f"{name}-{created.strftime('%Y%m%dT%H%M%SZ')}"
    folder, suffix = parent / base, 1
    while folder.exists():
        suffix += 1
        folder = parent / f"{base}-{suffix}"
    return folder


def file_digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file in ``folder`` but the manifest, by name."""
    return {p.name: sha256_file(p) for p in sorted(folder.iterdir()) if p.is_file() and p.name != MANIFEST}


def read_manifest(folder: Path, *, fmt: int) -> dict[str, Any]:
    """The manifest of ``folder``, checked: present, readable, of format ``fmt``, every listed file unchanged.
    Raises ``ValueError`` with a message naming what is wrong (the caller wraps it in its room's error)."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such artifact folder")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ValueError(f"{folder}: no {MANIFEST}; not an artifact") from err
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: unreadable ({err})") from err
    if not isinstance(manifest, dict) or manifest.get("format") != fmt:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise ValueError(f"{path}: artifact format {found!r}; this Tamna reads {fmt}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise ValueError(f"{path}: lists no files")
    for name, digest in files.items():
        file = folder / name
        if not file.is_file():
            raise ValueError(f"{folder}: {name} listed in the manifest is missing")
        if sha256_file(file) != digest:
            raise ValueError(f"{folder}: {name} changed since the artifact was written")
    return manifest
