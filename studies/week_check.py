"""A week's tours checked by simulation: `callsim schedule --verify` and `--by-simulation` on a
scenario with `days:` and `shifts.contracts:`.

The scheduled week is the scenario with every date's staffing (`days[].staffing`) set to what
the tours put on the phones, by the one-day schedule's rule (`studies.schedule`): per interval,
the mean over its slots of agents at a desk x (1 - shrinkage), rounded down. `run` simulates it
as one timeline (`simulator.timeline`).

Judged twice, on the same seed: on replications 0 .. R-1 (the replications `--by-simulation`
steers by), and out of sample on as many replications again from index
`studies.optimize.CONFIRM_FIRST_REPLICATION` (1,000,000) onwards, which no round ever used (the
optimiser's mechanism: `simulator.batch.run_scenarios(..., first_replication=)`). An open
(date, interval) is a hit when the simulated mean meets every service target (service level,
ASA, abandonment: the targets more agents fix, `studies.schedule.missed_targets`), else a
miss naming the targets missed.

`--by-simulation` (the one-day loop's cutting planes, Atlason, Epelman & Henderson 2008, on the
week): every (date, interval) that misses on replications 0 .. R-1 requires one agent more on
the phones than the tours gave it, for the group planned for the queue that missed; the tours are
solved again, until nothing misses or `max_rounds`. The final week is then confirmed out of
sample.
"""
from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from simulator.batch import run_scenarios
from simulator.run import RunResult
from simulator.scenario import Scenario, replication_count
from simulator.schema_base import revised

from .optimize import CONFIRM_FIRST_REPLICATION
from .schedule import missed_targets
from .week import WeekStudy, schedule_week

SERVICE_KPIS = ("service_level", "asa", "abandon_rate")


def week_staffing(study: WeekStudy) -> dict[str, list[tuple[int, ...]]]:
    """Per group, per date, per interval: the agents the tours put on the phones."""
    scenario = study.scenario
    per = scenario.interval_minutes // study.slot_minutes
    out = {}
    for group, week in study.weeks.items():
        days = []
        for at_desk in week.at_desk:
            phones = np.asarray(at_desk, dtype=float).reshape(scenario.n_intervals, per).mean(axis=1)
            days.append(tuple(int(math.floor(v * (1 - study.shrinkage) + 1e-9)) for v in phones))
        out[group] = days
    return out


def scheduled_week(study: WeekStudy) -> Scenario:
    """The scenario with each date's staffing from the tours (groups without tours: none)."""
    staffing = week_staffing(study)
    scenario = study.scenario
    zero = (0,) * scenario.n_intervals
    days = tuple(revised(day, staffing={g.name: staffing[g.name][d] if g.name in staffing else zero
                                        for g in scenario.agents})
                 for d, day in enumerate(scenario.days))
    return revised(scenario, days=days)


@dataclass(frozen=True)
class Judged:
    """A week simulated on one block of replications, with its misses per (date, interval)."""

    result: RunResult
    first_replication: int
    misses: dict[str, dict[int, tuple[str, ...]]]  # group -> {timeline interval: targets missed}

    @property
    def missed_intervals(self) -> set[int]:
        return {k for entries in self.misses.values() for k in entries}

    def hits(self) -> int:
        return len(self.result.shown_intervals) - len(self.missed_intervals)


def judge(scenario: Scenario, replications: int, seed: int, first_replication: int = 0, workers: int = 1,
          executor: Executor | None = None, on_replication_done: Callable[[int, int], None] | None = None) -> Judged:
    result, = run_scenarios([scenario], replications, seed, workers, on_replication_done, executor,
                            sample_day=first_replication == 0, first_replication=first_replication)
    return Judged(result, first_replication, missed_targets(result))


@dataclass(frozen=True)
class WeekRound:
    number: int
    cost: float
    misses: int  # (date, interval)s missing a target on replications 0 .. R-1
    raised: int  # (group, date, interval) requirements raised for the next round


@dataclass(frozen=True)
class WeekCheck:
    study: WeekStudy  # the tours checked (the last round's with --by-simulation)
    scheduled: Scenario  # the scenario with their staffing
    replications: int
    seed: int
    judged: Judged  # on replications 0 .. R-1
    confirmation: Judged  # on R replications from CONFIRM_FIRST_REPLICATION
    rounds: tuple[WeekRound, ...] = ()  # --by-simulation's, else empty
    converged: bool = True  # --by-simulation: nothing missed on replications 0 .. R-1 at the end
    stop_reason: str = ""

    @property
    def round_limit(self) -> bool:
        return bool(self.rounds) and not self.converged


def check_week(study: WeekStudy, replications: int | None = None, seed: int | None = None, workers: int = 1,
               executor: Executor | None = None, on_replication_done: Callable[[int, int], None] | None = None,
               by_simulation: bool = False, max_rounds: int = 25, time_limit_s: float = 60.0,
               agents_path: str | Path | None = None, where: str = "") -> WeekCheck:
    """Simulate the week's tours (and, `by_simulation`, raise the requirement where they miss and
    solve again), then confirm the final tours out of sample."""
    scenario = study.scenario
    replications = replication_count(replications, scenario.simulation.replications)
    seed = scenario.simulation.seed if seed is None else seed
    rounds: list[WeekRound] = []
    raised: dict[str, dict[tuple[int, int], float]] = {}
    converged, stop_reason = True, ""
    for number in range(1, (max_rounds if by_simulation else 1) + 1):
        scheduled = scheduled_week(study)
        judged = judge(scheduled, replications, seed, 0, workers, executor, on_replication_done)
        if not by_simulation:
            break
        staffing = week_staffing(study)
        more = _raise(judged, staffing, raised)
        rounds.append(WeekRound(number, sum(week.cost for week in study.weeks.values()),
                                len(judged.missed_intervals), more))
        if not judged.misses:
            stop_reason = f"no (date, interval) misses a service target after {number} round{'s' * (number > 1)}"
            break
        if not more:
            converged, stop_reason = False, "the misses are where the tours already give more than asked: raising " \
                                            "the requirement cannot help"
            break
        if number == max_rounds:
            converged, stop_reason = False, f"round limit ({max_rounds}) reached with intervals still missing a target"
            break
        study = schedule_week(scenario, study.shrinkage, time_limit_s, agents_path, where, raised=raised)
    confirmation = judge(scheduled, replications, seed, CONFIRM_FIRST_REPLICATION, workers, executor,
                         on_replication_done)
    return WeekCheck(study, scheduled, replications, seed, judged, confirmation, tuple(rounds), converged,
                     stop_reason)


def _raise(judged: Judged, staffing: dict[str, list[tuple[int, ...]]],
           raised: dict[str, dict[tuple[int, int], float]]) -> int:
    """Require one agent more on the phones than the tours gave wherever a target was missed
    (in place); the number of requirements that went up."""
    where = {k: (d, k - day.first) for d, day in enumerate(judged.result.timeline.days) for k in day.open_intervals}
    count = 0
    for group, entries in judged.misses.items():
        mine = raised.setdefault(group, {})
        for k in entries:
            d, i = where[k]
            value = staffing[group][d][i] + 1
            if value > mine.get((d, i), 0):
                mine[(d, i)] = value
                count += 1
    return count


def week_study(scenario: Scenario, shrinkage: float | None = None, time_limit_s: float = 60.0,
               agents_path: str | Path | None = None, where: str = "", check: bool = False,
               by_simulation: bool = False, max_rounds: int = 25, replications: int | None = None,
               seed: int | None = None, workers: int = 1, executor: Executor | None = None,
               on_replication_done: Callable[[int, int], None] | None = None) -> tuple[WeekStudy, WeekCheck | None]:
    """`callsim schedule` on a week: the tours (and roster), and with `check` (--verify) or
    `by_simulation` the week simulated and confirmed (`check_week`); the tours returned are the
    ones checked (the last round's)."""
    study = schedule_week(scenario, shrinkage, time_limit_s, agents_path, where)
    if not (check or by_simulation):
        return study, None
    checked = check_week(study, replications, seed, workers, executor, on_replication_done, by_simulation,
                         max_rounds, time_limit_s, agents_path, where)
    return checked.study, checked
