"""Intraday: from this morning's actuals to the rest of today, and what to do about it
(`callsim intraday SCENARIO --actuals ACTUALS.csv --now HH:MM`).

1. Actuals (`read_actuals`): the interval report `callsim fit --intervals` reads (interval, offered,
   answered, abandoned, aht_s, asa_s, optionally agents and queue; several queues' rows of an
   interval are added up), one row per interval of the scenario's day that started before `now`.
2. Re-forecast (`reforecast`), the ratio of actual to forecast so far, damped toward 1:
   volume factor = 1 + w (A / F - 1), w = n / (n + K), where A is the calls offered so far, F the
   scenario's forecast for the same time (the interval that holds `now` pro rata), n the
   intervals observed (the cut one as its share) and K = PRIOR_INTERVALS intervals of prior
   weight on the forecast: after one interval a 20% surplus moves the rest by 4% (K = 4), after
   K intervals by half of it, after many by nearly all of it. AHT the same way: the answered-
   weighted actual AHT over the scenario's handle time of those intervals, with n the intervals
   that answered calls. The factors scale the rest of the day's calls and every queue's talk and
   ACW (`Scenario.with_volume`-style variants, `with_scaled_durations`); busyness_cv stays (the
   day-to-day uncertainty that is left is not modelled apart).
3. The rest of the day (`rest_of_day`): the re-forecast scenario started from the centre's state
   at `now` (`Scenario.initial_state`: the STATE.yaml given, else nobody waiting or busy); the
   engine simulates no calls before `now`, the interval that holds it keeps its remaining share,
   callers already waiting have their patience drawn beyond their wait so far, busy agents their
   remaining time (simulator.starting_state).
4. Outlook, actions, suggestion (`intraday_study`): doing nothing, each `--action`
   (`studies.intraday_actions`) and with `suggest` the cheapest overtime are simulated on the same
   callers (`studies.compare.compare_scenarios`: same seed, same replications), each remaining
   interval judged against the targets as the optimiser judges it (`studies.optimize`'s
   constraints, on the mean), each action reported as paired differences against doing nothing.
   The suggestion is `studies.optimize.optimize_staffing` started from the scheduled staffing with
   every interval's minimum set to it and the intervals before `now` fixed: what it adds on top is
   overtime, confirmed on replications the search never used (from 1,000,000).
"""
from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from simulator.errors import UserError
from simulator.intents import scenario_mean_handle_time_s
from simulator.run import Estimate, RunResult
from simulator.scenario import Scenario, parse_clock
from simulator.schema_base import MAX_AGENTS, revised

from .intraday_actions import Action, parse_action

PRIOR_INTERVALS = 4  # K: the forecast's weight, in intervals of observation
OUTLOOK_KPIS = ("service_level", "asa", "abandon_rate", "occupancy")
DAY_KPIS = ("service_level", "asa", "abandon_rate")  # call-based: the empty hours before `now` do not dilute them
NOTHING = "as planned"
SUGGESTED = "suggested overtime"


class IntradayError(UserError):
    """Actuals or a --now that cannot be used; one line naming the file and row or the option."""


@dataclass(frozen=True)
class Actuals:
    """The report's rows as the scenario's intervals (queues added up), in interval order."""

    source: str
    intervals: tuple[int, ...]  # the scenario's interval index of each row
    offered: tuple[float, ...]
    answered: tuple[float, ...]
    abandoned: tuple[float, ...]
    aht_s: tuple[float, ...]  # answered-weighted over the queues
    agents: tuple[float, ...] | None


@dataclass(frozen=True)
class Now:
    """`--now` on the scenario's day: its offset, the interval that holds it and that interval's share left."""

    clock: str
    offset_s: float
    interval: int
    share_left: float


def parse_now(scenario: Scenario, clock: str) -> Now:
    try:
        offset = scenario.offset_of_clock(clock)
    except UserError as exc:
        raise IntradayError(f"--now {clock}: {exc}; give a time within the day") from None
    k = int(offset // scenario.interval_s)
    return Now(parse_clock(clock), offset, k, 1.0 - (offset - k * scenario.interval_s) / scenario.interval_s)


def read_actuals(path: str | Path, scenario: Scenario, now: Now) -> Actuals:
    """The interval report at `path`, checked against the scenario's day and `now` (module docstring)."""
    from .fit_input import FitInputError, read_interval_report

    try:
        report = read_interval_report(path)
    except FitInputError as exc:
        raise IntradayError(str(exc)) from None
    if len(np.unique(report.day)) > 1:
        raise IntradayError(f"{path}: holds {len(np.unique(report.day))} days; give today's intervals only")
    labels = scenario.interval_labels()
    by_interval: dict[int, list[int]] = {}
    seen: set[tuple[int, str]] = set()
    for i, tod in enumerate(report.time_of_day_s):
        row = i + 2
        clock = f"{int(tod) // 3600:02d}:{int(tod) % 3600 // 60:02d}"
        if tod % 60 or clock not in labels:
            raise IntradayError(f"{path}:{row}: interval {clock} is not an interval start of the scenario "
                                f"({labels[0]}, {labels[1] if len(labels) > 1 else ''}, ... {labels[-1]})")
        k = labels.index(clock)
        if k * scenario.interval_s >= now.offset_s:
            raise IntradayError(f"{path}:{row}: interval {clock} starts at or after --now {now.clock}; actuals are "
                                "for the intervals so far: remove the row or give a later --now")
        queue = "" if report.queue is None else str(report.queue[i])
        if (k, queue) in seen:
            raise IntradayError(f"{path}:{row}: a second row for {clock}{' ' + queue if queue else ''}; give one row "
                                "per interval (and queue)")
        seen.add((k, queue))
        by_interval.setdefault(k, []).append(i)
    order = sorted(by_interval)

    def total(values):
        return tuple(float(sum(values[i] for i in by_interval[k])) for k in order)

    answered = total(report.answered)
    handled = total(report.answered * report.aht_s)
    return Actuals(source=str(path), intervals=tuple(order), offered=total(report.offered), answered=answered,
                   abandoned=total(report.abandoned),
                   aht_s=tuple(h / a if a > 0 else math.nan for h, a in zip(handled, answered)),
                   agents=None if report.agents is None else total(report.agents))


@dataclass(frozen=True)
class Reforecast:
    """The damped ratios (module docstring) and the calls they give per interval."""

    prior_intervals: int
    observed_intervals: float  # n for the volume (the cut interval as its share)
    actual_calls: float  # A
    forecast_calls: float  # F
    volume_ratio: float  # A / F (nan when F = 0)
    volume_weight: float
    volume_factor: float
    aht_observed_intervals: float
    actual_aht_s: float  # answered-weighted, nan when nothing was answered
    forecast_aht_s: float
    aht_ratio: float
    aht_weight: float
    aht_factor: float
    calls: tuple[float, ...]  # the scenario's forecast per interval
    rest_calls: tuple[float, ...]  # the re-forecast calls per interval from `now` (0 before it)

    @property
    def method(self) -> str:
        return (f"ratio of actual to forecast so far, damped: factor = 1 + w (ratio - 1), w = n / (n + {self.prior_intervals}), "
                "n the intervals observed; the same for AHT (answered-weighted)")


def _damped(ratio: float, n: float, prior: int) -> tuple[float, float]:
    if not math.isfinite(ratio) or n <= 0:
        return 0.0, 1.0
    weight = n / (n + prior)
    return weight, 1.0 + weight * (ratio - 1.0)


def _handle_time_s(scenario: Scenario) -> list[float]:
    own = scenario.arrivals.handle_time_s
    return list(own) if own is not None else [scenario_mean_handle_time_s(scenario)] * scenario.n_intervals


def reforecast(scenario: Scenario, actuals: Actuals, now: Now, prior_intervals: int = PRIOR_INTERVALS) -> Reforecast:
    calls = scenario.arrivals.calls
    seen = [1.0 - now.share_left if k == now.interval else 1.0 for k in actuals.intervals]
    forecast = sum(calls[k] * s for k, s in zip(actuals.intervals, seen))
    actual = sum(actuals.offered)
    n = sum(s for k, s in zip(actuals.intervals, seen) if calls[k] > 0)
    ratio = actual / forecast if forecast > 0 else math.nan
    weight, factor = _damped(ratio, n, prior_intervals)
    handle = _handle_time_s(scenario)
    answered = np.array(actuals.answered)
    with_calls = answered > 0
    if with_calls.any():
        actual_aht = float(np.dot(answered[with_calls], np.array(actuals.aht_s)[with_calls]) / answered[with_calls].sum())
        expected_aht = float(np.dot(answered[with_calls], [handle[k] for k, w in zip(actuals.intervals, with_calls) if w])
                             / answered[with_calls].sum())
        n_aht = float(sum(s for s, w in zip(seen, with_calls) if w))
    else:
        actual_aht = expected_aht = math.nan
        n_aht = 0.0
    aht_ratio = actual_aht / expected_aht if expected_aht > 0 else math.nan
    aht_weight, aht_factor = _damped(aht_ratio, n_aht, prior_intervals)
    rest = [0.0 if k < now.interval else c * factor * (now.share_left if k == now.interval else 1.0)
            for k, c in enumerate(calls)]
    return Reforecast(prior_intervals, n, actual, forecast, ratio, weight, factor, n_aht, actual_aht, expected_aht,
                      aht_ratio, aht_weight, aht_factor, tuple(calls), tuple(rest))


def load_now_state(path: str | Path, scenario: Scenario, now: Now):
    """The STATE.yaml at `path`, checked against the scenario, taken at --now."""
    from simulator.initial_state import load_state

    state = load_state(path, scenario)
    if scenario.offset_of_clock(state.at) != now.offset_s:
        raise IntradayError(f"{path}: at {state.at} is not --now {now.clock}; give the state taken at --now")
    return state


def rest_of_day(scenario: Scenario, forecast: Reforecast, now: Now, state=None) -> Scenario:
    """The re-forecast scenario started from `state` (the STATE.yaml's, else nobody waiting or busy)
    at `now`: the engine keeps the day's callers from `now` on (the cut interval its remaining
    share), so the calls handed to it are whole intervals times the volume factor."""
    from simulator.initial_state import InitialState

    factor = forecast.volume_factor
    calls = tuple(c * factor if k >= now.interval else c for k, c in enumerate(scenario.arrivals.calls))
    state = InitialState(at=now.clock) if state is None else state
    rest = revised(scenario, arrivals=revised(scenario.arrivals, calls=calls), initial_state=state)
    if forecast.aht_factor != 1.0:
        rest = rest.with_scaled_durations("talk_time", forecast.aht_factor).with_scaled_durations("acw", forecast.aht_factor)
    return rest


# --- the outlook of one simulated variant -------------------------------------------------------


@dataclass(frozen=True)
class IntervalOutlook:
    interval: int
    label: str
    forecast_calls: float
    calls: float  # re-forecast
    kpis: dict[str, Estimate]
    missed: tuple[str, ...]  # labels of the targets missed (on the mean)
    service_level_short: float  # target - mean service level of the worst queue (the centre's with one), else 0


def outlook(run: RunResult, now: Now, forecast: Reforecast) -> tuple[IntervalOutlook, ...]:
    """Each remaining interval of `run` against the targets, judged as the optimiser judges (on the mean)."""
    from simulator.kpi_table import kpi_bounds

    from .optimize import check_intervals, target_constraints

    constraints = target_constraints(run.scenario)
    labels = {c.key: c.label for c in constraints}
    checks = check_intervals(run, constraints)
    service_levels = [c for c in constraints if c.kpi == "service_level"]  # the centre's, or each queue's
    rows = []
    for k in range(now.interval, run.scenario.n_intervals):
        kpis = {name: Estimate.of(run.per_replication[name][:, k], kpi_bounds(name))
                for name in OUTLOOK_KPIS if name in run.per_replication}
        means = [checks[k].values[c.key].mean for c in service_levels]
        short = max([c.target - m for c, m in zip(service_levels, means) if math.isfinite(m)] + [0.0])
        rows.append(IntervalOutlook(k, checks[k].interval, forecast.calls[k], forecast.rest_calls[k], kpis,
                                    tuple(labels[key] for key in checks[k].missed), short))
    return tuple(rows)


@dataclass(frozen=True)
class ActionOutcome:
    """One action (or the suggestion) against doing nothing, on the same callers."""

    label: str
    kind: str
    cost: float
    day: dict[str, Estimate]  # the rest of the day's KPIs with the action
    difference: dict[str, object]  # kpi -> studies.compare.Difference (action - nothing)
    intervals: tuple[IntervalOutlook, ...]

    @property
    def missing(self) -> tuple[int, ...]:
        return tuple(row.interval for row in self.intervals if row.missed)


@dataclass(frozen=True)
class Suggestion:
    """The cheapest overtime per group and remaining interval that meets every target (the optimiser)."""

    overtime: dict[str, tuple[int, ...]]  # per group, per interval (0 before now)
    actions: tuple[Action, ...]
    cost: float
    holds: bool  # every interval meets every target on the confirmation replications
    converged: bool
    confirm_replications: int
    confirm_first_replication: int
    infeasible: tuple[int, ...]  # intervals that miss whatever the optimiser may add
    staffing: dict[str, tuple[int, ...]]


def _quoted(name: str) -> str:
    return f'"{name}"' if any(c.isspace() for c in name) else name


def overtime_actions(scenario: Scenario, overtime: dict[str, Sequence[int]]) -> tuple[Action, ...]:
    """Overtime per group and interval as actions: one per run of intervals with the same extra agents."""
    labels = scenario.interval_labels()
    end = scenario.clock_at(scenario.n_intervals * scenario.interval_s)[:5]
    actions = []
    for group, extra in overtime.items():
        k = 0
        while k < len(extra):
            if extra[k] <= 0:
                k += 1
                continue
            first = k
            while k < len(extra) and extra[k] == extra[first]:
                k += 1
            until = labels[k] if k < len(labels) else end
            actions.append(Action(f"overtime {extra[first]} {_quoted(group)} {labels[first]}-{until}", "overtime",
                                  agents=extra[first], group=group, first=first, last=k))
    return tuple(actions)


def _limited_to_overtime(rest: Scenario, now: Now) -> Scenario:
    """The rest of the day with every group's minimum at its scheduled staffing (the optimiser may
    only add) and the intervals before `now` fixed (the past cannot be staffed)."""
    groups = []
    for g in rest.agents:
        _, high = g.agent_limits(rest.n_intervals)
        top = tuple(n if k < now.interval else max(n, MAX_AGENTS if h is None else h)
                    for k, (n, h) in enumerate(zip(g.staffing, high)))
        groups.append(revised(g, min_agents=tuple(g.staffing), max_agents=top))
    return revised(rest, agents=tuple(groups))


def suggest_overtime(rest: Scenario, now: Now, replications: int, seed: int, executor: Executor | None = None,
                     on_batch=None) -> Suggestion:
    from .optimize import optimize_staffing

    limited = _limited_to_overtime(rest, now)
    result = optimize_staffing(limited, start="scenario", replications=replications, seed=seed, executor=executor,
                               on_batch=on_batch)
    overtime = {g.name: tuple(max(0, s - n) for s, n in zip(result.final.staffing[i], g.staffing))
                for i, g in enumerate(rest.agents)}
    actions = overtime_actions(rest, overtime)
    return Suggestion(overtime=overtime, actions=actions, cost=sum(a.cost(rest) for a in actions), holds=result.holds,
                      converged=result.converged, confirm_replications=result.confirm_replications,
                      confirm_first_replication=result.confirm_first_replication,
                      infeasible=tuple(k for k in result.infeasible if k >= now.interval),
                      staffing=dict(result.staffing))


# --- the study -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntradayResult:
    scenario: Scenario  # as given
    rest: Scenario  # the re-forecast rest of the day, as simulated
    now: Now
    actuals: Actuals
    state_source: str | None  # the STATE.yaml the rest of the day started from (None: empty at now)
    forecast: Reforecast
    replications: int
    seed: int
    nothing: ActionOutcome  # doing nothing (differences empty)
    actions: tuple[ActionOutcome, ...]
    suggestion: Suggestion | None
    suggested: ActionOutcome | None  # the suggestion simulated on the same callers

    @property
    def labels(self) -> list[str]:
        return self.scenario.interval_labels()


def _outcome(comparison, index: int, label: str, kind: str, cost: float, now: Now, forecast: Reforecast) -> ActionOutcome:
    from simulator.kpi_table import kpi_bounds

    run = comparison.runs[index]
    day = {name: Estimate.of(run.per_replication[name][:, -1], kpi_bounds(name)) for name in DAY_KPIS}
    difference = {} if index == 0 else {name: comparison.difference(index, name) for name in DAY_KPIS}
    return ActionOutcome(label, kind, cost, day, difference, outlook(run, now, forecast))


def intraday_study(scenario: Scenario, actuals_path: str | Path, now_clock: str, state_path: str | Path | None = None,
                   actions: Sequence[str] = (),
                   suggest: bool = False, replications: int | None = None, seed: int | None = None,
                   executor: Executor | None = None, on_replication_done: Callable[[int, int], None] | None = None,
                   on_batch=None) -> IntradayResult:
    """The whole of `callsim intraday` (module docstring). Every input is checked before anything runs."""
    from simulator.scenario import replication_count

    from .compare import compare_scenarios

    now = parse_now(scenario, now_clock)
    actuals = read_actuals(actuals_path, scenario, now)
    state = None if state_path is None else load_now_state(state_path, scenario, now)
    parsed = [parse_action(text, scenario, now.interval) for text in actions]
    replications = replication_count(replications, scenario.simulation.replications)
    seed = scenario.simulation.seed if seed is None else seed
    forecast = reforecast(scenario, actuals, now)
    rest = rest_of_day(scenario, forecast, now, state)
    variants = [action.variant(rest) for action in parsed]  # a bad action fails before the runs
    suggestion = suggest_overtime(rest, now, replications, seed, executor, on_batch) if suggest else None
    scenarios = [rest, *variants]
    labels = [NOTHING, *(a.text for a in parsed)]
    if suggestion is not None:
        scenarios.append(rest.with_staffing(suggestion.staffing, what="the suggested overtime"))
        labels.append(SUGGESTED)
    comparison = compare_scenarios(scenarios, labels, replications=replications, seed=seed, executor=executor,
                                   on_replication_done=on_replication_done) if len(scenarios) > 1 else None
    if comparison is None:
        from simulator.batch import run_scenarios
        from .compare import Comparison

        runs = run_scenarios([rest], replications, seed, executor=executor, sample_day=False,
                             on_replication_done=on_replication_done)
        comparison = Comparison(labels=(NOTHING,), runs=tuple(runs), seed=seed, replications=replications)
    outcomes = [_outcome(comparison, i, labels[i], "nothing" if i == 0 else parsed[i - 1].kind,
                         0.0 if i == 0 else parsed[i - 1].cost(rest), now, forecast)
                for i in range(1 + len(parsed))]
    suggested = None
    if suggestion is not None:
        suggested = _outcome(comparison, len(scenarios) - 1, SUGGESTED, "overtime", suggestion.cost, now, forecast)
    return IntradayResult(scenario, rest, now, actuals, None if state_path is None else str(state_path), forecast, replications, seed, outcomes[0], tuple(outcomes[1:]),
                          suggestion, suggested)
