"""The commands that simulate several variants on the same callers: `compare`, `sweep`, `lessons`."""
from __future__ import annotations

from pathlib import Path

import click

from . import steps
from .options import (InputError, aht_option, out_option, quiet_option, report_option, scenario_argument,
                      scheduler_option, simulation_options, volume_option, workers_option)


@click.command()
@click.argument("scenario_paths", metavar="A.yaml B.yaml [MORE.yaml ...]", nargs=-1, required=True,
                type=click.Path(dir_okay=False))
@simulation_options("comparison.json, comparison.csv and the plots", "results/compare-<A>-<B>.../")
@report_option("report.html")
@volume_option
@aht_option
@click.option("--baseline", metavar="NAME", default=None,
              help="measure every other scenario against this one (its file name without .yaml, or its name); "
                   "default: the first")
@click.option("--all-pairs", "all_pairs", is_flag=True, help="report the difference of every pair of scenarios")
@click.option("--equal-service", is_flag=True,
              help="optimise each scenario to its targets (callsim optimize) on the same callers and seed, confirmed on "
                   "the same fresh days, and report each design's agent-hours and cost against the first, with the "
                   "paired KPI differences at those staffings; writes equal_service.json and equal_service.csv")
def compare(scenario_paths, replications, seed, out, workers, scheduler, as_json, no_plots, quiet, max_calls,
            with_report, volume, aht, baseline, all_pairs, equal_service):
    """Simulate scenarios on the same callers and report each KPI with the paired difference
    (each later scenario minus the first, or minus --baseline, or every pair with --all-pairs)
    and its 95% CI, for the centre, per queue and per interval, which targets each meets, and
    what drives the difference."""
    from presentation.compare_files import compare_files
    from presentation.compare_output import format_comparison
    from studies.compare import choose_pairs, compare_scenarios, unique_labels

    if len(scenario_paths) < 2:
        raise InputError("compare needs at least two scenario files, e.g. callsim compare A.yaml B.yaml")
    scenarios = [steps.load(path, volume, aht) for path in scenario_paths]  # the same what-if for every one
    stems = [Path(path).stem for path in scenario_paths]
    choose_pairs(unique_labels(stems), [s.name for s in scenarios], baseline, all_pairs)  # a bad name fails before the run
    folder = steps.output_folder(out, "-".join(["compare", *stems]))
    steps.check_size(scenarios, replications or scenarios[0].simulation.replications, max_calls, quiet or as_json)
    if equal_service:
        for flag, given in (("--baseline", baseline), ("--all-pairs", all_pairs), ("--report", with_report)):
            if given:
                raise InputError(f"{flag} is not available with --equal-service (each design against the first); "
                                 "drop it")
        _compare_equal_service(scenarios, stems, list(scenario_paths), replications, seed, folder, workers,
                               scheduler, as_json, quiet)
        return
    with steps.executor(workers, scheduler) as pool:
        comparison = compare_scenarios(scenarios, stems, replications=replications, seed=seed,
                                       on_replication_done=steps.progress(quiet or as_json), executor=pool,
                                       baseline=baseline, all_pairs=all_pairs)
    what_if = {"volume": volume, "aht": aht} if volume is not None or aht is not None else None
    document, files = compare_files(comparison, scenario_paths, what_if, plots=not no_plots,
                                    report=steps.report_wanted(folder, with_report))
    written = steps.write(folder, files)  # everything rendered first: nothing half-written
    if as_json:
        click.echo(document, nl=False)
    else:
        click.echo(format_comparison(comparison), nl=False)
        click.echo(steps.written_line(folder, written))


def _compare_equal_service(scenarios, stems, sources, replications, seed, folder, workers, scheduler, as_json, quiet):
    """`compare --equal-service`: one call into studies.equal_service, rendered and written."""
    from presentation.equal_service_output import FILE, equal_service_files, format_equal_service
    from studies.equal_service import equal_service
    from studies.optimize import OptimizeError

    from .options import NotConverged, TargetsNotMet

    with steps.executor(workers, scheduler) as pool:
        try:
            study = equal_service(scenarios, stems, replications=replications, seed=seed, executor=pool)
        except OptimizeError as exc:
            raise InputError(str(exc)) from None
    _, files = equal_service_files(study, sources)
    written = steps.write(folder, files)  # everything rendered first: nothing half-written
    if as_json:
        click.echo(files[FILE], nl=False)
    else:
        click.echo(format_equal_service(study), nl=False)
        click.echo(steps.written_line(folder, written))
    stopped = [d.label for d in study.designs if not d.result.converged]
    if stopped:
        raise NotConverged(f"not converged: the optimiser stopped on a round limit for {', '.join(stopped)}; the "
                           "figures written are not final")
    short = [d.label for d in study.designs if d.result.infeasible]
    if short:
        raise TargetsNotMet(f"cannot meet every target within the agent limits for {', '.join(short)}; see "
                            "equal_service.json")


@click.command()
@scenario_argument
@click.option("--agents", "agents_range", metavar="START:STOP[:STEP]", default=None,
              help="staffing of one agent group at each point: 8:16 sets the group to 8, 9, ..., 16 agents in every "
                   "interval (only in --interval if given); a signed range such as -2:+3 adds that many to its "
                   "staffing instead. Other groups keep theirs.")
@click.option("--group", metavar="NAME", default=None,
              help="the agent group --agents staffs (required when the scenario has several groups)")
@click.option("--interval", metavar="HH:MM", default=None,
              help="change staffing only in the interval starting at HH:MM, and report that interval's KPIs")
@click.option("--vary", metavar="PARAM=START:STOP:STEP", default=None,
              help="scale an input by each factor: volume (calls), talk_time or patience (their means; the CV "
                   "stays), e.g. volume=0.8:1.2:0.1; with --agents every combination is a point")
@simulation_options("sweep.json, sweep.csv and the plot", "results/sweep-<scenario>/")
def sweep(scenario_path, agents_range, group, interval, vary, replications, seed, out, workers, scheduler, as_json,
          no_plots, quiet, max_calls):
    """Simulate SCENARIO over a range of staffing or of a scaled input; each KPI per point with
    its 95% CI beside the Erlang C / Erlang A prediction (single-queue scenarios)."""
    from presentation.sweep_output import format_sweep, sweep_files
    from studies.sweep import parse_agents, parse_vary, run_sweep

    scenario = steps.load(scenario_path)
    if agents_range is None and vary is None:
        raise InputError("nothing to sweep: give --agents START:STOP, --vary PARAM=START:STOP:STEP, or both")
    if group is not None and agents_range is None:
        raise InputError("--group names the group --agents staffs; give --agents too")
    folder = steps.output_folder(out, f"sweep-{Path(scenario_path).stem}")
    agents, relative = parse_agents(agents_range) if agents_range is not None else (None, False)
    parameter, factors = parse_vary(vary) if vary is not None else (None, None)
    points = len(agents or [None]) * len(factors or [None])
    volume = max(factors) if parameter == "volume" else 1.0
    steps.check_size([scenario.with_volume(volume)] * points, replications, max_calls, quiet or as_json)
    with steps.executor(workers, scheduler) as pool:
        result = run_sweep(scenario, agents, relative, group, interval, parameter, factors, replications=replications,
                           seed=seed, on_replication_done=steps.progress(quiet or as_json), executor=pool)
    document, files = sweep_files(result, plots=not no_plots)
    written = steps.write(folder, files)
    if as_json:
        click.echo(document, nl=False)
    else:
        click.echo(format_sweep(result))
        click.echo(steps.written_line(folder, written))


@click.command()
@click.argument("names", metavar="[LESSON ...]", nargs=-1, type=click.Choice(["cliff", "pooling", "variability"]))
@out_option("the plots and explanations", "results/lessons/")
@click.option("-r", "--replications", type=click.IntRange(min=2, max=10_000), default=None,
              help="replications per scenario (default: 20; 60 for variability)")
@workers_option
@scheduler_option
@quiet_option
def lessons(names, out, replications, workers, scheduler, quiet):
    """Three demonstrations for trainers, each a plot and a short explanation: the occupancy-wait
    cliff, pooling (two teams vs one), and variability (same AHT, different spread). LESSON
    picks some (default: all three)."""
    from presentation.lessons_output import RENDERERS
    from studies.lessons import LESSONS, STUDIES

    folder = steps.output_folder(out, "lessons")
    chosen = [name for name in LESSONS if not names or name in names]
    with steps.executor(workers, scheduler) as pool:
        results = [RENDERERS[name](STUDIES[name](replications, on_done=steps.progress(quiet), executor=pool))
                   for name in chosen]
    written = steps.write(folder, {name: content for lesson in results for name, content in lesson.files.items()})
    click.echo("\n".join(lesson.text for lesson in results))
    click.echo(steps.written_line(folder, written))
