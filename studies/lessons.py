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
from simulator.scenario import Scenario, replication_count

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


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} minute{'' if seconds == 60 else 's'}"


def cliff_scenario(calls_per_hour: float = 180, talk_mean_s: float = 240, hours: int = 12,
                   agents: tuple[int, int] = (20, 13)) -> Scenario:
    """The cliff's M/M/N day; `agents` (most, fewest) is the sweep the description names."""
    load = calls_per_hour * talk_mean_s / 3600
    return _single_queue(
        "Lesson: the occupancy-wait cliff",
        f"M/M/N: {calls_per_hour:g} calls an hour, exponential talk time of {_minutes(talk_mean_s)} ({load:.3g} "
        f"Erlangs), nobody hangs up, {hours} hours; swept from {agents[0]} agents down to {agents[1]}.",
        calls_per_hour, agents[0], {"dist": "exponential", "mean": talk_mean_s}, hours=hours)


def pooling_scenarios(calls_per_hour: float = 150, team_size: int = 6, talk_mean_s: float = 240,
                      patience_mean_s: float = 300) -> tuple[Scenario, Scenario]:
    talk = {"dist": "exponential", "mean": talk_mean_s}
    patience = {"dist": "exponential", "mean": patience_mean_s}
    half_load = calls_per_hour / 2 * talk_mean_s / 3600
    separate = scenario_from_dict({
        "schema_version": 1, "name": f"Two queues, two teams of {team_size}",
        "description": f"{calls_per_hour:g} calls an hour split evenly between two queues ({half_load:.3g} Erlangs "
                       f"each); each queue has its own team of {team_size} who answer only that queue. Talk "
                       f"{_minutes(talk_mean_s)}, patience {_minutes(patience_mean_s)}.",
        "interval_minutes": 60, "start": "08:00",
        "arrivals": {"calls": [calls_per_hour] * 8, "queue_shares": {"east": 0.5, "west": 0.5}},
        "queues": [{"name": "east", "talk_time": talk, "patience": patience},
                   {"name": "west", "talk_time": talk, "patience": patience}],
        "agents": [{"name": "east team", "serves": ["east"], "staffing": [team_size] * 8},
                   {"name": "west team", "serves": ["west"], "staffing": [team_size] * 8}],
        "targets": {"service_level": {"fraction": 0.8, "within": 20}, "asa": 30},
        "simulation": {"seed": SEED},
    }, source="lesson 'pooling'")
    pooled = _single_queue(
        f"One queue, one team of {2 * team_size}",
        f"The same {calls_per_hour:g} calls an hour in one queue answered by one team of {2 * team_size} (the two "
        "teams pooled).",
        calls_per_hour, 2 * team_size, talk, hours=8, patience=patience)
    return separate, pooled


def variability_talks(talk_mean_s: float = 300, high_cv: float = 2.0) -> list[tuple[str, dict]]:
    """(name, talk time) of the three teams: fixed, exponential and lognormal with `high_cv`."""
    m = _minutes(talk_mean_s)
    return [
        (f"Talk exactly {m} (cv 0)", {"dist": "fixed", "mean": talk_mean_s}),
        (f"Talk exponential, mean {m} (cv 1)", {"dist": "exponential", "mean": talk_mean_s}),
        (f"Talk lognormal, mean {m}, cv {high_cv:g}", {"dist": "lognormal", "mean": talk_mean_s, "cv": high_cv}),
    ]


def variability_scenarios(calls_per_hour: float = 96, agents: int = 10, talk_mean_s: float = 300,
                          high_cv: float = 2.0) -> tuple[Scenario, ...]:
    load = calls_per_hour * talk_mean_s / 3600
    return tuple(
        _single_queue(name, f"{calls_per_hour:g} calls an hour ({load:.3g} Erlangs) on {agents} agents, nobody hangs "
                      f"up, 8 hours; only the spread of talk times differs, the mean is {_minutes(talk_mean_s)} in "
                      "every scenario.", calls_per_hour, agents, talk)
        for name, talk in variability_talks(talk_mean_s, high_cv)
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


def cliff(replications: int | None = None, workers: int = 1, on_done=None, executor: Executor | None = None,
          calls_per_hour: float = 180, talk_mean_s: float = 240, hours: int = 12,
          agents: tuple[int, int] = (20, 13)) -> Sweep:
    """The cliff scenario from agents[0] down to agents[1] (20 to 13), simulated beside Erlang C."""
    most, fewest = max(agents), min(agents)
    scenario = cliff_scenario(calls_per_hour, talk_mean_s, hours, (most, fewest))
    return run_sweep(scenario, agents=list(range(most, fewest - 1, -1)), replications=replication_count(replications, 20), seed=SEED,
                     workers=workers, on_replication_done=on_done, executor=executor)


def pooling(replications: int | None = None, workers: int = 1, on_done=None,
            executor: Executor | None = None, calls_per_hour: float = 150, team_size: int = 6,
            talk_mean_s: float = 240, patience_mean_s: float = 300) -> PoolingStudy:
    separate, pooled = pooling_scenarios(calls_per_hour, team_size, talk_mean_s, patience_mean_s)
    c = compare_scenarios([separate, pooled], [f"two teams of {team_size}", f"one team of {2 * team_size}"],
                          replications=replication_count(replications, 20), seed=SEED, workers=workers, on_replication_done=on_done,
                          executor=executor)
    return PoolingStudy(c, erlang_c_metrics(team_size, calls_per_hour / 2 / 3600, talk_mean_s, 20),
                        erlang_c_metrics(2 * team_size, calls_per_hour / 3600, talk_mean_s, 20))


def variability(replications: int | None = None, workers: int = 1, on_done=None,
                executor: Executor | None = None, calls_per_hour: float = 96, agents: int = 10,
                talk_mean_s: float = 300, high_cv: float = 2.0) -> VariabilityStudy:
    cvs = (0.0, 1.0, float(high_cv))
    c = compare_scenarios(list(variability_scenarios(calls_per_hour, agents, talk_mean_s, high_cv)),
                          [f"cv {cv:g}" for cv in cvs], replications=replication_count(replications, 60),
                          seed=SEED, workers=workers, on_replication_done=on_done, executor=executor)
    exact = erlang_c_metrics(agents, calls_per_hour / 3600, talk_mean_s, 20).asa_s
    return VariabilityStudy(c, exact, cvs, tuple(exact * (1 + cv**2) / 2 for cv in cvs))


STUDIES: dict[str, Callable] = {"cliff": cliff, "pooling": pooling, "variability": variability}
