"""Plots of a shift schedule (matplotlib Agg; Figure objects, never pyplot; PNG bytes out).

`coverage_png(schedule)`: per group, two panels on the clock of the day. Above, per slot,
bars stacked to the agents on shift: on the phones, lost to shrinkage, on a break; the
requirement (on the phones) as a line over them, slots short of it marked. Below, the shifts
themselves, one bar per distinct shift with its agent count, breaks cut out of it.

`schedule_plots` returns {file name: PNG bytes} for `callsim schedule`.
"""
from __future__ import annotations


import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from studies.schedule import Schedule

from .documents import fingerprint
from .plan_plots import _png

COVERAGE_FILE = "schedule_coverage.png"
# Okabe-Ito colours: distinguishable with colour-blindness
COLOURS = {"phones": "#56B4E9", "shrinkage": "#cfe8f5", "break": "#E69F00", "required": "#000000", "short": "#D55E00",
           "unpaid": "#F0E442"}
DPI = 100


def _clock_axis(ax, schedule: Schedule, n_slots: int) -> None:
    per_hour = 60 // schedule.slot_minutes if 60 % schedule.slot_minutes == 0 else 1
    start_min = int(schedule.scenario.start_s // 60)
    first = (-(start_min % 60) // schedule.slot_minutes) % per_hour if per_hour > 1 else 0
    hours = n_slots // per_hour
    step = per_hour * max(1, round(hours / 12))
    ticks = list(range(first, n_slots + 1, step))
    ax.set_xticks(ticks)
    ax.set_xticklabels([schedule.clock(t) for t in ticks])
    ax.set_xlim(0, n_slots)


def coverage_png(schedule: Schedule) -> bytes:
    coverage = schedule.solution.coverage
    groups = len(coverage)
    shifts_by_group = {c.group: [s for s in schedule.solution.shifts if s.group == c.group] for c in coverage}
    heights = []
    for c in coverage:
        heights += [3.2, max(1.6, 0.22 * len(shifts_by_group[c.group]) + 0.6)]
    figure = Figure(figsize=(11, sum(heights) + 0.6), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(2 * groups, 1, squeeze=False, gridspec_kw={"height_ratios": heights}).ravel()
    for g, cov in enumerate(coverage):
        ax, gantt = axes[2 * g], axes[2 * g + 1]
        n = len(cov.required)
        x = np.arange(n) + 0.5
        phones = np.asarray(cov.on_phones)
        at_desk = np.asarray(cov.at_desk, dtype=float)
        rest = np.asarray(cov.on_break, dtype=float)
        ax.bar(x, phones, width=1.0, color=COLOURS["phones"], edgecolor="white", linewidth=0.3, label="on the phones")
        ax.bar(x, at_desk - phones, width=1.0, bottom=phones, color=COLOURS["shrinkage"], edgecolor="white",
               linewidth=0.3, label=f"shrinkage ({schedule.shrinkage:.0%})")
        ax.bar(x, rest, width=1.0, bottom=at_desk, color=COLOURS["break"], edgecolor="white", linewidth=0.3,
               label="on a break")
        required = np.asarray(cov.required)
        ax.step(np.arange(n + 1), np.append(required, required[-1]), where="post", color=COLOURS["required"],
                linewidth=1.8, label="required on the phones")
        short = np.asarray(cov.shortfall) > 0
        if short.any():
            ax.plot(x[short], required[short], "v", color=COLOURS["short"], markersize=7, label="short of it")
        ax.set_ylabel("agents")
        ax.set_ylim(0, max(float(np.max(np.asarray(cov.on_duty))), float(required.max())) * 1.25 + 0.5)
        status = schedule.solution.solver_status + (", SHORT" if schedule.solution.short else "")
        ax.set_title(f"{cov.group}: coverage per {schedule.slot_minutes}-minute slot ({status}, "
                     f"{sum(s.count for s in shifts_by_group[cov.group])} agents)", loc="left", fontsize=11)
        ax.legend(loc="upper right", fontsize=8, ncol=5, frameon=False)
        ax.grid(axis="y", alpha=0.3)
        _clock_axis(ax, schedule, n)
        rows = shifts_by_group[cov.group]
        for i, sh in enumerate(rows):
            y = len(rows) - 1 - i
            gantt.barh(y, sh.end_slot - sh.start_slot, left=sh.start_slot, height=0.7, color=COLOURS["phones"])
            for _, a, b, paid in sh.breaks:
                gantt.barh(y, b - a, left=a, height=0.7, color=COLOURS["break"] if paid else COLOURS["unpaid"])
            gantt.text(sh.end_slot + 0.3, y, f"{sh.count} x {sh.shift_type}", va="center", fontsize=7)
        gantt.set_yticks([])
        gantt.set_ylim(-0.6, max(len(rows), 1) - 0.4)
        gantt.set_title("shifts (one bar per distinct shift, with its agent count; breaks cut out)", loc="left",
                        fontsize=9)
        gantt.legend(handles=[Patch(color=COLOURS["phones"], label="on shift"),
                              Patch(color=COLOURS["break"], label="paid break"),
                              Patch(color=COLOURS["unpaid"], label="unpaid break (lunch)")],
                     loc="lower left", fontsize=7, ncol=3, frameon=False)
        _clock_axis(gantt, schedule, n)
        gantt.set_xlim(0, n * 1.12)
    figure.suptitle(f"Shift schedule: {schedule.scenario.name}", fontsize=12)
    return _png(figure, "callsim schedule coverage", schedule_id(schedule.scenario.name, schedule.staffing,
                                                                 schedule.required_agent_hours))


def schedule_id(scenario: str, staffing: dict, required_agent_hours: float) -> str:
    """What the coverage plot depends on, as schedule.json has it (scenario, staffing, requirement)."""
    return fingerprint({"scenario": scenario, "staffing": {g: list(v) for g, v in staffing.items()},
                        "required_agent_hours": required_agent_hours})


def schedule_plots(schedule: Schedule) -> dict[str, bytes]:
    return {COVERAGE_FILE: coverage_png(schedule)}

