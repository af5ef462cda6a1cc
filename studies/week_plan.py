"""`callsim plan` on a scenario with `days:`: every open date planned on its own (its calls and
opening hours, `Scenario.on_day`, then `planner.plan.plan_scenario`), the planned week (each
date's `staffing` its plan's agents on the phones) written as one scenario that `callsim run`
simulates, and with `--verify` that week simulated as one timeline (`simulator.timeline`), hits
and misses per (date, interval) by the simulated mean (`studies.week_check.judge`). A closed date
has no plan. A date's plan is the one-day plan: the carry-over of callers waiting at a close into
the next open hours is not planned for (the simulation shows it)."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, ContextManager

import yaml

from planner.plan import ScenarioPlan, plan_scenario
from simulator.loading import dump_scenario_yaml, scenario_from_dict
from simulator.scenario import Scenario, replication_count
from simulator.schema_base import revised

from .week_check import Judged, judge


@dataclass(frozen=True)
class WeekPlan:
    scenario: Scenario
    plans: tuple[ScenarioPlan | None, ...]  # per date; None when closed
    planned_text: str  # <stem>.planned.yaml: the week with each date's planned staffing
    planned: Scenario  # that text read back
    judged: Judged | None = None  # with --verify: the planned week simulated


def written_week(scenario: Scenario, days, header: list[str], what: str) -> tuple[str, Scenario]:
    """The week with these `days` (each date's staffing) as the YAML a command writes, and that
    text read back as `callsim run` will read it."""
    text = dump_scenario_yaml(revised(scenario, days=tuple(days)), header)
    return text, scenario_from_dict(yaml.safe_load(text), source=what)


def plan_week(scenario: Scenario, model: str | None = None, shrinkage: float = 0.0, carry_over: bool = False,
              source: str = "", verify: bool = False, replications: int | None = None, seed: int | None = None,
              open_executor: Callable[[], ContextManager] | None = None,
              on_replication_done: Callable[[int, int], None] | None = None) -> WeekPlan:
    """Plan each open date, write and read back the planned week, and with `verify` simulate it
    on replications 0 .. R-1 (the scenario's seed unless `seed`)."""
    plans = tuple(None if day.closed else plan_scenario(scenario.on_day(d), model=model, shrinkage=shrinkage,
                                                         carry_over=carry_over)
                  for d, day in enumerate(scenario.days))
    days = tuple(day if plan is None else revised(day, staffing={g.name: tuple(g.agents) for g in plan.groups})
                 for day, plan in zip(scenario.days, plans))
    header = [f"# Planned staffing for '{scenario.name}'" + (f" ({source})" if source else "") + ", per date",
              f"# Written by 'callsim plan' (shrinkage {shrinkage:g}); days[].staffing = each date's agents on the "
              "phones per interval; 'callsim run' on this file simulates the planned week."]
    planned_text, planned = written_week(scenario, days, header, "planned scenario")
    if not verify:
        return WeekPlan(scenario, plans, planned_text, planned)
    replications = replication_count(replications, scenario.simulation.replications)
    seed = scenario.simulation.seed if seed is None else seed
    with (open_executor or contextlib.nullcontext)() as executor:
        judged = judge(planned, replications, seed, executor=executor, on_replication_done=on_replication_done)
    return WeekPlan(scenario, plans, planned_text, planned, judged)
