"""What `callsim forecast` writes: forecast.csv (what a scenario reads), backtest.csv, forecast.json,
the printed summary, the plot and the report page."""
from __future__ import annotations

import csv
import io
import json
import math

import numpy as np

from studies.forecast import METHODS, WEEKDAYS, Forecast

from .figures import new_figure, png_bytes
from .text import table

COLOURS = {"history": "#555555", "forecast": "#0072B2", "band": "#9ecae1"}
FORECAST_COLUMNS = ("date", "start", "calls", "calls_low", "calls_high", "aht_s", "busyness_cv")
BACKTEST_COLUMNS = ("method", "chosen", "interval_mape", "interval_mae", "interval_bias", "day_mape", "day_mae",
                    "day_bias", "intervals", "days")


def _csv(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def forecast_csv(f: Forecast) -> str:
    """One row per day and interval; `busyness_cv` (the same on every row) is what a scenario reading
    the file takes as its day-to-day forecast error."""
    rows = [list(FORECAST_COLUMNS)]
    for d, day in enumerate(f.days):
        for k, start in enumerate(f.starts):
            aht = "" if f.aht_s is None or f.calls[d, k] == 0 else f"{f.aht_s[d, k]:.1f}"
            rows.append([day.isoformat(), start, f"{f.calls[d, k]:.2f}", f"{f.calls_low[d, k]:.0f}",
                         f"{f.calls_high[d, k]:.0f}", aht, f"{f.backtest.busyness_cv:.4f}"])
    return _csv(rows)


def _score_row(f: Forecast, s) -> list:
    return [s.method, "yes" if s.method == f.backtest.chosen else "", f"{s.interval_mape:.4f}", f"{s.interval_mae:.3f}",
            f"{s.interval_bias:.3f}", f"{s.day_mape:.4f}", f"{s.day_mae:.2f}", f"{s.day_bias:.2f}", s.intervals, s.days]


def backtest_csv(f: Forecast) -> str:
    return _csv([list(BACKTEST_COLUMNS)] + [_score_row(f, s) for s in f.backtest.scores])


def _with_statsmodels(versions: dict) -> dict:
    """The run's versions and the forecast extra's (the model-based methods' numbers depend on it)."""
    from importlib import metadata

    try:
        return {**versions, "statsmodels": metadata.version("statsmodels")}
    except metadata.PackageNotFoundError:
        return {**versions, "statsmodels": "not installed"}


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def forecast_document(f: Forecast, versions: dict) -> str:
    b = f.backtest
    return json.dumps({
        "history": {"source": f.source, "first_day": f.history_first.isoformat(), "last_day": f.history_last.isoformat(),
                    "interval_minutes": f.interval_minutes},
        "opening": {day: list(hours) if hours else None for day, hours in zip(WEEKDAYS, f.opening)},
        "backtest": {"origins": [o.isoformat() for o in b.origins], "horizon_days": b.horizon_days,
                     "scores": [{key: (_finite(v) if isinstance(v, float) else v) for key, v in vars(s).items()}
                                for s in b.scores],
                     "chosen": b.chosen, "interval_cv": b.interval_cv, "coverage_80": _finite(b.coverage),
                     "busyness_cv": b.busyness_cv},
        "forecast": {"first_day": f.days[0].isoformat(), "days": len(f.days), "closed_days": f.closed_days,
                     "calls": round(float(f.calls.sum()), 1), "file": "forecast.csv"},
        "definitions": {
            "interval_mape": "mean |forecast - actual| / actual over the backtest's intervals with calls",
            "interval_mae": "mean |forecast - actual| calls over the open intervals", "interval_bias":
            "mean forecast - actual calls over the open intervals (positive: too high)",
            "day_mape": "the same for whole days' totals", "calls_low/calls_high": "10% and 90% quantiles: an 80% "
            "prediction interval, Poisson-gamma with interval_cv calibrated on the backtest",
            "busyness_cv": "day-to-day CV of the backtest's errors beyond Poisson noise"},
        "versions": _with_statsmodels(versions),
    }, indent=2) + "\n"


def _percent(value: float) -> str:
    return f"{value:.1%}" if math.isfinite(value) else "-"


def backtest_table(f: Forecast) -> str:
    rows = [[("* " if s.method == f.backtest.chosen else "  ") + s.method, _percent(s.interval_mape),
             f"{s.interval_mae:.2f}", f"{s.interval_bias:+.2f}", _percent(s.day_mape), f"{s.day_mae:,.1f}",
             f"{s.day_bias:+,.1f}"] for s in f.backtest.scores]
    return table(["method", "MAPE/interval", "MAE/interval", "bias/interval", "MAPE/day", "MAE/day", "bias/day"], rows)


def _opening_text(f: Forecast) -> str:
    return ", ".join(f"{day} {hours[0]}-{hours[1]}" if hours else f"{day} closed" for day, hours in zip(WEEKDAYS, f.opening))


def _mean_aht(f: Forecast) -> float:
    """The forecast's handle time per call, weighted by the forecast calls."""
    return float((f.aht_s * f.calls).sum() / max(f.calls.sum(), 1e-12))


def _summary(f: Forecast) -> tuple[list[str], list[str]]:
    """The summary's lines before and after the backtest table."""
    b, s = f.backtest, f.score
    days = np.isfinite(f.history_days).sum()
    origins = ", ".join(o.isoformat() for o in b.origins)
    before = [
        f"History {f.source}: {f.history_first} to {f.history_last} ({days} days with data), per {f.interval_minutes} min",
        f"Usual opening hours (calls on most of the last 8 of each weekday): {_opening_text(f)}",
        f"Backtest: {len(b.origins)} origin(s) ({origins}), {b.horizon_days} days ahead each; calls per interval and day",
    ]
    after = [
        f"Chosen: {b.chosen} ({f.method.words}): MAPE {s.interval_mape:.1%} per interval, {s.day_mape:.1%} per day",
        f"80% interval: Poisson-gamma, cv {b.interval_cv:.3f} beyond Poisson noise (covers {_percent(b.coverage)} of the "
        f"backtest's intervals); day-to-day forecast error beyond Poisson: busyness_cv {b.busyness_cv:.3f}",
        f"Forecast: {f.days[0]} to {f.days[-1]}, {f.calls.sum():,.0f} calls"
        + (f"; {f.closed_days} day(s) at 0 (closed)" if f.closed_days else "")
        + ("; no handle times in the history (aht_s left empty)" if f.aht_s is None else
           f"; handle time {_mean_aht(f):.0f} s on average (a scenario reading this file takes aht_s as its "
           "handle time per interval: every queue's talk and ACW scaled to it)"),
        f"Use it in a scenario: arrivals: {{calls: {{csv: forecast.csv, date: {f.days[0]}}}}} (busyness_cv"
        + (" and aht_s come" if f.aht_s is not None else " comes") + " with it)",
    ]
    scored = {score.method for score in b.scores}
    left_out = [m for m in METHODS.values() if m.name not in scored]
    if left_out:
        after.insert(0, "Not in the backtest: " + "; ".join(
            f"{m.name} (needs {m.needs}: pip install 'callsim[forecast]')" if not m.available() else
            f"{m.name} (needs {m.min_train_days} days of history before each origin)" for m in left_out))
    return before, after


def format_forecast(f: Forecast) -> str:
    before, after = _summary(f)
    return "\n".join(before + [backtest_table(f)] + after)


def forecast_png(f: Forecast) -> bytes:
    """Left: calls per day, the history's last 12 weeks and the forecast with the day's 80% interval
    (Poisson-gamma with the backtest's busyness_cv). Right: the last week of history and the first
    week of the forecast per interval, with the intervals' 80% band."""
    figure, (days_ax, intervals_ax) = new_figure(13, 4.5, columns=2)
    history = f.history_days[-84:]
    x_history = np.arange(-len(history), 0)
    days_ax.plot(x_history, history, color=COLOURS["history"], lw=1.2, label="history")
    totals = f.calls.sum(axis=1)
    x = np.arange(len(totals))
    days_ax.fill_between(x, f.day_low, f.day_high, color=COLOURS["band"], alpha=0.7, label="80% interval")
    days_ax.plot(x, totals, color=COLOURS["forecast"], lw=1.6, label=f"forecast ({f.backtest.chosen})")
    days_ax.axvline(-0.5, color="#999999", lw=0.8, ls="--")
    days_ax.set_xlabel(f"day (0 = {f.days[0]}, the first forecast day)")
    days_ax.set_ylabel("calls per day")
    days_ax.set_ylim(bottom=0)
    days_ax.set_title("Calls per day")
    days_ax.legend(loc="lower left", fontsize=9, framealpha=0.9)
    per_day = len(f.starts)
    shown = min(7, len(f.days))
    tail = f.history_tail.ravel()
    ahead = slice(0, shown)
    x_tail = np.arange(-len(tail), 0)
    x_ahead = np.arange(shown * per_day)
    intervals_ax.plot(x_tail, tail, color=COLOURS["history"], lw=0.9, label="last week of history")
    intervals_ax.fill_between(x_ahead, f.calls_low[ahead].ravel(), f.calls_high[ahead].ravel(), color=COLOURS["band"],
                              alpha=0.7, step="mid", label="80% interval")
    intervals_ax.plot(x_ahead, f.calls[ahead].ravel(), color=COLOURS["forecast"], lw=1.2, label="forecast")
    intervals_ax.axvline(-0.5, color="#999999", lw=0.8, ls="--")
    ticks = np.arange(-7 * per_day, shown * per_day, per_day)
    labels = [WEEKDAYS[(f.history_last.weekday() + 1 + t // per_day) % 7] for t in ticks]
    intervals_ax.set_xticks(ticks, labels)
    intervals_ax.set_xlabel(f"day (intervals {f.starts[0]} to {f.starts[-1]})")
    intervals_ax.set_ylabel(f"calls per {f.interval_minutes} min")
    intervals_ax.set_ylim(bottom=0)
    intervals_ax.set_title("Calls per interval: last week, first forecast week")
    intervals_ax.legend(loc="upper left", fontsize=9)
    return png_bytes(figure, "forecast")


def forecast_plots(f: Forecast) -> dict[str, bytes]:
    return {"forecast.png": forecast_png(f)}


CAPTIONS = {"forecast.png": ("History and forecast", "Calls per day (left) and per interval (right, the last week "
                             "of history then the first forecast week), with the 80% prediction interval.")}


def render_forecast_report(f: Forecast, images: dict[str, bytes], versions: dict) -> str:
    from .report import _e, _page, _plots, _section  # only with --report: the page shell loads the run's modules

    before, after = _summary(f)
    summary = ("".join(f"<p>{_e(line)}</p>" for line in before) + "<pre>" + _e(backtest_table(f)) + "</pre>"
               + "".join(f"<p>{_e(line)}</p>" for line in after))
    methods = "".join(f"<dt><code>{_e(m.name)}</code></dt><dd>{_e(m.words)}</dd>" for m in METHODS.values())
    sections = (_section("summary", "", summary)
                + _section("methods", "Methods", f"<dl class=\"definitions\">{methods}</dl>")
                + _section("plots", "Plots", _plots(images, CAPTIONS, "forecast")))
    return _page(f"Forecast: {f.source}", [("methods", "Methods"), ("plots", "Plots")], sections, "forecast.json",
                 _with_statsmodels(versions), [])
