"""A scenario described in one line, for `callsim validate`. Imports nothing: validating a
file must not load SimPy, scipy.stats or matplotlib (tests/test_layers.py checks it)."""
from __future__ import annotations


def format_validated(scenario, source: str) -> str:
    queues = ", ".join(q.name for q in scenario.queues)
    groups = ", ".join(f"{g.name} (serves {', '.join(g.serves)})" for g in scenario.agents)
    if scenario.days is None:
        span = f"{sum(scenario.arrivals.calls):g} calls expected"
    else:  # a week (or more): the dates, the days open and the calls of them all
        days = scenario.days
        calls = sum(sum(scenario.on_day(d).arrivals.calls) for d in range(len(days)))
        open_days = sum(not day.closed for day in days)
        span = (f"each day of {days[0].date} to {days[-1].date} ({len(days)} days, {open_days} open), "
                f"{calls:g} calls expected in all")
    return (f"{source}: OK: '{scenario.name}', {scenario.n_intervals} x {scenario.interval_minutes}-minute "
            f"intervals from {scenario.start}, {span}; queues: {queues}; agent groups: {groups}")
