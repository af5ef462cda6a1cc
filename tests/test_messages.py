"""A maximum wait that ends in a message (`queues[].max_wait`): exact micro-timelines with
patience, priority classes, overflow, telephone lines and the end of the day, each beside its
negative control (the same callers without the rule); the message probability of M/M/1 with a
deterministic maximum wait (M/M/1+D) within 4 SE, with a power check and a control; messages
not redialled; conservation and the KPIs; the refusal of a bad value."""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import REPO, assert_run_refuses
from simulator import Callers, Outcome, check_conservation, scenario_from_dict, simulate_callers, simulate_replication
from simulator.records import message_called_back
from simulator.kpis import replication_kpis
from steady_state import mmn_scenario, steady_estimates
from test_routing_policies import callers, one_queue, two_queues

A, X, M, U = Outcome.ANSWERED, Outcome.ABANDONED, Outcome.MESSAGE, Outcome.UNSERVED
INF = math.inf


def with_max_wait(scenario, after_s, queue=0):
    """The scenario with queue `queue` sending callers to a message after `after_s`."""
    data = scenario.model_dump(mode="json")
    data["queues"][queue]["max_wait"] = {"after_s": after_s}
    return scenario_from_dict(data)


def one_agent(talk_s=100, **extra):
    return scenario_from_dict({
        "schema_version": 1, "name": "messages", "interval_minutes": 15, "arrivals": {"calls": [1.0]},
        "queues": [{"name": "q", "talk_time": {"dist": "fixed", "mean": talk_s}}],
        "agents": [{"name": "a", "serves": ["q"], "staffing": [1]}], **extra})


def test_whichever_comes_first_patience_or_the_maximum_wait():
    # one agent, talk 100 s, maximum wait 30 s. Caller 1 (10 s, never abandons) is sent to a
    # message at 40; caller 2 (20 s, patience 15) abandons at 35 first; caller 3 (50 s) gets its
    # message at 80; caller 4 (60 s, patience 30 = the maximum wait) abandons at 90 (equal
    # moments: it abandons). The agent is free at 100 and nobody waits any more.
    c = callers([0, 10, 20, 50, 60], talk=[100] * 5, patience=[INF, INF, 15, INF, 30])
    rec = simulate_callers(with_max_wait(one_agent(), 30), c).records
    assert rec.outcome.tolist() == [A, M, X, M, X]
    assert rec.wait_s.tolist() == [0.0, 30.0, 15.0, 30.0, 30.0]
    assert rec.group.tolist() == [0, -1, -1, -1, -1] and rec.agent.tolist() == [0, -1, -1, -1, -1]
    # negative control: without the rule callers 1 and 3 wait for the agent (100 and 200)
    rec = simulate_callers(one_agent(), c).records
    assert rec.outcome.tolist() == [A, A, X, A, X]
    assert rec.wait_s.tolist() == [0.0, 90.0, 15.0, 150.0, 30.0]


def test_a_message_makes_room_for_the_callers_behind():
    # maximum wait 45: caller 1 (10 s) leaves its message at 55, so caller 2 (60 s) is next when
    # the agent is free at 100 (wait 40), before its own maximum wait (105)
    c = callers([0, 10, 60], talk=[100] * 3)
    rec = simulate_callers(with_max_wait(one_agent(), 45), c).records
    assert rec.outcome.tolist() == [A, M, A]
    assert rec.wait_s.tolist() == [0.0, 45.0, 40.0]
    rec = simulate_callers(one_agent(), c).records  # control: caller 2 waits behind caller 1 until 200
    assert rec.wait_s.tolist() == [0.0, 90.0, 140.0]


def test_the_maximum_wait_holds_in_every_priority_class():
    # one agent busy 0-100 with caller 0; caller 1 (5 s) is ordinary, callers 2 (10 s) and 3
    # (20 s) are vip. Maximum wait 85. At 100 the agent takes the vip line first: caller 2's
    # message came at 95, caller 3 (deadline 105) is answered (wait 80), 100-110. At 110 the
    # ordinary caller 1 had its message at 90. Priority does not exempt a caller from the rule.
    sc = one_queue(classes=[{"name": "vip", "share": 0.3}])
    c = callers([0, 5, 10, 20], talk=[100, 10, 10, 10], priority_u=[0.9, 0.9, 0.1, 0.1])
    rec = simulate_callers(with_max_wait(sc, 85), c).records
    assert rec.outcome.tolist() == [A, M, M, A]
    assert rec.wait_s.tolist() == [0.0, 85.0, 85.0, 80.0]
    # control: without the rule the vips are answered at 100 and 110, the ordinary caller at 120
    rec = simulate_callers(sc, c).records
    assert rec.outcome.tolist() == [A] * 4
    assert rec.wait_s.tolist() == [0.0, 115.0, 90.0, 90.0]


# tests/test_routing_policies.py's overflow day: queue A (a team, busy 0-100) overflows to the b
# team after 30 s; the b agent is busy 5-55 with caller 1 of its own queue B
OVERFLOW_DAY = dict(arrived=[0, 5, 10, 60, 85], queue=[0, 1, 0, 0, 1], talk=[100, 50, 20, 10, 3])


def test_an_overflowed_caller_still_waiting_at_the_maximum_wait_leaves_a_message():
    sc = two_queues({"after_s": 30, "to_groups": ["b team"]})
    # maximum wait 40 on A: caller 2 (joined 10) overflows at 40 but b is busy until 55; its
    # message comes at 50. Caller 3 (joined 60) overflows at 90 and b, idle since 88, answers it.
    rec = simulate_callers(with_max_wait(sc, 40), callers(**OVERFLOW_DAY)).records
    assert rec.outcome.tolist() == [A, A, M, A, A]
    assert rec.wait_s.tolist() == [0.0, 0.0, 40.0, 30.0, 0.0]
    assert rec.group.tolist() == [0, 1, -1, 1, 1]
    # control: a maximum wait of 50 is not reached: b answers caller 2 at 55 (wait 45), as
    # without the rule
    for scenario in (with_max_wait(sc, 50), sc):
        rec = simulate_callers(scenario, callers(**OVERFLOW_DAY)).records
        assert rec.outcome.tolist() == [A] * 5
        assert rec.wait_s.tolist() == [0.0, 0.0, 45.0, 30.0, 0.0]
        assert rec.group.tolist() == [0, 1, 1, 1, 1]


def test_the_maximum_wait_is_the_queues_own():
    # the same day with the maximum wait on queue B instead: nobody waits 40 s in B
    sc = two_queues({"after_s": 30, "to_groups": ["b team"]})
    rec = simulate_callers(with_max_wait(sc, 40, queue=1), callers(**OVERFLOW_DAY)).records
    assert rec.wait_s.tolist() == [0.0, 0.0, 45.0, 30.0, 0.0] and M not in rec.outcome.tolist()


def test_a_message_frees_the_callers_line():
    # two lines, one agent, maximum wait 35: caller 1 (10 s) leaves its message at 45 and hangs
    # up, so caller 2 (70 s) finds a free line and is answered at 100 (before its own maximum
    # wait, 105). Control: without the rule caller 1 still holds its line at 70: caller 2 is blocked.
    c = callers([0, 10, 70], talk=[100] * 3)
    rec = simulate_callers(with_max_wait(one_agent(trunks=2), 35), c).records
    assert rec.outcome.tolist() == [A, M, A]
    assert rec.wait_s.tolist() == [0.0, 35.0, 30.0]
    rec = simulate_callers(one_agent(trunks=2), c).records
    assert rec.outcome.tolist() == [A, A, Outcome.BLOCKED]


def test_a_caller_nobody_can_answer_gets_its_message_not_unserved():
    # nobody on shift: a caller who never abandons leaves its message after the maximum wait,
    # even past the close; without the rule it is unserved
    sc = scenario_from_dict({**one_agent().model_dump(mode="json"),
                             "agents": [{"name": "a", "serves": ["q"], "staffing": [0]}]})
    c = callers([890], talk=[100])
    rec = simulate_callers(with_max_wait(sc, 30), c).records
    assert rec.outcome.tolist() == [M] and rec.wait_s.tolist() == [30.0]
    assert simulate_callers(sc, c).records.outcome.tolist() == [U]


def mm1_message_probability(load: float, aht_s: float, after_s: float) -> float:
    """P(message) in M/M/1 with every caller's maximum wait `after_s` and no other abandonment
    (M/M/1+D, FCFS): a caller leaves iff the work ahead of it (the virtual wait V) exceeds
    after_s. By level crossing, V's density is p0 lam e^{-(mu-lam)v} below after_s and
    p0 lam e^{-(mu-lam)after_s} e^{-mu(v-after_s)} above, so P(V > after_s) =
    p0 rho e^{-(mu-lam)after_s}, with p0 from the density's total (stable for any load)."""
    mu = 1 / aht_s
    lam = load * mu
    tail = math.exp(-(mu - lam) * after_s)
    below = lam / (mu - lam) * (1 - tail) if lam != mu else lam * after_s
    p0 = 1 / (1 + below + load * tail)
    return p0 * load * tail


def test_the_message_probability_matches_m_m_1_with_a_deterministic_maximum_wait():
    # overloaded (1.2 Erlangs on one agent): stable only because callers leave at 100 s
    aht_s, load, after_s = 100.0, 1.2, 100.0
    scenario = mmn_scenario(1, load, aht_s, 24, max_wait_s=after_s)
    estimates = steady_estimates(scenario, 1, 12, 3600)
    exact = mm1_message_probability(load, aht_s, after_s)
    control = mm1_message_probability(load, aht_s, 2 * after_s)  # the answer for twice the maximum wait
    se = estimates.standard_error("p_message")
    assert se > 0
    assert abs(estimates.z("p_message", exact)) <= 4, (estimates.mean("p_message"), exact, se)
    assert abs(exact - control) >= 6 * se, "too little data to tell the maximum wait from twice it"
    assert abs(estimates.z("p_message", control)) > 4
    assert estimates.mean("p_abandon") == 0.0  # nobody else leaves


def busy_day(**queue_extra):
    return scenario_from_dict({
        "schema_version": 1, "name": "messages and redials", "interval_minutes": 30,
        "arrivals": {"calls": [120.0, 160.0, 120.0]},
        "queues": [{"name": "q", "talk_time": {"dist": "exponential", "mean": 180},
                    "patience": {"dist": "exponential", "mean": 120}, **queue_extra}],
        "agents": [{"name": "a", "serves": ["q"], "staffing": [8, 10, 8]}],
        "return_calls": {"redial_probability": 1.0, "redial_delay": {"dist": "exponential", "mean": 120}},
        "trunks": 14,
    })


def test_messages_are_not_redialled_abandons_are_and_every_call_is_conserved():
    scenario = busy_day(max_wait={"after_s": 60})
    outcomes = ("answered", "abandoned", "balked", "unserved", "blocked", "messages")
    for r in range(3):
        result = simulate_replication(scenario, seed=5, replication=r)
        check_conservation(result)
        rec = result.records
        kpi = {k: v[-1] for k, v in replication_kpis(result, scenario).items()}
        assert kpi["offered"] == sum(kpi[name] for name in outcomes)
        assert kpi["reached_queue"] == kpi["offered"] - kpi["blocked"]
        assert kpi["message_rate"] == kpi["messages"] / kpi["reached_queue"]
        messages = np.flatnonzero(rec.outcome == M)
        assert len(messages) > 20 and (rec.wait_s[messages] == 60.0).all()  # power: many messages
        assert not any((rec.caller[i + 1:] == rec.caller[i]).any() for i in messages)
        # control: abandoners do redial (all of them, before the close and their third call)
        abandoned = [i for i in np.flatnonzero(rec.outcome == X) if (rec.caller[:i + 1] == rec.caller[i]).sum() < 3
                     and rec.arrived_at_s[i] + rec.wait_s[i] < 3000]
        assert len(abandoned) > 20
        assert all((rec.caller[i + 1:] == rec.caller[i]).any() for i in abandoned)


def test_messages_are_reported_only_with_the_rule():
    plain = busy_day()
    assert "messages" not in replication_kpis(simulate_replication(plain, 1, 0), plain)
    ruled = busy_day(max_wait={"after_s": 90})
    kpi = replication_kpis(simulate_replication(ruled, 1, 0), ruled)
    assert "messages" in kpi and "message_rate" in kpi and kpi["messages"][-1] > 0


@pytest.mark.parametrize("value", ["-1", "-0.5", "soon"])
def test_a_bad_maximum_wait_is_one_line_naming_the_key(tmp_path, capsys, value):
    text = (REPO / "scenarios" / "help_desk.yaml").read_text()
    assert "    patience:" in text
    text = text.replace("    patience:", f"    max_wait:\n      after_s: {value}\n    patience:", 1)
    assert_run_refuses(tmp_path, capsys, text, "queues[0].max_wait.after_s")


# --- messages returned as callbacks (max_wait.call_back) ----------------------------------------

def callback_queue(mode, call_back=True):
    callback = {"offer_when_expected_wait_over": 10_000, "accept_probability": 1.0, "dial_time": {"dist": "fixed", "mean": 20},
                "answer_probability": 1.0, "mode": mode}
    if mode == "scheduled":
        callback["delay"] = {"dist": "fixed", "mean": 500}
    return one_agent(queues=[{"name": "q", "talk_time": {"dist": "fixed", "mean": 100}, "callback": callback,
                              "max_wait": {"after_s": 30, "call_back": call_back}}])


def message_callers():
    # caller 0 talks 0-100; caller 1 (10 s, talk 50) waits; caller 2 (50 s, talk 40) waits behind it.
    # The callback offer's threshold (10,000 s) is never passed: only messages become callbacks.
    return Callers(arrived_at_s=np.array([0.0, 10.0, 50.0]), queue=np.zeros(3, dtype=np.int16),
                   talk_s=np.array([100.0, 50.0, 40.0]), acw_s=np.zeros(3), patience_s=np.array([INF, INF, 1000.0]),
                   balk_u=np.full(3, 0.5), callback_u=np.zeros(3), callback_wait_s=np.full(3, 500.0))


def test_a_message_kept_in_line_is_called_back_when_it_reaches_the_front():
    # keep_place: caller 1's message at 40 keeps its place; at 100 the agent dials it (20 s),
    # connected at 120, talks 50 (to 170); caller 2's message at 80 is next: dialled at 170,
    # connected at 190. Both waited 30 s on the line; callback delays 80 and 110.
    result = simulate_callers(callback_queue("keep_place"), message_callers())
    rec = result.records
    assert rec.outcome.tolist() == [A, Outcome.CALLBACK_COMPLETED, Outcome.CALLBACK_COMPLETED]
    assert rec.wait_s.tolist() == [0.0, 30.0, 30.0]
    assert rec.callback_delay_s.tolist()[1:] == [80.0, 110.0]
    assert result.busy_start_s.tolist() == [0.0, 100.0, 170.0]
    assert message_called_back(rec.flags).tolist() == [False, True, True]
    kpi = {k: v[-1] for k, v in replication_kpis(result, callback_queue("keep_place")).items()}
    assert kpi["messages"] == 2 and kpi["callbacks_accepted"] == 2 and kpi["callbacks_offered"] == 0
    assert kpi["offered"] == kpi["answered"] + kpi["callbacks_completed"]
    # control: without call_back the messages end the calls
    rec = simulate_callers(callback_queue("keep_place", call_back=False), message_callers()).records
    assert rec.outcome.tolist() == [A, M, M]


def test_a_scheduled_message_callback_joins_after_the_delay():
    # scheduled: caller 1's message at 40 joins the queue at 540 and is dialled at once (connected
    # at 560); caller 2's at 80 joins at 580, the agent is busy until 610: dialled then, connected 630
    result = simulate_callers(callback_queue("scheduled"), message_callers())
    rec = result.records
    assert rec.outcome.tolist() == [A, Outcome.CALLBACK_COMPLETED, Outcome.CALLBACK_COMPLETED]
    assert rec.callback_delay_s.tolist()[1:] == [520.0, 550.0]
    assert result.busy_start_s.tolist() == [0.0, 540.0, 610.0]


def test_returning_messages_needs_the_queues_callback_section():
    with pytest.raises(Exception, match=r"queues\[0\]\.max_wait\.call_back.*no callback section"):
        one_agent(queues=[{"name": "q", "talk_time": {"dist": "fixed", "mean": 100},
                           "max_wait": {"after_s": 30, "call_back": True}}])
