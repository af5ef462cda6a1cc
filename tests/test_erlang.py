"""planner.erlang against values computed independently here.

References used (each test says which):
- exact rational arithmetic (fractions.Fraction) of the textbook closed forms
  B = (A^N/N!) / sum_k A^k/k!  and  C = (A^N/N! · N/(N-A)) / (sum_{k<N} A^k/k! + A^N/N! · N/(N-A));
- the M/M/N stationary distribution summed directly (waits of queued callers are
  Gamma(k+1, N·μ)), an independent route to ASA and SL;
- for Erlang A, a plain-float birth-death chain truncated far out, with per-caller service
  level and ASA from the absorbing pure-death chain (matrix exponential / linear solve);
- published tables and worked examples (cited at the test).
"""
from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.linalg import expm, solve

from planner.erlang import erlang_a_metrics, erlang_b, erlang_c, erlang_c_metrics

# ---------------------------------------------------------------------------- exact references


def exact_erlang_b(n: int, a: Fraction) -> Fraction:
    terms = [a**k / math.factorial(k) for k in range(n + 1)]
    return terms[n] / sum(terms)


def exact_erlang_c(n: int, a: Fraction) -> Fraction:
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


LOADS = [Fraction(1, 10), Fraction(1, 2), Fraction(1), Fraction(9, 4), Fraction(7, 2), Fraction(5),
         Fraction(19, 2)]


@pytest.mark.parametrize("n", range(1, 11))
@pytest.mark.parametrize("a", LOADS, ids=str)
def test_erlang_b_matches_exact_rational_arithmetic(n, a):
    assert erlang_b(n, float(a)) == pytest.approx(float(exact_erlang_b(n, a)), rel=1e-13)


@pytest.mark.parametrize("n", range(1, 11))
@pytest.mark.parametrize("a", LOADS, ids=str)
def test_erlang_c_matches_exact_rational_arithmetic(n, a):
    if a >= n:
        assert erlang_c(n, float(a)) == 1.0  # documented: unstable
    else:
        assert erlang_c(n, float(a)) == pytest.approx(float(exact_erlang_c(n, a)), rel=1e-13)


def test_erlang_b_table_values():
    # Standard Erlang B table (e.g. any teletraffic handbook; ITU-T E.500 series tables):
    # 10 circuits, 5 Erlangs -> 0.018385; 1 circuit, 1 Erlang -> 1/2; 2 circuits, 1 Erlang -> 1/5.
    assert erlang_b(10, 5.0) == pytest.approx(0.018385, abs=5e-7)
    assert erlang_b(1, 1.0) == pytest.approx(0.5, rel=1e-15)
    assert erlang_b(2, 1.0) == pytest.approx(0.2, rel=1e-15)


def full_recursion(n: int, a: float) -> float:
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


@pytest.mark.parametrize(
    "n, a",
    [(1_000, 1_000.0), (1_050, 1_000.0), (950, 1_000.0), (5_000, 5_000.0), (5_100, 4_950.5),
     (50_000, 50_000.0), (50_000, 49_500.0), (200, 1_000.0), (3_000, 2_500.0)],
)
def test_erlang_b_large_against_poisson_and_full_recursion(n, a):
    # B(N, A) = P(X = N) / P(X <= N), X ~ Poisson(A): an independent route through scipy.
    via_poisson = math.exp(stats.poisson.logpmf(n, a) - stats.poisson.logcdf(n, a))
    got = erlang_b(n, a)
    assert got == pytest.approx(via_poisson, rel=1e-9)
    assert got == pytest.approx(full_recursion(n, a), rel=1e-12)


def test_erlang_b_and_c_edge_loads():
    assert erlang_b(5, 0.0) == 0.0
    assert erlang_c(5, 0.0) == 0.0
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_c(0, 3.0) == 1.0  # unstable
    assert erlang_c(10, 10.0) == 1.0  # A == N is unstable
    tiny = erlang_b(50_000, 0.5)  # the true value is ~1e-215000: underflows to 0, no error
    assert 0.0 <= tiny < 1e-300
    assert erlang_b(1, 1e-9) == pytest.approx(1e-9 / (1 + 1e-9), rel=1e-15)
    assert erlang_c(3, 0.2) == pytest.approx(float(exact_erlang_c(3, Fraction(1, 5))), rel=1e-13)


def test_erlang_b_is_fast_at_large_sizes():
    started = time.perf_counter()
    for _ in range(20):
        erlang_b(50_000, 50_000.0)
    assert (time.perf_counter() - started) / 20 < 0.05


@pytest.mark.parametrize("bad", [-1, 2.5, True])
def test_agents_must_be_a_nonnegative_integer(bad):
    with pytest.raises((ValueError, TypeError)):
        erlang_b(bad, 1.0)


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf])
def test_load_must_be_finite_nonnegative(bad):
    with pytest.raises(ValueError):
        erlang_c(3, bad)


# ---------------------------------------------------------------------------- Erlang C metrics


def mmn_reference(n: int, lam: float, aht: float, threshold: float) -> tuple[float, float, float]:
    """P(wait), ASA, SL from the M/M/N stationary distribution, summed directly."""
    mu = 1.0 / aht
    a = lam * aht
    log_w = [k * math.log(a) - math.lgamma(k + 1) for k in range(n)]
    log_w += [n * math.log(a) - math.lgamma(n + 1) + j * math.log(a / n) for j in range(20_000)]
    w = np.exp(np.array(log_w) - max(log_w))
    p = w / w.sum()
    queued = p[n:]
    k = np.arange(queued.size)
    p_wait = queued.sum()
    asa = float(np.sum(queued * (k + 1) / (n * mu)))  # wait = Gamma(k+1, N·μ)
    sl = 1.0 - float(np.sum(queued * stats.gamma.sf(threshold, k + 1, scale=1 / (n * mu))))
    return p_wait, asa, sl


@pytest.mark.parametrize(
    "n, lam, aht, threshold",
    [(14, 100 / 1800, 180.0, 20.0), (3, 0.01, 200.0, 0.0), (30, 0.08, 300.0, 15.0), (1, 0.5 / 60, 60.0, 30.0)],
)
def test_erlang_c_metrics_against_the_stationary_distribution(n, lam, aht, threshold):
    p_wait, asa, sl = mmn_reference(n, lam, aht, threshold)
    m = erlang_c_metrics(n, lam, aht, threshold)
    assert m.model == "erlang_c" and m.stable and m.p_abandon is None
    assert m.p_wait == pytest.approx(p_wait, rel=1e-10)
    assert m.asa_s == pytest.approx(asa, rel=1e-10)
    assert m.avg_wait_s == m.asa_s
    assert m.service_level == pytest.approx(sl, rel=1e-10)
    assert m.occupancy == pytest.approx(lam * aht / n, rel=1e-15)


def test_erlang_c_call_centre_helper_worked_example():
    # Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example":
    # 100 calls per 30 minutes, AHT 180 s, 80% in 20 s -> 10 Erlangs; 14 agents give
    # P(wait) 0.174, service level 88.8%, occupancy 71.4% (the same figures are asserted by
    # pyworkforce's tests/test_erlang.py); 13 agents give 79.6% (short of 80%).
    m14 = erlang_c_metrics(14, 100 / 1800, 180.0, 20.0)
    assert m14.offered_load_erlangs == pytest.approx(10.0)
    assert round(m14.p_wait, 3) == 0.174
    assert round(m14.service_level, 3) == 0.888
    assert round(m14.occupancy, 3) == 0.714
    m13 = erlang_c_metrics(13, 100 / 1800, 180.0, 20.0)
    assert round(m13.service_level, 3) == 0.796


def test_erlang_c_textbook_example_wikipedia_style():
    # Textbook M/M/c example (e.g. Kleinrock, Queueing Systems vol. 1; Wikipedia "M/M/c queue"):
    # c = 2 servers, λ = 1, μ = 1 (A = 1): P(wait) = 1/3, mean wait in queue = 1/3 service times.
    m = erlang_c_metrics(2, 1.0 / 60.0, 60.0, 0.0)
    assert m.p_wait == pytest.approx(1 / 3, rel=1e-14)
    assert m.asa_s == pytest.approx(60.0 / 3, rel=1e-14)
    assert m.service_level == pytest.approx(2 / 3, rel=1e-14)  # T = 0: nobody waits


def test_erlang_c_unstable_metrics():
    m = erlang_c_metrics(10, 10 / 180, 180.0, 20.0)
    assert (m.p_wait, m.asa_s, m.avg_wait_s, m.service_level, m.occupancy, m.stable) == (
        1.0, math.inf, math.inf, 0.0, 1.0, False)


def test_erlang_c_no_demand_and_small_load():
    m = erlang_c_metrics(0, 0.0, 180.0, 20.0)
    assert (m.p_wait, m.asa_s, m.service_level, m.occupancy, m.stable) == (0.0, 0.0, 1.0, 0.0, True)
    small = erlang_c_metrics(1, 0.2 / 300, 300.0, 20.0)  # 0.2 Erlangs, one agent: C = A
    assert small.p_wait == pytest.approx(0.2, rel=1e-14)
    assert small.asa_s == pytest.approx(0.2 * 300 / 0.8, rel=1e-14)


def test_erlang_c_at_50000_erlangs_is_finite_and_fast():
    started = time.perf_counter()
    m = erlang_c_metrics(50_300, 50_000 / 300, 300.0, 20.0)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.1
    assert 0.0 < m.p_wait < 1.0 and math.isfinite(m.asa_s) and 0.9 < m.service_level < 1.0


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(0.01, 400.0),
    extra=st.integers(0, 40),
    aht=st.floats(10.0, 900.0),
    threshold=st.floats(0.0, 120.0),
)
def test_erlang_c_improves_with_every_agent(a, extra, aht, threshold):
    n = math.floor(a) + 1 + extra
    m1 = erlang_c_metrics(n, a / aht, aht, threshold)
    m2 = erlang_c_metrics(n + 1, a / aht, aht, threshold)
    assert m2.service_level >= m1.service_level
    assert m2.asa_s <= m1.asa_s
    assert m2.p_wait <= m1.p_wait


# ---------------------------------------------------------------------------- Erlang A


def birth_death_reference(n, lam, aht, patience, threshold, states=4_000):
    """Plain-float M/M/N+M: stationary distribution by products, per-caller SL and ASA from the
    absorbing chain of a tagged caller (j callers ahead, killed at rate θ by their own patience)."""
    mu, theta = 1.0 / aht, 1.0 / patience
    w = [1.0]
    for s in range(1, states):
        w.append(w[-1] * lam / (min(s, n) * mu + max(s - n, 0) * theta))
    p = np.array(w) / sum(w)
    in_queue = np.maximum(np.arange(states) - n, 0)
    mean_queue = float(np.dot(p, in_queue))
    sl = served = float(p[:n].sum())
    wait_served = 0.0
    for k in range(states - n):
        if p[n + k] < 1e-18:
            break
        size = k + 1  # transient states: k, k-1, ..., 0 callers ahead
        gen = np.zeros((size + 2, size + 2))
        for i in range(size):
            ahead = k - i
            rate = n * mu + ahead * theta
            gen[i, i] = -(rate + theta)
            gen[i, i + 1 if i + 1 < size else size] = rate  # move up, or be answered
            gen[i, size + 1] = theta  # own abandonment
        sl += p[n + k] * expm(gen * threshold)[0, size]
        transient = -gen[:size, :size]
        answered = solve(transient, gen[:size, size])
        served += p[n + k] * answered[0]
        wait_served += p[n + k] * solve(transient, answered)[0]  # E[V; answered]
    return {
        "p_wait": float(p[n:].sum()),
        "p_abandon": theta * mean_queue / lam,
        "avg_wait_s": mean_queue / lam,
        "asa_s": wait_served / served,
        "service_level": sl,
        "occupancy": float(np.dot(p, np.minimum(np.arange(states), n))) / n,
    }


ERLANG_A_CASES = [
    (3, 0.01, 200.0, 100.0, 20.0),
    (10, 0.05, 180.0, 60.0, 20.0),
    (5, 0.1, 60.0, 30.0, 10.0),  # overloaded: A = 6 > N = 5
    (1, 0.02, 100.0, 500.0, 0.0),  # threshold 0
    (8, 0.1, 60.0, 5.0, 15.0),  # patience shorter than the threshold
    (4, 0.5 / 120, 120.0, 2.0, 30.0),  # load < 1, very short patience
]


@pytest.mark.parametrize("case", ERLANG_A_CASES, ids=str)
def test_erlang_a_against_independent_birth_death_chain(case):
    ref = birth_death_reference(*case)
    m = erlang_a_metrics(*case)
    assert m.model == "erlang_a" and m.stable
    for name, value in ref.items():
        assert getattr(m, name) == pytest.approx(value, rel=1e-9, abs=1e-15), name


def test_erlang_a_long_patience_converges_to_erlang_c():
    c = erlang_c_metrics(12, 10 / 300, 300.0, 20.0)
    previous_gap = math.inf
    for patience in (1e3, 1e5, 1e7, 1e9, 1e12):
        a = erlang_a_metrics(12, 10 / 300, 300.0, patience, 20.0)
        gap = abs(a.p_wait - c.p_wait) + abs(a.service_level - c.service_level) + abs(a.asa_s - c.asa_s) / 300
        assert gap < previous_gap
        previous_gap = gap
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-6)
    assert a.asa_s == pytest.approx(c.asa_s, rel=1e-6)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-6)
    assert a.p_abandon == pytest.approx(0.0, abs=1e-6)
    inf = erlang_a_metrics(12, 10 / 300, 300.0, math.inf, 20.0)
    assert (inf.model, inf.p_abandon, inf.p_wait) == ("erlang_a", 0.0, c.p_wait)


def test_erlang_a_very_short_patience_is_erlang_b():
    # θ -> ∞: callers who find all agents busy leave at once: the loss system M/M/N/N.
    m = erlang_a_metrics(12, 10 / 300, 300.0, 1e-6, 20.0)
    assert m.p_wait == pytest.approx(erlang_b(12, 10.0), rel=1e-6)
    assert m.p_abandon == pytest.approx(erlang_b(12, 10.0), rel=1e-6)
    assert m.service_level == pytest.approx(1 - erlang_b(12, 10.0), rel=1e-6)
    assert m.asa_s < 1e-6


def test_erlang_a_field_guide_example_reaches_80_20_with_936_agents():
    # Field guide section 4 (Garnett, Mandelbaum & Reiman 2002): 1,000 Erlangs, AHT 300 s,
    # mean patience 180 s, 80/20 -> Erlang A needs 936 agents: 936 meet 80%, 935 do not.
    lam = 1000 / 300
    assert erlang_a_metrics(936, lam, 300.0, 180.0, 20.0).service_level >= 0.8
    assert erlang_a_metrics(935, lam, 300.0, 180.0, 20.0).service_level < 0.8


def test_erlang_a_zero_agents_and_no_demand():
    m = erlang_a_metrics(0, 0.1, 60.0, 30.0, 20.0)
    assert (m.p_wait, m.p_abandon, m.service_level, m.occupancy) == (1.0, 1.0, 0.0, 0.0)
    assert m.avg_wait_s == pytest.approx(30.0) and math.isnan(m.asa_s)
    none = erlang_a_metrics(5, 0.0, 60.0, 30.0, 20.0)
    assert (none.p_wait, none.p_abandon, none.service_level) == (0.0, 0.0, 1.0)


def test_erlang_a_threshold_zero_service_level_is_no_wait():
    m = erlang_a_metrics(20, 18 / 200, 200.0, 90.0, 0.0)
    assert m.service_level == pytest.approx(1.0 - m.p_wait, rel=1e-13)


def test_erlang_a_at_50000_agents_is_finite_sensible_and_fast():
    lam = 50_000 / 300
    erlang_a_metrics(50_000, lam, 300.0, 180.0, 20.0)
    started = time.perf_counter()
    m = erlang_a_metrics(50_000, lam, 300.0, 180.0, 20.0)
    assert time.perf_counter() - started < 0.5
    values = [m.p_wait, m.p_abandon, m.asa_s, m.avg_wait_s, m.service_level, m.occupancy]
    assert all(math.isfinite(v) for v in values)
    assert 0.0 < m.p_abandon < 0.01 and 0.95 < m.service_level < 1.0 and 0.99 < m.occupancy <= 1.0
    # Little's law ties the mean wait to abandonment: P(ab) = mean wait / mean patience.
    assert m.p_abandon == pytest.approx(m.avg_wait_s / 180.0, rel=1e-12)


def test_erlang_a_at_5000_agents_takes_milliseconds():
    lam = 5_000 / 300
    erlang_a_metrics(5_000, lam, 300.0, 180.0, 20.0)
    started = time.perf_counter()
    for _ in range(10):
        erlang_a_metrics(5_000, lam, 300.0, 180.0, 20.0)
    assert (time.perf_counter() - started) / 10 < 0.02


def test_erlang_a_overloaded_is_stable_with_finite_values():
    # 2,000 Erlangs on 1,000 agents: half the callers must abandon in the long run.
    m = erlang_a_metrics(1_000, 2_000 / 300, 300.0, 120.0, 20.0)
    assert m.stable and m.p_wait == pytest.approx(1.0)
    assert m.p_abandon == pytest.approx(0.5, rel=1e-3)
    assert math.isfinite(m.asa_s) and math.isfinite(m.avg_wait_s)


@settings(max_examples=40, deadline=None)
@given(
    a=st.floats(0.05, 60.0),
    n=st.integers(1, 80),
    aht=st.floats(20.0, 600.0),
    patience=st.floats(1.0, 2_000.0),
    threshold=st.floats(0.0, 90.0),
)
def test_erlang_a_improves_with_every_agent(a, n, aht, patience, threshold):
    m1 = erlang_a_metrics(n, a / aht, aht, patience, threshold)
    m2 = erlang_a_metrics(n + 1, a / aht, aht, patience, threshold)
    tol = 1e-12
    assert m2.service_level >= m1.service_level - tol
    assert m2.asa_s <= m1.asa_s * (1 + tol)
    assert m2.p_abandon <= m1.p_abandon * (1 + tol) + 1e-300
    assert m2.p_wait <= m1.p_wait * (1 + tol)


@settings(max_examples=30, deadline=None)
@given(
    a=st.floats(0.05, 60.0),
    extra=st.integers(0, 20),
    aht=st.floats(20.0, 600.0),
    threshold=st.floats(0.0, 90.0),
)
def test_erlang_a_with_very_long_patience_is_erlang_c(a, extra, aht, threshold):
    n = math.floor(a) + 1 + extra
    # Right at the edge of stability (N - A -> 0) the queue is so long that even a patience
    # of 1e12 AHTs is felt: the limit holds, but needs patience >> AHT / (N - A)^2.
    assume(n - a >= 0.05)
    c = erlang_c_metrics(n, a / aht, aht, threshold)
    m = erlang_a_metrics(n, a / aht, aht, aht * 1e12, threshold)
    assert m.p_wait == pytest.approx(c.p_wait, rel=1e-5, abs=1e-12)
    assert m.service_level == pytest.approx(c.service_level, rel=1e-5, abs=1e-12)
    assert m.asa_s == pytest.approx(c.asa_s, rel=1e-5, abs=1e-9)
