"""A week checked by simulation (`studies.week_check.WeekCheck`) as files and text: every
(date, interval) a row of week_verify.csv, hit or miss on both blocks of replications, and the
replications and seed that judged it; nothing computed here."""
from __future__ import annotations

import csv
import io

from simulator.loading import dump_scenario_yaml
from studies.week_check import SERVICE_KPIS, Judged, WeekCheck

from .documents import csv_number
from .text import format_value, table


def judged_line(name: str, judged: Judged) -> str:
    """'Simulated (replications 0 to 19 of seed 7): 190 of 204 open intervals meet ...'."""
    first, result = judged.first_replication, judged.result
    return (f"{name} (replications {first:,} to {first + result.replications - 1:,} of seed {result.seed}): "
            f"{judged.hits()} of {len(result.shown_intervals)} open intervals meet every service target (mean), "
            f"{len(judged.missed_intervals)} miss.")


def judged_csv(blocks: list[tuple[str, Judged]]) -> str:
    """One row per open (date, interval): agents on the phones, calls, and per block of
    replications (its column prefix) the simulated means of the service KPIs and the targets missed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["date", "weekday", "interval", "agents", "offered"]
    for prefix, _ in blocks:
        header += [f"{prefix}{kpi}" for kpi in SERVICE_KPIS] + [f"{prefix}missed"]
    writer.writerow(header)
    result = blocks[0][1].result
    labels = result.interval_labels
    days = result.timeline.days
    for d, k in result.timeline.shown:
        agents = sum(g.staffing[k] for g in result.scenario.agents)
        row = [days[d].date, days[d].weekday, labels[k], agents, csv_number(result.intervals[k]["offered"].mean)]
        for _, judged in blocks:
            row += [csv_number(judged.result.intervals[k][kpi].mean) for kpi in SERVICE_KPIS]
            row.append(";".join(sorted({kpi for entries in judged.misses.values() for kpi in entries.get(k, ())})))
        writer.writerow(row)
    return out.getvalue()


def week_verify_csv(check: WeekCheck) -> str:
    """`judged_csv` of the replications 0 .. R-1, then the confirmation's (columns confirmation_*)."""
    return judged_csv([("", check.judged), ("confirmation_", check.confirmation)])


def _days(judged: Judged) -> list[dict]:
    result = judged.result
    missed = judged.missed_intervals
    return [{"date": day.date, "weekday": day.weekday, "closed": day.closed,
             "open_intervals": len(day.open_intervals),
             "missed_intervals": sum(k in missed for k in day.open_intervals),
             **{kpi: kpis[kpi].to_dict() for kpi in ("offered", *SERVICE_KPIS, "occupancy")}}
            for day, kpis in zip(result.timeline.days, result.by_day)]


def judged_document(judged: Judged) -> dict:
    """A block of replications: seed, replications, first replication, hits, misses, KPIs per date and in all."""
    result = judged.result
    return {"seed": result.seed, "replications": result.replications, "first_replication": judged.first_replication,
            "hits": judged.hits(), "misses": len(judged.missed_intervals),
            "week": {kpi: result.day[kpi].to_dict() for kpi in ("offered", *SERVICE_KPIS, "occupancy")},
            "days": _days(judged)}


def verification_document(check: WeekCheck) -> dict:
    block = judged_document
    return {"rule": "an open (date, interval) is a hit when the simulated mean meets every service target "
                    "(service level, ASA, abandonment)",
            "simulated": block(check.judged), "confirmation": block(check.confirmation),
            "rounds": [{"round": r.number, "cost": r.cost, "misses": r.misses, "raised": r.raised}
                       for r in check.rounds],
            **({"converged": check.converged, "stop_reason": check.stop_reason} if check.rounds else {})}


def scheduled_week_yaml(check: WeekCheck, source: str = "") -> str:
    header = [f"# {source}'s week with each date's staffing from its tours (callsim schedule): on the phones per "
              "interval, the mean over its slots of agents at a desk x (1 - shrinkage), rounded down.",
              "# 'callsim run' on this file simulates the scheduled week."]
    return dump_scenario_yaml(check.scheduled, header)


def format_week_check(check: WeekCheck) -> str:
    lines = [""]
    if check.rounds:
        lines.append("By simulation: " + "; ".join(f"round {r.number}: cost {r.cost:,.0f}, {r.misses} missed"
                                                   for r in check.rounds) + f". {check.stop_reason}.")
    for name, judged in (("Simulated", check.judged), ("Confirmed out of sample", check.confirmation)):
        lines.append(judged_line(name, judged))
    rows = []
    confirm_by_day = check.confirmation.result.by_day
    for day, kpis, confirm in zip(check.judged.result.timeline.days, check.judged.result.by_day, confirm_by_day):
        if day.closed:
            rows.append([day.date, day.weekday, "closed", "", "", "", "", ""])
            continue
        missed = [sum(k in judged.missed_intervals for k in day.open_intervals)
                  for judged in (check.judged, check.confirmation)]
        rows.append([day.date, day.weekday, format_value("offered", kpis["offered"].mean)]
                    + [format_value(kpi, kpis[kpi].mean) for kpi in SERVICE_KPIS]
                    + [f"{missed[0]} of {len(day.open_intervals)}", f"{missed[1]}"])
    lines.append(table(["date", "day", "calls", "SL", "ASA", "abandoned", "intervals missed", "out of sample"], rows))
    lines.append("Every (date, interval): week_verify.csv; the scheduled week: the .scheduled.yaml ('callsim run' on it).")
    return "\n".join(lines)
