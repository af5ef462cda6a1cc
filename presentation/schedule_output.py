"""Text, CSV, JSON and YAML of a shift schedule (rendered in memory; nothing computed here).

`format_schedule`, `format_verification` and `format_rounds` are what `callsim schedule` prints;
`shifts_csv`, `coverage_csv`, `verify_csv`, `rounds_csv`, `scheduled_yaml` and
`schedule_document` are the files it writes. The numbers come from `studies.schedule`.
"""
from __future__ import annotations

import csv
import io
import math

import numpy as np

from simulator.loading import dump_scenario_yaml  # one style for every written scenario
from simulator.kpi_table import kpi_bounds
from simulator.run import Estimate, target_check
from studies.schedule import ByRounds, Schedule, ScheduleVerification

from .text import table

VERIFY_KPIS = ("service_level", "asa", "abandon_rate", "occupancy")
KPI_TITLES = {"service_level": "SL", "asa": "ASA", "abandon_rate": "aband", "occupancy": "occupancy"}
PERIOD_KPIS = VERIFY_KPIS[:3]  # the targets judged per period (targets.judged_per); occupancy stays per interval


def _pct(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.1%}"


def _value(kpi: str, value: float | None) -> str:
    if kpi == "asa":
        return "-" if value is None or not math.isfinite(value) else f"{value:.1f} s"
    return _pct(value)


def _num(value) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _csv_number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{value:.6g}" if math.isfinite(value) else ""


def _hours(slots: int, schedule: Schedule) -> float:
    return slots * schedule.slot_minutes / 60.0


def _status_text(schedule: Schedule) -> str:
    s = schedule.solution
    if s.solver_status == "optimal":
        proof = "optimal (proven by HiGHS, gap 0%)"
    else:
        proof = f"time limit reached: best found, optimality gap {s.mip_gap:.2%} (dual bound {s.dual_bound:,.2f})"
    return proof + (", penalised version: the requirement cannot be covered" if s.short else "")


def interval_rows(schedule: Schedule) -> list[dict]:
    """Per group and interval: required and scheduled on the phones, surplus, shortfall, and
    the interval's mean on shift and on break."""
    per = schedule.scenario.interval_minutes // schedule.slot_minutes
    labels = schedule.scenario.interval_labels()
    rows = []
    for cov in schedule.solution.coverage:
        duty = np.asarray(cov.on_duty, dtype=float).reshape(-1, per)
        rest = np.asarray(cov.on_break, dtype=float).reshape(-1, per)
        phones = np.asarray(cov.on_phones).reshape(-1, per)
        short = np.asarray(cov.shortfall).reshape(-1, per)
        required = schedule.requirement.agents.get(cov.group, (0,) * len(labels))
        for k, label in enumerate(labels):
            staffing = schedule.staffing[cov.group][k]
            rows.append({
                "group": cov.group, "interval": label, "required": int(required[k]),
                "on_shift": float(duty[k].mean()), "on_break": float(rest[k].mean()),
                "on_phones": float(phones[k].mean()), "scheduled_staffing": staffing,
                "surplus": float(phones[k].mean()) - int(required[k]), "short_by": float(short[k].max()),
            })
    return rows


def _shift_breaks_text(schedule: Schedule, shift) -> str:
    return "; ".join(f"{name} {schedule.clock(a)}-{schedule.clock(b)}{'' if paid else ' (unpaid)'}"
                     for name, a, b, paid in shift.breaks)


def format_schedule(schedule: Schedule, source: str = "") -> str:
    scenario, s = schedule.scenario, schedule.solution
    lines = [
        f"Shift schedule: {scenario.name}" + (f" ({source})" if source else ""),
        f"Requirement: {schedule.requirement.source}; agents on the phones per interval "
        f"({schedule.required_agent_hours:,.1f} agent-hours).",
        f"Time grid: {schedule.slot_minutes}-minute slots from {scenario.start}; shrinkage {schedule.shrinkage:.0%} "
        "beyond breaks: on the phones = (on shift - on break) x (1 - shrinkage).",
        f"Solver: {_status_text(schedule)}; {s.solve_time_s:.2f} s, {s.n_variables:,} variables "
        f"({s.n_integer_variables:,} integer), {s.n_constraints:,} constraints; implicit breaks "
        f"({'Aykin' if s.formulation == 'aykin' else 'Bechtold-Jacobs'} formulation).",
        "",
    ]
    header = ["group", "shift type", "start", "end", "breaks", "agents", "paid h each", "cost"]
    rows = [[sh.group, sh.shift_type, schedule.clock(sh.start_slot), schedule.clock(sh.end_slot),
             _shift_breaks_text(schedule, sh), str(sh.count), f"{_hours(sh.paid_slots_each, schedule):g}",
             f"{sh.count * sh.cost_each:,.2f}"] for sh in s.shifts]
    lines.append(table(header, rows, align_left=5))
    by_type: dict[str, int] = {}
    for sh in s.shifts:
        by_type[sh.shift_type] = by_type.get(sh.shift_type, 0) + sh.count
    lines += [
        "",
        f"Total: {s.agents} agents ({', '.join(f'{n} {name}' for name, n in by_type.items())}), "
        f"{schedule.paid_hours:,.1f} paid hours, cost {s.cost:,.2f}; "
        f"{schedule.paid_hours / schedule.required_agent_hours:.2f} paid hours per required agent-hour"
        if schedule.required_agent_hours > 0 else f"Total: {s.agents} agents, cost {s.cost:,.2f}",
        "",
    ]
    table_rows = interval_rows(schedule)
    several = len(s.coverage) > 1
    header = (["group"] if several else []) + ["interval", "required", "on shift", "on break", "on phones",
                                               "staffing", "surplus", "short by"]
    rows = []
    for r in table_rows:
        rows.append(([r["group"]] if several else []) + [
            r["interval"], str(r["required"]), f"{r['on_shift']:.1f}", f"{r['on_break']:.1f}", f"{r['on_phones']:.1f}",
            str(r["scheduled_staffing"]), f"{r['surplus']:+.1f}", f"{r['short_by']:.1f}" if r["short_by"] > 0 else ""])
    lines.append("Per interval (means over the interval's slots; surplus = on phones - required; staffing = the "
                 "scheduled scenario's: on phones rounded down):")
    lines.append(table(header, rows, align_left=2 if several else 1))
    short = schedule.short_intervals()
    if short:
        seats = "; ".join(f"'{group}' has {n} seats but needs {need} at a desk at {label}"
                          for group, n, need, label in schedule.seat_limits())
        lines += ["", f"SHORT: the requirement cannot be covered with these rules ("
                      + (f"seats: {seats}" if seats else "shift caps or windows") + "). Least total shortfall "
                      f"{s.shortfall_agent_slots:g} agent-slots ({s.shortfall_agent_slots * schedule.slot_minutes / 60:g}"
                      " agent-hours at a desk), then the least worst slot, then the least cost. Short intervals (most "
                      "agents missing on the phones in any slot of it): "
                  + ", ".join(f"{label} ({group}) by {by:.1f}" for group, label, by in short)]
    return "\n".join(lines)


def shifts_csv(schedule: Schedule) -> str:
    """One row per distinct shift (group, type, start, break times) with its agent count."""
    most = max((len(sh.breaks) for sh in schedule.solution.shifts), default=0)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["group", "shift_type", "start", "end"]
    for b in range(1, most + 1):
        header += [f"break_{b}", f"break_{b}_start", f"break_{b}_end", f"break_{b}_paid"]
    header += ["count", "paid_hours_each", "cost_each", "cost"]
    writer.writerow(header)
    for sh in schedule.solution.shifts:
        line = [sh.group, sh.shift_type, schedule.clock(sh.start_slot), schedule.clock(sh.end_slot)]
        for b in range(most):
            if b < len(sh.breaks):
                name, a, e, paid = sh.breaks[b]
                line += [name, schedule.clock(a), schedule.clock(e), "yes" if paid else "no"]
            else:
                line += ["", "", "", ""]
        line += [sh.count, _csv_number(_hours(sh.paid_slots_each, schedule)), _csv_number(sh.cost_each),
                 _csv_number(sh.count * sh.cost_each)]
        writer.writerow(line)
    return buffer.getvalue()


def coverage_csv(schedule: Schedule) -> str:
    """One row per group and slot: required, on shift, on break, at a desk, on the phones, surplus."""
    per = schedule.scenario.interval_minutes // schedule.slot_minutes
    labels = schedule.scenario.interval_labels()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["group", "slot", "interval", "required", "on_shift", "on_break", "at_desk", "on_phones", "surplus",
                     "short_by"])
    slot_labels = schedule.slot_labels
    for cov in schedule.solution.coverage:
        short = cov.shortfall
        for j, label in enumerate(slot_labels):
            writer.writerow([cov.group, label, labels[j // per], _csv_number(cov.required[j]), cov.on_duty[j],
                             cov.on_break[j], cov.at_desk[j], _csv_number(cov.on_phones[j]),
                             _csv_number(cov.on_phones[j] - cov.required[j]), _csv_number(short[j])])
    return buffer.getvalue()


def scheduled_yaml(schedule: Schedule, source: str = "") -> str:
    """The scenario with the scheduled staffing (agents on the phones), YAML `callsim run` accepts."""
    scheduled = schedule.scheduled
    s = schedule.solution
    header = [
        f"# Scheduled staffing for '{scheduled.name}'" + (f" ({source})" if source else ""),
        f"# Written by 'callsim schedule': {s.agents} agents on shifts, {schedule.paid_hours:g} paid hours, cost "
        f"{s.cost:,.2f} ({s.solver_status}{', SHORT of the requirement' if s.short else ''}).",
        f"# staffing = agents on the phones per interval: the shifts less breaks, x (1 - shrinkage "
        f"{schedule.shrinkage:g}), the interval's mean rounded down. Requirement: {schedule.requirement.source}.",
    ]
    return dump_scenario_yaml(scheduled, header)


def schedule_document(schedule: Schedule, source: str = "", verification: ScheduleVerification | None = None,
                      by_rounds: ByRounds | None = None) -> dict:
    s = schedule.solution
    document = {
        "scenario": schedule.scenario.name,
        "source": source,
        "requirement_source": schedule.requirement.source,
        "interval_minutes": schedule.scenario.interval_minutes,
        "slot_minutes": schedule.slot_minutes,
        "shrinkage": schedule.shrinkage,
        "solver": {"name": "HiGHS (scipy.optimize.milp)", "status": s.solver_status, "mip_gap": s.mip_gap,
                   "dual_bound": s.dual_bound, "time_s": s.solve_time_s, "variables": s.n_variables,
                   "integer_variables": s.n_integer_variables, "constraints": s.n_constraints,
                   "formulation": s.formulation, "message": s.message},
        "short": s.short,
        "shortfall_agent_slots": s.shortfall_agent_slots,
        "short_intervals": [{"group": g, "interval": i, "short_by": by} for g, i, by in schedule.short_intervals()],
        "seat_limits": [{"group": g, "seats": n, "needed_at_desk": need, "interval": i}
                        for g, n, need, i in schedule.seat_limits()],
        "cost": s.cost,
        "paid_hours": schedule.paid_hours,
        "required_agent_hours": schedule.required_agent_hours,
        "agents": s.agents,
        "shifts": [
            {"group": sh.group, "shift_type": sh.shift_type, "start": schedule.clock(sh.start_slot),
             "end": schedule.clock(sh.end_slot), "count": sh.count,
             "breaks": [{"name": n, "start": schedule.clock(a), "end": schedule.clock(b), "paid": p}
                        for n, a, b, p in sh.breaks],
             "paid_hours_each": _hours(sh.paid_slots_each, schedule), "cost_each": sh.cost_each}
            for sh in s.shifts
        ],
        "intervals": interval_rows(schedule),
        "staffing": {g: list(v) for g, v in schedule.staffing.items()},
    }
    if verification is not None:
        document["verify"] = verification_document(verification)
    if by_rounds is not None:
        document["by_simulation"] = rounds_document(by_rounds)
    return document


# --- verification ----------------------------------------------------------------------------


def _pair_rows(verification: ScheduleVerification) -> list[tuple[str, dict, dict]]:
    labels = verification.scheduled.scenario.interval_labels() + ["day"]
    rows_a = list(verification.required.intervals) + [verification.required.day]
    rows_b = list(verification.scheduled.intervals) + [verification.scheduled.day]
    return list(zip(labels, rows_a, rows_b))


def format_verification(verification: ScheduleVerification) -> str:
    result = verification.scheduled
    header = ["interval"]
    for kpi in VERIFY_KPIS:
        header += [f"{KPI_TITLES[kpi]} req", f"{KPI_TITLES[kpi]} sched"]
    rows = []
    for label, a, b in _pair_rows(verification):
        cells = [label]
        for kpi in VERIFY_KPIS:
            cells += [_value(kpi, a[kpi].mean), _value(kpi, b[kpi].mean)]
        rows.append(cells)
    checks = " ".join(f"{c.label}: {c.status}." for c in result.targets)
    return "\n".join([
        f"Verification: {result.replications} simulated days (seed {result.seed}), the same callers for the "
        "requirement's staffing (req) and the scheduled staffing (sched); simulated means.",
        table(header, rows),
        f"Scheduled day against the targets: {checks}",
    ] + _period_lines(verification))


def _period_rows(verification: ScheduleVerification) -> list[dict]:
    """With targets judged per hour or day: per period (all calls pooled), the service KPIs of both staffings and
    the scheduled one's status against each target (met / missed / uncertain on its 95% CI)."""
    scheduled = verification.scheduled
    if scheduled.per_period is None:
        return []
    targets = scheduled.scenario.targets
    rows = []
    for p, label in enumerate(scheduled.scenario.period_labels()):
        row = {"period": label}
        for kpi in PERIOD_KPIS:
            a, b = (Estimate.of(r.per_period["all"][kpi][:, p], kpi_bounds(kpi))
                    for r in (verification.required, scheduled))
            check = target_check(targets, kpi, b)
            row[kpi] = {"required": a.to_dict(), "scheduled": b.to_dict(),
                        "status": None if check is None else check.status}
        rows.append(row)
    return rows


def _period_lines(verification: ScheduleVerification) -> list[str]:
    rows = _period_rows(verification)
    if not rows:
        return []
    judged = verification.scheduled.scenario.targets.judged_per
    header = [judged] + [f"{KPI_TITLES[kpi]} {side}" for kpi in PERIOD_KPIS for side in ("req", "sched")] + ["sched"]
    cells = []
    for row in rows:
        statuses = [row[kpi]["status"] for kpi in PERIOD_KPIS if row[kpi]["status"]]
        cells.append([row["period"]] + [_value(kpi, row[kpi][side]["mean"]) for kpi in PERIOD_KPIS
                                        for side in ("required", "scheduled")]
                     + ["missed" if "missed" in statuses else "uncertain" if "uncertain" in statuses else "met"])
    return ["", f"Targets judged per {judged} (all calls of the period pooled):", table(header, cells)]


def verification_document(verification: ScheduleVerification) -> dict:
    rows = []
    for label, a, b in _pair_rows(verification):
        rows.append({"interval": label, **{kpi: {"required": a[kpi].to_dict(), "scheduled": b[kpi].to_dict()}
                                           for kpi in VERIFY_KPIS}})
    periods = _period_rows(verification)
    return {"replications": verification.scheduled.replications, "seed": verification.scheduled.seed, "rows": rows,
            "targets": [{"kpi": c.kpi, "label": c.label, "status": c.status} for c in verification.scheduled.targets],
            **({"judged_per": verification.scheduled.scenario.targets.judged_per, "periods": periods}
               if periods else {})}


def verify_csv(verification: ScheduleVerification) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["interval"]
    for kpi in VERIFY_KPIS:
        header += [f"{kpi}_required", f"{kpi}_required_ci_low", f"{kpi}_required_ci_high", f"{kpi}_scheduled",
                   f"{kpi}_scheduled_ci_low", f"{kpi}_scheduled_ci_high"]
    writer.writerow(header)
    for label, a, b in _pair_rows(verification):
        line = [label]
        for kpi in VERIFY_KPIS:
            for estimate in (a[kpi], b[kpi]):
                low, high = estimate.ci95 if estimate.ci95 else (None, None)
                line += [_csv_number(estimate.mean), _csv_number(low), _csv_number(high)]
        writer.writerow(line)
    return buffer.getvalue()


# --- the by-simulation rounds ----------------------------------------------------------------


def _missed_text(by_rounds: ByRounds, missed: dict[str, tuple[int, ...]]) -> str:
    labels = by_rounds.final.scenario.interval_labels()
    several = len(by_rounds.final.scenario.agents) > 1
    parts = []
    for group, ks in missed.items():
        text = ", ".join(labels[k] for k in ks)
        parts.append(f"{group}: {text}" if several else text)
    return "; ".join(parts) if parts else "none"


def format_rounds(by_rounds: ByRounds) -> str:
    header = ["round", "paid hours", "cost", "solver", "SL day", "ASA day", "aband day", "intervals missing a target"]
    rows = [[str(r.number), f"{r.paid_hours:,.1f}", f"{r.cost:,.2f}", r.solver_status + (" SHORT" if r.short else ""),
             _pct(r.day["service_level"]), _value("asa", r.day["asa"]), _pct(r.day["abandon_rate"]),
             _missed_text(by_rounds, r.missed)] for r in by_rounds.rounds]
    extra = by_rounds.extra_paid_hours
    first = by_rounds.first.paid_hours
    return "\n".join([
        f"By simulation: simulate the schedule, require one agent more on the phones wherever an interval misses a "
        f"service target (SL, ASA, abandonment; simulated mean), solve again. "
        f"{by_rounds.final_result.replications} replications a round, same callers (seed {by_rounds.final_result.seed}).",
        table(header, rows, align_left=1),
        f"{by_rounds.stop_reason}. Paid hours: {first:,.1f} analytic -> {by_rounds.final.paid_hours:,.1f} after the "
        f"loop ({extra:+,.1f} h, {extra / first:+.1%})" + (f"; cost {by_rounds.first.solution.cost:,.2f} -> "
                                                           f"{by_rounds.final.solution.cost:,.2f}." if first else "."),
    ])


def _confirmation_words(c) -> str:
    last = c.first_replication + c.replications - 1
    return (f"replications {c.first_replication:,}-{last:,} of seed {c.seed} ({c.replications}, never used by the "
            f"rounds), every {c.schedule.scenario.targets.judged_per} and service target judged on its one-sided "
            f"{c.confidence:.0%} bound")


def format_confirmation(by_rounds: ByRounds) -> str:
    """Out of sample: the seeds and replications that judged the schedule, what held, its cost
    against the LP bound of its shift problem."""
    c = by_rounds.confirmation
    missed = sum(len(ks) for ks in c.missed.values())
    verdict = ("held" if c.held else f"STILL MISSES in {missed} interval{'s' * (missed != 1)} "
               f"({_missed_text(by_rounds, {g: tuple(ks) for g, ks in c.missed.items()})})")
    repaired = f" after {c.repairs} repair{'s' * (c.repairs != 1)} (one agent more where it missed)" if c.repairs else ""
    return (f"Confirmed out of sample: {_confirmation_words(c)}: {verdict}{repaired}. Cost "
            f"{c.schedule.solution.cost:,.2f}; LP bound of its shift problem {c.lp_bound:,.2f} "
            f"(the schedule is within {c.lp_gap:.2%} of any schedule meeting that requirement).")


def confirmation_document(by_rounds: ByRounds) -> dict | None:
    c = by_rounds.confirmation
    if c is None:
        return None
    labels = by_rounds.final.scenario.interval_labels()
    return {"seed": c.seed, "first_replication": c.first_replication, "replications": c.replications,
            "confidence": c.confidence, "rule": _confirmation_words(c), "held": c.held, "repairs": c.repairs,
            "missed": {g: {labels[k]: list(kpis) for k, kpis in ks.items()} for g, ks in c.missed.items()},
            "cost": c.schedule.solution.cost, "lp_bound": c.lp_bound, "lp_gap": c.lp_gap}


def rounds_document(by_rounds: ByRounds) -> dict:
    labels = by_rounds.final.scenario.interval_labels()
    return {
        "converged": by_rounds.converged,
        "round_limit": by_rounds.round_limit,
        "confirmation": confirmation_document(by_rounds),
        "stop_reason": by_rounds.stop_reason,
        "analytic_paid_hours": by_rounds.first.paid_hours,
        "final_paid_hours": by_rounds.final.paid_hours,
        "extra_paid_hours": by_rounds.extra_paid_hours,
        "analytic_cost": by_rounds.first.solution.cost,
        "final_cost": by_rounds.final.solution.cost,
        "rounds": [
            {"round": r.number, "paid_hours": r.paid_hours, "cost": r.cost, "solver_status": r.solver_status,
             "mip_gap": r.mip_gap, "short": r.short,
             "missed": {g: [labels[k] for k in ks] for g, ks in r.missed.items()},
             "missed_targets": {g: {labels[k]: list(kpis) for k, kpis in entries.items()}
                                for g, entries in r.missed_kpis.items()},
             "raised_to": {g: {labels[k]: v for k, v in ks.items()} for g, ks in r.raised.items()},
             "day": {k: _num(v) for k, v in r.day.items()}}
            for r in by_rounds.rounds
        ],
    }


def rounds_csv(by_rounds: ByRounds) -> str:
    """The trace: one row per round and missed interval (a round with none has one row)."""
    labels = by_rounds.final.scenario.interval_labels()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["round", "paid_hours", "cost", "solver_status", "short", "service_level_day", "asa_day",
                     "abandon_rate_day", "occupancy_day", "group", "missed_interval", "missed_targets",
                     "requirement_next_round"])
    for r in by_rounds.rounds:
        common = [r.number, _csv_number(r.paid_hours), _csv_number(r.cost), r.solver_status, "yes" if r.short else "",
                  *(_csv_number(r.day[k]) for k in ("service_level", "asa", "abandon_rate", "occupancy"))]
        entries = [(g, k) for g, ks in r.missed.items() for k in ks]
        if not entries:
            writer.writerow(common + ["", "", "", ""])
        for g, k in entries:
            writer.writerow(common + [g, labels[k], ";".join(r.missed_kpis.get(g, {}).get(k, ())),
                                      r.raised.get(g, {}).get(k, "")])
    return buffer.getvalue()


def schedule_files(study, stem: str, source: str = "", plots: bool = True, report: bool = False) -> dict[str, str | bytes]:
    """Every file `callsim schedule` writes, rendered in memory: {file name: content}."""
    import json

    schedule = study.schedule
    document = schedule_document(schedule, source, study.verification, study.by_rounds)
    files: dict[str, str | bytes] = {
        "shifts.csv": shifts_csv(schedule),
        "coverage.csv": coverage_csv(schedule),
        f"{stem}.scheduled.yaml": scheduled_yaml(schedule, source),
    }
    if study.verification is not None:
        files["verify.csv"] = verify_csv(study.verification)
    if study.by_rounds is not None:
        files["by_simulation.csv"] = rounds_csv(study.by_rounds)
    images = {}
    if plots:
        from .schedule_plots import schedule_plots

        images = schedule_plots(schedule)
        files.update(images)
    if report:
        from .schedule_report import SCHEDULE_REPORT_FILE, render_schedule_report

        files[SCHEDULE_REPORT_FILE] = render_schedule_report(document, images)
    files["schedule.json"] = json.dumps(document, indent=2, allow_nan=False) + "\n"
    return files


def solver_progress_text(progress) -> str:
    """The shift solver's state as one line (a `planner.shifts.SolverProgress`)."""
    best = "-" if progress.incumbent is None else f"{progress.incumbent:,.2f}"
    bound = "-" if progress.bound is None else f"{progress.bound:,.2f}"
    gap = "-" if progress.gap is None else f"{progress.gap:.2%}"
    return f"shift solver: best schedule {best}, lower bound {bound}, gap {gap}, {progress.time_s:.0f} s"


def not_converged_message(by_rounds: ByRounds) -> str:
    """One line (stderr, and the summary's first) when --by-simulation stopped on its round limit."""
    last = by_rounds.rounds[-1]
    where = sum(len(ks) for ks in last.missed.values())
    return (f"NOT CONVERGED: --by-simulation stopped after {len(by_rounds.rounds)} rounds (--max-rounds) with "
            f"{where} interval{'s' * (where != 1)} still missing a target; the last schedule was written, raise "
            "--max-rounds to finish")


def format_study(study, source: str = "") -> str:
    parts = [format_schedule(study.schedule, source)]
    if study.by_rounds is not None and study.by_rounds.round_limit:
        parts.insert(0, not_converged_message(study.by_rounds))
    if study.by_rounds is not None:
        parts.append(format_rounds(study.by_rounds))
        if study.by_rounds.confirmation is not None:
            parts.append(format_confirmation(study.by_rounds))
    if study.verification is not None:
        parts.append(format_verification(study.verification))
    return "\n\n".join(parts)
