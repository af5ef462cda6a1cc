"""Lazy agents (an agent's job ends without an event while nothing depends on it): hand-computed
timelines where the idle order, a job ending at the very moment of another event, an owed
departure and the close decide the result; and random tie-heavy days simulated with lazy and
eager agents, compared to the byte (with a negative control that must be caught)."""
from __future__ import annotations

import dataclasses
import math
from heapq import heappop

import numpy as np

import pytest

from simulator import Callers, Outcome, engine, scenario_from_dict, simulate_callers
from simulator.callers import draw_callers
from simulator.kernel import Kernel
from test_engine_fast_forward import as_bytes, tie_heavy_scenario

INF = math.inf


@pytest.fixture(autouse=True)
def lazy_agents_in_small_centres(monkeypatch):
    """The engine uses lazy agents from LAZY_AGENTS_FROM agents on; these days have two."""
    monkeypatch.setattr(engine, "LAZY_AGENTS_FROM", 1)


def scenario(staffing, balk_probability=0.0):
    return scenario_from_dict({
        "schema_version": 1,
        "name": "lazy agents",
        "interval_minutes": 15,
        "arrivals": {"calls": [1.0] * len(staffing)},
        "queues": [{"name": "q", "talk_time": {"dist": "fixed", "mean": 1},
                    "balk_probability": balk_probability}],
        "agents": [{"name": "team", "serves": ["q"], "staffing": list(staffing)}],
    })


def callers(arrived, talk, patience=None, balk_u=None):
    n = len(arrived)
    return Callers(
        arrived_at_s=np.array(arrived, dtype=float),
        queue=np.zeros(n, dtype=np.int16),
        talk_s=np.array(talk, dtype=float),
        acw_s=np.zeros(n),
        patience_s=np.array(patience or [INF] * n, dtype=float),
        balk_u=np.array(balk_u or [0.5] * n, dtype=float),
        busyness=1.0,
    )


def test_the_agent_idle_longest_answers_next():
    # agent 0 takes caller 0 (free at 100), agent 1 caller 1 (free at 40): at 500 agent 1 has
    # been idle longest (since 40) and answers; caller 3 at 510 gets agent 0.
    rec = simulate_callers(scenario([2]), callers([0, 10, 500, 510], [100, 30, 5, 5])).records
    assert rec.agent.tolist() == [0, 1, 1, 0]
    assert rec.wait_s.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_a_job_ending_at_an_arrival_but_scheduled_after_it_is_not_free_yet():
    # Caller 1 arrives at 50: the next arrival (at 100) is scheduled first, then agent 1's job
    # end (50 + 50 = 100). At 100, agent 0 (free at 100, scheduled at 0) is free; agent 1 not
    # yet. Caller 2 (balks whenever it would have to wait) is answered by agent 0, caller 3 at
    # 150 by agent 1.
    s = scenario([2], balk_probability=1.0)
    rec = simulate_callers(s, callers([0, 50, 100, 150], [100, 50, 500, 5])).records
    assert rec.outcome.tolist() == [Outcome.ANSWERED] * 4
    assert rec.agent.tolist() == [0, 1, 0, 1]


def test_a_job_ending_at_an_arrival_scheduled_before_it_is_not_free_for_it():
    # Agent 0 busy 0-1000. Caller 1 at 50 is answered by agent 1 until 100; caller 2's arrival
    # at 100 was scheduled (at 50) before that job's end, so caller 2 finds nobody free and balks.
    s = scenario([2], balk_probability=1.0)
    rec = simulate_callers(s, callers([0, 50, 100], [1000, 50, 5])).records
    assert rec.outcome.tolist() == [Outcome.ANSWERED, Outcome.ANSWERED, Outcome.BALKED]


def test_a_busy_agent_owed_a_departure_leaves_at_the_end_of_its_job():
    # Two agents, then one at 900. Both busy across 900 with no one waiting (lazy jobs): the
    # first to finish (caller 1's agent, at 950) leaves then; 900-950 is overtime.
    result = simulate_callers(scenario([2, 1]), callers([800, 850], [300, 100]))
    assert result.overtime_start_s.tolist() == [900.0]
    assert result.overtime_end_s.tolist() == [950.0]
    assert result.run_end_s == 1800.0


def test_at_the_close_busy_agents_go_home_when_their_job_ends():
    # One 15-minute interval; the agent's job (880-1000) ends after the close: overtime
    # 900-1000 and the run ends at 1000.
    result = simulate_callers(scenario([1]), callers([880], [120]))
    assert result.overtime_start_s.tolist() == [900.0]
    assert result.overtime_end_s.tolist() == [1000.0]
    assert result.run_end_s == 1000.0


def lazy_eager_differences(monkeypatch, n_days: int) -> tuple[list[int], int, int]:
    """Random plain days (no IVR, callbacks or return calls: where lazy agents apply) whose
    events often fall at the same moment: whole-second arrivals in pairs, fixed integer
    durations, staffing changes, two queues and groups, balking. Each is simulated with lazy
    agents (from 1 agent) and eager ones (never lazy): the days whose records, busy spans or
    overtime differ, arrivals at the very moment a job ends, and job ends deferred."""
    deferred = []
    defer = Kernel.defer
    monkeypatch.setattr(Kernel, "defer", lambda env, *args: (deferred.append(1), defer(env, *args)))
    rng = np.random.default_rng(20261206)
    differ, same_moment = [], 0
    for seed in range(n_days):
        data = tie_heavy_scenario(rng)
        data.pop("ivr", None)
        data.pop("return_calls", None)
        data["arrivals"]["queue_shares"] = {"a": 0.6, "b": 0.4}
        for queue in data["queues"]:
            queue.pop("callback", None)
            queue.pop("first_contact_resolution", None)
        s = scenario_from_dict(data)
        drawn = draw_callers(s, seed, 0)
        day = dataclasses.replace(drawn, arrived_at_s=np.floor(drawn.arrived_at_s / 2) * 2)
        days = {}
        for lazy_from in (1, 10**9):
            monkeypatch.setattr(engine, "LAZY_AGENTS_FROM", lazy_from)
            days[lazy_from] = simulate_callers(s, day, replication=0, seed=seed)
        if as_bytes(days[1]) != as_bytes(days[10**9]):
            differ.append(seed)
        ends = set(days[1].busy_end_s.tolist())
        same_moment += sum(t in ends for t in day.arrived_at_s.tolist())
    return differ, same_moment, len(deferred)


def test_lazy_and_eager_agents_give_the_same_day_to_the_byte_on_tie_heavy_days(monkeypatch):
    differ, same_moment, deferred = lazy_eager_differences(monkeypatch, 120)
    assert differ == []
    assert same_moment > 500  # arrivals at the very moment jobs end
    assert deferred > 2000  # and the lazy days did defer job ends


def test_lazy_agents_freed_out_of_order_are_caught(monkeypatch):
    # negative control: a kernel that frees every agent whose job ends at the current moment,
    # also those whose due would have run after the current event
    def sloppy(env, deferred, eid):
        before = (env.now, math.inf)
        for heap, sink in deferred:
            while heap and heap[0] < before:
                sink.append(heappop(heap)[2])

    monkeypatch.setattr(Kernel, "release_deferred", sloppy)
    differ, _, _ = lazy_eager_differences(monkeypatch, 60)
    assert len(differ) >= 3, differ
