"""Deterministic micro-scenarios: hand-built callers with fixed times, exact expected results."""
from __future__ import annotations

import math

import numpy as np
import pytest

from simulator import Callers, Outcome, scenario_from_dict, simulate_callers
from simulator.kpis import replication_kpis

INF = math.inf


def scenario(staffing, queues=("q",), groups=None, interval_minutes=15, shares=None):
    groups = groups or [{"name": "team", "serves": list(queues), "staffing": list(staffing)}]
    data = {
        "schema_version": 1,
        "name": "micro",
        "interval_minutes": interval_minutes,
        "arrivals": {"calls": [1.0] * len(groups[0]["staffing"])},
        "queues": [{"name": q, "talk_time": {"dist": "fixed", "mean": 1}} for q in queues],
        "agents": groups,
    }
    if len(queues) > 1:
        data["arrivals"]["queue_shares"] = shares or {q: 1 / len(queues) for q in queues}
    return scenario_from_dict(data)


def callers(arrived, talk, acw=None, patience=None, queue=None, balk_u=None):
    n = len(arrived)
    return Callers(
        arrived_at_s=np.array(arrived, dtype=float),
        queue=np.array(queue or [0] * n, dtype=np.int16),
        talk_s=np.array(talk, dtype=float),
        acw_s=np.array(acw or [0.0] * n, dtype=float),
        patience_s=np.array(patience or [INF] * n, dtype=float),
        balk_u=np.array(balk_u or [0.5] * n, dtype=float),
        busyness=1.0,
    )


def test_single_agent_fifo_waits_include_acw():
    c = callers([0, 10, 20], talk=[30, 30, 30], acw=[5, 5, 5])
    result = simulate_callers(scenario([1]), c)
    rec = result.records
    # agent busy 0-35, 35-70, 70-105
    assert rec.wait_s.tolist() == [0.0, 25.0, 50.0]
    assert rec.outcome.tolist() == [Outcome.ANSWERED] * 3
    assert rec.agent.tolist() == [0, 0, 0]


def test_abandon_at_patience_and_next_caller_takes_the_place():
    c = callers([0, 1, 2], talk=[100, 10, 10], patience=[INF, 50, INF])
    rec = simulate_callers(scenario([1]), c).records
    assert rec.outcome.tolist() == [Outcome.ANSWERED, Outcome.ABANDONED, Outcome.ANSWERED]
    assert rec.wait_s.tolist() == [0.0, 50.0, 98.0]  # caller 2 answered at 100


def test_balk_only_when_the_caller_would_have_to_wait():
    sc = scenario_from_dict({
        "schema_version": 1, "name": "balk", "interval_minutes": 15, "arrivals": {"calls": [1]},
        "queues": [{"name": "q", "talk_time": {"dist": "fixed", "mean": 1}, "balk_probability": 0.3}],
        "agents": [{"name": "t", "serves": ["q"], "staffing": [1]}],
    })
    c = callers([0, 5, 6], talk=[20, 20, 20], balk_u=[0.1, 0.2, 0.9])
    rec = simulate_callers(sc, c).records
    # caller 0 finds the agent free (no balk despite u < p); 1 would wait and balks; 2 stays
    assert rec.outcome.tolist() == [Outcome.ANSWERED, Outcome.BALKED, Outcome.ANSWERED]
    assert rec.wait_s.tolist() == [0.0, 0.0, 14.0]


def test_staffing_drop_lets_busy_agents_finish_and_records_overtime():
    # 15-minute intervals: 2 agents, then 1. Both busy across the 900 s boundary.
    c = callers([800, 850, 950], talk=[200, 300, 10])
    result = simulate_callers(scenario([2, 1]), c)
    rec = result.records
    # agent of caller 0 finishes at 1000 and leaves (owed departure): overtime 900-1000;
    # agent of caller 1 stays and answers caller 2 at 1150.
    assert rec.wait_s.tolist() == [0.0, 0.0, 200.0]
    assert result.overtime_start_s.tolist() == [900.0]
    assert result.overtime_end_s.tolist() == [1000.0]
    kpis = replication_kpis(result, scenario([2, 1]))
    assert kpis["overtime_agent_seconds"].tolist() == [0.0, 100.0, 100.0]


def test_staffing_rise_serves_waiting_callers_at_the_boundary():
    c = callers([100, 200], talk=[1000, 10])
    rec = simulate_callers(scenario([1, 2]), c).records
    assert rec.wait_s.tolist() == [0.0, 700.0]  # second agent starts at 900


def test_day_end_agents_stay_until_the_queue_is_empty():
    c = callers([890, 895], talk=[100, 100])
    result = simulate_callers(scenario([1]), c)
    assert result.records.wait_s.tolist() == [0.0, 95.0]
    assert result.run_end_s == 1090.0
    # overtime after close: 900-1090 for the one agent
    assert result.overtime_start_s.tolist() == [900.0]
    assert result.overtime_end_s.tolist() == [1090.0]


def test_unstaffed_queue_at_close_leaves_callers_unserved():
    sc = scenario([1, 0])
    c = callers([10, 20, 1000], talk=[100, 10, 10])
    rec = simulate_callers(sc, c).records
    assert rec.outcome.tolist() == [Outcome.ANSWERED, Outcome.ANSWERED, Outcome.UNSERVED]


def test_multi_skill_group_takes_its_first_queue_first_and_specialists_go_first():
    groups = [
        {"name": "shared", "serves": ["sales", "support"], "staffing": [1]},
        {"name": "support only", "serves": ["support"], "staffing": [1]},
    ]
    sc = scenario([1], queues=("sales", "support"), groups=groups)
    # t=0 support caller: the specialist (support only) is preferred over the shared agent.
    # t=1 support caller: specialist busy, shared agent takes it.
    # t=2 support, t=3 sales: both wait.
    c = callers([0, 1, 2, 3], talk=[200, 99, 10, 10], queue=[1, 1, 1, 0])
    rec = simulate_callers(sc, c).records
    assert rec.group.tolist() == [1, 0, 0, 0]
    # t=100 the shared agent frees and takes sales (its first queue) although support waited longer
    assert rec.wait_s[3] == pytest.approx(97.0)
    # t=110 it takes the support caller, before the specialist frees at 200
    assert rec.wait_s[2] == pytest.approx(108.0)


def test_kpis_on_hand_built_day():
    c = callers([0, 10, 20, 30], talk=[30, 30, 30, 30], patience=[INF, INF, 5, INF])
    sc = scenario([1])
    result = simulate_callers(sc, c)
    kpi = replication_kpis(result, sc)
    day = {name: values[-1] for name, values in kpi.items()}
    # waits: 0, 20, abandon after 5, 30 (answered at 60)
    assert day["answered"] == 3 and day["abandoned"] == 1
    assert day["asa"] == pytest.approx((0 + 20 + 30) / 3)
    assert day["avg_wait"] == pytest.approx((0 + 20 + 5 + 30) / 4)
    assert day["service_level"] == pytest.approx(2 / 4)  # 0 and 20 are within 20 s
    assert day["abandon_rate"] == pytest.approx(0.25)
    assert day["aht"] == pytest.approx(30)
    # busy 0-90 out of 900 s on shift
    assert day["occupancy"] == pytest.approx(90 / 900)
    # queue: caller1 10-30, caller2 20-25, caller3 30-60 -> 55 caller-seconds over 900 s
    assert day["avg_queue_length"] == pytest.approx(55 / 900)
