"""Plots of a sweep: each KPI against agents (or the scaled input), simulated with 95% CIs and
the Erlang line. The trainers' picture of the occupancy-wait cliff.

`sweep_plots(s)` returns {file name: PNG bytes}. When both agents and a factor vary, each factor
is its own series (colour) against agents.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from studies.sweep import Sweep

from .compare_plots import SCENARIO_COLOURS, TARGET_COLOUR, axis_label, figure_legend, new_figure, png_bytes, value_formatter
from .text import readable

SWEEP_FILES = ("sweep_curves.png",)
_MODEL_NAMES = {"erlang_a": "Erlang A", "erlang_c": "Erlang C"}


def _x_label(s: Sweep) -> str:
    if s.group is not None:
        return s.agents_label
    return {"volume": "volume factor (x the scenario's calls)", "talk_time": "talk-time factor (x the mean talk time)",
            "patience": "patience factor (x the mean patience)"}[s.vary]


def _series(s: Sweep):
    """[(factor or None, x values, points)], one series per factor when agents vary too."""
    if s.group is None:
        return [(None, np.array([p.factor for p in s.points]), list(s.points))]
    factors = sorted({p.factor for p in s.points}, key=lambda f: (f is None, f))
    out = []
    for f in factors:
        points = [p for p in s.points if p.factor == f]
        out.append((f, np.array([p.agents for p in points], dtype=float), points))
    return out


def _target(s: Sweep, kpi: str):
    targets = s.scenario.targets
    return {
        "service_level": ("line", targets.service_level.fraction),
        "asa": ("line", targets.asa) if targets.asa is not None else None,
        "abandon_rate": ("line", targets.abandon_rate) if targets.abandon_rate is not None else None,
        "occupancy": ("band", targets.occupancy),
    }.get(kpi)


def sweep_curves(s: Sweep, title: str | None = None, subtitle: str | None = None) -> Figure:
    kpis = s.kpis()
    cols = 2
    rows = math.ceil(len(kpis) / cols)
    model = _MODEL_NAMES.get(s.model or "")
    default_subtitle = (f"{s.scenario.name}: KPIs of the {s.scope}; points: simulated mean of {s.replications} "
                        f"replications (same callers at every point) with 95% CI"
                        + (f"; line: {model} prediction" if model else "")
                        + "".join(f"\nnote: {note}" for note in s.notes))
    if title is None:
        title = "KPIs against staffing" if s.group is not None else f"KPIs against {s.vary.replace('_', ' ')}"
    figure, body, axes = new_figure((12.0, 3.6 * rows + 1.6), rows, cols, title=title,
                                    subtitle=subtitle or default_subtitle)
    series = _series(s)
    for ax, kpi in zip(axes, kpis):
        top = 0.0
        for index, (factor, x, points) in enumerate(series):
            colour = SCENARIO_COLOURS[index % len(SCENARIO_COLOURS)]
            dodge = (index - (len(series) - 1) / 2) * 0.07 if len(series) > 1 else 0.0
            estimates = [s.estimate(p, kpi) for p in points]
            mean = np.array([e.mean for e in estimates])
            low = np.array([e.ci95[0] if e.ci95 else e.mean for e in estimates])
            high = np.array([e.ci95[1] if e.ci95 else e.mean for e in estimates])
            finite = np.isfinite(mean)
            ax.errorbar(x[finite] + dodge, mean[finite],
                        yerr=[np.clip(mean - low, 0, None)[finite], np.clip(high - mean, 0, None)[finite]],
                        fmt="o" if model else "o-", linewidth=0.8, color=colour, markersize=5, elinewidth=1.3,
                        capsize=3, zorder=3)
            if finite.any():
                top = max(top, float(np.nanmax(high[finite])))
            if model:
                line = np.array([p.erlang[kpi] if p.erlang and p.erlang.get(kpi) is not None else math.nan for p in points])
                line = np.where(np.isfinite(line), line, np.nan)  # unstable (infinite wait): off the chart
                ax.plot(x, line, color=colour, linewidth=1.6, linestyle="-", alpha=0.75, zorder=2)
        target = _target(s, kpi)
        if target is not None:
            kind, value = target
            if kind == "band":
                ax.axhspan(value[0], value[1], color="#009E73", alpha=0.12, linewidth=0, zorder=1)
            else:
                ax.axhline(value, color=TARGET_COLOUR, linestyle="--", linewidth=1.1, zorder=1)
                top = max(top, value)
        if kpi in ("service_level", "abandon_rate", "occupancy"):
            ax.set_ylim(0, 1.02 if kpi != "abandon_rate" else max(0.05, min(1.02, top * 1.12)))
        else:
            ax.set_ylim(0, max(top * 1.12, 1.0))
        ax.set_ylabel(axis_label(kpi))
        ax.yaxis.set_major_formatter(value_formatter(kpi))
        ax.set_xlabel(_x_label(s))
        if s.group is not None:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if s.relative:
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:+g}" if v else "0"))
        else:
            ax.set_xticks(series[0][1], [f"x{f:g}" for f in series[0][1]])
        ax.set_title(readable(kpi), fontsize=11, loc="left")
        ax.grid(color="#e4e4e4", linewidth=0.8)
        ax.set_axisbelow(True)
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    handles = [Line2D([], [], color="#444444", marker="o", linestyle="none", label="simulated, 95% CI")]
    if model:
        handles.append(Line2D([], [], color="#444444", linewidth=1.6, alpha=0.75, label=f"{model} (steady state)"))
    handles.append(Line2D([], [], color=TARGET_COLOUR, linestyle="--", label="target"))
    handles.append(Patch(color="#009E73", alpha=0.25, label="occupancy target band"))
    if len(series) > 1:
        handles += [Patch(color=SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)], label=f"{s.vary} x{f:g}")
                    for i, (f, _, _) in enumerate(series)]
    figure_legend(body, handles, 5)
    return figure


def sweep_plots(s: Sweep) -> dict[str, bytes]:
    return {"sweep_curves.png": png_bytes(sweep_curves(s), "Sweep curves")}
