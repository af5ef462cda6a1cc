"""The planned scenario: a scenario file whose staffing is a plan's, runnable by `callsim run`."""
from __future__ import annotations

import yaml

from simulator.loading import dump_scenario_yaml, scenario_from_dict
from simulator.scenario import Scenario
from simulator.schema_base import MAX_AGENTS

from .plan import MODEL_NAMES, ScenarioPlan


def planned_yaml(plan: ScenarioPlan, source: str = "") -> str:
    """The scenario with the planned staffing, as YAML that `callsim run` accepts."""
    models = " and ".join(sorted({MODEL_NAMES[q.model] for q in plan.queues}))
    header = [
        f"# Planned staffing for '{plan.scenario.name}'" + (f" ({source})" if source else ""),
        f"# Written by 'callsim plan' ({models}, shrinkage {plan.shrinkage:g}); staffing = agents on the phones "
        "per interval.",
    ]
    if plan.shrinkage > 0:
        for g in plan.groups:
            header.append(f"# {g.name}: scheduled headcount with {plan.shrinkage:.0%} shrinkage: "
                          f"{', '.join(str(v) for v in g.scheduled_agents)}")
    scenario = plan.scenario.with_staffing(
        {g.name: g.agents for g in plan.groups}, what="the plan",
        advice=f"a group holds at most {MAX_AGENTS:,} agents: check arrivals.calls and the talk times, or split the group")
    return dump_scenario_yaml(scenario, header)


def planned_scenario(plan: ScenarioPlan, text: str | None = None) -> Scenario:
    """The planned scenario, validated from exactly the YAML text that is written."""
    text = planned_yaml(plan) if text is None else text
    return scenario_from_dict(yaml.safe_load(text), source="planned scenario")
