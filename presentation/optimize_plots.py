"""Plots of `callsim optimize` (matplotlib Agg; Figure objects, never pyplot; PNG bytes out).

* `staffing_png(result)`: agents per interval, Erlang plan beside the optimised staffing, one
  panel per agent group.
* `kpis_png(result)`: the targeted KPIs of the optimised staffing per interval (mean and 95% CI
  band, per queue when each queue is judged on its own) against their targets, on the
  confirmation replications (days the search never used: the figures the answer is judged on);
  on the search's own only when the confirmation was switched off, and the title says which.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.ticker import MaxNLocator, PercentFormatter

from studies.optimize import KPI_LABELS, OptimizeResult

from .optimize_output import _staffing_dict, optimize_id, saving_words
from .plan_plots import COLOURS, _figure, _interval_axis, _png, _short

STAFFING_FILE = "optimize_staffing.png"
KPIS_FILE = "optimize_kpis.png"
PART_COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442", "#999999"]


def staffing_png(result: OptimizeResult) -> bytes:
    names = result.group_names
    figure, axes = _figure(9.0, 2.4 + 2.0 * len(names), rows=len(names))
    x = np.arange(result.scenario.n_intervals)
    plan_label = "carry-over plan" if result.start == "carry_over" else "Erlang plan"
    for g, (ax, name) in enumerate(zip(axes, names)):
        ax.step(x, result.plan_evaluation.staffing[g], where="mid", color=COLOURS["scheduled"], linewidth=2.5,
                label=plan_label)
        ax.step(x, result.final.staffing[g], where="mid", color=COLOURS["required"], linewidth=1.8,
                label="optimised (simulation)")
        for k in result.infeasible:
            ax.axvspan(k - 0.5, k + 0.5, color=COLOURS["miss"], alpha=0.15, linewidth=0)
        ax.set_ylabel("agents")
        hours = result.scenario.interval_minutes / 60.0
        ax.set_title(_short(f"{name}: {plan_label} {sum(result.plan_evaluation.staffing[g]) * hours:,.1f} agent-hours, "
                            f"optimised {sum(result.final.staffing[g]) * hours:,.1f}"), fontsize=10, loc="left")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(loc="upper right", fontsize=8, frameon=False)
    _interval_axis(axes[-1], result.labels, result.scenario.interval_minutes)
    saving = result.saving_agent_hours
    figure.suptitle(_short(f"{result.scenario.name}: agents per interval; agent-hours "
                           + saving_words(saving, result.plan_evaluation.agent_hours), 120),
                    fontsize=11)
    return _png(figure, "callsim optimize: agents per interval", optimize_id_of(result))


def kpis_png(result: OptimizeResult) -> bytes:
    kinds = list(dict.fromkeys(c.kpi for c in result.constraints))
    figure, axes = _figure(9.0, 1.0 + 2.3 * len(kinds), rows=len(kinds))
    x = np.arange(result.scenario.n_intervals)
    # the figures the answer is judged on: out of sample (the search's own figures sit at the edge of the targets
    # by construction, so plotting them would show every target met whatever fresh days do)
    checks, confidence = plotted_checks(result)
    for ax, kind in zip(axes, kinds):
        constraints = [c for c in result.constraints if c.kpi == kind]
        for i, constraint in enumerate(constraints):
            values = [check.values[constraint.key] for check in checks]
            mean = np.array([v.mean for v in values])
            low = np.array([v.ci95[0] if v.ci95 else math.nan for v in values])
            high = np.array([v.ci95[1] if v.ci95 else math.nan for v in values])
            colour = PART_COLOURS[i % len(PART_COLOURS)]
            label = constraint.part[1] if constraint.part else "all"
            ax.fill_between(x, low, high, color=colour, alpha=0.18, linewidth=0)
            ax.plot(x, mean, marker="o", markersize=3, color=colour, linewidth=1.4, label=label)
        target = constraints[0].target
        ax.axhline(target, color=COLOURS["target"], linestyle="--", linewidth=1.0, label="target")
        for k in result.infeasible:
            ax.axvspan(k - 0.5, k + 0.5, color=COLOURS["miss"], alpha=0.15, linewidth=0)
        name = KPI_LABELS[kind]
        if kind == "asa":
            ax.set_ylabel("ASA, s")
            ax.set_ylim(bottom=0)
        else:
            ax.set_ylabel(name)
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
        sense = ">=" if constraints[0].at_least else "<="
        shown = f"{target:g} s" if kind == "asa" else f"{target:.0%}"
        if kind == "service_level":
            shown += f" within {result.scenario.targets.service_level.within:g} s"
        ax.set_title(f"{name} {sense} {shown}" + (f" (met on the one-sided {confidence:.0%} bound)"
                                                  if confidence else ""), fontsize=10, loc="left")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="best", fontsize=7, frameon=False, ncol=min(len(constraints) + 1, 5))
    _interval_axis(axes[-1], result.labels, result.scenario.interval_minutes)
    figure.suptitle(_short(f"{result.scenario.name}: optimised staffing, KPIs (mean, 95% CI)", 100) + "\n"
                    + sample_words(result), fontsize=11)
    return _png(figure, "callsim optimize: KPIs against targets", optimize_id_of(result))


def plotted_checks(result: OptimizeResult):
    """The per-interval figures `kpis_png` draws and the confidence they were judged at: the confirmation's
    (`result.judged`) when there is one, else the search's own."""
    if result.confirmation is not None:
        return result.confirmation.checks, result.confirm_confidence
    return result.final.checks, result.confidence


def sample_words(result: OptimizeResult) -> str:
    """Which replications the KPI figures are from, for a title."""
    if result.confirmation is None:
        return f"on the search's own {result.replications} replications (no confirmation)"
    return (f"out of sample: {result.confirm_replications} confirmation replications the search never used "
            f"(from {result.confirm_first_replication:,})")


def optimize_id_of(result: OptimizeResult) -> str:
    return optimize_id(result.scenario.name, result.seed, result.replications, _staffing_dict(result, result.final))


def optimize_plots(result: OptimizeResult) -> dict[str, bytes]:
    return {STAFFING_FILE: staffing_png(result), KPIS_FILE: kpis_png(result)}
