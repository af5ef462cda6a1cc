"""`callsim report RESULTS_DIR`: rebuild every HTML page whose document the folder holds.

| document | page | made by |
|---|---|---|
| kpis.json or comparison.json (the newer) | report.html | `callsim run`, `callsim compare` |
| schedule.json | schedule_report.html | `callsim schedule` |
| optimize.json | optimize_report.html | `callsim optimize` |

`callsim plan --report`'s plan_report.html is not rebuilt: the plan folder keeps no document of
the simulated day it shows (verify.csv holds per-interval figures only). Plots are taken from the
folder when their stamp names the same document (see `presentation.documents.fingerprint`); a plot
left by an earlier run is left out and the page says so.
"""
from __future__ import annotations

from pathlib import Path

from .report import COMPARISON_FILE, REPORT_FILE, ResultsDirError, _matching_images, _read_document, report_from_dir

SCHEDULE_FILE = "schedule.json"
OPTIMIZE_FILE = "optimize.json"


def _stale_note(stale: list[str], document: str, command: str) -> list[str]:
    return [f"Left out, drawn for a different result than {document}: {', '.join(stale)}. "
            f"Run '{command}' again without --no-plots to redraw them."] if stale else []


def _schedule_page(folder: Path) -> str:
    from .documents import DOCUMENT_ID_KEY
    from .schedule_plots import COVERAGE_FILE, schedule_id
    from .schedule_report import render_schedule_report

    document = _read_document(folder / SCHEDULE_FILE, ("scenario", "solver", "shifts", "intervals", "staffing"))
    expected = schedule_id(document["scenario"], document["staffing"], document["required_agent_hours"])
    images, stale = _matching_images(folder, (COVERAGE_FILE,), DOCUMENT_ID_KEY, expected)
    return render_schedule_report(document, images, _stale_note(stale, SCHEDULE_FILE, "callsim schedule"))


def _optimize_page(folder: Path) -> str:
    from .documents import DOCUMENT_ID_KEY
    from .optimize_output import optimize_id
    from .optimize_plots import KPIS_FILE, STAFFING_FILE
    from .optimize_report import render_optimize_report

    document = _read_document(folder / OPTIMIZE_FILE, ("scenario", "seed", "replications", "staffing", "intervals",
                                                       "constraints", "optimized_day"))
    expected = optimize_id(document["scenario"], document["seed"], document["replications"], document["staffing"])
    images, stale = _matching_images(folder, (STAFFING_FILE, KPIS_FILE), DOCUMENT_ID_KEY, expected)
    notes = _stale_note(stale, OPTIMIZE_FILE, "callsim optimize")
    notes.append("Rebuilt by 'callsim report': the optimised day's own run plots are drawn only by 'callsim optimize "
                 "--report' (or 'callsim run' on the optimised scenario).")
    return render_optimize_report(document, images, notes)


def reports_from_dir(results_dir) -> dict[str, str]:
    """{file name: page} for every report the folder holds the document for (see the module docstring)."""
    folder = Path(results_dir)
    if not folder.is_dir():
        raise ResultsDirError(f"{folder}: no such results folder; run 'callsim run SCENARIO -o {folder}' first")
    pages = {}
    if (folder / "kpis.json").is_file() or (folder / COMPARISON_FILE).is_file():
        pages[REPORT_FILE] = report_from_dir(folder)
    if (folder / SCHEDULE_FILE).is_file():
        pages["schedule_report.html"] = _schedule_page(folder)
    if (folder / OPTIMIZE_FILE).is_file():
        pages["optimize_report.html"] = _optimize_page(folder)
    if not pages:
        raise ResultsDirError(f"{folder}: no kpis.json, {COMPARISON_FILE}, {SCHEDULE_FILE} or {OPTIMIZE_FILE} in this "
                              f"folder; run 'callsim run SCENARIO -o {folder}' (or compare, schedule, optimize) first")
    return pages
