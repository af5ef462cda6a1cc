"""The simulator against exact M/M/N+M (Erlang A): exponential talk and patience, no ACW.

Same method as test_validation_erlang_c.py: |simulated - exact| <= 4 SE over independent
replications, a power check (one agent fewer moves the exact value by at least 6 SE) and a
negative control (the comparison against one agent fewer fails). The exact values come from
planner.erlang.erlang_a_metrics, itself checked against an independent birth-death
computation in tests/test_erlang.py.
"""
from __future__ import annotations

import pytest

from planner.erlang import erlang_a_metrics
from steady_state import mmn_scenario, steady_estimates

AHT_S = 100.0


def exact(agents: int, load: float, patience_s: float, threshold_s: float) -> dict[str, float]:
    m = erlang_a_metrics(agents, load / AHT_S, AHT_S, patience_s, threshold_s)
    return {"p_abandon": m.p_abandon, "asa": m.asa_s, "avg_wait": m.avg_wait_s,
            "service_level": m.service_level, "p_wait": m.p_wait}


# (agents, load, mean patience s, hours, replications, warm-up s, SL threshold s)
CASES = [
    pytest.param(4, 4.0, 60.0, 24, 12, 3600, 20.0, id="small-4-agents-overloaded"),
    pytest.param(40, 40.0, 120.0, 8, 16, 1800, 10.0, id="medium-40-agents"),
]


@pytest.mark.parametrize("agents, load, patience_s, hours, replications, warmup_s, threshold_s", CASES)
def test_mmn_plus_m_matches_erlang_a(agents, load, patience_s, hours, replications, warmup_s, threshold_s):
    scenario = mmn_scenario(agents, load, AHT_S, hours, patience_s=patience_s, threshold_s=threshold_s)
    estimates = steady_estimates(scenario, agents, replications, warmup_s)
    want = exact(agents, load, patience_s, threshold_s)
    control = exact(agents - 1, load, patience_s, threshold_s)
    for kpi in want:
        se = estimates.standard_error(kpi)
        assert se > 0
        assert abs(estimates.z(kpi, want[kpi])) <= 4, (
            f"{kpi}: simulated {estimates.mean(kpi):.5f} vs Erlang A {want[kpi]:.5f} (SE {se:.5f})")
        assert abs(want[kpi] - control[kpi]) >= 6 * se, f"{kpi}: too little data to tell N from N-1"
        assert abs(estimates.z(kpi, control[kpi])) > 4, f"{kpi}: negative control passed"
