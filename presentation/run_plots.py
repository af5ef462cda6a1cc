"""Plots of a run, rendered to PNG bytes: per-interval KPIs with 95% CIs, and one sample day.

Each function takes a `RunResult` and returns the bytes of one PNG; `run_plots` returns them
all, keyed by file name, ready for `output.write_atomically`. Figures are plain
`matplotlib.figure.Figure` objects drawn on an explicit Agg canvas: pyplot is never imported,
so there is no global figure registry, no backend switch in the caller's process and nothing
shared between figures; each figure is cleared as soon as its bytes exist.

Per-interval plots put interval k at x = k, labelled with the clock time the interval starts
(thinned to whole hours or more when there are many intervals) and show the mean over
replications with its 95% t confidence interval, as in kpis.json. The sample-day plots use
replication 0's call records (`RunResult.sample_day`): they show one realistic day, not an
average. Every PNG carries a `callsim-run` text chunk (`run_id`) naming the scenario, seed and
replications it was drawn for, so a report assembled later from a results folder can tell a
stale plot from a current one.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import struct
import zlib

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MultipleLocator, NullFormatter, PercentFormatter

from simulator.records import Outcome
from simulator.kpis import waited_in_line
from simulator.run import Estimate, RunResult

PLOT_FILES = ("volumes.png", "service_level_asa.png", "occupancy.png", "wait_distribution.png", "queue_length.png")
RUN_ID_KEY = "callsim-run"
# counts of calls that ended neither answered nor abandoned (those present are named in volumes.png)
ENDING_COUNTS = ("blocked", "balked", "unserved", "ivr_contained", "ivr_abandoned", "callbacks_completed", "callbacks_failed",
                 "messages", "disconnected_at_close")

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies
COLOURS = {
    "offered": "#56B4E9", "answered": "#009E73", "abandoned": "#D55E00", "balked": "#E69F00",
    "unserved": "#CC79A7", "line": "#0072B2", "target": "#222222", "band": "#009E73", "other": "#999999",
}
WIDE = (11.0, 4.6)
TALL = (11.0, 7.2)
DPI = 100


# --- provenance stamp ----------------------------------------------------------------------


def _days_axis(ax, result: RunResult, n: int) -> None:
    """A timeline's x axis: a tick and a line at each day's first interval, labelled with its
    weekday and date; the closed hours between days are left blank by the plots (no KPI there)."""
    days = result.timeline.days
    ax.xaxis.set_major_locator(FixedLocator([day.first for day in days]))
    ax.xaxis.set_major_formatter(FuncFormatter(
        lambda x, pos: f"{days[pos].weekday}\n{days[pos].date[5:]}" if pos is not None and pos < len(days) else ""))
    ax.xaxis.set_minor_formatter(NullFormatter())
    for day in days:
        ax.axvline(day.first - 0.5, color="#999999", linewidth=0.8, linestyle=":")
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_xlabel(f"day (each from {result.scenario.start}, {result.scenario.interval_minutes}-minute intervals; "
                  f"{days[0].date} to {days[-1].date}; blank: closed)")
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)


def run_id(scenario: dict, seed: int, replications: int) -> str:
    """A short fingerprint of what a run's numbers depend on: scenario, seed, replications.

    `scenario` is the JSON form (`Scenario.model_dump(mode="json")`, as in kpis.json), so the
    same id is computed from a RunResult and from a kpis.json document.
    """
    text = json.dumps({"scenario": scenario, "seed": seed, "replications": replications}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def result_run_id(result: RunResult) -> str:
    return run_id(result.source_scenario.model_dump(mode="json"), result.seed, result.replications)


def png_text(png: bytes) -> dict[str, str]:
    """The tEXt/zTXt/iTXt chunks of a PNG as {keyword: text} ({} if it is not a PNG)."""
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        return {}
    found: dict[str, str] = {}
    position = 8
    while position + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        data = png[position + 8:position + 8 + length]
        position += 12 + length
        try:
            if kind == b"tEXt":
                key, _, value = data.partition(b"\0")
                found[key.decode("latin-1")] = value.decode("latin-1")
            elif kind == b"zTXt":
                key, _, value = data.partition(b"\0")
                found[key.decode("latin-1")] = zlib.decompress(value[1:]).decode("latin-1")
            elif kind == b"iTXt":
                key, _, rest = data.partition(b"\0")
                compressed, rest = rest[0], rest[2:]
                _language, _, rest = rest.partition(b"\0")
                _translated, _, value = rest.partition(b"\0")
                found[key.decode("latin-1")] = (zlib.decompress(value) if compressed else value).decode("utf-8")
            elif kind == b"IEND":
                break
        except (ValueError, IndexError, zlib.error):
            continue
    return found


# --- shared helpers ------------------------------------------------------------------------


def _new_figure(size: tuple[float, float], rows: int = 1, cols: int = 1, **kwargs):
    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, cols, squeeze=False, **kwargs)
    return figure, axes.ravel()


def _png(figure: Figure, result: RunResult, title: str) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white",
                   metadata={"Title": title, "Software": "callsim", RUN_ID_KEY: result_run_id(result)})
    figure.clear()
    return buffer.getvalue()


def _titles(figure: Figure, ax, title: str, result: RunResult, note: str) -> None:
    figure.suptitle(title, fontsize=14, fontweight="bold", x=0.01, ha="left")
    ax.set_title(f"{_short(result.scenario.name)}: {note}", fontsize=10, loc="left", color="#444444")


def _legend(ax, **kwargs) -> None:
    """Legends sit beside the axes, never on the data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9, **kwargs)


def _series(result: RunResult, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-interval mean, CI low and CI high of one KPI (NaN where there is none)."""
    estimates: list[Estimate] = [row[name] for row in result.intervals]
    mean = np.array([e.mean for e in estimates], dtype=float)
    low = np.array([e.ci95[0] if e.ci95 else math.nan for e in estimates], dtype=float)
    high = np.array([e.ci95[1] if e.ci95 else math.nan for e in estimates], dtype=float)
    return mean, low, high


def _label_positions(start_minute: int, interval_minutes: int, n: int, max_labels: int = 14) -> list[int]:
    """Interval indices to label: every interval if few, else every whole hour (or 2, 3, ... h)."""
    for step_minutes in (interval_minutes, 30, 60, 120, 180, 240, 360, 480, 720):
        if step_minutes < interval_minutes or step_minutes % interval_minutes:
            continue
        step = step_minutes // interval_minutes
        aligned = [k for k in range(n) if (start_minute + k * interval_minutes) % step_minutes == 0]
        positions = aligned if aligned and aligned[0] < step else list(range(0, n, step))
        if len(positions) <= max_labels:
            return positions
    return list(range(0, n, max(1, math.ceil(n / max_labels))))


def _interval_axis(ax, result: RunResult) -> None:
    """Clock-time labels on an interval axis (once per shared x axis: the locators are shared);
    on a timeline of several days, each day's date at its first interval."""
    scenario = result.scenario
    labels = scenario.interval_labels()
    n = len(labels)
    if result.timeline is not None:
        _days_axis(ax, result, n)
        return
    positions = _label_positions(int(scenario.start_s // 60), scenario.interval_minutes, n)
    ax.xaxis.set_major_locator(FixedLocator(positions))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: labels[int(round(x))] if 0 <= round(x) < n else ""))
    ax.xaxis.set_minor_locator(FixedLocator(range(n)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_xlabel(f"interval start (clock time, HH:MM; {scenario.interval_minutes}-minute intervals)")
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)


def _yerr(mean: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.vstack([np.clip(mean - low, 0, None), np.clip(high - mean, 0, None)])


def _line_with_band(ax, x, mean, low, high, colour: str, label: str) -> None:
    ax.plot(x, mean, color=colour, marker="o", markersize=3.5, linewidth=1.8, label=label, zorder=3)
    ax.fill_between(x, low, high, color=colour, alpha=0.22, linewidth=0, label="95% CI", zorder=2)


def _whole(result: RunResult) -> str:
    """What `result.day` covers: the day, or a timeline's days."""
    return "day" if result.timeline is None else "all days"


def _day_text(result: RunResult, name: str, fmt) -> str:
    estimate = result.day[name]
    whole = _whole(result)
    if not math.isfinite(estimate.mean):
        return f"{whole}: -"
    if estimate.ci95 is None:
        return f"{whole} {fmt(estimate.mean)}"
    return f"{whole} {fmt(estimate.mean)} [{fmt(estimate.ci95[0])}, {fmt(estimate.ci95[1])}]"


def _count(value: float) -> str:
    """A mean count of calls: whole numbers, but a decimal for small ones (0.3 is not 0)."""
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.1f}"


def _percent(value: float) -> str:
    return f"{value:.1%}"


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if abs(value) >= 10 else f"{value:.1f} s"


def _outcome_name(code: int) -> str:
    try:
        return Outcome(code).name.lower()
    except ValueError:
        return f"outcome {code}"


def _clock(seconds: float) -> str:
    minutes = int(round(seconds / 60.0))
    return f"{(minutes // 60) % 24:02d}:{minutes % 60:02d}"


def _reps_note(result: RunResult) -> str:
    return f"mean over {result.replications} replications"


# --- per-interval plots ---------------------------------------------------------------------


def volumes_png(result: RunResult) -> bytes:
    """Offered, answered and abandoned calls per interval, and the calls that ended otherwise.

    "other endings" is offered - answered - abandoned, computed per replication, so it covers
    every other outcome (balked, unserved, IVR, callbacks, ...) whatever the engine records;
    the legend names the parts it knows.
    """
    per_replication = result.per_replication
    bars = [  # (legend label, colour, per-interval mean, CI low, CI high)
        (f"{name} ({_whole(result)} {_count(result.day[name].mean)})", COLOURS[name], *_series(result, name))
        for name in ("offered", "answered", "abandoned")
    ]
    other = per_replication["offered"] - per_replication["answered"] - per_replication["abandoned"]
    other_day = Estimate.of(other[:, -1]).mean
    if other_day > 0:
        estimates = [Estimate.of(other[:, k]) for k in range(result.scenario.n_intervals)]
        parts = [f"{name} {_count(result.day[name].mean)}" for name in ENDING_COUNTS
                 if name in per_replication and result.day[name].mean > 0]
        bars.append((
            f"other endings ({_whole(result)} {_count(other_day)})" + ("\n(" + ",\n ".join(parts) + ")" if parts else ""),
            COLOURS["other"],
            np.array([e.mean for e in estimates]),
            np.array([e.ci95[0] if e.ci95 else math.nan for e in estimates]),
            np.array([e.ci95[1] if e.ci95 else math.nan for e in estimates]),
        ))
    n = result.scenario.n_intervals
    x = np.arange(n)
    width = 0.84 / len(bars)
    figure, (ax,) = _new_figure(WIDE)
    for index, (label, colour, mean, low, high) in enumerate(bars):
        ax.bar(x + (index - (len(bars) - 1) / 2) * width, np.nan_to_num(mean), width,
               yerr=_yerr(mean, low, high), color=colour,
               error_kw={"elinewidth": 0.9, "capsize": 1.5 if n > 20 else 2.5, "ecolor": "#333333"},
               label=label)
    _interval_axis(ax, result)
    ax.set_ylabel("calls per interval")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.set_ylim(bottom=0)
    _titles(figure, ax, "Calls per interval", result, f"{_reps_note(result)}; error bars: 95% CI")
    _legend(ax)
    return _png(figure, result, "Calls per interval")


def service_level_asa_png(result: RunResult) -> bytes:
    """Service level and ASA per interval with 95% CI bands, each against its target."""
    targets = result.scenario.targets
    x = np.arange(result.scenario.n_intervals)
    figure, (top, bottom) = _new_figure(TALL, 2, 1, sharex=True)

    mean, low, high = _series(result, "service_level")
    _line_with_band(top, x, mean, low, high, COLOURS["line"], "service level")
    sl = targets.service_level
    top.axhline(sl.fraction, color=COLOURS["target"], linestyle="--", linewidth=1.3,
                label=f"target {sl.fraction:.0%} within {sl.within:g} s")
    top.set_ylim(-0.02, 1.02)
    top.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    top.set_ylabel(f"answered within {sl.within:g} s\n(% of calls reaching the queue)")
    top.grid(axis="y", color="#dddddd", linewidth=0.8)
    top.set_axisbelow(True)
    _legend(top)

    mean, low, high = _series(result, "asa")
    _line_with_band(bottom, x, mean, low, high, COLOURS["abandoned"], "ASA")
    if targets.asa is not None:
        bottom.axhline(targets.asa, color=COLOURS["target"], linestyle="--", linewidth=1.3,
                       label=f"target: at most {targets.asa:g} s")
    finite = np.concatenate([v[np.isfinite(v)] for v in (mean, high)] + [np.array([targets.asa or 0.0, 1.0])])
    bottom.set_ylim(0, float(finite.max()) * 1.1)  # room above the target line and the CI band
    bottom.set_ylabel("ASA: mean wait of\nanswered calls (s)")
    _interval_axis(bottom, result)
    _legend(bottom)

    _titles(figure, top, "Service level and average speed of answer", result,
            f"{_reps_note(result)}; shaded: 95% CI\nservice level {_day_text(result, 'service_level', _percent)}; "
            f"ASA {_day_text(result, 'asa', _seconds)}")
    return _png(figure, result, "Service level and ASA per interval")


def occupancy_png(result: RunResult) -> bytes:
    """Occupancy per interval with its 95% CI band and the target band shaded."""
    low_target, high_target = result.scenario.targets.occupancy
    x = np.arange(result.scenario.n_intervals)
    figure, (ax,) = _new_figure(WIDE)
    ax.axhspan(low_target, high_target, color=COLOURS["band"], alpha=0.13, linewidth=0,
               label=f"target band {low_target:.0%}\u2013{high_target:.0%}")
    mean, low, high = _series(result, "occupancy")
    _line_with_band(ax, x, mean, low, high, COLOURS["line"], "occupancy")
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("busy time / time on shift (%)")
    _interval_axis(ax, result)
    _titles(figure, ax, "Agent occupancy", result,
            f"{_reps_note(result)}; shaded: 95% CI; {_day_text(result, 'occupancy', _percent)}")
    _legend(ax)
    return _png(figure, result, "Agent occupancy per interval")


# --- sample-day plots ------------------------------------------------------------------------


def _queued_at_s(records) -> np.ndarray:
    """When each call joined its queue: its arrival, after its IVR time if the engine records one."""
    ivr_s = getattr(records, "ivr_s", None)
    if ivr_s is None or len(ivr_s) != len(records.arrived_at_s):
        return records.arrived_at_s
    return records.arrived_at_s + np.nan_to_num(np.asarray(ivr_s, dtype=float))


def _outcome_colour(code: int, order: int) -> str:
    extra = ("#0072B2", "#F0E442", "#56B4E9", "#999999", "#000000")
    return COLOURS.get(_outcome_name(code), extra[order % len(extra)])


def _sample_note(result: RunResult) -> str:
    what = "day" if result.timeline is None else f"span of {len(result.timeline.days)} days"
    return f"one simulated {what} (replication 0), not an average"


def _plain(text: str) -> str:
    """User text for a matplotlib label: '$' would otherwise start mathtext."""
    return str(text).replace("$", r"\$")


def _short(text: str, limit: int = 70) -> str:
    return _plain(text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026")


def wait_distribution_png(result: RunResult) -> bytes:
    """Queue waits of the sample day: histogram by outcome, and the survival curve P(wait > t)."""
    day = result.sample_day
    records = day.records
    threshold = result.scenario.targets.service_level.within
    mask = waited_in_line(records)
    waits = records.wait_s[mask]
    outcomes = records.outcome[mask]
    figure, (hist_ax, surv_ax) = _new_figure(WIDE, 1, 2)
    positive = waits > 0
    upper = max(float(np.quantile(waits[positive], 0.99)) if positive.any() else 0.0, 3.0 * threshold, 60.0)
    if positive.any():
        bins = np.linspace(0, upper, 41)
        codes = sorted(set(outcomes[positive].tolist()))
        stacks = [np.clip(waits[positive & (outcomes == code)], 0, None) for code in codes]
        hist_ax.hist(stacks, bins=bins, stacked=True, label=[_outcome_name(c) for c in codes],
                     color=[_outcome_colour(c, i) for i, c in enumerate(codes)], edgecolor="white",
                     linewidth=0.4)
        beyond = int((waits > upper).sum())
        at_once = int((~positive).sum())
        hist_ax.set_title(f"{_short(result.scenario.name)}\n{positive.sum():,} of {len(waits):,} callers in line waited\n"
                          f"({at_once:,} answered at once, not shown"
                          + (f"; {beyond:,} over {upper:,.0f} s, off the scale)" if beyond else ")"),
                          fontsize=9, loc="left", color="#444444")
    else:
        hist_ax.text(0.5, 0.5, "no caller had to wait", ha="center", va="center", transform=hist_ax.transAxes)
        hist_ax.set_title(_short(result.scenario.name), fontsize=9, loc="left", color="#444444")
    hist_ax.axvline(threshold, color=COLOURS["target"], linestyle="--", linewidth=1.2,
                    label=f"SL threshold {threshold:g} s")
    hist_ax.set_xlim(0, upper)
    hist_ax.set_xlabel("time in queue (s)")
    hist_ax.set_ylabel("callers")
    hist_ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    hist_ax.set_axisbelow(True)
    hist_ax.legend(loc="upper right", fontsize=9, framealpha=0.9)

    if len(waits):
        ordered = np.sort(waits)
        t = np.concatenate(([0.0], ordered[ordered <= upper], [upper]))
        survival = 1.0 - np.searchsorted(ordered, t, side="right") / len(ordered)
        surv_ax.step(t, survival, where="post", color=COLOURS["line"], linewidth=1.8, label="P(time in queue > t)")
        at_threshold = 1.0 - np.searchsorted(ordered, threshold, side="right") / len(ordered)
        surv_ax.plot([threshold], [at_threshold], "o", color=COLOURS["abandoned"],
                     label=f"P(time in queue > {threshold:g} s) = {at_threshold:.1%}")
    else:
        surv_ax.text(0.5, 0.5, "no caller joined a queue", ha="center", va="center", transform=surv_ax.transAxes)
    surv_ax.axvline(threshold, color=COLOURS["target"], linestyle="--", linewidth=1.2,
                    label=f"SL threshold {threshold:g} s")
    surv_ax.set_xlim(0, upper)
    # scaled to the data (the share who waited at all), not always to 100%
    p_wait = float((waits > 0).mean()) if len(waits) else 1.0
    surv_ax.set_ylim(0, min(1.02, max(0.05, p_wait * 1.1)))
    surv_ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    surv_ax.set_xlabel("t (s)")
    surv_ax.set_ylabel("callers in line still waiting after t (%)")
    surv_ax.grid(color="#dddddd", linewidth=0.8)
    surv_ax.set_axisbelow(True)
    surv_ax.set_title(f"survival curve over all {len(waits):,} callers who joined a queue\n"
                      "(those who abandoned count until they hung up)",
                      fontsize=9, loc="left", color="#444444")
    surv_ax.legend(loc="upper right", fontsize=9, framealpha=0.9)

    figure.suptitle(f"Queue waits of {_sample_note(result)}",
                    fontsize=13, fontweight="bold", x=0.01, ha="left")
    return _png(figure, result, "Queue waits of the sample day")


def _queue_level(arrived: np.ndarray, wait: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step function of the number waiting: +1 at each arrival, -1 when its wait ends."""
    times = np.concatenate((arrived, arrived + wait))
    deltas = np.concatenate((np.ones(len(arrived)), -np.ones(len(arrived))))
    order = np.lexsort((deltas, times))  # at equal times, leave before joining
    return np.concatenate(([0.0], times[order])), np.concatenate(([0.0], np.cumsum(deltas[order])))


def queue_length_png(result: RunResult) -> bytes:
    """Callers waiting over the clock day of the sample day (a step function from the records)."""
    scenario = result.scenario
    day = result.sample_day
    records = day.records
    offset = scenario.start_s
    mask = waited_in_line(records) & (records.wait_s > 0)
    figure, (ax,) = _new_figure(WIDE)
    end = max(day.run_end_s, day.day_end_s)
    if end > day.day_end_s + 1.0:
        ax.axvspan(offset + day.day_end_s, offset + end, color="#bbbbbb", alpha=0.3, linewidth=0,
                   label="after the last interval\n(no new callers; agents\nfinish the queue)")
    edges = offset + np.arange(scenario.n_intervals + 1) * scenario.interval_s
    mean_level = _series(result, "avg_queue_length")[0]
    ax.stairs(np.nan_to_num(mean_level), edges, color="#222222", linewidth=1.6, linestyle="--", baseline=None,
              zorder=3, label=f"interval mean over all {result.replications}\nreplications (time-weighted"
                              + (",\nall queues)" if len(scenario.queues) > 1 else ")"))
    # one step function per queue, stacked: the top edge is the total number waiting
    queued_at = _queued_at_s(records)
    steps = [
        _queue_level(queued_at[mask & (records.queue == index)], records.wait_s[mask & (records.queue == index)])
        for index in range(len(scenario.queues))
    ]
    grid = np.unique(np.concatenate([times for times, _ in steps]))
    lower = np.zeros(len(grid))
    palette = (COLOURS["offered"], COLOURS["balked"], COLOURS["unserved"], COLOURS["answered"], COLOURS["abandoned"])
    for index, (queue, (times, level)) in enumerate(zip(scenario.queues, steps)):
        upper = lower + level[np.searchsorted(times, grid, side="right") - 1]
        ax.fill_between(offset + grid, lower, upper, step="post", color=palette[index % len(palette)], alpha=0.8,
                        linewidth=0.5, edgecolor=palette[index % len(palette)], label=f"waiting for {_plain(queue.name)}" if len(steps) > 1 else "callers waiting")
        lower = upper
    span = end
    if result.timeline is None:
        tick = next((step for step in (900, 1800, 3600, 7200, 10800, 14400, 21600) if span / step <= 14), 43200)
        ax.xaxis.set_major_locator(MultipleLocator(tick))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: _clock(x)))
        ax.set_xlabel("clock time (HH:MM)")
    else:  # a timeline of several days: each day's start, dated
        days = result.timeline.days
        starts = [offset + day.first * scenario.interval_s for day in days]
        ax.xaxis.set_major_locator(FixedLocator(starts))
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda x, pos: f"{days[pos].weekday}\n{days[pos].date[5:]}" if pos is not None and pos < len(days) else ""))
        for start in starts:
            ax.axvline(start, color="#999999", linewidth=0.8, linestyle=":")
        ax.set_xlabel(f"day (each from {scenario.start}; {days[0].date} to {days[-1].date})")
    ax.set_xlim(offset, offset + end)
    ax.set_ylim(bottom=0)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("callers waiting in queue")
    ax.grid(color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    _titles(figure, ax, "Queue length through the " + ("day" if result.timeline is None else "days"), result,
            _sample_note(result))
    _legend(ax)
    return _png(figure, result, "Queue length of the sample day")


PLOTTERS = {
    "volumes.png": volumes_png,
    "service_level_asa.png": service_level_asa_png,
    "occupancy.png": occupancy_png,
    "wait_distribution.png": wait_distribution_png,
    "queue_length.png": queue_length_png,
}
SAMPLE_DAY_PLOTS = {"wait_distribution.png", "queue_length.png"}


def run_plots(result: RunResult) -> dict[str, bytes]:
    """Every plot of a run as {file name: PNG bytes}, in PLOT_FILES order.

    The sample-day plots need `result.sample_day`; without it they are left out.
    """
    return {
        name: plotter(result)
        for name, plotter in PLOTTERS.items()
        if result.sample_day is not None or name not in SAMPLE_DAY_PLOTS
    }
