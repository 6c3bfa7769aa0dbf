"""From a signal program (the phases of a ``tlLogic``) and its controlled links to the :class:`Intersection` a
controller sees: the green phases, the lanes each serves, and the timing bounds the safety layer enforces.

Everything is read from the program, never written per scenario: the yellow is the program's longest yellow
phase, the all-red its longest all-red phase, minimum and maximum greens its ``minDur``/``maxDur`` where it gives
them; :class:`TimingRules` supplies floors and the values a program leaves open.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tamna.signals.model import GREEN, YELLOW, Intersection, Movement, Phase


@dataclass(frozen=True)
class ProgramPhase:
    """One phase of a signal program as the network defines it."""

    state: str
    duration_s: float
    #: SUMO reports minDur = maxDur = duration when a program does not give them
    min_s: float | None = None
    max_s: float | None = None

    @property
    def is_green(self) -> bool:
        """A phase that lets some traffic go and announces nothing: a candidate for a controller."""
        return any(c in GREEN for c in self.state) and not any(c in YELLOW for c in self.state)

    @property
    def is_yellow(self) -> bool:
        return any(c in YELLOW for c in self.state)

    @property
    def is_all_red(self) -> bool:
        return not any(c in GREEN or c in YELLOW for c in self.state)

    @property
    def bounds_given(self) -> bool:
        """Whether the program sets its own minimum and maximum (an actuated-style phase)."""
        return (self.min_s, self.max_s) != (self.duration_s, self.duration_s) and self.min_s is not None


@dataclass(frozen=True)
class TimingRules:
    """Floors and defaults for signal timing. ``None`` means: as the scenario's program defines it."""

    #: minimum green when the program gives none; a program's own minimum is never lowered below this floor
    min_green_s: float = 5.0
    #: maximum green when the program gives none (a longer planned green raises it to the plan)
    max_green_s: float = 60.0
    yellow_s: float | None = None
    #: no yellow shorter than this, whatever a program or an override says
    min_yellow_s: float = 2.0
    all_red_s: float | None = None
    #: pedestrian minimum: walk interval plus the crossing length at this walking speed
    pedestrian_walk_s: float = 7.0
    pedestrian_speed_ms: float = 1.2
    #: a yellow when the program has no yellow phase to read it from
    default_yellow_s: float = 3.0
    #: the longest a new green waits, in all-red, for its junction box to clear where the box can be watched
    #: (ADR 9); 0: never waits
    box_wait_max_s: float = 10.0


def is_pedestrian_lane(lane: str) -> bool:
    """Crossings and walking areas are internal lanes (``:junction_c0_0``, ``:junction_w0_0``)."""
    return lane.startswith(":")


def build_intersection(
    signal_id: str,
    program: Sequence[ProgramPhase],
    links: Sequence[Sequence[tuple[str, str]]],
    *,
    rules: TimingRules | None = None,
    crossing_lengths_m: Mapping[str, float] | None = None,
) -> Intersection | None:
    """The intersection of signal ``signal_id``; None when fewer than two green phases serve road lanes (nothing
    to choose between: such a signal keeps its own program).

    ``links[i]`` holds the (incoming lane, outgoing lane) pairs of link index ``i`` (SUMO's controlled links);
    ``crossing_lengths_m`` the length of each pedestrian crossing lane, for the pedestrian minimum green.
    """
    rules = rules or TimingRules()
    crossings = crossing_lengths_m or {}
    movements = tuple(
        Movement(index, in_lane, out_lane, is_pedestrian_lane(in_lane) or is_pedestrian_lane(out_lane))
        for index, pairs in enumerate(links)
        for in_lane, out_lane in pairs
    )
    phases: list[Phase] = []
    seen: set[str] = set()
    for source in program:
        if not source.is_green or source.state in seen:
            continue
        seen.add(source.state)
        lanes = tuple(
            dict.fromkeys(
                m.in_lane
                for m in movements
                if not m.pedestrian and m.index < len(source.state) and source.state[m.index] in GREEN
            )
        )
        if not lanes:
            continue
        pedestrian_min = max(
            (
                rules.pedestrian_walk_s + crossings.get(m.out_lane, 0.0) / rules.pedestrian_speed_ms
                for m in movements
                if m.pedestrian and m.index < len(source.state) and source.state[m.index] in GREEN
            ),
            default=0.0,
        )
        min_green, max_green = _green_bounds(source, rules)
        phases.append(
            Phase(
                index=len(phases),
                state=source.state,
                lanes=lanes,
                min_green_s=max(min_green, pedestrian_min),
                max_green_s=max(max_green, min_green, pedestrian_min),
                plan_green_s=source.duration_s,
            )
        )
    if len(phases) < 2:
        return None
    yellow = rules.yellow_s
    if yellow is None:
        yellow = max((p.duration_s for p in program if p.is_yellow), default=rules.default_yellow_s)
    all_red = rules.all_red_s
    if all_red is None:
        all_red = max((p.duration_s for p in program if p.is_all_red), default=0.0)
    return Intersection(signal_id, movements, tuple(phases), max(yellow, rules.min_yellow_s), max(all_red, 0.0))


def _green_bounds(phase: ProgramPhase, rules: TimingRules) -> tuple[float, float]:
    if phase.bounds_given:
        low = max(phase.min_s or 0.0, rules.min_green_s)
        high = phase.max_s if phase.max_s is not None and phase.max_s > 0 else rules.max_green_s
        return low, max(high, phase.duration_s)
    return rules.min_green_s, max(rules.max_green_s, phase.duration_s)
