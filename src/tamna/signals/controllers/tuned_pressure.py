"""``tuned-pressure``: ``gap-pressure`` (with its spill-back guard) counting each phase's demand with the
vehicles still approaching (:data:`STARTING_POINT`), its parameters learned for the network by a cross-entropy
search over whole SUMO episodes (:mod:`tamna.signals.learning`, ``tamna signals train``). A policy search rather
than a neural policy: the numbers it tunes (:data:`SEARCH_SPACE`: gap, switch margin, spill-back occupancy, the
weight of an approaching vehicle, how long a resting green waits before it is looked at again) are what decides
delay under an actuated controller, a candidate is judged on RESCO's own measure over whole episodes on several
seeds, and a few hundred episodes (minutes on 2 cores) are enough, where RESCO's IDQN and IPPO train for
hundreds of episodes and were unstable on cologne3.

Parameters come from, in order: the artifact given (``ControlSettings.artifact``, ``--artifact DIR``: it must
know this intersection, by id and fingerprint), else the artifacts shipped with Tamna (``signals/trained/``)
where one knows the intersection (one trained in the run's SUMO release first, then the installed release's),
else :data:`STARTING_POINT`; ``ControlSettings.params`` override any of them.
"""

from __future__ import annotations

from typing import ClassVar

from tamna.signals.artifacts import bundled_artifacts, cached_artifact
from tamna.signals.controller import ControlSettings
from tamna.signals.controllers.gap_pressure import GapPressure
from tamna.signals.errors import ArtifactError
from tamna.signals.model import Intersection

#: where a network without trained parameters stands, and where the search starts: approaching vehicles counted
#: at a fifth of a standing one, the outgoing lanes left to the spill-back guard, a resting green looked at
#: again after 3 s, or 8 s when nobody is on the lanes only another phase serves (seeds 2–4 on SUMO 1.28
#: against gap-pressure's defaults: grid4x4 37.8 → 28.1 s, cologne1 17.4 → 16.6, cologne8 19.0 → 18.3,
#: arterial4x4 602 → 591; docs/benchmarks.md)
STARTING_POINT: dict[str, float] = {
    "gap_s": 2.0,
    "switch_margin": 0.0,
    "spill_occupancy_pct": 50.0,
    "approach_weight": 0.2,
    "downstream_weight": 0.0,
    "rest_s": 3.0,
    "quiet_rest_s": 8.0,
}

#: what the search tunes, with its bounds (see :mod:`tamna.signals.learning`). The rests stay at 3 s and 6 s or
#: more: a resting green asked more often costs more time than the simulation can spare (the controllers may add
#: at most a fifth to it), and shorter rests measured no lower delay (docs/benchmarks.md)
SEARCH_SPACE: dict[str, tuple[float, float]] = {
    "gap_s": (0.2, 4.0),
    "switch_margin": (0.0, 4.0),
    "spill_occupancy_pct": (15.0, 90.0),
    "approach_weight": (0.0, 0.6),
    "rest_s": (3.0, 6.0),
    "quiet_rest_s": (6.0, 12.0),
}


class TunedPressure(GapPressure):
    """``gap-pressure`` with parameters learned for this intersection (its subclass, not a wrapper: a decision
    is asked of every signal every second or two, and a forwarding call is a tenth of one)."""

    name: ClassVar[str] = "tuned-pressure"
    summary: ClassVar[str] = "gap-pressure with parameters learned per network in SUMO episodes (an artifact)"

    def __init__(self, intersection: Intersection, settings: ControlSettings) -> None:
        learned, self.source = self._learned(intersection, settings)
        params = {**STARTING_POINT, **learned, **settings.params}
        super().__init__(
            intersection,
            ControlSettings(
                settings.decision_step_s, params, artifact=settings.artifact, sumo_version=settings.sumo_version
            ),
        )
        self.params = params

    @classmethod
    def _learned(cls, intersection: Intersection, settings: ControlSettings) -> tuple[dict[str, float], str]:
        if settings.artifact is not None:
            artifact = cached_artifact(settings.artifact, cls.name)
            found = artifact.params_for(intersection)
            if found is None:
                raise ArtifactError(
                    f"{settings.artifact}: trained on {artifact.manifest.get('scenario')!r}, it has no parameters "
                    f"for signal {intersection.id} as this network defines it"
                )
            return dict(found), str(settings.artifact)
        for artifact in bundled_artifacts(cls.name, settings.sumo_version):
            found = artifact.params_for(intersection)
            if found is not None:
                return dict(found), str(artifact.folder.name)
        return {}, "starting point"
