"""`callsim run` as a study: the scenario's day simulated over its replications and, asked
for, the over-staffed intervals (`--slack`: one agent fewer in a group still meets every
target, on the same callers). Returns data; `presentation.run_output` renders it."""
from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Callable

from simulator.run import RunResult
from simulator.scenario import Scenario


@dataclass(frozen=True)
class RunStudy:
    result: RunResult
    slack: object | None = None  # studies.optimize.SlackReport with --slack, else None


def run_study(scenario: Scenario, replications: int | None = None, seed: int | None = None, workers: int = 1,
              executor: Executor | None = None, on_replication_done: Callable[[int, int], None] | None = None,
              sample_day: bool = True, keep_records: bool = False, slack: bool = False) -> RunStudy:
    """Simulate the scenario (`simulator.run.run_scenario`: on `executor`, else in `workers`
    processes; `sample_day` keeps replication 0's records for the plots, `keep_records` every
    replication's); with `slack`, also look for a spare agent per group and interval on the
    same executor (`studies.optimize.slack_intervals`)."""
    from simulator.run import run_scenario  # looked up when called: a test replaces it

    result = run_scenario(scenario, replications=replications, seed=seed, workers=workers,
                          on_replication_done=on_replication_done, executor=executor, sample_day=sample_day,
                          keep_records=keep_records)
    if not slack:
        return RunStudy(result)
    from .optimize import slack_intervals

    return RunStudy(result, slack_intervals(scenario, result, executor=executor))


def simulated_scenarios(scenario: Scenario, slack: bool) -> list[Scenario]:
    """The days `run_study` simulates per replication, for the size check: the scenario, and
    with `slack` two more per agent group; a scenario with days: is its whole span (simulator.timeline)."""
    if scenario.days is not None:
        from simulator.timeline import timeline

        return [timeline(scenario).scenario]
    return [scenario] * (1 + 2 * len(scenario.agents) if slack else 1)
