"""Required agents for one interval: service targets first, then the occupancy band.

Rule (`required_agents`): the smallest N meeting every given target (service level >= target,
ASA <= target, P(abandon) <= maximum; the abandonment target only under Erlang A; Erlang C also
needs N > A to be stable). The *binding constraint* is the target that needed the most agents:
the one still missed at N - 1 (ties broken in the order service_level, asa, abandon_rate). Then
the occupancy band: if occupancy at N is above the upper bound, N is raised to the smallest
count whose occupancy is within it (binding "occupancy_cap"); if the targets force occupancy
below the lower bound, N is kept and the flag "below_occupancy_floor" is raised: a target is
never broken to fill the band. Scheduled headcount = ceil(agents / (1 - shrinkage)).

Search: service level, ASA and P(abandon) improve monotonically with N (for SL and abandonment
a sample-path coupling argument: one more agent never lengthens any caller's offered wait), so
Erlang C steps up from floor(A) + 1 with one Erlang B recursion step per agent (a few
microseconds each; sizing 5,000 Erlangs takes well under a millisecond), and Erlang A gallops
and bisects around the Erlang C answer (about a dozen exact Erlang A evaluations). Decisions
are taken on exactly the metrics that are returned (for Erlang C the stepped recursion is
bit-identical to `erlang_c_metrics`, see `_erlang_c_search`), so the reported metrics meet the
targets as reported and N - 1 misses one.

Many intervals (`required_agents_by_interval`, e.g. the 96 quarter hours of a day) are sized
by the same rule in one vectorised pass for Erlang C (a day in well under a millisecond); any
interval whose decision lies within rounding distance of a target is redone with the scalar
search, so the plan's agent counts always equal `required_agents` interval by interval.

Unreachable targets raise ValueError before any search, when there is demand: a service level
target of 1 (100%), an ASA target of 0 s and (Erlang A) a maximum abandonment rate of 0 cannot
be met by any finite number of agents. As a safety net the search stops at
floor(A) + 1 + ceil(60·sqrt(A)) + 1000 agents (far beyond any reachable target: Erlang C's
P(wait) is below 1e-300 there) and raises ValueError.
"""
from __future__ import annotations

import dataclasses
import math
import operator
from dataclasses import dataclass, field
from typing import Callable, Literal, Sequence

import numpy as np

from .erlang import (
    QueueMetrics,
    _special,
    _stable_erlang_c_metrics,
    _unstable_erlang_c_metrics,
    erlang_a_metrics,
    erlang_b,
    erlang_c_metrics,
)

__all__ = [
    "FLAG_DESCRIPTIONS",
    "IntervalPlan",
    "StaffingResult",
    "StaffingTargets",
    "evaluate_agents",
    "required_agents",
    "required_agents_by_interval",
    "scheduled_agents",
]

Model = Literal["erlang_c", "erlang_a"]
BindingConstraint = Literal[
    "service_level", "asa", "abandon_rate", "occupancy_cap", "none", "given", "busyness"
]

FLAG_DESCRIPTIONS: dict[str, str] = {
    "no_demand": "no calls offered: no agents needed",
    "unstable": "agents do not exceed the offered load: the queue grows without bound",
    "stability_minimum": "no target needed more agents than the minimum for a stable queue",
    "minimum_one_agent": "no target needed any agent; one agent is staffed because calls arrive",
    "misses_service_level": "the service level target is missed",
    "misses_asa": "the ASA target is missed",
    "misses_abandon_rate": "the maximum abandonment rate is exceeded",
    "above_occupancy_cap": "occupancy is above the upper end of the occupancy band",
    "below_occupancy_floor": "occupancy is below the lower end of the occupancy band",
    "abandon_rate_not_modelled": "Erlang C has no abandonment: the abandonment target was ignored",
}

_TARGET_ORDER = ("service_level", "asa", "abandon_rate")



class StaffingError(ValueError):
    """Inputs or targets the staffing maths cannot size (an unreachable target, a negative
    rate, ...): the caller's to fix, so the command line reports it as one line, exit 2."""

@dataclass(frozen=True)
class StaffingTargets:
    """What the staffing must achieve in one interval.

    Attributes:
        service_level_target: fraction of ALL arrivals to answer within the threshold, or None.
        answer_time_threshold_s: the T of "80% within T seconds" (also used to report the
            service level when there is no service level target).
        asa_target_s: maximum mean wait of answered calls in seconds, or None.
        max_abandon_rate: maximum fraction of arrivals that abandon (Erlang A only), or None.
        occupancy_band: (lower, upper) occupancy; (0.0, 1.0) disables the band.
    """

    service_level_target: float | None
    answer_time_threshold_s: float
    asa_target_s: float | None = None
    max_abandon_rate: float | None = None
    occupancy_band: tuple[float, float] = (0.75, 0.85)

    def __post_init__(self) -> None:
        def fraction(name: str, value: float | None) -> None:
            if value is not None and not (0.0 <= float(value) <= 1.0):
                raise StaffingError(f"{name} must be between 0 and 1, got {value!r}")

        fraction("service_level_target", self.service_level_target)
        fraction("max_abandon_rate", self.max_abandon_rate)
        t = float(self.answer_time_threshold_s)
        if not (math.isfinite(t) and t >= 0.0):
            raise StaffingError(f"answer_time_threshold_s must be finite and >= 0, got {t!r}")
        if self.asa_target_s is not None:
            asa = float(self.asa_target_s)
            if not (math.isfinite(asa) and asa >= 0.0):
                raise StaffingError(f"asa_target_s must be finite and >= 0, got {asa!r}")
        band = tuple(self.occupancy_band)
        if len(band) != 2:
            raise StaffingError(f"occupancy_band must be (lower, upper), got {self.occupancy_band!r}")
        lower, upper = (float(v) for v in band)
        if not (0.0 <= lower <= upper <= 1.0 and upper > 0.0):
            raise StaffingError(
                f"occupancy_band must satisfy 0 <= lower <= upper <= 1 and upper > 0, got {band!r}"
            )
        object.__setattr__(self, "occupancy_band", (lower, upper))


@dataclass(frozen=True)
class StaffingResult:
    """Agents for one interval and how the number was reached.

    Attributes:
        agents: agents on the phones (required, or the given number for `evaluate_agents`).
        scheduled_agents: headcount to schedule, ceil(agents / (1 - shrinkage)).
        shrinkage: fraction of paid time not available for calls.
        metrics: queue KPIs at `agents`.
        binding_constraint: which requirement set `agents`: "service_level", "asa",
            "abandon_rate", "occupancy_cap", "none" (no demand, or only queue stability), or
            "given" for `evaluate_agents`, "busyness" where `required_agents_by_interval` added
            agents for the day-to-day variation of the volume (its `busyness_cv`).
        flags: notes, see FLAG_DESCRIPTIONS.
        targets: the targets the result was computed for.
    """

    agents: int
    scheduled_agents: int
    shrinkage: float
    metrics: QueueMetrics
    binding_constraint: BindingConstraint
    flags: tuple[str, ...]
    targets: StaffingTargets = field(repr=False)


def scheduled_agents(required: int, shrinkage: float) -> int:
    """Headcount to schedule so that `required` agents are on the phones: ceil(N / (1 - s)).

    A quotient within 1e-9 (relative) of an integer is taken as that integer, so float fuzz
    (85 / (1 - 0.15) = 100.00000000000001) does not add an agent.
    """
    if isinstance(required, bool):
        raise TypeError("required must be an integer")
    n = operator.index(required)
    if n < 0:
        raise StaffingError(f"required must be >= 0, got {n}")
    s = float(shrinkage)
    if not (0.0 <= s < 1.0):
        raise StaffingError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
    if n == 0 or s == 0.0:
        return n
    exact = n / (1.0 - s)
    nearest = round(exact)
    if abs(exact - nearest) <= 1e-9 * exact:
        return int(nearest)
    return math.ceil(exact)


# --------------------------------------------------------------------------------------------


def _check_model(model: str, mean_patience_s: float | None) -> None:
    if model == "erlang_c":
        if mean_patience_s is not None:
            raise StaffingError("mean_patience_s is only used with model='erlang_a'")
    elif model == "erlang_a":
        if mean_patience_s is None:
            raise StaffingError("model='erlang_a' needs mean_patience_s")
    else:
        raise StaffingError(f"model must be 'erlang_c' or 'erlang_a', got {model!r}")


class _Metrics:
    """Queue metrics at N for fixed inputs, cached (the searches revisit N and N - 1)."""

    def __init__(self, model: Model, arrival_rate_per_s: float, mean_handle_time_s: float,
                 mean_patience_s: float | None, threshold_s: float) -> None:
        self.model = model
        self.args = (arrival_rate_per_s, mean_handle_time_s)
        self.patience = mean_patience_s
        self.threshold_s = threshold_s
        self.cache: dict[int, QueueMetrics] = {}

    def __call__(self, n: int) -> QueueMetrics:
        if n not in self.cache:
            if self.model == "erlang_c":
                self.cache[n] = erlang_c_metrics(n, *self.args, self.threshold_s)
            else:
                self.cache[n] = erlang_a_metrics(n, *self.args, self.patience, self.threshold_s)
        return self.cache[n]


def _missed(m: QueueMetrics, targets: StaffingTargets) -> tuple[str, ...]:
    """Targets missed at these metrics, in tie-break order; "stability" if unstable."""
    missed = []
    if targets.service_level_target is not None and not (
        m.service_level >= targets.service_level_target
    ):
        missed.append("service_level")
    if targets.asa_target_s is not None and not (m.asa_s <= targets.asa_target_s):
        missed.append("asa")  # also when asa_s is nan (nobody answered)
    if (
        targets.max_abandon_rate is not None
        and m.p_abandon is not None
        and not (m.p_abandon <= targets.max_abandon_rate)
    ):
        missed.append("abandon_rate")
    if not m.stable:
        missed.append("stability")
    return tuple(missed)


def _search_limit(load: float) -> int:
    return math.floor(load) + 1 + math.ceil(60.0 * math.sqrt(load)) + 1000


def _erlang_c_search(
    load: float, aht_s: float, targets: StaffingTargets, limit: int
) -> tuple[QueueMetrics, QueueMetrics]:
    """Erlang C metrics at the smallest stable N meeting the SL and ASA targets, and at N - 1.

    Steps the Erlang B recursion one agent at a time from floor(A) + 1. `erlang_b` starts its
    recursion at the same index for every N > A, so these metrics are bit-identical to
    `erlang_c_metrics(N, ...)`. (Erlang C has no abandonment target.)
    """
    threshold_s = targets.answer_time_threshold_s
    n = math.floor(load) + 1
    b = erlang_b(n, load)
    below = _unstable_erlang_c_metrics(n - 1, load)
    while True:
        m = _stable_erlang_c_metrics(n, load, b, aht_s, threshold_s)
        if not _missed(m, targets):
            return m, below
        n += 1
        if n > limit:
            raise StaffingError(
                f"no staffing up to {limit} agents meets the targets "
                f"(offered load {load:.6g} Erlangs); loosen the targets"
            )
        b = load * b / (n + load * b)
        below = m


def _smallest(ok: Callable[[int], bool], guess: int, floor_n: int, limit: int) -> int:
    """Smallest n in [floor_n, limit] with ok(n), for ok monotone (false ... false true ...)."""
    guess = min(max(guess, floor_n), limit)
    if ok(guess):
        hi, step = guess, 1
        while True:
            lo = hi - step
            if lo < floor_n:
                lo = floor_n - 1  # treated as failing
                break
            if not ok(lo):
                break
            hi, step = lo, step * 2
    else:
        lo, step = guess, 1
        while True:
            hi = lo + step
            if hi >= limit:
                hi = limit
                if not ok(hi):
                    raise StaffingError(
                        f"no staffing up to {limit} agents meets the targets; loosen the targets"
                    )
                break
            if ok(hi):
                break
            lo, step = hi, step * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _check_reachable(targets: StaffingTargets, model: Model, mean_patience_s: float | None) -> None:
    """Raise ValueError for targets that no finite staffing meets when there is demand."""
    abandon_modelled = model == "erlang_a"
    has_target = (
        targets.service_level_target is not None
        or targets.asa_target_s is not None
        or (targets.max_abandon_rate is not None and abandon_modelled)
    )
    if not has_target and targets.occupancy_band[1] >= 1.0:
        raise StaffingError("nothing to size against: give a target or an occupancy cap below 1")
    if targets.service_level_target is not None and targets.service_level_target >= 1.0:
        raise StaffingError(
            "a service level target of 100% cannot be met by any finite number of agents"
        )
    if targets.asa_target_s is not None and targets.asa_target_s <= 0.0:
        raise StaffingError("an ASA target of 0 s cannot be met by any finite number of agents")
    if abandon_modelled and targets.max_abandon_rate == 0.0 and math.isfinite(mean_patience_s):
        raise StaffingError(
            "a maximum abandonment rate of 0 cannot be met by any finite number of agents"
        )


def _band_flags(m: QueueMetrics, targets: StaffingTargets) -> list[str]:
    lower, upper = targets.occupancy_band
    flags = []
    if m.occupancy > upper:
        flags.append("above_occupancy_cap")
    if m.occupancy < lower:
        flags.append("below_occupancy_floor")
    return flags


# The largest offered load sized: ten times the largest contact centres' peak. Far beyond it the
# search still ends, but only after minutes (a typo of 1e12 calls, an interval of 1e-300 minutes).
MAX_LOAD_ERLANGS = 1_000_000


def _check_load(load: float, interval: int | None = None) -> None:
    if load > MAX_LOAD_ERLANGS:
        where = f" in interval {interval}" if interval is not None else ""
        raise StaffingError(f"an offered load of {load:,.3g} Erlangs{where} is beyond any call centre (at most "
                            f"{MAX_LOAD_ERLANGS:,}); check the calls, the interval length and the handle time")


def required_agents(
    arrival_rate_per_s: float,
    mean_handle_time_s: float,
    targets: StaffingTargets,
    model: Model = "erlang_c",
    mean_patience_s: float | None = None,
    shrinkage: float = 0.0,
) -> StaffingResult:
    """Smallest number of agents meeting `targets`, then lifted into the occupancy band.

    See the module docstring for the rule, the binding constraint and the search. With no
    demand the answer is 0 agents, binding "none", flag "no_demand". With demand at least one
    agent is staffed. Raises ValueError for targets no finite staffing can meet, and when
    there is nothing to size against (no target and no occupancy cap below 1).
    """
    _check_model(model, mean_patience_s)
    scheduled_agents(0, shrinkage)  # validates shrinkage
    metrics = _Metrics(model, arrival_rate_per_s, mean_handle_time_s, mean_patience_s,
                       targets.answer_time_threshold_s)
    load = metrics(0).offered_load_erlangs  # also validates the inputs
    _check_load(load)
    aht_s = float(mean_handle_time_s)
    lower, upper = targets.occupancy_band

    def result(n: int, binding: BindingConstraint, flags: list[str]) -> StaffingResult:
        return StaffingResult(
            agents=n,
            scheduled_agents=scheduled_agents(n, shrinkage),
            shrinkage=float(shrinkage),
            metrics=metrics(n),
            binding_constraint=binding,
            flags=tuple(flags),
            targets=targets,
        )

    flags: list[str] = []
    abandon_modelled = model == "erlang_a"
    if targets.max_abandon_rate is not None and not abandon_modelled:
        flags.append("abandon_rate_not_modelled")
    if load == 0.0:
        return result(0, "none", ["no_demand", *flags])

    _check_reachable(targets, model, mean_patience_s)
    limit = _search_limit(load)
    fast, fast_below = _erlang_c_search(load, aht_s, targets, limit)
    if model == "erlang_c":
        n = fast.agents
        metrics.cache[n], metrics.cache[n - 1] = fast, fast_below
    else:  # Erlang A: gallop and bisect around the Erlang C answer

        def ok(k: int) -> bool:
            return not _missed(metrics(k), targets)

        n = _smallest(ok, fast.agents, 1, limit)

    missed_below = _missed(metrics(n - 1), targets) if n > 0 else ()
    binding: BindingConstraint = "none"
    for name in _TARGET_ORDER:
        if name in missed_below:
            binding = name
            break
    else:
        flags.append("stability_minimum" if "stability" in missed_below else "minimum_one_agent")

    if metrics(n).occupancy > upper:
        def within_cap(k: int) -> bool:
            if model == "erlang_c":  # occupancy is A/k exactly as erlang_c_metrics computes it
                return load / k <= upper
            return metrics(k).occupancy <= upper

        # occupancy <= A/k, so ceil(A/upper) (+1 against rounding) is always within the cap.
        cap_guess = max(n + 1, math.ceil(load / upper))
        n = _smallest(within_cap, cap_guess, n + 1, max(cap_guess + 1, limit))
        binding = "occupancy_cap"
        flags = [f for f in flags if f not in ("stability_minimum", "minimum_one_agent")]
    flags.extend(f for f in _band_flags(metrics(n), targets) if f == "below_occupancy_floor")
    return result(n, binding, flags)


def evaluate_agents(
    agents: int,
    arrival_rate_per_s: float,
    mean_handle_time_s: float,
    targets: StaffingTargets,
    model: Model = "erlang_c",
    mean_patience_s: float | None = None,
    shrinkage: float = 0.0,
) -> StaffingResult:
    """The reverse calculation: KPIs and missed targets for a GIVEN number of agents.

    binding_constraint is "given"; flags name every missed target ("misses_service_level",
    "misses_asa", "misses_abandon_rate"), the band ("above_occupancy_cap",
    "below_occupancy_floor"), "unstable" (Erlang C with A >= N) and "no_demand".
    """
    _check_model(model, mean_patience_s)
    m = _Metrics(model, arrival_rate_per_s, mean_handle_time_s, mean_patience_s,
                 targets.answer_time_threshold_s)(agents)
    flags: list[str] = []
    if m.offered_load_erlangs == 0.0:
        flags.append("no_demand")
    missed = _missed(m, targets)
    if "stability" in missed:
        flags.append("unstable")
    flags.extend(f"misses_{name}" for name in _TARGET_ORDER if name in missed)
    if m.offered_load_erlangs > 0.0:
        flags.extend(_band_flags(m, targets))
    if targets.max_abandon_rate is not None and model == "erlang_c":
        flags.append("abandon_rate_not_modelled")
    return StaffingResult(
        agents=m.agents,
        scheduled_agents=scheduled_agents(m.agents, shrinkage),
        shrinkage=float(shrinkage),
        metrics=m,
        binding_constraint="given",
        flags=tuple(flags),
        targets=targets,
    )


# --------------------------------------------------------------------------------------------
# many intervals at once


@dataclass(frozen=True)
class IntervalPlan:
    """Staffing for a sequence of intervals, one entry per interval in every column.

    Each interval is sized independently by the rule of `required_agents`, with the same
    targets and handle time; `interval(i)` gives the full `StaffingResult` of one interval.
    Under Erlang C the metric columns come from a log-space Erlang B (relative error below
    1e-9 of the exact recursion); the agent counts, binding constraints and flags are always
    those of `required_agents`.
    """

    model: Model
    targets: StaffingTargets = field(repr=False)
    shrinkage: float
    mean_handle_time_s: float
    mean_patience_s: float | None
    arrival_rates_per_s: tuple[float, ...]
    offered_load_erlangs: tuple[float, ...]
    agents: tuple[int, ...]
    scheduled_agents: tuple[int, ...]
    p_wait: tuple[float, ...]
    p_abandon: tuple[float | None, ...]
    asa_s: tuple[float, ...]
    service_level: tuple[float, ...]
    occupancy: tuple[float, ...]
    binding_constraint: tuple[BindingConstraint, ...]
    flags: tuple[tuple[str, ...], ...]

    def interval(self, i: int) -> StaffingResult:
        """The exact `required_agents` result of interval i."""
        return required_agents(
            self.arrival_rates_per_s[i], self.mean_handle_time_s, self.targets, self.model,
            self.mean_patience_s, self.shrinkage,
        )


def _log_space_erlang_b(agents: np.ndarray, load: np.ndarray) -> np.ndarray:
    """B(N, A) = P(X = N)/P(X <= N), X ~ Poisson(A), for N > A > 0 (vectorised; relative
    error about 1e-16·N·log N from the log Poisson weight; P(X <= N) >= 1/2 here)."""
    log_pmf = agents * np.log(load) - load - _special().gammaln(agents + 1.0)
    return np.exp(log_pmf - np.log(_special().pdtr(agents, load)))


def _plan_from_results(
    model: Model, targets: StaffingTargets, shrinkage: float, aht_s: float,
    patience_s: float | None, rates: list[float], results: list[StaffingResult],
) -> IntervalPlan:
    return IntervalPlan(
        model=model,
        targets=targets,
        shrinkage=float(shrinkage),
        mean_handle_time_s=aht_s,
        mean_patience_s=patience_s,
        arrival_rates_per_s=tuple(rates),
        offered_load_erlangs=tuple(r.metrics.offered_load_erlangs for r in results),
        agents=tuple(r.agents for r in results),
        scheduled_agents=tuple(r.scheduled_agents for r in results),
        p_wait=tuple(r.metrics.p_wait for r in results),
        p_abandon=tuple(r.metrics.p_abandon for r in results),
        asa_s=tuple(r.metrics.asa_s for r in results),
        service_level=tuple(r.metrics.service_level for r in results),
        occupancy=tuple(r.metrics.occupancy for r in results),
        binding_constraint=tuple(r.binding_constraint for r in results),
        flags=tuple(r.flags for r in results),
    )


def required_agents_by_interval(
    arrival_rates_per_s: Sequence[float],
    mean_handle_time_s: float,
    targets: StaffingTargets,
    model: Model = "erlang_c",
    mean_patience_s: float | None = None,
    shrinkage: float = 0.0,
    busyness_cv: float = 0.0,
) -> IntervalPlan:
    """`required_agents` for every interval of a day (or any sequence), as one `IntervalPlan`.

    With `busyness_cv` > 0 each day's volume is the expected one times a gamma factor with mean
    1 and that CV (the forecast error): each interval then gets the fewest agents, at least the
    expected volume's requirement, whose service level, ASA and abandonment averaged over 16
    equally likely days meet the targets, as the simulation averages its replications (a busy
    day's shortfall outweighs a quiet day's surplus: that is what the extra agents pay for). The
    intervals this raised have binding constraint "busyness"; their metrics are those of the
    expected volume.

    Erlang C is vectorised over the intervals: Erlang B at floor(A) + 1 from the Poisson
    distribution in log space, then one recursion step per agent for all unfinished intervals
    at once, and the occupancy cap in closed form. Any interval whose service level or ASA at
    N or N - 1 lies within the rounding tolerance of its target is re-sized with the exact
    scalar `required_agents`, so agent counts always equal the scalar ones. Erlang A loops over
    `required_agents`.
    """
    _check_model(model, mean_patience_s)
    if busyness_cv > 0.0:
        base = required_agents_by_interval(arrival_rates_per_s, mean_handle_time_s, targets, model, mean_patience_s,
                                           shrinkage)
        return _over_busy_days(base, targets, model, mean_patience_s, shrinkage, busyness_cv)
    rates = [float(r) for r in arrival_rates_per_s]
    aht_s = float(mean_handle_time_s)
    if model == "erlang_a" or not rates:
        results = [required_agents(r, aht_s, targets, model, mean_patience_s, shrinkage) for r in rates]
        return _plan_from_results(model, targets, shrinkage, aht_s, mean_patience_s, rates, results)

    scheduled_agents(0, shrinkage)  # validates shrinkage
    if not (math.isfinite(aht_s) and aht_s > 0.0):
        raise StaffingError(f"mean_handle_time_s must be a finite number > 0, got {mean_handle_time_s!r}")
    rate = np.asarray(rates, dtype=float)
    bad = ~(np.isfinite(rate) & (rate >= 0.0))
    if bad.any():
        i = int(np.argmax(bad))
        raise StaffingError(f"arrival_rates_per_s[{i}] must be a finite number >= 0, got {rates[i]!r}")
    load_all = rate * aht_s
    if load_all.size:
        _check_load(float(load_all.max()), int(np.argmax(load_all)))
    demand = np.nonzero(load_all > 0.0)[0]
    size = rate.size
    agents = np.zeros(size, dtype=np.int64)
    p_wait = np.zeros(size)
    asa_s = np.zeros(size)
    service_level = np.ones(size)
    occupancy = np.zeros(size)
    binding: list[BindingConstraint] = ["none"] * size
    base_flags = ("abandon_rate_not_modelled",) if targets.max_abandon_rate is not None else ()
    flags: list[tuple[str, ...]] = [("no_demand", *base_flags)] * size
    redo: list[int] = []

    if demand.size:
        _check_reachable(targets, model, mean_patience_s)
        load = load_all[demand]
        sl_t = targets.service_level_target
        asa_t = targets.asa_target_s
        threshold_s = targets.answer_time_threshold_s
        lower, upper = targets.occupancy_band
        max_steps = np.ceil(60.0 * np.sqrt(load)) + 1000  # as _search_limit

        # Smallest stable N meeting the SL and ASA targets: all intervals step one agent at a
        # time together, and leave the arrays when they meet their targets.
        n_t = np.empty_like(load)
        b_t = np.empty_like(load)
        sl_at, asa_at = np.empty_like(load), np.empty_like(load)
        sl_at_below, asa_at_below = np.empty_like(load), np.empty_like(load)
        idx = np.arange(load.size)
        a = load
        n = np.floor(load) + 1.0
        b = _log_space_erlang_b(n, a)
        sl_below = np.zeros_like(load)  # N - 1 <= A is unstable: SL 0, ASA infinite
        asa_below = np.full_like(load, np.inf)
        decay = -threshold_s / aht_s
        steps = 0
        while True:
            gap = n - a
            c = n * b / (n - a * (1.0 - b))
            asa = c * aht_s / gap
            sl = 1.0 - c * np.exp(gap * decay)
            if sl_t is not None:
                ok = sl >= sl_t
                if asa_t is not None:
                    ok &= asa <= asa_t
            else:
                ok = asa <= asa_t if asa_t is not None else np.ones(idx.size, dtype=bool)
            if ok.any():
                done = idx[ok]
                n_t[done], b_t[done] = n[ok], b[ok]
                sl_at[done], asa_at[done] = sl[ok], asa[ok]
                sl_at_below[done], asa_at_below[done] = sl_below[ok], asa_below[ok]
                if ok.all():
                    break
                keep = ~ok
                idx, a, n, b, sl, asa = idx[keep], a[keep], n[keep], b[keep], sl[keep], asa[keep]
            n = n + 1.0
            b = a * b / (n + a * b)
            sl_below, asa_below = sl, asa
            steps += 1
            if steps > 1000 and np.any(steps > max_steps[idx]):
                raise StaffingError("no staffing within the search limit meets the targets; loosen the targets")
        at = {"sl": sl_at, "asa": asa_at, "sl_below": sl_at_below, "asa_below": asa_at_below}

        # Rounding guard: decisions closer to a target than the log-space error are redone exactly.
        tol = 1e-9 + 1e-14 * n_t * np.log(n_t + 1.0)
        near = np.zeros(load.size, dtype=bool)
        if sl_t is not None:
            near |= np.abs(at["sl"] - sl_t) <= tol
            near |= np.abs(at["sl_below"] - sl_t) <= tol
        if asa_t is not None:
            near |= np.abs(at["asa"] - asa_t) <= tol * asa_t
            near |= np.abs(at["asa_below"] - asa_t) <= tol * asa_t

        if sl_t is not None:
            miss_sl = at["sl_below"] < sl_t
        else:
            miss_sl = np.zeros(load.size, dtype=bool)
        if asa_t is not None:
            miss_asa = ~(at["asa_below"] <= asa_t)
        else:
            miss_asa = np.zeros(load.size, dtype=bool)

        # Occupancy cap: the smallest N with A/N <= upper, in closed form.
        lifted = load / n_t > upper
        n_final = n_t.copy()
        if lifted.any():
            cap = np.maximum(n_t[lifted] + 1.0, np.ceil(load[lifted] / upper))
            a_l = load[lifted]
            while np.any(fix := a_l / cap > upper):
                cap[fix] += 1.0
            while np.any(fix := (cap - 1.0 > n_t[lifted]) & (a_l / (cap - 1.0) <= upper)):
                cap[fix] -= 1.0
            n_final[lifted] = cap
            b_final = b_t.copy()
            b_final[lifted] = _log_space_erlang_b(cap, a_l)
        else:
            b_final = b_t
        c = n_final * b_final / (n_final - load * (1.0 - b_final))
        gap = n_final - load
        agents[demand] = n_final.astype(np.int64)
        p_wait[demand] = c
        asa_s[demand] = c * aht_s / gap
        service_level[demand] = 1.0 - c * np.exp(-gap * threshold_s / aht_s)
        occupancy[demand] = load / n_final

        floor_flag = occupancy[demand] < lower
        for k, i in enumerate(demand.tolist()):
            if near[k]:
                redo.append(i)
                continue
            f = list(base_flags)
            if lifted[k]:
                binding[i] = "occupancy_cap"
            elif miss_sl[k]:
                binding[i] = "service_level"
            elif miss_asa[k]:
                binding[i] = "asa"
            else:
                f.append("stability_minimum")
            if floor_flag[k]:
                f.append("below_occupancy_floor")
            flags[i] = tuple(f)

    agents_list = agents.tolist()
    columns = {
        "p_wait": p_wait.tolist(), "asa_s": asa_s.tolist(),
        "service_level": service_level.tolist(), "occupancy": occupancy.tolist(),
    }
    for i in redo:
        exact = required_agents(rates[i], aht_s, targets, model, None, shrinkage)
        agents_list[i], binding[i], flags[i] = exact.agents, exact.binding_constraint, exact.flags
        for name, column in columns.items():
            column[i] = getattr(exact.metrics, name)
    return IntervalPlan(
        model=model,
        targets=targets,
        shrinkage=float(shrinkage),
        mean_handle_time_s=aht_s,
        mean_patience_s=None,
        arrival_rates_per_s=tuple(rates),
        offered_load_erlangs=tuple(load_all.tolist()),
        agents=tuple(agents_list),
        scheduled_agents=tuple(_scheduled_many(agents_list, shrinkage)),
        p_wait=tuple(columns["p_wait"]),
        p_abandon=(None,) * size,
        asa_s=tuple(columns["asa_s"]),
        service_level=tuple(columns["service_level"]),
        occupancy=tuple(columns["occupancy"]),
        binding_constraint=tuple(binding),
        flags=tuple(flags),
    )


def _scheduled_many(agents: list[int], shrinkage: float) -> list[int]:
    """`scheduled_agents` for many counts (same arithmetic, vectorised)."""
    s = float(shrinkage)
    if s == 0.0:
        return list(agents)
    n = np.asarray(agents, dtype=float)
    exact = n / (1.0 - s)
    nearest = np.rint(exact)
    out = np.where(np.abs(exact - nearest) <= 1e-9 * exact, nearest, np.ceil(exact))
    return out.astype(np.int64).tolist()


# --------------------------------------------------------------------------------------------
# days whose volume is uncertain (busyness)

BUSYNESS_NODES = 16


def busyness_factors(busyness_cv: float, nodes: int = BUSYNESS_NODES) -> np.ndarray:
    """`nodes` equally likely volume factors of a gamma with mean 1 and CV `busyness_cv` (the
    midpoints of equal-probability slices), rescaled so that their mean is exactly 1."""
    shape = 1.0 / busyness_cv**2
    factors = _special().gammaincinv(shape, (np.arange(nodes) + 0.5) / nodes) / shape
    return factors / factors.mean()


def _mean_metrics(ms: list[QueueMetrics]) -> QueueMetrics:
    """The KPIs averaged over equally likely days, as the simulation averages its replications."""
    def mean(name: str):
        values = [getattr(m, name) for m in ms]
        return None if values[0] is None else float(np.mean(values))

    return QueueMetrics(ms[0].model, ms[0].agents, mean("offered_load_erlangs"), mean("p_wait"), mean("p_abandon"),
                        mean("asa_s"), mean("avg_wait_s"), mean("service_level"), mean("occupancy"), True)


def _over_busy_days(base: IntervalPlan, targets: StaffingTargets, model: Model, mean_patience_s: float | None,
                    shrinkage: float, busyness_cv: float) -> IntervalPlan:
    """`base` (the expected volume's plan) raised where the targets, averaged over 16 equally
    likely days of a gamma volume factor (mean 1, CV `busyness_cv`), need more agents."""
    factors = busyness_factors(busyness_cv)
    aht_s = base.mean_handle_time_s
    raised: dict[int, StaffingResult] = {}
    for i, rate in enumerate(base.arrival_rates_per_s):
        n = base.agents[i]
        if rate <= 0.0:
            continue
        days = [_Metrics(model, rate * f, aht_s, mean_patience_s, targets.answer_time_threshold_s) for f in factors]
        limit = _search_limit(rate * aht_s * factors[-1])
        while set(_missed(_mean_metrics([day(n) for day in days]), targets)) - {"stability"}:
            n += 1
            if n > limit:
                raise StaffingError(f"interval {i}: no staffing up to {limit} agents meets the targets on average "
                                    f"over days with busyness cv {busyness_cv:g}")
        if n > base.agents[i]:
            raised[i] = evaluate_agents(n, rate, aht_s, targets, model, mean_patience_s, shrinkage)

    def column(name: str, of_result: Callable[[StaffingResult], object]) -> tuple:
        return tuple(of_result(raised[i]) if i in raised else value for i, value in enumerate(getattr(base, name)))

    return dataclasses.replace(
        base,
        agents=column("agents", lambda r: r.agents),
        scheduled_agents=column("scheduled_agents", lambda r: r.scheduled_agents),
        p_wait=column("p_wait", lambda r: r.metrics.p_wait),
        p_abandon=column("p_abandon", lambda r: r.metrics.p_abandon),
        asa_s=column("asa_s", lambda r: r.metrics.asa_s),
        service_level=column("service_level", lambda r: r.metrics.service_level),
        occupancy=column("occupancy", lambda r: r.metrics.occupancy),
        binding_constraint=column("binding_constraint", lambda r: "busyness"),
        flags=column("flags", lambda r: r.flags),
    )
