"""What happens to callers still waiting when the last interval ends (`on_close`): exact
micro-timelines for `disconnect` beside today's `serve` (the negative control), the per-queue
override, callbacks pending at the close, lines freed, conservation and the KPI, the refusal of
an unknown word. The differential test against tests/reference_model.py covers random days
(IVR callers reaching a closed queue included)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import REPO, assert_run_refuses
from simulator import Callers, Outcome, check_conservation, scenario_from_dict, simulate_callers, simulate_replication
from simulator.kpis import replication_kpis
from test_routing_policies import callers

A, X, D = Outcome.ANSWERED, Outcome.ABANDONED, Outcome.DISCONNECTED
INF = math.inf
FIXED = lambda mean: {"dist": "fixed", "mean": mean}  # noqa: E731


def one_agent(on_close=None, **queue_extra):
    data = {"schema_version": 1, "name": "closing", "interval_minutes": 15, "arrivals": {"calls": [1.0]},
            "queues": [{"name": "q", "talk_time": FIXED(400), **queue_extra}],
            "agents": [{"name": "a", "serves": ["q"], "staffing": [1]}]}
    if on_close is not None:
        data["on_close"] = on_close
    return scenario_from_dict(data)


# one agent, talk 400 s, the day ends at 900: caller 0 talks 0-400, caller 1 (100) 400-800,
# caller 2 (700) 800-1200; caller 3 (850) still waits at the close; caller 4 (860, patience 20)
# abandons at 880, before it
DAY = dict(arrived=[0, 100, 700, 850, 860], talk=[400] * 5, patience=[INF, INF, INF, INF, 20])


def test_disconnect_cuts_off_the_callers_still_waiting_at_the_close():
    result = simulate_callers(one_agent("disconnect"), callers(**DAY))
    rec = result.records
    assert rec.outcome.tolist() == [A, A, A, D, X]
    assert rec.wait_s.tolist() == [0.0, 300.0, 100.0, 50.0, 20.0]
    assert rec.agent.tolist() == [0, 0, 0, -1, -1]
    # the agent finishes caller 2 (overtime 900-1200) and goes home: nobody is left to serve
    assert result.run_end_s == 1200.0
    assert result.overtime_start_s.tolist() == [900.0] and result.overtime_end_s.tolist() == [1200.0]


def test_serve_keeps_the_agents_until_the_queue_is_empty():
    # negative control, today's rule (the default, and said explicitly): caller 3 is answered at 1200
    for scenario in (one_agent(None), one_agent("serve")):
        result = simulate_callers(scenario, callers(**DAY))
        assert result.records.outcome.tolist() == [A, A, A, A, X]
        assert result.records.wait_s.tolist() == [0.0, 300.0, 100.0, 350.0, 20.0]
        assert result.run_end_s == 1600.0


def test_a_caller_whose_patience_ran_out_unnoticed_before_the_close_abandoned():
    # caller 3 (850, patience 40) hung up at 890, found only at the close: abandoned, not cut off
    day = dict(DAY, patience=[INF, INF, INF, 40, 20])
    rec = simulate_callers(one_agent("disconnect"), callers(**day)).records
    assert rec.outcome.tolist() == [A, A, A, X, X]
    assert rec.wait_s.tolist()[3] == 40.0


def two_queues(on_close=None, a_on_close=None, b_on_close=None):
    queues = [{"name": "A", "talk_time": FIXED(400)}, {"name": "B", "talk_time": FIXED(400)}]
    for queue, rule in zip(queues, (a_on_close, b_on_close)):
        if rule is not None:
            queue["on_close"] = rule
    data = {"schema_version": 1, "name": "closing", "interval_minutes": 15,
            "arrivals": {"calls": [1.0], "queue_shares": {"A": 0.5, "B": 0.5}}, "queues": queues,
            "agents": [{"name": "a", "serves": ["A"], "staffing": [1]}, {"name": "b", "serves": ["B"], "staffing": [1]}]}
    if on_close is not None:
        data["on_close"] = on_close
    return scenario_from_dict(data)


def test_a_queue_may_override_the_centres_rule():
    # both agents busy 600-1000; caller 2 waits in A, caller 3 in B at the close (900)
    c = callers([600, 610, 800, 820], talk=[400] * 4, queue=[0, 1, 0, 1])
    rec = simulate_callers(two_queues("disconnect", b_on_close="serve"), c).records
    assert rec.outcome.tolist() == [A, A, D, A]
    assert rec.wait_s.tolist() == [0.0, 0.0, 100.0, 190.0]  # B's caller answered at 1010
    rec = simulate_callers(two_queues(None, a_on_close="disconnect"), c).records  # the same, said per queue
    assert rec.outcome.tolist() == [A, A, D, A]
    rec = simulate_callers(two_queues("serve", a_on_close="serve"), c).records  # control: everyone served
    assert rec.outcome.tolist() == [A] * 4


def test_a_cut_off_caller_frees_its_line():
    # trunks: caller 3 is cut off at 900 and leaves its line; agents' work after the close is unchanged
    data = one_agent("disconnect").model_dump(mode="json")
    rec = simulate_callers(scenario_from_dict({**data, "trunks": 3}), callers(**DAY)).records
    assert rec.outcome.tolist() == [A, A, A, D, X]


def callback_day(on_close, **callback):
    return one_agent(on_close, patience=FIXED(10_000),
                     callback={"offer_when_expected_wait_over": 0, "accept_probability": 1.0,
                               "dial_time": FIXED(20), "answer_probability": 1.0, **callback})


def two_callers():
    # caller 0 talks 800-1200; caller 1 (850) would wait, is offered a callback and accepts it
    return Callers(arrived_at_s=np.array([800.0, 850.0]), queue=np.zeros(2, dtype=np.int16),
                   talk_s=np.array([400.0, 50.0]), acw_s=np.zeros(2), patience_s=np.full(2, 10_000.0),
                   balk_u=np.full(2, 0.5), callback_u=np.zeros(2), callback_wait_s=np.full(2, 300.0))


@pytest.mark.parametrize("mode", ["keep_place", "scheduled"])
def test_callbacks_not_made_by_the_close_are_dropped_where_the_queue_disconnects(mode):
    extra = {"mode": "scheduled", "delay": FIXED(300)} if mode == "scheduled" else {}
    # disconnect: the callback (keeping its place, or due at 1150) is not made; the agent goes
    # home when caller 0's talk ends at 1200
    result = simulate_callers(callback_day("disconnect", **extra), two_callers())
    assert result.records.outcome.tolist() == [A, Outcome.CALLBACK_FAILED]
    assert result.busy_start_s.tolist() == [800.0] and result.run_end_s == 1200.0
    check_conservation(result)
    # control, serve: the agent dials it at 1200 (connected at 1220), as before the rule existed
    result = simulate_callers(callback_day("serve", **extra), two_callers())
    assert result.records.outcome.tolist() == [A, Outcome.CALLBACK_COMPLETED]
    assert result.busy_start_s.tolist() == [800.0, 1200.0]
    assert result.records.callback_delay_s[1] == 370.0


def evening(on_close):
    return scenario_from_dict({
        "schema_version": 1, "name": "evening", "interval_minutes": 30, "on_close": on_close,
        "arrivals": {"calls": [150.0, 180.0, 200.0]},
        "queues": [{"name": "q", "talk_time": {"dist": "exponential", "mean": 200},
                    "patience": {"dist": "exponential", "mean": 300}}],
        "agents": [{"name": "a", "serves": ["q"], "staffing": [16, 18, 17]}],
        "trunks": 40,
        "return_calls": {"redial_probability": 0.5, "redial_delay": {"dist": "exponential", "mean": 300}},
    })


def test_every_call_is_conserved_and_the_close_cuts_off_only_then():
    outcomes = ("answered", "abandoned", "balked", "unserved", "blocked", "disconnected_at_close")
    cut_off = 0
    for r in range(4):
        result = simulate_replication(evening("disconnect"), seed=11, replication=r)
        check_conservation(result)
        rec = result.records
        kpi = {k: v[-1] for k, v in replication_kpis(result, evening("disconnect")).items()}
        assert kpi["offered"] == sum(kpi[name] for name in outcomes)
        assert kpi["unserved"] == 0
        ended_s = rec.arrived_at_s + rec.wait_s  # no IVR: joined at arrival
        assert np.allclose(ended_s[rec.outcome == D], 5400.0)  # all cut off at the close, no sooner
        cut_off += kpi["disconnected_at_close"]
        # control: serving, the same callers are answered or abandon after the close instead
        served = simulate_replication(evening("serve"), seed=11, replication=r).records
        assert not (served.outcome == D).any()
        assert ((served.outcome[rec.outcome == D] == A) | (served.outcome[rec.outcome == D] == X)).all()
    assert cut_off > 20  # power: callers do wait at the close


def test_the_kpi_is_reported_only_when_some_queue_disconnects():
    for rule, reported in (("serve", False), ("disconnect", True)):
        kpi = replication_kpis(simulate_replication(evening(rule), 1, 0), evening(rule))
        assert ("disconnected_at_close" in kpi) is reported


@pytest.mark.parametrize("where, key", [("scenario", "on_close"), ("queue", "queues[0].on_close")])
def test_an_unknown_closing_rule_is_one_line_naming_the_key(tmp_path, capsys, where, key):
    text = (REPO / "scenarios" / "help_desk.yaml").read_text()
    if where == "scenario":
        text += "on_close: hang_up\n"
    else:
        text = text.replace("    patience:", "    on_close: hang_up\n    patience:", 1)
    assert_run_refuses(tmp_path, capsys, text, f"{key}:", "serve", "disconnect")
