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
from simulator.kpi_table import DEFINITIONS
from simulator.numbers import finite_or_none
from simulator.run import Estimate, RunResult
from simulator.scenario import Scenario

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
    ("talk time", ("queues.talk_time",)),
    ("after-call work", ("queues.acw",)),
    ("patience", ("queues.patience", "queues.balk_probability")),
    ("callbacks", ("queues.callback",)),
    ("queue priorities and overflow", ("queues.priority_classes", "queues.overflow")),
    ("return calls", ("return_calls", "queues.first_contact_resolution")),
    ("IVR", ("ivr", "queues.transfer_time")),
    ("caller intents", ("intents",)),
    ("agent groups", ("agents.name", "agents.serves")),
    ("staffing", ("agents.staffing",)),
    ("agent cost", ("agents.hourly_cost",)),
    ("staffing limits", ("agents.min_agents", "agents.max_agents")),  # bounds for `callsim optimize`
    ("targets", ("targets",)),
    ("shift rules", ("shifts",)),  # what `callsim schedule` builds shifts from; the simulated day is the same
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


def differences_in(first: Scenario, other: Scenario) -> tuple[str, ...]:
    """The aspects of the call centre in which two scenarios differ (name, description and
    simulation settings are ignored: compare runs both with the same seed and replications)."""
    a, b = first.model_dump(mode="json"), other.model_dump(mode="json")
    found = [aspect for aspect, paths in ASPECTS if any(_at(a, path) != _at(b, path) for path in paths)]
    if "day layout" in found:  # per-interval lists cannot be compared entry by entry
        found = [x for x in found if x not in ("volume", "staffing")] + ["volume", "staffing"]
    if "agent groups" in found and "staffing" in found:
        found.remove("staffing")  # a different team structure: its staffing is part of that change
    return tuple(found)


# --- the comparison ------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """KPIs of several scenarios on the same callers, and the paired differences to the first."""

    labels: tuple[str, ...]
    runs: tuple[RunResult, ...]
    seed: int
    replications: int

    @property
    def kpis(self) -> list[str]:
        """Every KPI reported by at least one scenario, in the order of kpis.DEFINITIONS."""
        present = set().union(*(run.kpi_names for run in self.runs))
        return [name for name in DEFINITIONS if name in present]

    def estimate(self, index: int, kpi: str) -> Estimate | None:
        """Scenario `index`'s day value of `kpi`, or None if it does not report that KPI."""
        run = self.runs[index]
        return run.day[kpi] if kpi in run.per_replication else None

    def difference(self, index: int, kpi: str) -> Difference | None:
        """Paired difference scenario `index` - the first, or None if either lacks the KPI."""
        first, later = self.runs[0], self.runs[index]
        if kpi not in first.per_replication or kpi not in later.per_replication:
            return None
        return paired_difference(first.per_replication[kpi][:, -1], later.per_replication[kpi][:, -1])

    def differs_in(self, index: int) -> tuple[str, ...]:
        return differences_in(self.runs[0].scenario, self.runs[index].scenario)

    def difference_label(self, index: int) -> str:
        return f"{self.labels[index]} - {self.labels[0]}"


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
                      executor: Executor | None = None) -> Comparison:
    """Simulate every scenario on the same callers (same seed, same replication indices).

    Replications and seed default to the first scenario's `simulation` block.
    """
    if len(scenarios) < 2:
        raise ValueError("compare needs at least two scenarios")
    first = scenarios[0]
    replications = replications or first.simulation.replications
    seed = first.simulation.seed if seed is None else seed
    labels = unique_labels(labels if labels is not None else [s.name for s in scenarios])
    if len(labels) != len(scenarios):
        raise ValueError("one label per scenario")
    # no sample day: a comparison draws no call records, so the tasks send back only KPIs
    runs = run_scenarios(scenarios, replications, seed, workers, on_replication_done, executor, sample_day=False)
    return Comparison(labels=labels, runs=tuple(runs), seed=seed, replications=replications)
