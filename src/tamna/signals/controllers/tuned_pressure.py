"""``tuned-pressure``: ``gap-pressure`` (with its spill-back guard) whose parameters were learned for the network
by a cross-entropy search over whole SUMO episodes (:mod:`tamna.signals.learning`, ``tamna signals train``). A
policy search rather than a neural policy: the three numbers it tunes (gap, switch margin, spill-back
occupancy) are what decides delay under an actuated pressure controller, a
candidate is judged on RESCO's own measure over whole episodes, and a few dozen episodes (minutes on 2 cores)
are enough, where RESCO's IDQN and IPPO train for hundreds of episodes and were unstable on cologne3.

Parameters come from, in order: the artifact given (``ControlSettings.artifact``, ``--artifact DIR``: it must
know this intersection, by id and fingerprint), else the artifacts shipped with Tamna (``signals/trained/``)
where one knows the intersection, else ``gap-pressure``'s defaults; ``ControlSettings.params`` override any of
them.
"""

from __future__ import annotations

from typing import ClassVar

from tamna.signals.artifacts import bundled_artifacts, cached_artifact
from tamna.signals.controller import ControlSettings
from tamna.signals.controllers.gap_pressure import GapPressure
from tamna.signals.errors import ArtifactError
from tamna.signals.model import Intersection

#: what the search tunes, with its bounds (see :mod:`tamna.signals.learning`)
SEARCH_SPACE: dict[str, tuple[float, float]] = {
    "gap_s": (0.2, 4.0),
    "switch_margin": (0.0, 4.0),
    "spill_occupancy_pct": (15.0, 90.0),
}


class TunedPressure(GapPressure):
    """``gap-pressure`` with parameters learned for this intersection (its subclass, not a wrapper: a decision
    is asked of every signal every second or two, and a forwarding call is a tenth of one)."""

    name: ClassVar[str] = "tuned-pressure"
    summary: ClassVar[str] = "gap-pressure with parameters learned per network in SUMO episodes (an artifact)"

    def __init__(self, intersection: Intersection, settings: ControlSettings) -> None:
        learned, self.source = self._learned(intersection, settings)
        params = {**learned, **settings.params}
        super().__init__(intersection, ControlSettings(settings.decision_step_s, params, artifact=settings.artifact))
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
        for artifact in bundled_artifacts(cls.name):
            found = artifact.params_for(intersection)
            if found is not None:
                return dict(found), str(artifact.folder.name)
        return {}, "gap-pressure defaults"
