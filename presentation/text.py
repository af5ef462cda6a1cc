"""Readable text: how every KPI is printed, tables, and the run summary.

Units and number formats come from the KPI table (`simulator.kpi_table`); nothing here
decides what a KPI means.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from simulator.kpi_table import KPI, UNITS, Unit, service_level_note

if TYPE_CHECKING:  # annotations only: printing a table must not load the engine
    from simulator.run import Estimate, RunResult

from .funnel_output import funnel_document


def unit_of(name: str) -> Unit:
    """The unit of a KPI (from the KPI table); a name outside the table prints as a count."""
    return UNITS[KPI[name].unit if name in KPI else "calls"]


def unit_form(name: str) -> tuple[float, str, str]:
    """How a KPI is printed: (scale, number format, unit suffix). One place for every command."""
    unit = unit_of(name)
    return unit.scale, unit.format, unit.suffix


def readable(name: str) -> str:
    """A KPI in words (its key in words if it is not in the KPI table)."""
    return KPI[name].label if name in KPI else name.replace("_", " ")


def format_number(value: float, fmt: str, sign: str = "") -> str:
    """`value` in format `fmt`; a value that rounds to zero never prints as -0.0."""
    text = f"{value:{sign}{fmt}}"
    if not text.strip("+-0.,"):
        text = f"{0.0:{sign}{fmt}}"
    return text


def format_value(name: str, value: float) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    scale, fmt, unit = unit_form(name)
    return format_number(value * scale, fmt) + unit


def format_estimate(name: str, estimate: Estimate) -> tuple[str, str]:
    if estimate.ci95 is None:
        return format_value(name, estimate.mean), ""
    low, high = estimate.ci95
    return format_value(name, estimate.mean), f"[{format_value(name, low)}, {format_value(name, high)}]"


def format_difference(name: str, value: float | None) -> str:
    """A signed difference in the KPI's unit: percentage points ('pts') for rates."""
    if value is None or not math.isfinite(value):
        return "-"
    scale, fmt, unit = unit_form(name)
    unit = " pts" if unit == "%" else unit
    return format_number(value * scale, fmt, "+") + unit


def format_pm(name: str, mean: float | None, ci95: tuple[float, float] | None, signed: bool = False) -> str:
    """'17.5 ± 1.0 s', '75.8 ± 1.1%', '+0.8 ± 0.6 pts': mean ± half the 95% CI. An interval cut
    to the values the KPI can take (a wait near 0, a rate near 100%) is not symmetric and is
    shown as its bounds: '0.4 [0.0, 1.1] s'."""
    if mean is None or not math.isfinite(mean):
        return "-"
    scale, fmt, unit = unit_form(name)
    if signed and unit == "%":
        unit = " pts"
    sign = "+" if signed else ""
    text = format_number(mean * scale, fmt, sign)
    if ci95 is not None and all(math.isfinite(v) for v in ci95):
        low, high = ci95
        if math.isclose(high - mean, mean - low, rel_tol=1e-6, abs_tol=1e-12):
            text += f" ± {format_number((high - low) / 2 * scale, fmt)}"
        else:
            text += f" [{format_number(low * scale, fmt, sign)}, {format_number(high * scale, fmt, sign)}]"
    return text + unit


def judged_words(targets) -> str:
    """", judged per hour" / ", judged per day" after a target's words; "" when judged per interval (the default
    every output has always meant)."""
    return "" if targets.judged_per == "interval" else f", judged per {targets.judged_per}"


def table(header: list[str], rows: list[list[str]], align_left: int = 1) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = []
    for row in [header, ["-" * w for w in widths], *rows]:
        cells = [
            str(cell).ljust(w) if i < align_left else str(cell).rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


# the per-interval table's columns; a KPI of a feature the scenario does not use (message_rate) is left out
INTERVAL_COLUMNS = [
    ("offered", "offered"), ("answered", "answered"), ("abandon_rate", "aband"), ("message_rate", "msg"),
    ("service_level", "SL"), ("asa", "ASA"), ("avg_wait", "avg wait"), ("occupancy", "occupancy"),
    ("avg_queue_length", "queue"),
]


BREAKDOWN_COLUMNS = [("offered", "offered"), ("answered", "answered"), ("abandon_rate", "aband"),
                     ("service_level", "SL"), ("asa", "ASA"), ("wait_p90", "wait p90"), ("aht", "AHT")]


def funnel_table(funnel: dict | None) -> list[str]:
    """The IVR funnel per menu, calls per day (means over the replications), for the summary."""
    if funnel is None:
        return []

    def calls(value: float) -> str:
        return f"{value:,.0f}" if value >= 10 or value == 0 else f"{value:.1f}"

    rows = []
    for menu in funnel["menus"]:
        options = menu["options"]
        rows.append([menu["name"], calls(menu["entered"]["mean"]), calls(menu["hung_up"]["mean"]),
                     calls(sum(o["chose"]["mean"] for o in options if o["zero_out"])),
                     calls(sum(o["contained"]["mean"] for o in options)),
                     calls(sum(o["misrouted"]["mean"] for o in options))])
    for service in funnel["self_service"]:
        rows.append([f"{service['name']} (self-service)", calls(service["entered"]["mean"]), "", "",
                     calls(service["contained"]["mean"]), ""])
    satisfied = funnel.get("announcement", {}).get("satisfied", {}).get("mean")
    note = f"; {calls(satisfied)} satisfied by the announcement" if satisfied is not None else ""
    return [
        table(["IVR menu (calls per day)", "entered", "hung up", "zero-outs (key 0)", "contained", "misrouted"], rows),
        f"{calls(funnel['entered']['mean'])} calls entered the IVR{note}: {calls(funnel['contained']['mean'])} "
        f"contained, {calls(funnel['hung_up']['mean'])} hung up, "
        + ", ".join(f"{calls(v['mean'])} to {name}" for name, v in funnel["queues"].items()) + ".",
        "",
    ]


def _breakdown_tables(result: RunResult) -> list[str]:
    """Day KPIs per queue and occupancy per agent group (scenarios with several), and per
    priority class (queue/class, scenarios with classes)."""
    lines = []
    for part, heading in (("queues", "queue (day)"), ("priority_classes", "priority class (day)")):
        entries = result.breakdown.get(part, {})
        if entries:
            rows = [[name] + [format_value(kpi, kpis[kpi][-1].mean) for kpi, _ in BREAKDOWN_COLUMNS]
                    for name, kpis in entries.items()]
            lines += [table([heading] + [title for _, title in BREAKDOWN_COLUMNS], rows), ""]
    groups = result.breakdown.get("agent_groups", {})
    if groups:
        rows = []
        for name, kpis in groups.items():
            mean, ci = format_estimate("occupancy", kpis["occupancy"][-1])
            rows.append([name, mean, ci])
        lines += [table(["agent group (day)", "occupancy", "95% CI"], rows), ""]
    return lines


def _durations_line(scenario) -> str:
    """Which durations change through the day (docs/scenarios.md), or "" when none do."""
    parts = []
    handle_time_s = scenario.arrivals.handle_time_s
    if handle_time_s is not None:
        parts.append(f"handle time per interval from arrivals.handle_time_s ({min(handle_time_s):.0f} to "
                     f"{max(handle_time_s):.0f} s; every queue's talk and ACW scaled to it)")
    for queue in scenario.queues:
        keys = [key for key in ("talk_time_scale", "acw_scale", "patience_scale", "talk_time_by_interval",
                                "acw_by_interval", "patience_by_interval") if getattr(queue, key)]
        if keys:
            parts.append(f"queue '{queue.name}': {', '.join(keys)}")
    return "Durations change through the day: " + "; ".join(parts) + "." if parts else ""


def state_line(scenario) -> str:
    """What a day started from a state starts with, in one line ("" without a state)."""
    state = scenario.initial_state
    if state is None:
        return ""
    waiting = sum(len(waits) for waits in state.waiting.values())
    busy = sum(b.n_talking + b.n_acw for b in state.busy.values())
    promised = sum(state.callbacks_pending.values())
    return (f"Starts from the centre's state at {state.at}: {waiting} caller{'s' if waiting != 1 else ''} waiting, "
            f"{busy} agent{'s' if busy != 1 else ''} busy, {promised} callback{'s' if promised != 1 else ''} pending; "
            f"nothing before {state.at} is simulated (those intervals are reported empty)")


DAY_COLUMNS = (("offered", "calls"), ("service_level", "SL"), ("asa", "ASA"), ("abandon_rate", "abandoned"),
               ("occupancy", "occupancy"))


def _days_table(result: RunResult) -> list[str]:
    """A timeline's KPIs per date (none for one day)."""
    if result.timeline is None:
        return []
    rows = []
    for day, kpis in zip(result.timeline.days, result.by_day):
        values = ["closed"] + [""] * (len(DAY_COLUMNS) - 1) if day.closed else [
            format_value(name, kpis[name].mean) for name, _ in DAY_COLUMNS]
        rows.append([day.date, day.weekday] + values)
    return [table(["date", "day"] + [title for _, title in DAY_COLUMNS], rows), ""]


def format_summary(result: RunResult) -> str:
    scenario = result.source_scenario
    sl = scenario.targets.service_level
    status_of = {check.kpi: check for check in result.targets}
    line = result.timeline
    span = "" if line is None else f"{line.span_label()}, simulated as one timeline; each day "
    lines = [
        f"{scenario.name}",
        f"{span}{scenario.n_intervals} x {scenario.interval_minutes}-minute intervals from {scenario.start}; "
        f"{result.replications} replications, seed {result.seed}; 95% confidence intervals",
    ]
    if scenario.initial_state is not None:
        lines.append(state_line(scenario))
    lines.append("")
    rows = []
    for name in result.kpi_names:
        mean, ci = format_estimate(name, result.day[name])
        check = status_of.get(name)
        rows.append([name, mean, ci, check.label if check else "", check.status if check else ""])
    lines.append(table([f"KPI ({'day' if line is None else 'all days'})", "mean", "95% CI", "target", "status"], rows))
    lines.append("")
    lines.append(service_level_note(sl.within))
    lines.append("'uncertain' = the 95% CI straddles the target.")
    durations = _durations_line(scenario)
    if durations:
        lines.append(durations)
    lines.append("")
    lines += _breakdown_tables(result)
    lines += funnel_table(funnel_document(result))
    if line is not None:  # a row per date; the intervals (every date's) are in intervals.csv
        return "\n".join(lines + _days_table(result) + ["KPIs per interval of every date: intervals.csv."])
    staffed = [sum(g.staffing[k] for g in scenario.agents) for k in range(scenario.n_intervals)]
    columns = [(name, title) for name, title in INTERVAL_COLUMNS if name in result.kpi_names]
    header = ["interval", "agents"] + [title for _, title in columns]
    interval_rows = []
    for label, agents, row in zip(result.interval_labels, staffed, result.intervals):
        interval_rows.append([label, str(agents)] + [format_value(name, row[name].mean) for name, _ in columns])
    lines.append(table(header, interval_rows))
    return "\n".join(lines)
