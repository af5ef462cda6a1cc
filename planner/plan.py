"""A staffing plan for a whole scenario: every interval, every queue, every agent group.

It reads a `Scenario`, derives each queue's demand (`planner.demand`), sizes each queue
interval by interval with the pure maths of `planner.staffing`, and maps the requirements onto
the agent groups. `planner.planned` writes the plan back into a scenario the simulator runs;
`planner.verify` compares the simulated day with what the maths promised. (`planner.erlang`
stays free of our imports; this module may import `simulator`.)

Sizing
------
Each queue is sized interval by interval with `required_agents_by_interval` against the
scenario's targets (service level, ASA, abandonment under Erlang A, occupancy band) and the
shrinkage. Model: Erlang A (M/M/N+M, mean patience from the queue's patience distribution) when
the queue's callers abandon, Erlang C when they never do; `model=` forces one for every queue.
Erlang C on a queue whose callers abandon is allowed: it ignores abandonment, so it sizes
conservatively and cannot size the abandonment target (the plan says so).

With a day-to-day forecast error (`arrivals.busyness_cv` > 0, e.g. from `callsim forecast`) each
interval gets the fewest agents whose targets hold on average over equally likely days of the
gamma-distributed volume (`required_agents_by_interval`'s `busyness_cv`), as the simulation averages its
replications; the note says how many agent-hours that added to the expected volume's plan.

Agent groups
------------
Each queue's requirement goes to its first-choice group (`planner.demand`). A group's staffing
is the sum of the requirements assigned to it; a group that is first choice for no queue is
planned at 0 agents (it still helps, in the simulation, with whatever it serves). Shared groups
are thus planned per queue: this ignores pooling (several queues on one group need fewer
agents than the sum) and the priority order (the lower-priority queue of a shared group can
wait longer than its own Erlang figure). The verification run checks the result.

The planned scenario's `staffing` is the number of agents on the phones in each interval (the
simulator has no shrinkage: every agent on shift takes calls); scheduled headcount =
agents / (1 - shrinkage) is reported beside it. With shrinkage 0 the two are equal.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Literal

from simulator.errors import UserError
from simulator.intents import scenario_routing
from simulator.routing import rules_that_matter
from simulator.numbers import finite_or_none
from simulator.scenario import Scenario

from .demand import (QueueDemand, assign_queues_to_groups, carry_over_rates_per_s, is_multi_skill,
                     makes_return_calls, queue_demand)
from .notes import Note
from .period_staffing import staff_periods
from .staffing import IntervalPlan, StaffingError, StaffingTargets, required_agents_by_interval, scheduled_agents

Model = Literal["erlang_c", "erlang_a"]
MODEL_NAMES = {"erlang_c": "Erlang C", "erlang_a": "Erlang A"}


class PlanError(UserError):
    """A plan that cannot be made from this scenario (e.g. a 100% service level target)."""


@dataclass(frozen=True)
class QueuePlan:
    demand: QueueDemand
    model: Model
    plan: IntervalPlan
    group: str


@dataclass(frozen=True)
class GroupPlan:
    name: str
    serves: tuple[str, ...]
    planned_queues: tuple[str, ...]  # queues whose requirements were assigned to this group
    agents: tuple[int, ...]  # on the phones: written to the planned scenario
    scheduled_agents: tuple[int, ...]  # headcount: agents / (1 - shrinkage), rounded up


@dataclass(frozen=True)
class ScenarioPlan:
    """The plan of a scenario: per queue and interval, per group, and what it approximates."""

    scenario: Scenario
    model_choice: str  # "auto", "erlang_c" or "erlang_a"
    shrinkage: float
    targets: StaffingTargets
    queues: tuple[QueuePlan, ...]
    groups: tuple[GroupPlan, ...]
    notes: tuple[Note, ...]  # codes and figures; each note's words: note.text
    carry_over: bool = False  # sized for the load carried (see carry_over_rates_per_s), not plain SIPP

    @property
    def labels(self) -> list[str]:
        return self.scenario.interval_labels()

    @property
    def multi_skill(self) -> bool:
        return is_multi_skill(self.scenario)

    def predicted(self) -> list[dict[str, float | None]]:
        """Planned KPIs over all queues, per interval then the day, defined as the simulator
        defines them: service_level and abandon_rate per call reaching a queue (first queue),
        asa per answered call, occupancy = answered load / agents. abandon_rate is None unless
        every queue is planned with Erlang A."""
        n = self.scenario.n_intervals
        interval_s = self.scenario.interval_s
        all_a = all(q.model == "erlang_a" for q in self.queues)
        rows = []
        sums = dict(first=0.0, within=0.0, abandoned=0.0, answered=0.0, wait=0.0, busy=0.0, agents=0.0, calls=0.0)
        for k in range(n + 1):
            s = dict.fromkeys(sums, 0.0)
            if k < n:
                for q in self.queues:
                    first = q.demand.first_calls[k]
                    p_ab = q.plan.p_abandon[k] or 0.0
                    answered = first * (1.0 - p_ab)
                    s["calls"] += q.demand.calls[k]
                    s["first"] += first
                    s["within"] += first * q.plan.service_level[k]
                    s["abandoned"] += first * p_ab
                    s["answered"] += answered
                    if answered > 0 and math.isfinite(q.plan.asa_s[k]):
                        s["wait"] += answered * q.plan.asa_s[k]
                    s["busy"] += q.plan.occupancy[k] * q.plan.agents[k] * interval_s
                    s["agents"] += q.plan.agents[k] * interval_s
                for key in sums:
                    sums[key] += s[key]
            else:
                s = sums
            rows.append({
                "calls": s["calls"],
                "agents": s["agents"] / interval_s / (1 if k < n else n),
                "service_level": s["within"] / s["first"] if s["first"] > 0 else None,
                "asa": s["wait"] / s["answered"] if s["answered"] > 0 else None,
                "abandon_rate": (s["abandoned"] / s["first"] if s["first"] > 0 else None) if all_a else None,
                "occupancy": s["busy"] / s["agents"] if s["agents"] > 0 else None,
            })
        return rows

    def predicted_by_queue(self) -> dict[str, list[dict[str, float | None]]]:
        """Planned KPIs of each queue, per interval then the day: its Erlang figures (the day
        weighted by the queue's calls, ASA by its answered calls); abandon_rate None under
        Erlang C. `calls` = expected calls whose final queue it is (what the simulator counts)."""
        out = {}
        n = self.scenario.n_intervals
        for q in self.queues:
            p, d = q.plan, q.demand
            rows = []
            for k in range(n):
                rows.append({
                    "calls": d.final_calls[k],
                    "service_level": finite_or_none(p.service_level[k]) if d.calls[k] > 0 else None,
                    "asa": finite_or_none(p.asa_s[k]) if d.calls[k] > 0 else None,
                    "abandon_rate": (finite_or_none(p.p_abandon[k]) if d.calls[k] > 0 else None) if q.model == "erlang_a"
                    else None,
                })
            calls = sum(d.calls)
            weights = [d.calls[k] * (1.0 - (rows[k]["abandon_rate"] or 0.0)) for k in range(n)]
            with_asa = [k for k in range(n) if rows[k]["asa"] is not None and weights[k] > 0]

            def weighted(kpi: str) -> float | None:
                known = [k for k in range(n) if rows[k][kpi] is not None and d.calls[k] > 0]
                total = sum(d.calls[k] for k in known)
                return sum(d.calls[k] * rows[k][kpi] for k in known) / total if total > 0 else None

            rows.append({
                "calls": sum(d.final_calls),
                "service_level": weighted("service_level") if calls > 0 else None,
                "asa": (sum(weights[k] * rows[k]["asa"] for k in with_asa) / sum(weights[k] for k in with_asa)
                        if with_asa else None),
                "abandon_rate": weighted("abandon_rate") if q.model == "erlang_a" and calls > 0 else None,
            })
            out[d.queue] = rows
        return out

    def predicted_by_group(self) -> dict[str, list[dict[str, float | None]]]:
        """Planned occupancy of each group that the plan staffs (first choice for some queue),
        per interval then the day: the answered load of the queues planned on it / its agents.
        Groups planned at 0 agents have no planned occupancy and are left out."""
        n = self.scenario.n_intervals
        out = {}
        for g in self.groups:
            if not g.planned_queues or sum(g.agents) == 0:
                continue
            mine = [q for q in self.queues if q.group == g.name]
            busy = [sum(q.plan.occupancy[k] * q.plan.agents[k] for q in mine
                        if q.plan.agents[k] > 0 and math.isfinite(q.plan.occupancy[k])) for k in range(n)]
            rows = [{"agents": float(g.agents[k]), "occupancy": busy[k] / g.agents[k] if g.agents[k] > 0 else None}
                    for k in range(n)]
            rows.append({"agents": sum(g.agents) / n, "occupancy": sum(busy) / sum(g.agents)})
            out[g.name] = rows
        return out


def _targets(scenario: Scenario, abandon: bool) -> StaffingTargets:
    t = scenario.targets
    return StaffingTargets(
        service_level_target=t.service_level.fraction,
        answer_time_threshold_s=t.service_level.within,
        asa_target_s=t.asa,
        max_abandon_rate=t.abandon_rate if abandon else None,
        occupancy_band=tuple(t.occupancy),
    )


def _sized(rates, demand: QueueDemand, targets: StaffingTargets, model: Model, patience: bool, shrinkage: float,
           busyness_cv: float = 0.0) -> IntervalPlan:
    """`required_agents_by_interval` for a queue's rates; when its handle time or patience changes
    through the day, each interval is sized with its own (and the plans joined)."""
    if not (demand.handle_time_by_interval_s or demand.patience_by_interval_s):
        return required_agents_by_interval(rates, demand.mean_handle_time_s, targets, model,
                                           demand.mean_patience_s if patience else None, shrinkage, busyness_cv)
    parts = [required_agents_by_interval([rate], demand.handle_time_s(k), targets, model,
                                         demand.patience_s(k) if patience else None, shrinkage, busyness_cv)
             for k, rate in enumerate(rates)]
    joined = {f.name: tuple(v for part in parts for v in getattr(part, f.name))
              for f in fields(IntervalPlan) if isinstance(getattr(parts[0], f.name), tuple)}
    return replace(parts[0], mean_handle_time_s=demand.mean_handle_time_s,
                   mean_patience_s=demand.mean_patience_s if patience else None, **joined)


def plan_scenario(scenario: Scenario, model: str | None = None, shrinkage: float = 0.0,
                  carry_over: bool = False) -> ScenarioPlan:
    """Plan every interval of every queue and map the requirements onto the agent groups.

    `model`: None (Erlang A for queues whose callers abandon, else Erlang C), "erlang_c" or
    "erlang_a" (every queue needs a patience distribution). `carry_over`: size each interval for
    the load agents carry, work in progress from earlier intervals included (see
    carry_over_rates_per_s), instead of its own arrivals (plain SIPP). Raises
    PlanError with a one-line message for a plan that cannot be made (e.g. a 100% service level
    target).
    """
    if model not in (None, "erlang_c", "erlang_a"):
        raise PlanError(f"model must be 'erlang_c' or 'erlang_a', got {model!r}")
    shrinkage = float(shrinkage)
    try:
        scheduled_agents(0, shrinkage)  # validates
    except StaffingError as exc:
        raise PlanError(str(exc)) from None
    demands = queue_demand(scenario)
    assignment = assign_queues_to_groups(scenario)
    notes: list[Note] = []
    queue_plans = []
    busy_agents = [0, 0]  # agent-intervals staffed, and those the expected volume alone would need
    judged_per = scenario.targets.judged_per
    if judged_per != "interval" and scenario.arrivals.busyness_cv > 0:
        raise PlanError(f"targets.judged_per: {judged_per} with arrivals.busyness_cv > 0 cannot be planned yet; judge "
                        "per interval, or leave busyness_cv out")
    per_interval_agents = [0, 0]  # agent-intervals with targets judged per period, and judged per interval
    for queue, demand in zip(scenario.queues, demands):
        if model == "erlang_a" and queue.patience is None:
            raise PlanError(f"queue '{queue.name}' has no patience distribution: Erlang A needs one; "
                             "use --model erlang-c or give the queue a patience")
        chosen: Model = model or ("erlang_a" if queue.patience is not None else "erlang_c")
        targets = _targets(scenario, abandon=chosen == "erlang_a")
        rates = demand.arrival_rates_per_s
        if carry_over:
            rates = carry_over_rates_per_s(rates, demand.handle_time_by_interval_s or demand.mean_handle_time_s,
                                           scenario.interval_s)
        patience = chosen == "erlang_a"
        try:
            interval_plan = _sized(rates, demand, targets, chosen, patience, shrinkage, scenario.arrivals.busyness_cv)
        except StaffingError as exc:
            raise PlanError(f"queue '{queue.name}': {exc}") from None
        if judged_per != "interval":  # the cheapest agents whose pooled figures meet each period's targets
            per_interval_agents[1] += sum(interval_plan.agents)
            interval_plan = staff_periods(interval_plan, scenario.period_of_intervals(),
                                          [demand.handle_time_s(k) for k in range(scenario.n_intervals)],
                                          [demand.patience_s(k) if patience else None
                                           for k in range(scenario.n_intervals)])
            per_interval_agents[0] += sum(interval_plan.agents)
        if scenario.arrivals.busyness_cv > 0:  # what the expected volume alone needs, for the note
            expected = _sized(rates, demand, targets, chosen, patience, shrinkage)
            busy_agents[0] += sum(interval_plan.agents)
            busy_agents[1] += sum(expected.agents)
        queue_plans.append(QueuePlan(demand, chosen, interval_plan, assignment[queue.name]))
        if "occupancy_cap" in interval_plan.binding_constraint:
            uncapped = _sized(
                rates, demand,
                StaffingTargets(targets.service_level_target, targets.answer_time_threshold_s, targets.asa_target_s,
                                targets.max_abandon_rate, (0.0, 1.0)),
                chosen, patience, shrinkage,
            )
            hours = scenario.interval_minutes / 60.0
            extra = (sum(interval_plan.agents) - sum(uncapped.agents)) * hours
            notes.append(Note("occupancy_cap", dict(
                queue=queue.name, cap=targets.occupancy_band[1],
                intervals=interval_plan.binding_constraint.count("occupancy_cap"), extra_h=extra,
                base_h=sum(uncapped.agents) * hours)))
        if chosen == "erlang_c" and queue.patience is not None:
            notes.append(Note("erlang_c_abandon", dict(queue=queue.name, patience_s=queue.patience.mean_s)))
        if chosen == "erlang_a" and queue.patience is not None and queue.patience.dist != "exponential":
            notes.append(Note("patience_shape", dict(queue=queue.name, dist=queue.patience.dist,
                                                     patience_s=queue.patience.mean_s)))
    n = scenario.n_intervals
    groups = []
    for group in scenario.agents:
        mine = [q for q in queue_plans if q.group == group.name]
        agents = tuple(int(sum(q.plan.agents[k] for q in mine)) for k in range(n))
        groups.append(GroupPlan(
            name=group.name, serves=tuple(group.serves), planned_queues=tuple(q.demand.queue for q in mine),
            agents=agents, scheduled_agents=tuple(scheduled_agents(a, shrinkage) for a in agents),
        ))
    if scenario.ivr is not None:
        routing = scenario_routing(scenario)
        notes.append(Note("ivr_shares", dict(contained=routing.contained, hang_up=routing.hang_up,
                                             announcement=scenario.ivr.announcement is not None,
                                             misrouted=sum(routing.misroute.values()))))
    if is_multi_skill(scenario):
        notes.append(Note("multi_skill", {}))
        idle = [g.name for g in groups if not g.planned_queues]
        if idle:
            notes.append(Note("idle_groups", dict(groups=idle)))
    if makes_return_calls(scenario):
        notes.append(Note("return_calls", {}))
    if scenario.arrivals.busyness_cv > 0:
        hours = scenario.interval_minutes / 60.0
        notes.append(Note("busyness", dict(cv=scenario.arrivals.busyness_cv,
                                           extra_h=(busy_agents[0] - busy_agents[1]) * hours, base_h=busy_agents[1] * hours)))
    if any(q.balk_probability > 0 for q in scenario.queues):
        notes.append(Note("balking", {}))
    if any(q.callback is not None for q in scenario.queues):
        notes.append(Note("callbacks", {}))
    prioritised = [q.name for q in scenario.queues if q.priority_classes]
    if prioritised:
        notes.append(Note("priority_classes", dict(queues=prioritised)))
    overflowing = [q.name for q in scenario.queues if q.overflow is not None]
    if overflowing:
        notes.append(Note("overflow", dict(queues=overflowing)))
    spread, by_age = rules_that_matter(scenario)
    if spread or by_age:
        notes.append(Note("routing", dict(agent_selection=spread, call_selection=by_age)))
    if shrinkage > 0:
        notes.append(Note("shrinkage", dict(shrinkage=shrinkage)))
    if carry_over:
        notes.append(Note("carry_over", {}))
    elif judged_per == "interval":
        notes.append(Note("sipp", {}))
    if judged_per != "interval":
        hours = scenario.interval_minutes / 60.0
        notes.append(Note("judged_per", dict(per=judged_per, hours=per_interval_agents[0] * hours,
                                             per_interval_h=per_interval_agents[1] * hours)))
    return ScenarioPlan(scenario, model or "auto", shrinkage, _targets(scenario, abandon=True),
                        tuple(queue_plans), tuple(groups), tuple(notes), carry_over)
