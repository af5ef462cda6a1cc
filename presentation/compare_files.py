"""Every file `callsim compare` writes, rendered in memory (the JSON, the CSVs, the plots, the menu
diagrams, report.html). Beside `compare_output`, which the plot and report modules import."""
from __future__ import annotations

from typing import Sequence

from studies.compare import Comparison

from .compare_output import (comparison_csv, comparison_document, differences_by_interval_csv,
                             differences_by_queue_csv)


def compare_files(comparison: Comparison, sources: Sequence[str], what_if: dict | None = None, plots: bool = True,
                  report: bool = False) -> tuple[str, dict[str, str | bytes]]:
    """(comparison.json's text, {file name: content}) of `callsim compare`: the JSON (with the
    --volume/--aht `what_if` it was made under), the CSVs, the plots and menu diagrams, report.html."""
    from .documents import to_json

    document_dict = comparison_document(comparison, files=list(sources))
    if what_if is not None:
        document_dict["what_if"] = what_if
    document = to_json(document_dict)
    files: dict[str, str | bytes] = {
        "comparison.json": document, "comparison.csv": comparison_csv(comparison),
        "differences_by_queue.csv": differences_by_queue_csv(comparison),
        "differences_by_interval.csv": differences_by_interval_csv(comparison)}
    if plots:
        from .compare_plots import comparison_plots

        files.update(comparison_plots(comparison))
        if any(run.scenario.ivr is not None for run in comparison.runs):
            from .menu_diagram import comparison_menu_diagrams

            files.update(comparison_menu_diagrams(comparison))
    if report:
        from .report import REPORT_FILE, render_comparison_report

        files[REPORT_FILE] = render_comparison_report(document_dict,
                                                      {k: v for k, v in files.items() if k.endswith(".png")})
    return document, files
