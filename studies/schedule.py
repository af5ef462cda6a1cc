"""From per-interval requirements to shifts, and the scheduled day checked by simulation.

Requirements (agents on the phones per group and interval) come from the Erlang plan of the
scenario (`planner.plan.plan_scenario`, shrinkage 0: shrinkage is applied here), a `plan.csv`
written by `callsim plan` (the sum of `required_agents` per group and interval), or a scenario
file whose staffing is taken as the requirement (a `*.planned.yaml`, say).

The time grid of the integer programme is the *slot*: the largest number of minutes that divides
the scenario's interval and every time in the shift rules (15 minutes for quarter-hour breaks in
half-hour intervals). A slot's requirement is its interval's. The programme (`planner.shifts`)
covers every slot.

Shrinkage convention: breaks and lunch are modelled explicitly (they are taken out of the slots
they fall in); the shrinkage fraction is everything else (training, coaching, absence): on the
phones = (on shift - on break) x (1 - shrinkage). Planners who count breaks inside shrinkage
must not count them twice here.

The scheduled scenario's staffing is what the shifts put on the phones: per interval, the
time-weighted mean over its slots of (on shift - on break) x (1 - shrinkage), rounded down (the
simulator staffs whole intervals; rounding down never claims more agent-time than the shifts
give, and is still >= the requirement, which is a whole number met in every slot).

`--by-simulation` (after Atlason, Epelman & Henderson 2008, simulation-based cutting planes):
simulate the scheduled day; for every interval whose simulated mean misses a service target
(service level, ASA, abandonment: the targets more agents fix), require one agent more on the
phones than the schedule gave there, for the group planned for the queue that missed; solve
again. Stop when no interval misses or after `max_rounds`. Every round simulates the same
callers (same seed), so the rounds differ only by the schedule.
"""
from __future__ import annotations

import csv
import io
import math
from concurrent.futures import Executor
from contextlib import nullcontext
from dataclasses import dataclass, replace
from functools import reduce
from pathlib import Path
from typing import Callable

import numpy as np

from planner.shifts import (BreakRule, GroupProblem, ShiftProblemError, ShiftRule, ShiftSchedule, paid_cost_by_slot,
                            solve_shifts)
from simulator.batch import run_scenarios
from simulator.kpi_table import kpi_bounds
from simulator.run import Estimate, RunResult, run_scenario
from simulator.errors import UserError
from simulator.input_files import readable_file
from simulator.scenario import Scenario, replication_count
from simulator.schema_base import revised
from simulator.shift_rules import ShiftRules, clock_minutes, clock_text

SERVICE_TARGETS = ("service_level", "asa", "abandon_rate")
# rounds of --by-simulation at most: each round raises a missing interval by one agent, so a peak the
# analytic schedule misses by several agents takes as many rounds (retail_bank_shifts: 9 to 10)
MAX_ROUNDS = 25


class ScheduleError(UserError):
    """A schedule that cannot be made from these inputs; `str()` is one line for the user."""


# --- requirements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """Agents needed on the phones, per group and interval, and where the numbers came from."""

    agents: dict[str, tuple[int, ...]]
    source: str  # e.g. "Erlang plan of the scenario", "plan.csv results/x/plan.csv"


def requirement_from_plan(scenario: Scenario) -> Requirement:
    from planner.plan import plan_scenario

    try:
        plan = plan_scenario(scenario)
    except ValueError as exc:
        raise ScheduleError(f"the Erlang plan cannot be made: {exc}") from None
    return Requirement({g.name: tuple(g.agents) for g in plan.groups},
                       f"Erlang plan of the scenario ({', '.join(sorted({q.model.replace('_', ' ') for q in plan.queues}))})")


def requirement_from_file(path: str | Path, scenario: Scenario) -> Requirement:
    """A plan.csv (`callsim plan`) or a scenario YAML whose staffing is the requirement."""
    try:
        path = readable_file(path, "a plan.csv or a scenario", "give a plan.csv written by 'callsim plan' or a "
                             "scenario .yaml")
    except UserError as exc:
        raise ScheduleError(str(exc)) from None
    if path.suffix.lower() == ".csv":
        return _requirement_from_csv(path, scenario)
    if path.suffix.lower() in (".yaml", ".yml"):
        return _requirement_from_yaml(path, scenario)
    raise ScheduleError(f"{path}: unknown kind of file; give a plan.csv or a scenario .yaml")


def _requirement_from_csv(path: Path, scenario: Scenario) -> Requirement:
    labels = scenario.interval_labels()
    groups = [g.name for g in scenario.agents]
    agents = {name: [0] * scenario.n_intervals for name in groups}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScheduleError(f"{path}: cannot read the file ({exc.__class__.__name__})") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = {"group", "interval", "required_agents"} - set(reader.fieldnames or ())
    if missing:
        raise ScheduleError(f"{path}:1: no column {', '.join(sorted(missing))}; give a plan.csv written by "
                            "'callsim plan' (columns group, interval, required_agents)")
    for line, row in enumerate(reader, start=2):
        group, interval = row["group"], row["interval"]
        if group not in agents:
            raise ScheduleError(f"{path}:{line}: unknown agent group '{group}'; the scenario's groups are: "
                                f"{', '.join(groups)}")
        if interval not in labels:
            raise ScheduleError(f"{path}:{line}: interval '{interval}' is not one of the scenario's "
                                f"({labels[0]} to {labels[-1]}, every {scenario.interval_minutes} min)")
        try:
            value = float(row["required_agents"])
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or not value.is_integer():
            raise ScheduleError(f"{path}:{line}: required_agents must be a whole number >= 0, got "
                                f"{row['required_agents']!r}")
        agents[group][labels.index(interval)] += int(value)
    return Requirement({name: tuple(v) for name, v in agents.items()}, f"plan.csv {path}")


def _requirement_from_yaml(path: Path, scenario: Scenario) -> Requirement:
    from simulator.loading import ScenarioFileError, load_scenario

    try:
        other = load_scenario(path)
    except ScenarioFileError as exc:
        raise ScheduleError(str(exc)) from None
    if (other.start, other.interval_minutes, other.n_intervals) != (scenario.start, scenario.interval_minutes,
                                                                    scenario.n_intervals):
        raise ScheduleError(f"{path}: its day ({other.n_intervals} x {other.interval_minutes} min from "
                            f"{other.start}) is not the scenario's ({scenario.n_intervals} x "
                            f"{scenario.interval_minutes} min from {scenario.start}); give the requirement of this day")
    names = [g.name for g in scenario.agents]
    agents = {name: (0,) * scenario.n_intervals for name in names}
    for group in other.agents:
        if group.name not in agents:
            raise ScheduleError(f"{path}: agent group '{group.name}' is not in the scenario (groups: "
                                f"{', '.join(names)})")
        agents[group.name] = tuple(group.staffing)
    return Requirement(agents, f"staffing of {path}")


# --- the shift problem -----------------------------------------------------------------------


def slot_minutes(scenario: Scenario, rules: ShiftRules) -> int:
    """The largest number of minutes dividing the interval and every time in the rules."""
    day_start = int(scenario.start_s // 60)
    values = [scenario.interval_minutes]
    for shift in rules.types:
        values.append(shift.length_minutes)
        values += [(clock_minutes(c) - day_start) % 1440 for c in shift.start_clocks()]
        for rest in shift.breaks:
            values += [rest.minutes, *rest.starts_between_minutes]
    return reduce(math.gcd, values)


def _group_problems(scenario: Scenario, rules: ShiftRules, requirement: Requirement, slot: int,
                    where: str) -> list[GroupProblem]:
    per_interval = scenario.interval_minutes // slot
    day_start = int(scenario.start_s // 60)
    labels = scenario.interval_labels()
    problems = []
    for group in scenario.agents:
        needed = requirement.agents.get(group.name, (0,) * scenario.n_intervals)
        mine = rules.types_of(group.name)
        covered = rules.covered_intervals(day_start, scenario.n_intervals, scenario.interval_minutes, mine)
        for k, n in enumerate(needed):
            if n > 0 and not covered[k]:
                raise ScheduleError(f"{where}shifts.types: group '{group.name}' needs {n} agents at {labels[k]} but no "
                                    f"shift type open to it ({', '.join(rules.types[i].name for i in mine)}) can be on "
                                    "duty then; allow a start whose shift spans it")
        types = []
        for i in mine:
            shift = rules.types[i]
            hourly = shift.cost_per_hour
            if hourly is None and shift.cost_per_shift is None:
                hourly = group.hourly_cost if group.hourly_cost is not None else 1.0
            cost = (shift.cost_per_shift or 0.0) + (hourly or 0.0) * shift.paid_minutes / 60.0
            starts = tuple(sorted(((clock_minutes(c) - day_start) % 1440) // slot for c in shift.start_clocks()))
            breaks = tuple(BreakRule(b.name, b.minutes // slot, b.paid, b.starts_between_minutes[0] // slot,
                                     b.starts_between_minutes[1] // slot) for b in shift.breaks)
            types.append(ShiftRule(shift.name, shift.length_minutes // slot, starts, breaks, cost,
                                   shift.paid_minutes // slot, shift.min_agents, shift.max_agents, shift.max_share))
        seats = (rules.seats or {}).get(group.name)
        required = tuple(float(needed[j // per_interval]) for j in range(scenario.n_intervals * per_interval))
        problems.append(GroupProblem(group.name, required, tuple(types), seats))
    return problems


@dataclass(frozen=True)
class Schedule:
    """Shifts for a scenario's requirement, and the staffing they give.

    staffing: per group and interval, agents on the phones as the scheduled scenario has them
    (see the module docstring). scheduled: the scenario with that staffing.
    """

    scenario: Scenario
    requirement: Requirement
    shrinkage: float
    slot_minutes: int
    solution: ShiftSchedule
    staffing: dict[str, tuple[int, ...]]
    scheduled: Scenario

    @property
    def slot_labels(self) -> list[str]:
        start = int(self.scenario.start_s // 60)
        n = self.scenario.n_intervals * self.scenario.interval_minutes // self.slot_minutes
        return [clock_text((start + j * self.slot_minutes) % 1440) for j in range(n)]

    def clock(self, slot: int) -> str:
        """Clock time of a slot boundary ("24:00" for midnight at the end of the day)."""
        return clock_text(int(self.scenario.start_s // 60) + slot * self.slot_minutes)

    @property
    def paid_hours(self) -> float:
        return self.solution.paid_slots * self.slot_minutes / 60.0

    @property
    def required_agent_hours(self) -> float:
        return sum(sum(v) for v in self.requirement.agents.values()) * self.scenario.interval_minutes / 60.0

    def short_intervals(self) -> list[tuple[str, str, float]]:
        """(group, interval, agents short on the phones at worst in it) wherever coverage falls short."""
        per = self.scenario.interval_minutes // self.slot_minutes
        labels = self.scenario.interval_labels()
        out = []
        for cov in self.solution.coverage:
            short = cov.shortfall
            for k, label in enumerate(labels):
                worst = max(short[k * per:(k + 1) * per])
                if worst > 1e-9:
                    out.append((cov.group, label, worst))
        return out


    def seat_limits(self) -> list[tuple[str, int, int, str]]:
        """(group, seats, most agents needed at a desk, the interval needing them) for every group
        whose seats cannot hold its requirement: needed at a desk = ceil(required / (1 - shrinkage))."""
        seats = (self.scenario.shifts.seats or {}) if self.scenario.shifts else {}
        labels = self.scenario.interval_labels()
        out = []
        for group, required in self.requirement.agents.items():
            if group not in seats or not required:
                continue
            needs = [math.ceil(r / (1.0 - self.shrinkage) - 1e-9) for r in required]
            worst = max(range(len(needs)), key=lambda k: needs[k])
            if needs[worst] > seats[group]:
                out.append((group, seats[group], needs[worst], labels[worst]))
        return out


def schedule_scenario(scenario: Scenario, requirement: Requirement, shrinkage: float | None = None,
                      time_limit_s: float = 60.0, where: str = "", on_solver_progress=None) -> Schedule:
    """Solve the shift programme for `requirement` under the scenario's `shifts:` rules.
    `shrinkage` None: the rules' own. `where` prefixes error messages (the file name).
    `on_solver_progress(planner.shifts.SolverProgress)` sees the solver's incumbent, bound and gap."""
    rules = scenario.shifts
    if rules is None:
        raise ScheduleError(f"{where}the scenario has no 'shifts:' section; add the shift rules (see docs/scenarios.md, "
                            "'Shifts', or scenarios/retail_bank_shifts.yaml)")
    shrinkage = rules.shrinkage if shrinkage is None else float(shrinkage)
    slot = slot_minutes(scenario, rules)
    problems = _group_problems(scenario, rules, requirement, slot, where)
    try:
        solution = solve_shifts(problems, shrinkage, time_limit_s, on_progress=on_solver_progress)
    except ShiftProblemError as exc:
        raise ScheduleError(f"{where}shifts: {exc}") from None
    except RuntimeError as exc:
        raise ScheduleError(f"{where}{exc}") from None
    per = scenario.interval_minutes // slot
    staffing = {cov.group: staffing_from_slots(cov.on_phones, per) for cov in solution.coverage}
    scheduled = scheduled_scenario(scenario, staffing, _paid_cost(solution, scenario.n_intervals * per, per))
    return Schedule(scenario, requirement, shrinkage, slot, solution, staffing, scheduled)


def _paid_cost(solution: ShiftSchedule, n_slots: int, per: int) -> dict[str, tuple[float, ...]]:
    """Per group and interval, what its shifts are paid there (simulator.cost): each shift's cost
    spread evenly over its paid slots (on duty, not on an unpaid break), so the intervals sum to
    the schedule's cost and `run` on the scheduled scenario prices the day as the schedule does.
    A shift running past the end of the day is paid there too: its cost lands in the last interval."""
    paid: dict[str, np.ndarray] = {}
    for sh in solution.shifts:
        slots = paid_cost_by_slot(sh.start_slot, sh.end_slot, sh.breaks, sh.count * sh.cost_each, n_slots)
        paid[sh.group] = paid.get(sh.group, np.zeros(n_slots)) + slots
    return {group: interval_sums(cost, per) for group, cost in paid.items()}


def interval_sums(by_slot, per: int) -> tuple[float, ...]:
    """Per interval, the sum over its `per` slots."""
    return tuple(float(v) for v in np.asarray(by_slot, dtype=float).reshape(-1, per).sum(axis=1))


def staffing_from_slots(on_phones_by_slot, per: int) -> tuple[int, ...]:
    """The simulator's staffing per interval from agents on the phones per slot: the time-weighted
    mean over the interval's slots, rounded down (see the module docstring)."""
    phones = np.asarray(on_phones_by_slot, dtype=float).reshape(-1, per).mean(axis=1)
    return tuple(int(math.floor(v + 1e-9)) for v in phones)


def scheduled_scenario(scenario: Scenario, staffing: dict[str, tuple[int, ...]],
                       paid: dict[str, tuple[float, ...]]) -> Scenario:
    """The scenario as its shifts staff it (the scheduled-scenario writer of one-day schedules and
    of each day of a week): that staffing, each group paid what its shifts are paid (`paid_cost`)."""
    scheduled = scenario.with_staffing(staffing)
    return revised(scheduled, agents=tuple(revised(g, paid_cost=paid[g.name]) if g.name in paid else g
                                           for g in scheduled.agents))


# --- checked by simulation -------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleVerification:
    """The requirement's staffing and the scheduled staffing, simulated on the same callers."""

    required: RunResult
    scheduled: RunResult


def verify_schedule(schedule: Schedule, replications: int | None = None, seed: int | None = None, workers: int = 1,
                    on_replication_done: Callable[[int, int], None] | None = None,
                    executor=None, requirement: Requirement | None = None) -> ScheduleVerification:
    """Simulate the scheduled scenario and, on the same callers, the scenario staffed exactly
    at `requirement` (default: the one the schedule was solved for)."""
    scenario = schedule.scenario
    replications = replication_count(replications, scenario.simulation.replications)
    seed = scenario.simulation.seed if seed is None else seed
    required = scenario.with_staffing((requirement or schedule.requirement).agents)
    results = run_scenarios([required, schedule.scheduled], replications, seed, workers, on_replication_done, executor)
    return ScheduleVerification(results[0], results[1])


def missed_targets(result: RunResult) -> dict[str, dict[int, tuple[str, ...]]]:
    """Per agent group, {interval: the service targets (service_level, asa, abandon_rate) whose
    simulated mean misses} for the queues planned on that group (every queue with one queue). With
    targets judged per hour or day, every interval of a period whose pooled calls miss (so
    --by-simulation requires one agent more in each of them)."""
    from planner.demand import assign_queues_to_groups

    scenario = result.scenario
    targets = scenario.targets
    limits = {"service_level": (targets.service_level.fraction, True), "asa": (targets.asa, False),
              "abandon_rate": (targets.abandon_rate, False)}

    def misses(row: Callable[[str], float]) -> tuple[str, ...]:
        out = []
        for kpi, (target, at_least) in limits.items():
            value = row(kpi)
            if target is None or not math.isfinite(value):
                continue
            if (value < target - 1e-12) if at_least else (value > target + 1e-12):
                out.append(kpi)
        return tuple(out)

    assignment = assign_queues_to_groups(scenario)
    if result.per_period is not None:  # judged per hour or day: an interval misses when its period's pooled calls do
        rows = {name: _period_row(result, kpis) for name, kpis in (
            {scenario.queues[0].name: result.per_period["all"]} if len(scenario.queues) == 1
            else result.per_period["queues"]).items()}
    elif len(scenario.queues) == 1:
        rows = {scenario.queues[0].name: lambda k, kpi: result.intervals[k][kpi].mean}
    else:
        rows = {queue: (lambda kpis: lambda k, kpi: kpis[kpi][k].mean if kpi in kpis else math.nan)(kpis)
                for queue, kpis in result.breakdown["queues"].items()}
    out: dict[str, dict[int, tuple[str, ...]]] = {}
    for queue, row in rows.items():
        group = assignment[queue]
        for k in range(scenario.n_intervals):
            missed = misses(lambda kpi: row(k, kpi))
            if missed:
                mine = out.setdefault(group, {})
                mine[k] = tuple(sorted(set(mine.get(k, ())) | set(missed), key=list(limits).index))
    return {group: dict(sorted(entries.items())) for group, entries in out.items()}


def _period_row(result: RunResult, kpis: dict) -> Callable[[int, str], float]:
    """(interval, kpi) -> the simulated mean of the KPI over the interval's judging period (its calls pooled)."""
    periods = result.scenario.period_of_intervals()
    return lambda k, kpi: Estimate.of(kpis[kpi][:, periods[k]], kpi_bounds(kpi)).mean if kpi in kpis else math.nan


def missed_intervals(result: RunResult) -> dict[str, list[int]]:
    """Per agent group, the intervals whose simulated mean misses a service target (service
    level, ASA, abandonment) in a queue planned on that group (every queue with one queue)."""
    return {group: list(entries) for group, entries in missed_targets(result).items()}


@dataclass(frozen=True)
class Round:
    number: int
    paid_hours: float
    cost: float
    solver_status: str
    mip_gap: float
    short: bool
    missed: dict[str, tuple[int, ...]]  # group -> intervals whose simulation misses a target
    missed_kpis: dict[str, dict[int, tuple[str, ...]]]  # group -> {interval: the targets missed}
    raised: dict[str, dict[int, int]]  # group -> {interval: new requirement} for the next round
    day: dict[str, float]  # simulated day means: service_level, asa, abandon_rate, occupancy


@dataclass(frozen=True)
class Confirmation:
    """The loop's schedule judged out of sample (as `studies.optimize` confirms its answer): on
    `replications` replications from index `first_replication` of `seed`, which the loop never
    simulated, every interval and service target must hold with its one-sided `confidence` bound
    (no multiplicity correction: an intersection-union test, see studies/optimize.py). Where one
    misses, the requirement there is raised by one and the shifts solved again, judged on the same
    replications (`repairs` rounds). `schedule` is the one that held (or the last tried)."""

    seed: int
    first_replication: int
    replications: int
    confidence: float
    schedule: Schedule
    result: RunResult
    held: bool
    repairs: int
    missed: dict[str, dict[int, tuple[str, ...]]]  # of `schedule`, on the confirmation: group -> {interval: targets}
    lp_bound: float  # the LP relaxation of `schedule`'s shift problem

    @property
    def lp_gap(self) -> float:
        """The schedule's cost over the LP bound of its shift problem, less one."""
        return self.schedule.solution.cost / self.lp_bound - 1.0 if self.lp_bound > 0 else 0.0


@dataclass(frozen=True)
class ByRounds:
    first: Schedule  # the analytic schedule (round 1)
    final: Schedule
    final_result: RunResult
    rounds: tuple[Round, ...]
    converged: bool  # the final schedule misses no target in simulation
    stop_reason: str
    confirmation: Confirmation | None = None

    @property
    def answer(self) -> Schedule:
        """The schedule to write: the confirmed (or repaired) one, else the loop's last."""
        return self.final if self.confirmation is None else self.confirmation.schedule

    @property
    def round_limit(self) -> bool:
        """Stopped on --max-rounds with intervals still missing: the schedule is not the loop's answer."""
        return not self.converged and not self.final.solution.short

    @property
    def extra_paid_hours(self) -> float:
        return self.final.paid_hours - self.first.paid_hours


def confirmed_misses(result: RunResult, confidence: float) -> dict[str, dict[int, tuple[str, ...]]]:
    """As `missed_targets`, judged on the one-sided `confidence` bound per interval and target
    (`studies.optimize.check_intervals`), not on the mean."""
    from planner.demand import assign_queues_to_groups
    from studies.optimize import check_intervals, target_constraints

    scenario = result.scenario
    constraints = [c for c in target_constraints(scenario) if c.kpi in SERVICE_TARGETS]
    assignment = assign_queues_to_groups(scenario)
    out: dict[str, dict[int, tuple[str, ...]]] = {}
    for k, check in enumerate(check_intervals(result, constraints, confidence)):
        for key in check.missed:
            kpi, _, queue = key.partition("@")
            group = assignment[queue or scenario.queues[0].name]
            mine = out.setdefault(group, {})
            mine[k] = tuple(sorted(set(mine.get(k, ())) | {kpi}, key=SERVICE_TARGETS.index))
    return {group: dict(sorted(entries.items())) for group, entries in out.items()}


def confirm_schedule(schedule: Schedule, replications: int, seed: int, confidence: float | None = None,
                     max_repairs: int = MAX_ROUNDS, time_limit_s: float = 60.0, executor=None, workers: int = 1,
                     on_replication_done=None, where: str = "", on_solver_progress=None) -> Confirmation:
    """The `Confirmation` of `schedule` (see there): simulated on fresh replications, repaired
    until it holds or after `max_repairs` rounds, with the LP bound of the answer's shift problem."""
    from planner.shifts import lp_bound
    from studies.optimize import CONFIRM_CONFIDENCE, CONFIRM_FIRST_REPLICATION

    confidence = CONFIRM_CONFIDENCE if confidence is None else confidence
    scenario = schedule.scenario
    agents = {name: list(v) for name, v in schedule.requirement.agents.items()}
    repairs = 0
    while True:
        result = run_scenarios([schedule.scheduled], replications, seed, workers, on_replication_done, executor,
                               sample_day=False, first_replication=CONFIRM_FIRST_REPLICATION)[0]
        missed = confirmed_misses(result, confidence)
        if not missed or repairs == max_repairs or schedule.solution.short:
            break
        repairs += 1
        for group, entries in missed.items():
            for k in entries:
                agents.setdefault(group, [0] * scenario.n_intervals)[k] = max(agents[group][k],
                                                                              schedule.staffing[group][k] + 1)
        raised = Requirement({k: tuple(v) for k, v in agents.items()},
                             f"{schedule.requirement.source}, raised out of sample (repair {repairs})")
        schedule = schedule_scenario(scenario, raised, schedule.shrinkage, time_limit_s, where, on_solver_progress)
    problems = _group_problems(scenario, scenario.shifts, schedule.requirement, schedule.slot_minutes, where)
    return Confirmation(seed, CONFIRM_FIRST_REPLICATION, replications, confidence, schedule, result, not missed,
                        repairs, missed, lp_bound(problems, schedule.shrinkage))


def schedule_by_simulation(scenario: Scenario, requirement: Requirement, shrinkage: float | None = None,
                           time_limit_s: float = 60.0, max_rounds: int = MAX_ROUNDS, replications: int | None = None,
                           seed: int | None = None, workers: int = 1, executor=None,
                           on_replication_done: Callable[[int, int], None] | None = None,
                           where: str = "", on_solver_progress=None, confirm_replications: int = 0) -> ByRounds:
    """The cutting-plane loop of the module docstring; with `confirm_replications`, its converged
    schedule is then confirmed out of sample (`confirm_schedule`)."""
    by_rounds = _rounds(scenario, requirement, shrinkage, time_limit_s, max_rounds, replications, seed, workers,
                        executor, on_replication_done, where, on_solver_progress)
    if not confirm_replications or not by_rounds.converged:
        return by_rounds
    seed = by_rounds.final_result.seed
    confirmation = confirm_schedule(by_rounds.final, confirm_replications, seed, None, max_rounds, time_limit_s,
                                    executor, workers, on_replication_done, where, on_solver_progress)
    return replace(by_rounds, confirmation=confirmation)


def _rounds(scenario, requirement, shrinkage, time_limit_s, max_rounds, replications, seed, workers, executor,
            on_replication_done, where, on_solver_progress) -> ByRounds:
    replications = replication_count(replications, scenario.simulation.replications)
    seed = scenario.simulation.seed if seed is None else seed
    agents = {name: list(v) for name, v in requirement.agents.items()}
    rounds: list[Round] = []
    first = None
    for number in range(1, max_rounds + 1):
        current = Requirement({k: tuple(v) for k, v in agents.items()},
                              requirement.source + ("" if number == 1 else f", raised by simulation (round {number})"))
        schedule = schedule_scenario(scenario, current, shrinkage, time_limit_s, where, on_solver_progress)
        first = first or schedule
        result = run_scenario(schedule.scheduled, replications=replications, seed=seed, workers=workers,
                              on_replication_done=on_replication_done, executor=executor)
        targets_missed = missed_targets(result)
        missed = {group: list(entries) for group, entries in targets_missed.items()}
        raised: dict[str, dict[int, int]] = {}
        if missed and number < max_rounds and not schedule.solution.short:
            for group, ks in missed.items():
                raised[group] = {k: schedule.staffing[group][k] + 1 for k in ks}
                for k, value in raised[group].items():
                    agents.setdefault(group, [0] * scenario.n_intervals)[k] = max(agents[group][k], value)
        day = {kpi: result.day[kpi].mean for kpi in ("service_level", "asa", "abandon_rate", "occupancy")}
        rounds.append(Round(number, schedule.paid_hours, schedule.solution.cost, schedule.solution.solver_status,
                            schedule.solution.mip_gap, schedule.solution.short,
                            {g: tuple(ks) for g, ks in missed.items()}, targets_missed, raised, day))
        if not missed:
            return ByRounds(first, schedule, result, tuple(rounds), True,
                            f"no interval misses a service target after {number} round{'s' if number > 1 else ''}")
        if schedule.solution.short:
            return ByRounds(first, schedule, result, tuple(rounds), False,
                            "the requirement cannot be covered (seats or shift caps): raising it further cannot help")
    return ByRounds(first, schedule, result, tuple(rounds), False,
                    f"round limit ({max_rounds}) reached with intervals still missing a target")


# --- the whole study, as `callsim schedule` runs it --------------------------------------------


def load_requirement(scenario: Scenario, path: str | Path | None = None) -> Requirement:
    """The requirement from a file (plan.csv or scenario YAML), or the scenario's Erlang plan."""
    return requirement_from_plan(scenario) if path is None else requirement_from_file(path, scenario)


@dataclass(frozen=True)
class ScheduleStudy:
    schedule: Schedule  # the schedule written out: the analytic one, or the loop's last
    verification: ScheduleVerification | None
    by_rounds: ByRounds | None


def run_schedule(scenario: Scenario, requirement: Requirement, shrinkage: float | None = None,
                 time_limit_s: float = 60.0, verify: bool = False, by_simulation: bool = False, max_rounds: int = MAX_ROUNDS,
                 replications: int | None = None, seed: int | None = None, workers: int = 1,
                 on_replication_done: Callable[[int, int], None] | None = None, where: str = "",
                 executor: Executor | None = None, on_solver_progress=None,
                 confirm_replications: int | None = None) -> ScheduleStudy:
    """Schedule, then optionally close the loop by simulation (confirmed out of sample on
    `confirm_replications` fresh replications, default studies.optimize.CONFIRM_FACTOR x the
    replications; 0: no confirmation) and verify the result beside the (original) requirement's
    staffing. One process pool serves every simulation."""
    from simulator.parallel import executor_for
    from studies.optimize import CONFIRM_FACTOR

    if confirm_replications is None:
        confirm_replications = CONFIRM_FACTOR * replication_count(replications, scenario.simulation.replications)

    if not (verify or by_simulation):
        return ScheduleStudy(schedule_scenario(scenario, requirement, shrinkage, time_limit_s, where, on_solver_progress),
                             None, None)
    with nullcontext(executor) if executor is not None else executor_for(workers) as executor:
        by_rounds = None
        if by_simulation:
            by_rounds = schedule_by_simulation(scenario, requirement, shrinkage, time_limit_s, max_rounds, replications,
                                               seed, workers, executor, on_replication_done, where,
                                               on_solver_progress, confirm_replications)
            schedule = by_rounds.answer
        else:
            schedule = schedule_scenario(scenario, requirement, shrinkage, time_limit_s, where, on_solver_progress)
        verification = None
        if verify:
            verification = verify_schedule(schedule, replications, seed, workers, on_replication_done, executor,
                                           requirement)
    return ScheduleStudy(schedule, verification, by_rounds)
