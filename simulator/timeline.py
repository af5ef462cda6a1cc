"""A multi-day scenario (`days:`) as one timeline the engine simulates without a break.

The engine already works on a timeline of intervals; a week is a longer one. Day d's interval i
is timeline interval `days_since_first(d) x intervals_per_24h + i`, at absolute seconds from the
first day's `start`: a 24/7 grid (`start: "00:00"`, 24 hours of intervals) on consecutive dates
is one unbroken run across every midnight (a caller waiting at 23:59 is answered after midnight,
an agent on shift at 23:30 and at 00:00 stays on), and staffing may cross midnight. Hours
outside the grid, closed days and a short day's hours outside its `open` are *closed*
intervals: no calls, nobody on shift. The engine is told which intervals are closed and applies
its close rule at the first of them (today's rule: the agents on shift stay until every waiting
caller is answered or has abandoned, as at the end of a one-day run) and opens again at the next
open interval. Outputs show only the open intervals, each named by date and weekday.

Every other per-interval setting (handle times, duration scales, callback caps, intent shares,
the announcement's hang-up share) repeats each day; in a closed interval it is the previous open
grid interval's (it matters only to a redial or callback that lands there). One busyness factor
(`arrivals.busyness_cv`) is drawn per replication for the whole span.

A day's KPIs are the KPIs of the calls that arrived from its first interval until the next
day's first interval, with agent time over the same span (the overtime after its close
included): the same `simulator.kpis.replication_kpis`, on that stretch of the timeline.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from .errors import UserError
from .schema_base import revised
from .scenario import Scenario


@dataclass(frozen=True)
class TimelineDay:
    """One date of the scenario on the timeline."""

    date: str  # YYYY-MM-DD
    weekday: str  # Mon .. Sun
    closed: bool
    first: int  # timeline index of the day's first grid interval
    end: int  # first timeline index of the next day (or the end): the day's KPIs cover [first, end)
    open_intervals: tuple[int, ...]  # timeline indices of the intervals it is open (none when closed)


@dataclass(frozen=True)
class Timeline:
    source: Scenario  # the scenario with days:, as written
    scenario: Scenario  # the whole span as one day-less scenario the engine runs
    days: tuple[TimelineDay, ...]
    closed: frozenset[int]  # timeline intervals the centre is closed
    day_scenarios: tuple[Scenario, ...]  # each day's stretch [first, end) of `scenario`, for its KPIs

    @cached_property
    def shown(self) -> tuple[tuple[int, int], ...]:
        """(day index, timeline index) of every open interval, in time order: the rows outputs show."""
        return tuple((d, k) for d, day in enumerate(self.days) for k in day.open_intervals)

    def span_label(self) -> str:
        return f"{self.days[0].date} to {self.days[-1].date} ({len(self.days)} days)"


def intervals_per_24h(scenario: Scenario) -> int:
    return int(86400 // scenario.interval_s)


def _day_staffing(scenario: Scenario, day, g: int) -> np.ndarray:
    group = scenario.agents[g]
    value = (day.staffing or {}).get(group.name, group.staffing)
    return np.broadcast_to(np.asarray(value, dtype=np.int64), (scenario.n_intervals,))


def timeline(scenario: Scenario) -> Timeline:
    """The multi-day `scenario` compiled into one timeline (see the module's docstring)."""
    if scenario.days is None:
        raise ValueError("timeline() needs a scenario with days:")
    for q, queue in enumerate(scenario.queues):
        if queue.callback is not None and queue.callback.offered_between is not None:
            raise UserError(f"queues[{q}].callback.offered_between: clock hours of callbacks are not simulated over "
                            "several days yet; leave it out, or simulate one day (without days:)")
    if scenario.targets.judged_per != "interval":  # its periods would run across the days of the timeline
        raise UserError(f"targets.judged_per: {scenario.targets.judged_per} is not judged over several days yet; "
                        "leave it out (per interval) for a scenario with days:, or simulate one day (without days:)")
    if scenario.initial_state is not None:  # a state is a moment of one day; which day of several is not said
        raise UserError("initial_state: a state is the moment of one day; it is not simulated with days: yet; "
                        "leave days: out to simulate the rest of that day")
    n, per_day = scenario.n_intervals, intervals_per_24h(scenario)
    first_date = dt.date.fromisoformat(scenario.days[0].date)
    firsts = [(dt.date.fromisoformat(day.date) - first_date).days * per_day for day in scenario.days]
    total = firsts[-1] + n
    source_index = np.empty(total, dtype=np.int64)  # the grid interval whose settings apply
    is_open = np.zeros(total, dtype=bool)
    calls = np.zeros(total)
    staffing = np.zeros((len(scenario.agents), total), dtype=np.int64)
    days = []
    for d, day in enumerate(scenario.days):
        first = firsts[d]
        end = firsts[d + 1] if d + 1 < len(firsts) else total
        source_index[first:first + n] = np.arange(n)
        source_index[first + n:end] = n - 1
        lo, hi = scenario.open_range(d)
        is_open[first + lo:first + hi] = True
        calls[first + lo:first + hi] = day.day_calls(scenario.arrivals.calls)[lo:hi]
        for g in range(len(scenario.agents)):
            staffing[g, first + lo:first + hi] = _day_staffing(scenario, day, g)[lo:hi]
        days.append(TimelineDay(day.date, day.weekday_name, day.closed, first, end,
                                tuple(range(first + lo, first + hi))))
    flat = stretched(scenario, source_index, calls, staffing)
    pieces = tuple(stretched(scenario, source_index[day.first:day.end], calls[day.first:day.end],
                             staffing[:, day.first:day.end]) for day in days)
    return Timeline(scenario, flat, tuple(days), frozenset(np.flatnonzero(~is_open).tolist()), pieces)


def stretched(scenario: Scenario, source_index: np.ndarray, calls: np.ndarray, staffing: np.ndarray) -> Scenario:
    """`scenario` (its days: dropped) on a new run of intervals: `calls` and `staffing` (groups x
    intervals) as given, every other per-interval setting taken from grid interval
    `source_index[k]` in interval k."""
    def per(values):
        return None if not isinstance(values, tuple) else tuple(values[i] for i in source_index)

    arrivals = revised(scenario.arrivals, calls=tuple(float(c) for c in calls),
                       **_set_if_per_interval(scenario.arrivals, "handle_time_s", per))
    agents = tuple(revised(g, staffing=tuple(int(s) for s in staffing[k]), paid_cost=None,
                           **_set_if_per_interval(g, "min_agents", per), **_set_if_per_interval(g, "max_agents", per))
                   for k, g in enumerate(scenario.agents))
    queues = []
    for queue in scenario.queues:
        changes = {}
        for key in ("talk_time_scale", "acw_scale", "patience_scale", "talk_time_by_interval", "acw_by_interval",
                    "patience_by_interval"):
            changes |= _set_if_per_interval(queue, key, per)
        if queue.callback is not None and isinstance(queue.callback.max_per_interval, tuple):
            changes["callback"] = revised(queue.callback, max_per_interval=per(queue.callback.max_per_interval))
        queues.append(revised(queue, **changes) if changes else queue)
    changes = {"arrivals": arrivals, "agents": agents, "queues": tuple(queues), "days": None, "shifts": None}
    if scenario.intents is not None:
        changes["intents"] = tuple(revised(i, **_set_if_per_interval(i, "share", per)) for i in scenario.intents)
    announcement = scenario.ivr.announcement if scenario.ivr is not None else None
    if announcement is not None and isinstance(announcement.hang_up_satisfied, tuple):
        changes["ivr"] = revised(scenario.ivr, announcement=revised(
            announcement, hang_up_satisfied=per(announcement.hang_up_satisfied)))
    return revised(scenario, **changes)


def _set_if_per_interval(model, key: str, per) -> dict:
    value = getattr(model, key)
    return {key: per(value)} if isinstance(value, tuple) else {}


def day_kpis(result, tl: Timeline) -> dict[str, np.ndarray]:
    """Every KPI of each day of one replication of the timeline: name -> array (one per day).

    Day d is the calls that arrived in [first, end) of its intervals and the agent time spent
    then (`replication_kpis` on that stretch, its times counted from the day's first interval);
    a closed day's KPIs are those of the (usually empty) stretch."""
    from .kpis import replication_kpis

    interval_s = tl.scenario.interval_s
    records = result.records
    per_day = []
    for d, day in enumerate(tl.days):
        start_s = day.first * interval_s
        last = d + 1 == len(tl.days)
        end_s = np.inf if last else day.end * interval_s
        keep = (records.arrived_at_s >= start_s) & (records.arrived_at_s < end_s)
        fields = {name: getattr(records, name)[keep] for name in records.__dataclass_fields__}
        fields["arrived_at_s"] = fields["arrived_at_s"] - start_s
        span_end_s = result.run_end_s if last else day.end * interval_s

        def shifted(starts, ends, groups):
            inside = (ends > start_s) & (starts < span_end_s)
            return groups[inside], starts[inside] - start_s, np.minimum(ends[inside], span_end_s) - start_s

        busy_group, busy_start, busy_end = shifted(result.busy_start_s, result.busy_end_s, result.busy_group)
        over_group, over_start, over_end = shifted(result.overtime_start_s, result.overtime_end_s,
                                                   result.overtime_group)
        day_result = replace(result, records=replace(records, **fields), busy_group=busy_group,
                             busy_start_s=busy_start, busy_end_s=busy_end, overtime_group=over_group,
                             overtime_start_s=over_start, overtime_end_s=over_end,
                             day_end_s=(day.end - day.first) * interval_s,
                             run_end_s=max(span_end_s - start_s, (day.end - day.first) * interval_s))
        per_day.append(replication_kpis(day_result, tl.day_scenarios[d]))
    return {name: np.array([kpis[name][-1] for kpis in per_day]) for name in per_day[0]}

