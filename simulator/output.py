"""Result documents (kpis.json, intervals.csv), readable summaries, and atomic writing.

Everything is rendered in memory first; files are then written each to a temporary name in
the target folder and moved into place with os.replace, so a reader never sees half a file
and a failed run leaves no result behind.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
import tempfile
from importlib import metadata
from pathlib import Path

from .kpis import DEFINITIONS
from .run import Estimate, RunResult

PERCENT_KPIS = {"abandon_rate", "service_level", "service_level_answered", "occupancy", "containment_rate", "fcr_rate"}
SECONDS_KPIS = {"asa", "avg_wait", "wait_p50", "wait_p90", "wait_p95", "max_wait", "talk_time", "acw_time", "aht",
                "ivr_time", "callback_delay", "callback_delay_p90", "customer_effort"}
TWO_DECIMAL_KPIS = {"avg_queue_length", "menus_visited", "customer_effort_calls"}
MONEY_KPIS = {"agent_cost", "cost_per_call"}


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("callsim", "simpy", "numpy", "scipy", "pydantic"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def result_document(result: RunResult) -> dict:
    """The kpis.json document: inputs, provenance, definitions, day and interval KPIs."""
    scenario = result.scenario
    return {
        "scenario": scenario.model_dump(mode="json"),
        "seed": result.seed,
        "replications": result.replications,
        "versions": versions(),
        "definitions": {name: DEFINITIONS[name] for name in result.kpi_names},
        "targets": [
            {
                "kpi": check.kpi,
                "target": check.label,
                "status": check.status,
                **check.estimate.to_dict(),
            }
            for check in result.targets
        ],
        "day": {name: estimate.to_dict() for name, estimate in result.day.items()},
        "intervals": [
            {"interval": label, **{name: estimate.to_dict() for name, estimate in row.items()}}
            for label, row in zip(result.interval_labels, result.intervals)
        ],
        # with several queues or groups: each queue's calls and each group's occupancy
        **{
            part: {
                name: {
                    "day": {kpi: estimates[-1].to_dict() for kpi, estimates in kpis.items()},
                    "intervals": [
                        {"interval": label, **{kpi: estimates[k].to_dict() for kpi, estimates in kpis.items()}}
                        for k, label in enumerate(result.interval_labels)
                    ],
                }
                for name, kpis in entries.items()
            }
            for part, entries in result.breakdown.items()
        },
    }


def to_json(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=False, allow_nan=False) + "\n"


def intervals_csv(result: RunResult) -> str:
    """One row per interval (then a 'day' row); for each KPI its mean and CI bounds."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["interval"]
    for name in result.kpi_names:
        header += [name, f"{name}_ci_low", f"{name}_ci_high"]
    writer.writerow(header)
    rows = list(zip(result.interval_labels, result.intervals)) + [("day", result.day)]
    for label, row in rows:
        line = [label]
        for name in result.kpi_names:
            estimate = row[name]
            low, high = estimate.ci95 if estimate.ci95 else (math.nan, math.nan)
            line += [_csv_number(estimate.mean), _csv_number(low), _csv_number(high)]
        writer.writerow(line)
    return buffer.getvalue()


def _csv_number(value: float) -> str:
    return "" if not math.isfinite(value) else f"{value:.6g}"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def write_atomically(directory: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Write every file into `directory` (created if needed), each replaced atomically."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files.items():
        target = directory / name
        mode = "wb" if isinstance(content, bytes) else "w"
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": ""})) as stream:
                stream.write(content)
            os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are ordinary files
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(target)
    return written


# --- readable text -------------------------------------------------------------------------


def unit_form(name: str) -> tuple[float, str, str]:
    """How a KPI is printed: (scale, number format, unit suffix). One place for every command."""
    if name in PERCENT_KPIS:
        return 100.0, ".1f", "%"
    if name in SECONDS_KPIS:
        return 1.0, ".1f", " s"
    if name in MONEY_KPIS:
        return 1.0, ",.2f", ""
    if name == "overtime_agent_seconds":
        return 1 / 3600, ".2f", " agent-h"
    if name in TWO_DECIMAL_KPIS:
        return 1.0, ".2f", ""
    return 1.0, ",.1f", ""


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


def _table(header: list[str], rows: list[list[str]], align_left: int = 1) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = []
    for row in [header, ["-" * w for w in widths], *rows]:
        cells = [
            str(cell).ljust(w) if i < align_left else str(cell).rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


INTERVAL_COLUMNS = [
    ("offered", "offered"), ("answered", "answered"), ("abandon_rate", "aband"),
    ("service_level", "SL"), ("asa", "ASA"), ("avg_wait", "avg wait"), ("occupancy", "occupancy"),
    ("avg_queue_length", "queue"),
]


BREAKDOWN_COLUMNS = [("offered", "offered"), ("answered", "answered"), ("abandon_rate", "aband"),
                     ("service_level", "SL"), ("asa", "ASA"), ("wait_p90", "wait p90"), ("aht", "AHT")]


def _breakdown_tables(result: RunResult) -> list[str]:
    """Day KPIs per queue and occupancy per agent group (scenarios with several)."""
    lines = []
    queues = result.breakdown.get("queues", {})
    if queues:
        rows = [[name] + [format_value(kpi, kpis[kpi][-1].mean) for kpi, _ in BREAKDOWN_COLUMNS]
                for name, kpis in queues.items()]
        lines += [_table(["queue (day)"] + [title for _, title in BREAKDOWN_COLUMNS], rows), ""]
    groups = result.breakdown.get("agent_groups", {})
    if groups:
        rows = []
        for name, kpis in groups.items():
            mean, ci = format_estimate("occupancy", kpis["occupancy"][-1])
            rows.append([name, mean, ci])
        lines += [_table(["agent group (day)", "occupancy", "95% CI"], rows), ""]
    return lines


def format_summary(result: RunResult) -> str:
    scenario = result.scenario
    sl = scenario.targets.service_level
    status_of = {check.kpi: check for check in result.targets}
    lines = [
        f"{scenario.name}",
        f"{scenario.n_intervals} x {scenario.interval_minutes}-minute intervals from {scenario.start}; "
        f"{result.replications} replications, seed {result.seed}; 95% confidence intervals",
        "",
    ]
    rows = []
    for name in result.kpi_names:
        mean, ci = format_estimate(name, result.day[name])
        check = status_of.get(name)
        rows.append([name, mean, ci, check.label if check else "", check.status if check else ""])
    lines.append(_table(["KPI (day)", "mean", "95% CI", "target", "status"], rows))
    lines.append("")
    lines.append(f"SL = answered within {sl.within:g} s / calls that reached the queue; "
                 "'uncertain' = the 95% CI straddles the target.")
    lines.append("")
    lines += _breakdown_tables(result)
    staffed = [sum(g.staffing[k] for g in scenario.agents) for k in range(scenario.n_intervals)]
    header = ["interval", "agents"] + [title for _, title in INTERVAL_COLUMNS]
    interval_rows = []
    for label, agents, row in zip(result.interval_labels, staffed, result.intervals):
        interval_rows.append([label, str(agents)] + [format_value(name, row[name].mean) for name, _ in INTERVAL_COLUMNS])
    lines.append(_table(header, interval_rows))
    return "\n".join(lines)
