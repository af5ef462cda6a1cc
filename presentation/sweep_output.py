"""A sweep in words and files: sweep.json, sweep.csv and the printed table."""
from __future__ import annotations

import csv
import io
import math

from simulator.kpi_table import DEFINITIONS
from simulator.numbers import finite_or_none
from studies.sweep import ANALYTIC_KPIS, Sweep

from .documents import versions
from .text import format_pm, format_value, readable, table


def sweep_document(s: Sweep) -> dict:
    """The sweep.json document."""
    names = s.points[0].run.kpi_names
    labels = s.scenario.interval_labels()
    points = []
    for p in s.points:
        entry = {
            "agents": p.agents,
            "factor": p.factor,
            "staffing": {g.name: list(g.staffing) for g in p.run.scenario.agents},
            "kpis": {name: s.estimate(p, name).to_dict() for name in names},
            "erlang": None if p.erlang is None else {k: finite_or_none(v) for k, v in p.erlang.items()},
        }
        if s.interval is not None:
            entry["day_kpis"] = {name: s.estimate(p, name, -1).to_dict() for name in names}
        points.append(entry)
    return {
        "scenario": s.scenario.model_dump(mode="json"),
        "seed": s.seed,
        "replications": s.replications,
        "sweep": {
            "agents": None if s.points[0].agents is None else sorted({p.agents for p in s.points}),
            "agents_mode": None if s.group is None else ("added" if s.relative else "set"),
            "group": s.group,
            "interval": None if s.interval is None else labels[s.interval],
            "vary": s.vary,
            "factors": None if s.vary is None else sorted({p.factor for p in s.points}),
        },
        "kpis_of": s.scope,
        "analytic": {"model": s.model, "notes": list(s.notes),
                     "method": "per interval steady state (Erlang C, or Erlang A with patience), AHT = talk + ACW means; "
                               "day: intervals weighted by calls (ASA by answered calls, occupancy by agents)"},
        "definitions": {name: DEFINITIONS[name] for name in names},
        "points": points,
        "versions": versions(),
    }


def sweep_csv(s: Sweep) -> str:
    """One row per point: agents, factor, each KPI's mean and CI, then the Erlang predictions."""
    names = s.points[0].run.kpi_names
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["agents", "factor"]
    for name in names:
        header += [name, f"{name}_ci_low", f"{name}_ci_high"]
    header += [f"erlang_{k}" for k in ANALYTIC_KPIS]
    writer.writerow(header)

    def number(v) -> str:
        return "" if v is None or not math.isfinite(v) else f"{v:.6g}"

    for p in s.points:
        row = ["" if p.agents is None else str(p.agents), "" if p.factor is None else f"{p.factor:g}"]
        for name in names:
            e = s.estimate(p, name)
            low, high = e.ci95 if e.ci95 else (math.nan, math.nan)
            row += [number(e.mean), number(low), number(high)]
        row += [number(p.erlang[k]) if p.erlang else "" for k in ANALYTIC_KPIS]
        writer.writerow(row)
    return buffer.getvalue()


def format_sweep(s: Sweep) -> str:
    """The readable table: per point, each KPI simulated (mean ± 95% CI) beside Erlang."""
    base = s.scenario
    model = {"erlang_a": "Erlang A", "erlang_c": "Erlang C"}.get(s.model or "", "")
    lines = [f"{base.name}: sweep of {s.agents_label if s.group else ''}"
             f"{' and ' if s.group and s.vary else ''}{(s.vary + ' factor') if s.vary else ''}",
             f"KPIs of the {s.scope}; {s.replications} replications per point, seed {s.seed}, the same callers at "
             "every point; simulated mean ± half the 95% CI" + (f", {model} beside it" if model else ""), ""]
    kpis = s.kpis()
    header = []
    if s.group:
        header.append("added" if s.relative else "agents")
    if s.vary:
        header.append(s.vary)
    for k in kpis:
        header.append(f"{readable(k)} (sim)")
        if s.model:
            header.append(model)
    rows = []
    for p in s.points:
        row = []
        if s.group:
            row.append(f"{p.agents:+d}" if s.relative else str(p.agents))
        if s.vary:
            row.append(f"x{p.factor:g}")
        for k in kpis:
            e = s.estimate(p, k)
            row.append(format_pm(k, e.mean, e.ci95))
            if s.model:
                v = p.erlang.get(k) if p.erlang else None
                row.append("unstable" if v is not None and math.isinf(v) else format_value(k, v) if v is not None else "-")
        rows.append(row)
    lines.append(table(header, rows, align_left=0))
    if s.notes:
        lines.append("")
        lines += [f"note: {n}" for n in s.notes]
    if s.model == "erlang_c" and any(p.erlang and math.isinf(p.erlang["asa"]) for p in s.points):
        lines.append("unstable: offered load >= agents; without abandonment the queue grows without bound "
                     "(a finite day only shows it as very long waits)")
    return "\n".join(lines) + "\n"


def sweep_files(s: Sweep, plots: bool = True) -> tuple[str, dict[str, str | bytes]]:
    """(sweep.json's text, {file name: content}): the JSON, the CSV and the plot."""
    from .documents import to_json

    document = to_json(sweep_document(s))
    files: dict[str, str | bytes] = {"sweep.json": document, "sweep.csv": sweep_csv(s)}
    if plots:
        from .sweep_plots import sweep_plots

        files.update(sweep_plots(s))
    return document, files
