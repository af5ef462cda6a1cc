"""Queueing formulas for one inbound queue: Erlang B, Erlang C (M/M/N) and Erlang A (M/M/N+M).

Design
------
*Erlang B* uses the textbook recursion ``B(n) = A·B(n-1) / (n + A·B(n-1))``, ``B(0) = 1``. Every
step is a ratio of numbers in (0, 1], so nothing overflows (factorials do, long before 1,000
agents) and an underflow to 0 is exact to double precision (the true value is < 1e-308). The
recursion is linear in ``r = 1/B``: ``r(n) = 1 + (n/A)·r(n-1)``, so ``r(N)`` is the sum of the
terms ``N!/(k!·A^(N-k))`` for k = 0..N, i.e. Poisson(A) weights. Starting the recursion at
``n0`` with ``B = 1`` drops the terms k < n0; we start where they are below ``e^-50`` of the
sum (``n0 = min(N, floor A) - ceil(10·sqrt A) - 49``, bound in ``_recursion_start``), which makes a
call ``O(sqrt A)`` instead of ``O(N)`` with no loss of precision. Erlang C follows from
``C = N·B / (N - A·(1 - B))``.

*Erlang A* is computed exactly from the stationary distribution of the birth-death chain of
the number of calls in system (birth rate λ, death rate ``n·μ`` for n <= N and
``N·μ + (n-N)·θ`` above, μ = 1/AHT, θ = 1/mean patience). All weights are taken relative to
state N and kept as logarithms (``log Γ`` differences with a cancellation-free Stirling form for
large arguments), so nothing overflows at 50,000 agents or at very long patience. Both halves
of the distribution are log-concave, so only the window of states within ``e^-60`` of the
largest weight is summed (found by a doubling search from the analytic mode); the rest is
below double precision. PASTA gives P(wait) = P(n >= N) at arrival; Little's law gives the mean
wait of all arrivals = E[queue]/λ and P(abandon) = θ·E[queue]/λ.

Per-caller quantities use a closed form: a caller who finds k callers waiting is answered
after ``V = sum_{j=0..k} Exp(N·μ + j·θ)`` unless their own patience runs out first. With
equally spaced rates, ``U = exp(-θ·V)`` is Beta(x, k+1) distributed (x = N·μ/θ; compare the
Laplace transforms), hence

* P(answered | k)             = x / (x + k + 1)
* P(answered within T | k)    = x / (x + k + 1) · I_{1-exp(-θT)}(k + 1, x + 1)   (regularised
  incomplete beta, ``scipy.special.betainc``)
* E[V | answered, k]          = sum_{i=1..k+1} 1 / (N·μ + i·θ)   (conditioning on surviving an
  exponential clock adds θ to each phase rate).

The service level is P(answered within T) over ALL arrivals (immediately answered callers
count as answered within T; abandoners count as misses) and the ASA is the mean wait of
answered calls only. These are the closed forms of Mandelbaum & Zeltyn for M/M/N+M written
through the Beta distribution; no approximation is involved beyond dropping weights below
``e^-60`` of the largest.

Units: rates per second, times in seconds, load in Erlangs. Pure functions, no I/O.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "QueueMetrics",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
]

# Weights below exp(-_LOG_DROP) of the largest one are not summed (relative error < 1e-20).
_LOG_DROP = 60.0


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state KPIs of one queue with a fixed number of agents.

    Attributes:
        model: "erlang_c" (no abandonment) or "erlang_a" (exponential patience).
        agents: number of agents N.
        offered_load_erlangs: A = arrival rate × mean handle time.
        p_wait: probability that an arriving call finds all agents busy (has to queue).
        p_abandon: fraction of arrivals that abandon; None for Erlang C (nobody abandons).
        asa_s: mean wait of ANSWERED calls in seconds (average speed of answer);
            math.inf when unstable; math.nan for Erlang A with 0 agents (nobody is answered).
        avg_wait_s: mean wait of ALL arrivals in seconds, abandoners counted up to abandonment.
        service_level: calls answered within the threshold / all arrivals.
        occupancy: answered load / agents (fraction of agent time on calls).
        stable: False only for Erlang C with A >= N (the queue grows without bound).
    """

    model: Literal["erlang_c", "erlang_a"]
    agents: int
    offered_load_erlangs: float
    p_wait: float
    p_abandon: float | None
    asa_s: float
    avg_wait_s: float
    service_level: float
    occupancy: float
    stable: bool


# --------------------------------------------------------------------------------------------
# input checks


def _special():
    """scipy.special, imported on first use: it takes a quarter of a second to load, and
    reading a scenario or sizing with Erlang C should not wait for it."""
    from scipy import special

    return special


def _check_agents(agents: int) -> int:
    if isinstance(agents, bool):
        raise TypeError("agents must be an integer, not a bool")
    n = operator.index(agents)
    if n < 0:
        raise ValueError(f"agents must be >= 0, got {n}")
    return n


def _check_nonneg(name: str, value: float) -> float:
    v = float(value)
    if not math.isfinite(v) or v < 0.0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def _check_positive(name: str, value: float) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= 0.0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


# --------------------------------------------------------------------------------------------
# Erlang B and C


def _recursion_start(agents: int, load: float) -> int:
    """First index of the Erlang B recursion whose truncation error is below e^-50 (relative).

    Starting at n0 with B = 1 drops the Poisson(A) weights k < n0 from 1/B(N). With
    m = min(N, floor A) and d = m - n0 + 1 >= 10·sqrt(A) + 50, the dropped mass relative to the
    weight of m is at most (A/d)·exp(-d(d-1)/(2A)) < sqrt(A)/10 · e^-50.
    """
    m = min(agents, math.floor(load))
    d = math.ceil(10.0 * math.sqrt(load)) + 50
    return max(0, m - d + 1)


def erlang_b(agents: int, offered_load_erlangs: float) -> float:
    """Erlang B blocking probability B(N, A) of an M/M/N/N loss system.

    Stable for any N (tested to 50,000) and any load, including loads below 1 Erlang.
    Load 0 gives 0; 0 agents with a positive load give 1.
    """
    n = _check_agents(agents)
    a = _check_nonneg("offered_load_erlangs", offered_load_erlangs)
    if a == 0.0:
        return 0.0
    b = 1.0
    for k in range(_recursion_start(n, a) + 1, n + 1):
        b = a * b / (k + a * b)
        if b == 0.0:  # underflow: the true value is below 1e-308 and only shrinks from here
            break
    return b


def _erlang_c_from_b(agents: int, load: float, b: float) -> float:
    return agents * b / (agents - load * (1.0 - b))


def erlang_c(agents: int, offered_load_erlangs: float) -> float:
    """Erlang C: probability that an arriving call waits in an M/M/N queue.

    C = N·B / (N - A·(1 - B)). Load 0 gives 0 (no arrivals, nobody waits). If A >= N the queue
    is unstable (it grows without bound and every caller eventually waits): returns 1.0, the
    limit of the formula as A -> N from below. Use `erlang_c_metrics` to get `stable=False`.
    """
    n = _check_agents(agents)
    a = _check_nonneg("offered_load_erlangs", offered_load_erlangs)
    if a == 0.0:
        return 0.0
    if a >= n:
        return 1.0
    return _erlang_c_from_b(n, a, erlang_b(n, a))


def _no_demand(model: Literal["erlang_c", "erlang_a"], agents: int) -> QueueMetrics:
    """No arrivals: nobody waits; service level is 1 by convention (nobody missed it)."""
    return QueueMetrics(
        model=model,
        agents=agents,
        offered_load_erlangs=0.0,
        p_wait=0.0,
        p_abandon=None if model == "erlang_c" else 0.0,
        asa_s=0.0,
        avg_wait_s=0.0,
        service_level=1.0,
        occupancy=0.0,
        stable=True,
    )


def _unstable_erlang_c_metrics(agents: int, load: float) -> QueueMetrics:
    return QueueMetrics(
        model="erlang_c",
        agents=agents,
        offered_load_erlangs=load,
        p_wait=1.0,
        p_abandon=None,
        asa_s=math.inf,
        avg_wait_s=math.inf,
        service_level=0.0,
        occupancy=1.0,
        stable=False,
    )


def _stable_erlang_c_metrics(
    agents: int, load: float, b: float, aht_s: float, threshold_s: float
) -> QueueMetrics:
    """Erlang C KPIs for load < agents from B = erlang_b(agents, load).

    Shared by `erlang_c_metrics` and the staffing search, which steps B one agent at a time
    from the same recursion start, so both give bit-identical results."""
    c = _erlang_c_from_b(agents, load, b)
    asa_s = c * aht_s / (agents - load)
    return QueueMetrics(
        model="erlang_c",
        agents=agents,
        offered_load_erlangs=load,
        p_wait=c,
        p_abandon=None,
        asa_s=asa_s,
        avg_wait_s=asa_s,
        service_level=1.0 - c * math.exp(-(agents - load) * threshold_s / aht_s),
        occupancy=load / agents,
        stable=True,
    )


def erlang_c_metrics(
    agents: int,
    arrival_rate_per_s: float,
    mean_handle_time_s: float,
    answer_time_threshold_s: float,
) -> QueueMetrics:
    """KPIs of an M/M/N queue without abandonment (Erlang C).

    ASA = C·AHT/(N - A); SL(T) = 1 - C·exp(-(N - A)·T/AHT); occupancy = A/N; the mean wait of
    all arrivals equals the ASA (everyone is answered). If A >= N the queue is unstable:
    p_wait 1, ASA and mean wait infinite, service level 0, occupancy 1, stable False.
    """
    n = _check_agents(agents)
    lam = _check_nonneg("arrival_rate_per_s", arrival_rate_per_s)
    aht_s = _check_positive("mean_handle_time_s", mean_handle_time_s)
    threshold_s = _check_nonneg("answer_time_threshold_s", answer_time_threshold_s)
    load = lam * aht_s
    if load == 0.0:
        return _no_demand("erlang_c", n)
    if load >= n:
        return _unstable_erlang_c_metrics(n, load)
    return _stable_erlang_c_metrics(n, load, erlang_b(n, load), aht_s, threshold_s)


# --------------------------------------------------------------------------------------------
# Erlang A


def _log_rising(a: np.ndarray | float, n: np.ndarray | float) -> np.ndarray:
    """log Γ(a + n) - log Γ(a) for a > 0, n >= 0 (element-wise), without cancellation.

    For a >= 100 the Stirling series is differenced term by term (log1p keeps the leading
    term exact when n << a; the omitted term is below 1e-17); below that `gammaln` is exact
    enough because log Γ(a) is small.
    """
    a = np.asarray(a, dtype=float)
    n = np.asarray(n, dtype=float)
    big = a >= 100.0
    if np.all(big):
        return _stirling_rising(a, n)
    if not np.any(big):
        return _special().gammaln(a + n) - _special().gammaln(a)
    a, n = np.broadcast_arrays(a, n)
    big = np.broadcast_to(big, a.shape)
    out = _special().gammaln(a + n) - _special().gammaln(a)
    out[big] = _stirling_rising(a[big], n[big])
    return out


def _stirling_rising(a: np.ndarray, n: np.ndarray) -> np.ndarray:
    z = a + n
    with np.errstate(over="ignore"):  # a**5 overflows past a ~ 1e61: 1/inf = 0 is then the exact term
        corr = (
            (1.0 / z - 1.0 / a) / 12.0
            - (1.0 / z**3 - 1.0 / a**3) / 360.0
            + (1.0 / z**5 - 1.0 / a**5) / 1260.0
        )
    return (a - 0.5) * np.log1p(n / a) + n * np.log(z) - n + corr


def _logsumexp(v: np.ndarray) -> float:
    top = float(np.max(v))
    return top + math.log(float(np.sum(np.exp(v - top))))


def _log_window(logf, mode: int, lo_bound: int, hi_bound: int | None) -> tuple[int, int]:
    """Index range [lo, hi] outside which a log-concave sequence is below max - _LOG_DROP.

    `logf` maps an integer array to log weights; `mode` is the index of the largest weight.
    A doubling search each side of the mode, evaluated in one vectorised call per side.
    """
    top = float(logf(np.array([mode]))[0])
    floor_ = top - _LOG_DROP
    steps = 2.0 ** np.arange(0, 63)
    right = mode + steps
    if hi_bound is not None:
        right = right[right < hi_bound]
    hi = hi_bound if hi_bound is not None else None
    if right.size:
        below = np.nonzero(logf(right) < floor_)[0]
        if below.size:
            hi = int(right[below[0]])
    if hi is None:
        raise ValueError("queue too long to evaluate exactly (more than 2^62 waiting calls)")
    hi = max(hi, mode)
    left = mode - steps
    left = left[left > lo_bound]
    lo = lo_bound
    if left.size:
        below = np.nonzero(logf(left) < floor_)[0]
        if below.size:
            lo = int(left[below[0]])
    return lo, hi


def _digamma_diff(a: float, n: int) -> float:
    """ψ(a + n) - ψ(a) = sum_{i=0..n-1} 1/(a + i), for a > 0, n >= 0."""
    if n == 0:
        return 0.0
    if n <= 64:
        return float(np.sum(1.0 / (a + np.arange(n))))
    return float(_special().digamma(a + n) - _special().digamma(a))


def erlang_a_metrics(
    agents: int,
    arrival_rate_per_s: float,
    mean_handle_time_s: float,
    mean_patience_s: float,
    answer_time_threshold_s: float,
) -> QueueMetrics:
    """KPIs of an M/M/N+M queue (Erlang A: Poisson arrivals, exponential handle time and
    exponential patience), computed exactly from the birth-death chain (see module docstring).

    - p_wait: P(all agents busy at arrival) (PASTA).
    - p_abandon: θ·E[queue length]/λ.
    - avg_wait_s: E[queue length]/λ, all arrivals (abandoners up to abandonment).
    - asa_s: mean wait of answered calls; math.nan with 0 agents (nobody is answered).
    - service_level: P(answered within T) over all arrivals (abandoners are misses).
    - occupancy: λ·(1 - p_abandon)·AHT/N; 0 with 0 agents.

    Always stable for finite patience. mean_patience_s = math.inf is Erlang C exactly (with
    p_abandon 0 and model "erlang_a"), including its instability when A >= N.
    """
    n = _check_agents(agents)
    lam = _check_nonneg("arrival_rate_per_s", arrival_rate_per_s)
    aht_s = _check_positive("mean_handle_time_s", mean_handle_time_s)
    patience_s = float(mean_patience_s)
    if math.isnan(patience_s) or patience_s <= 0.0:
        raise ValueError(f"mean_patience_s must be > 0 (math.inf for none), got {mean_patience_s!r}")
    threshold_s = _check_nonneg("answer_time_threshold_s", answer_time_threshold_s)
    load = lam * aht_s
    if math.isinf(patience_s):
        c_metrics = erlang_c_metrics(n, lam, aht_s, threshold_s)
        return QueueMetrics(**{**c_metrics.__dict__, "model": "erlang_a", "p_abandon": 0.0})
    if load == 0.0:
        return _no_demand("erlang_a", n)
    if n == 0:  # everyone queues and abandons; the mean wait is the mean patience
        return QueueMetrics(
            model="erlang_a",
            agents=0,
            offered_load_erlangs=load,
            p_wait=1.0,
            p_abandon=1.0,
            asa_s=math.nan,
            avg_wait_s=patience_s,
            service_level=0.0,
            occupancy=0.0,
            stable=True,
        )

    mu = 1.0 / aht_s
    theta = 1.0 / patience_s
    x = n * mu / theta  # N·μ/θ
    y = lam / theta  # λ/θ
    log_load = math.log(load)
    log_y = math.log(y)

    # States below N, weight relative to state N: log(π_k/π_N) = log(N!/k!) - (N-k)·log A.
    def log_lower(k: np.ndarray) -> np.ndarray:
        return _log_rising(k + 1.0, n - k) - (n - k) * log_load

    k_mode = min(n - 1, math.floor(load))
    k_lo, k_hi = _log_window(log_lower, k_mode, 0, n - 1)
    lower = log_lower(np.arange(k_lo, k_hi + 1, dtype=float))

    # States N + j, j >= 0: log(π_{N+j}/π_N) = j·log y - log(Γ(x+1+j)/Γ(x+1)).
    def log_queue(j: np.ndarray) -> np.ndarray:
        return j * log_y - _log_rising(x + 1.0, j)

    j_mode = max(0, math.floor(y - x))
    j_lo, j_hi = _log_window(log_queue, min(j_mode, 2**62), 0, None)
    j = np.arange(j_lo, j_hi + 1, dtype=float)
    queue = log_queue(j)

    log_l = _logsumexp(lower)
    log_q = _logsumexp(queue)
    log_z = float(np.logaddexp(log_l, log_q))
    p_wait = float(_special().expit(log_q - log_l))
    p_no_wait = float(_special().expit(log_l - log_q))
    w = np.exp(queue - log_z)  # P(an arrival finds j callers waiting, all agents busy)

    served = x / (x + j + 1.0)  # P(answered | j waiting ahead)
    z = -math.expm1(-theta * threshold_s)  # P(patience < T)
    within = served * _special().betainc(j + 1.0, x + 1.0, z) if z > 0.0 else np.zeros_like(j)
    # E[V | answered, j] = sum_{i=1..j+1} 1/(N·μ + i·θ), accumulated over the window.
    base = _digamma_diff(x + 1.0, j_lo) / theta
    cond_wait = base + np.cumsum(1.0 / (n * mu + (j + 1.0) * theta))

    mean_queue = float(np.dot(w, j))
    p_abandon = min(1.0, theta * mean_queue / lam)
    p_served = p_no_wait + float(np.dot(w, served))
    service_level = min(1.0, p_no_wait + float(np.dot(w, within)))
    asa_s = float(np.dot(w, served * cond_wait)) / p_served
    occupancy = min(1.0, lam * (1.0 - p_abandon) * aht_s / n)
    return QueueMetrics(
        model="erlang_a",
        agents=n,
        offered_load_erlangs=load,
        p_wait=p_wait,
        p_abandon=p_abandon,
        asa_s=asa_s,
        avg_wait_s=mean_queue / lam,
        service_level=service_level,
        occupancy=occupancy,
        stable=True,
    )
