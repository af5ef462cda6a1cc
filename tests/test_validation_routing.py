"""The routing rules against exact results: identical groups pool to one M/M/N (Erlang C) or
M/M/N+M (Erlang A).

Two queues with the same exponential talk time (and patience), two identical groups each
serving both. Under `oldest_first` every free agent takes the call that has waited longest
across both queues, so the centre is one FCFS M/M/N: each queue's ASA, P(wait) and service
level are Erlang C's (Erlang A's with patience). Under `longest_idle` and `random` the groups
are exchangeable, so each group's occupancy is the load per agent.

Same method as tests/test_validation_erlang_c.py: |simulated - exact| <= 4 SE over independent
replications, a power check (one agent fewer moves the exact value by at least 6 SE) and a
negative control (the same comparison against one agent fewer fails). The rules themselves have
controls too: today's strict queue order (queue A first) must miss queue B's Erlang C ASA, and
today's group order must miss the equal occupancies. Conservation is checked in every replication.
"""
from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from simulator import Outcome, check_conservation, scenario_from_dict, simulate_replication
from simulator.kpis import span_overlap
from test_validation_erlang_a import exact as erlang_a_exact
from test_validation_erlang_c import AHT_S, erlang_c_exact

HOURS, WARMUP_S, THRESHOLD_S, REPLICATIONS = 12, 1800, 20.0, 12


def pooled_scenario(agents_per_group: int, load_erlangs: float, routing: dict, patience_s: float | None = None):
    calls_per_hour = load_erlangs / AHT_S * 3600
    queues = [{"name": name, "talk_time": {"dist": "exponential", "mean": AHT_S}} for name in ("A", "B")]
    if patience_s is not None:
        for queue in queues:
            queue["patience"] = {"dist": "exponential", "mean": patience_s}
    return scenario_from_dict({
        "schema_version": 1, "name": "pooled", "interval_minutes": 60,
        "arrivals": {"calls": [calls_per_hour] * HOURS, "queue_shares": {"A": 0.5, "B": 0.5}},
        "queues": queues,
        "agents": [{"name": name, "serves": ["A", "B"], "staffing": [agents_per_group] * HOURS}
                   for name in ("first", "second")],
        "targets": {"service_level": {"fraction": 0.8, "within": THRESHOLD_S}},
        "routing": routing,
    })


def one_replication(job) -> dict[str, float]:
    scenario, r = job
    result = simulate_replication(scenario, 5, r)
    check_conservation(result)  # every call ends in one outcome; handled calls, and only they, have an agent
    rec = result.records
    assert np.array_equal(rec.group >= 0, rec.outcome == Outcome.ANSWERED)
    day_end_s = scenario.n_intervals * scenario.interval_s
    keep = rec.arrived_at_s >= WARMUP_S
    answered = rec.outcome == Outcome.ANSWERED
    row = {}
    for q, name in enumerate("AB"):
        mine = keep & (rec.queue == q)
        wait, ok = rec.wait_s[mine], answered[mine]
        row[f"asa {name}"] = float(wait[ok].mean())
        row[f"p_wait {name}"] = float(((wait > 0) | ~ok).mean())
        row[f"service_level {name}"] = float((ok & (wait <= THRESHOLD_S)).mean())
        row[f"p_abandon {name}"] = float((rec.outcome[mine] == Outcome.ABANDONED).mean())
    agents = scenario.agents[0].staffing[0]
    for g, name in enumerate(("first", "second")):
        mine = answered & (rec.group == g)
        start = rec.arrived_at_s[mine] + rec.wait_s[mine]
        busy = span_overlap(start, start + rec.talk_s[mine], np.array([WARMUP_S, day_end_s]))[0]
        row[f"occupancy {name}"] = busy / (agents * (day_end_s - WARMUP_S))
    return row


def estimates(scenario) -> dict[str, np.ndarray]:
    with ProcessPoolExecutor(max_workers=2) as pool:
        rows = list(pool.map(one_replication, [(scenario, r) for r in range(REPLICATIONS)]))
    return {key: np.array([row[key] for row in rows]) for key in rows[0]}


def z(values: np.ndarray, exact: float) -> float:
    return (values.mean() - exact) / (values.std(ddof=1) / math.sqrt(len(values)))


def check(values: np.ndarray, exact: float, control: float, what: str) -> None:
    se = values.std(ddof=1) / math.sqrt(len(values))
    assert se > 0, what
    assert abs(z(values, exact)) <= 4, f"{what}: simulated {values.mean():.5f} vs exact {exact:.5f} (SE {se:.5f})"
    assert abs(exact - control) >= 6 * se, f"{what}: too little data to tell N from N-1"
    assert abs(z(values, control)) > 4, f"{what}: negative control passed"


@pytest.mark.parametrize("agent_selection", ["longest_idle", "random"])
def test_identical_groups_pool_to_erlang_c(agent_selection):
    per_group, load = 5, 8.5
    found = estimates(pooled_scenario(per_group, load, {"agent_selection": agent_selection, "call_selection": "oldest_first"}))
    want, control = erlang_c_exact(2 * per_group, load, THRESHOLD_S), erlang_c_exact(2 * per_group - 1, load, THRESHOLD_S)
    for name in "AB":
        for kpi in ("asa", "p_wait", "service_level"):
            check(found[f"{kpi} {name}"], want[kpi], control[kpi], f"{kpi} {name}")
    # exchangeable groups: each runs at the load per agent (control: one agent fewer in the centre)
    for name in ("first", "second"):
        check(found[f"occupancy {name}"], load / (2 * per_group), load / (2 * per_group - 1), f"occupancy {name}")


def test_todays_rules_miss_the_pooled_figures_they_are_not_meant_to_reach():
    # control of the rules: strict queue order serves A first, so B waits longer than Erlang C;
    # group order loads the first group more than the load per agent
    per_group, load = 5, 8.5
    found = estimates(pooled_scenario(per_group, load, {}))
    want = erlang_c_exact(2 * per_group, load, THRESHOLD_S)
    assert z(found["asa A"], want["asa"]) < -4
    assert z(found["asa B"] - found["asa A"], 0.0) > 4  # paired within each replication: B waits longer
    assert z(found["occupancy first"], load / (2 * per_group)) > 4


def test_identical_groups_with_patience_pool_to_erlang_a():
    per_group, load, patience_s = 4, 8.0, 60.0
    found = estimates(pooled_scenario(per_group, load, {"agent_selection": "longest_idle", "call_selection": "oldest_first"},
                                      patience_s=patience_s))
    want = erlang_a_exact(2 * per_group, load, patience_s, THRESHOLD_S)
    control = erlang_a_exact(2 * per_group - 1, load, patience_s, THRESHOLD_S)
    for name in "AB":
        for kpi in ("p_abandon", "asa", "service_level"):
            check(found[f"{kpi} {name}"], want[kpi], control[kpi], f"{kpi} {name}")
