"""A staffing plan for a whole scenario: every interval, every queue, every agent group.

This is the planner's bridge to the simulator: it reads a `Scenario`, sizes it with the pure
maths of `planner.staffing`, writes the planned staffing back into a scenario the simulator
runs, and compares the simulated day with what the maths promised. (`planner.erlang` and
`planner.staffing` stay free of our imports; this module may import `simulator`.)

Demand per queue
----------------
Expected calls per interval come from `arrivals.calls` (Poisson means). Without an IVR they are
split by `arrivals.queue_shares` (one queue: all of them). With an IVR the share reaching each
queue is computed *exactly* by walking the menu tree (a DAG, checked acyclic by the schema) and
multiplying the probabilities: per menu visit a caller hangs up (`hang_up`), fails to choose
(`no_input`; after `retries` replays it goes to `default`) or picks an option by `share`, so
a menu passes on `hang_up·S`, `(1 - hang_up - no_input)·S` and `no_input^(retries+1)` with
S = sum of no_input^k for k = 0..retries. Self-service contains `success`, the rest go to its
`on_failure` queue; the announcement's `hang_up_satisfied` (per interval) removes its share
first. No sampling is involved, so the plan is deterministic and exactly the expectation of the
simulator's `ivr.walk` (a test compares the two). Time spent in the IVR (under a minute) is
ignored: a call's queue arrival is counted in the interval in which it called.

A misrouted call lands in the wrong queue W, costs the first agent there the transfer time and
then joins the right queue R at the front. So W's demand gains the call with the transfer time
as handle time, and R's demand gains it with R's own handle time. A queue's handle time is
therefore the call-weighted mean of its own AHT (mean talk + mean ACW of the queue's
distributions) and the transfer times it absorbs.

Sizing
------
Each queue is sized interval by interval with `required_agents_by_interval` against the
scenario's targets (service level, ASA, abandonment under Erlang A, occupancy band) and the
shrinkage. Model: Erlang A (M/M/N+M, mean patience from the queue's patience distribution) when
the queue's callers abandon, Erlang C when they never do; `model=` forces one for every queue.
Erlang C on a queue whose callers abandon is allowed: it ignores abandonment, so it sizes
conservatively and cannot size the abandonment target (the plan says so).

Agent groups
------------
Queue requirements are mapped onto groups by one rule: each queue's requirement goes to the
group that ranks the queue highest in its `serves` list (its first-choice group); ties go to
the group serving fewer queues (the specialist), then to the group listed first. A group's
staffing is the sum of the requirements assigned to it; a group that is first choice for no
queue is planned at 0 agents (it still helps, in the simulation, with whatever it serves).
Shared groups are thus planned per queue: this ignores pooling (several queues on one group
need fewer agents than the sum) and the priority order (the lower-priority queue of a shared
group can wait longer than its own Erlang figure). The verification run checks the result.

The planned scenario's `staffing` is the number of agents on the phones in each interval (the
simulator has no shrinkage: every agent on shift takes calls); scheduled headcount =
agents / (1 - shrinkage) is reported beside it. With shrinkage 0 the two are equal.

Verification
------------
`verify_plan` runs the simulator on the planned scenario and compares, per interval and for the
day, the planned KPIs (per-queue Erlang figures combined as the simulator defines its KPIs:
service level and abandonment over calls reaching a queue, ASA over answered calls, occupancy
as answered load over agents) with the simulated means and 95% CIs over all queues. With
several queues it also compares each queue on its own: the queue's Erlang service level, ASA
and abandonment (Erlang A) beside the simulator's per-queue KPIs (calls whose final queue it
is, whichever group answered them); with several groups, each group's planned occupancy (the
answered load of the queues planned on it / its agents; groups planned at 0 agents have none
and are left out) beside its simulated occupancy (whichever queue the work came from). The
combined view averages a starved lower-priority queue away; the per-queue view shows it. A
KPI is a *miss* where the plan met its target (for occupancy: the band's upper end) and the
simulation's whole 95% CI is on the wrong side of it. Each miss carries the likely reasons
(`model_gaps`): the scenario's departures from the Erlang assumptions that can make the
simulation fall short (handle-time cv > 1, non-exponential patience or Erlang C on abandoning
callers, balking, callbacks, day-to-day volume, IVR transfers, multi-skill groups), and, where
the simulated interval shows them, a load change from the previous interval and calls the plan
did not count (redials, repeat calls); for one queue or group, only those that concern it.
Departures that only help (handle times less variable than exponential) are not offered as
reasons; when nothing applies the reason is "transient" (steady-state figures on a
short interval).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np
import yaml

from simulator.ivr import HANG_UP, Ivr
from simulator.loading import scenario_from_dict
from simulator.run import Estimate, RunResult, run_scenario
from simulator.scenario import Scenario

from .staffing import FLAG_DESCRIPTIONS, IntervalPlan, StaffingTargets, required_agents_by_interval, scheduled_agents

__all__ = [
    "GroupPlan",
    "IvrRouting",
    "KpiCheck",
    "QueueDemand",
    "QueuePlan",
    "ScenarioPlan",
    "Verification",
    "VerifyRow",
    "assign_queues_to_groups",
    "is_multi_skill",
    "ivr_routing",
    "model_gaps",
    "plan_document",
    "plan_scenario",
    "planned_scenario",
    "planned_yaml",
    "queue_demand",
    "verification_document",
    "verify_plan",
]

Model = Literal["erlang_c", "erlang_a"]
MODEL_NAMES = {"erlang_c": "Erlang C", "erlang_a": "Erlang A"}


# --- demand ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IvrRouting:
    """Where a call that enters the menus ends, as probabilities (exact, see module docstring).

    Attributes:
        to_queue: queue -> probability of reaching it correctly routed.
        misroute: (wrong queue, right queue) -> probability.
        misroute_transfer_s: (wrong queue, right queue) -> mean transfer time, seconds.
        contained: probability of ending in self-service successfully.
        hang_up: probability of hanging up in the menus.
    """

    to_queue: dict[str, float]
    misroute: dict[tuple[str, str], float]
    misroute_transfer_s: dict[tuple[str, str], float]
    contained: float
    hang_up: float


def ivr_routing(ivr: Ivr, queue_names: list[str]) -> IvrRouting:
    """Exact end-of-walk probabilities of the menu tree (announcement not included)."""
    menus = {m.name: m for m in ivr.menus}
    services = {s.name: s for s in ivr.self_service}
    to_queue = {name: 0.0 for name in queue_names}
    misroute: dict[tuple[str, str], float] = {}
    transfer_time: dict[tuple[str, str], float] = {}  # probability-weighted sum, divided below
    totals = {"contained": 0.0, "hang_up": 0.0}

    def reach(target: str, p: float, wrong=None) -> None:
        if p == 0.0:
            return
        if target in menus:
            visit(menus[target], p)
        elif target in services:
            service = services[target]
            totals["contained"] += p * service.success
            to_queue[service.on_failure] += p * (1.0 - service.success)
        elif target == HANG_UP:
            totals["hang_up"] += p
        else:  # a queue
            share = wrong.share if wrong is not None else 0.0
            to_queue[target] += p * (1.0 - share)
            if share > 0.0:
                key = (wrong.queue, target)
                misroute[key] = misroute.get(key, 0.0) + p * share
                transfer_time[key] = transfer_time.get(key, 0.0) + p * share * wrong.transfer_time.mean_s

    def visit(menu, p: float) -> None:
        attempts = sum(menu.no_input ** k for k in range(menu.retries + 1))
        totals["hang_up"] += p * menu.hang_up * attempts
        chose = p * (1.0 - menu.hang_up - menu.no_input) * attempts
        for option in menu.options:
            reach(option.to, chose * option.share, option.misroute)
        if menu.no_input > 0.0:
            reach(menu.default, p * menu.no_input ** (menu.retries + 1))

    start = ivr.start or ivr.menus[0].name
    visit(menus[start], 1.0)
    return IvrRouting(
        to_queue=to_queue,
        misroute=misroute,
        misroute_transfer_s={key: transfer_time[key] / p for key, p in misroute.items()},
        contained=totals["contained"],
        hang_up=totals["hang_up"],
    )


@dataclass(frozen=True)
class QueueDemand:
    """What one queue's agents must handle, per interval.

    Attributes:
        queue: queue name.
        calls: expected calls needing this queue's agents per interval: calls routed here,
            calls misrouted here (handled for the transfer time) and calls transferred in.
        first_calls: expected calls whose first queue is this one (routed or misrouted here):
            the denominator of the simulator's service level and abandonment.
        arrival_rates_per_s: calls / interval length.
        mean_handle_time_s: call-weighted mean handle time (own AHT, transfer times).
        own_handle_time_s: mean talk + mean ACW of the queue.
        mean_patience_s: mean of the queue's patience distribution, None if callers never abandon.
        final_calls: expected calls whose final queue is this one (routed here, or transferred in):
            the calls the simulator's per-queue KPIs count (a misrouted caller who hangs up in the
            wrong queue is counted there; that small share is left out here).
    """

    queue: str
    calls: tuple[float, ...]
    first_calls: tuple[float, ...]
    arrival_rates_per_s: tuple[float, ...]
    mean_handle_time_s: float
    own_handle_time_s: float
    mean_patience_s: float | None
    final_calls: tuple[float, ...] = ()


def _entering_calls(scenario: Scenario) -> np.ndarray:
    """Expected calls per interval that pass the announcement (all calls without an IVR)."""
    calls = np.asarray(scenario.arrivals.calls, dtype=float)
    if scenario.ivr is not None:
        calls = calls * (1.0 - scenario.ivr.satisfied_share(np.arange(scenario.n_intervals)))
    return calls


def queue_demand(scenario: Scenario) -> list[QueueDemand]:
    """Expected demand on every queue (see the module docstring for the routing)."""
    names = [q.name for q in scenario.queues]
    own_aht = {q.name: q.talk_time.mean_s + q.acw.mean_s for q in scenario.queues}
    direct = dict.fromkeys(names, 0.0)  # share of entering calls, by first queue, correctly routed
    missed_in = dict.fromkeys(names, 0.0)  # share arriving here by mistake
    missed_in_work = dict.fromkeys(names, 0.0)  # share x transfer time
    transferred_in = dict.fromkeys(names, 0.0)
    if scenario.ivr is not None:
        routing = ivr_routing(scenario.ivr, names)
        direct.update(routing.to_queue)
        for (wrong, right), p in routing.misroute.items():
            missed_in[wrong] += p
            missed_in_work[wrong] += p * routing.misroute_transfer_s[(wrong, right)]
            transferred_in[right] += p
    elif len(names) == 1:
        direct[names[0]] = 1.0
    else:
        shares = scenario.arrivals.queue_shares or {}
        direct.update({name: float(shares.get(name, 0.0)) for name in names})
    entering = _entering_calls(scenario)
    demands = []
    for queue in scenario.queues:
        name = queue.name
        share = direct[name] + missed_in[name] + transferred_in[name]
        work = (direct[name] + transferred_in[name]) * own_aht[name] + missed_in_work[name]
        aht = work / share if share > 0.0 else own_aht[name]
        calls = entering * share
        demands.append(QueueDemand(
            queue=name,
            calls=tuple(float(c) for c in calls),
            first_calls=tuple(float(c) for c in entering * (direct[name] + missed_in[name])),
            arrival_rates_per_s=tuple(float(c) / scenario.interval_s for c in calls),
            mean_handle_time_s=float(aht),
            own_handle_time_s=float(own_aht[name]),
            mean_patience_s=None if queue.patience is None else float(queue.patience.mean_s),
            final_calls=tuple(float(c) for c in entering * (direct[name] + transferred_in[name])),
        ))
    return demands


# --- groups ----------------------------------------------------------------------------------


def assign_queues_to_groups(scenario: Scenario) -> dict[str, str]:
    """queue -> the group its requirement is planned on (first-choice group; see module doc)."""
    assignment = {}
    for queue in scenario.queues:
        candidates = [
            (group.serves.index(queue.name), len(group.serves), index, group.name)
            for index, group in enumerate(scenario.agents)
            if queue.name in group.serves
        ]
        assignment[queue.name] = min(candidates)[3]
    return assignment


def _return_calls(scenario: Scenario) -> bool:
    """The simulation makes calls the plan does not: redials, or repeat calls of unresolved issues."""
    returns = scenario.return_calls
    return returns is not None and (returns.redial_probability > 0
                                    or any(q.first_contact_resolution < 1 for q in scenario.queues))


def is_multi_skill(scenario: Scenario) -> bool:
    """Some group serves several queues, or some queue is served by several groups."""
    served = [name for group in scenario.agents for name in group.serves]
    return len(served) != len(set(served)) or any(len(g.serves) > 1 for g in scenario.agents)


# --- the plan --------------------------------------------------------------------------------


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
    notes: tuple[str, ...]
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
                    "service_level": _finite(p.service_level[k]) if d.calls[k] > 0 else None,
                    "asa": _finite(p.asa_s[k]) if d.calls[k] > 0 else None,
                    "abandon_rate": (_finite(p.p_abandon[k]) if d.calls[k] > 0 else None) if q.model == "erlang_a"
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


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _targets(scenario: Scenario, abandon: bool) -> StaffingTargets:
    t = scenario.targets
    return StaffingTargets(
        service_level_target=t.service_level.fraction,
        answer_time_threshold_s=t.service_level.within,
        asa_target_s=t.asa,
        max_abandon_rate=t.abandon_rate if abandon else None,
        occupancy_band=tuple(t.occupancy),
    )


def carry_over_rates_per_s(rates_per_s, mean_handle_time_s: float, interval_s: float) -> tuple[float, ...]:
    """Arrival rates that give each interval the load agents actually carry (carry-over).

    Plain SIPP sizes each interval for its own arrivals as if it were in steady state. But work
    carries over: agents are still busy with calls from a busier interval, and a queue takes time
    to build when volume rises. The modified offered load m(t), the mean number of calls in
    service with unlimited agents, follows m' = lambda(t) - m / AHT (exponential handle times; the
    day starts empty), exactly solvable for piecewise-constant arrivals (Jennings, Mandelbaum,
    Massey & Whitt, "Server staffing to meet time-varying demand", Management Science 1996).
    Each interval is sized for the largest m(t) within it (m is monotone inside an interval:
    its end when load rises, its start when it falls), returned as a rate: m / AHT.
    """
    in_service = 0.0
    effective = []
    for rate in rates_per_s:
        steady = rate * mean_handle_time_s
        end = steady + (in_service - steady) * math.exp(-interval_s / mean_handle_time_s)
        effective.append(max(in_service, end) / mean_handle_time_s)
        in_service = end
    return tuple(effective)


def plan_scenario(scenario: Scenario, model: str | None = None, shrinkage: float = 0.0,
                  carry_over: bool = False) -> ScenarioPlan:
    """Plan every interval of every queue and map the requirements onto the agent groups.

    `model`: None (Erlang A for queues whose callers abandon, else Erlang C), "erlang_c" or
    "erlang_a" (every queue needs a patience distribution). `carry_over`: size each interval for
    the load agents carry, work in progress from earlier intervals included (see
    carry_over_rates_per_s), instead of its own arrivals (plain SIPP). Raises
    ValueError with a one-line message for a plan that cannot be made (e.g. a 100% service level
    target).
    """
    if model not in (None, "erlang_c", "erlang_a"):
        raise ValueError(f"model must be 'erlang_c' or 'erlang_a', got {model!r}")
    shrinkage = float(shrinkage)
    scheduled_agents(0, shrinkage)  # validates
    demands = queue_demand(scenario)
    assignment = assign_queues_to_groups(scenario)
    notes: list[str] = []
    queue_plans = []
    for queue, demand in zip(scenario.queues, demands):
        if model == "erlang_a" and queue.patience is None:
            raise ValueError(f"queue '{queue.name}' has no patience distribution: Erlang A needs one; "
                             "use --model erlang-c or give the queue a patience")
        chosen: Model = model or ("erlang_a" if queue.patience is not None else "erlang_c")
        targets = _targets(scenario, abandon=chosen == "erlang_a")
        rates = demand.arrival_rates_per_s
        if carry_over:
            rates = carry_over_rates_per_s(rates, demand.mean_handle_time_s, scenario.interval_s)
        try:
            interval_plan = required_agents_by_interval(
                rates, demand.mean_handle_time_s, targets, chosen,
                demand.mean_patience_s if chosen == "erlang_a" else None, shrinkage,
            )
        except ValueError as exc:
            raise ValueError(f"queue '{queue.name}': {exc}") from None
        queue_plans.append(QueuePlan(demand, chosen, interval_plan, assignment[queue.name]))
        if "occupancy_cap" in interval_plan.binding_constraint:
            uncapped = required_agents_by_interval(
                rates, demand.mean_handle_time_s,
                StaffingTargets(targets.service_level_target, targets.answer_time_threshold_s, targets.asa_target_s,
                                targets.max_abandon_rate, (0.0, 1.0)),
                chosen, demand.mean_patience_s if chosen == "erlang_a" else None, shrinkage,
            )
            hours = scenario.interval_minutes / 60.0
            extra = (sum(interval_plan.agents) - sum(uncapped.agents)) * hours
            notes.append(f"queue '{queue.name}': the occupancy cap ({targets.occupancy_band[1]:.0%}) binds in "
                         f"{interval_plan.binding_constraint.count('occupancy_cap')} intervals and adds "
                         f"{extra:,.1f} agent-hours ({extra / (sum(uncapped.agents) * hours):.0%}) to the "
                         f"{sum(uncapped.agents) * hours:,.1f} the service targets alone need.")
        if chosen == "erlang_c" and queue.patience is not None:
            notes.append(f"queue '{queue.name}': Erlang C although its callers abandon (patience mean "
                         f"{queue.patience.mean_s:.0f} s): it ignores abandonment, so it staffs more than Erlang A "
                         "and cannot size the abandonment target.")
        if chosen == "erlang_a" and queue.patience is not None and queue.patience.dist != "exponential":
            notes.append(f"queue '{queue.name}': Erlang A assumes exponential patience; the queue's "
                         f"{queue.patience.dist} patience enters by its mean ({queue.patience.mean_s:.0f} s) only.")
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
        routing = ivr_routing(scenario.ivr, [q.name for q in scenario.queues])
        mis = sum(routing.misroute.values())
        notes.append(
            "Calls per queue: exact expected shares through the IVR menus (no sampling): "
            f"{routing.contained:.1%} contained in self-service, {routing.hang_up:.1%} hang up in the menus"
            + (", announcement hang-ups per interval" if scenario.ivr.announcement is not None else "")
            + (f"; {mis:.1%} misrouted: the transfer time counts in the wrong queue's load and the call in the "
               "right queue's." if mis > 0 else ".")
        )
    if is_multi_skill(scenario):
        notes.append(
            "Shared groups are planned per queue (an approximation; --verify checks it): each queue's requirement "
            "goes to the group that ranks it highest in 'serves' (ties: the group serving fewer queues), and a "
            "group's staffing is the sum of its queues' requirements. This ignores pooling (tends to overstaff) "
            "and the priority order (a group's lower-priority queue can wait longer than planned)."
        )
        idle = [g.name for g in groups if not g.planned_queues]
        if idle:
            notes.append(f"Groups that are first choice for no queue are planned at 0 agents: {', '.join(idle)}.")
    if _return_calls(scenario):
        notes.append("Redials and repeat calls are not in the planned load: the plan sizes first calls only.")
    if scenario.arrivals.busyness_cv > 0:
        notes.append(f"The plan sizes the expected volume; the day-to-day variation (busyness cv "
                     f"{scenario.arrivals.busyness_cv:g}) is not staffed for.")
    if any(q.balk_probability > 0 for q in scenario.queues):
        notes.append("Balking is not modelled by Erlang C/A: balked calls count as service level failures in the "
                     "simulation.")
    if any(q.callback is not None for q in scenario.queues):
        notes.append("Callbacks are planned as ordinary calls (dial time and retries not in the load).")
    if shrinkage > 0:
        notes.append(f"Shrinkage {shrinkage:.0%}: scheduled = ceil(required / (1 - shrinkage)). The planned scenario's "
                     "staffing is the agents on the phones (required): the simulator has no shrinkage.")
    if carry_over:
        notes.append("Carry-over: each interval is sized for the largest load agents carry in it, calls still in "
                     "progress from earlier intervals included (the modified offered load); the load column is that "
                     "load, not the interval's own arrivals x AHT.")
    else:
        notes.append("Targets apply to every interval (each interval is sized on its own arrivals, as SIPP planning "
                     "does; --carry-over sizes for the work agents actually carry, which holds up when volume "
                     "changes fast, above all after a peak).")
    return ScenarioPlan(scenario, model or "auto", shrinkage, _targets(scenario, abandon=True),
                        tuple(queue_plans), tuple(groups), tuple(notes), carry_over)


# --- the planned scenario file ---------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block YAML, with short lists of numbers and small mappings of scalars in flow style."""


def _represent_list(dumper, data):
    flow = all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in data) and all(
        not isinstance(v, str) or len(v) < 40 for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper, data):
    flow = len(data) <= 4 and all(isinstance(v, (int, float, str)) and (not isinstance(v, str) or len(v) < 40)
                                  for v in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def _tidy(value):
    """Whole-number floats as ints (180.0 -> 180), recursively, for a readable file."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    return value


def planned_yaml(plan: ScenarioPlan, source: str = "") -> str:
    """The scenario with the planned staffing, as YAML that `callsim run` accepts."""
    data = _tidy(plan.scenario.model_dump(mode="json", exclude_unset=True))  # the keys the file gave
    data["schema_version"] = plan.scenario.schema_version
    staffing = {g.name: list(g.agents) for g in plan.groups}
    for group in data["agents"]:
        group["staffing"] = staffing[group["name"]]
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
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + "\n" + body


def planned_scenario(plan: ScenarioPlan, text: str | None = None) -> Scenario:
    """The planned scenario, validated from exactly the YAML text that is written."""
    text = planned_yaml(plan) if text is None else text
    return scenario_from_dict(yaml.safe_load(text), source="planned scenario")


# --- verification ----------------------------------------------------------------------------

VERIFY_KPIS = ("service_level", "asa", "abandon_rate", "occupancy")


@dataclass(frozen=True)
class KpiCheck:
    """One KPI, planned beside simulated.

    status: "met" / "missed" / "uncertain" for the simulation against the target (the 95% CI
    straddles it: uncertain), "" without a target. miss: the plan met the target and the
    simulation missed it (its whole CI on the wrong side).
    """

    kpi: str
    planned: float | None
    simulated: Estimate
    target: float | None
    status: str
    miss: bool


@dataclass(frozen=True)
class VerifyRow:
    interval: str  # clock label, or "day"
    checks: dict[str, KpiCheck]
    reasons: tuple[str, ...]  # codes into Verification.reasons, for rows with a miss

    @property
    def missed(self) -> list[str]:
        return [name for name, check in self.checks.items() if check.miss]


@dataclass(frozen=True)
class Verification:
    """The plan beside the simulated day. `rows`: all queues together (every KPI of VERIFY_KPIS).
    `queues` (scenarios with several queues): queue -> rows of service_level, asa and
    abandon_rate for the calls whose final queue it is. `groups` (several groups): group ->
    rows of its occupancy, for the groups the plan staffs. Every tuple of rows has one row per
    interval, then the day; the miss rule and the reasons are the same for all of them."""

    result: RunResult = field(repr=False)
    rows: tuple[VerifyRow, ...]  # one per interval, then the day
    reasons: dict[str, str]  # code -> explanation, the scenario's departures from the Erlang model
    queues: dict[str, tuple[VerifyRow, ...]] = field(default_factory=dict)
    groups: dict[str, tuple[VerifyRow, ...]] = field(default_factory=dict)


def _targets_for_verify(scenario: Scenario) -> dict[str, tuple[float, Callable[[float], bool]] | None]:
    t = scenario.targets
    upper = t.occupancy[1]
    return {
        "service_level": (t.service_level.fraction, lambda v: v >= t.service_level.fraction - 1e-12),
        "asa": None if t.asa is None else (t.asa, lambda v: v <= t.asa + 1e-12),
        "abandon_rate": None if t.abandon_rate is None else (t.abandon_rate, lambda v: v <= t.abandon_rate + 1e-12),
        "occupancy": (upper, lambda v: v <= upper + 1e-12),
    }


def _handle_cv(queue) -> float:
    talk, acw = queue.talk_time, queue.acw
    variance = (talk.cv * talk.mean_s) ** 2 + (getattr(acw, "cv", 0.0) * acw.mean_s) ** 2
    mean = talk.mean_s + acw.mean_s
    return math.sqrt(variance) / mean if mean > 0 else 0.0


# Reasons, in the order they are listed for a miss: evidence from the interval first, then the
# scenario's standing departures from the Erlang assumptions.
REASON_ORDER = ("load_change", "extra_calls", "abandonment", "balking", "callbacks", "talk_cv", "busyness",
                "ivr_transfers", "multi_skill", "transient")


def model_gaps(plan: ScenarioPlan) -> dict[str, str]:
    """The scenario's departures from what the Erlang models assume that can make the simulation
    fall short of the plan: code -> explanation with the scenario's own figures. (Departures that
    only make the simulation do better, e.g. handle times less variable than exponential, or
    Erlang C on callers who abandon, are not listed.)"""
    scenario = plan.scenario
    gaps: dict[str, str] = {
        "load_change": "the load changed by 5% or more from the previous interval: a queue built up while load "
                       "rises, and work from a busier interval spilling into a quieter one, carry over, which "
                       "interval-by-interval (SIPP) staffing ignores" + (
                           "; the carry-over plan counts it for exponential handle times only" if plan.carry_over
                           else "; plan with --carry-over to size for the work agents actually carry"),
        "transient": "Erlang figures are steady-state averages; a 15-60 minute interval is short, and calls "
                     "answered near its end keep agents busy into the next one",
    }
    if _return_calls(scenario):
        parts = []
        if scenario.return_calls.redial_probability > 0:
            parts.append(f"abandoners redial (probability {scenario.return_calls.redial_probability:g})")
        fcr = [q for q in scenario.queues if q.first_contact_resolution < 1]
        if fcr:
            parts.append("unresolved callers call again (FCR " + ", ".join(
                f"{q.name} {q.first_contact_resolution:.0%}" for q in fcr) + ")")
        gaps["extra_calls"] = ("more calls than planned: " + "; ".join(parts or ["return calls"])
                               + "; the plan sizes first calls only")
    models = {qp.demand.queue: qp.model for qp in plan.queues}
    odd = [q for q in scenario.queues
           if q.patience is not None and models[q.name] == "erlang_a" and q.patience.dist != "exponential"]
    ignored = [q for q in scenario.queues if q.patience is not None and models[q.name] == "erlang_c"]
    parts = []
    if odd:
        parts.append("patience not exponential (" + ", ".join(
            f"{q.name}: {q.patience.dist}, cv {getattr(q.patience, 'cv', math.nan):.2f}" for q in odd)
            + "): Erlang A uses its mean only" + ("; with a decreasing hazard (cv > 1) many callers hang up early"
                                                  if any(getattr(q.patience, "cv", 1.0) > 1.0 for q in odd) else ""))
    if ignored:
        parts.append("Erlang C ignores abandonment (" + ", ".join(q.name for q in ignored)
                     + "): callers who hang up before the threshold count as service level failures")
    if parts:
        gaps["abandonment"] = "; ".join(parts)
    balkers = [q for q in scenario.queues if q.balk_probability > 0]
    if balkers:
        waits = {qp.demand.queue: max(qp.plan.p_wait) for qp in plan.queues}
        parts = ", ".join(f"{q.name} {q.balk_probability:.0%} x P(wait) up to {waits[q.name]:.0%}" for q in balkers)
        gaps["balking"] = f"callers who would wait balk ({parts}); each balk is a service level failure"
    if any(q.callback is not None for q in scenario.queues):
        gaps["callbacks"] = "callbacks: dialling time and retries take agent time the plan does not count"
    high = [(q.name, _handle_cv(q), q.acw.mean_s) for q in scenario.queues if _handle_cv(q) > 1.05]
    if high:
        parts = ", ".join(f"{name} cv {cv:.2f}" + (f" incl. {acw:.0f} s ACW" if acw > 0 else "")
                          for name, cv, acw in high)
        worst = max(cv for _, cv, _ in high)
        gaps["talk_cv"] = (f"handle time (talk + ACW) more variable than the exponential Erlang assumes ({parts}): "
                           f"waits grow roughly by (1 + cv^2)/2, up to {(1 + worst ** 2) / 2:.2f}x (Allen-Cunneen)")
    if scenario.arrivals.busyness_cv > 0:
        gaps["busyness"] = (f"volume varies from day to day (cv {scenario.arrivals.busyness_cv:g}); the plan sizes "
                            "the mean day, and busy days lose more service level than quiet days gain")
    if scenario.ivr is not None:
        routing = ivr_routing(scenario.ivr, [q.name for q in scenario.queues])
        if routing.misroute:
            gaps["ivr_transfers"] = (f"IVR misroutes ({sum(routing.misroute.values()):.1%} of calls entering the "
                                     "menus): a transferred call waits twice")
    if plan.multi_skill:
        orders = [f"'{g.name}' answers {' before '.join(g.serves)}" for g in scenario.agents if len(g.serves) > 1]
        gaps["multi_skill"] = ("shared groups planned per queue: a group takes its queues in 'serves' order, which "
                               "can starve the lower-priority queue (" + "; ".join(orders or ["several groups share "
                                                                                             "a queue"])
                               + "), and lends its agents to queues it was not planned for")
    return gaps


def _queue_gap_codes(plan: ScenarioPlan, name: str) -> set[str]:
    """The reason codes that can apply to one queue's own comparison."""
    scenario = plan.scenario
    queue = scenario.queues[scenario.queue_index(name)]
    model = next(q.model for q in plan.queues if q.demand.queue == name)
    codes = {"load_change", "extra_calls", "busyness", "transient"}
    if queue.patience is not None and (model == "erlang_c" or queue.patience.dist != "exponential"):
        codes.add("abandonment")
    if queue.balk_probability > 0:
        codes.add("balking")
    if queue.callback is not None:
        codes.add("callbacks")
    if _handle_cv(queue) > 1.05:
        codes.add("talk_cv")
    if scenario.ivr is not None:
        routing = ivr_routing(scenario.ivr, [q.name for q in scenario.queues])
        if any(name in pair for pair in routing.misroute):
            codes.add("ivr_transfers")
    serving = [g for g in scenario.agents if name in g.serves]
    if len(serving) > 1 or any(len(g.serves) > 1 for g in serving):
        codes.add("multi_skill")
    return codes


def _group_gap_codes(plan: ScenarioPlan, name: str) -> set[str]:
    """The reason codes that can apply to one group's occupancy."""
    group = next(g for g in plan.scenario.agents if g.name == name)
    codes = {"load_change", "extra_calls", "busyness", "ivr_transfers", "transient"}
    if any(plan.scenario.queues[plan.scenario.queue_index(q)].callback is not None for q in group.serves):
        codes.add("callbacks")
    planned = next(g.planned_queues for g in plan.groups if g.name == name)
    if set(group.serves) - set(planned):  # it also answers queues it was not planned for
        codes.add("multi_skill")
    return codes


def _changing_intervals(plan: ScenarioPlan, threshold: float = 0.05, queues: set[str] | None = None) -> set[int]:
    """Intervals whose total offered load (of `queues`, default all) differs from the previous
    interval's by the threshold or more."""
    load = np.zeros(plan.scenario.n_intervals)
    for q in plan.queues:
        if queues is None or q.demand.queue in queues:
            load += np.asarray(q.plan.offered_load_erlangs)
    return {k for k in range(1, len(load)) if abs(load[k] - load[k - 1]) >= threshold * max(load[k], load[k - 1]) > 0}


def _status(estimate: Estimate, ok: Callable[[float], bool]) -> str:
    if not math.isfinite(estimate.mean):
        return "uncertain"
    if estimate.ci95 is not None and ok(estimate.ci95[0]) != ok(estimate.ci95[1]):
        return "uncertain"
    return "met" if ok(estimate.mean) else "missed"


def _evidence(gaps: dict[str, str], simulated: dict[str, Estimate], planned: dict, planned_calls: float,
              changing: bool, relevant: set[str] | None = None) -> list[str]:
    """Reasons for a miss in one row (an interval or the day), in REASON_ORDER: interval-specific
    ones only where the simulation shows them, standing ones whenever the scenario has them
    (and, for one queue or group, they concern it: `relevant`)."""
    def mean(name: str) -> float:
        estimate = simulated.get(name)
        return estimate.mean if estimate is not None and math.isfinite(estimate.mean) else 0.0

    shown = {
        "load_change": changing,
        "extra_calls": planned_calls > 0 and mean("offered") > 1.03 * planned_calls,
        "abandonment": mean("abandon_rate") > (planned.get("abandon_rate") or 0.0),
        "balking": mean("balked") > 0,
        "callbacks": mean("callbacks_accepted") > 0,
    }
    codes = [code for code in REASON_ORDER if code in gaps and code != "transient" and shown.get(code, True)
             and (relevant is None or code in relevant)]
    return codes or ["transient"]


def _check(name: str, estimate: Estimate, planned_value: float | None, targets: dict) -> KpiCheck:
    target = targets[name]
    if target is None:
        return KpiCheck(name, planned_value, estimate, None, "", False)
    value, ok = target
    status = _status(estimate, ok)
    promised = planned_value is not None and ok(planned_value)
    return KpiCheck(name, planned_value, estimate, value, status, promised and status == "missed")


def _compare(labels: list[str], kpis: tuple[str, ...], simulated_rows: list[dict[str, Estimate]],
             context_rows: list[dict[str, Estimate]], predicted: list[dict], targets: dict, gaps: dict[str, str],
             changing: set[int], relevant: set[str] | None = None) -> tuple[VerifyRow, ...]:
    """Rows of planned beside simulated for `kpis`, per interval then the day. `context_rows`
    (the all-queues row) supplies the evidence a row of one queue or group does not have
    (balks, callbacks); its own figures take precedence."""
    n = len(labels) - 1
    rows = []
    for k, label in enumerate(labels):
        simulated, planned = simulated_rows[k], predicted[k]
        checks = {name: _check(name, simulated[name], planned.get(name), targets) for name in kpis}
        reasons: tuple[str, ...] = ()
        if any(c.miss for c in checks.values()):
            evidence = {**context_rows[k], **simulated}
            reasons = tuple(_evidence(gaps, evidence, planned, planned.get("calls") or 0.0,
                                      k in changing if k < n else bool(changing), relevant))
        rows.append(VerifyRow(label, checks, reasons))
    return tuple(rows)


QUEUE_VERIFY_KPIS = ("service_level", "asa", "abandon_rate")
GROUP_VERIFY_KPIS = ("occupancy",)


def verify_plan(plan: ScenarioPlan, scenario: Scenario | None = None, replications: int | None = None,
                seed: int | None = None, workers: int = 1,
                on_replication_done: Callable[[int, int], None] | None = None) -> Verification:
    """Simulate the planned scenario and compare it with the plan, interval by interval and for
    the day. `scenario` is the planned scenario (built from the plan if not given)."""
    scenario = scenario if scenario is not None else planned_scenario(plan)
    result = run_scenario(scenario, replications=replications, seed=seed, workers=workers,
                          on_replication_done=on_replication_done)
    targets = _targets_for_verify(scenario)
    gaps = model_gaps(plan)
    labels = scenario.interval_labels() + ["day"]
    simulated_rows = list(result.intervals) + [result.day]
    calls = list(scenario.arrivals.calls) + [sum(scenario.arrivals.calls)]
    predicted = [{**row, "calls": c} for row, c in zip(plan.predicted(), calls)]
    rows = _compare(labels, VERIFY_KPIS, simulated_rows, simulated_rows, predicted, targets, gaps,
                    _changing_intervals(plan))
    # per queue (several queues) and per group (several groups): the simulator's breakdown
    breakdown = result.breakdown
    queues: dict[str, tuple[VerifyRow, ...]] = {}
    if len(scenario.queues) > 1:
        for name, planned_rows in plan.predicted_by_queue().items():
            sim = breakdown["queues"][name]
            queue_rows = [{kpi: sim[kpi][k] for kpi in sim} for k in range(len(labels))]
            queues[name] = _compare(labels, QUEUE_VERIFY_KPIS, queue_rows, simulated_rows, planned_rows, targets,
                                    gaps, _changing_intervals(plan, queues={name}), _queue_gap_codes(plan, name))
    groups: dict[str, tuple[VerifyRow, ...]] = {}
    if len(scenario.agents) > 1:
        for name, planned_rows in plan.predicted_by_group().items():
            sim = breakdown["agent_groups"][name]
            group_rows = [{kpi: sim[kpi][k] for kpi in sim} for k in range(len(labels))]
            mine = {q.demand.queue for q in plan.queues if q.group == name}
            planned_rows = [{**row, "calls": c} for row, c in zip(planned_rows, calls)]
            groups[name] = _compare(labels, GROUP_VERIFY_KPIS, group_rows, simulated_rows, planned_rows, targets,
                                    gaps, _changing_intervals(plan, queues=mine), _group_gap_codes(plan, name))
    every_row = list(rows) + [r for part in (queues, groups) for entries in part.values() for r in entries]
    used = {code for row in every_row for code in row.reasons}
    texts = {code: text for code, text in gaps.items() if code in used}
    if "extra_calls" in texts:
        offered = result.day["offered"].mean
        texts["extra_calls"] += (f"; simulated {offered:,.0f} calls a day against {calls[-1]:,.0f} planned "
                                 f"({offered / calls[-1] - 1:+.0%})")
    return Verification(result, tuple(rows), texts, queues, groups)


# --- documents -------------------------------------------------------------------------------


def _num(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def plan_document(plan: ScenarioPlan, source: str = "") -> dict:
    """The plan as a JSON-ready dict."""
    labels = plan.labels
    t = plan.scenario.targets
    queues = []
    for qp in plan.queues:
        p, d = qp.plan, qp.demand
        intervals = []
        for k, label in enumerate(labels):
            intervals.append({
                "interval": label,
                "calls": d.calls[k],
                "aht_s": d.mean_handle_time_s,
                "offered_load_erlangs": p.offered_load_erlangs[k],
                "required_agents": p.agents[k],
                "scheduled_agents": p.scheduled_agents[k],
                "occupancy": _num(p.occupancy[k]),
                "p_wait": _num(p.p_wait[k]),
                "service_level": _num(p.service_level[k]),
                "asa_s": _num(p.asa_s[k]),
                "p_abandon": _num(p.p_abandon[k]) if p.p_abandon[k] is not None else None,
                "binding_constraint": p.binding_constraint[k],
                "flags": list(p.flags[k]),
            })
        queues.append({
            "queue": d.queue, "model": qp.model, "group": qp.group, "aht_s": d.mean_handle_time_s,
            "own_aht_s": d.own_handle_time_s, "mean_patience_s": d.mean_patience_s if qp.model == "erlang_a" else None,
            "intervals": intervals,
        })
    flags = sorted({f for qp in plan.queues for fl in qp.plan.flags for f in fl})
    return {
        "scenario": plan.scenario.name,
        "source": source,
        "interval_minutes": plan.scenario.interval_minutes,
        "intervals": labels,
        "model": plan.model_choice,
        "carry_over": plan.carry_over,
        "shrinkage": plan.shrinkage,
        "targets": {
            "service_level": t.service_level.fraction, "answer_time_threshold_s": t.service_level.within,
            "asa_s": t.asa, "abandon_rate": t.abandon_rate, "occupancy": list(t.occupancy),
        },
        "queues": queues,
        "groups": [
            {"group": g.name, "serves": list(g.serves), "planned_queues": list(g.planned_queues),
             "agents": list(g.agents), "scheduled_agents": list(g.scheduled_agents),
             "agent_hours": sum(g.agents) * plan.scenario.interval_minutes / 60.0}
            for g in plan.groups
        ],
        "flag_descriptions": {f: FLAG_DESCRIPTIONS.get(f, f) for f in flags},
        "notes": list(plan.notes),
    }


def _verify_rows_document(rows: tuple[VerifyRow, ...]) -> list[dict]:
    out = []
    for row in rows:
        entry: dict = {"interval": row.interval}
        for name, check in row.checks.items():
            entry[name] = {
                "planned": _num(check.planned),
                "simulated": check.simulated.to_dict(),
                "target": check.target,
                "status": check.status or None,
                "miss": check.miss,
            }
        entry["reasons"] = list(row.reasons)
        out.append(entry)
    return out


def verification_document(verification: Verification) -> dict:
    """`rows`: all queues together; `queues` (several queues; else empty): per queue, its rows of
    service_level, asa, abandon_rate; `agent_groups` (several groups; else empty): per group the
    plan staffs, its rows of occupancy."""
    return {
        "replications": verification.result.replications,
        "seed": verification.result.seed,
        "rows": _verify_rows_document(verification.rows),
        "queues": [{"queue": name, "rows": _verify_rows_document(rows)} for name, rows in verification.queues.items()],
        "agent_groups": [{"group": name, "rows": _verify_rows_document(rows)}
                         for name, rows in verification.groups.items()],
        "reasons": verification.reasons,
    }
