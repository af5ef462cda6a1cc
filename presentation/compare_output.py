"""A comparison in words and files: the plain-words explanation of what drives each
difference, comparison.json, comparison.csv and the printed table."""
from __future__ import annotations

import csv
import io
import math
from typing import Sequence

from simulator.kpi_table import DEFINITIONS
from simulator.run import Estimate
from simulator.scenario import Scenario
from studies.compare import MAIN_KPIS, Comparison

from .documents import csv_number, versions
from .text import format_difference, format_pm, format_value, readable, table


def _change(c: Comparison, index: int, kpi: str) -> str | None:
    """'ASA 41.2 s -> 55.0 s (+13.8 s, 95% CI +11.0 s to +16.6 s)', or None if absent."""
    diff = c.difference(index, kpi)
    before, after = c.estimate(0, kpi), c.estimate(index, kpi)
    if diff is None or before is None or after is None or not math.isfinite(diff.mean):
        return None
    if diff.ci95 is None:
        return f"{readable(kpi)} {format_value(kpi, before.mean)} -> {format_value(kpi, after.mean)}"
    low, high = diff.ci95
    interval = f"95% CI {format_difference(kpi, low)} to {format_difference(kpi, high)}"
    if diff.significant:
        return (f"{readable(kpi)} {format_value(kpi, before.mean)} -> {format_value(kpi, after.mean)} "
                f"({format_difference(kpi, diff.mean)}, {interval})")
    if diff.mean == 0 and diff.ci95 == (0.0, 0.0):
        return f"{readable(kpi)} identical ({format_value(kpi, before.mean)})"
    return f"{readable(kpi)} no significant change ({format_difference(kpi, diff.mean)}, {interval})"


def _changes(c: Comparison, index: int, kpis: Sequence[str]) -> str:
    parts = [text for kpi in kpis if (text := _change(c, index, kpi)) is not None]
    return "; ".join(parts)


def _outcome_kpis(c: Comparison, index: int) -> list[str]:
    kpis = list(MAIN_KPIS)
    present = set(c.runs[0].kpi_names) & set(c.runs[index].kpi_names)
    for extra in ("callback_delay", "cost_per_call"):
        if extra in present:
            kpis.append(extra)
    return kpis


def _agent_hours(scenario: Scenario) -> float:
    return sum(sum(g.staffing) for g in scenario.agents) * scenario.interval_minutes / 60.0


def _explain_ivr(c: Comparison, index: int) -> list[str]:
    a, b = c.labels[0], c.labels[index]
    lines = [f"{b} and {a} differ only in the IVR: the same callers meet different menus, and what changes "
             "is how many the IVR resolves, how long they spend in it and how many (and which) reach the agents."]
    lines.append("In the IVR: " + _changes(c, index, ["containment_rate", "ivr_time", "menus_visited", "ivr_abandoned",
                                                       "zero_outs"]) + ".")
    lines.append("Agent load shifted: " + _changes(c, index, ["reached_queue", "misroutes", "transfers"]) + ".")
    reached = c.difference(index, "reached_queue")
    aht = c.estimate(0, "aht")
    if reached is not None and aht is not None and math.isfinite(aht.mean) and reached.significant:
        hours = reached.mean * aht.mean / 3600
        more_or_fewer = "more" if reached.mean > 0 else "fewer"
        lines.append(f"That is about {abs(reached.mean):,.0f} {more_or_fewer} calls a day for the agents, "
                     f"{abs(hours):.1f} agent-hours of handle time at {a}'s AHT of {aht.mean:.0f} s, on the same staffing.")
    lines.append("At the agents, with the same callers: " + _changes(c, index, _outcome_kpis(c, index)) + ".")
    return lines


def _explain_staffing(c: Comparison, index: int) -> list[str]:
    a, b = c.labels[0], c.labels[index]
    first, other = c.runs[0].scenario, c.runs[index].scenario
    hours_a, hours_b = _agent_hours(first), _agent_hours(other)
    changed = [k for k in range(first.n_intervals)
               if any(ga.staffing[k] != gb.staffing[k] for ga, gb in zip(first.agents, other.agents))]
    labels = first.interval_labels()
    where = (f"in all {first.n_intervals} intervals" if len(changed) == first.n_intervals
             else f"in {len(changed)} of {first.n_intervals} intervals ({', '.join(labels[k] for k in changed[:6])}"
                  f"{', ...' if len(changed) > 6 else ''})")
    lines = [f"{b} and {a} differ only in staffing: {b} schedules {hours_b:g} agent-hours against {hours_a:g} "
             f"({hours_b - hours_a:+g}), {where}. The callers are the same, so every difference below is what the "
             "staffing change buys or costs."]
    lines.append("With the same callers: " + _changes(c, index, _outcome_kpis(c, index)) + ".")
    asa = c.difference(index, "asa")
    if asa is not None and asa.significant and hours_b != hours_a:
        lines.append(f"Over the day, each agent-hour {'added' if hours_b > hours_a else 'removed'} changes the ASA by "
                     f"{asa.mean / (hours_b - hours_a):+.1f} s on average (it buys most where the queue was busiest).")
    return lines


def _explain_volume(c: Comparison, index: int) -> list[str]:
    a, b = c.labels[0], c.labels[index]
    calls_a = sum(c.runs[0].scenario.arrivals.calls)
    calls_b = sum(c.runs[index].scenario.arrivals.calls)
    lines = [f"{b} and {a} differ only in call volume: {calls_b:,.0f} expected calls against {calls_a:,.0f} "
             f"({(calls_b - calls_a) / calls_a:+.1%}) on the same staffing. The extra (or missing) callers "
             "arrive among the same others, so the difference is the effect of the load alone."]
    lines.append("With the same staffing: " + _changes(c, index, ["offered", *_outcome_kpis(c, index)]) + ".")
    return lines


_CALLERS_CHANGE = {"day layout", "volume", "volume uncertainty", "call mix", "queues"}


def _explain_callbacks(c: Comparison, index: int) -> list[str]:
    """What the callback offer did, in whichever scenarios offer one."""
    lines = []
    for i in (0, index):
        run = c.runs[i]
        if "callbacks_offered" not in run.per_replication:
            continue
        day = run.day
        lines.append(
            f"In {c.labels[i]}, {day['callbacks_offered'].mean:,.0f} callers a day are offered a callback and "
            f"{day['callbacks_accepted'].mean:,.0f} accept ({day['callbacks_completed'].mean:,.0f} reached, "
            f"{day['callbacks_failed'].mean:,.0f} never reached); a reached caller is connected "
            f"{format_value('callback_delay', day['callback_delay'].mean)} after accepting on average. Callbacks "
            "leave the line: they are not in ASA or abandonment, the service level counts them as calls not "
            "answered live within the threshold, and an agent still spends the dialling and the call on each.")
    return lines


def _explain_other(c: Comparison, index: int, aspects: tuple[str, ...]) -> list[str]:
    a, b = c.labels[0], c.labels[index]
    same_callers = not set(aspects) & _CALLERS_CHANGE
    if len(aspects) == 1:
        head = (f"{b} differs from {a} only in {aspects[0]}"
                + ("; the callers are the same, so every significant difference below comes from that change."
                   if same_callers else "; every significant difference below comes from that change."))
    else:
        head = (f"{b} differs from {a} in {', '.join(aspects[:-1])} and {aspects[-1]}. Several things changed at "
                "once: the differences below are their combined effect and cannot be split between them.")
    lines = [head]
    if "callbacks" in aspects:
        lines += _explain_callbacks(c, index)
    lead = "With the same callers: " if same_callers else "Paired replication by replication (same random streams): "
    changes = _changes(c, index, _outcome_kpis(c, index))
    return lines + ([lead + changes + "."] if changes else [])


def explain(c: Comparison, index: int) -> list[str]:
    """Plain sentences on what differs between scenario `index` and the first, and its effect."""
    aspects = c.differs_in(index)
    if not aspects:
        return [f"{c.labels[index]} and {c.labels[0]} describe the same call centre (only names, descriptions or "
                "simulation settings differ): on the same callers every difference is exactly 0."]
    if aspects == ("IVR",):
        return _explain_ivr(c, index)
    if set(aspects) <= {"staffing", "agent cost"} and "staffing" in aspects:
        return _explain_staffing(c, index)
    if aspects == ("volume",) and sum(c.runs[0].scenario.arrivals.calls) > 0:
        return _explain_volume(c, index)
    return _explain_other(c, index, aspects)


# --- documents -----------------------------------------------------------------------------


def comparison_document(c: Comparison, files: Sequence[str] | None = None) -> dict:
    """The comparison.json document."""
    kpis = {}
    for name in c.kpis:
        values = {}
        for i, label in enumerate(c.labels):
            estimate = c.estimate(i, name)
            values[label] = None if estimate is None else estimate.to_dict()
        differences = {}
        for i in range(1, len(c.labels)):
            diff = c.difference(i, name)
            differences[c.difference_label(i)] = None if diff is None else diff.to_dict()
        kpis[name] = {"definition": DEFINITIONS[name], "scenarios": values, "differences": differences}
    return {
        "seed": c.seed,
        "replications": c.replications,
        "paired": "replication r of every scenario meets the same callers; differences are later - first, per replication",
        "scenarios": [
            {
                "label": label,
                **({"file": files[i]} if files else {}),
                "name": run.scenario.name,
                "differs_from_first_in": list(c.differs_in(i)) if i else [],
                "targets": [{"kpi": t.kpi, "target": t.label, "status": t.status, **t.estimate.to_dict()} for t in run.targets],
                "scenario": run.scenario.model_dump(mode="json"),
            }
            for i, (label, run) in enumerate(zip(c.labels, c.runs))
        ],
        "explanation": {c.difference_label(i): explain(c, i) for i in range(1, len(c.labels))},
        "kpis": kpis,
        "versions": versions(),
    }


def comparison_csv(c: Comparison) -> str:
    """One row per KPI (day values): each scenario's mean and CI, then each paired difference."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["kpi"]
    for label in c.labels:
        header += [f"{label}", f"{label}_ci_low", f"{label}_ci_high"]
    for i in range(1, len(c.labels)):
        d = c.difference_label(i)
        header += [d, f"{d}_ci_low", f"{d}_ci_high", f"{d}_significant"]
    writer.writerow(header)
    for name in c.kpis:
        row = [name]
        for i in range(len(c.labels)):
            row += _csv_estimate(c.estimate(i, name))
        for i in range(1, len(c.labels)):
            diff = c.difference(i, name)
            row += _csv_estimate(None if diff is None else diff.paired)
            row.append("" if diff is None else ("yes" if diff.significant else "no"))
        writer.writerow(row)
    return buffer.getvalue()


def _csv_estimate(estimate: Estimate | None) -> list[str]:
    if estimate is None:
        return ["", "", ""]
    low, high = estimate.ci95 if estimate.ci95 else (math.nan, math.nan)
    return [csv_number(v) for v in (estimate.mean, low, high)]


def _letter(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"S{i + 1}"


def format_comparison(c: Comparison, width: int = 100) -> str:
    """The readable comparison: KPI table with paired differences, targets, explanation."""
    import textwrap

    letters = [_letter(i) for i in range(len(c.labels))]
    lines = [f"Comparing {len(c.labels)} scenarios on the same callers: {c.replications} replications, seed {c.seed}; "
             "95% confidence intervals"]
    for letter, label, run in zip(letters, c.labels, c.runs):
        lines.append(f"  {letter} = {label}: {run.scenario.name}")
    lines.append("")
    header = ["KPI (day)"] + letters + [f"{letters[i]} - A" for i in range(1, len(letters))]
    rows = []
    for name in c.kpis:
        row = [name]
        for i in range(len(c.labels)):
            estimate = c.estimate(i, name)
            row.append("absent" if estimate is None else format_pm(name, estimate.mean, estimate.ci95))
        for i in range(1, len(c.labels)):
            diff = c.difference(i, name)
            if diff is None:
                row.append("absent  ")
            else:
                row.append(format_pm(name, diff.mean, diff.ci95, signed=True) + (" *" if diff.significant else "  "))
        rows.append(row)
    lines.append(table(header, rows))
    lines.append("")
    lines.append("mean ± half the 95% CI. * significant: the 95% CI of the paired difference (per replication, same")
    lines.append("callers) excludes 0. Rates differ in percentage points (pts). absent: the scenario does not report that KPI.")
    lines.append("")
    target_rows: dict[str, list[str]] = {}
    for i, run in enumerate(c.runs):
        for check in run.targets:
            target_rows.setdefault(check.label, ["-"] * len(c.runs))[i] = check.status
    lines.append(table(["target (day)"] + letters, [[label, *statuses] for label, statuses in target_rows.items()]))
    lines.append("")
    for i in range(1, len(c.labels)):
        lines.append(f"What drives {letters[i]} - A ({c.difference_label(i)}):")
        for sentence in explain(c, i):
            lines.append(textwrap.fill(sentence, width=width, initial_indent="  ", subsequent_indent="    "))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
