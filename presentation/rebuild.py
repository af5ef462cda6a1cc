"""`callsim report RESULTS_DIR`: rebuild every HTML page whose document the folder holds.

| document | page | made by |
|---|---|---|
| kpis.json or comparison.json (the newer) | report.html | `callsim run`, `callsim compare` |
| schedule.json | schedule_report.html | `callsim schedule` |
| optimize.json | optimize_report.html | `callsim optimize` |

`callsim plan --report`'s plan_report.html is not rebuilt: the plan folder keeps no document of
the simulated day it shows (verify.csv holds per-interval figures only). Plots are taken from the
folder when their stamp names the same document (see `presentation.documents.fingerprint`); a plot
left by an earlier run is left out and the page says so. A document that cannot be read (broken,
or an optimize.json from before it carried the optimised day) does not stop the other pages: it
is named in the `skipped` lines; only when no page can be built is it an error.
"""
from __future__ import annotations

from pathlib import Path

from .report import (COMPARISON_FILE, REPORT_FILE, ResultsDirError, _matching_images, _read_document, report_from_dir,
                     results_folder)

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

    path = folder / OPTIMIZE_FILE
    document = _read_document(path, ("scenario", "seed", "replications", "staffing", "intervals", "constraints"))
    if "optimized_day" not in document:
        raise ResultsDirError(f"{path}: written by an older callsim, without the optimised day's KPIs; run "
                              "'callsim optimize' again to rebuild its page")
    expected = optimize_id(document["scenario"], document["seed"], document["replications"], document["staffing"])
    images, stale = _matching_images(folder, (STAFFING_FILE, KPIS_FILE), DOCUMENT_ID_KEY, expected)
    notes = _stale_note(stale, OPTIMIZE_FILE, "callsim optimize")
    notes.append("Rebuilt by 'callsim report': the optimised day's own run plots are drawn only by 'callsim optimize "
                 "--report' (or 'callsim run' on the optimised scenario).")
    return render_optimize_report(document, images, notes)


def reports_from_dir(results_dir) -> tuple[dict[str, str], list[str]]:
    """({file name: page} for every report the folder holds a readable document for, one line per
    page that could not be rebuilt); see the module docstring."""
    folder = results_folder(results_dir)
    builders = []
    if (folder / "kpis.json").is_file() or (folder / COMPARISON_FILE).is_file():
        builders.append((REPORT_FILE, report_from_dir))
    if (folder / SCHEDULE_FILE).is_file():
        builders.append(("schedule_report.html", _schedule_page))
    if (folder / OPTIMIZE_FILE).is_file():
        builders.append(("optimize_report.html", _optimize_page))
    if not builders:
        raise ResultsDirError(f"{folder}: no kpis.json, {COMPARISON_FILE}, {SCHEDULE_FILE} or {OPTIMIZE_FILE} in this "
                              f"folder; run 'callsim run SCENARIO -o {folder}' (or compare, schedule, optimize) first")
    pages, skipped = {}, []
    for name, build in builders:
        try:
            pages[name] = build(folder)
        except ResultsDirError as exc:
            if len(builders) == 1:
                raise
            skipped.append(f"{name} not rebuilt: {exc}")
    if not pages:
        raise ResultsDirError("; ".join(skipped))
    return pages, skipped
