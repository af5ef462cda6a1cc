"""The cheapest staffing per interval and agent group that meets every target in simulation.

`optimize_staffing(scenario, ...)` searches staffing by simulating whole days; every staffing it
tries is recorded with its KPIs and the decision taken, so a planner can audit how the answer
was reached. `slack_intervals(scenario, result, ...)` says where a staffing has agents to
spare (one agent fewer still meets every target), for `run` and `plan --verify`.

What "meets" means
------------------
Every candidate staffing is simulated with the same seed and replication indices
(`simulator.batch.run_scenarios`), so replication r of every candidate meets the same callers
(common random numbers): the difference between two candidates is the effect of the staffing
change, not noise. In an interval a constraint is judged on the replications in which its KPI is
defined (an interval nobody called in has no service level): on their mean, or with
`confidence=c` on the one-sided c bound (mean -/+ t(c, n-1) s / sqrt(n)), the lower bound for the
service level, the upper bound for ASA, abandonment and occupancy. An interval in which a KPI is
defined in no replication has nothing to miss for that KPI. The constraints are the scenario's
targets: service level, ASA and abandonment where targeted (for each queue on its own when
there are several: the combined figure would average a starved lower-priority queue away, and
it follows from the queues' own), and occupancy not above the band's upper end (for each agent
group when there are several). The band's floor is a flag, never a reason to add or keep an agent.

Method
------
1. Start from the Erlang plan (`planner.plan.plan_scenario`, SIPP), the carry-over plan
   (modified offered load) or the scenario's own staffing, clipped to the groups'
   `min_agents`/`max_agents`.
2. Whole-day iteration (after the iterative staffing algorithm, ISA, of Feldman, Mandelbaum,
   Massey & Whitt, Management Science 2008): simulate the whole day with the current staffing,
   update every interval that misses a target at once, and simulate the whole day again, until
   no interval misses. Because each update is judged on a simulation of the whole day, the
   work carried over from earlier intervals (a peak's calls still in progress, redials,
   callbacks) is in the numbers, which is what makes ISA's delay probabilities time-stable
   where SIPP's are not. ISA sets each interval from the offered-load distribution of an
   infinite-server run; here the update is the target check itself: a missing interval gains
   agents (one, then 2 and 4 while it keeps missing), and with several groups the optimiser
   simulates one extra agent in each group (one batch) and gives the interval to the group with
   the largest gain per cost (reduction of the interval's shortfall / hourly cost).
3. Marginal analysis (as in Atlason, Epelman & Henderson's simulation-based staffing, 2004/2008):
   once every interval meets its targets, try fewer agents in each group (one simulated batch,
   one candidate per group), in every interval at once: an interval keeps a removal if it still
   meets every target, judged with its neighbours also reduced (conservative: the carry-over of
   the interval before is at least as heavy as it will be). The step doubles (1, 2, 4, 8) while
   removals at an interval succeed and falls back to 1 when one fails. With several groups the
   interval loses the agents of the group with the largest saving per unit of margin used
   (hourly cost x agents / drop of the interval's smallest normalised margin). The new staffing
   is simulated; where an interval that lost agents now misses (the groups' removals together),
   the removals at and just before it are undone. A one-agent removal that failed is not tried
   again, except one refused while the interval before also lost an agent: once no removal is
   left, those are tried again every other interval at a time (the even ones, then the odd
   ones, so the interval before is unchanged). A miss that a removal causes in a later,
   unchanged interval (work carried over) goes back to step 2; with `lookahead=True` such a
   removal is refused instead (staffing then stays high in a peak to protect the interval after
   it: the delay is no longer time-stable). The search stops when no
   interval can lose an agent (converged), after `max_iterations` simulated batches (returning
   the cheapest staffing seen that met every target it could), or with intervals that cannot
   meet their targets within `max_agents` (infeasible: those intervals and the best value
   reached are named).

Out of sample
-------------
The search's answer sits at the edge of its own replications. It is simulated again on
`confirm_replications` replications the search never used (indices CONFIRM_FIRST_REPLICATION
onwards of the same seed; the index is in every stream's spawn key) and holds when, in every
interval and for every constraint, the one-sided `confirm_confidence` bound meets the target. No
multiplicity correction: the claim "every target holds" is an intersection-union test (Berger
1982), whose error is at most 1 - confidence when any one target is missed; a correction
(Bonferroni) would be needed to claim that a given one is missed, which is not what is claimed.
Where the answer misses, the adding step of the search (step 2) runs on the confirmation
replications, on the same replications every round, until it holds (`max_repairs` rounds at
most). The repaired staffing is then simulated on the search's replications, so both sets of
figures are reported side by side; `confirmation` and `final` are those two evaluations.

Normalised margin of a constraint: (bound - target) / target for the service level,
(target - bound) / target for the others (targets below 0.05, resp. 0.01, count as such), so
0.1 means "10% better than the target". An interval's margin is its smallest; its shortfall the
sum of the negative ones.
"""
from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Callable, Literal, Sequence

import numpy as np
from scipy import stats

from simulator.batch import run_scenarios
from simulator.cost import hourly_rates, staffing_paid_cost
from simulator.errors import UserError
from simulator.kpi_table import kpi_bounds
from simulator.run import RunResult
from simulator.scenario import Scenario, replication_count

Start = Literal["erlang", "carry_over", "scenario"]
STARTS = ("erlang", "carry_over", "scenario")
DISPLAY_KPIS = ("service_level", "asa", "abandon_rate", "occupancy")
KPI_LABELS = {"service_level": "service level", "asa": "ASA", "abandon_rate": "abandonment", "occupancy": "occupancy"}
MAX_ADD_STEP = 4  # agents added at once to an interval that keeps missing (1, 2, 4, 4, ...)
MAX_REMOVE_STEP = 8  # agents removed at once where removals keep succeeding (1, 2, 4, 8, 8, ...)
# The confirmation replications: indices from here on, a block the search (indices 0 .. replications-1,
# at most 10,000) never uses: the replication index is in every random stream's spawn key.
CONFIRM_FIRST_REPLICATION = 1_000_000
CONFIRM_CONFIDENCE = 0.95  # one-sided, per interval and target (see "Out of sample" in the module docstring)
CONFIRM_FACTOR = 2  # confirmation replications per search replication, by default
MAX_REPAIRS = 20  # rounds of repair on the confirmation replications at most


class OptimizeError(UserError):
    """A problem with the optimiser's input the user can fix (one line)."""


# --- constraints and how one simulated staffing is judged -------------------------------------


@dataclass(frozen=True)
class Constraint:
    """One target in every interval. `part`: None for all calls / all agents, else
    ("queues", name) or ("agent_groups", name)."""

    kpi: str
    part: tuple[str, str] | None
    target: float
    at_least: bool  # True: KPI >= target (service level); False: KPI <= target

    @property
    def key(self) -> str:
        return self.kpi if self.part is None else f"{self.kpi}@{self.part[1]}"

    @property
    def label(self) -> str:
        name = KPI_LABELS[self.kpi]
        return name if self.part is None else f"{self.part[1]}: {name}"

    def margin(self, bound: float) -> float:
        """Normalised slack: positive when met (see module docstring); +inf when undefined."""
        if not math.isfinite(bound):
            return math.inf
        scale = max(self.target, 0.05 if self.at_least else 0.01)
        return (bound - self.target) / scale if self.at_least else (self.target - bound) / scale


def target_constraints(scenario: Scenario, per_queue: bool = True, per_group: bool = False) -> tuple[Constraint, ...]:
    """The scenario's targets as constraints in every interval (see module docstring)."""
    t = scenario.targets
    parts: list[tuple[str, str] | None] = [None]
    if per_queue and len(scenario.queues) > 1:
        parts = [("queues", q.name) for q in scenario.queues]
    constraints = []
    for part in parts:
        constraints.append(Constraint("service_level", part, t.service_level.fraction, True))
        if t.asa is not None:
            constraints.append(Constraint("asa", part, t.asa, False))
        if t.abandon_rate is not None:
            constraints.append(Constraint("abandon_rate", part, t.abandon_rate, False))
    high = t.occupancy[1]
    if high < 1.0:
        if per_group and len(scenario.agents) > 1:
            constraints += [Constraint("occupancy", ("agent_groups", g.name), high, False) for g in scenario.agents]
        else:
            constraints.append(Constraint("occupancy", None, high, False))
    return tuple(constraints)


@dataclass(frozen=True)
class KpiValue:
    """A KPI in one interval: mean, two-sided 95% CI (None if n < 2), the value judged against
    the target (the mean, or the one-sided bound), and n, the replications where it is defined."""

    mean: float
    ci95: tuple[float, float] | None
    bound: float
    n: int


@dataclass(frozen=True)
class IntervalCheck:
    interval: str
    values: dict[str, KpiValue]  # constraint key (and the combined display KPIs) -> value
    missed: tuple[str, ...]  # keys of the constraints missed
    margin: float  # smallest normalised margin (inf: nothing judged)
    shortfall: float  # sum of the negative margins, as a positive number
    closest: str | None  # key of the constraint with the smallest margin
    # the period its service level, ASA and abandonment are judged on (targets.judged_per): its clock hour's
    # label, "day", or the interval's own label; those constraints' values are then the period's, shared by
    # every interval of the period
    period: str = ""

    @property
    def met(self) -> bool:
        return not self.missed


PERIOD_JUDGED = ("service_level", "asa", "abandon_rate")  # judged per period with targets.judged_per; occupancy never


def _values(result: RunResult, kpi: str, part: tuple[str, str] | None) -> np.ndarray:
    if part is None:
        return result.per_replication[kpi]
    return result.breakdown_per_replication[part[0]][part[1]][kpi]


def _period_values(result: RunResult, kpi: str, part: tuple[str, str] | None) -> np.ndarray:
    """(replications, periods + 1): the KPI over each judging period's pooled calls (`RunResult.per_period`)."""
    if part is None:
        return result.per_period["all"][kpi]
    return result.per_period[part[0]][part[1]][kpi]


def _summaries(values: np.ndarray, n_intervals: int, confidence: float | None, at_least: bool,
               limits: tuple[float, float] = (-math.inf, math.inf)) -> list[KpiValue]:
    """Per interval: mean, 95% CI (cut to the values the KPI can take, as `Estimate.of` does) and
    the judged bound over the replications where it is finite."""
    v = np.asarray(values, dtype=float)[:, :n_intervals]
    finite = np.isfinite(v)
    n = finite.sum(axis=0)
    total = np.where(finite, v, 0.0).sum(axis=0)
    out = []
    for k in range(n_intervals):
        if n[k] == 0:
            out.append(KpiValue(math.nan, None, math.nan, 0))
            continue
        sample = v[finite[:, k], k]
        mean = float(total[k] / n[k])
        if n[k] < 2:
            out.append(KpiValue(mean, None, mean, int(n[k])))
            continue
        se = float(sample.std(ddof=1) / math.sqrt(n[k]))
        half = float(stats.t.ppf(0.975, n[k] - 1)) * se
        bound = mean
        if confidence is not None:
            t_c = float(stats.t.ppf(confidence, n[k] - 1)) * se
            bound = mean - t_c if at_least else mean + t_c
        out.append(KpiValue(mean, (max(mean - half, limits[0]), min(mean + half, limits[1])), bound, int(n[k])))
    return out


def check_intervals(result: RunResult, constraints: Sequence[Constraint],
                    confidence: float | None = None) -> tuple[IntervalCheck, ...]:
    """Judge every interval of a simulated staffing against the constraints."""
    n = result.scenario.n_intervals
    labels = result.scenario.interval_labels()
    columns = {c.key: (c, _summaries(_values(result, c.kpi, c.part), n, confidence, c.at_least, kpi_bounds(c.kpi)))
               for c in constraints}
    periods, period_labels = tuple(range(n)), labels
    if result.per_period is not None:  # judged per hour or day: each interval carries its period's figures
        periods, period_labels = result.scenario.period_of_intervals(), result.scenario.period_labels()
        for c in constraints:
            if c.kpi in PERIOD_JUDGED:
                pooled = _summaries(_period_values(result, c.kpi, c.part), len(period_labels), confidence,
                                    c.at_least, kpi_bounds(c.kpi))
                columns[c.key] = (c, [pooled[p] for p in periods])
    display = {name: _summaries(result.per_replication[name], n, None, name == "service_level", kpi_bounds(name))
               for name in DISPLAY_KPIS if name in result.per_replication}
    checks = []
    for k in range(n):
        values = {name: column[k] for name, column in display.items()}
        margins = {}
        for key, (constraint, column) in columns.items():
            values[key] = column[k]
            margins[key] = constraint.margin(column[k].bound)
        missed = tuple(key for key, m in margins.items() if m < -1e-12)
        finite = {key: m for key, m in margins.items() if math.isfinite(m)}
        closest = min(finite, key=finite.get) if finite else None
        checks.append(IntervalCheck(
            interval=labels[k], values=values, missed=missed,
            margin=finite[closest] if closest else math.inf,
            shortfall=float(sum(-m for m in finite.values() if m < 0)), closest=closest,
            period=period_labels[periods[k]],
        ))
    return tuple(checks)


# --- one evaluated staffing, the trace, the result ------------------------------------------

Staffing = tuple[tuple[int, ...], ...]  # per group (scenario order), per interval


@dataclass(frozen=True)
class Evaluation:
    """One staffing simulated on the common random numbers, and how each interval fares."""

    index: int
    staffing: Staffing
    checks: tuple[IntervalCheck, ...]
    agent_hours: float
    cost: float
    offered_calls: float  # calls simulated, all replications
    result: RunResult = field(repr=False, compare=False)
    sample: str = "search"  # the replications it was simulated on: "search" or "confirmation"

    @property
    def met(self) -> bool:
        return all(c.met for c in self.checks)


@dataclass(frozen=True)
class TraceEntry:
    """One staffing tried: why, and the decision taken in each interval."""

    iteration: int
    phase: str  # "start", "erlang plan", "add", "remove", "repair", "current"
    purpose: str  # e.g. "one more agent in group 'sales' where a target is missed"
    evaluation: int  # index into OptimizeResult.evaluations
    decisions: tuple[str, ...]  # per interval ("" where this staffing changed nothing there)


@dataclass(frozen=True)
class OptimizeResult:
    """The optimised staffing, what it costs beside the Erlang plan, how it was reached."""

    scenario: Scenario
    start: str
    replications: int
    seed: int
    confidence: float | None
    constraints: tuple[Constraint, ...]
    group_names: tuple[str, ...]
    hourly_costs: tuple[float, ...]
    min_agents: Staffing
    max_agents: tuple[tuple[int | None, ...], ...]
    final: Evaluation
    plan_evaluation: Evaluation  # the Erlang plan (carry-over plan with start carry_over), simulated
    start_evaluation: Evaluation
    evaluations: tuple[Evaluation, ...] = field(repr=False)
    trace: tuple[TraceEntry, ...] = field(repr=False)
    stop_reason: str  # "converged", "infeasible", "max_iterations"
    infeasible: tuple[int, ...]  # intervals that miss a target in the final staffing
    binding: tuple[str, ...]  # per interval: constraint label that sets the staffing
    flags: tuple[tuple[str, ...], ...]  # per interval: below_occupancy_floor, at_min_agents, at_max_agents
    iterations: int
    notes: tuple[str, ...]
    # out of sample (None / 0 when the confirmation was switched off)
    confirmation: Evaluation | None = None  # the final staffing on the confirmation replications
    search_confirmation: Evaluation | None = None  # the search's own answer there, before any repair
    confirm_replications: int = 0
    confirm_confidence: float | None = None
    confirm_first_replication: int = CONFIRM_FIRST_REPLICATION
    repairs: int = 0  # rounds of repair on the confirmation replications
    search_stop_reason: str = ""  # how the in-sample search stopped

    @property
    def converged(self) -> bool:
        """False when a round limit stopped the search or the repair (the answer is then not final)."""
        return self.stop_reason in ("converged", "infeasible")

    @property
    def judged(self) -> Evaluation:
        """The evaluation the answer is judged on: the confirmation's, else the search's own."""
        return self.confirmation or self.final

    @property
    def holds(self) -> bool:
        """Every interval meets every target on the confirmation replications (in sample without one)."""
        return self.judged.met

    @property
    def labels(self) -> list[str]:
        return self.scenario.interval_labels()

    @property
    def staffing(self) -> dict[str, tuple[int, ...]]:
        return dict(zip(self.group_names, self.final.staffing))

    @property
    def simulated_calls(self) -> float:
        return float(sum(e.offered_calls for e in self.evaluations))

    @property
    def saving_agent_hours(self) -> float:
        return self.plan_evaluation.agent_hours - self.final.agent_hours

    @property
    def saving_fraction(self) -> float:
        hours = self.plan_evaluation.agent_hours
        return self.saving_agent_hours / hours if hours > 0 else math.nan

    def optimized_scenario(self) -> Scenario:
        return self.scenario.with_staffing(self.staffing)


def hourly_costs(scenario: Scenario) -> tuple[float, ...]:
    """Each group's hourly cost, 1 when the scenario gives none (the cost is then agent-hours)."""
    return tuple(float(r) for r in hourly_rates(scenario, default=1.0))


def agent_hours(scenario: Scenario, staffing: Staffing) -> float:
    return float(sum(sum(s) for s in staffing)) * scenario.interval_minutes / 60.0


def staffing_cost(scenario: Scenario, staffing: Staffing) -> float:
    """What `run` prices the staffing at (simulator.cost), overtime aside; uncosted groups at 1 an hour."""
    return float(staffing_paid_cost(hourly_costs(scenario), staffing, scenario.interval_s).sum())


def _changed(staffing: Staffing, changes: dict[tuple[int, int], int]) -> Staffing:
    rows = [list(s) for s in staffing]
    for (g, k), delta in changes.items():
        rows[g][k] += delta
    return tuple(tuple(r) for r in rows)


@dataclass(frozen=True)
class Progress:
    """What the search has done so far, for a progress display: `phase` "search" or "confirm",
    the iteration (simulated rounds) and its limit, staffings simulated, calls simulated, and the
    cheapest staffing so far that meets every target on the replications of its phase."""

    phase: str
    iteration: int
    max_iterations: int
    staffings: int
    simulated_calls: float
    best_agent_hours: float | None


class _Evaluator:
    """Simulates staffings in batches on the common random numbers; each staffing once. Its
    replications are `first_replication`, +1, ... of `seed` (`sample`: "search" or "confirmation");
    evaluators may share one list of evaluations, so that the trace numbers them all."""

    def __init__(self, scenario: Scenario, constraints, replications: int, seed: int, confidence,
                 executor: Executor | None, on_batch: Callable[[Progress], None] | None,
                 first_replication: int = 0, sample: str = "search", evaluations: list | None = None):
        self.scenario, self.constraints = scenario, constraints
        self.replications, self.seed, self.confidence = replications, seed, confidence
        self.executor, self.on_batch = executor, on_batch
        self.first_replication, self.sample = first_replication, sample
        self.names = [g.name for g in scenario.agents]
        self.cache: dict[Staffing, Evaluation] = {}
        self.evaluations: list[Evaluation] = [] if evaluations is None else evaluations
        self.iteration, self.max_iterations = 0, 0  # kept by the search, for the progress display
        self.phase = "search" if sample == "search" else "confirm"
        self.best: float | None = None

    def __call__(self, staffings: Sequence[Staffing]) -> list[Evaluation]:
        new = list(dict.fromkeys(s for s in staffings if s not in self.cache))
        if new:
            scenarios = [self.scenario.with_staffing(dict(zip(self.names, s))) for s in new]
            results = run_scenarios(scenarios, self.replications, self.seed, executor=self.executor,
                                    first_replication=self.first_replication,
                                    sample_day=self.first_replication == 0)
            for staffing, result in zip(new, results):
                evaluation = Evaluation(
                    index=len(self.evaluations), staffing=staffing,
                    checks=check_intervals(result, self.constraints, self.confidence),
                    agent_hours=agent_hours(self.scenario, staffing), cost=staffing_cost(self.scenario, staffing),
                    offered_calls=float(result.per_replication["offered"][:, -1].sum()), result=result,
                    sample=self.sample,
                )
                self.cache[staffing] = evaluation
                self.evaluations.append(evaluation)
                if evaluation.met and (self.best is None or evaluation.agent_hours < self.best):
                    self.best = evaluation.agent_hours
            if self.on_batch:
                self.on_batch(Progress(self.phase, self.iteration,
                                       self.max_iterations, len(self.evaluations),
                                       float(sum(e.offered_calls for e in self.evaluations)), self.best))
        return [self.cache[s] for s in staffings]


# --- the search ------------------------------------------------------------------------------


def _missed_text(check: IntervalCheck, constraints: dict[str, Constraint]) -> str:
    return ", ".join(constraints[key].label for key in check.missed)


class _Search:
    def __init__(self, scenario, evaluate: _Evaluator, low, high, costs, max_iterations: int, lookahead: bool):
        self.lookahead = lookahead
        self.scenario, self.evaluate = scenario, evaluate
        self.low, self.high, self.costs = low, high, costs
        self.max_iterations = max_iterations
        self.n, self.groups = scenario.n_intervals, range(len(scenario.agents))
        self.names = [g.name for g in scenario.agents]
        self.by_key = {c.key: c for c in evaluate.constraints}
        self.trace: list[TraceEntry] = []
        self.iteration = 0
        self.infeasible: set[int] = set()
        self.frozen: set[tuple[int, int]] = set()  # (group, interval) removals not to try again
        self.add_streak = [0] * self.n
        self.binding_hint: dict[int, dict[tuple[int, ...], tuple[str, ...]]] = {}  # interval -> staffing -> missed
        self.alternating = lookahead  # removals in every other interval (else all at once)
        self.suspect: set[tuple[int, int]] = set()  # refused while the interval before lost an agent too
        self.retry_smaller = False  # a removal of several agents failed: try one next time
        self.remove_streak: dict[tuple[int, int], int] = {}  # accepted removals in a row: the step doubles
        evaluate.max_iterations = max_iterations

    def record(self, phase: str, purpose: str, evaluation: Evaluation, decisions: dict[int, str]) -> None:
        self.trace.append(TraceEntry(self.iteration, phase, purpose, evaluation.index,
                                     tuple(decisions.get(k, "") for k in range(self.n))))

    def can_add(self, staffing: Staffing, g: int, k: int) -> bool:
        return self.high[g][k] is None or staffing[g][k] < self.high[g][k]

    def run(self, base: Evaluation) -> tuple[Evaluation, str]:
        idle_parities, parity = 0, 0
        best = None  # the cheapest staffing seen that meets every target it can (for a stop at the limit)
        while self.iteration < self.max_iterations:
            self.tick()
            missing = [k for k, c in enumerate(base.checks) if not c.met and k not in self.infeasible]
            if not missing and (best is None or base.cost <= best.cost):
                best = base
            if missing:
                base = self.add(base, missing)
                idle_parities = 0
                continue
            self.retry_smaller = False
            new_base = self.remove(base, parity)
            parity ^= 1
            if new_base is base and not self.retry_smaller:
                idle_parities += 1
                if not self.alternating and not self.lookahead:
                    # every interval at once has converged; removals refused while the interval before
                    # also lost an agent are tried again, every other interval at a time
                    self.alternating, idle_parities, parity = True, 0, 0
                    self.frozen -= self.suspect
                    continue
                if idle_parities >= 2:
                    return base, "infeasible" if self.infeasible else "converged"
            else:
                idle_parities = 0
                base = new_base
        if any(not c.met and k not in self.infeasible for k, c in enumerate(base.checks)) and best is not None:
            base = best  # stopped in the middle of a repair: the last staffing that met the targets
        return base, "max_iterations"

    def tick(self) -> None:
        self.iteration += 1
        self.evaluate.iteration = self.iteration

    def confirm(self, base: Evaluation) -> tuple[Evaluation, str]:
        """Add agents where `base` (simulated on the confirmation replications) misses, round after
        round on the same replications, until every interval meets its targets ("confirmed"), the
        missing ones are at max_agents ("infeasible") or the round limit is reached."""
        while True:
            missing = [k for k, c in enumerate(base.checks) if not c.met and k not in self.infeasible]
            if not missing:
                return base, "infeasible" if self.infeasible else "confirmed"
            if self.iteration >= self.max_iterations:
                return base, "max_iterations"
            self.tick()
            base = self.add(base, missing, phase="confirm")

    def add(self, base: Evaluation, missing: list[int], phase: str = "add") -> Evaluation:
        steps = {}
        for k in missing:
            steps[k] = min(2 ** self.add_streak[k], MAX_ADD_STEP)
            self.add_streak[k] += 1
        for k in range(self.n):
            if k not in missing:
                self.add_streak[k] = 0
        candidates: dict[int, dict[tuple[int, int], int]] = {}
        for g in self.groups:
            changes = {}
            for k in missing:
                if self.can_add(base.staffing, g, k):
                    room = math.inf if self.high[g][k] is None else self.high[g][k] - base.staffing[g][k]
                    changes[(g, k)] = int(min(steps[k], room))
            if changes:
                candidates[g] = changes
        decisions = {}
        for k in missing:
            if not any((g, k) in c for c in candidates.values()):
                self.infeasible.add(k)
                decisions[k] = f"infeasible: misses {_missed_text(base.checks[k], self.by_key)} with every group at max_agents"
        chosen: dict[tuple[int, int], int] = {}
        if len(candidates) == 1:
            (g, changes), = candidates.items()
            chosen = changes
            for (_, k), d in changes.items():
                decisions[k] = f"misses {_missed_text(base.checks[k], self.by_key)}: +{d} {self.names[g]}"
        elif candidates:
            order = list(candidates)
            tried = self.evaluate([_changed(base.staffing, candidates[g]) for g in order])
            for g, evaluation in zip(order, tried):
                gains = {k: base.checks[k].shortfall - evaluation.checks[k].shortfall for (_, k) in candidates[g]}
                self.record(phase, f"+agents in '{self.names[g]}' where a target is missed", evaluation,
                            {k: f"gain {gain:+.3f} per {self.costs[g]:g}/h" for k, gain in gains.items()})
            for k in missing:
                options = [(g, ev) for g, ev in zip(order, tried) if (g, k) in candidates[g]]
                if not options:
                    continue
                best = max(options, key=lambda o: ((base.checks[k].shortfall - o[1].checks[k].shortfall)
                                                   / self.costs[o[0]], -self.costs[o[0]], -o[0]))
                gain = base.checks[k].shortfall - best[1].checks[k].shortfall
                if gain <= 0:  # no group helps on these replications: the cheapest that may grow
                    best = min(options, key=lambda o: (self.costs[o[0]], o[0]))
                g = best[0]
                chosen[(g, k)] = candidates[g][(g, k)]
                decisions[k] = f"misses {_missed_text(base.checks[k], self.by_key)}: +{chosen[(g, k)]} {self.names[g]}"
        self.record(phase, "current staffing misses a target", base, decisions)
        if not chosen:
            return base
        (new,) = self.evaluate([_changed(base.staffing, chosen)])
        return new

    def removal_intervals(self, parity: int) -> range:
        """Every interval at once; with lookahead every other one, so that the next is unchanged."""
        return range(parity, self.n, 2) if self.lookahead or self.alternating else range(self.n)

    def remove(self, base: Evaluation, parity: int) -> Evaluation:
        candidates: dict[int, dict[tuple[int, int], int]] = {}
        for g in self.groups:
            changes = {(g, k): -min(2 ** self.remove_streak.get((g, k), 0), MAX_REMOVE_STEP,
                                    base.staffing[g][k] - self.low[g][k])
                       for k in self.removal_intervals(parity)
                       if base.staffing[g][k] > self.low[g][k] and (g, k) not in self.frozen
                       and k not in self.infeasible and base.checks[k].met}
            if changes:
                candidates[g] = changes
        if not candidates:
            return base
        order = list(candidates)
        tried = self.evaluate([_changed(base.staffing, candidates[g]) for g in order])
        chosen: dict[tuple[int, int], int] = {}
        decisions = {}
        best_score: dict[int, tuple] = {}
        for g, evaluation in zip(order, tried):
            notes = {}
            for (_, k), step in candidates[g].items():
                after = evaluation.checks[k]
                later_ok = (not self.lookahead or k + 1 >= self.n or not base.checks[k + 1].met
                            or evaluation.checks[k + 1].met)
                if not after.met or not later_ok:
                    # the interval before also lost agents in this run: its carry-over may be the cause
                    neighbour = (g, k - 1) in candidates[g]
                    if step == -1 and neighbour:
                        self.frozen.add((g, k))
                        self.suspect.add((g, k))  # tried again alone in the final, alternating rounds
                    elif step == -1:
                        self.frozen.add((g, k))
                        # what one agent fewer misses is what binds this interval's staffing
                        column = tuple(row[k] for row in base.staffing)
                        where_missed = after.missed if not after.met else evaluation.checks[k + 1].missed
                        self.binding_hint.setdefault(k, {})[column] = where_missed + self.binding_hint.get(k, {}).get(column, ())
                    else:
                        self.retry_smaller = True
                    self.remove_streak[(g, k)] = 0  # a smaller step next time
                    where = after if not after.met else evaluation.checks[k + 1]
                    notes[k] = (f"kept: {-step} fewer misses {_missed_text(where, self.by_key)}"
                                + ("" if not after.met else " in the next interval"))
                    continue
                used = base.checks[k].margin - after.margin
                used = max(used, 1e-9) if math.isfinite(used) else 1e-9
                score = (-step * self.costs[g] / used, self.costs[g], -g)
                notes[k] = f"meets with {-step} fewer (margin {after.margin:+.3f})"
                if k not in best_score or score > best_score[k]:
                    best_score[k] = score
                    chosen = {key: d for key, d in chosen.items() if key[1] != k}
                    chosen[(g, k)] = step
            where = "every interval" if not self.alternating else f"the {('even', 'odd')[parity]} intervals"
            self.record("remove", f"fewer agents in '{self.names[g]}' in {where} that meet every target",
                        evaluation, notes)
        for (g, k), step in chosen.items():
            decisions[k] = f"{step} {self.names[g]}"
            self.remove_streak[(g, k)] = self.remove_streak.get((g, k), 0) + 1
        self.record("remove", "current staffing meets every target", base, decisions)
        if not chosen:
            return base
        (new,) = self.evaluate([_changed(base.staffing, chosen)])
        return self.repair(base, new, chosen)

    def repair(self, base: Evaluation, new: Evaluation, removed: dict[tuple[int, int], int]) -> Evaluation:
        """Undo removals whose combination misses a target (the one at or nearest before the miss)."""
        while True:
            # an interval that lost an agent and misses: the removals together were too many. (A miss
            # in an unchanged interval, the work a removal carried over, is the add phase's, unless
            # the search looks ahead.)
            changed = {k for (_, k) in removed}
            broken = [k for k in range(self.n) if not new.checks[k].met and base.checks[k].met
                      and (self.lookahead or k in changed)]
            if not broken:
                return new
            undo = {}
            for k in broken:
                for j in range(k, -1, -1):
                    hits = [key for key in removed if key[1] == j and key not in undo]
                    if hits:
                        undo.update({key: -removed[key] for key in hits})
                        break
            if not undo:
                return base
            for key, amount in undo.items():
                if amount == 1:
                    self.frozen.add(key)
                self.remove_streak[key] = 0
                del removed[key]
            self.record("repair", "the removals together miss a target", new,
                        {k: f"misses {_missed_text(new.checks[k], self.by_key)}: undo "
                            + ", ".join(f"-{undo[(g, j)]} {self.names[g]} at {self.scenario.interval_labels()[j]}"
                                        for (g, j) in undo if j <= k) for k in broken})
            if not removed:
                return base
            (new,) = self.evaluate([_changed(base.staffing, removed)])


def _limits(scenario: Scenario):
    low, high = [], []
    for group in scenario.agents:
        lo, hi = group.agent_limits(scenario.n_intervals)
        low.append(lo)
        high.append(hi)
    return tuple(low), tuple(high)


def _clip(staffing: Staffing, low, high) -> Staffing:
    return tuple(tuple(max(s, lo) if hi is None else min(max(s, lo), hi) for s, lo, hi in zip(row, lo_row, hi_row))
                 for row, lo_row, hi_row in zip(staffing, low, high))


def _binding_and_flags(scenario: Scenario, final: Evaluation, constraints, low, high, hints):
    by_key = {c.key: c for c in constraints}
    floor = scenario.targets.occupancy[0]
    binding, flags = [], []
    for k, check in enumerate(final.checks):
        f = []
        at_min = all(final.staffing[g][k] <= low[g][k] for g in range(len(low)))
        at_max = any(high[g][k] is not None and final.staffing[g][k] >= high[g][k] for g in range(len(high)))
        occupancy = check.values.get("occupancy")
        if occupancy is not None and math.isfinite(occupancy.mean) and occupancy.mean < floor:
            f.append("below_occupancy_floor")
        if at_min and any(lo > 0 for lo in (low[g][k] for g in range(len(low)))):
            f.append("at_min_agents")
        if at_max:
            f.append("at_max_agents")
        if not check.met:
            binding.append("missed: " + ", ".join(by_key[key].label for key in check.missed))
        elif "at_min_agents" in f:
            binding.append("min_agents")
        elif (missed := hints.get(k, {}).get(tuple(row[k] for row in final.staffing))):
            # what one agent fewer (in any group) misses: the constraint that sets the staffing
            binding.append(", ".join(dict.fromkeys(by_key[key].label for key in missed)))
        elif check.closest is None:
            binding.append("none (no calls)")
        else:
            binding.append(by_key[check.closest].label)
        flags.append(tuple(f))
    return tuple(binding), tuple(flags)


def optimize_staffing(scenario: Scenario, start: Start = "erlang", replications: int | None = None,
                      seed: int | None = None, confidence: float | None = None, max_iterations: int = 60,
                      executor: Executor | None = None, per_queue: bool = True, per_group: bool = False,
                      lookahead: bool = False, on_batch: Callable[[Progress], None] | None = None,
                      confirm_replications: int | None = None, confirm_confidence: float = CONFIRM_CONFIDENCE,
                      max_repairs: int = MAX_REPAIRS, on_start: Callable[[Effort], None] | None = None
                      ) -> OptimizeResult:
    """The least-cost staffing meeting every target in every interval in simulation, confirmed
    (and repaired) on replications the search never used (module docstring). Raises
    OptimizeError for input that cannot be used (e.g. targets the Erlang plan cannot size).
    `confirm_replications`: None for CONFIRM_FACTOR x replications, 0 for no confirmation.
    `on_start(Effort)` is told what it expects to simulate once the input is checked, before the
    first simulation; `on_batch(Progress)` after every simulated batch."""
    from planner.plan import PlanError, plan_scenario

    if start not in STARTS:
        raise OptimizeError(f"start must be one of {', '.join(STARTS)}, got {start!r}")
    if confidence is not None and not 0.5 <= confidence < 1.0:
        raise OptimizeError(f"confidence must be at least 0.5 and below 1, got {confidence:g}")
    if max_iterations < 1:
        raise OptimizeError(f"max_iterations must be at least 1, got {max_iterations}")
    if not 0.5 <= confirm_confidence < 1.0:
        raise OptimizeError(f"the confirmation's confidence must be at least 0.5 and below 1, got {confirm_confidence:g}")
    replications = replication_count(replications, scenario.simulation.replications)
    confirm_replications = _confirm_replications(replications, confirm_replications)
    seed = scenario.simulation.seed if seed is None else seed
    constraints = target_constraints(scenario, per_queue, per_group)
    costs = hourly_costs(scenario)
    low, high = _limits(scenario)
    try:
        plan = plan_scenario(scenario, carry_over=start == "carry_over")
    except PlanError as exc:
        raise OptimizeError(f"the Erlang plan to start from and compare with cannot be made: {exc}") from None
    plan_staffing: Staffing = tuple(tuple(g.agents) for g in plan.groups)
    own: Staffing = tuple(tuple(g.staffing) for g in scenario.agents)
    start_staffing = _clip(own if start == "scenario" else plan_staffing, low, high)

    if on_start:
        on_start(planned_effort(scenario, replications, confirm_replications, max_iterations, max_repairs,
                                max(sum(column) for column in zip(*plan_staffing))))
    evaluate = _Evaluator(scenario, constraints, replications, seed, confidence, executor, on_batch)
    evaluate.max_iterations = max_iterations
    first, plan_evaluation = evaluate([start_staffing, plan_staffing])
    search = _Search(scenario, evaluate, low, high, costs, max_iterations, lookahead)
    search.record("start", f"start: the {'scenario' if start == 'scenario' else start.replace('_', '-') + ' plan'}'s "
                  "staffing" + (" within min/max agents" if start_staffing != (own if start == 'scenario' else plan_staffing) else ""),
                  first, {k: "meets" if c.met else f"misses {_missed_text(c, search.by_key)}" for k, c in enumerate(first.checks)})
    if plan_evaluation is not first:
        search.record("erlang plan", "the Erlang plan, for comparison", plan_evaluation,
                      {k: "meets" if c.met else f"misses {_missed_text(c, search.by_key)}"
                       for k, c in enumerate(plan_evaluation.checks)})
    final, reason = search.run(first)
    search_reason = reason
    confirmation = search_confirmation = None
    repairs = 0
    if confirm_replications:
        # out of sample: the answer on days the search never saw, repaired there where it misses
        confirm = _Evaluator(scenario, constraints, confirm_replications, seed, confirm_confidence, executor, on_batch,
                             first_replication=CONFIRM_FIRST_REPLICATION, sample="confirmation",
                             evaluations=evaluate.evaluations)
        repair = _Search(scenario, confirm, low, high, costs, max_repairs, lookahead)
        (search_confirmation,) = confirm([final.staffing])
        repair.record("confirm", "the search's answer on the confirmation replications", search_confirmation,
                      {k: "holds" if c.met else f"misses {_missed_text(c, search.by_key)}"
                       for k, c in enumerate(search_confirmation.checks)})
        confirmation, confirm_reason = repair.confirm(search_confirmation)
        repairs = repair.iteration
        for entry in repair.trace:  # numbered after the search's iterations
            search.trace.append(TraceEntry(search.iteration + entry.iteration, entry.phase, entry.purpose,
                                           entry.evaluation, entry.decisions))
        search.iteration += repairs
        if confirmation.staffing != final.staffing:
            evaluate.phase = "final in-sample check,"
            (final,) = evaluate([confirmation.staffing])  # the repaired staffing, in sample, side by side
        search.infeasible |= repair.infeasible
        if confirm_reason == "max_iterations" and reason != "max_iterations":
            reason = "max_repairs"
        elif confirm_reason == "infeasible" and reason == "converged":
            reason = "infeasible"
    judged = confirmation or final
    infeasible = tuple(k for k, c in enumerate(judged.checks) if not c.met)
    if infeasible and reason == "converged":
        reason = "infeasible"
    search.record("current", "the optimised staffing", final,
                  {k: "meets" if c.met else f"misses {_missed_text(c, search.by_key)}" for k, c in enumerate(final.checks)})
    binding, flags = _binding_and_flags(scenario, judged, constraints, low, high, search.binding_hint)
    notes = _notes(scenario, plan_evaluation, start, confidence, per_queue, per_group, confirm_replications,
                   confirm_confidence, repairs)
    return OptimizeResult(
        scenario=scenario, start=start, replications=replications, seed=seed, confidence=confidence,
        constraints=constraints, group_names=tuple(g.name for g in scenario.agents), hourly_costs=costs,
        min_agents=low, max_agents=high, final=final, plan_evaluation=plan_evaluation, start_evaluation=first,
        evaluations=tuple(evaluate.evaluations), trace=tuple(search.trace), stop_reason=reason,
        infeasible=infeasible, binding=binding, flags=flags, iterations=search.iteration, notes=notes,
        confirmation=confirmation, search_confirmation=search_confirmation,
        confirm_replications=confirm_replications or 0,
        confirm_confidence=confirm_confidence if confirm_replications else None, repairs=repairs,
        search_stop_reason=search_reason,
    )


@dataclass(frozen=True)
class Effort:
    """The simulation a search is expected to need, said before it starts: staffings simulated are
    days x replications each. The expected count is a rule of thumb fitted to the shipped
    scenarios with defaults: it grows with the agent groups (one batch tries each) and with the
    log of the staffing (a removal step doubles up to 8 agents, and the bigger the centre, the
    more agents the confirmation adds, one round at a time): 8 to 25 staffings in all with one
    group and 12 to 49 agents, 27 to 42 with two groups, 48 for large_centre's 1,236. The round
    limits bound it (`most_calls`)."""

    calls_per_day: float
    replications: int
    confirm_replications: int
    groups: int
    intervals: int
    max_iterations: int
    max_repairs: int
    peak_agents: int = 10  # the Erlang plan's largest staffing of an interval, all groups together

    @property
    def _size(self) -> float:
        return math.log2(max(self.peak_agents, 8))

    @property
    def confirm_staffings(self) -> float:
        """On the confirmation replications (the answer and the repair rounds), plus the answer once
        more on the search's."""
        if not self.confirm_replications:
            return 0.0
        return 2 + min(self.groups * max(1.0, self._size / 2 - 1), self.groups * self.max_repairs)

    @property
    def search_staffings(self) -> float:
        total = (5 * self._size - 10) * self.groups ** 1.4
        return min(max(4.0, total - self.confirm_staffings), 2 + (self.groups + 1) * self.max_iterations)

    @property
    def expected_calls(self) -> float:
        return self.calls_per_day * (self.search_staffings * self.replications
                                     + (self.confirm_staffings - 1) * self.confirm_replications
                                     + (self.replications if self.confirm_replications else 0))

    @property
    def most_calls(self) -> float:
        """At the round limits (every iteration one staffing per group and the update)."""
        return self.calls_per_day * (self.groups + 1) * (
            (self.max_iterations + 1) * self.replications
            + (self.max_repairs + 1) * self.confirm_replications * (1 if self.confirm_replications else 0))


def _confirm_replications(replications: int, confirm_replications: int | None) -> int:
    if confirm_replications is None:
        return CONFIRM_FACTOR * replications
    if confirm_replications == 1 or confirm_replications < 0:
        raise OptimizeError(f"a confirmation needs at least 2 replications (a confidence bound needs a spread), got "
                            f"{confirm_replications}; give 2 or more, or 0 for none")
    return confirm_replications


def planned_effort(scenario: Scenario, replications: int | None = None, confirm_replications: int | None = None,
                   max_iterations: int = 60, max_repairs: int = MAX_REPAIRS, peak_agents: int | None = None) -> Effort:
    """What `optimize_staffing` with these settings is expected to simulate (raises OptimizeError
    for a confirmation too small to judge anything). `peak_agents`: the Erlang plan's largest
    interval (made here when not given)."""
    replications = replications or scenario.simulation.replications
    confirm_replications = _confirm_replications(replications, confirm_replications)
    if peak_agents is None:
        from planner.plan import PlanError, plan_scenario

        try:
            plan = plan_scenario(scenario)
            peak_agents = max(sum(g.agents[k] for g in plan.groups) for k in range(scenario.n_intervals))
        except PlanError:
            peak_agents = 10
    return Effort(float(sum(scenario.arrivals.calls)), replications, confirm_replications, len(scenario.agents),
                  scenario.n_intervals, max_iterations, max_repairs, int(peak_agents))


def _notes(scenario: Scenario, plan_evaluation: Evaluation, start: str, confidence, per_queue: bool,
           per_group: bool, confirm_replications: int = 0, confirm_confidence: float | None = None,
           repairs: int = 0) -> tuple[str, ...]:
    notes = [
        "Every staffing tried was simulated on the same callers (common random numbers: same seed and replications), "
        "so each step's effect is the staffing change, not noise; 'meets' is judged on "
        + ("the mean over the replications." if confidence is None else
           f"the one-sided {confidence:.0%} bound (service level: lower bound; ASA, abandonment, occupancy: upper)."),
    ]
    if confirm_replications:
        notes.append(
            f"Out of sample: the answer was simulated again on {confirm_replications} replications the search never "
            f"used (indices from {CONFIRM_FIRST_REPLICATION:,} of the same seed) and holds there when, in every "
            f"{scenario.targets.judged_per} and for every target, the one-sided {confirm_confidence:.0%} bound meets the target. No "
            "multiplicity correction is needed for that claim: 'every target holds' is an intersection-union test "
            f"(Berger 1982), wrong with probability at most {1 - confirm_confidence:.0%} when any target is missed. "
            + (f"Where it missed, agents were added and checked again on the same replications ({repairs} "
               f"round{'s' * (repairs != 1)})." if repairs else "It held without repair."))
    if per_queue and len(scenario.queues) > 1:
        notes.append("With several queues each queue must meet the service level, ASA and abandonment targets on its own.")
    if scenario.targets.occupancy[1] < 1.0:
        who = "each agent group" if per_group and len(scenario.agents) > 1 else "the agents together"
        notes.append(f"Occupancy: {who} must stay at or below {scenario.targets.occupancy[1]:.0%}; the band's "
                     "floor is only flagged.")
    missed = sum(1 for c in plan_evaluation.checks if not c.met)
    if missed:
        notes.append(f"The {'carry-over' if start == 'carry_over' else 'Erlang'} plan misses a target in {missed} of "
                     f"{scenario.n_intervals} intervals in simulation.")
    if all(g.hourly_cost is None for g in scenario.agents):
        notes.append("No group has an hourly_cost: every agent-hour costs 1, so the cost is the agent-hours.")
    return tuple(notes)


# --- over-staffing: where one agent fewer still meets every target ---------------------------


@dataclass(frozen=True)
class SlackInterval:
    interval: str
    met: bool  # the staffing meets every target in this interval
    spare_groups: tuple[str, ...]  # groups that can lose one agent here and still meet every target

    @property
    def overstaffed(self) -> bool:
        return self.met and bool(self.spare_groups)


@dataclass(frozen=True)
class SlackReport:
    intervals: tuple[SlackInterval, ...]
    confidence: float | None
    extra_runs: int  # staffings simulated beyond the one given

    @property
    def overstaffed(self) -> list[str]:
        return [i.interval for i in self.intervals if i.overstaffed]


def slack_intervals(scenario: Scenario, result: RunResult | None = None, replications: int | None = None,
                    seed: int | None = None, executor: Executor | None = None, confidence: float | None = None,
                    per_queue: bool = True, per_group: bool = False) -> SlackReport:
    """Where the scenario's staffing beats every target with an agent to spare.

    Simulates, on the same random numbers as `result` (its seed and replications; run here when
    not given), one agent fewer in each group in the even intervals, and in the odd ones: two
    extra runs per group, in one batch. An interval has a spare agent of a group if it meets
    every target with one fewer of that group, and the next interval (unchanged in that run)
    still meets them too. Judged as `optimize_staffing` judges (mean, or one-sided bound)."""
    if result is None:
        (result,) = run_scenarios([scenario], replication_count(replications, scenario.simulation.replications),
                                  scenario.simulation.seed if seed is None else seed, executor=executor)
    constraints = target_constraints(scenario, per_queue, per_group)
    base = check_intervals(result, constraints, confidence)
    staffing = tuple(tuple(g.staffing) for g in scenario.agents)
    names = [g.name for g in scenario.agents]
    n = scenario.n_intervals
    jobs = []
    for g in range(len(names)):
        for parity in (0, 1):
            changes = {(g, k): -1 for k in range(parity, n, 2) if staffing[g][k] > 0 and base[k].met}
            if changes:
                jobs.append((g, changes))
    variants = [scenario.with_staffing(dict(zip(names, _changed(staffing, changes)))) for _, changes in jobs]
    results = run_scenarios(variants, result.replications, result.seed, executor=executor) if variants else []
    spare: dict[int, list[str]] = {k: [] for k in range(n)}
    for (g, changes), variant in zip(jobs, results):
        checks = check_intervals(variant, constraints, confidence)
        for (_, k) in changes:
            if checks[k].met and (k + 1 >= n or not base[k + 1].met or checks[k + 1].met):
                spare[k].append(names[g])
    labels = scenario.interval_labels()
    return SlackReport(
        intervals=tuple(SlackInterval(labels[k], base[k].met, tuple(spare[k])) for k in range(n)),
        confidence=confidence, extra_runs=len(variants),
    )
