"""The plan-to-baseline comparison of `callsim plan --baseline`: a printed table and plan_diff.csv."""
from __future__ import annotations

import csv
import io

from studies.plan_diff import KPIS, PlanDiff

from .documents import csv_number
from .text import table

COLUMNS = ("calls", "required", "scheduled", "phone_hours", "agent_hours", *KPIS)


def _signed(key: str, value: float | None) -> str:
    if value is None:
        return "-"
    value = round(value, 6) + 0.0  # no "-0.0"
    if key in ("service_level", "p_abandon", "occupancy"):
        return f"{value * 100:+.1f} pt".replace("-0.0 pt", "+0.0 pt")
    if key == "asa_s":
        return f"{value:+.1f} s"
    return f"{value:+.1f}" if key.endswith("_hours") else f"{value:+g}"


def _plain(key: str, value: float | None) -> str:
    if value is None:
        return "-"
    if key in ("service_level", "p_abandon", "occupancy"):
        return f"{value:.1%}"
    if key == "asa_s":
        return f"{value:.1f} s"
    return f"{value:.1f}" if key.endswith("_hours") else f"{value:g}"


def format_plan_diff(diff: PlanDiff) -> str:
    lines = [f"Change against the baseline plan {diff.baseline} (this plan minus the baseline; 'day': agents at the "
             "peak interval, agent-hours summed, KPIs weighted by calls; on phones = agents taking calls, "
             "scheduled = headcount with shrinkage)"]
    lines += [f"warning: {w}" for w in diff.warnings]
    for queue in dict.fromkeys(r.queue for r in diff.rows):
        rows = [r for r in diff.rows if r.queue == queue]
        header = ["interval", "calls", "on phones", "change", "phone-hours", "change", "scheduled", "change",
                  "paid-hours change", "SL", "ASA", "P(aband)", "occupancy"]
        body = [[r.interval, _signed("calls", r.change("calls")), _plain("required", r.new["required"]),
                 _signed("required", r.change("required")), _plain("phone_hours", r.new["phone_hours"]),
                 _signed("phone_hours", r.change("phone_hours")), _plain("scheduled", r.new["scheduled"]),
                 _signed("scheduled", r.change("scheduled")),
                 _signed("agent_hours", r.change("agent_hours")), _signed("service_level", r.change("service_level")),
                 _signed("asa_s", r.change("asa_s")), _signed("p_abandon", r.change("p_abandon")),
                 _signed("occupancy", r.change("occupancy"))] for r in rows]
        lines += ["", f"Queue '{queue}'", table(header, body)]
    return "\n".join(lines)


def plan_diff_csv(diff: PlanDiff) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["queue", "interval", *[f"{c}_{w}" for c in COLUMNS for w in ("baseline", "plan", "change")]])
    for r in diff.rows:
        writer.writerow([r.queue, r.interval, *[csv_number(v) if v is not None else ""
                                                for c in COLUMNS for v in (r.base[c], r.new[c], r.change(c))]])
    return buffer.getvalue()
