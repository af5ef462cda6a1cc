"""Every file `callsim optimize` writes, rendered in memory (optimize.json, the trace, the optimised
scenario, the plots, optimize_report.html). Beside `optimize_output`, which the plot and report
modules import."""
from __future__ import annotations

from studies.optimize import OptimizeResult

from .optimize_output import confirmation_csv, optimize_document, optimized_yaml, to_json, trace_csv, trace_document


def optimize_files(result: OptimizeResult, stem: str, source: str, plots: bool = True,
                   report: bool = False) -> tuple[dict, dict[str, str | bytes]]:
    """(the JSON document, {file name: content}) of `callsim optimize`: optimize.json, the trace
    (CSV and JSON), the confirmation (when there was one), the optimised scenario, the plots and
    optimize_report.html."""
    document = optimize_document(result, source=source)
    files: dict[str, str | bytes] = {
        "optimize.json": to_json(document), "optimize_trace.csv": trace_csv(result),
        "optimize_trace.json": to_json(trace_document(result)),
        **({"optimize_confirmation.csv": confirmation_csv(result)} if result.confirmation is not None else {}),
        f"{stem}.optimized.yaml": optimized_yaml(result, source=source)}
    if plots:
        from .optimize_plots import optimize_plots

        files.update(optimize_plots(result))
    if report:
        from .optimize_report import optimize_report

        files["optimize_report.html"] = optimize_report(result, {k: v for k, v in files.items() if k.endswith(".png")},
                                                        source=source, with_run_plots=plots)
    return document, files
