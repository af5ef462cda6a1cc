"""Regression tests for bugs found in an independent correctness review (hand-built micro-days)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from simulator import Callers, Outcome, scenario_from_dict, simulate_callers
from simulator.ivr import IvrPaths
from simulator.kpis import replication_kpis

INF = math.inf
FIXED = lambda s: {"dist": "fixed", "mean": s}  # noqa: E731


def one_queue(staffing, interval_minutes=15):
    return scenario_from_dict({
        "schema_version": 1, "name": "review", "interval_minutes": interval_minutes,
        "arrivals": {"calls": [1.0] * len(staffing)},
        "queues": [{"name": "q", "talk_time": FIXED(1)}],
        "agents": [{"name": "team", "serves": ["q"], "staffing": list(staffing)}],
    })


def callers(arrived, talk, patience=None, queue=None, **extra):
    n = len(arrived)
    return Callers(
        arrived_at_s=np.array(arrived, dtype=float),
        queue=np.array(queue or [0] * n, dtype=np.int16),
        talk_s=np.array(talk, dtype=float),
        acw_s=np.zeros(n),
        patience_s=np.array(patience or [INF] * n, dtype=float),
        balk_u=np.full(n, 0.5),
        **extra,
    )


def test_run_end_is_when_the_last_agent_leaves_not_a_leftover_patience_timer():
    # caller 1 waits 10 -> 100 and is answered; its patience timer (5000 s) is never cancelled
    # in SimPy and fired at t = 5010, long after the last agent left at 200.
    sc = one_queue([1])
    result = simulate_callers(sc, callers([0, 10], talk=[100, 100], patience=[INF, 5000]))
    assert result.records.wait_s.tolist() == [0.0, 90.0]
    assert result.run_end_s == 900.0  # the day ends at 900; nobody worked past it
    kpi = replication_kpis(result, sc)
    # 90 caller-seconds waiting over the 900 s day
    assert kpi["avg_queue_length"][-1] == pytest.approx(90 / 900)


def test_unserved_wait_ends_when_the_last_agent_leaves():
    # queue unstaffed in the last interval; caller 1 (infinite patience) is left unserved.
    # Caller 0 was answered after waiting, and its long patience timer fires at 10_020.
    sc = one_queue([1, 0])
    c = callers([0, 10, 1000], talk=[50, 20, 5], patience=[INF, 10_000, INF])
    result = simulate_callers(sc, c)
    rec = result.records
    assert rec.outcome.tolist() == [Outcome.ANSWERED, Outcome.ANSWERED, Outcome.UNSERVED]
    assert result.run_end_s == 1800.0
    assert rec.wait_s[2] == pytest.approx(1800.0 - 1000.0)


def test_agent_kept_past_a_staffing_drop_then_back_on_shift_is_overtime():
    # staffing 1, 0, 1: the agent is busy 0-2000, owed a departure at 900, and back on shift
    # at 1800. 900-1800 it worked outside its shift: overtime, and occupancy never above 1.
    sc = one_queue([1, 0, 1])
    result = simulate_callers(sc, callers([0], talk=[2000]))
    kpi = replication_kpis(result, sc)
    assert kpi["overtime_agent_seconds"].tolist() == [0.0, 900.0, 0.0, 900.0]
    assert kpi["occupancy"].tolist() == pytest.approx([1.0, 1.0, 200 / 900, 2000 / 2700])


def misrouted_day():
    scenario = scenario_from_dict({
        "schema_version": 1, "name": "review", "interval_minutes": 15, "arrivals": {"calls": [1]},
        "queues": [{"name": "sales", "talk_time": FIXED(100)}, {"name": "support", "talk_time": FIXED(100)}],
        "ivr": {"menus": [{"name": "main", "prompt": FIXED(10), "options": [
            {"key": "1", "share": 1.0, "to": "support",
             "misroute": {"share": 1.0, "queue": "sales", "transfer_time": FIXED(65)}}]}]},
        "agents": [{"name": "sales team", "serves": ["sales"], "staffing": [1]},
                   {"name": "support team", "serves": ["support"], "staffing": [1]}],
    })
    # caller 0 is a sales call; caller 1 is a support call misrouted to sales
    paths = IvrPaths(
        ivr_s=np.array([10.0, 10.0]), route=np.array([0, 0], dtype=np.int16),
        true_queue=np.array([-1, 1], dtype=np.int16), transfer_s=np.array([0.0, 65.0]),
        menus=np.ones(2, dtype=np.int8), zero_out=np.zeros(2, dtype=bool),
        pre_menu_s=np.zeros(2), announce_u=np.ones(2),
    )
    return scenario, callers([0, 0], talk=[100, 100], ivr=paths)


def test_misrouted_call_that_waited_in_the_wrong_queue_counts_that_wait_once():
    scenario, c = misrouted_day()
    result = simulate_callers(scenario, c)
    rec = result.records
    # sales agent busy 10-110 with caller 0; caller 1 waits 10-110 in sales, is transferred
    # 110-175, and the idle support agent answers it at 175: it waited 100 s on the line.
    assert rec.outcome.tolist() == [Outcome.ANSWERED, Outcome.ANSWERED]
    assert rec.wait_s.tolist() == [0.0, 100.0]


def test_waiting_after_the_last_agent_left_stays_in_the_queue_length():
    # staffing 1 then 0: the agent leaves at 900; a caller arriving at 1700 with patience 300
    # hangs up at 2000. Its 300 s in line count in the queue length (Little's law).
    sc = one_queue([1, 0])
    result = simulate_callers(sc, callers([1700], talk=[10], patience=[300]))
    assert result.records.outcome.tolist() == [Outcome.ABANDONED]
    assert result.run_end_s == 2000.0
    kpi = replication_kpis(result, sc)
    assert kpi["avg_queue_length"][-1] * 2000.0 == pytest.approx(300.0)


def test_littles_law_queue_length_matches_waits_on_a_random_day():
    from simulator import simulate_replication

    sc = scenario_from_dict({
        "schema_version": 1, "name": "review", "interval_minutes": 15,
        "arrivals": {"calls": [40, 60, 80, 30], "queue_shares": {"a": 0.6, "b": 0.4}},
        "queues": [{"name": "a", "talk_time": {"dist": "exponential", "mean": 400},
                    "patience": {"dist": "exponential", "mean": 5000}},
                   {"name": "b", "talk_time": {"dist": "lognormal", "mean": 500, "cv": 1.0}}],
        "agents": [{"name": "g1", "serves": ["a", "b"], "staffing": [5, 3, 0, 4]},
                   {"name": "g2", "serves": ["b"], "staffing": [2, 0, 3, 0]}],
    })
    for replication in range(3):
        result = simulate_replication(sc, seed=5, replication=replication)
        rec = result.records
        waited = np.isin(rec.outcome, [Outcome.ANSWERED, Outcome.ABANDONED, Outcome.UNSERVED])
        kpi = replication_kpis(result, sc)
        assert kpi["avg_queue_length"][-1] * result.run_end_s == pytest.approx(rec.wait_s[waited].sum())
        assert kpi["occupancy"].max() <= 1.0 + 1e-12


def test_misrouted_caller_who_accepted_a_callback_is_still_transferred():
    from simulator.records import TRANSFERRED

    scenario, c = misrouted_day()
    data = scenario.model_dump(mode="json", exclude_unset=True)
    data["queues"][0]["patience"] = FIXED(1000)
    data["queues"][0]["callback"] = {"offer_when_expected_wait_over": 0, "accept_probability": 1.0,
                                     "dial_time": FIXED(20), "answer_probability": 1.0}
    scenario = scenario_from_dict(data)
    c = callers([0, 0], talk=[100, 100], patience=[1000, 1000], ivr=c.ivr,
                callback_u=np.zeros(2), callback_wait_s=np.zeros(2))
    rec = simulate_callers(scenario, c).records
    # caller 1 (support, misrouted to sales) accepts a callback in sales; the sales agent
    # calls back at 110 and, as for any misrouted call, transfers it to support
    assert rec.outcome[1] == Outcome.CALLBACK_COMPLETED
    assert rec.flags[1] & TRANSFERRED
    assert rec.group[1] == 1  # answered in the end by the support team


def test_intervals_without_agents_have_no_occupancy_and_no_residue():
    """Staffing that drops to 0 (a centre closing for an hour, or for the rest of the day):
    interval accounting must leave no float residue. Over random staffing patterns with zeros,
    occupancy is absent where no agent time was on shift, else within [0, 1]; overtime is never
    negative; conservation holds."""
    import numpy as np

    from simulator.run import run_scenario

    rng = np.random.default_rng(20261201)
    for trial in range(12):
        n = int(rng.integers(2, 7))
        staffing = [int(v) for v in rng.choice([0, 0, 1, 3, 5], size=n)]
        staffing[0] = max(staffing[0], 1)
        scenario = scenario_from_dict({
            "schema_version": 1, "name": f"zeros {trial}", "interval_minutes": 30,
            "arrivals": {"calls": [float(v) for v in rng.integers(0, 80, size=n)]},
            "queues": [{"name": "q", "talk_time": {"dist": "exponential", "mean": 240},
                        "acw": {"dist": "exponential", "mean": 30},
                        "patience": {"dist": "exponential", "mean": 150}}],
            "agents": [{"name": "a", "serves": ["q"], "staffing": staffing}],
        })
        result = run_scenario(scenario, replications=3, seed=trial)
        occupancy = result.per_replication["occupancy"][:, :-1]
        overtime = result.per_replication["overtime_agent_seconds"]
        assert (overtime >= 0).all(), (staffing, overtime)
        finite = np.isfinite(occupancy)
        assert ((occupancy[finite] >= 0) & (occupancy[finite] <= 1)).all(), (staffing, occupancy)
        for k, agents in enumerate(staffing):
            if agents == 0:  # no one scheduled: on shift only as overtime, or absent
                no_time = overtime[:, k] == 0
                assert np.isnan(occupancy[no_time, k]).all(), (staffing, k, occupancy[:, k], overtime[:, k])


def test_span_overlap_is_exact_for_spans_across_bins():
    import numpy as np

    from simulator.kpis import span_overlap

    edges = np.array([0.0, 10.0, 20.0, 30.0])
    # inside one bin; across one edge; across two edges (a whole bin inside); outside the range
    got = span_overlap(np.array([1.0, 8.0, 5.0, -5.0, 40.0]), np.array([3.0, 12.0, 25.0, -1.0, 50.0]), edges)
    assert got.tolist() == [2.0 + 2.0 + 5.0, 2.0 + 10.0, 5.0]
    assert span_overlap(np.array([]), np.array([]), edges).tolist() == [0.0, 0.0, 0.0]
