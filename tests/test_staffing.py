"""planner.staffing: required agents, the occupancy band, the reverse calculation, shrinkage.

Minimality and target checks re-evaluate the public metric functions at N and N - 1; exact
answers come from published examples (cited) or from a plain scan over N written here.
"""
from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from planner import (
    FLAG_DESCRIPTIONS,
    StaffingTargets,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    evaluate_agents,
    required_agents,
    required_agents_by_interval,
    scheduled_agents,
)

NO_BAND = (0.0, 1.0)


def targets(sl=0.8, t=20.0, asa=None, abandon=None, band=NO_BAND):
    return StaffingTargets(sl, t, asa, abandon, band)


def metrics_at(n, lam, aht, tg, model, patience):
    if model == "erlang_c":
        return erlang_c_metrics(n, lam, aht, tg.answer_time_threshold_s)
    return erlang_a_metrics(n, lam, aht, patience, tg.answer_time_threshold_s)


def meets(m, tg):
    ok = m.stable
    if tg.service_level_target is not None:
        ok &= m.service_level >= tg.service_level_target
    if tg.asa_target_s is not None:
        ok &= m.asa_s <= tg.asa_target_s
    if tg.max_abandon_rate is not None and m.p_abandon is not None:
        ok &= m.p_abandon <= tg.max_abandon_rate
    return bool(ok)


# ---------------------------------------------------------------------------- published examples


def test_field_guide_1000_erlangs_erlang_c_1015_erlang_a_936():
    # Field guide section 4 (after Garnett, Mandelbaum & Reiman 2002): 1,000 Erlangs, 80/20,
    # AHT 300 s, mean patience 180 s: Erlang C asks for 1,015 agents, Erlang A for 936.
    lam = 1000 / 300
    c = required_agents(lam, 300.0, targets())
    a = required_agents(lam, 300.0, targets(), "erlang_a", 180.0)
    assert (c.agents, c.binding_constraint) == (1015, "service_level")
    assert (a.agents, a.binding_constraint) == (936, "service_level")


def test_call_centre_helper_example_14_agents_20_scheduled():
    # Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example":
    # 100 calls / 30 min, AHT 180 s, 80/20, max occupancy 85%, shrinkage 30% -> 14 agents,
    # 20 scheduled, occupancy 71.4% (also asserted by pyworkforce's tests/test_erlang.py).
    r = required_agents(100 / 1800, 180.0, targets(band=(0.75, 0.85)), shrinkage=0.3)
    assert (r.agents, r.scheduled_agents, r.binding_constraint) == (14, 20, "service_level")
    assert round(r.metrics.occupancy, 3) == 0.714
    assert r.flags == ("below_occupancy_floor",)  # 71% < 75%: kept, never broken to fill the band


def test_pyworkforce_over_occupancy_example_lifts_to_15():
    # pyworkforce tests/test_erlang.py::test_over_occupancy_erlangc: same inputs, max occupancy
    # 70% -> 15 raw positions (ceil(10 / 0.7)), 22 with 30% shrinkage.
    r = required_agents(100 / 1800, 180.0, targets(band=(0.0, 0.7)), shrinkage=0.3)
    assert (r.agents, r.scheduled_agents, r.binding_constraint) == (15, 22, "occupancy_cap")


# ---------------------------------------------------------------------------- minimality


def check_minimal(r, lam, aht, tg, model, patience):
    n = r.agents
    m = metrics_at(n, lam, aht, tg, model, patience)
    assert m == r.metrics
    assert meets(m, tg)
    upper = tg.occupancy_band[1]
    assert m.occupancy <= upper
    below = metrics_at(n - 1, lam, aht, tg, model, patience)
    if r.binding_constraint == "occupancy_cap":
        assert below.occupancy > upper
    elif r.binding_constraint == "none":
        assert n == 1 or not below.stable
    else:
        assert not meets(below, tg)


@settings(max_examples=80, deadline=None)
@given(
    load=st.floats(0.01, 3_000.0),
    aht=st.floats(20.0, 900.0),
    sl=st.one_of(st.none(), st.floats(0.0, 0.99)),
    threshold=st.floats(0.0, 120.0),
    asa=st.one_of(st.none(), st.floats(0.5, 120.0)),
    upper=st.floats(0.5, 1.0),
)
def test_erlang_c_required_agents_is_minimal(load, aht, sl, threshold, asa, upper):
    assume(sl is not None or asa is not None)
    tg = targets(sl, threshold, asa, band=(0.0, upper))
    r = required_agents(load / aht, aht, tg)
    check_minimal(r, load / aht, aht, tg, "erlang_c", None)


@settings(max_examples=40, deadline=None)
@given(
    load=st.floats(0.01, 300.0),
    aht=st.floats(20.0, 900.0),
    patience=st.floats(1.0, 1_200.0),
    sl=st.one_of(st.none(), st.floats(0.0, 0.99)),
    threshold=st.floats(0.0, 120.0),
    asa=st.one_of(st.none(), st.floats(0.5, 120.0)),
    abandon=st.one_of(st.none(), st.floats(0.001, 0.5)),
    upper=st.floats(0.5, 1.0),
)
def test_erlang_a_required_agents_is_minimal(load, aht, patience, sl, threshold, asa, abandon, upper):
    assume(sl is not None or asa is not None or abandon is not None)
    tg = targets(sl, threshold, asa, abandon, band=(0.0, upper))
    r = required_agents(load / aht, aht, tg, "erlang_a", patience)
    check_minimal(r, load / aht, aht, tg, "erlang_a", patience)


def test_threshold_zero_sizes_on_probability_of_waiting():
    # With T = 0, SL = 1 - P(wait): the answer is the first N in a plain scan with C(N, A) <= 0.2.
    load = 37.5
    scan = next(n for n in range(38, 200) if erlang_c(n, load) <= 0.2)
    r = required_agents(load / 240, 240.0, targets(0.8, 0.0))
    assert r.agents == scan


def test_asa_target_alone_is_binding():
    # ASA <= 15 s at 50 Erlangs, AHT 300 s: scan C·AHT/(N - A) directly.
    load = 50.0
    scan = next(n for n in range(51, 200) if erlang_c(n, load) * 300 / (n - load) <= 15.0)
    r = required_agents(load / 300, 300.0, targets(None, 20.0, asa=15.0))
    assert (r.agents, r.binding_constraint) == (scan, "asa")


def test_binding_constraint_is_the_target_needing_most_agents():
    load, aht = 50.0, 300.0
    sl_only = required_agents(load / aht, aht, targets(0.8, 20.0)).agents
    asa_only = required_agents(load / aht, aht, targets(None, 20.0, asa=2.0)).agents
    both = required_agents(load / aht, aht, targets(0.8, 20.0, asa=2.0))
    assert asa_only > sl_only
    assert (both.agents, both.binding_constraint) == (asa_only, "asa")


# ---------------------------------------------------------------------------- Erlang A vs C


@settings(max_examples=40, deadline=None)
@given(
    load=st.floats(0.05, 200.0),
    aht=st.floats(20.0, 900.0),
    patience=st.floats(0.5, 3_000.0),
    asa=st.one_of(st.none(), st.floats(0.5, 120.0)),
    sl=st.one_of(st.none(), st.floats(0.0, 0.99)),
)
def test_erlang_a_needs_no_more_agents_than_erlang_c_for_asa_and_wait_targets(load, aht, patience, asa, sl):
    # Abandonment shortens every queue (coupling): ASA and P(wait) are never worse under Erlang A.
    # Service level targets are taken at T = 0 (SL = 1 - P(wait)); see the next test for T > 0.
    assume(asa is not None or sl is not None)
    tg = targets(sl, 0.0, asa)
    c = required_agents(load / aht, aht, tg)
    a = required_agents(load / aht, aht, tg, "erlang_a", patience)
    assert a.agents <= c.agents


def tagged_caller_service_level(n, lam, aht, patience, threshold, states=400):
    """Independent M/M/N+M service level: stationary distribution by products, and for a caller
    finding k waiting the absorbing chain (k..0 ahead, killed by own patience) via expm."""
    mu, theta = 1 / aht, 1 / patience
    w = [1.0]
    for s in range(1, states):
        w.append(w[-1] * lam / (min(s, n) * mu + max(s - n, 0) * theta))
    p = np.array(w) / sum(w)
    sl = p[:n].sum()
    for k in range(states - n):
        size = k + 1
        gen = np.zeros((size + 2, size + 2))
        for i in range(size):
            rate = n * mu + (k - i) * theta
            gen[i, i] = -(rate + theta)
            gen[i, i + 1 if i + 1 < size else size] = rate
            gen[i, size + 1] = theta
        sl += p[n + k] * expm(gen * threshold)[0, size]
        if p[n + k] < 1e-16:
            break
    return sl


def test_erlang_a_can_need_more_agents_than_erlang_c_when_patience_is_short():
    # The service level counts abandoners as misses. With T (60 s) long against patience (12 s)
    # Erlang C's "everyone waits" callers are answered within T, while under Erlang A many hang
    # up first: at 10 Erlangs, AHT 60 s, 95/60, Erlang C needs 13 agents and Erlang A 14.
    lam, aht, patience, tg = 10 / 60, 60.0, 12.0, targets(0.95, 60.0)
    assert tagged_caller_service_level(13, lam, aht, patience, 60.0) < 0.95
    assert tagged_caller_service_level(14, lam, aht, patience, 60.0) >= 0.95
    assert erlang_c_metrics(13, lam, aht, 60.0).service_level >= 0.95
    assert required_agents(lam, aht, tg).agents == 13
    assert required_agents(lam, aht, tg, "erlang_a", patience).agents == 14


def test_very_short_patience_sizes_like_erlang_b():
    # Patience -> 0: a caller who finds all agents busy leaves, so SL -> 1 - B(N, A).
    load = 20.0
    scan = next(n for n in range(1, 100) if 1 - erlang_b(n, load) >= 0.9)
    r = required_agents(load / 300, 300.0, targets(0.9, 20.0), "erlang_a", 1e-4)
    assert r.agents == scan
    assert r.metrics.p_abandon == pytest.approx(erlang_b(scan, load), rel=1e-4)


# ---------------------------------------------------------------------------- occupancy band


def test_small_volume_is_flagged_below_occupancy_floor():
    r = required_agents(2 / 180, 180.0, targets(band=(0.75, 0.85)))
    assert r.binding_constraint == "service_level"
    assert r.metrics.occupancy < 0.75
    assert "below_occupancy_floor" in r.flags


def test_large_volume_is_lifted_by_the_occupancy_cap():
    load = 1_000.0
    r = required_agents(load / 300, 300.0, targets(band=(0.75, 0.85)))
    assert (r.agents, r.binding_constraint, r.flags) == (math.ceil(load / 0.85), "occupancy_cap", ())
    assert r.metrics.occupancy <= 0.85 < load / (r.agents - 1)
    assert r.agents > required_agents(load / 300, 300.0, targets()).agents


def test_occupancy_cap_with_erlang_a_uses_answered_load():
    load = 1_000.0
    r = required_agents(load / 300, 300.0, targets(band=(0.75, 0.85)), "erlang_a", 180.0)
    assert r.binding_constraint == "occupancy_cap"
    assert r.metrics.occupancy <= 0.85
    assert erlang_a_metrics(r.agents - 1, load / 300, 300.0, 180.0, 20.0).occupancy > 0.85


# ---------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize("model, patience", [("erlang_c", None), ("erlang_a", 60.0)])
def test_no_demand(model, patience):
    r = required_agents(0.0, 180.0, targets(band=(0.75, 0.85)), model, patience, shrinkage=0.3)
    assert (r.agents, r.scheduled_agents, r.binding_constraint, r.flags) == (0, 0, "none", ("no_demand",))
    assert r.metrics.p_wait == 0.0


def test_load_below_one_erlang():
    load = 0.2
    r = required_agents(load / 300, 300.0, targets(band=(0.75, 0.85)))
    scan = next(n for n in range(1, 10)
                if 1 - erlang_c(n, load) * math.exp(-(n - load) * 20 / 300) >= 0.8)
    assert r.agents == scan
    assert "below_occupancy_floor" in r.flags


def test_50000_erlangs_is_finite_sensible_and_fast():
    lam = 50_000 / 300
    started = time.perf_counter()
    r = required_agents(lam, 300.0, targets())
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5
    assert 50_000 < r.agents < 50_000 + 5 * math.sqrt(50_000)
    assert r.metrics.service_level >= 0.8
    assert erlang_c_metrics(r.agents - 1, lam, 300.0, 20.0).service_level < 0.8
    a = required_agents(lam, 300.0, targets(), "erlang_a", 180.0)
    assert a.agents <= r.agents and math.isfinite(a.metrics.asa_s)


def test_sizing_5000_erlangs_takes_about_a_millisecond():
    lam = 5_000 / 300
    required_agents(lam, 300.0, targets())
    started = time.perf_counter()
    for _ in range(20):
        required_agents(lam, 300.0, targets())
    assert (time.perf_counter() - started) / 20 < 0.01  # typically ~0.3 ms; generous for CI


def test_service_level_target_zero_means_only_stability():
    r = required_agents(10.5 / 180, 180.0, targets(0.0, 20.0))
    assert (r.agents, r.binding_constraint) == (11, "none")
    assert "stability_minimum" in r.flags


@pytest.mark.parametrize("tg, model, patience", [
    (targets(1.0, 20.0), "erlang_c", None),
    (targets(1.0, 0.0), "erlang_a", 60.0),
    (targets(None, 20.0, asa=0.0), "erlang_c", None),
    (targets(None, 20.0, abandon=0.0), "erlang_a", 60.0),
    (targets(None, 20.0), "erlang_c", None),  # nothing to size against
])
def test_unreachable_targets_raise(tg, model, patience):
    with pytest.raises(ValueError):
        required_agents(10 / 180, 180.0, tg, model, patience)


def test_target_one_is_reachable_without_demand():
    assert required_agents(0.0, 180.0, targets(1.0, 20.0)).agents == 0


@pytest.mark.parametrize("kwargs", [
    dict(service_level_target=1.2, answer_time_threshold_s=20.0),
    dict(service_level_target=0.8, answer_time_threshold_s=-1.0),
    dict(service_level_target=0.8, answer_time_threshold_s=20.0, occupancy_band=(0.9, 0.8)),
    dict(service_level_target=0.8, answer_time_threshold_s=20.0, max_abandon_rate=-0.1),
    dict(service_level_target=0.8, answer_time_threshold_s=20.0, asa_target_s=math.nan),
])
def test_bad_targets_are_rejected(kwargs):
    with pytest.raises(ValueError):
        StaffingTargets(**kwargs)


def test_model_and_patience_must_agree():
    with pytest.raises(ValueError):
        required_agents(0.1, 180.0, targets(), "erlang_a")
    with pytest.raises(ValueError):
        required_agents(0.1, 180.0, targets(), "erlang_c", 60.0)
    with pytest.raises(ValueError):
        required_agents(0.1, 180.0, targets(), "erlang_x")


def test_abandon_target_under_erlang_c_is_flagged_not_silently_used():
    r = required_agents(10 / 180, 180.0, targets(0.8, 20.0, abandon=0.01))
    assert "abandon_rate_not_modelled" in r.flags and r.metrics.p_abandon is None


# ---------------------------------------------------------------------------- shrinkage


@pytest.mark.parametrize("required, shrinkage, expected", [
    (14, 0.3, 20), (85, 0.15, 100), (7, 0.3, 10), (10, 0.0, 10), (0, 0.5, 0), (1, 0.5, 2), (11, 0.3, 16),
    (100, 0.35, 154),
])
def test_scheduled_agents(required, shrinkage, expected):
    assert scheduled_agents(required, shrinkage) == expected


@pytest.mark.parametrize("shrinkage", [1.0, -0.1, math.nan])
def test_bad_shrinkage(shrinkage):
    with pytest.raises(ValueError):
        scheduled_agents(10, shrinkage)


# ---------------------------------------------------------------------------- reverse calculation


def test_evaluate_agents_reports_missed_targets():
    lam = 100 / 1800
    thirteen = evaluate_agents(13, lam, 180.0, targets(0.8, 20.0, band=(0.75, 0.85)))
    assert thirteen.binding_constraint == "given"
    assert thirteen.flags == ("misses_service_level",)
    fourteen = evaluate_agents(14, lam, 180.0, targets(0.8, 20.0, band=(0.75, 0.85)), shrinkage=0.3)
    assert (fourteen.flags, fourteen.scheduled_agents) == (("below_occupancy_floor",), 20)
    unstable = evaluate_agents(10, lam, 180.0, targets(0.8, 20.0, asa=30.0, band=(0.75, 0.85)))
    assert unstable.flags == ("unstable", "misses_service_level", "misses_asa", "above_occupancy_cap")
    assert unstable.metrics.asa_s == math.inf


def test_evaluate_agents_erlang_a_abandonment():
    lam = 100 / 1800
    r = evaluate_agents(11, lam, 180.0, targets(None, 20.0, abandon=0.02), "erlang_a", 60.0)
    assert r.metrics.p_abandon > 0.02
    assert "misses_abandon_rate" in r.flags
    ok = evaluate_agents(16, lam, 180.0, targets(None, 20.0, abandon=0.02), "erlang_a", 60.0)
    assert "misses_abandon_rate" not in ok.flags


def test_every_flag_has_a_description():
    lam = 100 / 1800
    seen = set()
    for n in (0, 9, 10, 13, 14, 30):
        for model, patience in (("erlang_c", None), ("erlang_a", 60.0)):
            seen |= set(evaluate_agents(n, lam, 180.0, targets(0.8, 20.0, 10.0, 0.01, (0.75, 0.85)),
                                        model, patience).flags)
    seen |= set(required_agents(10.5 / 180, 180.0, targets(0.0, 20.0)).flags)
    assert seen and seen <= set(FLAG_DESCRIPTIONS)


# ---------------------------------------------------------------------------- many intervals


def assert_plan_matches_scalar(plan, rates, aht, tg, model="erlang_c", patience=None, shrinkage=0.0):
    assert len(plan.agents) == len(rates)
    for i, rate in enumerate(rates):
        one = required_agents(rate, aht, tg, model, patience, shrinkage)
        got = (plan.agents[i], plan.scheduled_agents[i], plan.binding_constraint[i], plan.flags[i])
        assert got == (one.agents, one.scheduled_agents, one.binding_constraint, one.flags), i
        for name in ("p_wait", "asa_s", "service_level", "occupancy"):
            assert getattr(plan, name)[i] == pytest.approx(getattr(one.metrics, name), rel=1e-9, abs=1e-300)
        assert plan.p_abandon[i] == one.metrics.p_abandon or plan.p_abandon[i] == pytest.approx(one.metrics.p_abandon)


@settings(max_examples=60, deadline=None)
@given(
    loads=st.lists(st.one_of(st.just(0.0), st.floats(0.001, 2.0), st.floats(0.0, 60.0), st.floats(0.0, 5_000.0)),
                   min_size=1, max_size=30),
    aht=st.sampled_from([30.0, 180.0, 300.0, 600.0]),
    sl=st.one_of(st.none(), st.floats(0.0, 0.999)),
    threshold=st.sampled_from([0.0, 10.0, 20.0, 60.0]),
    asa=st.one_of(st.none(), st.floats(0.5, 120.0)),
    band=st.sampled_from([(0.0, 1.0), (0.75, 0.85), (0.5, 0.7), (0.0, 0.95)]),
    shrinkage=st.sampled_from([0.0, 0.15, 0.3]),
    abandon=st.sampled_from([None, 0.05]),
)
def test_interval_plan_equals_required_agents_per_interval(loads, aht, sl, threshold, asa, band, shrinkage, abandon):
    assume(sl is not None or asa is not None)
    tg = targets(sl, threshold, asa, abandon, band)
    rates = [load / aht for load in loads]
    plan = required_agents_by_interval(rates, aht, tg, shrinkage=shrinkage)
    assert_plan_matches_scalar(plan, rates, aht, tg, shrinkage=shrinkage)


def test_interval_plan_redoes_decisions_on_the_edge_of_a_target():
    # A target exactly equal to the exact service level at 14 agents: the scalar rule gives 14
    # (SL >= target holds with equality); the vectorised path must not round it to 15.
    lam = 100 / 1800
    edge = erlang_c_metrics(14, lam, 180.0, 20.0).service_level
    tg = targets(edge, 20.0)
    plan = required_agents_by_interval([lam, lam * 2, 0.0], 180.0, tg)
    assert plan.agents[0] == required_agents(lam, 180.0, tg).agents == 14
    assert_plan_matches_scalar(plan, [lam, lam * 2, 0.0], 180.0, tg)


def test_interval_plan_erlang_a_and_details():
    rates = [0.0, 20 / 900, 300 / 900, 1200 / 900]
    tg = targets(0.8, 20.0, band=(0.75, 0.85))
    plan = required_agents_by_interval(rates, 300.0, tg, "erlang_a", 180.0, shrinkage=0.3)
    assert plan.model == "erlang_a"
    assert_plan_matches_scalar(plan, rates, 300.0, tg, "erlang_a", 180.0, 0.3)
    assert plan.interval(2) == required_agents(rates[2], 300.0, tg, "erlang_a", 180.0, 0.3)


def test_interval_plan_large_loads_and_empty_input():
    rates = [50_000 / 300, 5_000 / 300, 0.2 / 300]
    plan = required_agents_by_interval(rates, 300.0, targets())
    assert_plan_matches_scalar(plan, rates, 300.0, targets())
    empty = required_agents_by_interval([], 300.0, targets())
    assert empty.agents == () and empty.flags == ()


@pytest.mark.parametrize("rates", [[0.1, -0.1], [0.1, math.nan], [math.inf]])
def test_interval_plan_rejects_bad_rates(rates):
    with pytest.raises(ValueError, match=r"arrival_rates_per_s\["):
        required_agents_by_interval(rates, 300.0, targets())
