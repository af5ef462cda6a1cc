"""A week of tours for a multi-day scenario (`days:` and `shifts.contracts:`), and its roster.

Requirements per (day, interval): the Erlang plan of each open day (`Scenario.on_day`, then
`studies.schedule.requirement_from_plan`), on the same slot grid as the one-day schedule
(`studies.schedule.slot_minutes`); a closed day requires nobody and nobody works it. Each agent
group gets its own `planner.tours.WeekProblem` (its contracts' types open to it, its seats);
the shift types' costs are the one-day schedule's. With an agents file, the tours of each group
go to the agents listing that group (`planner.roster.assign_roster`), in the scenario's group
order, an agent rostered once.

The agents file (CSV, one agent a row): name, contract, groups (";"-separated), and optional
unavailable and preferred_off (";"-separated dates YYYY-MM-DD or weekdays mon..sun), and
weekends_before, late_before (counts from recent weeks, for the rotation). A shift is "late"
when it ends in the last two hours of the day.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planner.roster import AgentSpec, Roster, RosterError, assign_roster
from planner.tours import Contract, TourProblemError, WeekProblem, WeekSchedule, solve_week
from simulator.csv_files import read_csv_rows
from simulator.days import WEEKDAY_NAMES
from simulator.scenario import Scenario
from studies.schedule import (Requirement, ScheduleError, _group_problems, interval_sums, requirement_from_plan,
                              scheduled_scenario, slot_minutes, staffing_from_slots)

MAX_AGENTS_FILE_BYTES = 2_000_000


@dataclass(frozen=True)
class WeekStudy:
    scenario: Scenario
    slot_minutes: int
    required: dict[str, tuple[tuple[float, ...], ...]]  # group -> day -> slot: agents on the phones
    weeks: dict[str, WeekSchedule]  # group -> its tours
    roster: dict[str, Roster] | None  # group -> its agents' tours (with an agents file)
    shrinkage: float

    @property
    def dates(self) -> tuple[str, ...]:
        return tuple(day.date for day in self.scenario.days)

    @property
    def weekdays(self) -> tuple[int, ...]:
        return tuple(day.weekday for day in self.scenario.days)

    def paid_cost(self, group: str) -> tuple[tuple[float, ...], ...]:
        """Per day and interval, what the group's tours are paid there (the one price,
        simulator/cost.py: paid breaks included, unpaid ones not): sums to the week's cost."""
        per = self.scenario.interval_minutes // self.slot_minutes
        return tuple(interval_sums(day, per) for day in self.weeks[group].paid_cost_by_slot())

    def scheduled_day(self, d: int) -> Scenario:
        """Day `d` as the tours staff it, through the one-day schedule's writer
        (`studies.schedule.scheduled_scenario`): staffing on the phones and `paid_cost` per interval,
        so `run` prices the day as the tours do."""
        per = self.scenario.interval_minutes // self.slot_minutes
        on_phones = {g: np.asarray(week.at_desk[d], dtype=float) * (1.0 - self.shrinkage)
                     for g, week in self.weeks.items()}
        return scheduled_scenario(self.scenario.on_day(d), {g: staffing_from_slots(v, per) for g, v in on_phones.items()},
                                  {g: self.paid_cost(g)[d] for g in self.weeks})


def _requirements(scenario: Scenario, slot: int, where: str):
    """Per group, per day, per slot: the day's Erlang plan (zeros on a closed day); and the
    groups' shift types on the slot grid (the same every day)."""
    rules = scenario.shifts
    required: dict[str, list[tuple[float, ...]]] = {g.name: [] for g in scenario.agents}
    types = {}
    for d, day in enumerate(scenario.days):
        one_day = scenario.on_day(d)
        if day.closed or not any(one_day.arrivals.calls):
            zero = Requirement({g.name: (0,) * scenario.n_intervals for g in scenario.agents}, "closed")
            problems = _group_problems(one_day, rules, zero, slot, where)
        else:
            try:
                requirement = requirement_from_plan(one_day)
                problems = _group_problems(one_day, rules, requirement, slot, where)
            except ScheduleError as exc:
                raise ScheduleError(f"{day.date} ({day.weekday_name}): {exc}") from None
        for problem in problems:
            required[problem.name].append(problem.required)
            types[problem.name] = problem
    return {name: tuple(rows) for name, rows in required.items()}, types


def week_problems(scenario: Scenario, slot: int, where: str = ""):
    """Per group: the WeekProblem of planner.tours, and the requirement it covers."""
    rules = scenario.shifts
    required, groups = _requirements(scenario, slot, where)
    problems = {}
    for name, group in groups.items():
        by_name = {t.name: t for t in group.shift_types}
        contracts = []
        for rule in rules.contracts:
            mine = tuple(by_name[t] for t in rule.types if t in by_name)
            if not mine:
                continue
            hours = rule.weekly_hours or (0.0, None)
            slots_per_hour = 60 / slot
            contracts.append(Contract(
                rule.name, mine, tuple(rule.days_per_week), rule.consecutive_days_off,
                (math.ceil(hours[0] * slots_per_hour - 1e-9),
                 None if hours[1] is None else math.floor(hours[1] * slots_per_hour + 1e-9)),
                rule.start_band_minutes // slot, rule.max_agents, rule.max_share, rule.max_weekend_share))
        if not contracts:
            if any(any(row) for row in required[name]):
                raise ScheduleError(f"{where}shifts.contracts: no contract works a shift type open to agent group "
                                    f"'{name}'; list one of its types in a contract")
            continue
        problems[name] = WeekProblem(required[name], tuple(day.weekday for day in scenario.days), tuple(contracts),
                                     slot, tuple(not day.closed for day in scenario.days),
                                     int(round(rules.min_rest_hours * 60)), group.seats)
    return problems, required


def schedule_week(scenario: Scenario, shrinkage: float | None = None, time_limit_s: float = 60.0,
                  agents_path: str | Path | None = None, where: str = "") -> WeekStudy:
    """Weekly tours for every group (proven optimum or the gap reached in the time limit), and
    the roster if an agents file is given. Raises ScheduleError (one line) for rules that cannot
    cover the week, naming the day and the intervals left short."""
    if scenario.days is None or scenario.shifts is None or scenario.shifts.contracts is None:
        raise ScheduleError(f"{where}a weekly schedule needs days: and shifts.contracts: in the scenario")
    rules = scenario.shifts
    shrinkage = rules.shrinkage if shrinkage is None else shrinkage
    slot = slot_minutes(scenario, rules)
    problems, required = week_problems(scenario, slot, where)
    weeks = {}
    for name, problem in problems.items():
        try:
            weeks[name] = solve_week(problem, shrinkage, time_limit_s)
        except TourProblemError as exc:
            raise ScheduleError(f"{where}shifts.contracts: {_short_words(exc, scenario, slot, name)}") from None
        except RuntimeError:
            raise ScheduleError(f"{where}no week for group '{name}' found within {3 * time_limit_s:g} s (three times "
                                "--time-limit); raise --time-limit") from None
    roster = None
    if agents_path is not None:
        agents = read_agents(agents_path, scenario)
        roster = roster_week(weeks, agents, scenario, slot, agents_path)
    return WeekStudy(scenario, slot, required, weeks, roster, shrinkage)


def _short_words(exc: TourProblemError, scenario: Scenario, slot: int, group: str) -> str:
    if not exc.short:
        return str(exc)
    by_day: dict[int, list[int]] = {}
    for d, j, _ in exc.short:
        by_day.setdefault(d, []).append(j)
    d, slots = next(iter(sorted(by_day.items())))
    day = scenario.days[d]
    start = int(scenario.start_s // 60)
    clocks = [f"{(start + j * slot) // 60 % 24:02d}:{(start + j * slot) % 60:02d}" for j in slots]
    shown = ", ".join(clocks[:6]) + (f" and {len(clocks) - 6} more" if len(clocks) > 6 else "")
    more = f" (and {len(by_day) - 1} other days)" if len(by_day) > 1 else ""
    missing = sum(m for _, _, m in exc.short)
    return (f"{exc} for group '{group}': on {day.date} ({day.weekday_name}) short at {shown}{more}, "
            f"{missing:g} agent-slots in all; allow more agents, days or starts")


# --- agents and the roster ---------------------------------------------------------------------

AGENT_COLUMNS = ("name", "contract", "groups")


def _days_cell(cell: str, scenario: Scenario, where: str) -> tuple[int, ...]:
    out = []
    for item in filter(None, (part.strip() for part in cell.split(";"))):
        lowered = item[:3].lower()
        dates = [day.date for day in scenario.days]
        if item in dates:
            out.append(dates.index(item))
        elif lowered in [w.lower() for w in WEEKDAY_NAMES] and len(item) >= 3:
            out += [d for d, day in enumerate(scenario.days) if day.weekday_name.lower() == lowered]
        else:
            raise ScheduleError(f"{where}: '{item}' is neither a date of the scenario ({dates[0]} to {dates[-1]}) nor "
                                "a weekday (mon..sun); separate days with ';'")
    return tuple(sorted(set(out)))


def read_agents(path: str | Path, scenario: Scenario) -> list[tuple[AgentSpec, tuple[str, ...]]]:
    """The agents file (see the module docstring): (agent, groups) per row."""
    rows = read_csv_rows(path, MAX_AGENTS_FILE_BYTES, "give a CSV with columns name, contract, groups")
    if not rows:
        raise ScheduleError(f"{path}: the file is empty; give a header name, contract, groups and one row an agent")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in AGENT_COLUMNS if c not in header]
    if missing:
        raise ScheduleError(f"{path}:1: no column {', '.join(missing)}; the agents file needs name, contract, groups "
                            "(and optional unavailable, preferred_off, weekends_before, late_before)")
    groups = [g.name for g in scenario.agents]
    contracts = [c.name for c in scenario.shifts.contracts]
    out, names = [], set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
        where = f"{path}:{line}"
        name = cells["name"]
        if not name:
            raise ScheduleError(f"{where}: name is empty; give every agent a name")
        if name in names:
            raise ScheduleError(f"{where}: agent '{name}' is listed twice; one row an agent")
        names.add(name)
        if cells["contract"] not in contracts:
            raise ScheduleError(f"{where}: unknown contract '{cells['contract']}'; the scenario's contracts are: "
                                f"{', '.join(contracts)}")
        mine = tuple(g.strip() for g in cells["groups"].split(";") if g.strip())
        for group in mine:
            if group not in groups:
                raise ScheduleError(f"{where}: unknown agent group '{group}'; the scenario's groups are: "
                                    f"{', '.join(groups)}")
        if not mine:
            raise ScheduleError(f"{where}: groups is empty; name the agent's group(s), ';'-separated")
        unavailable = _days_cell(cells.get("unavailable", ""), scenario, f"{where}: unavailable")
        preferred = _days_cell(cells.get("preferred_off", ""), scenario, f"{where}: preferred_off")
        counts = []
        for key in ("weekends_before", "late_before"):
            text = cells.get(key, "") or "0"
            if not text.isdigit():
                raise ScheduleError(f"{where}: {key} must be a whole number >= 0, got {text!r}")
            counts.append(int(text))
        out.append((AgentSpec(name, cells["contract"], unavailable, preferred, *counts), mine))
    if not out:
        raise ScheduleError(f"{path}: no agents in the file; one row an agent under the header")
    return out


def roster_week(weeks: dict[str, WeekSchedule], agents: list[tuple[AgentSpec, tuple[str, ...]]], scenario: Scenario,
                slot: int, path) -> dict[str, Roster]:
    """Each group's tours to its agents, in the scenario's group order (an agent rostered once)."""
    used: set[str] = set()
    late_from = scenario.n_intervals * scenario.interval_minutes // slot - 120 // slot
    out = {}
    for group in (g.name for g in scenario.agents):
        if group not in weeks:
            continue
        mine = [spec for spec, groups in agents if group in groups and spec.name not in used]
        try:
            out[group] = assign_roster(weeks[group].tours, mine, tuple(d.weekday for d in scenario.days), late_from)
        except RosterError as exc:
            raise ScheduleError(f"{path}: group '{group}': {exc}") from None
        used |= {line.agent for line in out[group].lines if line.tour is not None}
    return out
