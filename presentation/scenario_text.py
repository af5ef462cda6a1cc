"""A scenario described in one line, for `callsim validate`. Imports nothing: validating a
file must not load SimPy, scipy.stats or matplotlib (tests/test_layers.py checks it)."""
from __future__ import annotations


def format_validated(scenario, source: str) -> str:
    queues = ", ".join(q.name for q in scenario.queues)
    groups = ", ".join(f"{g.name} (serves {', '.join(g.serves)})" for g in scenario.agents)
    return (f"{source}: OK: '{scenario.name}', {scenario.n_intervals} x {scenario.interval_minutes}-minute "
            f"intervals from {scenario.start}, {sum(scenario.arrivals.calls):g} calls expected; "
            f"queues: {queues}; agent groups: {groups}")
