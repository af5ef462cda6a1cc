"""Paired comparison of scenarios on common random numbers: "is B better than A, by how much?"

Every scenario is simulated with the same seed and the same replication indices. Replication r
of every scenario draws its callers from the same random streams (seed, r, stream), so the
same people call at the same moments with the same talk times and patience in A and in B; only
what the scenarios change (staffing, menus, ...) differs. The effect of the change is then
measured per replication, d_r = KPI_r(B) - KPI_r(A), and its 95% confidence interval is the t
interval of the d_r. Because the day-to-day noise (a busy day is busy in A and in B) cancels in
each d_r, this interval is usually much narrower than the interval of two independent runs
(`unpaired_ci95`, the Welch interval that ignores the pairing, is reported beside it). A
difference is *significant* when its 95% interval excludes 0. Identical scenarios give
differences of exactly 0.

A KPI that one scenario does not report (e.g. IVR containment when it has no IVR) is absent
for that scenario (None, `null` in JSON), never 0, and has no difference.

The same paired difference is taken of every KPI per queue and per agent group (the model's
breakdown, `RunResult.breakdown_per_replication`) and per interval (column k of the
per-replication arrays instead of the day's last column): `Comparison.difference(index, kpi,
queue=..., group=..., interval=..., base=...)`. Intervals are paired only between scenarios whose
days are cut alike. The pairs reported are each scenario against the first, against a chosen
baseline, or every pair (`choose_pairs`); `Comparison.findings` lists a pair's significant
differences with whether each is better or worse (the KPI table's `better`), which
`presentation.compare_output.headline` words.

What differs between the scenarios is found by comparing their definitions (`differences_in`);
when they differ only in the IVR, only in staffing or only in volume,
`presentation.compare_output.explain` says in plain words what drives the difference, with the
measured numbers.
"""
from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy import stats

from simulator.batch import run_scenarios
from simulator.errors import UserError
from simulator.kpi_table import DEFINITIONS, KPI, kpi_bounds
from simulator.kpis import QUEUE_KPIS
from simulator.numbers import finite_or_none
from simulator.run import Estimate, RunResult, TargetCheck, target_check
from simulator.scenario import RoutingRules, Scenario, replication_count

MAIN_KPIS = ("service_level", "asa", "abandon_rate", "occupancy")


# --- statistics ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """Paired difference later - first of one KPI over replications."""

    paired: Estimate  # mean of d_r and the 95% t interval of the d_r
    unpaired_ci95: tuple[float, float] | None  # Welch interval of the two means, ignoring the pairing

    @property
    def mean(self) -> float:
        return self.paired.mean

    @property
    def ci95(self) -> tuple[float, float] | None:
        return self.paired.ci95

    @property
    def significant(self) -> bool:
        """The 95% interval excludes 0."""
        return self.ci95 is not None and (self.ci95[0] > 0 or self.ci95[1] < 0)

    def to_dict(self) -> dict:
        return {
            **self.paired.to_dict(),
            "significant": self.significant,
            "unpaired_ci95": None if self.unpaired_ci95 is None else [finite_or_none(v) for v in self.unpaired_ci95],
        }


def paired_difference(first: np.ndarray, later: np.ndarray) -> Difference:
    """d_r = later_r - first_r over the replications where both are defined (finite)."""
    first = np.asarray(first, dtype=float)
    later = np.asarray(later, dtype=float)
    both = np.isfinite(first) & np.isfinite(later)
    return Difference(Estimate.of(later[both] - first[both]), welch_ci95(first, later))


def welch_ci95(first: np.ndarray, later: np.ndarray) -> tuple[float, float] | None:
    """95% Welch t interval of mean(later) - mean(first), treating the samples as independent."""
    a = np.asarray(first, dtype=float)
    b = np.asarray(later, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return None
    diff = float(b.mean() - a.mean())
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return (diff, diff)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.975, df) * se)
    return (diff - half, diff + half)


# --- what differs between two scenarios ---------------------------------------------------

# What can differ between two scenarios, by the schema fields that make up each aspect: a
# path names a field of the scenario's JSON form, through the lists of queues and agent groups
# ("queues.talk_time" is every queue's talk time); "#path" is the length of a list. Every field
# of the schema is in one aspect or in NOT_COMPARED (a test checks it), so a new field cannot
# make two different centres "the same call centre".
ASPECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("day layout", ("interval_minutes", "start", "#arrivals.calls")),
    ("volume", ("arrivals.calls",)),
    ("volume uncertainty", ("arrivals.busyness_cv",)),
    ("call mix", ("arrivals.queue_shares",)),
    ("queues", ("queues.name",)),
    ("talk time", ("queues.talk_time", "queues.talk_time_scale", "queues.talk_time_by_interval",
                   "arrivals.handle_time_s")),
    ("after-call work", ("queues.acw", "queues.acw_scale", "queues.acw_by_interval", "arrivals.handle_time_s")),
    ("patience", ("queues.patience", "queues.patience_scale", "queues.patience_by_interval",
                  "queues.balk_probability")),
    ("callbacks", ("queues.callback",)),
    ("queue priorities and overflow", ("queues.priority_classes", "queues.overflow")),
    ("routing rules", ("routing",)),  # which agent answers, which call a free agent takes
    ("return calls", ("return_calls", "queues.first_contact_resolution")),
    ("telephone lines", ("trunks",)),
    ("maximum wait and messages", ("queues.max_wait",)),
    ("closing rule", ("on_close", "queues.on_close")),
    ("IVR", ("ivr", "queues.transfer_time")),
    ("caller intents", ("intents",)),
    ("agent groups", ("agents.name", "agents.serves")),
    ("staffing", ("agents.staffing",)),
    ("agent cost", ("agents.hourly_cost", "agents.paid_cost")),
    ("staffing limits", ("agents.min_agents", "agents.max_agents")),  # bounds for `callsim optimize`
    ("targets", ("targets",)),
    ("shift rules", ("shifts",)),  # what `callsim schedule` builds shifts from; the simulated day is the same
    ("days of the week", ("days",)),  # the dates `callsim schedule` builds weekly tours for; the simulated day is the same
    ("starting state", ("initial_state",)),  # the centre at a clock time the day is simulated from
)
# compare runs every scenario with the same seed and replications, and names are labels
NOT_COMPARED = ("schema_version", "name", "description", "simulation")


def _at(document, path: str):
    """The value at a dotted path of a scenario's JSON form, mapped over lists on the way."""
    if path.startswith("#"):
        return len(_at(document, path[1:]))
    value = document
    for key in path.split("."):
        value = [item.get(key) for item in value] if isinstance(value, list) else value.get(key)
    return value


def _as_compared(scenario: Scenario) -> dict:
    """A scenario's JSON form with an absent `routing:` written as the rules it means (the
    defaults), and so each queue's closing rule and the redials' retrial rule, so that spelling
    the defaults out is no difference."""
    document = scenario.model_dump(mode="json")
    if document.get("routing") is None:
        document["routing"] = RoutingRules().model_dump(mode="json")
    document["on_close"] = None  # each queue's own rule, the scenario's applied, is what matters
    for queue, disconnects in zip(document["queues"], scenario.disconnects_at_close()):
        queue["on_close"] = "disconnect" if disconnects else "serve"
    if document.get("return_calls") is not None and document["return_calls"].get("retrial") is None:
        document["return_calls"]["retrial"] = "new_caller"
    return document


def differences_in(first: Scenario, other: Scenario) -> tuple[str, ...]:
    """The aspects of the call centre in which two scenarios differ (name, description and
    simulation settings are ignored: compare runs both with the same seed and replications)."""
    a, b = _as_compared(first), _as_compared(other)
    found = [aspect for aspect, paths in ASPECTS if any(_at(a, path) != _at(b, path) for path in paths)]
    if "day layout" in found:  # per-interval lists cannot be compared entry by entry
        found = [x for x in found if x not in ("volume", "staffing")] + ["volume", "staffing"]
    if "agent groups" in found and "staffing" in found:
        found.remove("staffing")  # a different team structure: its staffing is part of that change
    return tuple(found)


# --- the comparison ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """One difference a comparison reports: scenario `later` minus scenario `first`."""

    first: int
    later: int


@dataclass(frozen=True)
class Finding:
    """A KPI's paired difference in one pair, with which way it goes for the callers or the
    centre (`better`: True, False, or None for a KPI with no better direction, e.g. occupancy)."""

    kpi: str
    difference: Difference
    first: Estimate
    later: Estimate
    better: bool | None


# the KPIs a headline speaks about, in the order it names them
HEADLINE_KPIS = ("service_level", "abandon_rate", "asa", "occupancy", "containment_rate", "callback_delay",
                 "overtime_agent_seconds", "cost_per_call")


@dataclass(frozen=True)
class Comparison:
    """KPIs of several scenarios on the same callers, and their paired differences: each
    scenario against the first by default, against a chosen baseline, or every pair (`pairs`)."""

    labels: tuple[str, ...]
    runs: tuple[RunResult, ...]
    seed: int
    replications: int
    pairs: tuple[Pair, ...] = ()  # empty: every later scenario against the first

    def __post_init__(self):
        if not self.pairs:
            object.__setattr__(self, "pairs", tuple(Pair(0, i) for i in range(1, len(self.runs))))

    @property
    def kpis(self) -> list[str]:
        """Every KPI reported by at least one scenario, in the order of kpis.DEFINITIONS."""
        present = set().union(*(run.kpi_names for run in self.runs))
        return [name for name in DEFINITIONS if name in present]

    @property
    def baseline(self) -> int | None:
        """The scenario every pair is measured against, or None (all pairs)."""
        firsts = {pair.first for pair in self.pairs}
        return firsts.pop() if len(firsts) == 1 else None

    # --- values --------------------------------------------------------------------------

    def values(self, index: int, kpi: str, queue: str | None = None, group: str | None = None) -> np.ndarray | None:
        """Scenario `index`'s per-replication values of `kpi`, (replications, intervals + 1), the last
        column the day: of the whole centre, of one queue or of one agent group; None if absent.
        A scenario with one queue (one group) has no breakdown: its queue (group) is the centre."""
        run = self.runs[index]
        if queue is None and group is None:
            return run.per_replication.get(kpi)
        part, name = ("queues", queue) if queue is not None else ("agent_groups", group)
        entries = run.breakdown_per_replication.get(part)
        if entries is not None:
            return entries.get(name, {}).get(kpi)
        names = [q.name for q in run.scenario.queues] if part == "queues" else [g.name for g in run.scenario.agents]
        if names != [name]:
            return None
        only = QUEUE_KPIS if part == "queues" else ("occupancy",)  # what a breakdown would hold
        return run.per_replication.get(kpi) if kpi in only else None

    def _column(self, index: int, kpi: str, queue, group, interval) -> np.ndarray | None:
        values = self.values(index, kpi, queue, group)
        if values is None:
            return None
        if interval is None:
            return values[:, -1]
        if not 0 <= interval < values.shape[1] - 1:
            return None
        return values[:, interval]

    def estimate(self, index: int, kpi: str, queue: str | None = None, group: str | None = None,
                 interval: int | None = None) -> Estimate | None:
        """Scenario `index`'s value of `kpi` (the day, or interval `interval`; the centre, a queue
        or an agent group), or None if it does not report it."""
        column = self._column(index, kpi, queue, group, interval)
        return None if column is None else Estimate.of(column, kpi_bounds(kpi))

    def difference(self, index: int, kpi: str, queue: str | None = None, group: str | None = None,
                   interval: int | None = None, base: int = 0) -> Difference | None:
        """Paired difference scenario `index` - scenario `base` (the first unless given) of `kpi`, for
        the day or interval `interval`, of the centre, a queue or an agent group; None if either lacks
        it (or, per interval, if the scenarios' days are laid out differently)."""
        if interval is not None and self.layout(index) != self.layout(base):
            return None
        first = self._column(base, kpi, queue, group, interval)
        later = self._column(index, kpi, queue, group, interval)
        if first is None or later is None:
            return None
        return paired_difference(first, later)

    def pair_difference(self, pair: Pair, kpi: str, **where) -> Difference | None:
        return self.difference(pair.later, kpi, base=pair.first, **where)

    # --- what is compared ------------------------------------------------------------------

    def queues(self) -> list[str]:
        """Queue names in the order of the scenarios that have them."""
        return _names_in_order([q.name for run in self.runs for q in run.scenario.queues])

    def agent_groups(self) -> list[str]:
        return _names_in_order([g.name for run in self.runs for g in run.scenario.agents])

    def queue_kpis(self) -> list[str]:
        """The KPIs reported per queue (and per agent group): those of the model's breakdown."""
        return [name for name in self.kpis if name in QUEUE_KPIS]

    def layout(self, index: int) -> tuple[int, int, str]:
        """How scenario `index`'s day is cut into intervals: intervals are paired only between
        scenarios with the same layout."""
        scenario = self.runs[index].scenario
        return (scenario.n_intervals, scenario.interval_minutes, scenario.start)

    def same_day_layout(self, pair: Pair | None = None) -> bool:
        """Whether the pair's two scenarios (every scenario, without a pair) share a day layout."""
        indices = range(len(self.runs)) if pair is None else (pair.first, pair.later)
        return len({self.layout(i) for i in indices}) == 1

    def interval_labels(self, index: int = 0) -> list[str]:
        return self.runs[index].scenario.interval_labels()

    def queue_targets(self, index: int, queue: str) -> list[TargetCheck]:
        """One queue's day values checked against its scenario's targets (the centre's targets
        apply to every queue: a queue far below them is what a whole-centre figure hides)."""
        checks = []
        for kpi in ("service_level", "asa", "abandon_rate"):
            estimate = self.estimate(index, kpi, queue=queue)
            if estimate is not None:
                check = target_check(self.runs[index].scenario.targets, kpi, estimate)
                checks += [check] if check is not None else []
        return checks

    def differs_in(self, index: int, base: int = 0) -> tuple[str, ...]:
        return differences_in(self.runs[base].scenario, self.runs[index].scenario)

    def difference_label(self, index: int, base: int = 0) -> str:
        return f"{self.labels[index]} - {self.labels[base]}"

    def pair_label(self, pair: Pair) -> str:
        return self.difference_label(pair.later, pair.first)

    def pair_view(self, pair: Pair) -> "Comparison":
        """The comparison of the pair's two scenarios alone, `first` as scenario 0: what is said
        of "scenario 1 against the first" (`explain`) then holds for any pair."""
        return Comparison(labels=(self.labels[pair.first], self.labels[pair.later]),
                          runs=(self.runs[pair.first], self.runs[pair.later]), seed=self.seed,
                          replications=self.replications)

    def findings(self, pair: Pair, kpis: Sequence[str] = HEADLINE_KPIS) -> list[Finding]:
        """The significant differences of a pair among `kpis` (whole centre, day), each with
        whether it is better for the later scenario (from the KPI table's `better`)."""
        found = []
        for kpi in kpis:
            diff = self.pair_difference(pair, kpi)
            first, later = self.estimate(pair.first, kpi), self.estimate(pair.later, kpi)
            if diff is None or first is None or later is None or not diff.significant:
                continue
            direction = KPI[kpi].better
            better = None if direction is None else (diff.mean > 0) == (direction == "higher")
            found.append(Finding(kpi, diff, first, later, better))
        return found


def _names_in_order(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))


def choose_pairs(labels: Sequence[str], names: Sequence[str] = (), baseline: str | None = None,
                 all_pairs: bool = False) -> tuple[Pair, ...]:
    """The pairs a comparison reports: every scenario against the first (default), against
    `baseline` (a label, or a scenario's name in `names`), or every pair i < j (`all_pairs`)."""
    n = len(labels)
    if all_pairs and baseline is not None:
        raise UserError("--baseline and --all-pairs exclude each other: give one of them")
    if all_pairs:
        return tuple(Pair(i, j) for i in range(n) for j in range(i + 1, n))
    base = 0
    if baseline is not None:
        matches = [i for i, label in enumerate(labels) if label == baseline]
        matches = matches or [i for i, name in enumerate(names) if name == baseline]
        if len(matches) != 1:
            known = ", ".join(repr(label) for label in labels)
            why = "is not one of the scenarios" if not matches else "names several scenarios"
            raise UserError(f"--baseline {baseline!r} {why}: give one of {known}")
        base = matches[0]
    return tuple(Pair(base, i) for i in range(n) if i != base)


def unique_labels(labels: Sequence[str]) -> tuple[str, ...]:
    """Labels made unique by appending #2, #3, ... to repeats (comparing a file with itself)."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return tuple(out)


def compare_scenarios(scenarios: Sequence[Scenario], labels: Sequence[str] | None = None,
                      replications: int | None = None, seed: int | None = None, workers: int = 1,
                      on_replication_done: Callable[[int, int], None] | None = None,
                      executor: Executor | None = None, baseline: str | None = None,
                      all_pairs: bool = False) -> Comparison:
    """Simulate every scenario on the same callers (same seed, same replication indices).

    Replications and seed default to the first scenario's `simulation` block. The differences
    are each scenario against the first, against `baseline` (a label or scenario name), or every
    pair (`all_pairs`); an unknown baseline is a `UserError` raised before anything runs.
    """
    if len(scenarios) < 2:
        raise ValueError("compare needs at least two scenarios")
    first = scenarios[0]
    replications = replication_count(replications, first.simulation.replications)
    seed = first.simulation.seed if seed is None else seed
    labels = unique_labels(labels if labels is not None else [s.name for s in scenarios])
    if len(labels) != len(scenarios):
        raise ValueError("one label per scenario")
    pairs = choose_pairs(labels, [s.name for s in scenarios], baseline, all_pairs)
    # no sample day: a comparison draws no call records, so the tasks send back only KPIs
    runs = run_scenarios(scenarios, replications, seed, workers, on_replication_done, executor, sample_day=False)
    return Comparison(labels=labels, runs=tuple(runs), seed=seed, replications=replications, pairs=pairs)
