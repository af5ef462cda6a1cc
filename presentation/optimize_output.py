"""`callsim optimize` rendered: the text summary, optimize.json, the trace (CSV and JSON) and the
runnable `<stem>.optimized.yaml`. Renders an `OptimizeResult`; simulates nothing."""
from __future__ import annotations

import csv
import io
import json
import math


from simulator.loading import dump_scenario_yaml  # one style for every written scenario
from studies.optimize import KPI_LABELS, PERIOD_JUDGED, Evaluation, KpiValue, OptimizeResult

from .documents import fingerprint, result_document, versions
from .text import table

START_TEXT = {"erlang": "the Erlang plan (SIPP)", "carry_over": "the carry-over plan (modified offered load)",
              "scenario": "the scenario's own staffing"}
STOP_TEXT = {"converged": "converged: no interval can lose an agent and still meet every target",
             "infeasible": "stopped: some intervals cannot meet their targets within the agent limits",
             "max_iterations": "NOT CONVERGED: stopped at the iteration limit (--max-iterations)",
             "max_repairs": "NOT CONVERGED: the repair on the confirmation replications stopped at its round limit"}


def _number(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _kpi(key: str) -> str:
    return key.split("@")[0]


def _value_text(key: str, value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.1f} s" if _kpi(key) == "asa" else f"{value:.1%}"


def _with_ci(key: str, value: KpiValue | None) -> str:
    return ci_words(key, None if value is None else _kpi_document(value))


def ci_words(key: str, value: dict | None) -> str:
    """'81.2% [78.0, 84.1%]' from an optimize.json KPI entry (mean, ci95, bound, n)."""
    if value is None or not value["n"]:
        return "-"
    text = _value_text(key, value["mean"])
    if value["ci95"] is not None:
        low, high = value["ci95"]
        text += f" [{_value_text(key, low).rstrip(' s%')}, {_value_text(key, high)}]"
    return text


def _kpi_document(value: KpiValue) -> dict:
    return {"mean": _number(value.mean), "ci95": None if value.ci95 is None else [_number(v) for v in value.ci95],
            "bound": _number(value.bound), "n": value.n}


def _constraint_document(result: OptimizeResult, constraint) -> dict:
    entry = {"key": constraint.key, "label": constraint.label, "kpi": constraint.kpi, "target": constraint.target,
             "sense": ">=" if constraint.at_least else "<="}
    if constraint.kpi == "service_level":
        entry["within_s"] = result.scenario.targets.service_level.within
    if constraint.kpi in PERIOD_JUDGED and result.scenario.targets.judged_per != "interval":
        entry["judged_per"] = result.scenario.targets.judged_per
    return entry


def target_words(constraint: dict) -> str:
    """One target as words, from its optimize.json entry."""
    label, kpi, target = constraint["label"], constraint["kpi"], constraint["target"]
    judged = f", judged per {constraint['judged_per']}" if "judged_per" in constraint else ""
    if kpi == "service_level":
        return f"{label} >= {target:.0%} within {constraint['within_s']:g} s{judged}"
    if kpi == "asa":
        return f"{label} <= {target:g} s{judged}"
    return f"{label} <= {target:.1%}{judged}" if kpi == "abandon_rate" else f"{label} <= {target:.0%}"


def _target_text(result: OptimizeResult, constraint) -> str:
    """A target's words where the heading already says how it is judged."""
    document = _constraint_document(result, constraint)
    document.pop("judged_per", None)
    return target_words(document)


def judged_words(confidence: float | None) -> str:
    return "the mean" if confidence is None else f"the one-sided {confidence:.0%} bound"


def _judged(result: OptimizeResult) -> str:
    return judged_words(result.confidence)


def optimize_id(scenario: str, seed: int, replications: int, staffing: dict) -> str:
    """What the optimize plots depend on, as optimize.json has it (stamped in the PNGs)."""
    return fingerprint({"scenario": scenario, "seed": seed, "replications": replications, "staffing": staffing})


def _infeasible_lines(result: OptimizeResult) -> list[str]:
    by_key = {c.key: c for c in result.constraints}
    lines = []
    for k in result.infeasible:
        check = result.judged.checks[k]
        best = "; ".join(f"{by_key[key].label} {_value_text(key, check.values[key].bound)} (target "
                         f"{_value_text(key, by_key[key].target)})" for key in check.missed)
        staffed = ", ".join(f"{name} {s[k]}" for name, s in zip(result.group_names, result.final.staffing))
        lines.append(f"  {check.interval}: best reached {best}, with {staffed}")
    return lines


def infeasible_message(result: OptimizeResult) -> str:
    """One line for stderr when targets cannot be met (exit 1), or when a round limit stopped the search (exit 3)."""
    labels = [result.judged.checks[k].interval for k in result.infeasible]
    where = ", ".join(labels[:6]) + (", ..." if len(labels) > 6 else "")
    if not result.converged:  # exit code 3: a round limit, the answer is not final
        stopped = f"not converged: {STOP_TEXT[result.stop_reason].split(': ', 1)[1]} after {result.iterations} iterations"
        if not result.infeasible:
            return f"{stopped}; the staffing reached (it meets every target) was written, raise --max-iterations for " \
                   "the cheapest"
        return (f"{stopped} with targets still missed in {len(labels)} interval{'s' * (len(labels) != 1)} ({where}); "
                "the best staffing reached was written, raise --max-iterations (see TARGETS NOT MET in the output)")
    return (f"cannot meet every target within the agent limits (max_agents) in {len(labels)} "
            f"interval{'s' * (len(labels) != 1)} ({where}); the best staffing reached was written, see TARGETS NOT MET "
            "in the output")


def _confirmation_line(result: OptimizeResult) -> str:
    if result.confirmation is None:
        return "out of sample: not checked (--confirm-replications 0): the answer is judged on the search's own days"
    verdict = "holds in every interval" if result.holds else \
        f"MISSES in {len(result.infeasible)} interval{'s' * (len(result.infeasible) != 1)}"
    repaired = (f", after {result.repairs} round{'s' * (result.repairs != 1)} of repair" if result.repairs
                else ", without repair")
    return (f"out of sample: {verdict}{repaired} on {result.confirm_replications} fresh replications (seed "
            f"{result.seed}, replications {result.confirm_first_replication:,} onwards, never used by the search), "
            f"judged on the one-sided {result.confirm_confidence:.0%} bound per "
            f"{result.scenario.targets.judged_per} and target")


def _headline(result: OptimizeResult, source: str) -> str:
    name = f"Optimised staffing for '{result.scenario.name}'" + (f" ({source})" if source else "")
    return name if result.converged else f"NOT CONVERGED: {name} (stopped on a round limit; the answer is not final)"


def format_optimize(result: OptimizeResult, source: str = "") -> str:
    scenario = result.scenario
    plan, final = result.plan_evaluation, result.final
    lines = [
        _headline(result, source),
        f"start: {START_TEXT[result.start]}; search on {result.replications} replications on common random numbers "
        f"(seed {result.seed}); a target is met in the search on {_judged(result)}",
        _confirmation_line(result),
        f"search: {STOP_TEXT[result.stop_reason]}; {result.iterations} iterations, {len(result.evaluations)} "
        f"staffings simulated ({result.simulated_calls:,.0f} calls)",
        _targets_heading(result) + "; ".join(_target_text(result, c) for c in result.constraints),
        "",
    ]
    header = ["interval"]
    for name in result.group_names:
        header += [f"{name} plan", "optimised"]
    header += ["binding", "flags"]
    rows = []
    for k, label in enumerate(result.labels):
        row = [label]
        for g in range(len(result.group_names)):
            row += [str(plan.staffing[g][k]), str(final.staffing[g][k])]
        row += [result.binding[k], ", ".join(result.flags[k])]
        rows.append(row)
    lines.append(table(header, rows))
    lines.append("")
    lines.append(_totals_line("agent-hours", plan.agent_hours, final.agent_hours, "{:,.1f}"))
    if any(g.hourly_cost is not None for g in scenario.agents):
        lines.append(_totals_line("cost", plan.cost, final.cost, "{:,.2f}"))
    plan_missed = [c.interval for c in plan.checks if not c.met]
    lines.append(f"the {'carry-over' if result.start == 'carry_over' else 'Erlang'} plan in simulation: "
                 + ("meets every target in every interval" if not plan_missed else
                    f"misses a target in {len(plan_missed)} intervals ({', '.join(plan_missed)})"))
    lines.append("")
    lines.append(f"Simulated KPIs of the optimised staffing (mean [95% CI]; '!' where {_judged(result)} misses):")
    kpi_header = ["interval"] + [KPI_LABELS[name] for name in ("service_level", "asa", "abandon_rate", "occupancy")
                                 if name in final.checks[0].values] + ["closest constraint (judged value)"]
    kpi_rows = []
    by_key = {c.key: c for c in result.constraints}
    for check in final.checks:
        row = [check.interval + (" !" if not check.met else "")]
        row += [_with_ci(name, check.values.get(name)) for name in ("service_level", "asa", "abandon_rate", "occupancy")
                if name in check.values]
        key = check.missed[0] if check.missed else check.closest
        row.append("-" if key is None else f"{by_key[key].label} {_value_text(key, check.values[key].bound)}")
        kpi_rows.append(row)
    lines.append(table(kpi_header, kpi_rows))
    if result.confirmation is not None:
        lines += ["", f"In sample beside out of sample (per {scenario.targets.judged_per}, the target closest to missing on "
                      "the confirmation replications; every target in optimize.json and optimize_confirmation.csv):",
                  table(["interval", "target", "in sample: mean", "out of sample: mean",
                         f"one-sided {result.confirm_confidence:.0%} bound", "holds"],
                        [_side_by_side_row(result, k) for k in _first_of_each_period(result)])]
    if result.infeasible:
        lines += ["", f"TARGETS NOT MET in {len(result.infeasible)} intervals "
                      f"({'agent limits' if result.stop_reason == 'infeasible' else 'iteration limit'}):"]
        lines += _infeasible_lines(result)
    if result.notes:
        lines += [""] + [f"note: {note}" for note in result.notes]
    return "\n".join(lines)


def _targets_heading(result: OptimizeResult) -> str:
    judged = result.scenario.targets.judged_per
    if judged == "interval":
        return "targets in every interval: "
    return (f"targets (service level, ASA and abandonment judged per {judged}, on the {judged}'s calls pooled; "
            "occupancy per interval): ")


def _first_of_each_period(result: OptimizeResult) -> list[int]:
    """The intervals whose rows stand for their period (each interval when judged per interval)."""
    seen, out = set(), []
    for k, check in enumerate(result.judged.checks):
        if check.period not in seen:
            seen.add(check.period)
            out.append(k)
    return out


def _side_by_side_row(result: OptimizeResult, k: int) -> list[str]:
    check = result.confirmation.checks[k]
    key = check.missed[0] if check.missed else check.closest
    if key is None:
        return [check.interval, "(no calls)", "-", "-", "-", "yes"]
    label = {c.key: c.label for c in result.constraints}[key]
    outside = check.values[key]
    return [check.period or check.interval, label, _value_text(key, result.final.checks[k].values[key].mean),
            _value_text(key, outside.mean), _value_text(key, outside.bound), "yes" if check.met else "NO"]


def confirmation_csv(result: OptimizeResult) -> str:
    """optimize_confirmation.csv: per interval and target, the final staffing's figures on the search's
    replications beside those on the confirmation replications."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # judged per hour or day: a period's service level, ASA and abandonment once, under its label; occupancy per interval
    per_period = result.scenario.targets.judged_per != "interval"
    writer.writerow(["period" if per_period else "interval", "target", "sense", "target_value", "in_sample_mean",
                     "in_sample_judged", "in_sample_n",
                     "confirmation_mean", "confirmation_ci_low", "confirmation_ci_high", "confirmation_bound",
                     "confirmation_n", "holds"])
    if result.confirmation is None:
        return buffer.getvalue()
    written = set()
    for inside, outside in zip(result.final.checks, result.confirmation.checks):
        for c in result.constraints:
            where = outside.period if per_period and c.kpi in PERIOD_JUDGED else inside.interval
            if (where, c.key) in written:
                continue
            written.add((where, c.key))
            a, b = inside.values[c.key], outside.values[c.key]
            ci = b.ci95 or (math.nan, math.nan)
            writer.writerow([where, c.label, ">=" if c.at_least else "<=", f"{c.target:g}", _csv(a.mean),
                             _csv(a.bound), a.n, _csv(b.mean), _csv(ci[0]), _csv(ci[1]), _csv(b.bound), b.n,
                             int(c.key not in outside.missed)])
    return buffer.getvalue()


def effort_text(effort) -> str:
    """What the optimiser is about to simulate (a `studies.optimize.Effort`), one line for stderr."""
    day = effort.calls_per_day
    confirm = (f"; then a confirmation on {effort.confirm_replications} fresh replications "
               f"(~{day * effort.confirm_replications:,.0f} calls a staffing), repaired where it misses"
               if effort.confirm_replications else "; no out-of-sample confirmation")
    return (f"optimising: search on {effort.replications} replications (~{day * effort.replications:,.0f} calls a "
            f"staffing), about {effort.search_staffings:.0f} staffings{confirm}; about "
            f"{effort.expected_calls / 1e6:,.1f} million calls in all, at most "
            f"{effort.most_calls / 1e6:,.1f} million at the round limits")


class ProgressLine:
    """The progress line of a search: iterations, staffings, the best so far, time spent and left.
    Time left: the calls still expected (`Effort`, at least one more iteration) at the rate measured
    so far."""

    def __init__(self, effort, clock):
        self.effort, self.clock, self.started = effort, clock, clock()

    def __call__(self, progress) -> str:
        elapsed = self.clock() - self.started
        per_call = elapsed / max(progress.simulated_calls, 1.0)
        day = self.effort.calls_per_day
        one_more = (self.effort.groups + 1) * day * (
            self.effort.replications if progress.phase == "search" else self.effort.confirm_replications)
        left = max(self.effort.expected_calls - progress.simulated_calls, one_more) * per_call
        best = "-" if progress.best_agent_hours is None else f"{progress.best_agent_hours:,.1f} agent-hours"
        return (f"{progress.phase} iteration {progress.iteration}/{progress.max_iterations}, "
                f"{progress.staffings} staffings, best so far {best}; {elapsed:.0f} s, about {left:.0f} s left")


def saving_words(saving: float, plan: float, fmt: str = "{:,.1f}") -> str:
    """'saving 19.0 (6.4%)', or '1.0 more (+2.1%)' when the simulation needs more than the plan."""
    share = abs(saving) / plan if plan > 0 else None
    if saving >= 0:
        return f"saving {fmt.format(saving)}" + (f" ({share:.1%})" if share is not None else "")
    return f"{fmt.format(-saving)} more than the plan" + (f" (+{share:.1%})" if share is not None else "")


def _totals_line(what: str, plan: float, optimised: float, fmt: str) -> str:
    return (f"{what}: plan {fmt.format(plan)}, optimised {fmt.format(optimised)}, "
            f"{saving_words(plan - optimised, plan, fmt)}")


def _staffing_dict(result: OptimizeResult, evaluation: Evaluation) -> dict[str, list[int]]:
    return {name: list(s) for name, s in zip(result.group_names, evaluation.staffing)}


def optimize_document(result: OptimizeResult, source: str = "") -> dict:
    """optimize.json: inputs and provenance, the staffing beside the plan's, per-interval KPIs."""
    plan, final = result.plan_evaluation, result.final
    by_key = {c.key: c for c in result.constraints}
    hours = result.scenario.interval_minutes / 60.0
    day = result_document(final.result)
    return {
        "scenario": result.scenario.name,
        "source": source,
        "start": result.start.replace("_", "-"),
        "replications": result.replications,
        "seed": result.seed,
        "confidence": result.confidence,
        "versions": versions(),
        "stop_reason": result.stop_reason,
        "converged": result.converged,
        "search_stop_reason": result.search_stop_reason,
        "holds_out_of_sample": result.holds if result.confirmation is not None else None,
        "confirmation": None if result.confirmation is None else {
            "seed": result.seed, "replications": result.confirm_replications,
            "first_replication": result.confirm_first_replication,
            "rule": f"every interval and target: one-sided {result.confirm_confidence:.0%} bound meets the target "
                    "(intersection-union test, no multiplicity correction needed for 'all hold')",
            "confidence": result.confirm_confidence, "repair_rounds": result.repairs,
            "search_answer_missed": [c.interval for c in result.search_confirmation.checks if not c.met],
            "search_answer_agent_hours": result.search_confirmation.agent_hours,
            "verdict": _confirmation_line(result)},
        "iterations": result.iterations,
        "staffings_simulated": len(result.evaluations),
        "simulated_calls": result.simulated_calls,
        "constraints": [_constraint_document(result, c) for c in result.constraints],
        **({} if result.scenario.targets.judged_per == "interval" else {
            "judged_per": result.scenario.targets.judged_per, "periods": _periods_document(result)}),
        "staffing": _staffing_dict(result, final),
        "plan_staffing": _staffing_dict(result, plan),
        "agent_hours": {"optimized": final.agent_hours, "plan": plan.agent_hours,
                        "saving": result.saving_agent_hours, "saving_fraction": _number(result.saving_fraction)},
        "cost": {"optimized": final.cost, "plan": plan.cost, "saving": plan.cost - final.cost},
        "groups": {name: {"hourly_cost": cost, "agent_hours_optimized": sum(final.staffing[g]) * hours,
                          "agent_hours_plan": sum(plan.staffing[g]) * hours}
                   for g, (name, cost) in enumerate(zip(result.group_names, result.hourly_costs))},
        "plan_meets_every_target": plan.met,
        "intervals": [
            {"interval": check.interval, "met": check.met, "binding": result.binding[k], "flags": list(result.flags[k]),
             "missed": [by_key[key].label for key in check.missed],
             "kpis": {key: _kpi_document(value) for key, value in check.values.items()},
             "plan_kpis": {key: _kpi_document(value) for key, value in plan.checks[k].values.items()},
             **({} if result.confirmation is None else {
                 "holds": result.confirmation.checks[k].met,
                 "confirmation_missed": [by_key[key].label for key in result.confirmation.checks[k].missed],
                 "confirmation_kpis": {key: _kpi_document(value)
                                       for key, value in result.confirmation.checks[k].values.items()}})}
            for k, check in enumerate(final.checks)
        ],
        "infeasible": [result.judged.checks[k].interval for k in result.infeasible],
        "notes": list(result.notes),
        # the optimised day's KPIs against the targets, so that `callsim report` can rebuild the page
        "optimized_day": {key: day[key] for key in ("day", "definitions", "targets")},
    }


def _periods_document(result: OptimizeResult) -> list[dict]:
    """With targets judged per hour or day: each period's pooled figures of the period-judged targets, in the
    search and on the confirmation replications, and whether they hold."""
    out = []
    keys = [c.key for c in result.constraints if c.kpi in PERIOD_JUDGED]
    for k in _first_of_each_period(result):
        judged = result.judged.checks[k]
        entry = {"period": judged.period, "kpis": {key: _kpi_document(result.final.checks[k].values[key]) for key in keys},
                 "met": not [key for key in result.final.checks[k].missed if key in keys]}
        if result.confirmation is not None:
            entry["confirmation_kpis"] = {key: _kpi_document(judged.values[key]) for key in keys}
            entry["holds"] = not [key for key in judged.missed if key in keys]
        out.append(entry)
    return out


def trace_document(result: OptimizeResult) -> dict:
    """optimize_trace.json: every staffing tried, its KPIs with CIs, and the decisions taken."""
    by_index = {e.index: e for e in result.evaluations}
    steps = []
    for step, entry in enumerate(result.trace):
        evaluation = by_index[entry.evaluation]
        steps.append({
            "step": step, "iteration": entry.iteration, "phase": entry.phase, "purpose": entry.purpose,
            "replications": evaluation.sample,
            "staffing_id": entry.evaluation, "staffing": _staffing_dict(result, evaluation),
            "agent_hours": evaluation.agent_hours, "cost": evaluation.cost,
            "intervals": [{"interval": check.interval, "met": check.met, "decision": decision,
                           "kpis": {key: _kpi_document(value) for key, value in check.values.items()}}
                          for check, decision in zip(evaluation.checks, entry.decisions)],
        })
    return {"scenario": result.scenario.name, "seed": result.seed, "replications": result.replications,
            "confidence": result.confidence, "trace": steps}


def trace_csv(result: OptimizeResult) -> str:
    """optimize_trace.csv: one row per staffing tried and interval."""
    by_index = {e.index: e for e in result.evaluations}
    by_key = {c.key: c for c in result.constraints}
    keys = list(result.final.checks[0].values)
    header = ["step", "iteration", "phase", "purpose", "replications", "staffing_id", "interval"]
    header += [f"agents {name}" for name in result.group_names]
    header += ["met", "missed", "decision"]
    for key in keys:
        header += [f"{key} mean", f"{key} ci_low", f"{key} ci_high", f"{key} judged"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for step, entry in enumerate(result.trace):
        evaluation = by_index[entry.evaluation]
        for k, (check, decision) in enumerate(zip(evaluation.checks, entry.decisions)):
            row = [step, entry.iteration, entry.phase, entry.purpose, evaluation.sample, entry.evaluation,
                   check.interval]
            row += [s[k] for s in evaluation.staffing]
            row += [int(check.met), "; ".join(by_key[key].label for key in check.missed), decision]
            for key in keys:
                value = check.values[key]
                ci = value.ci95 or (math.nan, math.nan)
                row += [_csv(value.mean), _csv(ci[0]), _csv(ci[1]), _csv(value.bound)]
            writer.writerow(row)
    return buffer.getvalue()


def _csv(value: float) -> str:
    return f"{value:.6g}" if value is not None and math.isfinite(value) else ""


def optimized_yaml(result: OptimizeResult, source: str = "") -> str:
    """The scenario with the optimised staffing, as YAML that `callsim run` accepts."""
    scenario = result.scenario
    header = [
        f"# Optimised staffing for '{scenario.name}'" + (f" ({source})" if source else ""),
        f"# Written by 'callsim optimize' (start: {result.start.replace('_', '-')}, {result.replications} replications, "
        f"seed {result.seed}, met on {_judged(result)}): {STOP_TEXT[result.stop_reason]}.",
        "# " + _confirmation_line(result) + ".",
        f"# Agent-hours {result.final.agent_hours:,.1f} against {result.plan_evaluation.agent_hours:,.1f} for the "
        f"{'carry-over' if result.start == 'carry_over' else 'Erlang'} plan.",
    ]
    if result.infeasible:
        header.append("# TARGETS NOT MET in: " + ", ".join(result.judged.checks[k].interval for k in result.infeasible))
    return dump_scenario_yaml(scenario.with_staffing(result.staffing), header)


def to_json(document: dict) -> str:
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


# --- over-staffing: where one agent fewer still meets every target (run --slack, plan --verify) ---


def slack_document(report) -> dict:
    """The slack report as JSON: per interval, whether it meets every target and which groups
    could lose one agent there and still meet them all."""
    return {
        "definition": "an interval is over-staffed when it meets every target and still does with one agent fewer "
                      "in some group (simulated on the same callers, the next interval unchanged)",
        "judged_on": "mean" if report.confidence is None else f"one-sided {report.confidence:.0%} bound",
        "extra_runs": report.extra_runs,
        "overstaffed": report.overstaffed,
        "intervals": [{"interval": i.interval, "meets_targets": i.met, "spare_groups": list(i.spare_groups)}
                      for i in report.intervals],
    }


def format_slack(report) -> str:
    """One paragraph: the over-staffed intervals and the groups with an agent to spare there."""
    over = [i for i in report.intervals if i.overstaffed]
    if not over:
        return "Over-staffing: none; no interval meets every target with one agent fewer in a group."
    where = "; ".join(f"{i.interval} ({', '.join(i.spare_groups)})" for i in over)
    return (f"Over-staffed: {len(over)} of {len(report.intervals)} intervals meet every target with one agent fewer "
            f"(simulated on the same callers): {where}. 'callsim optimize' trims them.")
