"""`callsim plan` as a study: the Erlang plan of a scenario, the planned scenario (the YAML text
that is written, read back), the change from a baseline plan, and, asked for, the plan verified
by simulation with its over-staffed intervals. Returns data; `presentation.plan_output` renders
it (tables, plan.csv, verify.csv, the planned YAML, plots, the report page and its prose)."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, ContextManager

from planner.plan import ScenarioPlan, plan_scenario
from planner.planned import planned_scenario, planned_yaml
from planner.verify import Verification, verify_plan
from simulator.scenario import Scenario

from .plan_diff import PlanDiff, diff_plans, plan_rows


@dataclass(frozen=True)
class PlanStudy:
    plan: ScenarioPlan
    planned_text: str  # <stem>.planned.yaml: the scenario with the plan's staffing
    planned: Scenario  # that text read back
    diff: PlanDiff | None = None  # against --baseline
    verification: Verification | None = None  # with --verify (or --report)
    slack: object | None = None  # studies.optimize.SlackReport: with the verification, unless no_slack


def plan_study(scenario: Scenario, model: str | None = None, shrinkage: float = 0.0, carry_over: bool = False,
               source: str = "", baseline_rows: list[dict] | None = None, baseline_name: str = "",
               verify: bool = False, slack: bool = True, replications: int | None = None, seed: int | None = None,
               open_executor: Callable[[], ContextManager] | None = None,
               on_replication_done: Callable[[int, int], None] | None = None) -> PlanStudy:
    """Plan `scenario` (`planner.plan.plan_scenario`; a `PlanError` is the user's to fix), write
    and read back the planned scenario, compare with `baseline_rows` (a plan.csv's rows, see
    `studies.plan_diff`) when given, and with `verify` simulate the planned staffing
    (`planner.verify.verify_plan`) and, with `slack`, find its spare agents, both on the
    executor `open_executor()` opens (only then: a pool or a cluster is not started for a plan
    that fails or is not simulated; None: in this process)."""
    plan = plan_scenario(scenario, model=model, shrinkage=shrinkage, carry_over=carry_over)
    planned_text = planned_yaml(plan, source=source)
    planned = planned_scenario(plan, planned_text)
    diff = None
    if baseline_rows is not None:
        diff = diff_plans(plan_rows(plan), baseline_rows, scenario.interval_minutes, baseline_name)
    if not verify:
        return PlanStudy(plan, planned_text, planned, diff)
    spare = None
    with (open_executor or contextlib.nullcontext)() as executor:
        verification = verify_plan(plan, planned, replications=replications, seed=seed,
                                   on_replication_done=on_replication_done, executor=executor)
        if slack:
            from .optimize import slack_intervals

            spare = slack_intervals(planned, verification.result, executor=executor)
    return PlanStudy(plan, planned_text, planned, diff, verification, spare)

