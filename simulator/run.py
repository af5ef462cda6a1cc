"""Independent replications of a scenario, summarised as KPI estimates with 95% CIs.

    >>> from simulator import load_scenario, run_scenario
    >>> result = run_scenario(load_scenario("scenarios/help_desk.yaml"), replications=5)
    >>> result.day["service_level"].mean          # doctest: +SKIP
    >>> result.interval_table()                   # one dict per interval

Replication r always uses the random streams of (seed, r), whichever worker process runs it,
and results are gathered in replication order: any number of workers gives identical numbers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from concurrent.futures import Executor
from typing import Callable

import numpy as np
from scipy import stats

from .callers import draw_callers, uses_priority_classes
from .funnel import funnel_layout, replication_funnel
from .funnel_trace import Trace
from .kpis import breakdown_kpis, kpi_bounds, kpi_names, period_kpis, replication_kpis
from .numbers import finite_or_none
from .parallel import ordered_map
from .records import Outcome, ReplicationResult
from .scenario import Scenario, replication_count
from .timeline import Timeline, day_kpis, timeline


class ConservationError(AssertionError):
    """Calls went missing or were counted twice: a bug in callsim, never a user error."""


def check_conservation(result: ReplicationResult) -> None:
    """Every call that arrived ended in exactly one outcome, consistently recorded.

    offered = answered + abandoned + balked + unserved + contained + IVR hang-ups + callbacks
    completed + callbacks failed + blocked + messages + disconnected at the close holds because each
    call carries one valid outcome code (every member of Outcome, new ones included);
    calls handled by an agent, and only they, have an agent; no wait is negative.
    """
    records = result.records
    outcome = records.outcome
    where = f"replication {result.replication}"
    if len(outcome) and (outcome.min() < 0 or outcome.max() >= len(Outcome)):
        raise ConservationError(f"{where}: {int((outcome < 0).sum())} calls ended in no outcome")
    handled = (outcome == Outcome.ANSWERED) | (outcome == Outcome.CALLBACK_COMPLETED)
    if not np.array_equal(handled, records.agent >= 0):
        raise ConservationError(f"{where}: calls handled and calls with an agent differ")
    if len(outcome) and not (records.wait_s.min() >= 0 and np.isfinite(records.wait_s).all()):
        raise ConservationError(f"{where}: a negative or infinite wait was recorded")


@lru_cache(maxsize=None)
def _t975(degrees_of_freedom: int) -> float:
    """The 97.5% t quantile (a comparison asks for it for thousands of estimates of the same n)."""
    return float(stats.t.ppf(0.975, degrees_of_freedom))


@dataclass(frozen=True)
class Estimate:
    """Mean over replications with a two-sided 95% t confidence interval (None if n < 2)."""

    mean: float
    ci95: tuple[float, float] | None
    n: int

    @classmethod
    def of(cls, values: np.ndarray, bounds: tuple[float, float] = (-math.inf, math.inf)) -> "Estimate":
        """From per-replication values; the CI is cut to `bounds`, the values the KPI can take
        (a count or a wait is never below 0, a rate never above 1): the cut interval covers
        the true value whenever the t interval does."""
        values = np.asarray(values, dtype=float)
        values = values[np.isfinite(values)]
        n = len(values)
        if n == 0:
            return cls(math.nan, None, 0)
        mean = float(values.mean())
        if n < 2:
            return cls(mean, None, n)
        half = float(_t975(n - 1) * values.std(ddof=1) / math.sqrt(n))
        low, high = bounds
        return cls(mean, (max(mean - half, low), min(mean + half, high)), n)

    def to_dict(self) -> dict:
        return {
            "mean": finite_or_none(self.mean),
            "ci95": None if self.ci95 is None else [finite_or_none(v) for v in self.ci95],
        }


@dataclass(frozen=True)
class TargetCheck:
    kpi: str
    label: str  # e.g. "service level >= 80% within 20 s"
    target: float | tuple[float, float]
    estimate: Estimate
    status: str  # "met", "missed" or "uncertain" (the 95% CI straddles the target)


def _status(estimate: Estimate, ok: Callable[[float], bool]) -> str:
    if not math.isfinite(estimate.mean):
        return "uncertain"
    verdict = ok(estimate.mean)
    if estimate.ci95 is not None and ok(estimate.ci95[0]) != ok(estimate.ci95[1]):
        return "uncertain"
    return "met" if verdict else "missed"


def target_check(targets, kpi: str, estimate: Estimate) -> TargetCheck | None:
    """`estimate` of `kpi` checked against the scenario's target for it (None: no target for
    that KPI). The same check for the whole centre's day and for one queue or one interval."""
    if kpi == "service_level":
        sl = targets.service_level
        return TargetCheck(kpi, f"service level >= {sl.fraction:.0%} within {sl.within:g} s", sl.fraction, estimate,
                           _status(estimate, lambda v: v >= sl.fraction))
    if kpi == "asa" and targets.asa is not None:
        return TargetCheck(kpi, f"ASA <= {targets.asa:g} s", targets.asa, estimate,
                           _status(estimate, lambda v: v <= targets.asa))
    if kpi == "abandon_rate" and targets.abandon_rate is not None:
        return TargetCheck(kpi, f"abandonment <= {targets.abandon_rate:.1%}", targets.abandon_rate, estimate,
                           _status(estimate, lambda v: v <= targets.abandon_rate))
    if kpi == "occupancy":
        low, high = targets.occupancy
        return TargetCheck(kpi, f"occupancy in {low:.0%}-{high:.0%}", (low, high), estimate,
                           _status(estimate, lambda v: low <= v <= high))
    return None


@dataclass(frozen=True)
class RunResult:
    """KPIs of a scenario over independent replications. Typed; `to_dict()` for JSON."""

    scenario: Scenario
    seed: int
    replications: int
    per_replication: dict[str, np.ndarray] = field(repr=False)  # name -> (replications, intervals + 1)
    sample_day: ReplicationResult | None = field(default=None, repr=False)  # replication 0's records, for plots and traces
    days: tuple[ReplicationResult, ...] | None = field(default=None, repr=False)  # every replication's, with keep_records
    # {"queues": {name: {kpi: (replications, intervals + 1)}}, "agent_groups": {...}} with several queues or groups;
    # "priority_classes": {"queue/class": {...}} with priority classes; empty otherwise (see kpis.breakdown_kpis)
    breakdown_per_replication: dict = field(default_factory=dict, repr=False)
    # with an IVR: (replications, counters) funnel counts, counters as simulator.funnel.funnel_layout; else None
    funnel_per_replication: np.ndarray | None = field(default=None, repr=False)
    # with targets judged per hour or day: {"all": {kpi: (replications, periods + 1)}, "queues": {name: {...}}}, the
    # pooled calls of each judging period (kpis.period_kpis); None when targets are judged per interval
    per_period: dict | None = field(default=None, repr=False)

    # a scenario with days: (then `scenario` is its whole span as one timeline): the days on it, and
    # every KPI per replication and day, name -> (replications, days) (simulator.timeline.day_kpis)
    timeline: Timeline | None = field(default=None, repr=False)
    days_per_replication: dict[str, np.ndarray] | None = field(default=None, repr=False)

    @property
    def source_scenario(self) -> Scenario:
        """The scenario as written (with its days:, for a timeline)."""
        return self.scenario if self.timeline is None else self.timeline.source

    @cached_property
    def by_day(self) -> list[dict[str, Estimate]] | None:
        """A timeline's KPIs per day (None for one day)."""
        if self.days_per_replication is None:
            return None
        return [{name: Estimate.of(values[:, d], kpi_bounds(name)) for name, values in self.days_per_replication.items()}
                for d in range(len(self.timeline.days))]

    @property
    def shown_intervals(self) -> list[int]:
        """The intervals outputs show: all of one day; a timeline's open ones."""
        if self.timeline is None:
            return list(range(self.scenario.n_intervals))
        return [k for _, k in self.timeline.shown]

    @property
    def kpi_names(self) -> list[str]:
        return list(self.per_replication)

    @property
    def interval_labels(self) -> list[str]:
        return self.scenario.interval_labels()

    @cached_property
    def day(self) -> dict[str, Estimate]:
        return {name: Estimate.of(values[:, -1], kpi_bounds(name)) for name, values in self.per_replication.items()}

    @cached_property
    def intervals(self) -> list[dict[str, Estimate]]:
        return [
            {name: Estimate.of(values[:, k], kpi_bounds(name)) for name, values in self.per_replication.items()}
            for k in range(self.scenario.n_intervals)
        ]

    @cached_property
    def breakdown(self) -> dict[str, dict[str, dict[str, list[Estimate]]]]:
        """Per queue and per agent group: {part: {name: {kpi: [Estimate per interval..., day]}}}."""
        return {
            part: {name: {kpi: [Estimate.of(values[:, k], kpi_bounds(kpi)) for k in range(values.shape[1])]
                          for kpi, values in kpis.items()}
                   for name, kpis in entries.items()}
            for part, entries in self.breakdown_per_replication.items()
        }

    def interval_table(self) -> list[dict]:
        """One row per interval: the interval's clock time and each KPI's mean."""
        return [
            {"interval": label, **{name: estimate.mean for name, estimate in row.items()}}
            for label, row in zip(self.interval_labels, self.intervals)
        ]

    @cached_property
    def targets(self) -> list[TargetCheck]:
        checks = [target_check(self.scenario.targets, kpi, self.day[kpi])
                  for kpi in ("service_level", "asa", "abandon_rate", "occupancy")]
        return [check for check in checks if check is not None]


@dataclass(frozen=True)
class _ReplicationOutput:
    kpis: dict[str, np.ndarray]
    breakdown: dict | None  # per queue / per group, only when the scenario has several
    sample_day: ReplicationResult | None  # replication 0's records (or every one's with keep_records)
    funnel: np.ndarray | None = None  # with an IVR: the day's funnel counts (simulator.funnel)
    periods: dict | None = None  # with targets judged per hour or day: kpis.period_kpis
    days: dict[str, np.ndarray] | None = None  # a timeline's KPIs per day (simulator.timeline.day_kpis)


def replication_jobs(scenario: Scenario, seed: int, replications: int, keep_records: bool = False,
                     sample_day: bool = True, first_replication: int = 0) -> list[tuple]:
    """The jobs of one scenario's replications: what a worker needs, and nothing else. Replication
    indices start at `first_replication` (a later block is a set of days independent of the first:
    the index is part of every stream's spawn key)."""
    work = scenario if scenario.days is None else timeline(scenario)  # a week is one timeline
    return [(work, seed, r, keep_records, sample_day)
            for r in range(first_replication, first_replication + replications)]


def _replication_kpis(job: tuple[Scenario | Timeline, int, int, bool, bool]) -> _ReplicationOutput:
    """KPIs of one replication (and its records for replication 0, one day kept for plots,
    unless `sample_day` is off, or for every replication when the caller keeps records).
    Replication 0's records are most of what a task sends back (8 MB for large_centre's
    100,000 calls, against 6 kB of KPIs): a study that draws no sample day leaves them out."""
    from .engine import simulate_callers, simulate_replication  # here: reading results does not load SimPy

    scenario, seed, replication, keep_records, sample_day = job
    line = None
    if isinstance(scenario, Timeline):
        line, scenario = scenario, scenario.scenario
    closed = frozenset() if line is None else line.closed
    funnel = None
    if scenario.ivr is None or scenario.initial_state is not None:  # (no funnel from a state yet)
        result = simulate_replication(scenario, seed, replication, closed)
    else:  # the same day, with the first calls' funnel events noted as they are drawn
        trace = Trace(funnel_layout(scenario))
        callers = draw_callers(scenario, seed, replication, trace)
        result = simulate_callers(scenario, callers, replication, seed, closed=closed)
        funnel = replication_funnel(scenario, seed, replication, result.records, (callers.ivr, trace))
    check_conservation(result)
    several = len(scenario.queues) > 1 or len(scenario.agents) > 1 or uses_priority_classes(scenario)
    return _ReplicationOutput(
        kpis=replication_kpis(result, scenario),
        breakdown=breakdown_kpis(result, scenario) if several else None,
        sample_day=result if (replication == 0 and sample_day) or keep_records else None,
        funnel=funnel,
        periods=period_kpis(result, scenario),
        days=None if line is None else day_kpis(result, line),
    )


def result_from_replications(scenario: Scenario, seed: int, outputs: list[_ReplicationOutput]) -> RunResult:
    """Stack the replications' outputs (in replication order) into a RunResult (of `scenario`'s
    timeline when it has days:)."""
    line = None
    if scenario.days is not None:
        line = timeline(scenario)
        scenario = line.scenario
    per_replication = {name: np.vstack([o.kpis[name] for o in outputs]) for name in kpi_names(scenario)}
    breakdown = {}
    if outputs[0].breakdown is not None:
        breakdown = {
            part: {name: {kpi: np.vstack([o.breakdown[part][name][kpi] for o in outputs]) for kpi in kpis}
                   for name, kpis in entries.items()}
            for part, entries in outputs[0].breakdown.items()
        }
    days = tuple(o.sample_day for o in outputs)
    funnel = np.vstack([o.funnel for o in outputs]) if outputs[0].funnel is not None else None
    per_period = None
    if outputs[0].periods is not None:
        per_period = {"all": {kpi: np.vstack([o.periods["all"][kpi] for o in outputs]) for kpi in outputs[0].periods["all"]}}
        if "queues" in outputs[0].periods:
            per_period["queues"] = {name: {kpi: np.vstack([o.periods["queues"][name][kpi] for o in outputs])
                                           for kpi in kpis} for name, kpis in outputs[0].periods["queues"].items()}
    return RunResult(scenario=scenario, seed=seed, replications=len(outputs), per_replication=per_replication,
                     sample_day=outputs[0].sample_day, breakdown_per_replication=breakdown, funnel_per_replication=funnel,
                     days=days if all(day is not None for day in days) else None, per_period=per_period,
                     timeline=line, days_per_replication=None if line is None else {
                         name: np.vstack([o.days[name] for o in outputs]) for name in outputs[0].days})


def run_scenario(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    on_replication_done: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
    keep_records: bool = False,
    sample_day: bool = True,
) -> RunResult:
    """Simulate `replications` independent days and summarise every KPI.

    Defaults come from the scenario's `simulation` block. `on_replication_done(done, total)`
    is called as replications finish (for progress display). The replications run on
    `executor` when given (kept open for the caller's next run), else in `workers` processes.
    `keep_records` keeps every replication's call records (`RunResult.days`), not only
    replication 0's; `sample_day=False` keeps none (`RunResult.sample_day` is None: no plots of
    the day), so the workers send back only KPIs.
    """
    replications = replication_count(replications, scenario.simulation.replications)
    seed = scenario.simulation.seed if seed is None else seed
    jobs = replication_jobs(scenario, seed, replications, keep_records, sample_day)
    # in replication order for any number of workers; Ctrl-C stops the workers cleanly
    outputs = ordered_map(_replication_kpis, jobs, workers, on_replication_done, executor)
    return result_from_replications(scenario, seed, outputs)
