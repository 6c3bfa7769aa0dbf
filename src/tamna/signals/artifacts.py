"""A trained controller's artifact: a versioned, checksummed folder (the convention of
:mod:`tamna.core.artifacts`, shared with the forecasting models).

``<controller>-<scenario>-<UTC stamp>/`` holds ``params.json`` (the learned parameters: a default set and, per
intersection, the set it was tuned to together with the intersection's fingerprint) and ``artifact.json``: format,
controller, the scenario it was trained on and the scenario's fingerprint (SHA-256 of its network and route files),
creation time, Tamna version, the parameters, the training record (episodes, seeds, delays, minutes) and a SHA-256
of ``params.json``. A missing, truncated or edited file is refused with :class:`ArtifactError`.

An intersection's parameters are used only where its fingerprint (its id, phases and movements, as read from the
network) matches: an artifact trained on one network never silently drives another. Where shipped artifacts of
one network were trained in several SUMO releases (``training.sumo``, major and minor version), a run takes the
one of its own release: the release alone moves every figure (cologne1 under its own plan loses 43 s per vehicle
in 1.28, 57 s in 1.9.2), and on cologne3 the parameters learned in 1.28 lock every reported seed in 1.9.2
(docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from tamna import __version__
from tamna.core.artifacts import MANIFEST, file_digests, new_folder, read_manifest, slug
from tamna.core.timeutil import ensure_utc, utcnow
from tamna.signals.errors import ArtifactError
from tamna.signals.model import Intersection

FORMAT = 1
PARAMS = "params.json"
#: artifacts shipped with Tamna (a few KB of parameters each), used by ``best`` where their intersections match
BUNDLED = Path(__file__).parent / "trained"


def intersection_fingerprint(intersection: Intersection) -> str:
    """A short hash of what a controller's parameters depend on: the id, the phases and the movements."""
    text = json.dumps(
        [
            intersection.id,
            [p.state for p in intersection.phases],
            [(m.index, m.in_lane, m.out_lane) for m in intersection.movements],
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def scenario_fingerprint(files: list[Path]) -> str:
    """SHA-256 over the scenario's network and route files, in order."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class ControllerArtifact:
    """A loaded artifact: the parameters by intersection and the manifest."""

    folder: Path
    default: Mapping[str, float]
    #: intersection id → (its fingerprint, its parameters)
    intersections: Mapping[str, tuple[str, Mapping[str, float]]]
    manifest: Mapping[str, Any]

    @property
    def controller(self) -> str:
        return str(self.manifest["controller"])

    @property
    def created(self) -> datetime:
        return ensure_utc(datetime.fromisoformat(str(self.manifest["created"])))

    @property
    def trained_in(self) -> str:
        """The SUMO version it was trained in ("1.28.0"); the installed one where the manifest does not say."""
        return str(self.manifest.get("training", {}).get("sumo") or installed_sumo_version())

    def params_for(self, intersection: Intersection) -> Mapping[str, float] | None:
        """The parameters learned for ``intersection``; None when the artifact does not know it (another
        network, or a changed program)."""
        found = self.intersections.get(intersection.id)
        if found is None or found[0] != intersection_fingerprint(intersection):
            return None
        return found[1]


def write_artifact(
    parent: Path,
    *,
    controller: str,
    scenario: str,
    fingerprint: str,
    intersections: list[Intersection],
    params: Mapping[str, float],
    training: Mapping[str, Any],
    per_intersection: Mapping[str, Mapping[str, float]] | None = None,
    now: datetime | None = None,
) -> Path:
    """Write an artifact under ``parent``; returns its folder. Every intersection gets ``params`` unless
    ``per_intersection`` names its own."""
    created = ensure_utc(now or utcnow())
    folder = new_folder(parent, f"{controller}-{slug(scenario)}", created)
    folder.mkdir(parents=True)
    own = per_intersection or {}
    document = {
        "default": dict(params),
        "intersections": {
            i.id: {"fingerprint": intersection_fingerprint(i), "params": dict(own.get(i.id, params))}
            for i in intersections
        },
    }
    (folder / PARAMS).write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    manifest = {
        "format": FORMAT,
        "controller": controller,
        "scenario": scenario,
        "fingerprint": fingerprint,
        "created": created.isoformat(),
        "tamna_version": __version__,
        "params": dict(params),
        "training": dict(training),
        "files": file_digests(folder),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder


def load_artifact(folder: Path, *, controller: str | None = None) -> ControllerArtifact:
    """Load and check the artifact in ``folder`` (made for ``controller`` when given)."""
    folder = Path(folder).expanduser()
    try:
        manifest = read_manifest(folder, fmt=FORMAT)
        document = json.loads((folder / PARAMS).read_text(encoding="utf-8"))
        default = _numbers(document["default"])
        intersections = {
            str(key): (str(value["fingerprint"]), _numbers(value["params"]))
            for key, value in document["intersections"].items()
        }
    except ValueError as err:
        raise ArtifactError(str(err)) from err
    except (OSError, KeyError, TypeError, AttributeError) as err:
        raise ArtifactError(f"{folder}: not a signal controller artifact ({err!r})") from err
    if controller is not None and manifest.get("controller") != controller:
        raise ArtifactError(f"{folder}: trained for controller {manifest.get('controller')!r}, not {controller!r}")
    return ControllerArtifact(folder, default, intersections, manifest)


@cache
def cached_artifact(folder: Path, controller: str) -> ControllerArtifact:
    """:func:`load_artifact`, once per folder and process (every intersection of a run reads the same one)."""
    return load_artifact(folder, controller=controller)


@cache
def bundled_artifacts(controller: str, sumo_version: str | None = None) -> tuple[ControllerArtifact, ...]:
    """The artifacts shipped with Tamna for ``controller``, those trained in the SUMO release ``sumo_version``
    ("1.9.2"; None: the installed one) first, then those trained in the installed release, then the rest: a
    network trained in the run's release takes those parameters, one trained only in another release takes its."""
    if not BUNDLED.is_dir():
        return ()
    installed = release(installed_sumo_version())
    wanted = release(sumo_version) if sumo_version is not None else installed
    found = []
    for manifest in sorted(BUNDLED.glob(f"*/{MANIFEST}")):
        artifact = load_artifact(manifest.parent)
        if artifact.controller == controller:
            found.append(artifact)
    # sorted() keeps the folders' order within each group
    return tuple(sorted(found, key=lambda a: (release(a.trained_in) != wanted, release(a.trained_in) != installed)))


@cache
def installed_sumo_version() -> str:
    """The version of the SUMO installed with Tamna (the ``eclipse-sumo`` package: "1.28.0")."""
    try:
        return importlib.metadata.version("eclipse-sumo")
    except importlib.metadata.PackageNotFoundError as err:
        raise ArtifactError("the eclipse-sumo package is not installed (pip install 'eclipse-sumo==1.28.*')") from err


def release(version: str) -> tuple[int, ...]:
    """A SUMO version's release: its major and minor numbers ("1.9.2" → (1, 9))."""
    try:
        return tuple(int(part) for part in version.split(".")[:2])
    except ValueError as err:
        raise ArtifactError(f"{version!r} is not a SUMO version (write it as 1.28.0)") from err


def _numbers(data: Mapping[str, Any]) -> dict[str, float]:
    return {str(k): float(v) for k, v in data.items()}
