"""Text, CSV, JSON and the roster plot of a weekly schedule (`studies.week`); nothing computed.

Every CSV row names its date and weekday. `roster.csv` has one row per agent and day (a day off
too, with empty times), `coverage.csv` one per group, day and interval, `week.json` the solver's
status and figures per group.
"""
from __future__ import annotations

import csv
import io
import json

import numpy as np

from simulator.days import WEEKDAY_NAMES
from studies.week import WeekStudy

from .figures import new_figure, png_bytes


def _clock(study: WeekStudy, slot: int) -> str:
    minutes = int(study.scenario.start_s // 60) + slot * study.slot_minutes
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}" if minutes < 1440 or minutes % 1440 else "24:00"


def _lines(study: WeekStudy):
    """(agent, contract, group, tour) for every agent line: named agents with a roster, else 'line N'."""
    for group, week in study.weeks.items():
        if study.roster is not None:
            for line in study.roster[group].lines:
                yield line.agent, line.contract, group, line.tour
        else:
            for i, tour in enumerate(week.tours, start=1):
                yield f"{group} line {i}", tour.contract, group, tour


def roster_csv(study: WeekStudy) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["agent", "contract", "group", "date", "weekday", "shift_type", "start", "end", "breaks",
                     "paid_hours"])
    slot_h = study.slot_minutes / 60
    for agent, contract, group, tour in _lines(study):
        days = {day.day: day for day in tour.days} if tour is not None else {}
        for d, day in enumerate(study.scenario.days):
            mine = days.get(d)
            if mine is None:
                writer.writerow([agent, contract, group, day.date, day.weekday_name, "", "", "", "", 0])
                continue
            breaks = "; ".join(f"{name} {_clock(study, s)}-{_clock(study, e)}" for name, s, e, _ in mine.breaks)
            unpaid = sum(e - s for _, s, e, paid in mine.breaks if not paid)
            writer.writerow([agent, contract, group, day.date, day.weekday_name, tour.shift_type,
                             _clock(study, mine.start_slot), _clock(study, mine.end_slot), breaks,
                             f"{(mine.end_slot - mine.start_slot - unpaid) * slot_h:g}"])
    return out.getvalue()


def coverage_csv(study: WeekStudy) -> str:
    """Per group, day and interval: required on the phones, and at a desk / on the phones (the
    interval's least slot, so a short quarter hour is not hidden by its neighbour)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["group", "date", "weekday", "interval", "required_agents", "at_desk", "on_phones"])
    per = study.scenario.interval_minutes // study.slot_minutes
    labels = study.scenario.interval_labels()
    for group, week in study.weeks.items():
        for d, day in enumerate(study.scenario.days):
            for k, label in enumerate(labels):
                slots = range(k * per, (k + 1) * per)
                required = max(study.required[group][d][j] for j in slots)
                desk = min(week.at_desk[d][j] for j in slots)
                writer.writerow([group, day.date, day.weekday_name, label, f"{required:g}", desk,
                                 f"{desk * (1 - study.shrinkage):g}"])
    return out.getvalue()


def week_document(study: WeekStudy, source: str = "") -> dict:
    groups = {}
    for group, week in study.weeks.items():
        groups[group] = {
            "solver_status": week.solver_status, "mip_gap": week.mip_gap, "cost": week.cost,
            "dual_bound": week.dual_bound, "agents": week.agents, "solve_time_s": round(week.solve_time_s, 3),
            "variables": week.n_variables, "constraints": week.n_constraints, "day_off_patterns": week.n_patterns,
            "agents_by_contract": {c: sum(t.contract == c for t in week.tours)
                                   for c in sorted({t.contract for t in week.tours})},
            # per day, per interval: what the tours are paid there (the scheduled scenario's paid_cost)
            "paid_cost": [{"date": day.date, "weekday": day.weekday_name, "by_interval": list(cost)}
                          for day, cost in zip(study.scenario.days, study.paid_cost(group))],
        }
    return {"scenario": source, "name": study.scenario.name, "shrinkage": study.shrinkage,
            "slot_minutes": study.slot_minutes,
            "days": [{"date": d.date, "weekday": d.weekday_name, "closed": d.closed} for d in study.scenario.days],
            "groups": groups}


def _found(week) -> str:
    if "past the limit" in week.message:
        return "no week within the time limit, so the first found after it"
    return "best found in the time limit"


def format_week(study: WeekStudy, source: str = "") -> str:
    rows = [f"Weekly tours for {study.scenario.name} ({source}), "
            f"{study.dates[0]} to {study.dates[-1]}, {study.slot_minutes}-minute slots:"]
    for group, week in study.weeks.items():
        status = ("proven optimal" if week.solver_status == "optimal"
                  else f"{_found(week)}, within {week.mip_gap:.2%} of the optimum (proven bound "
                       f"{week.dual_bound:,.0f})")
        by_contract = ", ".join(f"{sum(t.contract == c for t in week.tours)} {c}"
                                for c in sorted({t.contract for t in week.tours}))
        rows.append(f"  {group}: {week.agents} agents ({by_contract}), cost {week.cost:,.0f}: {status}; "
                    f"{week.solve_time_s:.1f} s")
        days_off = [len(study.dates) - len(t.days) for t in week.tours]
        if days_off:
            rows.append(f"    days off per agent: {min(days_off)} to {max(days_off)} of {len(study.dates)}")
    if study.roster is not None:
        for group, roster in study.roster.items():
            spare = [line.agent for line in roster.lines if line.tour is None]
            weekend = [line.weekend_days for line in roster.lines if line.tour is not None]
            rows.append(f"  roster {group}: {len(roster.lines) - len(spare)} agents rostered"
                        + (f", {len(spare)} without a tour ({', '.join(spare[:3])}{'...' if len(spare) > 3 else ''})"
                           if spare else "")
                        + (f"; weekend days per agent {min(weekend)} to {max(weekend)}" if weekend else "")
                        + f"; preferred days off kept {roster.preferred_met} of {roster.preferred_asked}")
    return "\n".join(rows)


def roster_png(study: WeekStudy) -> bytes:
    """Agents down, days across: each day worked a bar from start to end (colour: the contract),
    breaks as gaps, days off blank, closed days grey. Readable at 50+ agents (0.18 in a row)."""
    lines = list(_lines(study))
    days = study.scenario.days
    figure, (ax,) = new_figure(12, max(3.0, 0.18 * len(lines) + 1.6))
    contracts = sorted({c for _, c, _, _ in lines})
    colours = dict(zip(contracts, ("#2b6cb0", "#dd8452", "#55a868", "#8172b3", "#c44e52")))
    n_slots = study.scenario.n_intervals * study.scenario.interval_minutes // study.slot_minutes
    for d, day in enumerate(days):
        if day.closed:
            ax.axvspan(d, d + 1, color="#dddddd", zorder=0)
            ax.text(d + 0.5, -0.8, "closed", ha="center", va="center", fontsize=8, color="#555555")
        if d:
            ax.axvline(d, color="#999999", linewidth=0.6)
    for row, (agent, contract, group, tour) in enumerate(lines):
        for day in (tour.days if tour is not None else ()):
            cuts = [(day.start_slot, day.end_slot)]
            for _, s, e, _ in day.breaks:
                cuts = [piece for a, b in cuts for piece in ((a, min(b, s)), (max(a, e), b)) if piece[1] > piece[0]]
            for a, b in cuts:
                ax.barh(row, (b - a) / n_slots, left=day.day + a / n_slots, height=0.7, color=colours[contract],
                        linewidth=0)
    ax.set_ylim(len(lines) - 0.5, -1.4)
    ax.set_yticks(np.arange(len(lines)), [agent for agent, _, _, _ in lines], fontsize=7)
    ax.set_xlim(0, len(days))
    ax.set_xticks(np.arange(len(days)) + 0.5, [f"{WEEKDAY_NAMES[d.weekday]}\n{d.date}" for d in days], fontsize=8)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=colours[c], label=c) for c in contracts], loc="lower right",
              bbox_to_anchor=(1.0, 1.0), ncol=len(contracts), fontsize=8, frameon=False)
    ax.set_title(f"Roster: {study.scenario.name} (each bar a shift, {study.scenario.start} to day's end; "
                 "gaps are breaks)", fontsize=10, loc="left")
    return png_bytes(figure, "roster")


def week_files(study: WeekStudy, source: str = "", plots: bool = True) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "roster.csv": roster_csv(study),
        "coverage.csv": coverage_csv(study),
        "week.json": json.dumps(week_document(study, source), indent=2, sort_keys=True) + "\n",
    }
    if plots:
        files["roster.png"] = roster_png(study)
    return files
