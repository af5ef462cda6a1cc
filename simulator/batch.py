"""Several scenarios simulated as one batch of replications (for compare, sweep and lessons).

Every scenario is run with the same seed and the same replication indices, so replication r
of each scenario meets the same callers (common random numbers): per-replication differences
between scenarios are paired. All (scenario, replication) jobs share one pool of workers and
come back in order, so the results are identical for any number of workers and equal to
`run_scenario` on each scenario alone.
"""
from __future__ import annotations

from concurrent.futures import Executor
from typing import Callable, Sequence

from .parallel import ordered_map
from .run import RunResult, _replication_kpis, replication_jobs, result_from_replications
from .scenario import Scenario


def run_scenarios(scenarios: Sequence[Scenario], replications: int, seed: int, workers: int = 1,
                  on_replication_done: Callable[[int, int], None] | None = None,
                  executor: Executor | None = None, keep_records: bool = False,
                  sample_day: bool = True, first_replication: int = 0) -> list[RunResult]:
    """`run_scenario(s, replications, seed)` for each scenario, as one batch (on `executor`
    when given, else in `workers` processes); `sample_day=False`: no call records come back.
    `first_replication`: the replication indices used are first_replication, +1, ... (a block of
    days no run from index 0 ever meets, for an out-of-sample check)."""
    jobs = [job for scenario in scenarios
            for job in replication_jobs(scenario, seed, replications, keep_records, sample_day, first_replication)]
    outputs = ordered_map(_replication_kpis, jobs, workers, on_replication_done, executor)
    return [result_from_replications(scenario, seed, outputs[index * replications:(index + 1) * replications])
            for index, scenario in enumerate(scenarios)]
