"""`callsim fit`: a scenario from a call log or an interval report."""
from __future__ import annotations

from pathlib import Path

import click

from . import steps
from .options import FiniteFloat, InputError, quiet_option, report_option, workers_option


@click.command()
@click.argument("calls_path", metavar="[CALLS.csv]", required=False, type=click.Path(dir_okay=False))
@click.option("--intervals", "report_path", metavar="REPORT.csv", type=click.Path(dir_okay=False), default=None,
              help="fit from an interval report instead (interval, offered, answered, abandoned, aht_s, asa_s "
                   "[, agents]): arrivals, AHT, and patience calibrated by simulation to the reported abandonment")
@click.option("--days", metavar="FIRST:LAST|D1,D2,...", default=None,
              help="only these days (YYYY-MM-DD), e.g. 2026-01-05:2026-01-16")
@click.option("--weekday", metavar="mon[,tue...]", default=None, help="only these weekdays")
@click.option("--interval-minutes", type=click.Choice(["15", "30", "60"]), default="30", show_default=True,
              help="interval length of the fitted scenario")
@click.option("--columns", metavar="NAME=HEADER,...", default=None,
              help="the log's own column headers, e.g. arrival=Start Time,wait=Queue Secs (names: arrival, queue, "
                   "wait, outcome, talk, acw, ivr, agent_group, agent_id, caller; for reports: interval, offered, answered, "
                   "abandoned, aht, asa, agents)")
@click.option("-o", "--out", type=click.Path(dir_okay=False), default=None,
              help="the fitted scenario file (default: results/fit-<name>/<name>.fitted.yaml); fit.json, the plots and "
                   "the report go beside it")
@click.option("--name", default=None, help="the fitted scenario's name (default: 'Fitted from <file>')")
@report_option("fit_report.html", "also write fit_report.html and the PNGs (Q-Q plots, Kaplan-Meier beside the "
               "fitted patience, arrivals)")
@click.option("-r", "--replications", type=click.IntRange(min=2, max=1000), default=20, show_default=True,
              help="replications per step when calibrating patience to an interval report")
@click.option("--aht-cv", type=FiniteFloat(min=0, min_open=True, max=5), default=None,
              help="with --intervals: the handle time's coefficient of variation (lognormal; default: exponential, cv 1)")
@workers_option
@quiet_option
def fit(calls_path, report_path, days, weekday, interval_minutes, columns, out, name, with_report, replications,
        aht_cv, workers, quiet):
    """Fit a scenario to a call-by-call log (CALLS.csv, e.g. from 'callsim run --calls-csv') or to an
    interval report (--intervals): arrivals per interval and day-to-day busyness, talk/ACW by maximum
    likelihood (family by AIC, KS distance), patience by censored maximum likelihood (Kaplan-Meier
    beside it), balking, staffing when agents are named."""
    from presentation.fit_output import fit_files, format_fit
    from studies.fit import fit_source

    if aht_cv is not None and report_path is None:
        raise InputError("--aht-cv is for --intervals reports; a call log gives the handle times themselves")
    if (calls_path is None) == (report_path is None):
        raise InputError("give either a call log CALLS.csv or --intervals REPORT.csv (one of them)")
    stem = Path(calls_path or report_path).stem
    target = Path(out) if out else Path("results") / f"fit-{stem}" / f"{stem}.fitted.yaml"
    steps.output_folder(str(target.parent), "")  # checked before the log is read
    with steps.executor(workers) if report_path is not None else steps.no_executor() as pool:
        result = fit_source(calls_path, report_path, columns, days, weekday, int(interval_minutes), name,
                            replications=replications, aht_cv=aht_cv, executor=pool,
                            on_replication_done=steps.progress(quiet))
    written = steps.write(target.parent, fit_files(result, target.name, report=with_report))  # nothing half-written
    click.echo(format_fit(result))
    click.echo(steps.written_line(target.parent, written))
    click.echo(f"simulate it: callsim run {target}")
