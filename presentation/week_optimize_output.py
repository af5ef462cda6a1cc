"""`callsim optimize` on a week (`studies.week_optimize`): a row per date, optimize_week.json
(each open date's optimize.json document), optimize_week.csv (date, weekday, group, interval,
agents beside the Erlang plan's) and the optimised week as a scenario."""
from __future__ import annotations

import csv
import io

from studies.week_optimize import WeekOptimized

from .optimize_output import optimize_document, to_json
from .text import table


def _held(result) -> str:
    if result.confirmation is None:
        return "not confirmed"
    missed = sum(not check.met for check in result.judged.checks)
    return "yes" if missed == 0 else f"{missed} intervals miss"


def _change(hours: float, plan_hours: float) -> str:
    if plan_hours <= 0 or hours == plan_hours:
        return "the same"
    share = abs(hours - plan_hours) / plan_hours
    return f"{share:.1%} fewer" if hours < plan_hours else f"{share:.1%} more: the plan misses targets in simulation"


def format_week_optimize(week: WeekOptimized, source: str = "") -> str:
    scenario = week.scenario
    rows, hours, plan_hours = [], 0.0, 0.0
    for day, result in zip(scenario.days, week.results):
        if result is None:
            rows.append([day.date, day.weekday_name, "closed", "", "", "", ""])
            continue
        hours += result.final.agent_hours
        plan_hours += result.plan_evaluation.agent_hours
        rows.append([day.date, day.weekday_name, f"{result.final.agent_hours:,.1f}",
                     f"{result.plan_evaluation.agent_hours:,.1f}", f"{result.saving_fraction:+.1%}",
                     result.stop_reason.replace("_", " "), _held(result)])
    first = next(r for r in week.results if r is not None)
    confirmation = (f"each date confirmed on {first.confirm_replications} replications from "
                    f"{first.confirm_first_replication:,} of seed {first.seed}, which its search never used"
                    if first.confirmation is not None else "no confirmation (--confirm-replications 0)")
    lines = [f"Optimised staffing per date: {scenario.name}" + (f" ({source})" if source else "") +
             f", {scenario.days[0].date} to {scenario.days[-1].date}; each open date optimised on its own "
             f"({first.replications} replications of seed {first.seed}; {confirmation})", "",
             table(["date", "day", "agent-hours", "Erlang plan", "saving", "search", "holds out of sample"], rows), "",
             f"The week: {hours:,.1f} agent-hours against {plan_hours:,.1f} for the per-date Erlang plans "
             f"({_change(hours, plan_hours)}). Callers still waiting at a "
             "close are served then and are not searched over: 'callsim run' on the optimised week shows them."]
    if not week.converged:
        lines.insert(0, "NOT CONVERGED on " + ", ".join(d.date for d, r in zip(scenario.days, week.results)
                                                         if r is not None and not r.converged) + ".")
    return "\n".join(lines)


def week_optimize_csv(week: WeekOptimized) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "weekday", "group", "interval", "agents", "erlang_plan_agents"])
    for day, result in zip(week.scenario.days, week.results):
        if result is None:
            continue
        for g, name in enumerate(result.group_names):
            for k, label in enumerate(result.labels):
                writer.writerow([day.date, day.weekday_name, name, label, result.final.staffing[g][k],
                                 result.plan_evaluation.staffing[g][k]])
    return out.getvalue()


def week_optimize_files(week: WeekOptimized, stem: str, source: str) -> tuple[dict, dict[str, str]]:
    """(optimize_week.json's document, {file name: content})."""
    document = {"scenario": source, "name": week.scenario.name, "converged": week.converged,
                "targets_met": not week.infeasible,
                "dates": [{"date": day.date, "weekday": day.weekday_name, "closed": result is None,
                           **({} if result is None else {"optimize": optimize_document(result, source=source)})}
                          for day, result in zip(week.scenario.days, week.results)]}
    return document, {"optimize_week.json": to_json(document), "optimize_week.csv": week_optimize_csv(week),
                      f"{stem}.optimized.yaml": week.optimized_text}
