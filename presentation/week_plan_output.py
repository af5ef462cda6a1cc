"""`callsim plan` on a week (`studies.week_plan.WeekPlan`): plan.csv with each row's date and
weekday first, the planned week's YAML, with --verify verify.csv (every open date and interval
simulated) and the printed tables; nothing computed here."""
from __future__ import annotations

import csv
import io
import math

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


def week_plan_files(week: WeekPlan, stem: str, source: str) -> tuple[dict, dict[str, str]]:
    document = week_plan_document(week, source)
    files = {"plan.csv": week_plan_csv(week), f"{stem}.planned.yaml": week.planned_text}
    if week.judged is not None:
        files["verify.csv"] = judged_csv([("", week.judged)])
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
