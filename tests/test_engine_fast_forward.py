"""Arrivals without a timeout: when the next first call's arrival is the very next event, the
engine handles it at once instead of scheduling a timeout (engine._arrivals). Hand-computed
timelines where a job ends at the very moment of the next arrival (which runs first is decided
by when each was scheduled), and tie-heavy days (integer times, fixed durations, IVR, redials,
callbacks, staffing changes) simulated with and without the shortcut, compared to the byte."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import simpy

from simulator import Callers, Outcome, engine, scenario_from_dict, simulate_callers
from simulator.callers import draw_callers
from simulator.kernel import Kernel

INF = math.inf
FIXED = lambda s: {"dist": "fixed", "mean": s}  # noqa: E731


def one_agent(balk_probability=0.5):
    return scenario_from_dict({
        "schema_version": 1,
        "name": "one agent",
        "interval_minutes": 15,
        "arrivals": {"calls": [1.0]},
        "queues": [{"name": "q", "talk_time": FIXED(1), "balk_probability": balk_probability}],
        "agents": [{"name": "team", "serves": ["q"], "staffing": [1]}],
    })


def callers(arrived, talk, balk_u):
    n = len(arrived)
    return Callers(
        arrived_at_s=np.array(arrived, dtype=float),
        queue=np.zeros(n, dtype=np.int16),
        talk_s=np.array(talk, dtype=float),
        acw_s=np.zeros(n),
        patience_s=np.full(n, INF),
        balk_u=np.array(balk_u, dtype=float),
        busyness=1.0,
    )


def outcomes(arrived, talk, balk_u):
    return simulate_callers(one_agent(), callers(arrived, talk, balk_u)).records.outcome.tolist()


ANSWERED, BALKED = int(Outcome.ANSWERED), int(Outcome.BALKED)


def test_a_job_end_scheduled_before_the_next_arrival_frees_the_agent_for_it():
    # Caller 0 (0-100) is answered at 0: its job's end (at 100) is scheduled then. Caller 1
    # at 50 balks (balk_u 0.1 < 0.5: it would have to wait); only then is caller 2's arrival
    # (at 100) scheduled. At 100 the job end runs first: caller 2 finds the agent free. The
    # shortcut must not take caller 2's arrival as the next event: the job end's key
    # (100, NORMAL, earlier eid) is below it.
    assert outcomes([0, 50, 100], [100, 1, 1], [0.9, 0.1, 0.1]) == [ANSWERED, BALKED, ANSWERED]
    # power check: the order at 100 decides caller 2's fate (a hair later it is answered, a
    # hair earlier it balks), so an engine running the tie the other way fails the line above
    assert outcomes([0, 50, 100 - 1e-6], [100, 1, 1], [0.9, 0.1, 0.1]) == [ANSWERED, BALKED, BALKED]


def test_a_job_end_scheduled_after_the_next_arrival_is_not_free_for_it():
    # Caller 1's arrival (at 100) is scheduled at time 0 before caller 0 is answered, so
    # before the end of caller 0's job (0-100): at 100 caller 1 arrives first, finds the agent
    # busy and balks. Here the arrival is the very next event and is handled at once; its
    # sequence number is drawn before the calls of time 0 start, as its timeout's was.
    assert outcomes([0, 100], [100, 1], [0.9, 0.1]) == [ANSWERED, BALKED]
    assert outcomes([0, 100 + 1e-6], [100, 1], [0.9, 0.1]) == [ANSWERED, ANSWERED]  # power check


def test_the_shortcut_saves_events(monkeypatch):
    # One agent busy all day, every later caller balks: nothing but arrivals (and the two
    # interval boundaries) happens, so every arrival but the first is the very next event.
    # counted with SimPy's run(), which calls step() once per event, in place of run_dry (same day)
    steps = []
    step = Kernel.step
    monkeypatch.setattr(Kernel, "step", lambda env: (steps.append(1), step(env)))
    monkeypatch.setattr(Kernel, "run_dry", simpy.Environment.run)
    day = callers([0, 10, 20, 30, 40], [2000, 1, 1, 1, 1], [0.9, 0.1, 0.1, 0.1, 0.1])
    assert simulate_callers(one_agent(), day).records.outcome.tolist() == [ANSWERED] + [BALKED] * 4
    with_shortcut = len(steps)
    steps.clear()
    monkeypatch.setattr(engine, "ARRIVALS_WITHOUT_TIMEOUT", False)
    assert simulate_callers(one_agent(), day).records.outcome.tolist() == [ANSWERED] + [BALKED] * 4
    assert len(steps) - with_shortcut == 4  # four arrival timeouts fewer


def tie_heavy_scenario(rng: np.random.Generator) -> dict:
    """A small day whose events often fall at the same moment: fixed integer durations."""
    talk = [int(rng.integers(20, 120)), int(rng.integers(20, 120))]
    data = {
        "schema_version": 1,
        "name": "ties",
        "interval_minutes": 15,
        "arrivals": {"calls": [float(rng.integers(20, 120)) for _ in range(4)],
                     "queue_shares": {"a": 0.6, "b": 0.4}},
        "queues": [
            {"name": "a", "talk_time": FIXED(talk[0]), "acw": FIXED(int(rng.integers(0, 3)) * 10),
             "patience": FIXED(int(rng.integers(1, 6)) * 20), "balk_probability": 0.2},
            {"name": "b", "talk_time": FIXED(talk[1]), "patience": FIXED(int(rng.integers(1, 6)) * 20)},
        ],
        "agents": [
            {"name": "both", "serves": ["a", "b"], "staffing": [int(v) for v in rng.integers(1, 5, 4)]},
            {"name": "b only", "serves": ["b"], "staffing": [int(v) for v in rng.integers(0, 3, 4)]},
        ],
    }
    feature = rng.integers(0, 4)
    if feature == 1:  # an IVR with fixed times and redials
        del data["arrivals"]["queue_shares"]
        data["ivr"] = {"greeting": FIXED(5), "menus": [
            {"name": "main", "prompt": FIXED(int(rng.integers(1, 4)) * 5), "hang_up": 0.1,
             "options": [{"key": "1", "share": 0.5, "to": "a"}, {"key": "2", "share": 0.5, "to": "b"}]}]}
        data["return_calls"] = {"redial_probability": 0.6, "redial_delay": FIXED(int(rng.integers(1, 5)) * 30),
                                "repeat_delay": FIXED(300), "max_calls": 3}
        for q in data["queues"]:
            q["first_contact_resolution"] = 0.7
    elif feature == 2:  # callbacks, keeping the place or called back later
        mode = "keep_place" if rng.random() < 0.5 else "scheduled"
        data["queues"][0]["callback"] = {
            "offer_when_expected_wait_over": 10, "accept_probability": 0.5, "mode": mode,
            "dial_time": FIXED(10), "answer_probability": 0.7, "retry_delay": FIXED(60), "max_attempts": 2,
            **({"delay": FIXED(int(rng.integers(1, 4)) * 30)} if mode == "scheduled" else {})}
    elif feature == 3:  # no IVR, no callbacks: lazy agents are tried too (see the test)
        pass
    return data


def simulate(scenario, day: Callers, seed: int, shortcut: bool, monkeypatch):
    monkeypatch.setattr(engine, "ARRIVALS_WITHOUT_TIMEOUT", shortcut)
    return simulate_callers(scenario, day, replication=0, seed=seed)


def as_bytes(result) -> dict:
    out = {f.name: getattr(result.records, f.name).tobytes() for f in dataclasses.fields(result.records)}
    for name in ("busy_group", "busy_start_s", "busy_end_s", "overtime_group", "overtime_start_s", "overtime_end_s"):
        out[name] = getattr(result, name).tobytes()
    out["run_end_s"] = result.run_end_s
    return out


@pytest.mark.parametrize("lazy_from", [engine.LAZY_AGENTS_FROM, 1])
def test_tie_heavy_days_are_the_same_to_the_byte_with_and_without_the_shortcut(monkeypatch, lazy_from):
    monkeypatch.setattr(engine, "LAZY_AGENTS_FROM", lazy_from)
    rng = np.random.default_rng(20261201)
    same_moment = 0
    for seed in range(120):
        scenario = scenario_from_dict(tie_heavy_scenario(rng))
        drawn = draw_callers(scenario, seed, 0)
        # whole seconds, in pairs: many calls arrive together or at the moment of another event
        day = dataclasses.replace(drawn, arrived_at_s=np.floor(drawn.arrived_at_s / 2) * 2)
        with_shortcut = simulate(scenario, day, seed, True, monkeypatch)
        without = simulate(scenario, day, seed, False, monkeypatch)
        assert as_bytes(with_shortcut) == as_bytes(without), f"day {seed} differs"
        ends = set(with_shortcut.busy_end_s.tolist())
        same_moment += sum(t in ends for t in day.arrived_at_s.tolist())
    assert same_moment > 500  # the days do put arrivals at the very moment jobs end
