"""The commands about one scenario: simulate it (`run`), trace its calls, draw its menu, rebuild a
run's report, check the file, print the schema."""
from __future__ import annotations

from pathlib import Path

import click

from . import steps
from .options import (InputError, aht_option, json_option, max_calls_option, not_empty, no_plots_option,
                      out_option, quiet_option, replications_option, report_option, scenario_argument,
                      scheduler_option, seed_option, volume_option, workers_option)


@click.command()
@scenario_argument
@replications_option
@seed_option
@out_option("kpis.json, intervals.csv and the plots", "results/<scenario name>/")
@workers_option
@scheduler_option
@json_option
@quiet_option
@no_plots_option
@max_calls_option
@report_option("report.html")
@volume_option
@aht_option
@click.option("--calls-csv", "with_calls", is_flag=True,
              help="also write calls.csv: every simulated call of every replication (the call-log format "
                   "'callsim fit' reads; see docs/scenarios.md)")
@click.option("--calls-days", type=click.IntRange(min=1), default=None, metavar="N",
              help="with --calls-csv: only the calls of the first N replications")
@click.option("--slack", is_flag=True,
              help="also flag over-staffed intervals: one agent fewer in a group still meets every target "
                   "(two more simulated days per group, on the same callers)")
def run(scenario_path, replications, seed, out, workers, scheduler, as_json, quiet, no_plots, max_calls, with_report,
        volume, aht, with_calls, calls_days, slack):
    """Simulate SCENARIO and report its KPIs with 95% confidence intervals."""
    from presentation.run_output import format_run, run_files
    from studies.run_study import run_study, simulated_scenarios

    if calls_days is not None and not with_calls:
        raise InputError("--calls-days limits the calls written by --calls-csv; give --calls-csv too")
    scenario = steps.load(scenario_path, volume, aht)
    if scenario.days is not None and slack:
        raise InputError("--slack looks for spare agents in one day's intervals; a scenario with days: is simulated "
                         "as a week, so leave out --slack (or run one day, without days:)")
    folder = steps.output_folder(out, Path(scenario_path).stem)
    steps.check_size(simulated_scenarios(scenario, slack), replications, max_calls, quiet or as_json)
    # without a scheduler or --slack, run_scenario sizes its own pool to the replications
    with steps.executor(workers, scheduler) if scheduler or slack else steps.no_executor() as pool:
        study = run_study(scenario, replications, seed, workers, pool, steps.progress(quiet or as_json),
                          sample_day=not no_plots,  # replication 0's records are for the plots only
                          keep_records=with_calls, slack=slack)
    document, files = run_files(study, plots=not no_plots, report=steps.report_wanted(folder, with_report),
                                calls=with_calls, calls_days=calls_days)
    written = steps.write(folder, files)  # everything rendered first: nothing half-written on failure
    if as_json:
        click.echo(document, nl=False)
    else:
        steps.echo_done(format_run(study), folder, written)


@click.command()
@scenario_argument
@click.option("-n", "--calls", type=click.IntRange(min=1), default=20, show_default=True, help="how many calls to show")
@click.option("-s", "--seed", type=click.IntRange(min=0), default=None, help="root random seed (default: the scenario's)")
@max_calls_option
@click.option("--from", "from_clock", metavar="HH:MM", default=None,
              help="start with the first call at or after this clock time (default: the start of the day)")
def trace(scenario_path, calls, seed, from_clock, max_calls):
    """Print a readable timeline of individual calls from one simulated day (replication 0):
    IVR, queue, wait, who answered, talk and ACW, abandonment, callbacks, redials."""
    from presentation.trace import trace_text
    from simulator.engine import simulate_replication
    from simulator.errors import UserError

    scenario = steps.load(scenario_path)
    steps.check_size([scenario], 1, max_calls, False)
    seed = scenario.simulation.seed if seed is None else seed
    try:
        from_s = scenario.offset_of_clock(from_clock) if from_clock is not None else 0.0
    except UserError as exc:
        raise InputError(f"--from: {exc}") from None
    records = simulate_replication(scenario, seed, 0).records
    click.echo(trace_text(records, scenario, seed, calls, from_s, from_clock))


@click.command()
@scenario_argument
@click.option("-o", "--out", type=click.Path(dir_okay=False), default=None, callback=not_empty,
              help="the PNG file to write (default: results/<scenario name>/ivr_menu.png)")
def diagram(scenario_path, out):
    """Draw SCENARIO's IVR menu as a PNG, with the expected calls per day on every route (from
    the menu's shares; nothing is simulated)."""
    from presentation.menu_diagram import MENU_DIAGRAM_FILE, scenario_diagram

    target = Path(out) if out else Path("results") / Path(scenario_path).stem / MENU_DIAGRAM_FILE
    if target.suffix.lower() != ".png":
        raise InputError(f"-o {out}: the diagram is a PNG image; give a file name ending in .png")
    folder = steps.output_folder(str(target.parent), "")
    (path,) = steps.write(folder, {target.name: scenario_diagram(steps.load(scenario_path), scenario_path)})
    click.echo(f"written: {path}")


@click.command()
@click.argument("results_dir", metavar="RESULTS_DIR")
def report(results_dir):
    """Rebuild the HTML pages of RESULTS_DIR from the documents and plots there: report.html
    (kpis.json of a run, or comparison.json of a compare), schedule_report.html (schedule.json),
    optimize_report.html (optimize.json)."""
    from presentation.rebuild import reports_from_dir

    pages, skipped = reports_from_dir(results_dir)
    for path in steps.write(Path(results_dir), pages, instead="a folder you can write in (copy the results there)"):
        click.echo(f"written: {path}")
    for line in skipped:
        click.echo(f"warning: {line}", err=True)


@click.command()
@scenario_argument
def validate(scenario_path):
    """Check a scenario file and explain what is wrong, if anything."""
    from presentation.scenario_text import format_validated

    click.echo(format_validated(steps.load(scenario_path), scenario_path))


@click.command()
def schema():
    """Print the scenario file's JSON Schema (for editor completion and checking)."""
    import json

    from simulator.scenario import Scenario

    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **Scenario.model_json_schema()}
    click.echo(json.dumps(document, indent=2))
