"""Sweeps: one scenario over a range of staffing or of a scaled input, simulated and predicted.

A sweep runs the scenario once per point (every point on the same callers: the same seed and
replication indices, so the curves are smooth and neighbouring points are paired) and reports
each KPI with its 95% CI beside the Erlang C / Erlang A prediction for the same point.

What varies
-----------
* `agents`: the staffing of one agent group (the only one, or the one named by `group`).
  A plain number N *sets* that group's staffing to N agents in every interval, or only in
  `interval` when one is given (other intervals and other groups keep the scenario's
  staffing). A signed number (+2, -1) *adds* that many agents to the group's staffing in every
  interval (or only in `interval`); staffing may not go below 0.
* `vary`: `volume` multiplies every interval's expected calls, `talk_time` every queue's talk
  time (its mean and spread; the CV stays), `patience` every queue's patience (same), by each
  factor. ACW is not scaled.
Both may be given: every combination is a point.

What is reported
----------------
The whole day's KPIs, or, with `interval`, that interval's KPIs (the day's are kept as well).

The analytic line
-----------------
For a single-queue scenario without IVR, callbacks, return calls or balking, each interval k
is an M/M/N_k (+M) queue in steady state: arrival rate calls_k / interval length, N_k = agents
on shift (all groups), AHT = mean talk + mean ACW (and the mean patience) of interval k as the
planner takes them (planner.demand: they change through the day with per-interval factors),
Erlang A with the queue's mean patience if it has one, else Erlang C. The day's prediction weights the intervals as the KPIs do: service
level, abandonment and mean wait by calls, ASA by answered calls, occupancy by agent time
(stationary independent period-by-period). The prediction ignores what exponential
times and steady state do not capture (talk-time CV, non-exponential patience, a day that
starts empty, backlog carried between intervals, overtime); the notes say which apply.
"""
from __future__ import annotations

import math
import re
from concurrent.futures import Executor
from dataclasses import dataclass
from itertools import product
from typing import Callable, Sequence

from planner.demand import queue_demand
from planner.erlang import erlang_a_metrics, erlang_c_metrics
from simulator.batch import run_scenarios
from simulator.errors import UserError
from simulator.kpi_table import kpi_bounds
from simulator.run import Estimate, RunResult
from simulator.scenario import Scenario, parse_clock

VARY_PARAMETERS = ("volume", "talk_time", "patience")
SWEEP_KPIS = ("service_level", "asa", "abandon_rate", "occupancy")
ANALYTIC_KPIS = ("service_level", "asa", "abandon_rate", "occupancy", "avg_wait", "p_wait")
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"


class SweepError(UserError):
    """A sweep request the scenario cannot satisfy (unknown group, bad range, ...)."""


# --- ranges ---------------------------------------------------------------------------------


def _cut(text: str) -> str:
    """An option's value as an error line shows it: cut short."""
    return text if len(text) <= 40 else text[:37] + "..."


def parse_range(text: str, integer: bool = False) -> list[float] | list[int]:
    """START:STOP[:STEP], both ends included; a single number is a one-point range.

    Integers (agents) default to step 1; factors need a step unless START == STOP. Float ranges
    are computed as START + i·STEP rounded to 10 decimals, so 0.8:1.2:0.1 gives exactly five
    points, 1.2 included.
    """
    parts = text.strip().split(":")
    what = "agents" if integer else "factors"
    if len(parts) not in (1, 2, 3) or not all(re.fullmatch(_NUMBER, p.strip()) for p in parts):
        raise SweepError(f"'{_cut(text)}' is not a range START:STOP[:STEP] of {what}, e.g. {'8:16' if integer else '0.8:1.2:0.1'}")
    numbers = [float(p) for p in parts]
    if not all(math.isfinite(n) for n in numbers):  # 1e400 or 400 digits: float() gives inf
        raise SweepError(f"'{_cut(text)}': every number must be finite (at most about 1e308)")
    if integer and not all(n == int(n) for n in numbers):
        raise SweepError(f"'{text}': agents must be whole numbers")
    if len(numbers) == 1:
        numbers = [numbers[0], numbers[0]]
    start, stop = numbers[0], numbers[1]
    if stop < start:
        raise SweepError(f"'{text}': STOP must not be below START")
    if len(numbers) == 3:
        step = numbers[2]
    elif integer or start == stop:
        step = 1.0
    else:
        raise SweepError(f"'{text}': give a step for a range of factors, e.g. {start:g}:{stop:g}:0.1")
    if step <= 0:
        raise SweepError(f"'{text}': the step must be positive")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > 200:
        raise SweepError(f"'{text}' has {count} points; at most 200 (use a larger step)")
    values = [round(start + i * step, 10) for i in range(count)]
    return [int(v) for v in values] if integer else values


def parse_agents(text: str) -> tuple[list[int], bool]:
    """(values, relative): '8:16' sets staffing; '+0:+4' or '-2:+2' adds to it."""
    relative = text.strip()[:1] in "+-"
    values = parse_range(text, integer=True)
    if not relative and min(values) < 0:
        raise SweepError(f"'{text}': agents must be >= 0 (a signed range like -2:+2 adds to the staffing)")
    return values, relative


def parse_vary(text: str) -> tuple[str, list[float]]:
    """'volume=0.8:1.2:0.1' -> ('volume', [0.8, 0.9, 1.0, 1.1, 1.2])."""
    name, sep, spec = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or name not in VARY_PARAMETERS:
        raise SweepError(f"'{text}' is not PARAMETER=START:STOP:STEP with PARAMETER one of {', '.join(VARY_PARAMETERS)}")
    factors = parse_range(spec)
    if min(factors) <= 0:
        raise SweepError(f"'{text}': factors must be positive")
    return name, factors


# --- building the points ---------------------------------------------------------------------


def interval_index(scenario: Scenario, clock: str) -> int:
    """Index of the interval starting at `clock` (HH:MM)."""
    labels = scenario.interval_labels()
    label = parse_clock(clock)
    if label in labels:
        return labels.index(label)
    shown = ", ".join(labels) if len(labels) <= 8 else f"{labels[0]}, {labels[1]}, ..., {labels[-1]}"
    raise SweepError(f"--interval '{clock}' is not the start of an interval; the intervals start at {shown}")


def group_index(scenario: Scenario, group: str | None) -> int:
    names = [g.name for g in scenario.agents]
    if group is None:
        if len(names) > 1:
            raise SweepError(f"the scenario has {len(names)} agent groups ({', '.join(names)}); "
                             "say which one --agents staffs with --group NAME")
        return 0
    if group not in names:
        raise SweepError(f"unknown agent group '{group}'; the groups are: {', '.join(names)}")
    return names.index(group)


def point_scenario(base: Scenario, agents: int | None = None, relative: bool = False, group: int = 0,
                   interval: int | None = None, vary: str | None = None, factor: float | None = None) -> Scenario:
    """The scenario of one sweep point (see the module docstring for the rules)."""
    scenario = base
    if agents is not None:
        staffing = list(base.agents[group].staffing)
        which = range(len(staffing)) if interval is None else [interval]
        for k in which:
            staffing[k] = staffing[k] + agents if relative else agents
            if staffing[k] < 0:
                raise SweepError(f"{agents:+d} agents would leave group '{base.agents[group].name}' with "
                                 f"{staffing[k]} agents at {base.interval_labels()[k]}")
        scenario = scenario.with_staffing({base.agents[group].name: staffing})
    if vary is not None and factor is not None:
        if vary == "volume":
            scenario = scenario.with_volume(factor)
        elif all(getattr(q, vary) is None for q in base.queues):
            raise SweepError(f"no queue of this scenario has a {vary} distribution to scale")
        else:
            scenario = scenario.with_scaled_durations(vary, factor)
    return scenario


# --- the analytic prediction -------------------------------------------------------------------


def analytic_model(scenario: Scenario) -> tuple[str | None, list[str]]:
    """('erlang_c' | 'erlang_a' | None, notes on why not or on what the formula leaves out)."""
    if len(scenario.queues) != 1:
        return None, ["no Erlang line: the formulas describe one queue, this scenario has several"]
    if scenario.ivr is not None:
        return None, ["no Erlang line: the IVR changes which calls reach the queue and when"]
    queue = scenario.queues[0]
    if queue.callback is not None:
        return None, ["no Erlang line: callbacks are outside the Erlang model"]
    if scenario.return_calls is not None:
        return None, ["no Erlang line: redials and repeat calls are outside the Erlang model"]
    if queue.balk_probability > 0:
        return None, ["no Erlang line: balking is outside the Erlang model"]
    notes = []
    model = "erlang_a" if queue.patience is not None else "erlang_c"
    talk_cv = getattr(queue.talk_time, "cv", None)
    if queue.talk_time.dist != "exponential" or queue.acw.mean_s > 0:
        notes.append(f"Erlang assumes exponential handle times; here talk is {queue.talk_time.dist}"
                     + (f" (cv {talk_cv:.2g})" if talk_cv is not None else "")
                     + (f" plus {queue.acw.mean_s:g} s ACW" if queue.acw.mean_s > 0 else ""))
    if queue.patience is not None and queue.patience.dist != "exponential":
        notes.append(f"Erlang A assumes exponential patience; here it is {queue.patience.dist}")
    if scenario.arrivals.busyness_cv > 0:
        notes.append("Erlang uses the mean volume; the day-to-day volume uncertainty (busyness_cv) is not in it")
    return model, notes


def erlang_prediction(scenario: Scenario, interval: int | None = None) -> dict[str, float] | None:
    """Erlang prediction of the KPIs of one interval, or of the day (see module docstring)."""
    model, _ = analytic_model(scenario)
    if model is None:
        return None
    # the planner's durations: per interval when they change through the day (simulator.durations)
    (demand,) = queue_demand(scenario)
    threshold_s = scenario.targets.service_level.within
    intervals = range(scenario.n_intervals) if interval is None else [interval]
    rows = []
    for k in intervals:
        calls = scenario.arrivals.calls[k]
        agents = sum(g.staffing[k] for g in scenario.agents)
        rate = calls / scenario.interval_s
        if model == "erlang_a":
            m = erlang_a_metrics(agents, rate, demand.handle_time_s(k), demand.patience_s(k), threshold_s)
        else:
            m = erlang_c_metrics(agents, rate, demand.handle_time_s(k), threshold_s)
        rows.append((calls, agents, m))

    def weighted(values_weights) -> float:
        pairs = [(v, w) for v, w in values_weights if w > 0]
        total = sum(w for _, w in pairs)
        if total == 0:
            return math.nan
        if any(math.isinf(v) for v, _ in pairs):
            return math.inf
        return sum(v * w for v, w in pairs) / total

    abandon = [(m.p_abandon or 0.0) for _, _, m in rows]
    return {
        "service_level": weighted((m.service_level, calls) for calls, _, m in rows),
        "asa": weighted((m.asa_s, calls * (1 - a)) for (calls, _, m), a in zip(rows, abandon)),
        "abandon_rate": weighted((a, calls) for (calls, _, _), a in zip(rows, abandon)),
        "occupancy": weighted((m.occupancy, agents) for _, agents, m in rows),
        "avg_wait": weighted((m.avg_wait_s, calls) for calls, _, m in rows),
        "p_wait": weighted((m.p_wait, calls) for calls, _, m in rows),
    }


# --- the sweep -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepPoint:
    agents: int | None  # the --agents value of this point (a count, or an offset if relative)
    factor: float | None
    run: RunResult
    erlang: dict[str, float] | None


@dataclass(frozen=True)
class Sweep:
    scenario: Scenario  # the base scenario
    points: tuple[SweepPoint, ...]
    seed: int
    replications: int
    group: str | None  # the group --agents staffs
    relative: bool  # agents are offsets added to the staffing
    interval: int | None  # index of --interval
    vary: str | None
    model: str | None
    notes: tuple[str, ...]

    @property
    def column(self) -> int:
        """Column of per_replication arrays reported: the interval, or -1 for the day."""
        return -1 if self.interval is None else self.interval

    @property
    def scope(self) -> str:
        return "day" if self.interval is None else f"interval {self.scenario.interval_labels()[self.interval]}"

    def estimate(self, point: SweepPoint, kpi: str, column: int | None = None) -> Estimate | None:
        """Mean and 95% CI (cut to the values the KPI can take, as in `callsim run`)."""
        values = point.run.per_replication.get(kpi)
        if values is None:
            return None
        return Estimate.of(values[:, self.column if column is None else column], kpi_bounds(kpi))

    def kpis(self) -> list[str]:
        return [k for k in SWEEP_KPIS if k in self.points[0].run.per_replication
                and (k != "abandon_rate" or any(q.patience is not None or q.balk_probability > 0
                                                for q in self.scenario.queues))]

    @property
    def agents_label(self) -> str:
        group = f" in '{self.group}'" if self.group else ""
        where = f" at {self.scenario.interval_labels()[self.interval]}" if self.interval is not None else " in every interval"
        return (f"agents added{group}{where}" if self.relative else f"agents{group}{where}")


def run_sweep(base: Scenario, agents: Sequence[int] | None = None, relative: bool = False, group: str | None = None,
              interval: str | None = None, vary: str | None = None, factors: Sequence[float] | None = None,
              replications: int | None = None, seed: int | None = None, workers: int = 1,
              on_replication_done: Callable[[int, int], None] | None = None,
              executor: Executor | None = None) -> Sweep:
    """Simulate every point (all on the same callers) and predict each with Erlang where it applies."""
    if not agents and not factors:
        raise SweepError("nothing to sweep: give --agents, --vary or both")
    if (vary is None) != (factors is None):
        raise SweepError("a vary parameter needs its factors")
    replications = replications or base.simulation.replications
    seed = base.simulation.seed if seed is None else seed
    g = group_index(base, group) if agents else 0
    k = interval_index(base, interval) if interval is not None else None
    grid = list(product(list(agents) if agents else [None], list(factors) if factors else [None]))
    scenarios = [point_scenario(base, a, relative, g, k, vary, f) for a, f in grid]
    # no sample day: a sweep draws no call records, so the tasks send back only KPIs
    runs = run_scenarios(scenarios, replications, seed, workers, on_replication_done, executor, sample_day=False)
    model, notes = analytic_model(base)
    points = tuple(SweepPoint(a, f, run, erlang_prediction(s, k)) for (a, f), s, run in zip(grid, scenarios, runs))
    return Sweep(scenario=base, points=points, seed=seed, replications=replications,
                 group=base.agents[g].name if agents else None, relative=relative, interval=k, vary=vary,
                 model=model, notes=tuple(notes))
