"""optimize_report.html: one self-contained page for `callsim optimize` (same shell and style as
the run report: plots embedded, inline CSS, no scripts).

The page is rendered from the optimize.json document (`render_optimize_report`), so `callsim
report` can rebuild it from a results folder; `optimize_report(result, ...)` is the same page
straight from the study, with the optimised day's run plots, which exist only in memory."""
from __future__ import annotations

from studies.optimize import KPI_LABELS, OptimizeResult

from .documents import versions
from .optimize_output import (START_TEXT, STOP_TEXT, _value_text, ci_words, judged_words, optimize_document,
                              saving_words, target_words)
from .optimize_plots import KPIS_FILE, STAFFING_FILE
from .report import _day_table, _e, _facts, _page, _plots, _section

OPTIMIZE_REPORT_FILE = "optimize_report.html"
OPTIMIZE_FILE = "optimize.json"
CAPTIONS = {
    STAFFING_FILE: ("Agents per interval", "The Erlang plan beside the optimised staffing, per agent group; shaded: "
                    "intervals that cannot meet their targets within the limits."),
    KPIS_FILE: ("KPIs against targets", "The optimised staffing's simulated KPIs per interval (mean and 95% CI band), "
                "per queue where each queue is judged on its own, against the targets."),
}
DISPLAY_KPIS = ("service_level", "asa", "abandon_rate", "occupancy")


def _summary(document: dict) -> str:
    source, hours, cost = document.get("source", ""), document["agent_hours"], document["cost"]
    facts = [
        ("Scenario", f"{document['scenario']} ({source})" if source else document["scenario"]),
        ("Started from", START_TEXT[document["start"].replace("-", "_")]),
        ("Simulation", f"{document['replications']} replications on common random numbers, seed {document['seed']}; "
                       f"a target is met on {judged_words(document['confidence'])}"),
        ("Search", f"{STOP_TEXT[document['stop_reason']]}; {document['iterations']} iterations, "
                   f"{document['staffings_simulated']} staffings simulated ({document['simulated_calls']:,.0f} calls); "
                   "every one is in optimize_trace.csv"),
        ("Out of sample", (document.get("confirmation") or {}).get("verdict", "not checked")),
        ("Targets", "; ".join(target_words(c) for c in document["constraints"])),
        ("Agent-hours", f"plan {hours['plan']:,.1f}, optimised {hours['optimized']:,.1f}, "
                        f"{saving_words(hours['saving'], hours['plan'])}"),
    ]
    if any(g["hourly_cost"] is not None for g in document["groups"].values()):
        facts.append(("Cost", f"plan {cost['plan']:,.2f}, optimised {cost['optimized']:,.2f}, saving "
                              f"{cost['saving']:,.2f}"))
    if document["infeasible"]:
        facts.append(("Targets not met", ", ".join(document["infeasible"])))
    return _facts(facts)


def _staffing_table(document: dict) -> str:
    intervals, groups = document["intervals"], list(document["staffing"])
    kpis = [name for name in DISPLAY_KPIS if name in intervals[0]["kpis"]]
    header = "<th>interval</th>" + "".join(f"<th>{_e(name)}<span class=\"label\">plan / optimised</span></th>"
                                           for name in groups)
    header += "".join(f"<th>{_e(KPI_LABELS[name])}</th>" for name in kpis) + "<th>binding</th><th>flags</th>"
    rows = []
    for k, entry in enumerate(intervals):
        cells = "".join(f"<td>{document['plan_staffing'][g][k]} / <strong>{document['staffing'][g][k]}</strong></td>"
                        for g in groups)
        cells += "".join(f"<td>{_e(ci_words(name, entry['kpis'].get(name)))}</td>" for name in kpis)
        cells += f"<td>{_e(entry['binding'])}</td><td>{_e(', '.join(entry['flags']))}</td>"
        rows.append(f"<tr><td>{_e(entry['interval'])}{' !' if not entry['met'] else ''}</td>{cells}</tr>")
    return ("<p class=\"note\">Staffing of the Erlang plan and the optimised staffing, and the optimised day's KPIs "
            "over all queues (mean [95% CI]); binding: what one agent fewer misses (else the constraint closest to its "
            "target). Per-queue values are in <code>optimize.json</code>, every staffing tried in "
            "<code>optimize_trace.csv</code>.</p>"
            f"<div class=\"scroll\"><table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def _infeasible(document: dict) -> str:
    by_label = {c["label"]: c["key"] for c in document["constraints"]}
    by_interval = {entry["interval"]: entry for entry in document["intervals"]}
    items = []
    for interval in document["infeasible"]:
        entry = by_interval[interval]
        # judged where the answer is judged: on the confirmation's replications when there are some
        missed, kpis = ((entry["confirmation_missed"], entry["confirmation_kpis"]) if "confirmation_kpis" in entry
                        else (entry["missed"], entry["kpis"]))
        best = "; ".join(f"{label} {_value_text(by_label[label], kpis[by_label[label]]['bound'])}" for label in missed)
        items.append(f"<li>{_e(interval)}: best reached {_e(best)}</li>")
    return f"<ul>{''.join(items)}</ul>"


def render_optimize_report(document: dict, images: dict[str, bytes], notes: list[str] | None = None) -> str:
    """The page from optimize.json: summary, staffing and KPIs per interval, the plots, the
    optimised day's KPIs. `notes`: warnings shown above everything (e.g. plots left out)."""
    sections = (
        _section("summary", "", _summary(document))
        + (_section("infeasible", "Targets not met within the limits", _infeasible(document))
           if document["infeasible"] else "")
        + _section("staffing", "Staffing and KPIs per interval", _staffing_table(document))
        + _section("plots", "Plots", _plots(images, CAPTIONS, "optimisation"))
        + _section("day", "The optimised day against the targets", _day_table(document["optimized_day"]))
    )
    nav = [("staffing", "Per interval"), ("plots", "Plots"), ("day", "Day KPIs")]
    return _page(f"Optimised staffing: {document['scenario']}", nav, sections, OPTIMIZE_FILE,
                 document.get("versions") or versions(), [*(notes or []), *document["notes"]])


def optimize_report(result: OptimizeResult, images: dict[str, bytes], source: str = "",
                    with_run_plots: bool = True) -> str:
    """The page straight from the study, with the optimised day's run plots added."""
    images = dict(images)
    if with_run_plots:
        from .run_plots import run_plots

        images.update(run_plots(result.final.result))
    return render_optimize_report(optimize_document(result, source), images)
