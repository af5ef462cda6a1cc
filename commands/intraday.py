"""`callsim intraday`: from this morning's actuals to the rest of today, and what to do about it."""
from __future__ import annotations

from pathlib import Path

import click

from . import steps
from .options import simulation_options, scenario_argument


@click.command()
@scenario_argument
@click.option("--actuals", "actuals_path", metavar="ACTUALS.csv", required=True, type=click.Path(dir_okay=False),
              help="today's interval report so far (interval, offered, answered, abandoned, aht_s, asa_s[, agents]"
                   "[, queue]: the format 'callsim fit --intervals' reads), one row per interval before --now")
@click.option("--now", "now", metavar="HH:MM", required=True,
              help="the clock time now: the rest of the day is simulated from it")
@click.option("--state", "state_path", metavar="STATE.yaml", default=None, type=click.Path(dir_okay=False),
              help="the centre as it stands now (callers waiting, agents busy, callbacks pending; "
                   "docs/intraday-state.md); its 'at' must be --now. Default: empty at --now")
@click.option("--action", "actions", metavar="TEXT", multiple=True,
              help="an action to simulate against doing nothing (repeatable): 'overtime N GROUP FROM[-UNTIL]', "
                   "'vto N GROUP FROM[-UNTIL]', 'move N FROM_GROUP TO_GROUP FROM[-UNTIL]', 'callbacks on|off QUEUE', "
                   "'announcement SHARE [FROM]'; quote a name with spaces")
@click.option("--suggest", is_flag=True,
              help="also find the cheapest overtime per remaining interval that meets the targets (the optimiser on "
                   "the rest of the day, confirmed on fresh replications), with its cost")
@simulation_options("intraday.json, intraday.csv and the plot", "results/intraday-<scenario>/")
def intraday(scenario_path, actuals_path, now, state_path, actions, suggest, replications, seed, out, workers,
             scheduler, as_json, no_plots, quiet, max_calls):
    """Re-forecast the rest of today from the actuals so far (the ratio of actual to forecast,
    damped), simulate it from --now with 95% CIs against the targets, and report each --action
    (and with --suggest the cheapest overtime) as paired differences against doing nothing."""
    from presentation.intraday_output import format_intraday, intraday_files
    from studies.intraday import intraday_study

    scenario = steps.load(scenario_path)
    folder = steps.output_folder(out, f"intraday-{Path(scenario_path).stem}")
    # the day as planned, one per action and, with --suggest, at least 8 staffings more on the shipped
    # scenarios (the optimiser's search and confirmation: studies.optimize.Effort); the whole day's
    # calls count, an upper bound of the rest of it
    steps.check_size([scenario] * (1 + len(actions) + (8 if suggest else 0)), replications, max_calls,
                     quiet or as_json)
    with steps.executor(workers, scheduler) as pool:
        result = intraday_study(scenario, actuals_path, now, state_path=state_path, actions=actions, suggest=suggest,
                                replications=replications, seed=seed, executor=pool,
                                on_replication_done=steps.progress(quiet or as_json))
    document, files = intraday_files(result, plots=not no_plots)
    steps.write_and_echo(folder, files, as_json, document, lambda: format_intraday(result))
