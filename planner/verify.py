"""Verification: the planned staffing simulated beside what the Erlang maths promised, per
interval and for the day, with the likely reasons for every miss.

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
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from simulator.intents import scenario_routing
from simulator.routing import rules_that_matter
from simulator.kpi_table import kpi_bounds
from simulator.run import Estimate, RunResult, run_scenario
from simulator.scenario import Scenario

from .demand import makes_return_calls
from .period_staffing import period_figures
from .plan import ScenarioPlan
from .planned import planned_scenario


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
    # with targets judged per hour or day: queue -> rows of service_level, asa and abandon_rate per judging period
    # (the period's calls pooled, planned as the pooled Erlang figures), then the day
    periods: dict[str, tuple[VerifyRow, ...]] = field(default_factory=dict)


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
REASON_ORDER = ("patience_shape", "load_change", "extra_calls", "abandonment", "balking", "callbacks", "talk_cv", "busyness",
                "ivr_transfers", "multi_skill", "transient")


EARLY_WAIT_S = 60.0  # the waits at which the patience's shape is compared with the exponential's


def early_hangups(patience, wait_s: float = EARLY_WAIT_S) -> tuple[float, float]:
    """Share of callers whose patience is below `wait_s`: under this distribution (from its inverse
    CDF on a fine grid, which works for every family) and under the exponential of the same mean,
    which is what Erlang A assumes. Few early hang-ups (an increasing hazard: gamma or Weibull with
    cv < 1) keep callers in the queue that Erlang A expects to leave: queues are longer than planned."""
    u = (np.arange(20_000) + 0.5) / 20_000
    actual = float(np.mean(np.asarray(patience.ppf(u)) <= wait_s))
    return actual, float(1.0 - math.exp(-wait_s / patience.mean_s))


def _shape_queues(plan: ScenarioPlan) -> list:
    """Queues planned with Erlang A whose patience leaves far fewer callers hanging up early than the
    exponential does (half as many or fewer within EARLY_WAIT_S)."""
    models = {qp.demand.queue: qp.model for qp in plan.queues}
    out = []
    for q in plan.scenario.queues:
        if q.patience is not None and models[q.name] == "erlang_a" and q.patience.dist != "exponential":
            actual, exponential = early_hangups(q.patience)
            if actual <= 0.5 * exponential:
                out.append((q, actual, exponential))
    return out


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
    if makes_return_calls(scenario):
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
    shaped = _shape_queues(plan)
    if shaped:
        gaps["patience_shape"] = (
            "the patience's shape, not the load: " + "; ".join(
                f"{q.name} ({q.patience.dist}, cv {getattr(q.patience, 'cv', math.nan):.2f}): {actual:.1%} of callers "
                f"would hang up within {EARLY_WAIT_S:.0f} s, against {exponential:.1%} with the exponential patience "
                "of the same mean that Erlang A assumes" for q, actual, exponential in shaped)
            + ". Fewer callers leave early, so queues stay longer and more callers wait past the threshold than "
              "planned (the simulation shows less abandonment than the plan and a lower service level); the "
              "staffing must be sized by simulation ('callsim optimize') or as if nobody abandoned (Erlang C)")
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
        routing = scenario_routing(scenario)
        if routing.misroute:
            gaps["ivr_transfers"] = (f"IVR misroutes ({sum(routing.misroute.values()):.1%} of calls entering the "
                                     "menus): a transferred call waits twice")
    if plan.multi_skill:
        spread, by_age = rules_that_matter(scenario)
        orders = [f"'{g.name}' answers {' before '.join(g.serves)}" for g in scenario.agents
                  if len(g.serves) > 1 and g.name not in by_age]
        parts = []
        if orders:
            parts.append("a group takes its queues in 'serves' order, which can starve the lower-priority queue ("
                         + "; ".join(orders) + ")")
        if by_age:
            parts.append("a group takes the longest-waiting call across its queues ("
                         + ", ".join(f"'{name}' {rule}" for name, rule in by_age.items()) + "), which Erlang's "
                         "one-queue view cannot represent")
        if spread:
            parts.append("arriving calls go to the agent the routing rule picks across the groups that serve them ("
                         + ", ".join(f"{name} {rule}" for name, rule in spread.items()) + "), not to the group "
                         "planned for them, so a group's occupancy follows the rule, not the plan")
        gaps["multi_skill"] = ("shared groups planned per queue: " + "; ".join(parts or ["several groups share a queue"])
                               + "; and a group lends its agents to queues it was not planned for")
    return gaps


def _queue_gap_codes(plan: ScenarioPlan, name: str) -> set[str]:
    """The reason codes that can apply to one queue's own comparison."""
    scenario = plan.scenario
    queue = scenario.queues[scenario.queue_index(name)]
    model = next(q.model for q in plan.queues if q.demand.queue == name)
    codes = {"load_change", "extra_calls", "busyness", "transient"}
    if queue.patience is not None and (model == "erlang_c" or queue.patience.dist != "exponential"):
        codes.add("abandonment")
    if any(q.name == name for q, _, _ in _shape_queues(plan)):
        codes.add("patience_shape")
    if queue.balk_probability > 0:
        codes.add("balking")
    if queue.callback is not None:
        codes.add("callbacks")
    if _handle_cv(queue) > 1.05:
        codes.add("talk_cv")
    if scenario.ivr is not None:
        routing = scenario_routing(scenario)
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
    spread, _ = rules_that_matter(plan.scenario)
    if set(group.serves) - set(planned) or any(q in spread for q in group.serves):
        # it also answers queues it was not planned for, or a rule hands it calls planned elsewhere
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
        "patience_shape": mean("abandon_rate") < (planned.get("abandon_rate") or 0.0),
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
                on_replication_done: Callable[[int, int], None] | None = None,
                executor: Executor | None = None) -> Verification:
    """Simulate the planned scenario and compare it with the plan, interval by interval and for
    the day. `scenario` is the planned scenario (built from the plan if not given)."""
    scenario = scenario if scenario is not None else planned_scenario(plan)
    result = run_scenario(scenario, replications=replications, seed=seed, workers=workers,
                          on_replication_done=on_replication_done, executor=executor)
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
    periods = _period_rows(plan, scenario, result, targets, gaps)
    every_row = list(rows) + [r for part in (queues, groups, periods) for entries in part.values() for r in entries]
    used = {code for row in every_row for code in row.reasons}
    texts = {code: text for code, text in gaps.items() if code in used}
    if "extra_calls" in texts:
        offered = result.day["offered"].mean
        texts["extra_calls"] += (f"; simulated {offered:,.0f} calls a day against {calls[-1]:,.0f} planned "
                                 f"({offered / calls[-1] - 1:+.0%})")
    return Verification(result, tuple(rows), texts, queues, groups, periods)


def _period_rows(plan: ScenarioPlan, scenario: Scenario, result: RunResult, targets: dict,
                 gaps: dict[str, str]) -> dict[str, tuple[VerifyRow, ...]]:
    """Per queue, planned beside simulated per judging period (targets.judged_per hour or day), then the day."""
    if result.per_period is None:
        return {}
    labels = scenario.period_labels() + ["day"]
    periods = scenario.period_of_intervals()
    simulated = {scenario.queues[0].name: result.per_period["all"]} if len(scenario.queues) == 1 \
        else result.per_period["queues"]
    days = plan.predicted_by_queue()
    out = {}
    for qp in plan.queues:
        name = qp.demand.queue
        kpis = simulated[name]
        rows = [{kpi: Estimate.of(values[:, p], kpi_bounds(kpi)) for kpi, values in kpis.items()}
                for p in range(len(labels))]
        planned = period_figures(qp.plan, periods) + [days[name][-1]]
        out[name] = _compare(labels, QUEUE_VERIFY_KPIS, rows, rows, planned, targets, gaps, set(),
                             _queue_gap_codes(plan, name) if len(scenario.queues) > 1 else None)
    return out
