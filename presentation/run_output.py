"""`callsim run`'s outputs from a `studies.run_study.RunStudy`: kpis.json (with the slack when
asked), intervals.csv, calls.csv, the plots, the menu diagram and report.html, and the printed
summary."""
from __future__ import annotations

from .documents import intervals_csv, result_document, to_json
from .text import format_summary


def run_files(study, plots: bool = True, report: bool = False, calls: bool = False,
              calls_days: int | None = None) -> tuple[str, dict[str, str | bytes]]:
    """(kpis.json's text, {file name: content}) of a run study; `calls`: calls.csv of the first
    `calls_days` replications (all when None); `report`: report.html."""
    result = study.result
    document_dict = result_document(result)
    if study.slack is not None:
        from .optimize_output import slack_document

        document_dict["slack"] = slack_document(study.slack)
    document = to_json(document_dict)
    files: dict[str, str | bytes] = {"kpis.json": document, "intervals.csv": intervals_csv(result)}
    if calls:
        from .calls_csv import calls_csv

        files["calls.csv"] = calls_csv(result.days, result.scenario, first=calls_days)
    if plots:
        from .run_plots import run_plots

        files.update(run_plots(result))
        if result.scenario.ivr is not None:
            from .menu_diagram import run_menu_diagram

            files.update(run_menu_diagram(result, document_dict.get("funnel")))
    if report:
        from .report import REPORT_FILE, render_report

        files[REPORT_FILE] = render_report(document_dict, {k: v for k, v in files.items() if k.endswith(".png")})
    return document, files


def format_run(study) -> str:
    """The printed summary of a run study (and its slack)."""
    text = format_summary(study.result)
    if study.slack is not None:
        from .optimize_output import format_slack

        text += "\n\n" + format_slack(study.slack)
    return text
