"""Cost at equal service: each design optimised to the same targets on the same callers.

"What does each IVR design cost at the same service?" `equal_service(scenarios, labels, ...)`
runs `studies.optimize.optimize_staffing` on every scenario with one seed and the same
replications, so every design's search meets the same callers (common random numbers: replication
r of each design draws its callers from the same streams) and every confirmation runs on the same
fresh days (replications 1,000,000 onwards of that seed). Each design's answer is exactly what
`callsim optimize` gives it with that seed.

What is paired and what is not: a design's agent-hours and cost are one number each (the
staffing is the optimiser's answer, fixed), so their difference has no confidence interval; it
is reported as it is, with whether each design's answer holds out of sample. What varies from day
to day are the KPIs at those staffings: their day values on the confirmation replications (on the
search's own when the confirmation is off) are differenced replication by replication against the
first design (paired on the same callers) and reported with a 95% t interval.
"""
from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Callable, Sequence

from simulator.run import Estimate
from simulator.scenario import Scenario

from .optimize import DISPLAY_KPIS, OptimizeResult, optimize_staffing


@dataclass(frozen=True)
class Design:
    label: str
    result: OptimizeResult

    @property
    def agent_hours(self) -> float:
        return self.result.final.agent_hours

    @property
    def cost(self) -> float:
        return self.result.final.cost

    @property
    def judged_sample(self):
        """The KPIs the design is judged on: the confirmation replications, else the search's."""
        return self.result.judged.result


@dataclass(frozen=True)
class EqualService:
    designs: tuple[Design, ...]  # the first is the one every other is measured against
    seed: int
    replications: int
    confirm_replications: int
    # per later design: {kpi: the paired difference of the day's value (design - first) over the judged replications}
    kpi_differences: tuple[dict[str, Estimate], ...]

    @property
    def baseline(self) -> Design:
        return self.designs[0]


def equal_service(scenarios: Sequence[Scenario], labels: Sequence[str], replications: int | None = None,
                  seed: int | None = None, confirm_replications: int | None = None,
                  executor: Executor | None = None, on_start: Callable | None = None,
                  on_batch: Callable | None = None) -> EqualService:
    """Optimise every scenario to its targets on the same seed and replications (module docstring).
    The seed is `seed`, else the first scenario's, for every design."""
    seed = scenarios[0].simulation.seed if seed is None else seed
    replications = replications or scenarios[0].simulation.replications
    designs = tuple(Design(label, optimize_staffing(scenario, replications=replications, seed=seed,
                                                     confirm_replications=confirm_replications, executor=executor,
                                                     on_start=on_start, on_batch=on_batch))
                    for scenario, label in zip(scenarios, labels))
    first = designs[0].judged_sample
    differences = []
    for design in designs[1:]:
        sample = design.judged_sample
        differences.append({kpi: Estimate.of(sample.per_replication[kpi][:, -1] - first.per_replication[kpi][:, -1])
                            for kpi in DISPLAY_KPIS if kpi in sample.per_replication and kpi in first.per_replication})
    return EqualService(designs, seed, replications, designs[0].result.confirm_replications, tuple(differences))
