"""The simulator against exact M/M/N (Erlang C) and M/M/N/N (Erlang B) results.

For each case: |simulated mean - exact| <= 4 standard errors over independent replications;
a power check (one agent fewer changes the exact answer by at least 6 SE, so an error of that
size could not hide inside the tolerance); and a negative control (the same comparison against
the answer for one agent fewer must fail).

The exact values are computed here, independently of planner/, from the Erlang B recursion.
"""
from __future__ import annotations

import math

import pytest

from steady_state import mmn_scenario, steady_estimates

AHT_S = 100.0


def erlang_b(agents: int, load: float) -> float:
    b = 1.0
    for n in range(1, agents + 1):
        b = load * b / (n + load * b)
    return b


def erlang_c_exact(agents: int, load: float, threshold_s: float) -> dict[str, float]:
    b = erlang_b(agents, load)
    c = agents * b / (agents - load * (1 - b))
    return {
        "p_wait": c,
        "asa": c * AHT_S / (agents - load),
        "service_level": 1 - c * math.exp(-(agents - load) * threshold_s / AHT_S),
        "occupancy": load / agents,
    }


# (agents, load in Erlangs, hours simulated, replications, warm-up s, SL threshold s)
CASES = [
    pytest.param(3, 2.4, 24, 12, 3600, 20.0, id="small-3-agents"),
    pytest.param(30, 26.0, 8, 12, 3600, 20.0, id="medium-30-agents"),
    pytest.param(200, 190.0, 12, 64, 1800, 5.0, id="large-200-agents", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("agents, load, hours, replications, warmup_s, threshold_s", CASES)
def test_mmn_matches_erlang_c(agents, load, hours, replications, warmup_s, threshold_s):
    scenario = mmn_scenario(agents, load, AHT_S, hours, threshold_s=threshold_s)
    estimates = steady_estimates(scenario, agents, replications, warmup_s)
    exact = erlang_c_exact(agents, load, threshold_s)
    control = erlang_c_exact(agents - 1, load, threshold_s)
    for kpi in exact:
        se = estimates.standard_error(kpi)
        assert se > 0, kpi
        assert abs(estimates.z(kpi, exact[kpi])) <= 4, (
            f"{kpi}: simulated {estimates.mean(kpi):.5f} vs Erlang C {exact[kpi]:.5f} (SE {se:.5f})")
        gap = abs(exact[kpi] - control[kpi])
        assert gap >= 6 * se, f"{kpi}: too little data to tell N from N-1 (gap {gap:.5f}, SE {se:.5f})"
        assert abs(estimates.z(kpi, control[kpi])) > 4, (
            f"{kpi}: negative control passed: the simulation cannot tell {agents} agents from {agents - 1}")


def test_loss_system_matches_erlang_b():
    """balk_probability 1: every caller who would wait hangs up, so P(balk) is Erlang B."""
    agents, load = 10, 8.0
    scenario = mmn_scenario(agents, load, AHT_S, 24, balk_probability=1.0)
    estimates = steady_estimates(scenario, agents, 12, 1800)
    exact, control = erlang_b(agents, load), erlang_b(agents - 1, load)
    se = estimates.standard_error("p_balk")
    assert abs(estimates.z("p_balk", exact)) <= 4, (estimates.mean("p_balk"), exact, se)
    assert abs(exact - control) >= 6 * se
    assert abs(estimates.z("p_balk", control)) > 4
    # nobody waits in a loss system
    assert estimates.mean("asa") == 0.0
