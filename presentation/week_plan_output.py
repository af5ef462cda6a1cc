"""`callsim plan` on a week (`studies.week_plan.WeekPlan`): plan.csv with each row's date and
weekday first, the planned week's YAML, with --verify verify.csv (every open date and interval
simulated) and the printed tables; nothing computed here."""
from __future__ import annotations

import csv
import io

from studies.plan_diff import PLAN_COLUMNS, plan_rows
from studies.week_plan import WeekPlan

from .text import format_value, table
from .week_check_output import judged_csv, judged_document, judged_line


def week_plan_csv(week: WeekPlan) -> str:
    """One row per open date, queue and interval: `date`, `weekday`, then plan.csv's columns."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ("date", "weekday", *PLAN_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for d, (day, plan) in enumerate(zip(week.scenario.days, week.plans)):
        if plan is None:
            continue
        lo, hi = week.scenario.open_range(d)
        labels = plan.labels[lo:hi]
        writer.writerows({"date": day.date, "weekday": day.weekday_name, **row} for row in plan_rows(plan)
                         if row["interval"] in labels)
    return buffer.getvalue()


def week_plan_document(week: WeekPlan, source: str = "") -> dict:
    days = []
    for d, (day, plan) in enumerate(zip(week.scenario.days, week.plans)):
        entry = {"date": day.date, "weekday": day.weekday_name, "closed": day.closed}
        if plan is not None:
            entry["agents"] = {g.name: list(g.agents) for g in plan.groups}
            entry["agent_hours"] = sum(sum(g.agents) for g in plan.groups) * week.scenario.interval_minutes / 60
        days.append(entry)
    document = {"scenario": source, "name": week.scenario.name, "days": days}
    if week.judged is not None:
        document["verify"] = judged_document(week.judged)
    return document


def week_plan_files(week: WeekPlan, stem: str, source: str, plots: bool = True) -> tuple[dict, dict[str, str | bytes]]:
    document = week_plan_document(week, source)
    files: dict[str, str | bytes] = {"plan.csv": week_plan_csv(week), f"{stem}.planned.yaml": week.planned_text}
    if week.judged is not None:
        files["verify.csv"] = judged_csv([("", week.judged)])
    if plots:
        files.update(week_plan_plots(week))
    return document, files


def format_week_plan(week: WeekPlan, source: str = "") -> str:
    """A row per date: calls, agent-hours on the phones, the peak; with --verify the simulated KPIs."""
    scenario = week.scenario
    lines = [f"Staffing plan per date: {scenario.name} ({source}), {scenario.days[0].date} to "
             f"{scenario.days[-1].date}; each date planned on its own (its calls and hours), plan.csv per date and "
             "interval", ""]
    by_day = week.judged.result.by_day if week.judged is not None else None
    rows = []
    for d, (day, plan) in enumerate(zip(scenario.days, week.plans)):
        if plan is None:
            rows.append([day.date, day.weekday_name, "closed"] + [""] * (3 + (4 if by_day else 0)))
            continue
        agents = [sum(g.agents[k] for g in plan.groups) for k in range(scenario.n_intervals)]
        row = [day.date, day.weekday_name, format_value("offered", sum(plan.scenario.arrivals.calls)),
               f"{sum(agents) * scenario.interval_minutes / 60:,.1f}", str(max(agents))]
        lo, hi = scenario.open_range(d)
        until = scenario.clock_at(hi * scenario.interval_s)[:5]
        row.append(f"{plan.labels[lo]}-{'24:00' if until == '00:00' else until}" if hi > lo else "")
        if by_day:
            kpis = by_day[d]
            row += [format_value(k, kpis[k].mean) for k in ("service_level", "asa", "abandon_rate")]
            missed = sum(k in week.judged.missed_intervals for k in week.judged.result.timeline.days[d].open_intervals)
            row.append(f"{missed}")
        rows.append(row)
    header = ["date", "day", "calls", "agent-hours", "peak", "open"]
    if by_day:
        header += ["sim SL", "sim ASA", "sim aband.", "intervals missed"]
    lines.append(table(header, rows))
    if week.judged is not None:
        lines += ["", judged_line("Simulated as one week", week.judged),
                  "Callers still waiting at a close are served then (the close rule); every (date, interval): "
                  "verify.csv."]
    return "\n".join(lines)


def week_plan_plots(week: WeekPlan) -> dict[str, bytes]:
    """plan_staffing.png (each date's planned agents and its expected calls, the dates side by
    side) and, verified, plan_service_level.png (the simulated service level per interval
    against the target): x is the week, each date's open hours, a line and a label per date."""
    import numpy as np

    from .figures import new_figure, png_bytes

    scenario = week.scenario
    x, agents, calls, starts = [], [], [], []
    position = 0
    for d, plan in enumerate(week.plans):
        lo, hi = scenario.open_range(d)
        starts.append(position)
        if plan is None:
            position += 4  # a closed date: a narrow blank
            continue
        for k in range(lo, hi):
            x.append(position)
            agents.append(sum(g.agents[k] for g in plan.groups))
            calls.append(plan.scenario.arrivals.calls[k])
            position += 1
        position += 2  # a gap between dates

    def days_axis(ax):
        ax.set_xticks([s for s in starts], [f"{day.weekday_name}\n{day.date[5:]}" for day in scenario.days])
        for start in starts[1:]:
            ax.axvline(start - 1, color="#999999", linewidth=0.8, linestyle=":")
        ax.set_xlim(-1, position)
        ax.set_xlabel(f"date (each date's open intervals of {scenario.interval_minutes} minutes; closed dates blank)")
        ax.grid(axis="y", color="#dddddd", linewidth=0.8)

    files = {}
    figure, (ax,) = new_figure(12, 4.2)
    ax.bar(x, agents, width=0.9, color="#2b6cb0", label="planned agents on the phones")
    ax.set_ylabel("agents")
    twin = ax.twinx()
    twin.plot(x, calls, ".", color="#dd8452", markersize=3, label="expected calls (right axis)")
    twin.set_ylabel("calls per interval")
    twin.set_ylim(bottom=0)
    days_axis(ax)
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper right", fontsize=8, frameon=False)
    ax.set_title(f"Planned staffing per date: {scenario.name}", fontsize=10, loc="left")
    files["plan_staffing.png"] = png_bytes(figure, "Planned staffing per date")
    if week.judged is not None:
        result = week.judged.result
        shown = [k for day in result.timeline.days for k in day.open_intervals]
        sl = [result.intervals[k]["service_level"].mean for k in shown]
        figure, (ax,) = new_figure(12, 4.2)
        target = scenario.targets.service_level
        missed = [k in week.judged.missed_intervals for k in shown]
        broken_x, broken_sl = [], []  # the line breaks between dates
        for i, (xi, value) in enumerate(zip(x, sl)):
            if i and xi != x[i - 1] + 1:
                broken_x.append(np.nan)
                broken_sl.append(np.nan)
            broken_x.append(xi)
            broken_sl.append(value)
        ax.plot(broken_x, broken_sl, "-", color="#2b6cb0", linewidth=1, label=f"simulated service level (mean of "
                f"{result.replications} replications)")
        ax.plot(np.array(x)[missed], np.array(sl)[missed], "o", color="#c44e52", markersize=4,
                label="interval missing a service target")
        ax.axhline(target.fraction, color="#333333", linestyle="--", linewidth=1,
                   label=f"target {target.fraction:.0%} within {target.within:g} s")
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
        ax.set_ylabel("answered within threshold")
        days_axis(ax)
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        ax.set_title(f"The planned week simulated as one timeline: {scenario.name}", fontsize=10, loc="left")
        files["plan_service_level.png"] = png_bytes(figure, "Planned week simulated")
    return files
