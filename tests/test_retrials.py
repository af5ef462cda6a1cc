"""Retrials as the same contact (`return_calls.retrial: same_contact`): exact micro-timelines
beside today's `new_caller` (the negative control): the redial keeps the caller's patience,
talk time and ACW, and is made after the close while the centre serves its queues (not where a
queue disconnects); the per-caller KPIs (waits added up, callers served) against the records;
conservation on random days; the refusal of an unknown word."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import REPO, assert_run_refuses
from simulator import (Callers, Outcome, check_conservation, scenario_from_dict, simulate_callers,
                       simulate_replication)
from simulator.callers import REDIAL
from simulator.kpis import replication_kpis

A, X = Outcome.ANSWERED, Outcome.ABANDONED
FIXED = lambda mean: {"dist": "fixed", "mean": mean}  # noqa: E731


def one_agent(retrial=None, max_calls=2, **extra):
    returns = {"redial_probability": 1.0, "max_calls": max_calls}
    if retrial is not None:
        returns["retrial"] = retrial
    return scenario_from_dict({
        "schema_version": 1, "name": "retrials", "interval_minutes": 15, "arrivals": {"calls": [1.0]},
        "queues": [{"name": "q", "talk_time": FIXED(100), "patience": FIXED(50)}],
        "agents": [{"name": "a", "serves": ["q"], "staffing": [1]}],
        "return_calls": returns, **extra})


def two_callers(arrived, talk, patience, redial_delay_s):
    """Caller 0 keeps the agent busy; caller 1 abandons and redials after `redial_delay_s`. Their
    talk and patience differ from the scenario's (fixed 100 s and 50 s), so a redial drawn anew
    (new_caller) and the same contact again (same_contact) are told apart."""
    return Callers(arrived_at_s=np.array(arrived, dtype=float), queue=np.zeros(2, dtype=np.int16),
                   talk_s=np.array(talk, dtype=float), acw_s=np.zeros(2), patience_s=np.array(patience, dtype=float),
                   balk_u=np.full(2, 0.5), resolve_u=np.zeros(2), redial_u=np.array([1.0, 0.0]),
                   redial_delay_s=np.array([0.0, redial_delay_s]), repeat_delay_s=np.zeros(2))


def test_the_same_contact_redials_with_its_own_patience_and_talk_time():
    # agent busy 0-300 with caller 0. Caller 1 (10 s, patience 20, talk 30) abandons at 30 and
    # redials at 290: still patience 20 (until 310), answered at 300 (wait 10), talks 30 s.
    c = two_callers([0, 10], talk=[300, 30], patience=[1000, 20], redial_delay_s=260)
    result = simulate_callers(one_agent("same_contact"), c)
    rec = result.records
    assert rec.outcome.tolist() == [A, X, A] and rec.kind.tolist()[2] == REDIAL
    assert rec.caller.tolist() == [0, 1, 1]
    assert rec.wait_s.tolist() == [0.0, 20.0, 10.0]
    assert rec.talk_s.tolist() == [300.0, 30.0, 30.0]
    assert result.busy_start_s.tolist() == [0.0, 300.0] and result.busy_end_s.tolist() == [300.0, 330.0]
    kpi = {k: v[-1] for k, v in replication_kpis(result, one_agent("same_contact")).items()}
    assert kpi["caller_wait"] == (0.0 + 20.0 + 10.0) / 2 and kpi["callers_served"] == 1.0
    # control, a new caller (today): the redial draws the scenario's patience (50) and talk (100)
    rec = simulate_callers(one_agent(None), c).records
    assert rec.outcome.tolist() == [A, X, A]
    assert rec.talk_s.tolist() == [300.0, 30.0, 100.0]
    same = simulate_callers(one_agent("new_caller"), c).records  # the word for today's rule
    assert same.talk_s.tolist() == rec.talk_s.tolist()


def test_a_same_contact_redial_whose_patience_runs_out_again_abandons_again():
    # the redial at 130 keeps patience 20 and abandons at 150 (agent busy until 300); drawn anew
    # (patience 50) it would still be waiting at 150 and abandon at 180
    c = two_callers([0, 10], talk=[300, 30], patience=[1000, 20], redial_delay_s=100)
    rec = simulate_callers(one_agent("same_contact"), c).records
    assert rec.outcome.tolist() == [A, X, X] and rec.wait_s.tolist() == [0.0, 20.0, 20.0]
    result = simulate_callers(one_agent("same_contact"), c)
    kpi = {k: v[-1] for k, v in replication_kpis(result, one_agent("same_contact")).items()}
    assert kpi["caller_wait"] == 20.0 and kpi["callers_served"] == 0.5
    rec = simulate_callers(one_agent(None), c).records
    assert rec.outcome.tolist() == [A, X, X] and rec.wait_s.tolist() == [0.0, 20.0, 50.0]


def test_a_same_contact_redial_after_the_close_is_made_and_answered():
    # the day ends at 900. Agent busy 800-1100 with caller 0; caller 1 (850, patience 120)
    # abandons at 970 and redials at 1170, after the close: the agent, done at 1100, waits for it
    # (overtime), answers it at once and goes home at 1200
    c = two_callers([800, 850], talk=[300, 30], patience=[1000, 120], redial_delay_s=200)
    result = simulate_callers(one_agent("same_contact"), c)
    assert result.records.outcome.tolist() == [A, X, A]
    assert result.records.arrived_at_s.tolist() == [800.0, 850.0, 1170.0]
    assert result.busy_start_s.tolist() == [800.0, 1170.0] and result.run_end_s == 1200.0
    # control, a new caller: no call after the close; the agent goes home at 1100
    result = simulate_callers(one_agent(None), c)
    assert len(result.records) == 2 and result.run_end_s == 1100.0
    # where the queue disconnects at the close the centre is closed: no redial after it either
    result = simulate_callers(one_agent("same_contact", on_close="disconnect"), c)
    assert len(result.records) == 2 and result.run_end_s == 1100.0


def busy_day(retrial):
    return scenario_from_dict({
        "schema_version": 1, "name": "retrials", "interval_minutes": 30,
        "arrivals": {"calls": [150.0, 190.0, 170.0]},
        "queues": [{"name": "q", "talk_time": {"dist": "lognormal", "mean": 200, "cv": 0.8},
                    "acw": {"dist": "exponential", "mean": 30},
                    "patience": {"dist": "exponential", "mean": 90}, "first_contact_resolution": 0.8}],
        "agents": [{"name": "a", "serves": ["q"], "staffing": [16, 18, 17]}],
        "return_calls": {"redial_probability": 0.7, "redial_delay": {"dist": "exponential", "mean": 240},
                         "max_calls": 4, "retrial": retrial},
        "trunks": 30,
    })


def test_on_random_days_redials_keep_their_draws_every_call_is_conserved_and_the_kpis_add_up():
    scenario = busy_day("same_contact")
    after_close = 0
    for r in range(3):
        result = simulate_replication(scenario, seed=9, replication=r)
        check_conservation(result)
        rec = result.records
        # a redial's talk and ACW are its caller's previous call's (the call it redials after)
        redials = np.flatnonzero(rec.kind == REDIAL)
        assert len(redials) > 50  # power
        for j in redials:
            before = np.flatnonzero(rec.caller[:j] == rec.caller[j])
            previous = before[np.argmax(rec.arrived_at_s[before])]  # the caller's latest call before it
            assert (rec.talk_s[j], rec.acw_s[j]) == (rec.talk_s[previous], rec.acw_s[previous])
        after_close += int((rec.arrived_at_s[redials] >= result.day_end_s).sum())
        # the per-caller KPIs from the records by hand
        kpi = {k: v[-1] for k, v in replication_kpis(result, scenario).items()}
        callers = np.unique(rec.caller)
        waits = [rec.wait_s[rec.caller == c].sum() for c in callers]
        served = [((rec.caller == c) & (rec.outcome == A)).any() for c in callers]
        assert kpi["caller_wait"] == pytest.approx(np.mean(waits), rel=1e-12)
        assert kpi["callers_served"] == pytest.approx(np.mean(served), rel=1e-12)
        assert kpi["unique_callers"] == len(callers)
        # control: new callers' redials draw their own talk time
        fresh = simulate_replication(busy_day("new_caller"), seed=9, replication=r).records
        redials = np.flatnonzero(fresh.kind == REDIAL)
        kept = [fresh.talk_s[j] == fresh.talk_s[np.flatnonzero(fresh.caller[:j] == fresh.caller[j])[-1]] for j in redials]
        assert sum(kept) < len(kept) / 10
    assert after_close > 0  # some redials came after the close


def test_the_per_caller_kpis_are_reported_only_with_same_contact():
    for retrial, reported in (("new_caller", False), ("same_contact", True)):
        kpi = replication_kpis(simulate_replication(busy_day(retrial), 1, 0), busy_day(retrial))
        assert ("caller_wait" in kpi and "callers_served" in kpi) is reported


def test_an_unknown_retrial_rule_is_one_line_naming_the_key(tmp_path, capsys):
    text = (REPO / "scenarios" / "help_desk.yaml").read_text() + "return_calls: {retrial: same_caller}\n"
    assert_run_refuses(tmp_path, capsys, text, "return_calls.retrial", "new_caller", "same_contact")
