"""Learning a controller's parameters: the cross-entropy method (Rubinstein 1999), a policy search over whole
episodes. Pure logic: the caller gives ``evaluate`` (parameters → a cost, here RESCO's average delay over SUMO
episodes) and a time budget; the search starts from the controller's defaults, so it never returns anything it
measured worse than them.

Each generation draws candidates from a normal distribution per parameter (clipped to its bounds), keeps the
elite, and moves the distribution towards it (smoothed, so that one lucky episode does not collapse it). A
generation's candidates are drawn before any is evaluated, so ``workers`` > 1 evaluates them side by side (each
episode is its own process) and finds what one worker would, only sooner.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

Params = dict[str, float]


@dataclass(frozen=True)
class Trial:
    """One evaluated candidate."""

    generation: int
    params: Params
    cost: float
    seconds: float


@dataclass
class SearchResult:
    """The best parameters found and every trial on the way."""

    best: Params
    best_cost: float
    start_cost: float
    trials: list[Trial] = field(default_factory=list)
    seconds: float = 0.0


def cross_entropy_search(
    evaluate: Callable[[Params], float],
    space: Mapping[str, tuple[float, float]],
    start: Mapping[str, float],
    *,
    budget_s: float,
    population: int = 6,
    elite: int = 3,
    smoothing: float = 0.6,
    seed: int = 0,
    clock: Callable[[], float] = time.monotonic,
    report: Callable[[Trial], None] | None = None,
    workers: int = 1,
) -> SearchResult:
    """Minimise ``evaluate`` over ``space`` within ``budget_s`` seconds (a round of ``workers`` trials is begun
    only while the budget still holds one more of the average length). ``start`` is evaluated first and is the
    answer unless a candidate beats it. ``evaluate`` must be safe to call from ``workers`` threads at once."""
    rng = random.Random(seed)  # noqa: S311 - a search, not a secret
    began = clock()
    names = list(space)
    mean = {n: min(max(float(start[n]), space[n][0]), space[n][1]) for n in names}
    sd = {n: (space[n][1] - space[n][0]) / 4.0 for n in names}
    workers = max(1, workers)

    def run(generation: int, params: Params) -> Trial:
        t0 = clock()
        cost = evaluate(params)
        trial = Trial(generation, dict(params), cost if math.isfinite(cost) else math.inf, clock() - t0)
        if report is not None:
            report(trial)
        return trial

    first = run(0, dict(mean))
    result = SearchResult(dict(mean), first.cost, first.cost, [first])
    generation = 0
    with ThreadPoolExecutor(workers) as pool:
        while True:
            generation += 1
            batch: list[Trial] = []
            while len(batch) < population:
                average = sum(t.seconds for t in result.trials) / len(result.trials)
                if clock() - began + average > budget_s:
                    break
                size = min(workers, population - len(batch))
                candidates = [
                    {n: round(min(max(rng.gauss(mean[n], sd[n]), space[n][0]), space[n][1]), 2) for n in names}
                    for _ in range(size)
                ]
                for trial in pool.map(lambda c, g=generation: run(g, c), candidates):
                    batch.append(trial)
                    result.trials.append(trial)
                    if trial.cost < result.best_cost:
                        result.best, result.best_cost = dict(trial.params), trial.cost
            if len(batch) < population:
                break
            elites = sorted([*batch, Trial(generation, result.best, result.best_cost, 0.0)], key=lambda t: t.cost)
            chosen = elites[:elite]
            for n in names:
                values = [t.params[n] for t in chosen]
                centre = sum(values) / len(values)
                spread = math.sqrt(sum((v - centre) ** 2 for v in values) / len(values))
                floor = (space[n][1] - space[n][0]) / 12.0
                mean[n] = smoothing * centre + (1 - smoothing) * mean[n]
                sd[n] = max(smoothing * spread + (1 - smoothing) * sd[n], floor)
    result.seconds = clock() - began
    return result
