"""Telephone lines (`trunks`): exact micro-timelines, the loss and finite-room queues they make
(Erlang B, M/M/c/K) within 4 SE with a power check and a negative control, blocked callers'
redials, conservation and the refusal of a bad value."""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import REPO, assert_run_refuses
from simulator import Outcome, check_conservation, scenario_from_dict, simulate_callers, simulate_replication
from simulator.kpis import replication_kpis
from steady_state import mmn_scenario, steady_estimates
from test_engine_exact import callers
from test_validation_erlang_c import AHT_S

from planner.erlang import erlang_b

A, X, BLOCKED = Outcome.ANSWERED, Outcome.ABANDONED, Outcome.BLOCKED
INF = math.inf


def one_agent(trunks, **extra):
    data = {"schema_version": 1, "name": "lines", "interval_minutes": 15, "arrivals": {"calls": [1.0]},
            "queues": [{"name": "q", "talk_time": {"dist": "fixed", "mean": 100}}],
            "agents": [{"name": "a", "serves": ["q"], "staffing": [1]}], **extra}
    if trunks is not None:
        data["trunks"] = trunks
    return scenario_from_dict(data)


def test_a_line_is_held_until_the_talk_ends_not_through_the_acw():
    # 1 agent, 2 lines, talk 100 s + ACW 50 s. Caller 0 holds a line 0-100 (agent busy to 150);
    # caller 1 (10 s) waits on the second line; caller 2 (20 s) finds both busy: blocked. Caller 3
    # (105 s) takes caller 0's line, freed at 100 while the agent is still in ACW; caller 4 (120 s)
    # finds callers 1 and 3 on the lines: blocked. Caller 1 is answered at 150, caller 3 at 300.
    c = callers([0, 10, 20, 105, 120], talk=[100] * 5, acw=[50] * 5)
    rec = simulate_callers(one_agent(2), c).records
    assert rec.outcome.tolist() == [A, A, BLOCKED, A, BLOCKED]
    assert rec.wait_s.tolist() == [0.0, 140.0, 0.0, 195.0, 0.0]
    # negative control: without lines nobody is blocked, and every caller waits its turn
    rec = simulate_callers(one_agent(None), c).records
    assert rec.outcome.tolist() == [A] * 5
    assert rec.wait_s.tolist() == [0.0, 140.0, 280.0, 345.0, 480.0]


def test_an_abandoner_frees_its_line_when_it_hangs_up():
    # caller 1 (10 s, patience 30) hangs up at 40 s: caller 2 (50 s) gets its line and waits for
    # the agent (free at 100); caller 3 (60 s) finds callers 0 and 2 on the two lines: blocked
    c = callers([0, 10, 50, 60], talk=[100] * 4, patience=[INF, 30, INF, INF])
    rec = simulate_callers(one_agent(2), c).records
    assert rec.outcome.tolist() == [A, X, A, BLOCKED]
    assert rec.wait_s.tolist() == [0.0, 30.0, 50.0, 0.0]


def test_a_balker_frees_its_line_at_once():
    # two lines, caller 0 talks 0-100; caller 1 (10 s) would wait and balks, freeing its line at
    # once, so caller 2 (20 s) has one (it would be blocked had the balker kept it). Control: with
    # one line, callers 1 and 2 are blocked. (An IVR ending frees its line too: the differential
    # test against tests/reference_model.py covers it on random days with an IVR.)
    c = callers([0, 10, 20], talk=[100] * 3, balk_u=[0.5, 0.0, 0.5])
    balking = {"queues": [{"name": "q", "talk_time": {"dist": "fixed", "mean": 100}, "balk_probability": 0.5}]}
    rec = simulate_callers(one_agent(2, **balking), c).records
    assert rec.outcome.tolist() == [A, Outcome.BALKED, A]
    assert rec.wait_s.tolist() == [0.0, 0.0, 80.0]
    assert simulate_callers(one_agent(1), c).records.outcome.tolist() == [A, BLOCKED, BLOCKED]


def mmck_blocking(agents: int, lines: int, load: float) -> float:
    """P(all K lines busy) in M/M/c/K (Poisson arrivals see time averages): p_n proportional to
    a^n/n! up to c, then a^c/c! (a/c)^(n-c) up to K."""
    terms = [load**n / math.factorial(n) for n in range(agents + 1)]
    terms += [terms[-1] * (load / agents) ** (n - agents) for n in range(agents + 1, lines + 1)]
    return terms[-1] / sum(terms)


@pytest.mark.parametrize("agents, lines, load", [(10, 10, 8.0), (5, 8, 4.5)], ids=["erlang-b", "mmck"])
def test_blocking_matches_the_loss_and_finite_room_queues(agents, lines, load):
    """lines = agents and no ACW: nobody can wait (a free line means a free agent), so blocking
    is Erlang B (checked against planner.erlang). More lines than agents is M/M/c/K. Negative
    control: the answer for one line fewer is more than 4 SE away, and the gap is at least 6 SE."""
    scenario = mmn_scenario(agents, load, AHT_S, 24, trunks=lines)
    estimates = steady_estimates(scenario, agents, 12, 1800)
    exact, control = mmck_blocking(agents, lines, load), mmck_blocking(min(agents, lines - 1), lines - 1, load)
    if lines == agents:
        assert exact == pytest.approx(erlang_b(agents, load), rel=1e-12)
    se = estimates.standard_error("p_blocked")
    assert se > 0
    assert abs(estimates.z("p_blocked", exact)) <= 4, (estimates.mean("p_blocked"), exact, se)
    assert abs(exact - control) >= 6 * se, "too little data to tell K lines from K - 1"
    assert abs(estimates.z("p_blocked", control)) > 4
    if lines == agents:
        assert estimates.mean("asa") == 0.0  # nobody waits


def lines_and_redials(lines):
    return scenario_from_dict({
        "schema_version": 1, "name": "busy lines", "interval_minutes": 30,
        "arrivals": {"calls": [120.0, 160.0, 120.0]},
        "queues": [{"name": "q", "talk_time": {"dist": "exponential", "mean": 180},
                    "patience": {"dist": "exponential", "mean": 120}}],
        "agents": [{"name": "a", "serves": ["q"], "staffing": [8, 10, 8]}],
        "return_calls": {"redial_probability": 0.6, "redial_delay": {"dist": "exponential", "mean": 120}},
        "trunks": lines,
    })


def test_blocked_callers_redial_and_every_call_is_conserved():
    for r in range(4):
        result = simulate_replication(lines_and_redials(10), seed=3, replication=r)
        check_conservation(result)
        rec = result.records
        kpi = {k: v[-1] for k, v in replication_kpis(result, lines_and_redials(10)).items()}
        outcomes = ("answered", "abandoned", "balked", "unserved", "blocked")
        assert kpi["offered"] == sum(kpi[name] for name in outcomes)
        assert kpi["reached_queue"] == kpi["offered"] - kpi["blocked"]
        assert kpi["blocking_rate"] == kpi["blocked"] / kpi["offered"]
        blocked = np.flatnonzero(rec.outcome == BLOCKED)
        assert len(blocked) > 20  # power: the lines are busy
        # a blocked caller's redial is its next call, from the same caller
        redialled = [i for i in blocked if (rec.caller[i + 1:] == rec.caller[i]).any()]
        assert len(redialled) > 0.4 * len(blocked)
        assert rec.wait_s[blocked].max() == 0.0
    # control: with more lines than anyone can use, nobody is blocked
    rec = simulate_replication(lines_and_redials(10_000), seed=3, replication=0).records
    assert not (rec.outcome == BLOCKED).any()


def test_defaults_report_no_line_kpis():
    kpi = replication_kpis(simulate_replication(lines_and_redials(10), 1, 0), lines_and_redials(10))
    assert "blocked" in kpi and "blocking_rate" in kpi
    plain = one_agent(None)
    assert "blocked" not in replication_kpis(simulate_replication(plain, 1, 0), plain)


@pytest.mark.parametrize("value", ["0", "-3", "2.5", "many"])
def test_bad_trunks_is_one_line_naming_the_key(tmp_path, capsys, value):
    text = (REPO / "scenarios" / "help_desk.yaml").read_text() + f"\ntrunks: {value}\n"
    assert_run_refuses(tmp_path, capsys, text, "trunks")
