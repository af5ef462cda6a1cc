"""`callsim fit`: a scenario from real data, a call-by-call log or an interval report.

From a call log (`fit_call_log`):

* **Arrivals**: calls that reached a queue, counted per interval and day; the scenario's
  `arrivals.calls` is the mean over the chosen days, with its standard error (the days' spread).
  With several queues their shares of the day's calls become `arrivals.queue_shares` (the
  schema has one profile for all queues; the per-queue profiles are in the report).
* **Busyness** (`busyness_cv`): the day-to-day over-dispersion beyond Poisson, by the method of
  moments on the daily totals N_d. In the Poisson-gamma model a day's count has
  Var N = m + c^2 m^2 (m its mean), so c^2 = (s^2 - m) / m^2, set to 0 when the days vary less
  than Poisson would. It needs at least 2 days.
* **Talk time and ACW** per queue: every handled call's times, maximum-likelihood fits of four
  families chosen by AIC (`studies.fit_mle`), KS distance and a Q-Q plot. ACW that is always
  the same (0 when the log has none) is written as `fixed`.
* **Patience** per queue by censored maximum likelihood: an abandoner's wait is its patience;
  an answered (or called-back, or unserved) caller's wait is a lower bound on it (right-censored);
  balked callers are left out. The naive mean of the abandoners' waits is reported beside it to
  show how far off it is. **Balking**: the share of callers who hang up at once among those who
  would have had to wait (balked / (balked + callers who waited)).
* **Staffing**, when the log names agents: per group and interval the most agents seen starting a
  call in that interval on any one day (a lower bound on agents on shift: an agent who took no
  call is invisible); a group serves the queues it answered, most-answered first. Without agent
  ids the staffing is left as zeros for the user, with a marker in the file.

From an interval report (`fit_interval_report`): arrivals (mean offered per interval) and
busyness as above; talk time exponential with the report's AHT (a report gives means only;
ACW is inside AHT); patience exponential, calibrated so that the simulated abandonment matches
the reported one (`calibrate_patience`). With a `queue` column (one row per day, interval and
queue): `arrivals.calls` is the queues' total offered, `queue_shares` each queue's share of it,
the AHT is each queue's own (answered-weighted), every queue gets its own agent group (its rows'
`agents`), and each queue's patience is calibrated to its own abandonment
(`calibrate_patience_per_queue`).
"""
from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from simulator.errors import UserError
from simulator.loading import scenario_from_dict
from simulator.scenario import Scenario
from simulator.schema_base import revised

from .fit_input import HANDLED, CallLog, FitInputError, IntervalReport
from .fit_mle import PLAUSIBLE_DELTA_AIC, DurationFit, fit_durations

MIN_CALLS = 30  # fewer handled calls than this in a queue: no talk-time fit
MIN_ABANDONS = 30  # fewer abandons: patience as exponential only (one parameter), with a warning


@dataclass(frozen=True)
class ArrivalFit:
    start: str  # HH:MM of the first interval
    interval_minutes: int
    days: tuple[str, ...]
    counts: np.ndarray = field(repr=False)  # (days, intervals): calls that reached a queue
    per_queue: dict = field(repr=False)  # queue -> (days, intervals)
    busyness_cv: float = 0.0

    @property
    def calls_mean(self) -> np.ndarray:
        return self.counts.mean(axis=0)

    @property
    def calls_se(self) -> np.ndarray:
        n = self.counts.shape[0]
        return self.counts.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.full(self.counts.shape[1], math.nan)

    @property
    def queue_shares(self) -> dict[str, float]:
        total = self.counts.sum()
        return {q: float(c.sum() / total) for q, c in self.per_queue.items()}


@dataclass(frozen=True)
class QueueFit:
    name: str
    calls: int  # calls that reached the queue
    handled: int
    talk: DurationFit | None
    acw: DurationFit | None  # None: ACW fixed at acw_fixed_s
    acw_fixed_s: float
    patience: DurationFit | None  # None: no abandons seen
    naive_patience_s: float  # mean wait of abandoners (biased low: shown for contrast)
    abandoned: int
    balked: int
    waited: int  # callers who had to wait (balk denominator, with the balked)
    balk_probability: float


@dataclass(frozen=True)
class Calibration:
    """Patience calibrated by simulation to a reported abandonment rate."""

    target_abandon_rate: float
    little_estimate_s: float  # the Little's-law start, before simulation
    patience_mean_s: float
    simulated_abandon_rate: float
    steps: tuple[tuple[float, float], ...]  # (patience mean, simulated abandonment) tried
    replications: int
    simulated_asa_s: float = math.nan  # at the calibrated patience, to set beside the reported ASA
    reported_asa_s: float = math.nan

    @property
    def sensitivity_per_doubling(self) -> float:
        """Change of the simulated abandonment per doubling of the patience mean (least squares
        over the steps tried): how firmly the report's abandonment pins patience down."""
        if len(self.steps) < 2:
            return math.nan
        x = np.log2([s[0] for s in self.steps])
        y = np.array([s[1] for s in self.steps])
        return float(np.polyfit(x, y, 1)[0]) if np.ptp(x) > 0 else math.nan


@dataclass(frozen=True)
class FitResult:
    source: str
    kind: str  # "call log" or "interval report"
    arrivals: ArrivalFit
    queues: tuple[QueueFit, ...]
    staffing: dict[str, tuple[int, ...]] | None  # None: not in the data
    serves: dict[str, tuple[str, ...]]
    scenario: Scenario
    warnings: tuple[str, ...]
    calibration: Calibration | None = None
    report_aht_s: float | None = None
    # an interval report with several queues: each queue's calibration and AHT (calibration is None then)
    calibrations: dict[str, Calibration] | None = None
    report_aht_by_queue_s: dict[str, float] | None = None


def _clock(seconds: float) -> str:
    total = int(seconds) // 60
    return f"{(total // 60) % 24:02d}:{total % 60:02d}"


def _grid(time_of_day_s: np.ndarray, interval_minutes: int) -> tuple[float, int, np.ndarray]:
    """(start of the first interval, number of intervals, interval index of each time)."""
    step = interval_minutes * 60.0
    start = math.floor(time_of_day_s.min() / step) * step
    index = np.floor((time_of_day_s - start) / step).astype(np.int64)
    return start, int(index.max()) + 1, index


def _busyness(counts: np.ndarray) -> float:
    totals = counts.sum(axis=1)
    if len(totals) < 2 or totals.mean() <= 0:
        return 0.0
    m, s2 = totals.mean(), totals.var(ddof=1)
    return float(math.sqrt(max(s2 - m, 0.0)) / m)


# a day's run of empty intervals at its start or end is called cut short when the other days
# average at least this many calls there (Poisson: P(no call | mean 5) = e^-5, under 1%)
PARTIAL_DAY_MIN_CALLS = 5.0


def partial_day_warnings(counts: np.ndarray, days, start_s: float, step_s: float) -> list[str]:
    """The first or last chosen day when it has no calls in a run of intervals at its start or
    end where the other days have PARTIAL_DAY_MIN_CALLS or more: a log exported mid-day, say. Such
    a day pulls those intervals' mean down and inflates busyness_cv."""
    if len(days) < 2:
        return []
    warnings = []
    for which, d in (("first", 0), ("last", len(days) - 1)):
        row = counts[d]
        others = np.delete(counts, d, axis=0).mean(axis=0)
        calls = np.flatnonzero(row > 0)
        if not len(calls):
            continue
        empty = slice(0, calls[0]) if which == "first" else slice(calls[-1] + 1, len(row))
        expected = float(others[empty].sum())
        if expected < PARTIAL_DAY_MIN_CALLS:
            continue
        edge = _clock(start_s + step_s * (calls[0] if which == "first" else calls[-1] + 1))
        when = f"before {edge}" if which == "first" else f"from {edge} on"
        warnings.append(f"the {which} day, {days[d]}, has no calls {when}, where the other days have {expected:,.0f} "
                        "on average: it looks cut short (a partial day); it pulls those intervals' mean calls down "
                        "and busyness_cv up; leave it out with --days")
    return warnings


def _counts(day: np.ndarray, interval: np.ndarray, n: int, mask: np.ndarray, days: np.ndarray) -> np.ndarray:
    d = np.searchsorted(days, day[mask])
    out = np.zeros((len(days), n))
    np.add.at(out, (d, interval[mask]), 1)
    return out


def _round(value: float, digits: int = 4) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


def distribution_dict(fit) -> dict:
    """The scenario-file mapping of a FamilyFit."""
    return {"dist": fit.family, **{k: _round(v) for k, v in fit.params.items()}}


def _queue_fit(log: CallLog, name: str, warnings: list[str]) -> QueueFit:
    here = log.queue == name
    outcome = log.outcome[here]
    wait = log.wait_s[here]
    handled = np.isin(outcome, HANDLED)
    if handled.sum() < MIN_CALLS:
        raise FitInputError(f"{log.source}: queue '{name}': only {int(handled.sum())} handled calls; too few to fit "
                            f"talk time (at least {MIN_CALLS}); choose more days or leave the queue out of the log")
    talk_values = log.talk_s[here][handled]
    if (talk_values > 0).sum() < MIN_CALLS:
        raise FitInputError(f"{log.source}: queue '{name}': only {int((talk_values > 0).sum())} handled calls with a "
                            f"talk time above 0 s; too few to fit talk time (at least {MIN_CALLS}); check the talk "
                            "column (--columns talk=HEADER)")
    talk = fit_durations(talk_values[talk_values > 0])
    if int((talk_values <= 0).sum()):
        warnings.append(f"queue '{name}': {int((talk_values <= 0).sum())} handled calls with zero talk time left out "
                        "of the talk-time fit")
    acw_values = log.acw_s[here][handled]
    acw_values = acw_values[np.isfinite(acw_values)]
    acw, acw_fixed = None, float(acw_values.mean()) if len(acw_values) else 0.0
    if len(acw_values) and acw_values.max() > 0 and np.ptp(acw_values) > 0:
        positive = acw_values[acw_values > 0]
        if len(positive) >= MIN_CALLS:
            acw = fit_durations(positive)
            if len(positive) < len(acw_values):
                warnings.append(f"queue '{name}': {len(acw_values) - len(positive)} calls with zero ACW; the ACW fit "
                                "is of the others (the mean is overstated by their share)")
        else:
            warnings.append(f"queue '{name}': only {len(positive)} calls with ACW; ACW written as fixed at the mean, "
                            f"{acw_fixed:.1f} s")
    abandoned = outcome == "abandoned"
    balked = outcome == "balked"
    censored = np.isin(outcome, ("answered", "callback_completed", "callback_failed", "unserved"))
    observed = np.maximum(wait[abandoned], 1e-3)  # an abandon at 0 s is kept, at 1 ms
    patience = None
    if abandoned.sum() >= MIN_ABANDONS:
        patience = fit_durations(observed, wait[censored])
    elif abandoned.sum() > 0:
        patience = fit_durations(observed, wait[censored])
        patience = DurationFit(candidates=tuple(c for c in patience.candidates if c.family == "exponential"),
                               observed_s=patience.observed_s, censored_s=patience.censored_s)
        warnings.append(f"queue '{name}': only {int(abandoned.sum())} abandons; patience fitted as exponential only "
                        f"(at least {MIN_ABANDONS} for a choice of family); its mean is uncertain")
    else:
        warnings.append(f"queue '{name}': no abandons in the log; patience left out (callers never abandon): the "
                        "data cannot tell how patient they are")
    waited = int(((wait > 0) & ~balked).sum())
    n_balked = int(balked.sum())
    return QueueFit(name=name, calls=int(here.sum()), handled=int(handled.sum()), talk=talk, acw=acw,
                    acw_fixed_s=acw_fixed, patience=patience,
                    naive_patience_s=float(wait[abandoned].mean()) if abandoned.any() else math.nan,
                    abandoned=int(abandoned.sum()), balked=n_balked, waited=waited,
                    balk_probability=n_balked / (n_balked + waited) if n_balked else 0.0)


def _staffing(log: CallLog, mask: np.ndarray, days: np.ndarray, start: float, step: float, n: int):
    """Per group: the most distinct agents seen answering a call in each interval on one day."""
    if log.agent_id is None or not (log.agent_id[mask] != "").any():
        return None, {}
    handled = mask & np.isin(log.outcome, HANDLED) & (log.agent_id != "")
    answered_at = log.time_of_day_s + log.ivr_s + log.wait_s
    interval = np.floor((answered_at - start) / step).astype(np.int64)
    groups = log.agent_group if log.agent_group is not None else np.full(len(log), "agents")
    groups = np.where(groups == "", "agents", groups)
    staffing, serves = {}, {}
    inside = handled & (interval >= 0) & (interval < n)
    day_index = np.searchsorted(days, log.day)
    for group in sorted(set(groups[handled])):
        mine = inside & (groups == group)
        # distinct (day, interval, agent) triples, then agents per (day, interval), then the busiest day
        _, agent_code = np.unique(log.agent_id[mine], return_inverse=True)
        triples = np.unique(np.stack([day_index[mine], interval[mine], agent_code]), axis=1)
        seen = np.zeros((len(days), n), dtype=int)
        np.add.at(seen, (triples[0], triples[1]), 1)
        staffing[group] = tuple(int(v) for v in seen.max(axis=0))
        queues, counts = np.unique(log.queue[handled & (groups == group)], return_counts=True)
        serves[group] = tuple(str(q) for q in queues[np.argsort(-counts, kind="stable")])
    return staffing, serves


def _scenario(name: str, description: str, arrivals: ArrivalFit, queue_dicts: list[dict], staffing, serves,
              source: str) -> Scenario:
    n = arrivals.counts.shape[1]
    if staffing is None:
        agents = [{"name": "agents", "serves": [q["name"] for q in queue_dicts], "staffing": [0] * n}]
    else:
        agents = [{"name": g, "serves": list(serves[g]), "staffing": list(staffing[g])} for g in staffing]
    data = {
        "schema_version": 1,
        "name": name,
        "description": description,
        "interval_minutes": arrivals.interval_minutes,
        "start": arrivals.start,
        "arrivals": {"calls": [round(float(c), 2) for c in arrivals.calls_mean]},
        "queues": queue_dicts,
        "agents": agents,
    }
    if arrivals.busyness_cv > 0:
        data["arrivals"]["busyness_cv"] = round(min(arrivals.busyness_cv, 2.0), 3)
    if len(queue_dicts) > 1:
        shares = {q: round(s, 4) for q, s in arrivals.queue_shares.items()}
        last = queue_dicts[-1]["name"]
        shares[last] = round(1 - sum(v for k, v in shares.items() if k != last), 4)
        data["arrivals"]["queue_shares"] = shares
    try:
        return scenario_from_dict(data, source=f"the scenario fitted from {source}")
    except UserError as exc:  # the fit produced something the schema refuses: say so plainly
        raise FitInputError(f"{source}: the fitted values do not make a valid scenario: {exc}") from None


def _quiet_numerics(function):
    """Run `function` without numpy's and scipy's warnings on stderr: the optimisers try
    parameters that overflow on the way to the maximum, and a sample too small for a test gives
    NaN; the fit judges its own results (AIC, KS, the fitted scenario validated) and says so in one
    line, which 4 to 14 lines of warnings printed before it hid."""
    @functools.wraps(function)
    def quiet(*args, **kwargs):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return function(*args, **kwargs)
    return quiet


@_quiet_numerics
def fit_call_log(log: CallLog, keep: np.ndarray, interval_minutes: int = 30, name: str | None = None) -> FitResult:
    """Fit a scenario to the calls of `log` selected by `keep` (see the module docstring)."""
    warnings: list[str] = []
    reached = keep & (log.queue != "")
    if not reached.any():
        raise FitInputError(f"{log.source}: no call on the chosen days reached a queue; nothing to fit")
    ended_in_ivr = int((keep & (log.queue == "")).sum())
    if ended_in_ivr:
        warnings.append(f"{ended_in_ivr} calls ended in the IVR and are not counted as arrivals (the fitted scenario "
                        "has no IVR; add one by hand to model it)")
    if (log.ivr_s[reached] > 0).any():
        warnings.append(f"callers spent a mean {log.ivr_s[reached].mean():.1f} s in the IVR before queueing; the "
                        "fitted scenario has no IVR, so that time is left out")
    if log.caller_id is not None:
        callers = log.caller_id[reached & (log.caller_id != "")]
        again = len(callers) - len(np.unique(callers))
        if again:
            warnings.append(f"{again:,} calls are redials or repeat calls of a caller seen before (caller_id); they are "
                            "counted as arrivals (the fitted scenario has no return_calls)")
    step = interval_minutes * 60.0
    start, n, index = _grid(log.time_of_day_s[keep], interval_minutes)
    interval = np.zeros(len(log), dtype=np.int64)
    interval[keep] = index
    days = np.unique(log.day[keep])
    counts = _counts(log.day, interval, n, reached, days)
    queues = sorted(set(log.queue[reached]), key=lambda q: -int((log.queue[reached] == q).sum()))
    per_queue = {q: _counts(log.day, interval, n, reached & (log.queue == q), days) for q in queues}
    if len(days) < 2:
        warnings.append("one day only: busyness_cv (day-to-day variation) cannot be estimated and is left at 0")
    warnings += partial_day_warnings(counts, days, start, step)
    arrivals = ArrivalFit(start=_clock(start), interval_minutes=interval_minutes,
                          days=tuple(str(d) for d in days), counts=counts, per_queue=per_queue,
                          busyness_cv=_busyness(counts))
    sub = _subset(log, keep)
    fits = [_queue_fit(sub, q, warnings) for q in queues]
    queue_dicts = []
    for fit in fits:
        entry = {"name": fit.name, "talk_time": distribution_dict(fit.talk.best)}
        entry["acw"] = distribution_dict(fit.acw.best) if fit.acw else {"dist": "fixed", "mean": _round(fit.acw_fixed_s)}
        if fit.patience is not None:
            entry["patience"] = distribution_dict(fit.patience.best)
        if fit.balked:
            entry["balk_probability"] = _round(fit.balk_probability)
        queue_dicts.append(entry)
        for what, duration in (("talk time", fit.talk), ("ACW", fit.acw), ("patience", fit.patience)):
            if duration is not None and duration.uncertain_choice:
                warnings.append(uncertain_family_warning(fit.name, what, duration))
            if duration is not None and duration.poor:
                warnings.append(f"queue '{fit.name}': poor {what} fit: the best family ({duration.best.family}) is "
                                f"KS distance {duration.best.ks_distance:.3f} from the data (> 0.05 and the 1% critical "
                                "value); see the plots, or use dist: empirical")
    staffing, serves = _staffing(log, keep, days, start, step, n)
    if staffing is None:
        warnings.append("the log names no agents: staffing is left as zeros; fill it in (or run callsim plan on it)")
    description = (f"Fitted by callsim fit from {log.source}: {len(days)} day(s) {days[0]} to {days[-1]}, "
                   f"{int(reached.sum()):,} calls that reached a queue. Arrivals: mean per interval over the days; "
                   "busyness_cv by the method of moments; durations: maximum likelihood, family by AIC; patience: "
                   "censored maximum likelihood (answered callers' waits censored).")
    scenario = _scenario(name or f"Fitted from {log.source}", description, arrivals, queue_dicts, staffing, serves,
                         log.source)
    return FitResult(source=log.source, kind="call log", arrivals=arrivals, queues=tuple(fits), staffing=staffing,
                     serves=serves, scenario=scenario, warnings=tuple(warnings))


def uncertain_family_warning(queue: str, what: str, duration: DurationFit) -> str:
    best, others = duration.best, duration.plausible[1:]
    low, high = duration.plausible_means_s
    rivals = ", ".join(f"{c.family} (AIC +{c.aic - best.aic:.2f}, mean {c.mean_s:,.0f} s)" for c in others)
    return (f"queue '{queue}': the {what} family is uncertain: {best.family} (mean {best.mean_s:,.0f} s, 95% CI "
            f"{best.mean_s - 1.96 * best.mean_se_s:,.0f} to {best.mean_s + 1.96 * best.mean_se_s:,.0f} s) was chosen, "
            f"but {rivals} fit about as well (AIC within {PLAUSIBLE_DELTA_AIC:g}); the mean {what} is anywhere from "
            f"{low:,.0f} to {high:,.0f} s as far as this log can tell: try the scenario with each, or fit more days")


def _subset(log: CallLog, keep: np.ndarray) -> CallLog:
    def cut(values):
        return None if values is None else values[keep]

    return CallLog(source=log.source, day=log.day[keep], time_of_day_s=log.time_of_day_s[keep], queue=log.queue[keep],
                   outcome=log.outcome[keep], wait_s=log.wait_s[keep], talk_s=log.talk_s[keep], acw_s=log.acw_s[keep],
                   ivr_s=log.ivr_s[keep], agent_group=cut(log.agent_group), agent_id=cut(log.agent_id),
                   caller_id=cut(log.caller_id))


# --- interval reports ------------------------------------------------------------------------


def little_patience_s(report: IntervalReport, keep: np.ndarray) -> float:
    """Mean patience from Little's law, before any simulation.

    With exponential patience of mean theta, callers abandon at rate (callers waiting) / theta,
    so abandoned = (total time spent waiting) / theta, exactly. A report gives the answered
    callers' waits (answered x ASA) but not the abandoners'; taking those as ASA too gives
    theta ~ (answered + abandoned) x ASA / abandoned.
    """
    waiting_s = float(((report.answered + report.abandoned) * report.asa_s)[keep].sum())
    abandoned = float(report.abandoned[keep].sum())
    return waiting_s / abandoned if abandoned > 0 else math.inf


def calibrate_patience(scenario: Scenario, target_abandon_rate: float, start_s: float, replications: int = 10,
                       seed: int = 20261123, executor=None, steps: int = 12,
                       on_replication_done: Callable[[int, int], None] | None = None) -> Calibration:
    """The exponential patience mean whose simulated abandonment matches `target_abandon_rate`.

    Bisection on log(patience mean) between start/16 and start x 16: every step simulates the
    scenario with that patience on the same callers (same seed: common random numbers; a longer
    patience scales every caller's patience, so fewer abandon), and keeps the half where the
    simulated day's abandonment rate crosses the target. Stops after `steps` halvings (a factor
    16^(2^-steps)) or when the simulated rate is within 2% (relative) of the target.
    """
    from simulator.run import run_scenario

    def simulated(mean_s: float) -> tuple[float, float]:
        variant = scenario.with_scaled_durations("patience", mean_s / scenario.queues[0].patience.mean_s)
        result = run_scenario(variant, replications=replications, seed=seed, executor=executor,
                              on_replication_done=on_replication_done)
        return float(result.day["abandon_rate"].mean), float(result.day["asa"].mean)

    low, high = math.log(start_s / 16), math.log(start_s * 16)
    tried = []
    best = (math.inf, start_s, math.nan, math.nan)
    for _ in range(steps):
        middle = (low + high) / 2
        rate, asa = simulated(math.exp(middle))
        tried.append((math.exp(middle), rate))
        gap = abs(rate - target_abandon_rate)
        if gap < best[0]:
            best = (gap, math.exp(middle), rate, asa)
        if gap <= 0.02 * target_abandon_rate:
            break
        if rate > target_abandon_rate:  # too many abandon: callers must be more patient
            low = middle
        else:
            high = middle
    return Calibration(target_abandon_rate=target_abandon_rate, little_estimate_s=start_s, patience_mean_s=best[1],
                       simulated_abandon_rate=best[2], steps=tuple(tried), replications=replications,
                       simulated_asa_s=best[3])


def calibrate_patience_per_queue(scenario: Scenario, targets: dict[str, float], starts: dict[str, float],
                                 replications: int = 10, seed: int = 20261123, executor=None,
                                 steps: int = 12, on_replication_done: Callable[[int, int], None] | None = None
                                 ) -> dict[str, Calibration]:
    """Each queue's exponential patience mean so that its simulated abandonment matches its target.

    The bisection of `calibrate_patience`, run for every queue at once: each step simulates the
    scenario once with every queue at the middle of its own bracket (same callers every step),
    and each queue keeps the half where its own abandonment crosses its own target. A queue stops
    moving once it is within 2% (relative) of its target. The fitted scenario gives every queue its
    own agent group, so a queue's abandonment depends on its own patience only and the bisections
    do not disturb one another.
    """
    from simulator.run import run_scenario

    names = [q.name for q in scenario.queues if q.name in targets]
    low = {q: math.log(starts[q] / 16) for q in names}
    high = {q: math.log(starts[q] * 16) for q in names}
    current = {q: math.exp((low[q] + high[q]) / 2) for q in names}
    done: set[str] = set()
    tried = {q: [] for q in names}
    best = {q: (math.inf, starts[q], math.nan, math.nan) for q in names}
    for _ in range(steps):
        variant = revised(scenario, queues=tuple(
            revised(q, patience=q.patience.scaled(current[q.name] / q.patience.mean_s)) if q.name in current else q
            for q in scenario.queues))
        result = run_scenario(variant, replications=replications, seed=seed, executor=executor,
                              on_replication_done=on_replication_done)
        per_queue = result.breakdown_per_replication["queues"]
        for q in names:
            rate = float(np.mean(per_queue[q]["abandon_rate"][:, -1]))
            asa = float(np.nanmean(per_queue[q]["asa"][:, -1]))
            if q in done:
                continue
            tried[q].append((current[q], rate))
            gap = abs(rate - targets[q])
            if gap < best[q][0]:
                best[q] = (gap, current[q], rate, asa)
            if gap <= 0.02 * targets[q]:
                done.add(q)
                continue
            middle = math.log(current[q])
            if rate > targets[q]:  # too many abandon: callers must be more patient
                low[q] = middle
            else:
                high[q] = middle
            current[q] = math.exp((low[q] + high[q]) / 2)
        if len(done) == len(names):
            break
    return {q: Calibration(target_abandon_rate=targets[q], little_estimate_s=starts[q], patience_mean_s=best[q][1],
                           simulated_abandon_rate=best[q][2], steps=tuple(tried[q]), replications=replications,
                           simulated_asa_s=best[q][3]) for q in names}


def _report_queues(report: IntervalReport, keep: np.ndarray) -> tuple[str, ...]:
    """The report's queues in order of first appearance; ("calls",) for a report of one queue."""
    if report.queue is None:
        return ("calls",)
    names, first = np.unique(report.queue[keep], return_index=True)
    return tuple(str(q) for q in names[np.argsort(first)])


@_quiet_numerics
def fit_interval_report(report: IntervalReport, keep: np.ndarray, interval_minutes: int = 30,
                        name: str | None = None, calibrate: bool = True, replications: int = 10,
                        executor=None, aht_cv: float | None = None,
                        on_replication_done: Callable[[int, int], None] | None = None) -> FitResult:
    """A scenario from an interval report (see the module docstring): one queue, or one per value
    of the report's `queue` column. `on_replication_done(done, total)` follows the simulations
    that calibrate the patience."""
    warnings: list[str] = []
    start, n, index = _grid(report.time_of_day_s[keep], interval_minutes)
    if np.any(np.abs((report.time_of_day_s[keep] - start) / (interval_minutes * 60) - index) > 1e-6):
        raise FitInputError(f"{report.source}: interval starts are not on a {interval_minutes}-minute grid; "
                            "give --interval-minutes the report's interval length")
    names = _report_queues(report, keep)
    several = report.queue is not None
    queue_index = (np.searchsorted(np.array(sorted(names)), report.queue[keep]) if several
                   else np.zeros(int(keep.sum()), dtype=np.int64))
    days = np.unique(report.day[keep])
    d = np.searchsorted(days, report.day[keep])
    slots = (d * n + index) * len(names) + queue_index
    unique_slots, first, seen = np.unique(slots, return_index=True, return_counts=True)
    if (seen > 1).any():  # one row per interval and day (and queue)
        twice = unique_slots[seen > 1][0]
        rows = np.flatnonzero(keep)[np.flatnonzero(slots == twice)[:2]] + 2
        if several:
            raise FitInputError(f"{report.source}:{rows[1]}: the same day, interval and queue as row {rows[0]}; give "
                                "one row per interval and queue")
        raise FitInputError(f"{report.source}:{rows[1]}: the same day and interval as row {rows[0]}; give one row per "
                            "interval (a report of one queue, or the queues' totals), or add a 'queue' column")
    rows_of = {q: (report.queue[keep] == q) if several else np.ones(int(keep.sum()), dtype=bool) for q in names}
    per_queue = {}
    for q in names:
        counts_q = np.zeros((len(days), n))
        np.add.at(counts_q, (d[rows_of[q]], index[rows_of[q]]), report.offered[keep][rows_of[q]])
        per_queue[q] = counts_q
    counts = sum(per_queue.values())
    warnings += partial_day_warnings(counts, days, start, interval_minutes * 60.0)
    arrivals = ArrivalFit(start=_clock(start), interval_minutes=interval_minutes, days=tuple(str(x) for x in days),
                          counts=counts, per_queue=per_queue, busyness_cv=_busyness(counts))
    answered_all = report.answered[keep]
    kept_rows = np.flatnonzero(keep)
    queue_dicts, aht_by_queue, targets, littles = [], {}, {}, {}
    for q in names:
        mine = rows_of[q]
        answered = answered_all[mine]
        if answered.sum() < MIN_CALLS:
            where = f" in queue '{q}'" if several else ""
            raise FitInputError(f"{report.source}: only {answered.sum():g} answered calls{where}; too few to fit (at "
                                f"least {MIN_CALLS})")
        aht = float((report.aht_s[keep][mine] * answered).sum() / answered.sum())
        aht_by_queue[q] = aht
        if aht_cv is None or aht_cv == 1:
            queue = {"name": q, "talk_time": {"dist": "exponential", "mean": _round(aht)}}
        else:
            queue = {"name": q, "talk_time": {"dist": "lognormal", "mean": _round(aht), "cv": aht_cv}}
        queue_mask = np.zeros(len(report.day), dtype=bool)
        queue_mask[kept_rows[mine]] = True
        little = little_patience_s(report, queue_mask)
        if math.isfinite(little) and little > 0:
            queue["patience"] = {"dist": "exponential", "mean": _round(little)}
            targets[q] = float(report.abandoned[queue_mask].sum() / report.offered[queue_mask].sum())
            littles[q] = little
        else:
            warnings.append(f"no abandons in the report{f' for queue {q!r}' if several else ''}: patience left out "
                            "(callers never abandon)")
        queue_dicts.append(queue)
    if aht_cv is None or aht_cv == 1:
        warnings.append("the report gives mean handle times only: talk time is exponential with the report's AHT "
                        "(ACW included); give --aht-cv if you know the spread (the calibrated patience absorbs a "
                        "wrong handle-time spread)")
    staffing = None
    if several:  # one agent group per queue: the report counts each queue's agents on its own rows
        serves = {f"{q} agents": (q,) for q in names}
    else:
        serves = {"agents": ("calls",)}
    if report.agents is not None:
        staffing = {}
        for q, group in zip(names, serves):
            agents = np.zeros((len(days), n))
            np.add.at(agents, (d[rows_of[q]], index[rows_of[q]]), report.agents[keep][rows_of[q]])
            staffing[group] = tuple(int(round(v)) for v in agents.mean(axis=0))
    description = (f"Fitted by callsim fit from the interval report {report.source}: {len(days)} day(s). Arrivals: "
                   "mean offered per interval" + (" (all queues; queue_shares from each queue's offered)" if several
                                                  else "") +
                   "; talk time: the report's AHT (exponential, or lognormal with the given cv); "
                   "patience: exponential, " +
                   ("calibrated so the simulated abandonment matches the report's"
                    + (", queue by queue." if several else ".")
                    if targets and staffing is not None and calibrate else
                    "the Little's-law estimate (abandoners' waits taken as ASA), not calibrated: the report has no "
                    "staffing to simulate with."))
    title = name or f"Fitted from {report.source}"
    scenario = _scenario(title, description, arrivals, queue_dicts, staffing, serves, report.source)
    calibration, calibrations = None, None
    if targets:
        if staffing is not None and calibrate:
            def reported_asa(q: str) -> float:
                answered = answered_all[rows_of[q]]
                return float((report.asa_s[keep][rows_of[q]] * answered).sum() / answered.sum())

            if several:
                calibrations = calibrate_patience_per_queue(scenario, targets, littles, replications=replications,
                                                            executor=executor, on_replication_done=on_replication_done)
                calibrations = {q: replace(c, reported_asa_s=reported_asa(q)) for q, c in calibrations.items()}
                for queue in queue_dicts:
                    if queue["name"] in calibrations:
                        queue["patience"] = {"dist": "exponential",
                                             "mean": _round(calibrations[queue["name"]].patience_mean_s)}
            else:
                calibration = calibrate_patience(scenario, targets["calls"], littles["calls"],
                                                 replications=replications, executor=executor,
                                                 on_replication_done=on_replication_done)
                calibration = replace(calibration, reported_asa_s=reported_asa("calls"))
                calibrations = {"calls": calibration}
                queue_dicts[0]["patience"] = {"dist": "exponential", "mean": _round(calibration.patience_mean_s)}
            scenario = _scenario(title, description, arrivals, queue_dicts, staffing, serves, report.source)
            for q, c in calibrations.items():
                if abs(c.simulated_asa_s - c.reported_asa_s) > 0.2 * c.reported_asa_s:
                    warnings.append(f"{f'queue {q!r}: ' if several else ''}at the calibrated patience the simulated "
                                    f"ASA is {c.simulated_asa_s:.1f} s against the report's {c.reported_asa_s:.1f} s: "
                                    "the handle-time spread or the staffing is likely off, and the patience has "
                                    "absorbed it (try --aht-cv)")
            if not several:
                calibrations = None
        else:
            warnings.append("the report has no staffed agents: patience is the Little's-law estimate (abandoners' "
                            "waits taken as ASA), not calibrated by simulation")
    if staffing is None:
        warnings.append("the report has no 'agents' column: staffing is left as zeros; fill it in")
    return FitResult(source=report.source, kind="interval report", arrivals=arrivals, queues=(), staffing=staffing,
                     serves=serves, scenario=scenario, warnings=tuple(warnings),
                     calibration=calibration, report_aht_s=aht_by_queue[names[0]] if not several else None,
                     calibrations=calibrations, report_aht_by_queue_s=aht_by_queue if several else None)
