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
and bisects around the Erlang C answer (about a dozen exact Erlang A evaluations). The final
answer and its neighbour N - 1 are always re-checked with the public metric functions, so the
returned metrics meet the targets exactly as reported.

Unreachable targets raise ValueError before any search, when there is demand: a service level
target of 1 (100%), an ASA target of 0 s and (Erlang A) a maximum abandonment rate of 0 cannot
be met by any finite number of agents. As a safety net the search stops at
floor(A) + 1 + ceil(60·sqrt(A)) + 1000 agents (far beyond any reachable target: Erlang C's
P(wait) is below 1e-300 there) and raises ValueError.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import Callable, Literal

from .erlang import (
    QueueMetrics,
    _erlang_c_from_b,
    _erlang_c_kpis,
    erlang_a_metrics,
    erlang_b,
    erlang_c_metrics,
)

__all__ = [
    "FLAG_DESCRIPTIONS",
    "StaffingResult",
    "StaffingTargets",
    "evaluate_agents",
    "required_agents",
    "scheduled_agents",
]

Model = Literal["erlang_c", "erlang_a"]
BindingConstraint = Literal[
    "service_level", "asa", "abandon_rate", "occupancy_cap", "none", "given"
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
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")

        fraction("service_level_target", self.service_level_target)
        fraction("max_abandon_rate", self.max_abandon_rate)
        t = float(self.answer_time_threshold_s)
        if not (math.isfinite(t) and t >= 0.0):
            raise ValueError(f"answer_time_threshold_s must be finite and >= 0, got {t!r}")
        if self.asa_target_s is not None:
            asa = float(self.asa_target_s)
            if not (math.isfinite(asa) and asa >= 0.0):
                raise ValueError(f"asa_target_s must be finite and >= 0, got {asa!r}")
        band = tuple(self.occupancy_band)
        if len(band) != 2:
            raise ValueError(f"occupancy_band must be (lower, upper), got {self.occupancy_band!r}")
        lower, upper = (float(v) for v in band)
        if not (0.0 <= lower <= upper <= 1.0 and upper > 0.0):
            raise ValueError(
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
            "given" for `evaluate_agents`.
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
        raise ValueError(f"required must be >= 0, got {n}")
    s = float(shrinkage)
    if not (0.0 <= s < 1.0):
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
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
            raise ValueError("mean_patience_s is only used with model='erlang_a'")
    elif model == "erlang_a":
        if mean_patience_s is None:
            raise ValueError("model='erlang_a' needs mean_patience_s")
    else:
        raise ValueError(f"model must be 'erlang_c' or 'erlang_a', got {model!r}")


def _metrics_fn(
    model: Model,
    arrival_rate_per_s: float,
    mean_handle_time_s: float,
    mean_patience_s: float | None,
    threshold_s: float,
) -> Callable[[int], QueueMetrics]:
    cache: dict[int, QueueMetrics] = {}

    def metrics(n: int) -> QueueMetrics:
        if n not in cache:
            if model == "erlang_c":
                cache[n] = erlang_c_metrics(n, arrival_rate_per_s, mean_handle_time_s, threshold_s)
            else:
                cache[n] = erlang_a_metrics(
                    n, arrival_rate_per_s, mean_handle_time_s, mean_patience_s, threshold_s
                )
        return cache[n]

    return metrics


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


def _erlang_c_guess(load: float, aht_s: float, targets: StaffingTargets, limit: int) -> int:
    """Smallest stable N meeting the SL and ASA targets under Erlang C, stepping the Erlang B
    recursion one agent at a time (the abandonment target is not part of Erlang C)."""
    n = math.floor(load) + 1
    b = erlang_b(n, load)
    sl_target = targets.service_level_target
    asa_target = targets.asa_target_s
    threshold_s = targets.answer_time_threshold_s
    while True:
        c = _erlang_c_from_b(n, load, b)
        asa_s, service_level = _erlang_c_kpis(n, load, c, aht_s, threshold_s)
        if (sl_target is None or service_level >= sl_target) and (
            asa_target is None or asa_s <= asa_target
        ):
            return n
        n += 1
        if n > limit:
            raise ValueError(
                f"no staffing up to {limit} agents meets the targets "
                f"(offered load {load:.6g} Erlangs); loosen the targets"
            )
        b = load * b / (n + load * b)


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
                    raise ValueError(
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


def _band_flags(m: QueueMetrics, targets: StaffingTargets) -> list[str]:
    lower, upper = targets.occupancy_band
    flags = []
    if m.occupancy > upper:
        flags.append("above_occupancy_cap")
    if m.occupancy < lower:
        flags.append("below_occupancy_floor")
    return flags


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
    probe = _metrics_fn(model, arrival_rate_per_s, mean_handle_time_s, mean_patience_s, 0.0)
    load = probe(0).offered_load_erlangs  # validates the inputs
    scheduled_agents(0, shrinkage)  # validates shrinkage
    aht_s = float(mean_handle_time_s)
    lower, upper = targets.occupancy_band
    metrics = _metrics_fn(
        model, arrival_rate_per_s, mean_handle_time_s, mean_patience_s,
        targets.answer_time_threshold_s,
    )

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

    has_target = (
        targets.service_level_target is not None
        or targets.asa_target_s is not None
        or (targets.max_abandon_rate is not None and abandon_modelled)
    )
    if not has_target and upper >= 1.0:
        raise ValueError("nothing to size against: give a target or an occupancy cap below 1")
    if targets.service_level_target is not None and targets.service_level_target >= 1.0:
        raise ValueError(
            "a service level target of 100% cannot be met by any finite number of agents"
        )
    if targets.asa_target_s is not None and targets.asa_target_s <= 0.0:
        raise ValueError("an ASA target of 0 s cannot be met by any finite number of agents")
    if abandon_modelled and targets.max_abandon_rate == 0.0 and math.isfinite(mean_patience_s):
        raise ValueError(
            "a maximum abandonment rate of 0 cannot be met by any finite number of agents"
        )

    limit = _search_limit(load)
    guess = _erlang_c_guess(load, aht_s, targets, limit)

    def ok(n: int) -> bool:
        return not _missed(metrics(n), targets)

    if model == "erlang_c" or math.isinf(mean_patience_s):
        # The fast guess is exact up to rounding; re-check with the public metric function.
        n = guess
        while not ok(n):
            n += 1
        while n > 1 and ok(n - 1):
            n -= 1
    else:
        n = _smallest(ok, guess, 1, limit)

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
    metrics = _metrics_fn(
        model, arrival_rate_per_s, mean_handle_time_s, mean_patience_s,
        targets.answer_time_threshold_s,
    )
    m = metrics(agents)
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
