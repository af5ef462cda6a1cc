"""Text tables and CSV files of a staffing plan and its verification (rendered in memory).

`format_plan` / `format_verification` are what `callsim plan` prints; `plan_csv` and
`verify_csv` are the files it writes. Nothing here computes a KPI: the numbers come from
`planner.plan`.
"""
from __future__ import annotations

import csv
import io
import math

from planner.period_staffing import period_figures
from planner.plan import ScenarioPlan
from planner.staffing import FLAG_DESCRIPTIONS
from planner.verify import GROUP_VERIFY_KPIS, QUEUE_VERIFY_KPIS, VERIFY_KPIS, Verification, VerifyRow

from simulator.numbers import finite_or_none
from studies.plan_diff import PLAN_COLUMNS, plan_rows

from .documents import csv_number
from .text import judged_words, table

KPI_TITLES = {"service_level": "SL", "asa": "ASA", "abandon_rate": "aband", "occupancy": "occupancy"}


def _pct(value: float | None, digits: int = 1) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.{digits}%}"


def _sec(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.1f} s"


def _value(kpi: str, value: float | None) -> str:
    return _sec(value) if kpi == "asa" else _pct(value)


def _targets_line(plan: ScenarioPlan) -> str:
    t = plan.scenario.targets
    parts = [f"service level {t.service_level.fraction:.0%} within {t.service_level.within:g} s"]
    if t.asa is not None:
        parts.append(f"ASA <= {t.asa:g} s")
    if t.abandon_rate is not None:
        erlang_c = any(q.model == "erlang_c" for q in plan.queues)
        parts.append(f"abandonment <= {t.abandon_rate:.1%}" + (" (not sized under Erlang C)" if erlang_c else ""))
    parts[-1] += judged_words(t)
    parts.append(f"occupancy band {t.occupancy[0]:.0%}-{t.occupancy[1]:.0%}")
    return "; ".join(parts)


def _queue_heading(plan: ScenarioPlan, index: int) -> str:
    qp = plan.queues[index]
    queue = plan.scenario.queues[plan.scenario.queue_index(qp.demand.queue)]
    d = qp.demand
    if plan.scenario.intents:  # the durations are the intents' it handles, not the queue's
        aht = f"AHT {d.mean_handle_time_s:.0f} s (talk + ACW of the caller intents it handles, {d.own_handle_time_s:.0f} s"
    elif queue.talk_time_by_interval or queue.acw_by_interval:  # the day's talk_time is not what calls draw
        aht = f"AHT {d.mean_handle_time_s:.0f} s (talk + ACW of each interval's distributions"
    else:
        aht = f"AHT {d.mean_handle_time_s:.0f} s (talk {queue.talk_time.mean_s:.0f} + ACW {queue.acw.mean_s:.0f}"
    if abs(d.mean_handle_time_s - d.own_handle_time_s) > 0.05:
        aht += ", with misrouted calls' transfer times"
    aht += ")"
    if d.handle_time_by_interval_s:
        low, high = min(d.handle_time_by_interval_s), max(d.handle_time_by_interval_s)
        source = ("the scenario's handle_time_s (a forecast's aht_s)" if plan.scenario.arrivals.handle_time_s
                  else "the queue's distributions per interval" if queue.talk_time_by_interval or queue.acw_by_interval
                  else "the queue's per-interval scales")
        aht += f", changing through the day from {low:.0f} to {high:.0f} s by {source} (call-weighted mean shown)"
    if qp.model == "erlang_a":
        model = f"Erlang A (M/M/N+M), mean patience {d.mean_patience_s:.0f} s"
        if d.patience_by_interval_s:
            model += (f" (from {min(d.patience_by_interval_s):.0f} to {max(d.patience_by_interval_s):.0f} s "
                      f"through the day: {'patience_by_interval' if queue.patience_by_interval else 'patience_scale'})")
    else:
        model = "Erlang C (M/M/N, nobody abandons)"
    return f"Queue '{d.queue}': {model}; {aht}; planned on group '{qp.group}'"


def format_plan(plan: ScenarioPlan, source: str = "") -> str:
    scenario = plan.scenario
    labels = plan.labels
    lines = [
        f"Staffing plan: {scenario.name}" + (f" ({source})" if source else ""),
        f"{scenario.n_intervals} x {scenario.interval_minutes}-minute intervals from {scenario.start}; "
        f"targets: {_targets_line(plan)}; shrinkage {plan.shrinkage:.0%}",
    ]
    for index, qp in enumerate(plan.queues):
        p, d = qp.plan, qp.demand
        lines += ["", _queue_heading(plan, index)]
        header = ["interval", "calls", "AHT", "load", "required", "scheduled", "occupancy", "SL", "ASA"]
        if qp.model == "erlang_a":
            header.append("P(aband)")
        header += ["binding", "flags"]
        rows = []
        for k, label in enumerate(labels):
            row = [label, f"{d.calls[k]:.1f}", f"{d.handle_time_s(k):.0f} s", f"{p.offered_load_erlangs[k]:.2f}",
                   str(p.agents[k]), str(p.scheduled_agents[k]), _pct(p.occupancy[k]), _pct(p.service_level[k]),
                   _sec(p.asa_s[k])]
            if qp.model == "erlang_a":
                row.append(_pct(p.p_abandon[k]))
            row += [p.binding_constraint[k], ", ".join(p.flags[k])]
            rows.append(row)
        lines.append(table(header, rows))
        lines += _period_lines(plan, qp)
    day = plan.predicted()[-1]
    lines += [
        "",
        f"Planned day, all queues: {sum(sum(q.demand.first_calls) for q in plan.queues):,.0f} calls reach a queue; "
        f"service level {_pct(day['service_level'])}, ASA {_sec(day['asa'])}"
        + (f", abandonment {_pct(day['abandon_rate'])}" if day["abandon_rate"] is not None else "")
        + f", occupancy {_pct(day['occupancy'])}",
        "",
        "Agent groups: the planned scenario's staffing (agents on the phones per interval)",
    ]
    hours = scenario.interval_minutes / 60.0
    for g in plan.groups:
        planned = ", ".join(g.planned_queues) if g.planned_queues else "no queue (first choice for none)"
        lines.append(f"  {g.name} (serves {', '.join(g.serves)}; planned for {planned}): "
                     f"{sum(g.agents) * hours:,.1f} agent-hours")
        lines.append("    agents     " + " ".join(str(v) for v in g.agents))
        if plan.shrinkage > 0:
            lines.append("    scheduled  " + " ".join(str(v) for v in g.scheduled_agents)
                         + f"  ({sum(g.scheduled_agents) * hours:,.1f} paid hours at {plan.shrinkage:.0%} shrinkage)")
    flags = sorted({f for qp in plan.queues for fl in qp.plan.flags for f in fl})
    notes = [note.text for note in plan.notes]
    if flags:
        notes.append("Flags: " + "; ".join(f"{f} = {FLAG_DESCRIPTIONS.get(f, f)}" for f in flags) + ".")
    notes.append("binding = the constraint that set the number: service_level, asa, abandon_rate, occupancy_cap "
                 "(the band's upper end forced more agents than the targets need), busyness (the day-to-day forecast "
                 "error needed more agents than the expected volume).")
    lines += ["", "Notes:"] + [f"  - {note}" for note in notes]
    return "\n".join(lines)


def _with_ci(kpi: str, estimate) -> str:
    if estimate.ci95 is None or not math.isfinite(estimate.mean):
        return _value(kpi, estimate.mean)
    half = (estimate.ci95[1] - estimate.ci95[0]) / 2
    if kpi == "asa":
        return f"{estimate.mean:.1f} s ± {half:.1f}"
    return f"{estimate.mean:.1%} ± {half * 100:.1f}"


def format_verification(verification: Verification) -> str:
    result = verification.result
    scenario = result.scenario
    header = ["interval"]
    for kpi in VERIFY_KPIS:
        header += [f"{KPI_TITLES[kpi]} plan", f"{KPI_TITLES[kpi]} sim"]
    header.append("missed (likely reasons)")
    rows = []
    for row in verification.rows:
        cells = [row.interval]
        for kpi in VERIFY_KPIS:
            check = row.checks[kpi]
            mark = " !" if check.miss else ""
            cells += [_value(kpi, check.planned), _with_ci(kpi, check.simulated) + mark]
        missed = row.missed
        cells.append(", ".join(KPI_TITLES[k] for k in missed) + (f" ({', '.join(row.reasons)})" if missed else ""))
        rows.append(cells)
    targets = scenario.targets
    lines = [
        f"Verification: {result.replications} simulated days of the planned scenario (seed {result.seed}), "
        "all queues together; simulated mean ± 95% CI half-width.",
        table(header, rows),
        "",
        f"'!' = the plan met the target and the simulation misses it (its whole 95% CI on the wrong side): "
        f"SL >= {targets.service_level.fraction:.0%}"
        + (f", ASA <= {targets.asa:g} s" if targets.asa is not None else "")
        + (f", abandonment <= {targets.abandon_rate:.1%}" if targets.abandon_rate is not None else "")
        + f", occupancy <= {targets.occupancy[1]:.0%}.",
    ]
    n_missed = sum(1 for row in verification.rows[:-1] if row.missed)
    day = verification.rows[-1]
    lines.append(f"Missed in {n_missed} of {scenario.n_intervals} intervals"
                 + (f"; for the day: {', '.join(KPI_TITLES[k] for k in day.missed)}." if day.missed
                    else "; the day meets every target the plan promised (or cannot be told apart from it)."))
    if verification.queues:
        lines += ["", "Per queue (the calls whose final queue it is, whichever group answered them): the day, then "
                      "the intervals that miss.",
                  _compacttable("queue", verification.queues, QUEUE_VERIFY_KPIS, scenario.n_intervals)]
    if verification.groups:
        lines += ["", "Per agent group, occupancy (busy / on shift, whichever queue the work came from; planned = the "
                      "load of the queues planned on the group / its agents): the day, then the intervals that miss.",
                  _compacttable("group", verification.groups, GROUP_VERIFY_KPIS, scenario.n_intervals)]
        unplanned = [g.name for g in result.scenario.agents if g.name not in verification.groups]
        if unplanned:
            lines.append(f"Not compared (planned at 0 agents, no planned occupancy): {', '.join(unplanned)}.")
    if verification.periods:
        lines += ["", f"Targets judged per {scenario.targets.judged_per} (each period's calls pooled; planned = the pooled "
                      "Erlang figures): every period, then the day.", _period_table(verification)]
    if verification.reasons:
        lines += ["", "Likely reasons (what the Erlang models assume and this scenario does not):"]
        lines += [f"  {code}: {text}" for code, text in verification.reasons.items()]
    return "\n".join(lines)


def _period_table(verification: Verification) -> str:
    """Per queue, every judging period with its hit or miss (met / missed / uncertain on the 95% CI)."""
    judged = verification.result.scenario.targets.judged_per
    header = ["queue", judged]
    for kpi in QUEUE_VERIFY_KPIS:
        header += [f"{KPI_TITLES[kpi]} plan", f"{KPI_TITLES[kpi]} sim"]
    header.append("simulated against the targets")
    rows = []
    for name, entries in verification.periods.items():
        for i, row in enumerate(entries):
            cells = [name if i == 0 else "", row.interval]
            for kpi in QUEUE_VERIFY_KPIS:
                check = row.checks[kpi]
                cells += [_value(kpi, check.planned), _with_ci(kpi, check.simulated) + (" !" if check.miss else "")]
            statuses = {check.status for check in row.checks.values() if check.status}
            verdict = "missed" if "missed" in statuses else "uncertain" if "uncertain" in statuses else "met"
            cells.append(verdict + (f" ({', '.join(row.reasons)})" if row.missed else ""))
            rows.append(cells)
    return table(header, rows)


def _compacttable(what: str, parts: dict[str, tuple[VerifyRow, ...]], kpis: tuple[str, ...], n: int) -> str:
    """One block per queue or group: its day row (with how many intervals miss), then its missed intervals."""
    header = [what, "interval"]
    for kpi in kpis:
        header += [f"{KPI_TITLES[kpi]} plan", f"{KPI_TITLES[kpi]} sim"]
    header.append("missed (likely reasons)")
    rows = []
    for name, entries in parts.items():
        n_missed = sum(1 for row in entries[:-1] if row.missed)
        for row in [entries[-1]] + [r for r in entries[:-1] if r.missed]:
            cells = [name if row is entries[-1] else "", row.interval]
            for kpi in kpis:
                check = row.checks[kpi]
                cells += [_value(kpi, check.planned), _with_ci(kpi, check.simulated) + (" !" if check.miss else "")]
            text = ", ".join(KPI_TITLES[k] for k in row.missed) + (f" ({', '.join(row.reasons)})" if row.missed else "")
            if row is entries[-1]:
                text = f"{n_missed} of {n} intervals miss" + (f"; day: {text}" if text else "")
            cells.append(text)
            rows.append(cells)
    return table(header, rows)


def plan_csv(plan: ScenarioPlan) -> str:
    """One row per queue and interval (`studies.plan_diff.plan_rows`: what a later --baseline reads)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, PLAN_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(plan_rows(plan))
    return buffer.getvalue()


def verify_csv(verification: Verification) -> str:
    """One row per interval, then 'day': per KPI the target, planned, simulated mean and CI, status.

    The all-queues rows come first (queue = group = "all"); then, with several queues, each
    queue's rows (queue = its name, group empty; occupancy columns empty: a queue has none);
    then, with several groups, each planned group's rows (group = its name, queue empty; only
    the occupancy columns). `queue` and `group` are the last columns, after `reasons`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["interval"]
    for kpi in VERIFY_KPIS:
        header += [f"{kpi}_target", f"{kpi}_planned", f"{kpi}_simulated", f"{kpi}_ci_low", f"{kpi}_ci_high",
                   f"{kpi}_status", f"{kpi}_miss"]
    header += ["reasons", "queue", "group"]
    writer.writerow(header)
    blocks = [(verification.rows, "all", "all")]
    blocks += [(rows, name, "") for name, rows in verification.queues.items()]
    blocks += [(rows, "", name) for name, rows in verification.groups.items()]
    for rows, queue, group in blocks:
        for row in rows:
            line = [row.interval]
            for kpi in VERIFY_KPIS:
                c = row.checks.get(kpi)
                if c is None:
                    line += [""] * 7
                    continue
                low, high = c.simulated.ci95 if c.simulated.ci95 else (None, None)
                line += [csv_number(c.target), csv_number(c.planned), csv_number(c.simulated.mean),
                         csv_number(low), csv_number(high), c.status, "yes" if c.miss else ""]
            line += [";".join(row.reasons), queue, group]
            writer.writerow(line)
    return buffer.getvalue()


# --- documents -------------------------------------------------------------------------------


def _period_lines(plan: ScenarioPlan, qp) -> list[str]:
    """With targets judged per hour or day: each period's pooled Erlang figures and whether it meets them."""
    targets = plan.scenario.targets
    if targets.judged_per == "interval":
        return []
    rows = []
    for label, figures in zip(plan.scenario.period_labels(), period_figures(qp.plan, plan.scenario.period_of_intervals())):
        met = _period_met(targets, figures)
        rows.append([label, _pct(figures["service_level"]), _sec(figures["asa"]), _pct(figures["abandon_rate"]),
                     "-" if met is None else ("meets" if met else "MISSES")])
    return [f"judged per {targets.judged_per} (the period's calls pooled: SL and abandonment weighted by calls, ASA by "
            "calls answered):", table([targets.judged_per, "SL", "ASA", "P(aband)", "targets"], rows)]


def _period_met(targets, figures: dict) -> bool | None:
    if figures["service_level"] is None:
        return None
    return (figures["service_level"] >= targets.service_level.fraction - 1e-12
            and (targets.asa is None or figures["asa"] is None or figures["asa"] <= targets.asa + 1e-9)
            and (targets.abandon_rate is None or figures["abandon_rate"] is None
                 or figures["abandon_rate"] <= targets.abandon_rate + 1e-12))


def plan_document(plan: ScenarioPlan, source: str = "") -> dict:
    """The plan as a JSON-ready dict."""
    labels = plan.labels
    t = plan.scenario.targets
    queues = []
    for qp in plan.queues:
        p, d = qp.plan, qp.demand
        intervals = []
        for k, label in enumerate(labels):
            intervals.append({
                "interval": label,
                "calls": d.calls[k],
                "aht_s": d.handle_time_s(k),
                "offered_load_erlangs": p.offered_load_erlangs[k],
                "required_agents": p.agents[k],
                "scheduled_agents": p.scheduled_agents[k],
                "occupancy": finite_or_none(p.occupancy[k]),
                "p_wait": finite_or_none(p.p_wait[k]),
                "service_level": finite_or_none(p.service_level[k]),
                "asa_s": finite_or_none(p.asa_s[k]),
                "p_abandon": finite_or_none(p.p_abandon[k]) if p.p_abandon[k] is not None else None,
                "binding_constraint": p.binding_constraint[k],
                "flags": list(p.flags[k]),
            })
        queues.append({
            "queue": d.queue, "model": qp.model, "group": qp.group, "aht_s": d.mean_handle_time_s,
            "own_aht_s": d.own_handle_time_s, "mean_patience_s": d.mean_patience_s if qp.model == "erlang_a" else None,
            "intervals": intervals,
        })
        if t.judged_per != "interval":  # the pooled figures each period is judged on
            queues[-1]["periods"] = [
                {"period": label, **{k: finite_or_none(v) if v is not None else None for k, v in figures.items()},
                 "meets": _period_met(t, figures)}
                for label, figures in zip(plan.scenario.period_labels(),
                                          period_figures(p, plan.scenario.period_of_intervals()))]
    flags = sorted({f for qp in plan.queues for fl in qp.plan.flags for f in fl})
    return {
        "scenario": plan.scenario.name,
        "source": source,
        "interval_minutes": plan.scenario.interval_minutes,
        "intervals": labels,
        "model": plan.model_choice,
        "carry_over": plan.carry_over,
        "shrinkage": plan.shrinkage,
        "targets": {
            "service_level": t.service_level.fraction, "answer_time_threshold_s": t.service_level.within,
            "asa_s": t.asa, "abandon_rate": t.abandon_rate, "occupancy": list(t.occupancy),
            **({} if t.judged_per == "interval" else {"judged_per": t.judged_per}),
        },
        "queues": queues,
        "groups": [
            {"group": g.name, "serves": list(g.serves), "planned_queues": list(g.planned_queues),
             "agents": list(g.agents), "scheduled_agents": list(g.scheduled_agents),
             "agent_hours": sum(g.agents) * plan.scenario.interval_minutes / 60.0}
            for g in plan.groups
        ],
        "flag_descriptions": {f: FLAG_DESCRIPTIONS.get(f, f) for f in flags},
        "notes": [note.text for note in plan.notes],
    }


def _verify_rows_document(rows: tuple[VerifyRow, ...]) -> list[dict]:
    out = []
    for row in rows:
        entry: dict = {"interval": row.interval}
        for name, check in row.checks.items():
            entry[name] = {
                "planned": finite_or_none(check.planned),
                "simulated": check.simulated.to_dict(),
                "target": check.target,
                "status": check.status or None,
                "miss": check.miss,
            }
        entry["reasons"] = list(row.reasons)
        out.append(entry)
    return out


def verification_document(verification: Verification) -> dict:
    """`rows`: all queues together; `queues` (several queues; else empty): per queue, its rows of
    service_level, asa, abandon_rate; `agent_groups` (several groups; else empty): per group the
    plan staffs, its rows of occupancy."""
    return {
        "replications": verification.result.replications,
        "seed": verification.result.seed,
        "rows": _verify_rows_document(verification.rows),
        "queues": [{"queue": name, "rows": _verify_rows_document(rows)} for name, rows in verification.queues.items()],
        "agent_groups": [{"group": name, "rows": _verify_rows_document(rows)}
                         for name, rows in verification.groups.items()],
        **({} if not verification.periods else {
            "judged_per": verification.result.scenario.targets.judged_per,
            "periods": [{"queue": name, "rows": _verify_rows_document(rows)}
                        for name, rows in verification.periods.items()]}),
        "reasons": verification.reasons,
    }


# --- the whole plan study: files, JSON and text -----------------------------------------------


def plan_study_files(study, stem: str, source: str, plots: bool = True, report: bool = False,
                     what_if: dict | None = None) -> tuple[dict, dict[str, str | bytes]]:
    """(the JSON document, {file name: content}) of a `studies.plan_study.PlanStudy`: plan.csv,
    the planned scenario, plan_diff.csv, verify.csv, the plots and plan_report.html, each when
    the study has what it needs. `what_if`: the --volume/--aht the plan was made under."""
    document = plan_document(study.plan, source=source)
    if what_if is not None:
        document["what_if"] = what_if
    files: dict[str, str | bytes] = {"plan.csv": plan_csv(study.plan), f"{stem}.planned.yaml": study.planned_text}
    if study.diff is not None:
        from .plan_diff_output import plan_diff_csv

        files["plan_diff.csv"] = plan_diff_csv(study.diff)
    verification = study.verification
    if verification is not None:
        document["verify"] = verification_document(verification)
        if study.slack is not None:
            from .optimize_output import slack_document

            document["verify"]["slack"] = slack_document(study.slack)
        files["verify.csv"] = verify_csv(verification)
    if plots:
        from .plan_plots import plan_plots

        files.update(plan_plots(study.plan, verification))
    if report:
        from .documents import result_document
        from .report import render_report
        from .run_plots import run_plots

        images = run_plots(verification.result) if plots else {}
        images.update({k: v for k, v in files.items() if k.endswith(".png")})
        files["plan_report.html"] = render_report(result_document(verification.result), images,
                                                  [plan_report_note(study, source)])
    return document, files


def plan_report_note(study, source: str) -> str:
    """The report page's opening words: what the page shows and how many intervals missed."""
    missed = sum(1 for row in study.verification.rows[:-1] if row.missed)
    return (f"The simulated day of the staffing planned by 'callsim plan' from {source} "
            f"(shrinkage {study.plan.shrinkage:.0%}): {missed} of {study.plan.scenario.n_intervals} intervals miss a "
            "target the Erlang maths met; verify.csv and plan.csv beside this page have the interval-by-interval "
            "comparison.")


def format_plan_study(study, source: str) -> str:
    """The printed tables: the plan, the change from the baseline, the verification, the slack."""
    parts = [format_plan(study.plan, source=source)]
    if study.diff is not None:
        from .plan_diff_output import format_plan_diff

        parts += ["", format_plan_diff(study.diff)]
    if study.verification is not None:
        parts += ["", format_verification(study.verification)]
    if study.slack is not None:
        from .optimize_output import format_slack

        parts.append("\n" + format_slack(study.slack))
    return "\n".join(parts)

