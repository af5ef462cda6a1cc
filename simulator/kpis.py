"""KPIs from call records: pure functions, no SimPy, every definition stated.

Counts and waits are attributed to the interval in which the call *arrived*. Time-based
levels (occupancy, queue length, overtime) are attributed to the interval in which the time
was spent; time after the end of the day (agents finishing the last callers) belongs to the
last interval. A replication's KPIs are arrays of length n_intervals + 1: one value per
interval, then the whole day.
"""
from __future__ import annotations

import numpy as np

from .engine import Outcome, ReplicationResult
from .scenario import Scenario

# name -> exact definition, in words (written into kpis.json)
DEFINITIONS: dict[str, str] = {
    "offered": "calls that arrived (per interval: that arrived in the interval)",
    "reached_queue": "calls that reached an agent queue: answered + abandoned + balked + unserved",
    "answered": "calls answered by an agent",
    "abandoned": "calls that hung up while waiting in the queue",
    "balked": "calls that hung up at once on finding they would have to wait",
    "unserved": "calls still waiting when the last agent able to answer them went home (queue unstaffed at the end of the day)",
    "abandon_rate": "abandoned / reached_queue",
    "service_level": "answered within the target threshold / reached_queue (abandons and balks count as failures)",
    "service_level_answered": "answered within the target threshold / answered",
    "asa": "average speed of answer: mean queue wait of answered calls, seconds",
    "avg_wait": "mean queue wait of every caller who waited in line (answered, abandoned up to the moment they hung up, unserved), seconds; balkers excluded",
    "wait_p50": "median queue wait over the same callers as avg_wait, seconds",
    "wait_p90": "90th percentile of queue wait over the same callers as avg_wait, seconds",
    "wait_p95": "95th percentile of queue wait over the same callers as avg_wait, seconds",
    "max_wait": "longest queue wait of any caller, seconds",
    "talk_time": "mean talk time of answered calls, seconds",
    "acw_time": "mean after-call work of answered calls, seconds",
    "aht": "average handle time: mean talk + after-call work of answered calls, seconds",
    "occupancy": "agent time busy with calls (talk + ACW) / agent time on shift (scheduled staffing plus overtime), over the time spent in the interval",
    "avg_queue_length": "time-weighted mean number of callers waiting in the queue(s) during the interval",
    "overtime_agent_seconds": "agent time worked past the end of a shift (finishing a call after staffing dropped or after the day ended), seconds",
    "agent_cost": "(scheduled agent hours + overtime hours) x the group's hourly_cost, summed over groups",
    "cost_per_call": "agent_cost / answered",
}
COUNT_KPIS = ("offered", "reached_queue", "answered", "abandoned", "balked", "unserved")
COST_KPIS = ("agent_cost", "cost_per_call")


def kpi_names(scenario: Scenario) -> list[str]:
    """The KPIs this scenario reports (costs only when some group has an hourly cost)."""
    has_cost = any(g.hourly_cost is not None for g in scenario.agents)
    return [name for name in DEFINITIONS if has_cost or name not in COST_KPIS]


def span_overlap(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Total length of the spans [start, end) falling in each bin [edges[k], edges[k+1]).

    Sorted prefix sums make this O(n log n): the length covered up to t is
    sum over starts < t of (t - start) minus sum over ends < t of (t - end).
    """
    s = np.sort(np.asarray(starts, dtype=float))
    e = np.sort(np.asarray(ends, dtype=float))
    s_prefix = np.concatenate(([0.0], np.cumsum(s)))
    e_prefix = np.concatenate(([0.0], np.cumsum(e)))
    ns = np.searchsorted(s, edges, side="right")
    ne = np.searchsorted(e, edges, side="right")
    covered = (ns * edges - s_prefix[ns]) - (ne * edges - e_prefix[ne])
    return np.diff(covered)


def _ratio(numerator, denominator):
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


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


def replication_kpis(result: ReplicationResult, scenario: Scenario) -> dict[str, np.ndarray]:
    """Every KPI of one replication: name -> array (one value per interval, then the day)."""
    records = result.records
    n_intervals = scenario.n_intervals
    interval_s = scenario.interval_s
    threshold_s = scenario.targets.service_level.within
    arrival_interval = np.minimum((records.arrived_at_s // interval_s).astype(np.int64), n_intervals - 1)

    def count(mask) -> np.ndarray:
        per_interval = np.bincount(arrival_interval[mask], minlength=n_intervals)
        return _with_day(per_interval, per_interval.sum())

    outcome = records.outcome
    answered_mask = outcome == Outcome.ANSWERED
    abandoned_mask = outcome == Outcome.ABANDONED
    unserved_mask = outcome == Outcome.UNSERVED
    queued_mask = answered_mask | abandoned_mask | unserved_mask  # waited in line
    kpi: dict[str, np.ndarray] = {
        "offered": count(np.ones(len(records), dtype=bool)),
        "reached_queue": count(queued_mask | (outcome == Outcome.BALKED)),
        "answered": count(answered_mask),
        "abandoned": count(abandoned_mask),
        "balked": count(outcome == Outcome.BALKED),
        "unserved": count(unserved_mask),
    }
    kpi["abandon_rate"] = _ratio(kpi["abandoned"], kpi["reached_queue"])
    within = count(answered_mask & (records.wait_s <= threshold_s))
    kpi["service_level"] = _ratio(within, kpi["reached_queue"])
    kpi["service_level_answered"] = _ratio(within, kpi["answered"])

    def mean_of(values, mask):
        total = np.bincount(arrival_interval[mask], weights=values[mask], minlength=n_intervals)
        return _ratio(_with_day(total, total.sum()), count(mask))

    kpi["asa"] = mean_of(records.wait_s, answered_mask)
    kpi["avg_wait"] = mean_of(records.wait_s, queued_mask)
    waits, wait_bins = records.wait_s[queued_mask], arrival_interval[queued_mask]
    for name, q in (("wait_p50", 50), ("wait_p90", 90), ("wait_p95", 95)):
        kpi[name] = _grouped_stat(waits, wait_bins, n_intervals, lambda v, q=q: np.percentile(v, q))
    kpi["max_wait"] = _grouped_stat(waits, wait_bins, n_intervals, np.max)
    kpi["talk_time"] = mean_of(records.talk_s, answered_mask)
    kpi["acw_time"] = mean_of(records.acw_s, answered_mask)
    kpi["aht"] = mean_of(records.talk_s + records.acw_s, answered_mask)

    # time-based levels; the last interval runs until the last agent goes home
    edges = np.arange(n_intervals + 1) * interval_s
    edges[-1] = max(edges[-1], result.run_end_s)
    durations = np.diff(edges)
    answered_at = records.arrived_at_s[answered_mask] + records.wait_s[answered_mask]
    handle_s = records.talk_s[answered_mask] + records.acw_s[answered_mask]
    busy = span_overlap(answered_at, answered_at + handle_s, edges)
    waiting = span_overlap(
        records.arrived_at_s[queued_mask], records.arrived_at_s[queued_mask] + waits, edges
    )
    staffing = np.array([g.staffing for g in scenario.agents], dtype=float)  # groups x intervals
    overtime_by_group = np.array([
        span_overlap(result.overtime_start_s[result.overtime_group == g],
                     result.overtime_end_s[result.overtime_group == g], edges)
        for g in range(len(scenario.agents))
    ])
    overtime = overtime_by_group.sum(axis=0)
    on_shift = staffing.sum(axis=0) * interval_s + overtime
    kpi["occupancy"] = _ratio(_with_day(busy, busy.sum()), _with_day(on_shift, on_shift.sum()))
    kpi["avg_queue_length"] = _with_day(waiting / durations, waiting.sum() / durations.sum())
    kpi["overtime_agent_seconds"] = _with_day(overtime, overtime.sum())
    if any(g.hourly_cost is not None for g in scenario.agents):
        rate = np.array([g.hourly_cost or 0.0 for g in scenario.agents])
        cost = rate @ (staffing * interval_s + overtime_by_group) / 3600.0
        kpi["agent_cost"] = _with_day(cost, cost.sum())
        kpi["cost_per_call"] = _ratio(kpi["agent_cost"], kpi["answered"])
    return kpi
