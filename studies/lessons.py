"""Three canned demonstrations for trainers, each a plot and a short explanation in plain words.

* `cliff`: the occupancy-wait cliff. One queue, exponential times, nobody hangs up (M/M/N):
  the same calls answered by 20 down to 13 agents. Waits stay short until occupancy passes
  about 85%, then each agent removed multiplies them. Simulated points beside Erlang C.
* `pooling`: two queues with their own teams of 6 against one shared team of 12, on the same
  callers and the same total staff. The shared team answers faster: an agent free in one
  team can never help the other team's queue.
* `variability`: the same average handle time (5 minutes) with different spread (fixed,
  exponential, lognormal with cv 2). Waits grow with the variance of handle times, roughly as
  (1 + cv²)/2 (the Allen-Cunneen approximation), although the AHT is the same.

Every explanation is written from the numbers just measured, never canned
(`presentation.lessons_output` writes them and draws the plots from what these studies
return). Scenarios are defined here in code (each with a description) and kept small, so a
lesson takes seconds.
"""
from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Callable

from planner.erlang import QueueMetrics, erlang_c_metrics
from simulator.loading import scenario_from_dict
from simulator.scenario import Scenario

from .compare import Comparison, compare_scenarios
from .sweep import Sweep, run_sweep

LESSONS = ("cliff", "pooling", "variability")
SEED = 20261123


def _single_queue(name: str, description: str, calls_per_hour: float, agents: int, talk: dict,
                  hours: int = 8, patience: dict | None = None) -> Scenario:
    queue = {"name": "calls", "talk_time": talk}
    if patience:
        queue["patience"] = patience
    return scenario_from_dict({
        "schema_version": 1, "name": name, "description": description, "interval_minutes": 60, "start": "08:00",
        "arrivals": {"calls": [calls_per_hour] * hours},
        "queues": [queue],
        "agents": [{"name": "team", "serves": ["calls"], "staffing": [agents] * hours}],
        "targets": {"service_level": {"fraction": 0.8, "within": 20}, "asa": 30},
        "simulation": {"seed": SEED},
    }, source=f"lesson '{name}'")


def cliff_scenario() -> Scenario:
    return _single_queue(
        "Lesson: the occupancy-wait cliff",
        "M/M/N: 180 calls an hour, exponential talk time of 4 minutes (12 Erlangs), nobody hangs up, "
        "12 hours; swept from 20 agents down to 13.",
        180, 16, {"dist": "exponential", "mean": 240}, hours=12)


def pooling_scenarios() -> tuple[Scenario, Scenario]:
    talk = {"dist": "exponential", "mean": 240}
    patience = {"dist": "exponential", "mean": 300}
    separate = scenario_from_dict({
        "schema_version": 1, "name": "Two queues, two teams of 6",
        "description": "150 calls an hour split evenly between two queues (5 Erlangs each); each queue has "
                       "its own team of 6 who answer only that queue. Talk 4 minutes, patience 5 minutes.",
        "interval_minutes": 60, "start": "08:00",
        "arrivals": {"calls": [150] * 8, "queue_shares": {"east": 0.5, "west": 0.5}},
        "queues": [{"name": "east", "talk_time": talk, "patience": patience},
                   {"name": "west", "talk_time": talk, "patience": patience}],
        "agents": [{"name": "east team", "serves": ["east"], "staffing": [6] * 8},
                   {"name": "west team", "serves": ["west"], "staffing": [6] * 8}],
        "targets": {"service_level": {"fraction": 0.8, "within": 20}, "asa": 30},
        "simulation": {"seed": SEED},
    }, source="lesson 'pooling'")
    pooled = _single_queue(
        "One queue, one team of 12",
        "The same 150 calls an hour in one queue answered by one team of 12 (the two teams pooled).",
        150, 12, talk, hours=8, patience=patience)
    return separate, pooled


def variability_scenarios() -> tuple[Scenario, ...]:
    talks = [
        ("Talk exactly 5 minutes (cv 0)", {"dist": "fixed", "mean": 300}),
        ("Talk exponential, mean 5 minutes (cv 1)", {"dist": "exponential", "mean": 300}),
        ("Talk lognormal, mean 5 minutes, cv 2", {"dist": "lognormal", "mean": 300, "cv": 2.0}),
    ]
    return tuple(
        _single_queue(name, "96 calls an hour (8 Erlangs) on 10 agents, nobody hangs up, 8 hours; only the "
                      "spread of talk times differs, the mean is 5 minutes in every scenario.", 96, 10, talk)
        for name, talk in talks
    )



@dataclass(frozen=True)
class PoolingStudy:
    comparison: Comparison  # two teams of 6, one team of 12
    erlang_separate: QueueMetrics  # Erlang C of one of the two teams
    erlang_pooled: QueueMetrics


@dataclass(frozen=True)
class VariabilityStudy:
    comparison: Comparison  # cv 0, 1, 2
    erlang_asa_s: float  # Erlang C ASA (exponential talk)
    cvs: tuple[float, ...]
    approximations_s: tuple[float, ...]  # Allen-Cunneen: Erlang C ASA x (1 + cv^2) / 2


def cliff(replications: int | None = None, workers: int = 1, on_done=None, executor: Executor | None = None) -> Sweep:
    """The cliff scenario from 20 agents down to 13, simulated beside Erlang C."""
    return run_sweep(cliff_scenario(), agents=list(range(20, 12, -1)), replications=replications or 20, seed=SEED,
                     workers=workers, on_replication_done=on_done, executor=executor)


def pooling(replications: int | None = None, workers: int = 1, on_done=None,
            executor: Executor | None = None) -> PoolingStudy:
    separate, pooled = pooling_scenarios()
    c = compare_scenarios([separate, pooled], ["two teams of 6", "one team of 12"], replications=replications or 20,
                          seed=SEED, workers=workers, on_replication_done=on_done, executor=executor)
    return PoolingStudy(c, erlang_c_metrics(6, 75 / 3600, 240, 20), erlang_c_metrics(12, 150 / 3600, 240, 20))


def variability(replications: int | None = None, workers: int = 1, on_done=None,
                executor: Executor | None = None) -> VariabilityStudy:
    c = compare_scenarios(list(variability_scenarios()), ["cv 0", "cv 1", "cv 2"], replications=replications or 60,
                          seed=SEED, workers=workers, on_replication_done=on_done, executor=executor)
    exact = erlang_c_metrics(10, 96 / 3600, 300, 20).asa_s
    cvs = (0.0, 1.0, 2.0)
    return VariabilityStudy(c, exact, cvs, tuple(exact * (1 + cv**2) / 2 for cv in cvs))


STUDIES: dict[str, Callable] = {"cliff": cliff, "pooling": pooling, "variability": variability}
