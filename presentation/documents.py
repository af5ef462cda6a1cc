"""Result documents: kpis.json and intervals.csv, and what every document carries (versions,
JSON and CSV number conventions)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import platform
from importlib import metadata
from typing import TYPE_CHECKING

from simulator.kpi_table import DEFINITIONS
from simulator.numbers import csv_number  # noqa: F401  (the presentation modules import it from here)

if TYPE_CHECKING:  # annotations only: `versions` must not load the engine
    from simulator.run import RunResult

from .funnel_output import funnel_document


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("callsim", "simpy", "numpy", "scipy", "pydantic"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


# the PNG text key naming the document a study's plot was drawn for, so that a report rebuilt from a
# results folder leaves out plots an older run left there (as kpis.json's plots carry "callsim-run")
DOCUMENT_ID_KEY = "callsim-document"


def fingerprint(value) -> str:
    """A short id of a JSON-able value: the same from a study's result and from its document."""
    text = json.dumps(value, sort_keys=True, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def dated_intervals(result: RunResult) -> list[tuple[dict, int, str]]:
    """({"date", "weekday"} or {} for one day, interval index, clock label) of every interval the
    outputs show: all of one day, a timeline's open intervals (simulator.timeline)."""
    labels = result.interval_labels
    if result.timeline is None:
        return [({}, k, label) for k, label in enumerate(labels)]
    days = result.timeline.days
    return [({"date": days[d].date, "weekday": days[d].weekday}, k, labels[k]) for d, k in result.timeline.shown]


def _agents_on_shift(result: RunResult, k: int) -> dict:
    """A timeline's interval rows carry the agents on shift then (each day has its own)."""
    return {} if result.timeline is None else {"agents": sum(g.staffing[k] for g in result.scenario.agents)}


def _days_document(result: RunResult) -> dict:
    """A timeline's span and KPIs per day; nothing for one day."""
    if result.timeline is None:
        return {}
    return {
        "span": {"from": result.timeline.days[0].date, "to": result.timeline.days[-1].date,
                 "days": len(result.timeline.days),
                 "note": "'day' and 'targets' are the whole span, simulated as one timeline; 'days' each date's"},
        "days": [{"date": day.date, "weekday": day.weekday, "closed": day.closed,
                  **{name: estimate.to_dict() for name, estimate in kpis.items()}}
                 for day, kpis in zip(result.timeline.days, result.by_day)],
    }


def result_document(result: RunResult) -> dict:
    """The kpis.json document: inputs, provenance, definitions, day and interval KPIs (with
    days:, the whole span as 'day', each date's KPIs in 'days' and every interval dated)."""
    scenario = result.source_scenario
    shown = dated_intervals(result)
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
        **_days_document(result),
        "intervals": [
            {**dated, "interval": label, **_agents_on_shift(result, k),
             **{name: estimate.to_dict() for name, estimate in result.intervals[k].items()}}
            for dated, k, label in shown
        ],
        # with several queues or groups: each queue's calls and each group's occupancy
        **{
            part: {
                name: {
                    "day": {kpi: estimates[-1].to_dict() for kpi, estimates in kpis.items()},
                    "intervals": [
                        {**dated, "interval": label, **{kpi: estimates[k].to_dict() for kpi, estimates in kpis.items()}}
                        for dated, k, label in shown
                    ],
                }
                for name, kpis in entries.items()
            }
            for part, entries in result.breakdown.items()
        },
        # with an IVR: the funnel per menu and option (simulator.funnel); absent without one
        **({"funnel": funnel} if (funnel := funnel_document(result)) is not None else {}),
    }


def to_json(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=False, allow_nan=False) + "\n"


def intervals_csv(result: RunResult) -> str:
    """One row per interval (then a 'day' row); for each KPI its mean and CI bounds. With days:,
    `date` and `weekday` first, a row per open interval, a 'day' row per date, then 'span' (the
    whole span)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    dated = result.timeline is not None
    header = ["date", "weekday", "interval"] if dated else ["interval"]
    for name in result.kpi_names:
        header += [name, f"{name}_ci_low", f"{name}_ci_high"]
    writer.writerow(header)
    rows = [(list(when.values()) + [label], result.intervals[k]) for when, k, label in dated_intervals(result)]
    if dated:  # then a row per date, and the whole span
        rows += [([day.date, day.weekday, "day"], kpis) for day, kpis in zip(result.timeline.days, result.by_day)]
        rows.append((["", "", "span"], result.day))
    else:
        rows.append((["day"], result.day))
    for first, row in rows:
        line = list(first)
        for name in result.kpi_names:
            estimate = row[name]
            low, high = estimate.ci95 if estimate.ci95 else (math.nan, math.nan)
            line += [csv_number(estimate.mean), csv_number(low), csv_number(high)]
        writer.writerow(line)
    return buffer.getvalue()

