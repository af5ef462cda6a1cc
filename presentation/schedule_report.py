"""The schedule's HTML page: one self-contained file built from the report's own pieces.

`render_schedule_report(document, images)` takes the schedule document
(`schedule_output.schedule_document`) and the plots ({file name: PNG bytes}) and returns a page
with the solver's status, the shifts, coverage per interval, the coverage plot, and, when they
were run, the verification and the by-simulation rounds. Shell, CSS and escaping are
`presentation.report`'s (no scripts, nothing fetched).
"""
from __future__ import annotations

import math

from .documents import versions
from .report import _e, _facts, _page, _plots, _section

SCHEDULE_REPORT_FILE = "schedule_report.html"
CAPTIONS = {
    "schedule_coverage.png": ("Coverage and shifts",
                              "Per slot, agents on shift stacked as on the phones, lost to shrinkage and on a break, "
                              "with the requirement (on the phones) as a line; below, every distinct shift with its "
                              "agent count and its breaks."),
}


def _table(header: list[str], rows: list[list[str]], text_columns: tuple[int, ...] = (0,)) -> str:
    def cls(i: int) -> str:
        return " class=\"text\"" if i in text_columns else ""

    head = "".join(f"<th{cls(i)}>{_e(h)}</th>" for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{_e(c)}</td>" for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<div class=\"scroll\"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def _pct(value) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.1%}"


def _kpi(kpi: str, estimate: dict) -> str:
    mean = estimate.get("mean")
    if mean is None:
        return "-"
    return f"{mean:.1f} s" if kpi == "asa" else f"{mean:.1%}"


def render_schedule_report(document: dict, images: dict[str, bytes], notes: list[str] | None = None) -> str:
    """The page from schedule.json; `notes`: warnings shown first (e.g. plots left out)."""
    solver = document["solver"]
    status = "optimal (proven, gap 0%)" if solver["status"] == "optimal" else \
        f"time limit: best found, gap {solver['mip_gap']:.2%}"
    facts = [
        ("Scenario", f"{document['scenario']} ({document.get('source', '')})"),
        ("Requirement", f"{document['requirement_source']}: {document['required_agent_hours']:,.1f} agent-hours on "
                        "the phones"),
        ("Solver", f"HiGHS via scipy.optimize.milp: {status}; {solver['time_s']:.2f} s, {solver['variables']:,} "
                   f"variables, {solver['constraints']:,} constraints"),
        ("Schedule", f"{document['agents']} agents, {document['paid_hours']:,.1f} paid hours, cost "
                     f"{document['cost']:,.2f}"),
        ("Shrinkage", f"{document['shrinkage']:.0%} beyond the breaks (on the phones = (on shift - on break) x "
                      "(1 - shrinkage))"),
    ]
    warnings = list(notes or [])
    if document["short"]:
        warnings.append("The requirement cannot be covered with these rules (seats or caps): this is the schedule "
                        f"with the least shortfall ({document['shortfall_agent_slots']:g} agent-slots), then the least "
                        "cost. Short: " + ", ".join(f"{s['interval']} ({s['group']}) by {s['short_by']:.1f}"
                                                     for s in document["short_intervals"]))
    shifts = [[s["group"], s["shift_type"], s["start"], s["end"],
               "; ".join(f"{b['name']} {b['start']}-{b['end']}{'' if b['paid'] else ' (unpaid)'}" for b in s["breaks"]),
               str(s["count"]), f"{s['paid_hours_each']:g}", f"{s['count'] * s['cost_each']:,.2f}"]
              for s in document["shifts"]]
    intervals = [[r["group"], r["interval"], str(r["required"]), f"{r['on_shift']:.1f}", f"{r['on_break']:.1f}",
                  f"{r['on_phones']:.1f}", str(r["scheduled_staffing"]), f"{r['surplus']:+.1f}",
                  f"{r['short_by']:.1f}" if r["short_by"] > 0 else ""] for r in document["intervals"]]
    sections = (
        _section("schedule", "", _facts(facts))
        + _section("shifts", "Shifts", _table(["group", "shift type", "start", "end", "breaks", "agents",
                                               "paid h each", "cost"], shifts, (0, 1, 4)))
        + _section("coverage", "Coverage per interval",
                   _table(["group", "interval", "required", "on shift", "on break", "on phones", "staffing",
                           "surplus", "short by"], intervals, (0, 1)))
        + _section("plots", "Plots", _plots(images, CAPTIONS, "schedule"))
    )
    nav = [("shifts", "Shifts"), ("coverage", "Coverage"), ("plots", "Plots")]
    verify = document.get("verify")
    if verify:
        kpis = ("service_level", "asa", "abandon_rate", "occupancy")
        rows = [[r["interval"], *(text for k in kpis for text in (_kpi(k, r[k]["required"]), _kpi(k, r[k]["scheduled"])))]
                for r in verify["rows"]]
        header = ["interval"] + [f"{k} {w}" for k in ("SL", "ASA", "aband", "occupancy") for w in ("req", "sched")]
        checks = "; ".join(f"{t['label']}: {t['status']}" for t in verify["targets"])
        sections += _section("verify", "Simulated: the requirement's staffing beside the schedule's",
                             f"<p class=\"note\">{verify['replications']} simulated days on the same callers (seed "
                             f"{verify['seed']}); means. Scheduled day: {_e(checks)}.</p>" + _table(header, rows))
        nav.append(("verify", "Verification"))
    rounds = document.get("by_simulation")
    if rounds:
        rows = [[str(r["round"]), f"{r['paid_hours']:,.1f}", f"{r['cost']:,.2f}", r["solver_status"],
                 _pct(r["day"]["service_level"]), "; ".join(f"{g}: {', '.join(ks)}" for g, ks in r["missed"].items())
                 or "none"] for r in rounds["rounds"]]
        text = (f"{rounds['stop_reason']}. Paid hours {rounds['analytic_paid_hours']:,.1f} analytic, "
                f"{rounds['final_paid_hours']:,.1f} after the loop ({rounds['extra_paid_hours']:+,.1f} h).")
        sections += _section("rounds", "By simulation", f"<p class=\"note\">{_e(text)}</p>"
                             + _table(["round", "paid hours", "cost", "solver", "SL day", "intervals missing a target"],
                                      rows, (0, 3, 5)))
        nav.append(("rounds", "By simulation"))
    return _page(f"Shift schedule: {document['scenario']}", nav, sections, "schedule.json", versions(), warnings)
