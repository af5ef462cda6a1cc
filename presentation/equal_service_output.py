"""`callsim compare --equal-service` rendered: each design's optimised agent-hours and cost, the
difference to the first design, and the paired KPI differences at those staffings
(`studies.equal_service.EqualService`); simulates nothing."""
from __future__ import annotations

import csv
import io
import json

from studies.equal_service import EqualService
from studies.optimize import KPI_LABELS

from .documents import versions
from .optimize_output import optimize_document
from .text import format_pm, judged_words, table

FILE = "equal_service.json"
CSV_FILE = "equal_service.csv"


def _sample(study: EqualService) -> str:
    if study.confirm_replications:
        return (f"the {study.confirm_replications} confirmation replications (from 1,000,000 of seed {study.seed}, "
                "never used by any search)")
    return f"the search's {study.replications} replications (seed {study.seed}; no confirmation)"


def format_equal_service(study: EqualService) -> str:
    base = study.baseline
    t = base.result.scenario.targets
    rows = []
    for design in study.designs:
        r = design.result
        rows.append([design.label, f"{design.agent_hours:,.1f}", f"{design.agent_hours - base.agent_hours:+,.1f}",
                     f"{design.cost:,.2f}", f"{design.cost - base.cost:+,.2f}",
                     "yes" if r.holds else "NO", "yes" if r.converged else "NO"])
    targets = [f"service level {t.service_level.fraction:.0%} within {t.service_level.within:g} s"]
    targets += [f"ASA <= {t.asa:g} s"] if t.asa is not None else []
    targets += [f"abandonment <= {t.abandon_rate:.1%}"] if t.abandon_rate is not None else []
    targets[-1] += judged_words(t)
    lines = [
        f"Cost at equal service: {len(study.designs)} designs, each optimised to its own targets (the first's: "
        f"{'; '.join(targets)}) on the same callers (seed {study.seed}, {study.replications} replications), confirmed "
        f"on {_sample(study)}.",
        table(["design", "agent-hours", "vs first", "cost", "vs first", "holds out of sample", "converged"], rows),
        "",
        "Agent-hours and cost are each design's optimised staffing: one number each, so their difference has no "
        "confidence interval.",
    ]
    if study.kpi_differences:
        kpis = list(study.kpi_differences[0])
        header = ["design"] + [f"{KPI_LABELS[k]} (vs first)" for k in kpis]
        diff_rows = [[design.label] + [format_pm(k, d[k].mean, d[k].ci95, signed=True) for k in kpis]
                     for design, d in zip(study.designs[1:], study.kpi_differences)]
        lines += ["", f"The day's KPIs at those staffings, paired replication by replication on {_sample(study)} "
                      "(mean difference ± 95% CI):", table(header, diff_rows)]
    return "\n".join(lines) + "\n"


def equal_service_document(study: EqualService, sources: list[str]) -> dict:
    base = study.baseline
    return {
        "seed": study.seed, "replications": study.replications, "confirm_replications": study.confirm_replications,
        "versions": versions(),
        "designs": [{"design": d.label, "source": source, "agent_hours": d.agent_hours, "cost": d.cost,
                     "agent_hours_vs_first": d.agent_hours - base.agent_hours, "cost_vs_first": d.cost - base.cost,
                     "holds_out_of_sample": d.result.holds, "converged": d.result.converged,
                     "optimize": optimize_document(d.result, source)}
                    for d, source in zip(study.designs, sources)],
        "kpi_differences": [{"design": d.label, "vs": base.label, "sample": _sample(study),
                             "kpis": {kpi: e.to_dict() for kpi, e in diff.items()}}
                            for d, diff in zip(study.designs[1:], study.kpi_differences)],
    }


def equal_service_csv(study: EqualService) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["design", "agent_hours", "agent_hours_vs_first", "cost", "cost_vs_first", "holds_out_of_sample",
                     "converged"])
    base = study.baseline
    for d in study.designs:
        writer.writerow([d.label, f"{d.agent_hours:g}", f"{d.agent_hours - base.agent_hours:g}", f"{d.cost:.2f}",
                         f"{d.cost - base.cost:.2f}", int(d.result.holds), int(d.result.converged)])
    return buffer.getvalue()


def equal_service_files(study: EqualService, sources: list[str]) -> tuple[dict, dict[str, str]]:
    document = equal_service_document(study, sources)
    return document, {FILE: json.dumps(document, indent=2, allow_nan=False) + "\n", CSV_FILE: equal_service_csv(study)}
