"""`callsim forecast`: calls per interval for the days ahead, from history, with the method chosen
by a rolling-origin backtest and an 80% prediction interval calibrated on that backtest.

Methods (one registry, `METHODS`; each maps the days before an origin to the days after it):

- `seasonal_naive`: each interval as on the last open same weekday;
- `weekday_mean_4`, `weekday_mean_8`: the mean of the last 4 (8) same weekdays, per interval;
- `ets_profile`: a day-level x intraday-profile model. The day's total calls follow Holt-Winters
  exponential smoothing with a weekly season (statsmodels; additive level and season on
  log(1 + calls) of the last 26 weeks, so weekday effects are factors), spread over the day by the
  weekday's intraday profile (its share of calls per interval over the last 8 same weekdays).

- `combined`: the mean of the three above (forecast combination: their errors differ).

Backtest: origins every 7 days over the last weeks (at most 4, each with at least 4 weeks of
history before it where the history allows), each forecasting min(horizon, 28) days from the
days before it only; scored per interval (MAPE over intervals that had calls, MAE
and bias over the open intervals) and per day. The best interval MAPE is chosen.

Prediction interval: calls in an interval ~ Poisson-gamma (negative binomial) with the forecast
as mean and variance f + c^2 f^2; c is set so that 80% of the backtest's intervals fall inside
the interval from its 10% to its 90% quantile (c = 0 if Poisson noise alone already covers 80%).
The day-level CV of the errors beyond Poisson noise, sqrt(mean(((A - F)^2 - F) / F^2)) over the
backtest days, is the `busyness_cv` a scenario reading the forecast carries into the plan.

Closed periods (`--closed`) are left out of training and scoring and forecast at 0. The weekly
opening pattern is learned from the last 8 of each weekday: an interval that had no call on any
of them is forecast at 0 (and the file covers the intervals any weekday has calls in); the usual
opening hours (calls on most of those days) are reported.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .forecast_input import Closed, ForecastInputError, History, check_horizon

BACKTEST_DAYS = 28
ORIGINS = 4
ORIGIN_STEP_DAYS = 7
MIN_ORIGIN_DAYS = 28  # days of history before each origin, where the history is long enough
PROFILE_DAYS = 8
ETS_DAYS = 182  # the smoother sees the last 26 weeks: older levels say little, and a year's fit costs twice the time
COVERAGE = 0.80
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# --- the methods ---------------------------------------------------------------------------------


def _weekday_rows(train: np.ndarray, first_weekday: int, weekday: int, k: int) -> np.ndarray:
    """The last `k` observed days (not all NaN) of `weekday` in `train`, newest last."""
    observed = ~np.all(np.isnan(train), axis=1)
    days = np.flatnonzero(observed & ((np.arange(len(train)) + first_weekday) % 7 == weekday))
    return train[days[-k:]]


def _weekday_mean(k: int) -> Callable:
    def forecast(train: np.ndarray, first_weekday: int, horizon: int) -> np.ndarray:
        means = np.zeros((7, train.shape[1]))
        for weekday in range(7):
            rows = _weekday_rows(train, first_weekday, weekday, k)
            if len(rows):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # a slot closed on every one of the k days
                    means[weekday] = np.nan_to_num(np.nanmean(rows, axis=0))
        return means[(len(train) + np.arange(horizon) + first_weekday) % 7]
    return forecast


def _profiles(train: np.ndarray, first_weekday: int) -> np.ndarray:
    """(7, intervals): each weekday's share of its day's calls per interval, over its last 8 days."""
    shares = np.zeros((7, train.shape[1]))
    for weekday in range(7):
        counts = np.nansum(_weekday_rows(train, first_weekday, weekday, PROFILE_DAYS), axis=0)
        if counts.sum() > 0:
            shares[weekday] = counts / counts.sum()
    return shares


def _day_totals(train: np.ndarray, first_weekday: int, shares: np.ndarray) -> np.ndarray:
    """Each day's total calls; a day partly unknown (closed) scaled up by the share of its profile
    that was seen, a day wholly unknown filled with the mean of the 4 same weekdays before it (after
    it at the start), so that the smoother sees a holiday as an ordinary day."""
    n = len(train)
    weekdays = (np.arange(n) + first_weekday) % 7
    seen = ~np.isnan(train)
    seen_share = np.where(seen, shares[weekdays], 0.0).sum(axis=1)
    totals = np.where(seen_share > 0.2, np.nansum(train, axis=1) / np.maximum(seen_share, 1e-12), np.nan)
    totals[seen.any(axis=1) & (shares[weekdays].sum(axis=1) == 0)] = 0.0  # a weekday that never has calls
    for day in np.flatnonzero(np.isnan(totals)):
        same = np.flatnonzero((weekdays == weekdays[day]) & ~np.isnan(totals))
        before = same[same < day][-4:]
        pick = before if len(before) else same[:4]
        totals[day] = totals[pick].mean() if len(pick) else np.nanmean(totals) if np.isfinite(totals).any() else 0.0
    return totals


def _ets_profile(train: np.ndarray, first_weekday: int, horizon: int) -> np.ndarray:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    shares = _profiles(train, first_weekday)
    totals = _day_totals(train, first_weekday, shares)[-ETS_DAYS:]
    # on log(1 + calls): a weekday's effect is a factor, and a busy spell does not push a quiet day below 0
    model = ExponentialSmoothing(np.log1p(totals), trend=None, seasonal="add", seasonal_periods=7,
                                 initialization_method="estimated")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence chatter: the backtest judges the result
        ahead = np.expm1(np.asarray(model.fit().forecast(horizon), dtype=float))
    ahead = np.clip(np.nan_to_num(ahead), 0.0, None)
    return ahead[:, None] * shares[(len(train) + np.arange(horizon) + first_weekday) % 7]


def _combined(train: np.ndarray, first_weekday: int, horizon: int) -> np.ndarray:
    """The mean of the weekday means over 4 and 8 weeks and the smoothed day-level model: their
    errors differ, and the average erred less than the 4-week mean on 16 of 18 four-week windows
    of the bank's 1999 history (each forecast from the weeks before it)."""
    return np.mean([METHODS[name].forecast(train, first_weekday, horizon) for name in COMBINED], axis=0)


COMBINED = ("weekday_mean_4", "weekday_mean_8", "ets_profile")


@dataclass(frozen=True)
class Method:
    name: str
    words: str
    forecast: Callable[[np.ndarray, int, int], np.ndarray]  # (training days, weekday of day 0, horizon) -> calls
    min_train_days: int
    parts: tuple[str, ...] = ()  # a combination: the methods it averages (listed before it)
    needs: str | None = None  # the module it needs (from the `forecast` extra), if any

    def available(self) -> bool:
        if self.needs is None:
            return True
        import importlib.util

        return importlib.util.find_spec(self.needs) is not None


METHODS: dict[str, Method] = {m.name: m for m in (
    Method("seasonal_naive", "as on the last same weekday", _weekday_mean(1), 7),
    Method("weekday_mean_4", "mean of the last 4 same weekdays", _weekday_mean(4), 7),
    Method("weekday_mean_8", "mean of the last 8 same weekdays", _weekday_mean(8), 7),
    # the smoother needs 8 weeks to settle its level and weekly season (on 6 it was worse than the weekday means)
    Method("ets_profile", "exponential smoothing of log day totals (weekly season) x intraday profile", _ets_profile,
           56, needs="statsmodels"),
    Method("combined", "mean of weekday_mean_4, weekday_mean_8 and ets_profile", _combined, 56, COMBINED,
           needs="statsmodels"),
)}


# --- the backtest ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """One method's backtest errors: per interval and per day (calls)."""

    method: str
    interval_mape: float  # mean |F - A| / A over intervals with calls
    interval_mae: float  # over the open intervals
    interval_bias: float  # mean F - A over the open intervals (positive: forecast too high)
    day_mape: float
    day_mae: float
    day_bias: float
    intervals: int
    days: int


@dataclass(frozen=True)
class Backtest:
    origins: tuple[dt.date, ...]  # first forecast day of each origin
    horizon_days: int
    scores: tuple[Score, ...]  # in METHODS order; methods that could not run at every origin left out
    chosen: str
    interval_cv: float  # c of the calibrated 80% interval
    coverage: float  # share of the backtest's open intervals inside it (chosen method)
    busyness_cv: float  # day-level CV beyond Poisson


def _score(name: str, forecasts: np.ndarray, actual: np.ndarray, open_cells: np.ndarray) -> Score:
    cells = open_cells & np.isfinite(actual)
    f, a = forecasts[cells], actual[cells]
    with_calls = a > 0
    full_days = np.all(np.isfinite(actual) | ~open_cells, axis=1) & open_cells.any(axis=1)
    fd = np.where(open_cells, forecasts, 0.0)[full_days].sum(axis=1)
    ad = np.where(open_cells, np.nan_to_num(actual), 0.0)[full_days].sum(axis=1)
    day_ok = ad > 0

    def mean(values):
        return float(np.mean(values)) if len(values) else math.nan

    return Score(name, mean(np.abs(f - a)[with_calls] / a[with_calls]), mean(np.abs(f - a)), mean(f - a),
                 mean(np.abs(fd - ad)[day_ok] / ad[day_ok]), mean(np.abs(fd - ad)), mean(fd - ad),
                 int(cells.sum()), int(full_days.sum()))


def call_quantiles(mean: np.ndarray, cv: float, levels: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """The `levels` quantiles of calls with this mean: Poisson (cv 0) or Poisson-gamma."""
    from scipy import stats

    mean = np.maximum(np.asarray(mean, dtype=float), 1e-12)
    if cv <= 0:
        return tuple(stats.poisson.ppf(q, mean) for q in levels)
    shape = 1.0 / cv**2
    return tuple(stats.nbinom.ppf(q, shape, shape / (shape + mean)) for q in levels)


def calibrate_cv(forecasts: np.ndarray, actual: np.ndarray, coverage: float = COVERAGE) -> tuple[float, float]:
    """The smallest c (to 0.001) whose central `coverage` interval covers that share of `actual`;
    returns (c, the share it covers)."""
    levels = ((1 - coverage) / 2, (1 + coverage) / 2)

    def covered(cv: float) -> float:
        low, high = call_quantiles(forecasts, cv, levels)
        return float(np.mean((actual >= low) & (actual <= high)))

    if not len(actual) or covered(0.0) >= coverage:
        return 0.0, covered(0.0) if len(actual) else math.nan
    low, high = 0.0, 4.0
    while high - low > 1e-3:
        middle = (low + high) / 2
        low, high = (low, middle) if covered(middle) >= coverage else (middle, high)
    return high, covered(high)


def day_level_cv(forecast_days: np.ndarray, actual_days: np.ndarray) -> float:
    """Day-to-day CV beyond Poisson noise: sqrt(mean(((A - F)^2 - F) / F^2)), 0 if negative; at most 2."""
    ok = forecast_days > 0
    if not ok.any():
        return 0.0
    f, a = forecast_days[ok], actual_days[ok]
    return float(min(2.0, math.sqrt(max(0.0, float(np.mean(((a - f) ** 2 - f) / f**2))))))


def opening_pattern(calls: np.ndarray, first_weekday: int, share: float = 0.0) -> np.ndarray:
    """(7, intervals): True where the weekday had calls in that interval on more than `share` of its
    last 8 open days (0: on any of them: the intervals forecast at all; 0.5: its usual opening hours)."""
    pattern = np.zeros((7, calls.shape[1]), dtype=bool)
    for weekday in range(7):
        rows = _weekday_rows(calls, first_weekday, weekday, PROFILE_DAYS)
        pattern[weekday] = (np.nan_to_num(rows) > 0).mean(axis=0) > share if len(rows) else False
    return pattern


def backtest(calls: np.ndarray, first_day: dt.date, horizon: int) -> Backtest:
    """Rolling-origin backtest of every method on `calls` (days x intervals, NaN unknown)."""
    n = len(calls)
    first_weekday = first_day.weekday()
    train_min = max(7, min(MIN_ORIGIN_DAYS, n - 7))  # an origin with less than 4 weeks before it misjudges weekday means
    days = min(horizon, BACKTEST_DAYS, n - train_min)
    origins = [n - days - ORIGIN_STEP_DAYS * j for j in range(ORIGINS) if n - days - ORIGIN_STEP_DAYS * j >= train_min]
    pattern = opening_pattern(calls, first_weekday)
    results: dict[str, list] = {}
    for method in METHODS.values():
        if any(o < method.min_train_days for o in origins) or not method.available():
            continue
        if method.parts:  # a combination: the mean of its parts' backtest forecasts, not a second fit of each
            results[method.name] = [np.mean([results[p][j] for p in method.parts], axis=0) for j in range(len(origins))]
        else:
            results[method.name] = [method.forecast(calls[:o], first_weekday, days) for o in origins]
    actual = np.concatenate([calls[o:o + days] for o in origins])
    open_cells = np.concatenate([pattern[(np.arange(o, o + days) + first_weekday) % 7] for o in origins])
    scores = tuple(_score(name, np.concatenate(f), actual, open_cells) for name, f in results.items())
    ranked = [s for s in scores if math.isfinite(s.interval_mape)]
    if not ranked:
        raise ForecastInputError("the history has no calls in the backtest's weeks; give a history with calls")
    chosen = min(ranked, key=lambda s: s.interval_mape).method  # ties: the first, the simpler method
    forecasts = np.concatenate(results[chosen])
    cells = open_cells & np.isfinite(actual)
    cv, coverage = calibrate_cv(forecasts[cells], actual[cells])
    full = np.all(np.isfinite(actual) | ~open_cells, axis=1) & open_cells.any(axis=1)
    busyness = day_level_cv(np.where(open_cells, forecasts, 0)[full].sum(axis=1),
                            np.where(open_cells, np.nan_to_num(actual), 0)[full].sum(axis=1))
    return Backtest(tuple(first_day + dt.timedelta(days=o) for o in origins), days, scores, chosen, cv, coverage,
                    busyness)


# --- the forecast ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Forecast:
    source: str
    history_first: dt.date
    history_last: dt.date
    interval_minutes: int
    backtest: Backtest
    days: tuple[dt.date, ...]
    starts: tuple[str, ...]  # HH:MM of the forecast intervals (the week's opening window)
    calls: np.ndarray  # (days, starts): expected calls
    calls_low: np.ndarray  # 10% quantile
    calls_high: np.ndarray  # 90% quantile
    aht_s: np.ndarray | None  # mean handle time per interval; None when the history has none
    history_days: np.ndarray  # calls per day of the history (NaN unknown), for the plot
    history_tail: np.ndarray  # the history's last 7 days per interval of the window (NaN unknown)
    opening: tuple[tuple[str, str] | None, ...]  # per weekday Mon..Sun: its usual opening hours (first to end of
    # the intervals with calls on most of its last 8 days)
    closed_days: int  # days of the horizon forecast at 0 calls (closed, or a weekday without calls)
    day_low: np.ndarray  # 80% interval of each day's total (Poisson-gamma with the busyness_cv)
    day_high: np.ndarray

    @property
    def method(self) -> Method:
        return METHODS[self.backtest.chosen]

    @property
    def score(self) -> Score:
        return next(s for s in self.backtest.scores if s.method == self.backtest.chosen)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _aht(history: History, window: slice) -> np.ndarray | None:
    """Handle time per weekday and interval over the last 8 same weekdays (the weekday's own mean
    where an interval had no timed calls, the history's where the weekday had none)."""
    if history.handle_s is None:
        return None
    weekday = (np.arange(history.n_days) + history.first_day.weekday()) % 7
    observed = ~np.all(np.isnan(history.calls), axis=1)
    overall = history.handle_s.sum() / max(history.timed_calls.sum(), 1e-12)
    aht = np.full((7, history.per_day), overall)
    for w in range(7):
        days = np.flatnonzero(observed & (weekday == w))[-PROFILE_DAYS:]
        handle, timed = history.handle_s[days].sum(axis=0), history.timed_calls[days].sum(axis=0)
        day_mean = handle.sum() / timed.sum() if timed.sum() > 0 else overall
        aht[w] = np.where(timed > 0, handle / np.maximum(timed, 1e-12), day_mean)
    return aht[:, window]


def forecast_history(history: History, horizon: int, closed: Closed = Closed()) -> Forecast:
    """Forecast `horizon` days after the history's last day (see the module's docstring)."""
    check_horizon(horizon)
    n, minutes = history.n_days, history.interval_minutes
    calls = history.calls.copy()
    calls[closed.mask(history.first_day, n, minutes)] = np.nan
    if not np.isfinite(calls).any():
        raise ForecastInputError(f"{history.source}: every day of the history is closed; nothing to learn from")
    result = backtest(calls, history.first_day, horizon)
    first_weekday = history.first_day.weekday()
    pattern = opening_pattern(calls, first_weekday)
    if not pattern.any():
        raise ForecastInputError(f"{history.source}: no calls in the history's last 8 weeks; nothing to forecast")
    open_slots = np.flatnonzero(pattern.any(axis=0))
    window = slice(int(open_slots[0]), int(open_slots[-1]) + 1)
    ahead = METHODS[result.chosen].forecast(calls, first_weekday, horizon)
    weekdays = (n + np.arange(horizon) + first_weekday) % 7
    days = tuple(history.first_day + dt.timedelta(days=n + t) for t in range(horizon))
    shut = closed.mask(days[0], horizon, minutes) | ~pattern[weekdays]
    ahead = np.where(shut, 0.0, ahead)[:, window]
    levels = ((1 - COVERAGE) / 2, (1 + COVERAGE) / 2)
    low, high = call_quantiles(ahead, result.interval_cv, levels)
    low, high = np.where(ahead > 0, low, 0.0), np.where(ahead > 0, high, 0.0)
    aht = _aht(history, window)
    starts = tuple(_clock(k * minutes) for k in range(window.start, window.stop))
    opening = []
    usual = opening_pattern(calls, first_weekday, share=0.5)
    for w in range(7):
        slots = np.flatnonzero(usual[w])
        opening.append((_clock(int(slots[0]) * minutes), _clock((int(slots[-1]) + 1) * minutes)) if len(slots) else None)
    return Forecast(
        source=history.source, history_first=history.first_day, history_last=history.day(n - 1),
        interval_minutes=minutes, backtest=result, days=days, starts=starts, calls=ahead, calls_low=low,
        calls_high=high, aht_s=None if aht is None else aht[weekdays],
        history_days=np.where(np.all(np.isnan(calls), axis=1), np.nan, np.nansum(calls, axis=1)),
        history_tail=calls[-7:, window], opening=tuple(opening),
        closed_days=int(np.all(shut, axis=1).sum()),
        **dict(zip(("day_low", "day_high"), call_quantiles(ahead.sum(axis=1), result.busyness_cv, levels))))


# --- checking a method on held-out days -----------------------------------------------------------


@dataclass(frozen=True)
class Holdout:
    """The forecast from all but the last `days` of a history, scored on those days per interval."""

    chosen: str
    mape: float  # the chosen method's, over the held-out intervals with calls
    baseline_mape: float  # weekday_mean_4's (the best simple method), on the same intervals
    coverage: float  # share of the held-out intervals with calls or a forecast inside the 80% interval
    intervals: int


def holdout(history: History, days: int = BACKTEST_DAYS) -> Holdout:
    """Forecast the last `days` of `history` from the days before them, as a user would have."""
    n = history.n_days - days
    if n < 14:
        raise ForecastInputError(f"{history.source}: holding out {days} days leaves {n}; at least 14 are needed")
    train = dataclasses.replace(history, calls=history.calls[:n], handle_s=None, timed_calls=None)
    result = forecast_history(train, days)
    first = int(result.starts[0][:2]) * 60 + int(result.starts[0][3:])
    window = slice(first // history.interval_minutes, first // history.interval_minutes + len(result.starts))

    def whole_day(values: np.ndarray) -> np.ndarray:
        full = np.zeros((days, history.per_day))
        full[:, window] = values
        return full

    forecast, low, high = whole_day(result.calls), whole_day(result.calls_low), whole_day(result.calls_high)
    actual = history.calls[n:]
    baseline = METHODS["weekday_mean_4"].forecast(train.calls, history.first_day.weekday(), days)
    with_calls = np.isfinite(actual) & (actual > 0)
    active = np.isfinite(actual) & ((actual > 0) | (forecast > 0))

    def mape(values: np.ndarray) -> float:
        return float(np.mean(np.abs(values[with_calls] - actual[with_calls]) / actual[with_calls]))

    inside = (actual >= low) & (actual <= high)
    return Holdout(result.backtest.chosen, mape(forecast), mape(baseline), float(inside[active].mean()),
                   int(with_calls.sum()))


def forecast_file(history_path: str, horizon: int, interval_minutes: int = 30, closed: str | None = None) -> Forecast:
    """`callsim forecast`: read HISTORY.csv (interval counts or a call log) at `interval_minutes`
    and the `closed` days (dates, ranges, parts of days, or a file of them), and forecast
    `horizon` days ahead (`forecast_history`)."""
    from .forecast_input import read_closed, read_history

    return forecast_history(read_history(history_path, interval_minutes), horizon, read_closed(closed))

