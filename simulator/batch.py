"""Several scenarios simulated as one batch of replications (for compare, sweep and lessons).

Every scenario is run with the same seed and the same replication indices, so replication r
of each scenario meets the same callers (common random numbers): per-replication differences
between scenarios are paired. All (scenario, replication) jobs share one pool of workers and
come back in order, so the results are identical for any number of workers and equal to
`run_scenario` on each scenario alone.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .kpis import kpi_names
from .parallel import ordered_map
from .run import RunResult, _replication_kpis
from .scenario import Scenario


def run_scenarios(scenarios: Sequence[Scenario], replications: int, seed: int, workers: int = 1,
                  on_replication_done: Callable[[int, int], None] | None = None) -> list[RunResult]:
    """`run_scenario(s, replications, seed)` for each scenario, as one batch."""
    jobs = [(scenario, seed, r) for scenario in scenarios for r in range(replications)]
    outputs = ordered_map(_replication_kpis, jobs, workers, on_replication_done)
    results = []
    for index, scenario in enumerate(scenarios):
        mine = outputs[index * replications:(index + 1) * replications]
        per_replication = {name: np.vstack([kpis[name] for kpis, _ in mine]) for name in kpi_names(scenario)}
        results.append(RunResult(scenario=scenario, seed=seed, replications=replications,
                                 per_replication=per_replication, sample_day=mine[0][1]))
    return results
