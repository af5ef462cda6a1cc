"""KPIs from call records: pure functions, no SimPy, every definition stated.

Counts and waits are attributed to the interval in which the call *arrived*. Time-based
levels (occupancy, queue length, overtime) are attributed to the interval in which the time
was spent; time after the end of the day (agents finishing the last callers) belongs to the
last interval. A replication's KPIs are arrays of length n_intervals + 1: one value per
interval, then the whole day.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .callers import REDIAL, REPEAT, uses_priority_classes, uses_return_calls
from .records import (CALLBACK_ACCEPTED, CALLBACK_OFFERED, MISROUTED, RESOLVED, TRANSFERRED, ZERO_OUT, Outcome,
                      ReplicationResult, message_called_back)
from . import cost as day_cost
from .kpi_table import DEFINITIONS, KPI, KPIS, kpi_bounds, kpi_names, uses_cost  # noqa: F401 (re-exported)
from .routing import class_bounds
from .scenario import Scenario


def span_overlap(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Total length of the spans [start, end) falling in each bin [edges[k], edges[k+1]).

    Each span is split at the bin edges it crosses: the piece in its first bin, whole bins in
    between, the piece in its last bin, each added to its own bin. Only non-negative lengths are
    summed, so a bin no span touches is exactly 0 and no bin can come out negative (a prefix-sum
    difference of large totals left float residue such as -2e-12 agent-seconds, which became
    KPIs of intervals without agents). O(n) after one pass over the spans.
    """
    edges = np.asarray(edges, dtype=float)
    n_bins = len(edges) - 1
    s = np.clip(np.asarray(starts, dtype=float), edges[0], edges[-1])
    e = np.clip(np.asarray(ends, dtype=float), edges[0], edges[-1])
    keep = e > s
    s, e = s[keep], e[keep]
    out = np.zeros(n_bins)
    if not len(s):
        return out
    first = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, n_bins - 1)
    last = np.clip(np.searchsorted(edges, e, side="left") - 1, 0, n_bins - 1)
    same = first == last
    out += np.bincount(first[same], weights=e[same] - s[same], minlength=n_bins)
    cross = ~same
    if cross.any():
        f, l, sc, ec = first[cross], last[cross], s[cross], e[cross]
        out += np.bincount(f, weights=edges[f + 1] - sc, minlength=n_bins)
        out += np.bincount(l, weights=ec - edges[l], minlength=n_bins)
        inner = np.zeros(n_bins + 1)  # bins wholly covered: f+1 .. l-1
        np.add.at(inner, f + 1, 1.0)
        np.add.at(inner, l, -1.0)
        out += np.cumsum(inner[:-1]) * np.diff(edges)
    return out


def _ratio(numerator, denominator):
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _share_of_time(busy, on_shift):
    """busy / on shift (occupancy): absent where no agent time was on shift. Both are sums of
    the same spans' pieces, so busy can pass on shift only by summation rounding (1e-12 of it),
    which is cut to exactly 1."""
    out = _ratio(busy, on_shift)
    return np.where((out > 1.0) & (out < 1.0 + 1e-9), 1.0, out)


def _with_day(per_interval: np.ndarray, day: float) -> np.ndarray:
    return np.append(np.asarray(per_interval, dtype=float), day)


def _grouped_stat(values: np.ndarray, bins: np.ndarray, n_bins: int, stat) -> np.ndarray:
    """stat(values of bin k) for each bin, then stat(all values); NaN for an empty bin."""
    out = np.full(n_bins + 1, np.nan)
    if len(values):
        order = np.argsort(bins, kind="stable")
        sorted_values, sorted_bins = values[order], bins[order]
        cuts = np.searchsorted(sorted_bins, np.arange(n_bins + 1))
        for k in range(n_bins):
            chunk = sorted_values[cuts[k]:cuts[k + 1]]
            if len(chunk):
                out[k] = stat(chunk)
        out[n_bins] = stat(values)
    return out


def _time_edges(result: ReplicationResult, scenario: Scenario) -> np.ndarray:
    """Interval boundaries for time-based levels; the last interval runs until the last agent leaves."""
    edges = np.arange(scenario.n_intervals + 1) * scenario.interval_s
    edges[-1] = max(edges[-1], result.run_end_s)
    if scenario.initial_state is not None:  # nothing before the state's moment is simulated
        edges = np.maximum(edges, scenario.state_at_s)
    return edges


def _agent_time_by_group(result: ReplicationResult, scenario: Scenario, edges: np.ndarray):
    """(busy, on shift, overtime) agent-seconds per group (rows) and interval (columns).

    On shift = scheduled staffing x interval length + overtime worked in the interval."""
    groups = range(len(scenario.agents))
    busy = np.array([span_overlap(result.busy_start_s[result.busy_group == g],
                                  result.busy_end_s[result.busy_group == g], edges) for g in groups])
    overtime = np.array([span_overlap(result.overtime_start_s[result.overtime_group == g],
                                      result.overtime_end_s[result.overtime_group == g], edges) for g in groups])
    staffing = np.array([g.staffing for g in scenario.agents], dtype=float)
    if scenario.initial_state is not None:  # on shift from the state's moment on
        return busy, staffing * scenario.interval_seconds_simulated() + overtime, overtime
    return busy, staffing * scenario.interval_s + overtime, overtime


QUEUE_KPIS = ("offered", "answered", "abandoned", "abandon_rate", "service_level", "asa", "avg_wait", "wait_p90", "aht")


ORDINARY = "ordinary"  # the callers of a queue in none of its priority classes


def _calls_kpis(result: ReplicationResult, scenario: Scenario, mask: np.ndarray,
                periods: np.ndarray | None = None, names: tuple[str, ...] = QUEUE_KPIS) -> dict[str, np.ndarray]:
    """`names` (QUEUE_KPIS) of the calls selected by `mask` (same definitions as the totals), per interval or
    per period (`replication_kpis`)."""
    records = result.records
    only = replace(result, records=replace(records, **{
        name: getattr(records, name)[mask] for name in records.__dataclass_fields__}))
    kpi = replication_kpis(only, scenario, periods)
    return {name: kpi[name] for name in names}


# the KPIs a target is judged on per period (Targets.judged_per), and the count that says whether one is defined
PERIOD_KPIS = ("offered", "service_level", "asa", "abandon_rate")


def period_kpis(result: ReplicationResult, scenario: Scenario) -> dict[str, dict] | None:
    """PERIOD_KPIS per judging period of `scenario.targets.judged_per` (hour or day), then the day: the KPI
    functions of `replication_kpis` on each period's pooled calls, never an average of its intervals' figures
    (answered within the threshold over the hour's calls reaching a queue, not the mean of four quarter-hour
    service levels). {"all": {kpi: array}, "queues": {name: {kpi: array}}} (queues with several of them);
    None when targets are judged per interval (the interval KPIs are the period's)."""
    if scenario.targets.judged_per == "interval":
        return None
    periods = np.asarray(scenario.period_of_intervals(), dtype=np.int64)
    kpi = replication_kpis(result, scenario, periods)
    out: dict[str, dict] = {"all": {name: kpi[name] for name in PERIOD_KPIS}}
    if len(scenario.queues) > 1:
        out["queues"] = {spec.name: _calls_kpis(result, scenario, result.records.queue == q, periods, PERIOD_KPIS)
                         for q, spec in enumerate(scenario.queues)}
    return out


def priority_class_names(queue) -> list[str]:
    """A queue's classes, highest first, then the ordinary callers if the shares leave any."""
    names = [c.name for c in queue.priority_classes or ()]
    bounds = class_bounds(queue)
    if bounds and bounds[-1] < 1.0:
        names.append(ORDINARY if ORDINARY not in names else f"{ORDINARY} callers")
    return names


def breakdown_kpis(result: ReplicationResult, scenario: Scenario) -> dict[str, dict[str, dict[str, np.ndarray]]]:
    """KPIs per queue (the calls that ended in it: a misrouted call counts in the wrong queue until
    it is transferred; same definitions as the totals) and
    occupancy per agent group: {"queues": {name: {kpi: array}}, "agent_groups": {name: {...}}},
    with several queues or groups; with priority classes, "priority_classes": {"queue/class":
    {kpi: array}}, each class's calls in the queue where they ended (the ordinary callers as
    "queue/ordinary"): what a queue's average hides, the classes answered first and the rest.

    A group's occupancy is its busy time / its time on shift, whichever queue the work came
    from; a queue's KPIs count its calls whichever group answered them."""
    records = result.records
    out = {}
    if len(scenario.queues) > 1 or len(scenario.agents) > 1:
        out["queues"] = {spec.name: _calls_kpis(result, scenario, records.queue == q)
                         for q, spec in enumerate(scenario.queues)}
        busy, on_shift, _ = _agent_time_by_group(result, scenario, _time_edges(result, scenario))
        out["agent_groups"] = {
            spec.name: {"occupancy": _share_of_time(_with_day(busy[g], busy[g].sum()),
                                                    _with_day(on_shift[g], on_shift[g].sum()))}
            for g, spec in enumerate(scenario.agents)
        }
    if uses_priority_classes(scenario):
        classes = {}
        for q, spec in enumerate(scenario.queues):
            if not spec.priority_classes:
                continue
            # the class rule of routing.Routing.line_of: bisect_right over the cumulative shares
            in_class = np.searchsorted(np.array(class_bounds(spec)), records.priority_u, side="right")
            for c, name in enumerate(priority_class_names(spec)):
                classes[f"{spec.name}/{name}"] = _calls_kpis(result, scenario, (records.queue == q) & (in_class == c))
        out["priority_classes"] = classes
    return out


def waited_in_line(records) -> np.ndarray:
    """Calls that waited in line (possibly for no time at all): answered, abandoned, unserved,
    sent to a message at the queue's maximum wait (returned as a callback or not), or cut off at
    the close. Balkers never joined; callbacks left the line. The callers of avg_wait and the wait
    percentiles, and of every plot of waits."""
    outcome = records.outcome
    return ((outcome == Outcome.ANSWERED) | (outcome == Outcome.ABANDONED) | (outcome == Outcome.UNSERVED)
            | (outcome == Outcome.MESSAGE) | (outcome == Outcome.DISCONNECTED) | message_called_back(records.flags))


def replication_kpis(result: ReplicationResult, scenario: Scenario,
                     periods: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every KPI of one replication: name -> array (one value per interval, then the day). With `periods`
    (the period of each interval, numbered from 0, e.g. its clock hour: `Scenario.period_of_intervals`) one
    value per period, then the day: every definition applied to the period's pooled calls, and time-based
    levels to the period's time."""
    records = result.records
    interval_s = scenario.interval_s
    threshold_s = scenario.targets.service_level.within
    arrival_interval = np.minimum((records.arrived_at_s // interval_s).astype(np.int64), scenario.n_intervals - 1)
    from_state = scenario.initial_state is not None
    if from_state:  # callers already waiting at the state's moment count in its interval
        arrival_interval = np.maximum(arrival_interval, int(scenario.state_at_s // interval_s))
    if periods is None:
        n_intervals = scenario.n_intervals

        def pooled(per_interval):
            return per_interval
    else:  # the same definitions over wider bins: each call's period, each interval's time summed per period
        n_intervals = int(periods[-1]) + 1
        arrival_interval = periods[arrival_interval]

        def pooled(per_interval):
            return np.bincount(periods, weights=np.asarray(per_interval, dtype=float), minlength=n_intervals)

    def count(mask, bins=arrival_interval) -> np.ndarray:
        per_interval = np.bincount(bins[mask], minlength=n_intervals)
        return _with_day(per_interval, per_interval.sum())

    def mean_of(values, mask, bins=arrival_interval):
        total = np.bincount(bins[mask], weights=values[mask], minlength=n_intervals)
        return _ratio(_with_day(total, total.sum()), count(mask, bins))

    def has(flag):
        return (records.flags & flag) > 0

    outcome = records.outcome
    answered_mask = outcome == Outcome.ANSWERED
    abandoned_mask = outcome == Outcome.ABANDONED
    message_mask = (outcome == Outcome.MESSAGE) | message_called_back(records.flags)  # returned as callbacks, or not
    disconnected_mask = outcome == Outcome.DISCONNECTED
    unserved_mask = outcome == Outcome.UNSERVED
    completed_mask = outcome == Outcome.CALLBACK_COMPLETED
    accepted_mask = has(CALLBACK_ACCEPTED)
    queued_mask = waited_in_line(records)
    kpi: dict[str, np.ndarray] = {"offered": count(np.ones(len(records), dtype=bool))}
    # callers: the first call of each caller
    first_call = np.zeros(len(records), dtype=bool)
    first_call[np.unique(records.caller, return_index=True)[1]] = True
    kpi["unique_callers"] = count(first_call)
    kpi["redials"] = count(records.kind == REDIAL)
    kpi["repeat_calls"] = count(records.kind == REPEAT)
    # IVR
    kpi["ivr_contained"] = count(outcome == Outcome.CONTAINED)
    kpi["containment_rate"] = _ratio(kpi["ivr_contained"], kpi["offered"])
    kpi["ivr_abandoned"] = count(outcome == Outcome.IVR_ABANDONED)
    everyone = np.ones(len(records), dtype=bool)
    kpi["ivr_time"] = mean_of(records.ivr_s, everyone)
    kpi["menus_visited"] = mean_of(records.menus.astype(float), everyone)
    kpi["zero_outs"] = count(has(ZERO_OUT))
    kpi["misroutes"] = count(has(MISROUTED))
    kpi["transfers"] = count(has(TRANSFERRED))
    transferred = has(TRANSFERRED)
    transfer_s = np.bincount(arrival_interval[transferred], weights=records.transfer_s[transferred],
                             minlength=n_intervals)
    kpi["transfer_agent_seconds"] = _with_day(transfer_s, transfer_s.sum())
    # telephone lines
    kpi["blocked"] = count(outcome == Outcome.BLOCKED)
    kpi["blocking_rate"] = _ratio(kpi["blocked"], kpi["offered"])
    # queues
    kpi["reached_queue"] = count(queued_mask | (outcome == Outcome.BALKED) | accepted_mask)
    kpi["answered"] = count(answered_mask)
    kpi["abandoned"] = count(abandoned_mask)
    kpi["balked"] = count(outcome == Outcome.BALKED)
    kpi["unserved"] = count(unserved_mask)
    kpi["callbacks_offered"] = count(has(CALLBACK_OFFERED))
    kpi["callbacks_accepted"] = count(accepted_mask)
    kpi["callbacks_completed"] = count(completed_mask)
    kpi["callbacks_failed"] = count(outcome == Outcome.CALLBACK_FAILED)
    kpi["callback_delay"] = mean_of(records.callback_delay_s, completed_mask)
    kpi["callback_delay_p90"] = _grouped_stat(records.callback_delay_s[completed_mask], arrival_interval[completed_mask],
                                              n_intervals, lambda v: np.percentile(v, 90))
    kpi["messages"] = count(message_mask)
    kpi["disconnected_at_close"] = count(disconnected_mask)
    kpi["abandon_rate"] = _ratio(kpi["abandoned"], kpi["reached_queue"])
    kpi["message_rate"] = _ratio(kpi["messages"], kpi["reached_queue"])
    within = count(answered_mask & (records.wait_s <= threshold_s))
    kpi["service_level"] = _ratio(within, kpi["reached_queue"])
    kpi["service_level_answered"] = _ratio(within, kpi["answered"])
    abandoned_late = count((abandoned_mask | message_mask | disconnected_mask) & (records.wait_s > threshold_s))
    kpi["service_level_short_abandons_excluded"] = _ratio(within, kpi["answered"] + abandoned_late)
    expected_calls = np.asarray(scenario.arrivals.calls, dtype=float)
    if from_state:  # only the calls from the state's moment on are simulated
        expected_calls = expected_calls * scenario.interval_seconds_simulated() / interval_s
    expected_calls = pooled(expected_calls)
    kpi["service_level_expected"] = _ratio(within, _with_day(expected_calls, expected_calls.sum()))
    kpi["asa"] = mean_of(records.wait_s, answered_mask)
    kpi["avg_wait"] = mean_of(records.wait_s, queued_mask)
    waits, wait_bins = records.wait_s[queued_mask], arrival_interval[queued_mask]
    for name, q in (("wait_p50", 50), ("wait_p90", 90), ("wait_p95", 95)):
        kpi[name] = _grouped_stat(waits, wait_bins, n_intervals, lambda v, q=q: np.percentile(v, q))
    kpi["max_wait"] = _grouped_stat(waits, wait_bins, n_intervals, np.max)
    kpi["talk_time"] = mean_of(records.talk_s, answered_mask)
    kpi["acw_time"] = mean_of(records.acw_s, answered_mask)
    kpi["aht"] = mean_of(records.talk_s + records.acw_s, answered_mask)
    # resolution and effort, per caller
    handled = answered_mask | completed_mask
    if uses_return_calls(scenario):
        resolved_call = has(RESOLVED)
    else:  # without repeat calls every handled call resolves
        resolved_call = handled | (outcome == Outcome.CONTAINED)
    kpi["fcr_rate"] = _ratio(count(handled & resolved_call), count(handled))
    _, caller_index = np.unique(records.caller, return_inverse=True)
    n_callers = caller_index.max() + 1 if len(records) else 0
    effort_per_call = records.ivr_s + records.wait_s + np.where(handled, records.talk_s, 0.0) \
        + np.where(completed_mask, np.nan_to_num(records.callback_delay_s), 0.0)
    effort = np.bincount(caller_index, weights=effort_per_call, minlength=n_callers)
    calls_per_caller = np.bincount(caller_index, minlength=n_callers).astype(float)
    resolved_caller = np.bincount(caller_index, weights=resolved_call, minlength=n_callers) > 0
    caller_interval = np.zeros(n_callers, dtype=np.int64)
    caller_interval[caller_index[first_call]] = arrival_interval[first_call]
    kpi["customer_effort"] = mean_of(effort, resolved_caller, caller_interval)
    kpi["customer_effort_calls"] = mean_of(calls_per_caller, resolved_caller, caller_interval)
    every_caller = np.ones(n_callers, dtype=bool)
    kpi["caller_wait"] = mean_of(np.bincount(caller_index, weights=records.wait_s, minlength=n_callers),
                                 every_caller, caller_interval)
    served_caller = np.bincount(caller_index, weights=handled, minlength=n_callers) > 0
    kpi["callers_served"] = mean_of(served_caller.astype(float), every_caller, caller_interval)

    # time-based levels; the last interval runs until the last agent goes home
    edges = _time_edges(result, scenario)
    durations = pooled(np.diff(edges))
    queued_at = records.arrived_at_s[queued_mask] + records.ivr_s[queued_mask]
    waiting = pooled(span_overlap(queued_at, queued_at + waits, edges))
    busy_by_group, on_shift_by_group, overtime_by_group = _agent_time_by_group(result, scenario, edges)
    busy = pooled(busy_by_group.sum(axis=0))
    on_shift = pooled(on_shift_by_group.sum(axis=0))
    overtime = pooled(overtime_by_group.sum(axis=0))
    kpi["occupancy"] = _share_of_time(_with_day(busy, busy.sum()), _with_day(on_shift, on_shift.sum()))
    kpi["busy_agent_seconds"] = _with_day(busy, busy.sum())
    kpi["avg_queue_length"] = _with_day(_ratio(waiting, durations), waiting.sum() / durations.sum())
    kpi["overtime_agent_seconds"] = _with_day(overtime, overtime.sum())
    if uses_cost(scenario):
        overtime_cost = pooled(day_cost.overtime_cost(scenario, overtime_by_group))
        cost = pooled(day_cost.paid_cost(scenario).sum(axis=0)) + overtime_cost
        kpi["agent_cost"] = _with_day(cost, cost.sum())
        kpi["overtime_cost"] = _with_day(overtime_cost, overtime_cost.sum())
        kpi["cost_per_call"] = _ratio(kpi["agent_cost"], kpi["answered"])
    names = kpi_names(scenario)
    return {name: kpi[name] for name in names}
