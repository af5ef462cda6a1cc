"""optimize_report.html: one self-contained page for `callsim optimize` (same shell and style as
the run report: plots embedded, inline CSS, no scripts)."""
from __future__ import annotations

from studies.optimize import KPI_LABELS, OptimizeResult

from .documents import result_document, versions
from .report import _day_table, _e, _facts, _page, _plots, _section

from .optimize_output import _confirmation_line, saving_words, START_TEXT, STOP_TEXT, _judged, _target_text, _value_text, _with_ci
from .optimize_plots import KPIS_FILE, STAFFING_FILE

CAPTIONS = {
    STAFFING_FILE: ("Agents per interval", "The Erlang plan beside the optimised staffing, per agent group; shaded: "
                    "intervals that cannot meet their targets within the limits."),
    KPIS_FILE: ("KPIs against targets", "The optimised staffing's simulated KPIs per interval (mean and 95% CI band), "
                "per queue where each queue is judged on its own, against the targets."),
}


def _summary(result: OptimizeResult, source: str) -> str:
    plan, final = result.plan_evaluation, result.final
    facts = [
        ("Scenario", f"{result.scenario.name} ({source})" if source else result.scenario.name),
        ("Started from", START_TEXT[result.start]),
        ("Simulation", f"{result.replications} replications on common random numbers, seed {result.seed}; a target "
                       f"is met on {_judged(result)}"),
        ("Search", f"{STOP_TEXT[result.stop_reason]}; {result.iterations} iterations, {len(result.evaluations)} "
                   f"staffings simulated ({result.simulated_calls:,.0f} calls); every one is in optimize_trace.csv"),
        ("Out of sample", _confirmation_line(result)),
        ("Targets", "; ".join(_target_text(result, c) for c in result.constraints)),
        ("Agent-hours", f"plan {plan.agent_hours:,.1f}, optimised {final.agent_hours:,.1f}, "
                        f"{saving_words(result.saving_agent_hours, plan.agent_hours)}"),
    ]
    if any(g.hourly_cost is not None for g in result.scenario.agents):
        facts.append(("Cost", f"plan {plan.cost:,.2f}, optimised {final.cost:,.2f}, saving {plan.cost - final.cost:,.2f}"))
    if result.infeasible:
        facts.append(("Targets not met", ", ".join(result.judged.checks[k].interval for k in result.infeasible)))
    return _facts(facts)


def _staffing_table(result: OptimizeResult) -> str:
    plan, final = result.plan_evaluation, result.final
    kpis = [name for name in ("service_level", "asa", "abandon_rate", "occupancy") if name in final.checks[0].values]
    header = "<th>interval</th>" + "".join(f"<th>{_e(name)}<span class=\"label\">plan / optimised</span></th>"
                                           for name in result.group_names)
    header += "".join(f"<th>{_e(KPI_LABELS[name])}</th>" for name in kpis) + "<th>binding</th><th>flags</th>"
    rows = []
    for k, check in enumerate(final.checks):
        cells = "".join(f"<td>{plan.staffing[g][k]} / <strong>{final.staffing[g][k]}</strong></td>"
                        for g in range(len(result.group_names)))
        cells += "".join(f"<td>{_e(_with_ci(name, check.values.get(name)))}</td>" for name in kpis)
        cells += f"<td>{_e(result.binding[k])}</td><td>{_e(', '.join(result.flags[k]))}</td>"
        rows.append(f"<tr><td>{_e(check.interval)}{' !' if not check.met else ''}</td>{cells}</tr>")
    return ("<p class=\"note\">Staffing of the Erlang plan and the optimised staffing, and the optimised day's KPIs "
            "over all queues (mean [95% CI]); binding: what one agent fewer misses (else the constraint closest to its "
            "target). Per-queue values are in <code>optimize.json</code>, every staffing tried in "
            "<code>optimize_trace.csv</code>.</p>"
            f"<div class=\"scroll\"><table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def _infeasible(result: OptimizeResult) -> str:
    by_key = {c.key: c for c in result.constraints}
    items = []
    for k in result.infeasible:
        check = result.judged.checks[k]
        best = "; ".join(f"{by_key[key].label} {_value_text(key, check.values[key].bound)}" for key in check.missed)
        items.append(f"<li>{_e(check.interval)}: best reached {_e(best)}</li>")
    return f"<ul>{''.join(items)}</ul>"


def optimize_report(result: OptimizeResult, images: dict[str, bytes], source: str = "",
                    with_run_plots: bool = True) -> str:
    """The page: summary, staffing and KPIs per interval, the plots, the optimised day's KPIs."""
    images = dict(images)
    if with_run_plots:
        from .run_plots import run_plots

        images.update(run_plots(result.final.result))
    day = result_document(result.final.result)
    day["versions"] = versions()
    sections = (
        _section("summary", "", _summary(result, source))
        + (_section("infeasible", "Targets not met within the limits", _infeasible(result)) if result.infeasible else "")
        + _section("staffing", "Staffing and KPIs per interval", _staffing_table(result))
        + _section("plots", "Plots", _plots(images, CAPTIONS, "optimisation"))
        + _section("day", "The optimised day against the targets", _day_table(day))
    )
    nav = [("staffing", "Per interval"), ("plots", "Plots"), ("day", "Day KPIs")]
    notes = list(result.notes)
    return _page(f"Optimised staffing: {result.scenario.name}", nav, sections, "optimize.json", versions(), notes)
