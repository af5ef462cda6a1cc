"""Plots of a comparison, rendered to PNG bytes: KPIs side by side, and the paired differences.

`comparison_plots(c)` returns {file name: PNG bytes} for `output.write_atomically`. Figures are
plain `matplotlib.figure.Figure` objects on an Agg canvas (pyplot is never imported). Scenarios
are lettered A, B, C, ... as in the text table, each with its own colour-blind-safe colour.
Each PNG of a comparison carries a `callsim-comparison` text chunk, a fingerprint of the
scenarios, labels, seed and replications, so a report assembled later from a results folder can
tell plots left over from another comparison (`document_comparison_id` reads it off
comparison.json).
"""
from __future__ import annotations

import hashlib
import json
import math
from typing import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from studies.compare import Comparison

from .compare_output import _letter, pair_heading
from .figures import DPI, png_bytes  # noqa: F401 (png_bytes: the plot modules take it from here)
from .text import format_difference, readable, unit_of

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
SCENARIO_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
TARGET_COLOUR = "#222222"
COMPARE_FILES = ("compare_kpis.png", "compare_differences.png", "compare_queues.png", "compare_intervals.png")
COMPARISON_ID_KEY = "callsim-comparison"


def comparison_id(labels: Sequence[str], scenarios: Sequence[dict], seed: int, replications: int) -> str:
    """A short fingerprint of what a comparison's numbers depend on. `scenarios` in their JSON
    form (`Scenario.model_dump(mode="json")`, as in comparison.json)."""
    text = json.dumps({"labels": list(labels), "scenarios": list(scenarios), "seed": seed,
                       "replications": replications}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def document_comparison_id(document: dict) -> str:
    """The fingerprint of the comparison a comparison.json document describes."""
    scenarios = document.get("scenarios", [])
    return comparison_id([s.get("label") for s in scenarios], [s.get("scenario") for s in scenarios],
                         document.get("seed"), document.get("replications"))


def new_figure(size: tuple[float, float], rows: int = 1, cols: int = 1, title: str = "", subtitle: str = "", **kwargs):
    """A figure with a bold title and a grey subtitle on top and a grid of axes below.

    The titles live in a subfigure of fixed height, so the grid's layout never depends on
    their length. Returns (figure, body, axes): put figure-wide legends on `body`.
    """
    import textwrap

    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    width_chars = int(size[0] * 15.5)  # 9.5-point text, about 15 characters an inch
    lines = [line for part in subtitle.split("\n") for line in textwrap.wrap(part, width_chars)] if subtitle else []
    head_in = 0.5 + 0.19 * len(lines)
    head, body = figure.subfigures(2, 1, height_ratios=[head_in, size[1] - head_in])
    head.text(0.008, 1 - 0.1 / head_in, title, fontsize=14, fontweight="bold", ha="left", va="top")
    if lines:
        head.text(0.008, 1 - 0.42 / head_in, "\n".join(lines), fontsize=9.5, color="#444444", ha="left", va="top",
                  linespacing=1.35)
    axes = body.subplots(rows, cols, squeeze=False, **kwargs)
    return figure, body, axes.ravel()


def figure_legend(body, handles, most_columns: int, fontsize: float = 9) -> None:
    """A legend under the plots with as many columns as fit the figure's width (at most
    `most_columns`), so that long scenario names wrap onto more rows instead of running off the
    right edge."""
    width_in = body.figure.get_figwidth() * 0.96
    char_in = 0.55 * fontsize / 72  # an average character of the legend's font, inches
    entry_in = max((len(h.get_label()) + 5) * char_in for h in handles)  # + the key and the gap
    columns = max(1, min(len(handles), most_columns, int(width_in // entry_in)))
    body.legend(handles=handles, loc="outside lower center", ncols=columns, frameon=False, fontsize=fontsize)


def axis_label(name: str, difference: bool = False) -> str:
    """Y-axis label with the unit of a KPI (or of its difference)."""
    unit = unit_of(name)
    if unit.suffix == "%" and difference:
        return f"{readable(name)} (percentage points)"
    return f"{readable(name)} ({unit.axis})"


def value_formatter(name: str, difference: bool = False) -> FuncFormatter:
    """Tick labels in the KPI's unit; differences signed (rates in percentage points)."""
    percent = unit_of(name).suffix == "%"
    scale = 100.0 if percent else 1.0
    suffix = "%" if percent and not difference else ""

    def tick(value: float, _pos) -> str:
        v = round(value * scale, 6) + 0.0  # no "-0"
        if difference:
            return f"{v:+g}" if v else "0"
        return f"{v:,g}{suffix}" if abs(v) < 1e6 else f"{v:,.0f}{suffix}"

    return FuncFormatter(tick)


def _short_value(name: str, value: float) -> str:
    if not math.isfinite(value):
        return "-"
    suffix = unit_of(name).suffix
    if suffix == "%":
        return f"{value:.1%}"
    if suffix == " s":
        return f"{value:.0f} s" if abs(value) >= 10 else f"{value:.1f} s"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def plot_kpis(c: Comparison) -> list[str]:
    """The main KPIs (service level, ASA, abandonment, occupancy, mean wait) and one that shows
    what the scenarios are about (IVR containment, callback delay or cost per call)."""
    present = set(c.kpis)
    kpis = [k for k in ("service_level", "asa", "abandon_rate", "occupancy", "avg_wait") if k in present]
    for extra in ("containment_rate", "callback_delay", "cost_per_call", "wait_p90"):
        if extra in present:
            kpis.append(extra)
            break
    return kpis


def _target(c: Comparison, name: str):
    """(kind, value) of the first scenario's target for this KPI, if any."""
    targets = c.runs[0].scenario.targets
    if name == "service_level":
        return "min", targets.service_level.fraction
    if name == "asa" and targets.asa is not None:
        return "max", targets.asa
    if name == "abandon_rate" and targets.abandon_rate is not None:
        return "max", targets.abandon_rate
    if name == "occupancy":
        return "band", targets.occupancy
    return None


def kpi_bars(c: Comparison, kpis: Sequence[str] | None = None, title: str = "KPIs by scenario (whole day)",
             subtitle: str | None = None, size: tuple[float, float] | None = None) -> Figure:
    """One panel per KPI: a bar per scenario with its 95% CI, the target drawn across."""
    kpis = list(kpis or plot_kpis(c))
    cols = 2 if len(kpis) == 4 else min(3, len(kpis))
    rows = math.ceil(len(kpis) / cols)
    figure, body, axes = new_figure(size or (4.1 * cols + 0.6, 3.3 * rows + 1.5), rows, cols,
                                    title=title, subtitle=subtitle or _subtitle(c))
    letters = [_letter(i) for i in range(len(c.labels))]
    x = np.arange(len(c.labels))
    target_drawn = False
    for ax, name in zip(axes, kpis):
        top = 0.0
        ticks = []
        for i in range(len(c.labels)):
            estimate = c.estimate(i, name)
            if estimate is None or not math.isfinite(estimate.mean):
                ticks.append(f"{letters[i]}\nabsent")
                continue
            low, high = estimate.ci95 if estimate.ci95 else (estimate.mean, estimate.mean)
            ax.bar(x[i], estimate.mean, 0.65, color=SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)],
                   yerr=[[max(estimate.mean - low, 0)], [max(high - estimate.mean, 0)]],
                   error_kw={"elinewidth": 1.2, "capsize": 4, "ecolor": "#222222"})
            # the value goes under the bar's letter, never above the bar: a target line or a grid
            # line at that height would strike through it
            ticks.append(f"{letters[i]}\n{_short_value(name, estimate.mean)}")
            top = max(top, high)
        target = _target(c, name)
        if target is not None:
            kind, value = target
            if kind == "band":
                ax.axhspan(value[0], value[1], color="#009E73", alpha=0.12, linewidth=0)
                top = max(top, value[1])
            else:
                ax.axhline(value, color=TARGET_COLOUR, linestyle="--", linewidth=1.2)
                top = max(top, value)
            target_drawn = True
        if unit_of(name).suffix == "%":
            ax.set_ylim(0, min(1.05, max(top * 1.18, 0.05)))
        else:
            ax.set_ylim(0, max(top * 1.18, 1.0))
        ax.set_xticks(x, ticks)
        ax.set_xlim(-0.6, len(c.labels) - 0.4)
        ax.set_xlabel("scenario (mean)")
        ax.set_ylabel(axis_label(name))
        ax.yaxis.set_major_formatter(value_formatter(name))
        ax.set_title(readable(name), fontsize=11, loc="left")
        ax.grid(axis="y", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    handles = [Patch(color=SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)], label=f"{letter}: {label}")
               for i, (letter, label) in enumerate(zip(letters, c.labels))]
    handles.append(Line2D([], [], color="#222222", marker="|", markersize=10, linestyle="none", label="95% CI"))
    if target_drawn:
        handles.append(Line2D([], [], color=TARGET_COLOUR, linestyle="--", label=f"target of {letters[0]}"))
        handles.append(Patch(color="#009E73", alpha=0.25, label="occupancy target band"))
    figure_legend(body, handles, 4)
    return figure


def _subtitle(c: Comparison) -> str:
    return (f"mean of {c.replications} replications (same callers in every scenario, seed {c.seed}); "
            "error bars: 95% CI")


def difference_plot(c: Comparison, kpis: Sequence[str] | None = None, title: str | None = None) -> Figure:
    """One panel per KPI: each pair's paired difference (later minus first) with its 95% CI
    (filled marker if significant) and, lighter, the unpaired CI two independent runs would
    give. The value is written under the pair's name, clear of the 0 line."""
    kpis = [k for k in (kpis or plot_kpis(c)) if any(c.pair_difference(pair, k) is not None for pair in c.pairs)]
    kpis = kpis or ["service_level"]
    cols = min(3, len(kpis))
    rows = math.ceil(len(kpis) / cols)
    baseline = c.baseline
    title = title or ("Paired differences to scenario " + _letter(baseline) if baseline is not None
                      else "Paired differences, every pair") + " (whole day)"
    figure, body, axes = new_figure(
        (4.1 * cols + 0.6, 3.3 * rows + 1.5), rows, cols, title=title,
        subtitle=f"difference per replication on the same callers, mean of {c.replications}; "
                 "a CI clear of the 0 line is a real difference")
    x = np.arange(len(c.pairs))
    for ax, name in zip(axes, kpis):
        ticks = []
        for j, pair in enumerate(c.pairs):
            diff = c.pair_difference(pair, name)
            colour = pair_colour(c, pair)
            heading = pair_heading(c, pair)
            if diff is None or not math.isfinite(diff.mean):
                ticks.append(f"{heading}\nabsent")
                continue
            if diff.unpaired_ci95 is not None:
                low, high = diff.unpaired_ci95
                ax.errorbar(x[j] + 0.18, diff.mean, yerr=[[diff.mean - low], [high - diff.mean]], fmt="none",
                            ecolor="#AAAAAA", elinewidth=3, capsize=0)
            low, high = diff.ci95 if diff.ci95 else (diff.mean, diff.mean)
            ax.errorbar(x[j], diff.mean, yerr=[[diff.mean - low], [high - diff.mean]], fmt="o", color=colour,
                        markerfacecolor=colour if diff.significant else "white", markersize=8, elinewidth=1.6,
                        capsize=5, markeredgewidth=1.6)
            ticks.append(f"{heading}\n{format_difference(name, diff.mean)}" + (" *" if diff.significant else ""))
        _difference_axes(ax, name)
        ax.set_xticks(x, ticks, fontsize=8 if len(c.pairs) > 3 else None)
        ax.set_xlim(-0.6, len(c.pairs) - 0.4)
        ax.margins(y=0.25)
        ax.set_xlabel("later minus first (mean difference)")
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    handles = [
        Line2D([], [], color="#444444", marker="o", markersize=8, linestyle="-", label="paired difference, 95% CI; filled = significant"),
        Line2D([], [], color="#444444", marker="o", markerfacecolor="white", markersize=8, linestyle="none",
               label="hollow = not significant (CI includes 0)"),
        Line2D([], [], color="#AAAAAA", linewidth=3, label="unpaired 95% CI (two independent runs)"),
    ]
    handles += [Patch(color=pair_colour(c, pair),
                      label=f"{pair_heading(c, pair)}: {c.labels[pair.later]} minus {c.labels[pair.first]}")
                for pair in c.pairs]
    figure_legend(body, handles, 3)
    return figure


def _difference_axes(ax, name: str) -> None:
    """The 0 line, the y axis in the KPI's difference unit, the title and the grid of a panel of
    differences (per pair or per interval)."""
    ax.axhline(0, color="#222222", linewidth=1.0)
    ax.set_ylabel("difference: " + axis_label(name, difference=True))
    ax.yaxis.set_major_formatter(value_formatter(name, difference=True))
    ax.set_title(readable(name), fontsize=11, loc="left")
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)


def pair_colour(c: Comparison, pair) -> str:
    """Against one baseline a pair has the colour of its later scenario (as in the KPI bars);
    with every pair, each pair its own (two pairs share a later scenario)."""
    index = pair.later if c.baseline is not None else c.pairs.index(pair) + 1
    return SCENARIO_COLOURS[index % len(SCENARIO_COLOURS)]


INTERVAL_KPIS = ("service_level", "asa", "abandon_rate", "occupancy")


def interval_difference_plot(c: Comparison, kpis: Sequence[str] = INTERVAL_KPIS) -> Figure | None:
    """One panel per KPI: each pair's paired difference per interval (whole centre), a line
    with its 95% CI as a band around it and the 0 line, for the pairs whose days are laid out as
    the first scenario's (intervals cannot be matched otherwise); None if there is none."""
    pairs = [pair for pair in c.pairs if c.same_day_layout(pair) and c.layout(pair.first) == c.layout(0)]
    if not pairs:
        return None
    kpis = [k for k in kpis if any(c.pair_difference(pair, k) is not None for pair in pairs)]
    labels = c.interval_labels()
    n = len(labels)
    cols = 2
    rows = math.ceil(len(kpis) / cols)
    figure, body, axes = new_figure(
        (max(11.0, 0.32 * n * cols + 2), 3.4 * rows + 1.6), rows, cols, title="Paired differences per interval",
        subtitle=f"whole centre, by the interval the calls arrived in (occupancy: the agents' time in it); line: mean "
                 f"difference over {c.replications} replications on the same callers, band: its 95% CI. Where the "
                 "band leaves the 0 line the interval differs (each band is its own 95% interval: about 1 interval in 20 "
                 "leaves the 0 line by chance alone).")
    x = np.arange(n)
    step = max(1, math.ceil(n / 12))
    for ax, name in zip(axes, kpis):
        for pair in pairs:
            diffs = [c.pair_difference(pair, name, interval=k) for k in range(n)]
            if all(d is None for d in diffs):
                continue
            mean = np.array([d.mean if d is not None else np.nan for d in diffs])
            low = np.array([d.ci95[0] if d is not None and d.ci95 else np.nan for d in diffs])
            high = np.array([d.ci95[1] if d is not None and d.ci95 else np.nan for d in diffs])
            colour = pair_colour(c, pair)
            ax.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0)
            ax.plot(x, mean, color=colour, linewidth=1.8, marker="o", markersize=3)
        _difference_axes(ax, name)
        ax.set_xticks(x[::step], labels[::step])
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_xlabel("interval start")
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    handles = [Patch(color=pair_colour(c, pair), alpha=0.6,
                     label=f"{pair_heading(c, pair)}: {c.labels[pair.later]} minus {c.labels[pair.first]} (band: 95% CI)")
               for pair in pairs]
    figure_legend(body, handles, 2)
    return figure


QUEUE_PLOT_KPIS = ("service_level", "abandon_rate", "asa")


def queue_bars(c: Comparison, kpis: Sequence[str] = QUEUE_PLOT_KPIS) -> Figure | None:
    """One panel per KPI: every queue's day value in each scenario with its 95% CI, the target
    drawn across, so a queue far from the target shows even when the centre meets it. None with
    a single queue (the centre's plot says it all)."""
    queues = c.queues()
    if len(queues) < 2:
        return None
    kpis = [k for k in kpis if k in c.queue_kpis()]
    figure, body, axes = new_figure((max(9.0, 1.1 * len(queues) * len(kpis) ** 0.5 + 4), 3.4 * len(kpis) + 1.4),
                                    len(kpis), 1, title="Per queue (whole day)",
                                    subtitle=_subtitle(c) + "; dashed: the target of the first scenario")
    x = np.arange(len(queues))
    width = 0.8 / len(c.labels)
    for ax, name in zip(axes, kpis):
        top = 0.0
        for i in range(len(c.labels)):
            for q, queue in enumerate(queues):
                estimate = c.estimate(i, name, queue=queue)
                if estimate is None or not math.isfinite(estimate.mean):
                    continue
                low, high = estimate.ci95 if estimate.ci95 else (estimate.mean, estimate.mean)
                ax.bar(x[q] + (i - (len(c.labels) - 1) / 2) * width, estimate.mean, width * 0.92,
                       color=SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)],
                       yerr=[[max(estimate.mean - low, 0)], [max(high - estimate.mean, 0)]],
                       error_kw={"elinewidth": 1.0, "capsize": 3, "ecolor": "#222222"})
                top = max(top, high)
        target = _target(c, name)
        if target is not None and target[0] != "band":
            ax.axhline(target[1], color=TARGET_COLOUR, linestyle="--", linewidth=1.2)
            top = max(top, target[1])
        ax.set_ylim(0, min(1.05, max(top * 1.15, 0.05)) if unit_of(name).suffix == "%" else max(top * 1.15, 1.0))
        ax.set_xticks(x, queues)
        ax.set_ylabel(axis_label(name))
        ax.yaxis.set_major_formatter(value_formatter(name))
        ax.set_title(readable(name), fontsize=11, loc="left")
        ax.grid(axis="y", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
    handles = [Patch(color=SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)], label=f"{_letter(i)}: {label}")
               for i, label in enumerate(c.labels)]
    handles.append(Line2D([], [], color=TARGET_COLOUR, linestyle="--", label="target of A"))
    figure_legend(body, handles, 4)
    return figure


def comparison_plots(c: Comparison) -> dict[str, bytes]:
    stamp = {COMPARISON_ID_KEY: comparison_id(c.labels, [run.scenario.model_dump(mode="json") for run in c.runs],
                                              c.seed, c.replications)}
    plots = {
        "compare_kpis.png": png_bytes(kpi_bars(c), "KPIs by scenario", stamp),
        "compare_differences.png": png_bytes(difference_plot(c), "Paired differences", stamp),
    }
    for file, figure, title in (("compare_queues.png", queue_bars(c), "Per queue"),
                                ("compare_intervals.png", interval_difference_plot(c), "Differences per interval")):
        if figure is not None:
            plots[file] = png_bytes(figure, title, stamp)
    return plots
