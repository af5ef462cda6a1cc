"""Plots of a staffing plan (matplotlib Agg; Figure objects, never pyplot; PNG bytes out).

* `staffing_png(plan)`: per queue, required and scheduled agents per interval, with the calls
  per interval on a second axis.
* `service_level_png(verification)`: planned service level per interval beside the simulated
  one with its 95% confidence interval, the target, and the intervals where the simulation
  misses a target the maths met.

`plan_plots` returns {file name: PNG bytes} for `callsim plan`.
"""
from __future__ import annotations

import io
import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from planner.plan import ScenarioPlan
from planner.verify import Verification

from .documents import DOCUMENT_ID_KEY

STAFFING_FILE = "plan_staffing.png"
SERVICE_LEVEL_FILE = "plan_service_level.png"
# Okabe-Ito colours: distinguishable with colour-blindness
COLOURS = {"scheduled": "#9ecae1", "required": "#0072B2", "calls": "#555555", "planned": "#0072B2",
           "simulated": "#E69F00", "target": "#222222", "miss": "#D55E00"}
DPI = 100


def _figure(width: float, height: float, rows: int = 1) -> tuple[Figure, list]:
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, 1, squeeze=False, sharex=True).ravel()
    return figure, list(axes)


def _png(figure: Figure, title: str, document_id: str | None = None) -> bytes:
    """The figure as PNG bytes; `document_id` (see documents.fingerprint) is stamped in a text chunk."""
    metadata = {"Title": title, "Software": "callsim"}
    if document_id is not None:
        metadata[DOCUMENT_ID_KEY] = document_id
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata=metadata)
    figure.clear()
    return buffer.getvalue()


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _steps(values) -> np.ndarray:
    """Per-interval values as a step series over the interval edges (the last value repeated)."""
    values = np.asarray(values, dtype=float)
    return np.append(values, values[-1]) if values.size else values


def _interval_axis(ax, labels: list[str], interval_minutes: int) -> None:
    n = len(labels)
    step = max(1, math.ceil(n / 14))
    ticks = list(range(0, n, step))
    ax.set_xticks(ticks)
    ax.set_xticklabels([labels[i] for i in ticks], rotation=0)
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_xlabel(f"interval start (clock time; {interval_minutes}-minute intervals)")


def staffing_png(plan: ScenarioPlan) -> bytes:
    """Required and scheduled agents per interval, per queue, over the calls (twin axis)."""
    scenario = plan.scenario
    labels = plan.labels
    n_queues = len(plan.queues)
    figure, axes = _figure(11.0, 2.2 + 2.6 * n_queues, rows=n_queues)
    x = np.arange(len(labels))
    edges = np.arange(len(labels) + 1) - 0.5
    title = "Required and scheduled agents per interval"
    figure.suptitle(title, fontsize=14, fontweight="bold", x=0.01, ha="left")
    for ax, qp in zip(axes, plan.queues):
        p, d = qp.plan, qp.demand
        calls_ax = ax.twinx()
        calls_ax.fill_between(edges, _steps(d.calls), step="post", color=COLOURS["calls"], alpha=0.18, linewidth=0)
        calls_ax.step(edges, _steps(d.calls), where="post", color=COLOURS["calls"], alpha=0.5, linewidth=0.8)
        calls_ax.set_ylabel("calls per interval (grey area)", color=COLOURS["calls"])
        calls_ax.set_ylim(0, max(max(d.calls), 1) * 1.25)
        ax.set_zorder(calls_ax.get_zorder() + 1)  # the agents' lines above the calls' area
        ax.patch.set_visible(False)
        ax.step(edges, _steps(p.scheduled_agents), where="post", color=COLOURS["scheduled"], linewidth=5,
                solid_capstyle="butt")
        ax.step(edges, _steps(p.agents), where="post", color=COLOURS["required"], linewidth=1.6)
        ax.plot(x, p.agents, linestyle="none", color=COLOURS["required"], marker="o", markersize=4)
        ax.set_ylabel("agents")
        ax.set_ylim(0, max(max(p.scheduled_agents), 1) * 1.15)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        model = "Erlang A" if qp.model == "erlang_a" else "Erlang C"
        varying = d.handle_time_by_interval_s
        aht = (f"AHT {min(varying):.0f}\u2013{max(varying):.0f} s through the day" if varying
               else f"AHT {d.mean_handle_time_s:.0f} s")
        heading = f"queue '{d.queue}' ({model}, {aht}) \u2192 group '{qp.group}'"
        if ax is axes[0]:
            heading = f"{_short(scenario.name)}\n{heading}"
        ax.set_title(heading, fontsize=10, loc="left", color="#333333")
        handles = [
            Line2D([], [], color=COLOURS["scheduled"], linewidth=5,
                   label=f"scheduled agents\n(shrinkage {plan.shrinkage:.0%})"),
            Line2D([], [], color=COLOURS["required"], marker="o", markersize=4, label="required agents\n(on the phones)"),
            Patch(color=COLOURS["calls"], alpha=0.3, label="calls per interval\n(right axis)"),
        ]
        if ax is axes[0]:
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.07, 1.0), frameon=False, fontsize=9)
        _interval_axis(ax, labels, scenario.interval_minutes)
    for ax in axes[:-1]:
        ax.set_xlabel("")
    return _png(figure, title)


def service_level_png(verification: Verification) -> bytes:
    """Planned vs simulated service level per interval (95% CIs), the target and the misses."""
    result = verification.result
    scenario = result.scenario
    labels = scenario.interval_labels()
    rows = verification.rows[:-1]
    x = np.arange(len(labels))
    planned = np.array([np.nan if r.checks["service_level"].planned is None else r.checks["service_level"].planned
                        for r in rows], dtype=float) * 100
    estimates = [r.checks["service_level"].simulated for r in rows]
    mean = np.array([e.mean for e in estimates], dtype=float) * 100
    low = np.array([e.ci95[0] if e.ci95 else np.nan for e in estimates], dtype=float) * 100
    high = np.array([e.ci95[1] if e.ci95 else np.nan for e in estimates], dtype=float) * 100
    low, high = np.clip(low, 0, 100), np.clip(high, 0, 100)  # a t interval can pass 100%: show the possible part
    miss = np.array([r.checks["service_level"].miss for r in rows])
    target = scenario.targets.service_level
    figure, (ax,) = _figure(11.0, 4.8)
    title = "Service level per interval: planned (Erlang) vs simulated"
    figure.suptitle(title, fontsize=14, fontweight="bold", x=0.01, ha="left")
    ax.set_title(f"{_short(scenario.name)}: {result.replications} simulated days, error bars = 95% CI; "
                 "all queues together", fontsize=10, loc="left", color="#444444")
    ax.axhline(target.fraction * 100, color=COLOURS["target"], linestyle="--", linewidth=1.2,
               label=f"target {target.fraction:.0%}")
    ax.plot(x, planned, color=COLOURS["planned"], marker="o", markersize=5, linewidth=1.8, label="planned (Erlang)")
    yerr = np.vstack([mean - low, high - mean])
    yerr = np.where(np.isfinite(yerr), yerr, 0.0)
    ax.errorbar(x + 0.12, mean, yerr=yerr, color=COLOURS["simulated"], marker="D", markersize=5, linewidth=1.4,
                capsize=3, label="simulated mean (95% CI)")
    if miss.any():
        ax.scatter(x[miss] + 0.12, mean[miss], s=160, facecolors="none", edgecolors=COLOURS["miss"], linewidths=2,
                   zorder=5, label="miss: plan met the target,\nsimulation's whole CI below it")
    finite = np.concatenate([planned[np.isfinite(planned)], low[np.isfinite(low)], [target.fraction * 100]])
    bottom = max(0.0, math.floor((finite.min() - 5) / 10) * 10) if finite.size else 0.0
    ax.set_ylim(bottom, 101)
    ax.set_ylabel(f"service level (% answered within {target.within:g} s)")
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    _interval_axis(ax, labels, scenario.interval_minutes)
    return _png(figure, title)


def plan_plots(plan: ScenarioPlan, verification: Verification | None = None) -> dict[str, bytes]:
    files = {STAFFING_FILE: staffing_png(plan)}
    if verification is not None:
        files[SERVICE_LEVEL_FILE] = service_level_png(verification)
    return files
