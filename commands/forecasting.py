"""`callsim forecast`: calls per interval for the days ahead, from history."""
from __future__ import annotations

from pathlib import Path

import click

from . import steps
from .options import out_option, report_option


@click.command()
@click.argument("history_path", metavar="HISTORY.csv", type=click.Path(dir_okay=False))
@click.option("--horizon", type=int, required=True, metavar="DAYS", help="days to forecast after the history's last day "
              "(1 to 366)")
@click.option("--interval-minutes", type=int, default=30, show_default=True,
              help="interval length of the forecast; the history's own intervals must divide it")
@click.option("--closed", metavar="DATES|FILE", default=None,
              help="closed days and holidays: YYYY-MM-DD, ranges YYYY-MM-DD:YYYY-MM-DD and parts of days "
                   "'YYYY-MM-DD HH:MM-HH:MM', comma-separated, or a file of one per line; left out of the history, "
                   "forecast at 0")
@out_option("forecast.csv, backtest.csv, forecast.json and the plot", "results/forecast-<history>/")
@report_option("forecast_report.html", "also write forecast_report.html")
def forecast(history_path, horizon, interval_minutes, closed, out, with_report):
    """Forecast calls per interval from HISTORY.csv (interval counts datetime,calls[,aht_s], or a call log
    as 'callsim run --calls-csv' writes): methods chosen by a rolling-origin backtest, an 80% prediction
    interval calibrated on it, and the day-to-day forecast error as busyness_cv for the plan."""
    from presentation.forecast_output import forecast_files, format_forecast
    from studies.forecast import forecast_file
    from studies.forecast_input import check_horizon, check_interval

    check_horizon(horizon), check_interval(interval_minutes)
    folder = steps.output_folder(out, f"forecast-{Path(history_path).stem}")
    result = forecast_file(history_path, horizon, interval_minutes, closed)
    written = steps.write(folder, forecast_files(result, report=with_report))
    click.echo(format_forecast(result))
    click.echo(steps.written_line(folder, written))
