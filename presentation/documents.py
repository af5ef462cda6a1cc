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
        # with an IVR: the funnel per menu and option (simulator.funnel); absent without one
        **({"funnel": funnel} if (funnel := funnel_document(result)) is not None else {}),
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
            line += [csv_number(estimate.mean), csv_number(low), csv_number(high)]
        writer.writerow(line)
    return buffer.getvalue()

