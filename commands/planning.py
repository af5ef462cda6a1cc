"""The staffing commands: the Erlang `plan` (verified by simulation), shifts (`schedule`) and the
cheapest staffing found by simulation (`optimize`)."""
from __future__ import annotations

from pathlib import Path

import click

from . import steps
from .options import (InputError, NotConverged, TargetsNotMet, aht_option, json_option, max_calls_option, no_plots_option,
                      out_option, quiet_option, replications_option, report_option, scenario_argument,
                      scheduler_option, seed_option, volume_option, workers_option)


@click.command()
@scenario_argument
@click.option("--model", type=click.Choice(["erlang-c", "erlang-a"]), default=None,
              help="force one model for every queue (default: Erlang A where callers abandon, else Erlang C)")
@click.option("--verify", is_flag=True, help="simulate the planned staffing and compare it with the plan")
@replications_option
@seed_option
@workers_option
@scheduler_option
@click.option("--shrinkage", type=click.FloatRange(0, 1, max_open=True), default=0.0, show_default=True,
              help="fraction of paid time off the phones: scheduled = required / (1 - shrinkage)")
@click.option("--carry-over", is_flag=True,
              help="size each interval for the work agents actually carry, calls still in progress from earlier "
                   "intervals included (modified offered load), instead of its own arrivals (plain SIPP): holds up "
                   "when volume changes fast, above all after a peak")
@out_option("plan.csv, the planned scenario and the plots", "results/<scenario name>/")
@json_option
@no_plots_option
@max_calls_option
@click.option("--no-slack", is_flag=True,
              help="with --verify: skip the check for over-staffed intervals (one agent fewer still meets every "
                   "target; two more simulated days per group)")
@report_option("plan_report.html", "also write plan_report.html: the simulated day of the plan as one page "
               "(implies --verify)")
@volume_option
@aht_option
@quiet_option
@click.option("--baseline", "baseline_dir", metavar="OTHER_PLAN_DIR", type=click.Path(file_okay=False), default=None,
              help="a folder written by an earlier callsim plan: show per interval and for the day the change in "
                   "agents, agent-hours and predicted KPIs; writes plan_diff.csv")
def plan(scenario_path, model, verify, replications, seed, workers, scheduler, shrinkage, carry_over, out, as_json,
         no_plots, max_calls, no_slack, with_report, volume, aht, quiet, baseline_dir):
    """Plan agents per interval for SCENARIO (Erlang C/A, targets, occupancy band); --verify simulates it."""
    from planner.plan import PlanError
    from presentation.plan_output import format_plan_study, plan_study_files
    from studies.plan_diff import read_plan_rows
    from studies.plan_study import plan_study
    from studies.run_study import simulated_scenarios

    # a bad baseline stops before any work
    baseline_rows = read_plan_rows(baseline_dir) if baseline_dir is not None else None
    scenario = steps.load(scenario_path, volume, aht, staffing_optional=True)  # plan makes the staffing
    folder = steps.output_folder(out, Path(scenario_path).stem)
    if scenario.days is not None:
        for flag, given in (("--baseline", baseline_dir), ("--report", with_report)):
            if given:
                raise InputError(f"{flag} is not available for a scenario with days: (a week) yet; drop it")
        _plan_week(scenario, scenario_path, model, shrinkage, carry_over, folder, verify, replications, seed, workers,
                   scheduler, max_calls, as_json, quiet, no_plots)
        return
    verify = verify or with_report
    if verify:  # the planned scenario has these calls and groups
        steps.check_size(simulated_scenarios(scenario, not no_slack), replications, max_calls,
                         quiet or as_json)
    try:
        study = plan_study(scenario, model.replace("-", "_") if model else None, shrinkage, carry_over,
                           str(scenario_path), baseline_rows, str(baseline_dir), verify, not no_slack, replications,
                           seed, lambda: steps.executor(workers, scheduler), steps.progress(quiet or as_json))
    except PlanError as exc:
        raise InputError(f"{scenario_path}: {exc}") from None
    what_if = {"volume": volume, "aht": aht} if volume is not None or aht is not None else None
    stem = Path(scenario_path).stem
    document, files = plan_study_files(study, stem, str(scenario_path), plots=not no_plots, report=with_report,
                                       what_if=what_if)
    _write_plan(folder, files, document, as_json, lambda: format_plan_study(study, str(scenario_path)), stem)


def _write_plan(folder, files, document, as_json, text, stem):
    """Write a plan's files, then print its JSON document (naming the files) or `text()`."""
    import json

    written = steps.write(folder, files)  # everything rendered first: nothing half-written on failure
    document["files"] = [str(path) for path in written]
    if as_json:
        click.echo(json.dumps(document, indent=2, allow_nan=False))
        return
    steps.echo_done(text(), folder, written, folder / f"{stem}.planned.yaml", "the plan")


def _plan_week(scenario, scenario_path, model, shrinkage, carry_over, folder, verify, replications, seed, workers,
               scheduler, max_calls, as_json, quiet, no_plots):
    """`callsim plan` on a week: each open date planned, the planned week written and, with --verify, simulated."""
    from planner.plan import PlanError
    from presentation.week_plan_output import format_week_plan, week_plan_files
    from studies.run_study import simulated_scenarios
    from studies.week_plan import plan_week

    if verify:
        steps.check_size(simulated_scenarios(scenario, False), replications, max_calls, quiet or as_json)
    try:
        week = plan_week(scenario, model.replace("-", "_") if model else None, shrinkage, carry_over,
                         str(scenario_path), verify, replications, seed, lambda: steps.executor(workers, scheduler),
                         steps.progress(quiet or as_json))
    except PlanError as exc:
        raise InputError(f"{scenario_path}: {exc}") from None
    stem = Path(scenario_path).stem
    document, files = week_plan_files(week, stem, str(scenario_path), plots=not no_plots)
    _write_plan(folder, files, document, as_json, lambda: format_week_plan(week, str(scenario_path)), stem)


@click.command()
@scenario_argument
@click.option("--requirements", "requirements_path", metavar="FILE", type=click.Path(dir_okay=False), default=None,
              help="agents needed on the phones per interval: a plan.csv written by 'callsim plan', or a scenario "
                   "YAML (a *.planned.yaml, say) whose staffing is the requirement")
@click.option("--from-plan", is_flag=True,
              help="the requirement is the scenario's Erlang plan, as 'callsim plan' makes it (the default)")
@click.option("--shrinkage", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="share of desk time lost beyond the modelled breaks (training, absence); default: shifts.shrinkage")
@click.option("--time-limit", "time_limit_s", type=click.FloatRange(min=0, min_open=True), default=60.0,
              show_default=True, help="seconds HiGHS may spend on a schedule (each round of --by-simulation); past it "
                   "the best schedule found and its optimality gap are reported")
@click.option("--verify", is_flag=True,
              help="simulate the scheduled staffing beside the requirement's, on the same callers")
@click.option("--by-simulation", is_flag=True,
              help="simulate the schedule, require one agent more wherever an interval misses a service target, "
                   "solve again, until none misses (or --max-rounds); writes the rounds to by_simulation.csv")
@click.option("--max-rounds", type=click.IntRange(1, 100), default=25, show_default=True,
              help="rounds of --by-simulation at most; stopping there is NOT CONVERGED, exit code 3")
@click.option("--confirm-replications", type=click.IntRange(min=0, max=10_000), default=None,
              help="with --by-simulation: fresh replications (never used by the rounds, from index 1,000,000) the "
                   "final schedule is confirmed and repaired on; 0 for none [default: 2 x --replications]")
@replications_option
@seed_option
@workers_option
@scheduler_option
@max_calls_option
@out_option("shifts.csv, coverage.csv, the scheduled scenario and the plot", "results/<scenario name>/")
@json_option
@no_plots_option
@quiet_option
@report_option("schedule_report.html")
@click.option("--agents", "agents_path", metavar="AGENTS.csv", type=click.Path(dir_okay=False), default=None,
              help="with days: and shifts.contracts: (a week), the named agents to roster (name, contract, groups; "
                   "optional unavailable, preferred_off, weekends_before, late_before): writes roster.csv by name")
def schedule(scenario_path, requirements_path, from_plan, shrinkage, time_limit_s, verify, by_simulation, max_rounds,
             confirm_replications, replications, seed, workers, scheduler, max_calls, out, as_json, no_plots, quiet, with_report, agents_path):
    """Build shifts with breaks from SCENARIO's shifts: section: the least-cost shifts that put at least the required
    agents on the phones in every interval (an integer programme solved to proven optimality by HiGHS). With days:
    and shifts.contracts:, weekly tours with days off (and, with --agents, a roster of named agents)."""
    from presentation.schedule_output import format_study, not_converged_message, schedule_files, solver_progress_text
    from studies.schedule import load_requirement, run_schedule

    if from_plan and requirements_path is not None:
        raise InputError("give either --requirements FILE or --from-plan, not both")
    scenario = steps.load(scenario_path, staffing_optional=True)  # shifts are made from the requirement
    if scenario.days is not None and scenario.shifts is not None and scenario.shifts.contracts is not None:
        for flag, given in (("--requirements", requirements_path), ("--report", with_report)):
            if given:
                raise InputError(f"{flag} is not available for a week (days: with shifts.contracts:) yet; drop it")
        _schedule_week(scenario, scenario_path, shrinkage, time_limit_s, agents_path, out, as_json, no_plots,
                       verify or by_simulation, by_simulation, max_rounds, replications, seed, workers, scheduler,
                       max_calls, quiet)
        return
    if agents_path is not None:
        raise InputError("--agents needs a week: days: and shifts.contracts: in the scenario")
    folder = steps.output_folder(out, Path(scenario_path).stem)
    requirement = load_requirement(scenario, requirements_path)
    if verify or by_simulation:  # each round simulates the day twice at most (requirement and schedule)
        steps.check_size([scenario] * (2 + (max_rounds if by_simulation else 0)), replications, max_calls,
                         quiet or as_json)
    with steps.executor(workers, scheduler) as pool:
        study = run_schedule(scenario, requirement, shrinkage, time_limit_s, verify, by_simulation, max_rounds,
                             replications, seed, workers, steps.progress(quiet or as_json), where=f"{scenario_path}: ",
                             executor=pool, on_solver_progress=steps.status_line(quiet or as_json, solver_progress_text),
                             confirm_replications=confirm_replications)
    stem = Path(scenario_path).stem
    files = schedule_files(study, stem, str(scenario_path), plots=not no_plots, report=with_report)
    written = steps.write(folder, files)  # everything rendered first: nothing half-written on failure
    if as_json:
        click.echo(files["schedule.json"], nl=False)
    else:
        steps.echo_done(format_study(study, str(scenario_path)), folder, written, folder / f"{stem}.scheduled.yaml",
                        "the schedule")
    if study.by_rounds is not None and study.by_rounds.round_limit:
        raise NotConverged(not_converged_message(study.by_rounds))


def _schedule_week(scenario, scenario_path, shrinkage, time_limit_s, agents_path, out, as_json, no_plots,
                   check, by_simulation, max_rounds, replications, seed, workers, scheduler, max_calls, quiet):
    """`callsim schedule` for a week (days: with shifts.contracts:): tours with days off, and a roster;
    with --verify or --by-simulation, the week simulated and confirmed out of sample."""
    from presentation.week_output import format_week, week_files
    from studies.week_check import week_study

    stem = Path(scenario_path).stem
    folder = steps.output_folder(out, stem)
    if check:  # each round simulates the week once, and the confirmation once more
        from studies.run_study import simulated_scenarios

        steps.check_size(simulated_scenarios(scenario, False) * (2 + (max_rounds if by_simulation else 0)),
                         replications, max_calls, quiet or as_json)
    with steps.executor(workers, scheduler) if check else steps.no_executor() as pool:
        study, checked = week_study(scenario, shrinkage, time_limit_s, agents_path, f"{scenario_path}: ", check,
                                    by_simulation, max_rounds, replications, seed, workers, pool,
                                    steps.progress(quiet or as_json))
    files = week_files(study, str(scenario_path), plots=not no_plots, check=checked, stem=stem)
    written = steps.write(folder, files)  # everything rendered first: nothing half-written on failure
    if as_json:
        click.echo(files["week.json"], nl=False)
    else:
        text = format_week(study, str(scenario_path))
        if checked is not None:
            from presentation.week_check_output import format_week_check

            text += "\n" + format_week_check(checked)
        steps.echo_done(text, folder, written)
    if checked is not None and checked.round_limit:
        raise NotConverged(f"NOT CONVERGED: {checked.stop_reason}; the last round's tours are written")


@click.command()
@scenario_argument
@click.option("--start", type=click.Choice(["erlang", "carry-over", "scenario"]), default="erlang", show_default=True,
              help="staffing to start from: the Erlang plan, the carry-over plan or the scenario's own")
@replications_option
@seed_option
@click.option("--confidence", type=click.FloatRange(0.5, 1, max_open=True), default=None,
              help="a target must hold for the one-sided bound at this confidence (e.g. 0.95), not only the mean")
@click.option("--max-iterations", type=click.IntRange(min=1, max=10_000), default=60, show_default=True,
              help="simulated batches at most; stopping there is NOT CONVERGED, exit code 3")
@click.option("--confirm-replications", type=click.IntRange(min=0, max=10_000), default=None,
              help="fresh replications (never used by the search) the answer is confirmed and repaired on; 0 for none "
                   "(default: twice --replications)")
@click.option("--per-group-occupancy", is_flag=True,
              help="cap each agent group's occupancy at the band's upper end (default: the whole centre's)")
@out_option("optimize.json, the trace, the optimised scenario and the plots", "results/<scenario name>/")
@workers_option
@scheduler_option
@max_calls_option
@volume_option
@aht_option
@json_option
@no_plots_option
@quiet_option
@report_option("optimize_report.html")
def optimize(scenario_path, start, replications, seed, confidence, max_iterations, confirm_replications,
             per_group_occupancy, out, workers, scheduler, max_calls, volume, aht, as_json, no_plots, quiet, with_report):
    """The cheapest staffing per interval and group that meets every target in simulation,
    with the trace of every staffing tried (ISA-style whole-day iteration, then marginal
    analysis on common random numbers)."""
    import json

    from presentation.optimize_files import optimize_files
    from presentation.optimize_output import format_optimize, infeasible_message
    from studies.optimize import OptimizeError, optimize_staffing

    scenario = steps.load(scenario_path, volume, aht, staffing_optional=start != "scenario")
    folder = steps.output_folder(out, Path(scenario_path).stem)
    if scenario.days is not None:
        return _optimize_week(scenario, scenario_path, folder, start, replications, seed, confidence, max_iterations,
                              confirm_replications, per_group_occupancy, workers, scheduler, max_calls, as_json,
                              quiet, with_report)
    # --max-calls guards against a mistyped volume: one staffing's day on the most replications used
    days = replications or scenario.simulation.replications
    steps.check_size([scenario], max(days, 2 * days if confirm_replications is None else confirm_replications),
                     max_calls, True)
    on_start, on_batch = _optimize_display(quiet or as_json)
    with steps.executor(workers, scheduler) as executor:
        try:
            result = optimize_staffing(scenario, start=start.replace("-", "_"), replications=replications, seed=seed,
                                       confidence=confidence, max_iterations=max_iterations, executor=executor,
                                       per_group=per_group_occupancy, confirm_replications=confirm_replications,
                                       on_start=on_start, on_batch=on_batch)
        except OptimizeError as exc:
            raise InputError(f"{scenario_path}: {exc}") from None
    stem = Path(scenario_path).stem
    document, files = optimize_files(result, stem, str(scenario_path), plots=not no_plots, report=with_report)
    written = steps.write(folder, files)  # everything rendered first: nothing half-written on failure
    if as_json:
        click.echo(json.dumps({**document, "files": [str(p) for p in written]}, indent=2, allow_nan=False))
    else:
        steps.echo_done(format_optimize(result, source=str(scenario_path)), folder, written,
                        folder / f"{stem}.optimized.yaml")
    if not result.converged:  # a round limit, whether or not intervals still miss: the answer is not final
        raise NotConverged(infeasible_message(result))
    if result.infeasible:
        raise TargetsNotMet(infeasible_message(result))


def _optimize_week(scenario, scenario_path, folder, start, replications, seed, confidence, max_iterations,
                   confirm_replications, per_group_occupancy, workers, scheduler, max_calls, as_json, quiet, with_report):
    """`callsim optimize` on a week (days:): each open date optimised on its own, the optimised week written."""
    import json

    from presentation.week_optimize_output import format_week_optimize, week_optimize_files
    from studies.optimize import OptimizeError
    from studies.week_optimize import optimize_week

    if with_report:
        raise InputError("--report is not available for a scenario with days: (a week) yet; drop it")
    days = replications or scenario.simulation.replications
    # --max-calls guards one staffing's day, as for one day: the busiest open date's
    busiest = max((scenario.on_day(d) for d, day in enumerate(scenario.days) if not day.closed),
                  key=lambda day_scenario: sum(day_scenario.arrivals.calls))
    steps.check_size([busiest], max(days, 2 * days if confirm_replications is None else confirm_replications),
                     max_calls, True)
    on_start, on_batch = _optimize_display(quiet or as_json)

    def on_date(d: int, date: str) -> None:
        if not (quiet or as_json):
            click.echo(f"{date} ({scenario.days[d].weekday_name}):", err=True)

    with steps.executor(workers, scheduler) as executor:
        try:
            week = optimize_week(scenario, source=str(scenario_path), on_date=on_date, start=start.replace("-", "_"),
                                 replications=replications, seed=seed, confidence=confidence,
                                 max_iterations=max_iterations, executor=executor, per_group=per_group_occupancy,
                                 confirm_replications=confirm_replications, on_start=on_start, on_batch=on_batch)
        except OptimizeError as exc:
            raise InputError(f"{scenario_path}: {exc}") from None
    stem = Path(scenario_path).stem
    document, files = week_optimize_files(week, stem, str(scenario_path))
    written = steps.write(folder, files)
    if as_json:
        click.echo(json.dumps({**document, "files": [str(p) for p in written]}, indent=2, allow_nan=False))
    else:
        steps.echo_done(format_week_optimize(week, str(scenario_path)), folder, written,
                        folder / f"{stem}.optimized.yaml")
    if not week.converged:
        raise NotConverged("NOT CONVERGED on some dates (see the table); the last staffing of each was written")
    if week.infeasible:
        raise TargetsNotMet("some dates cannot meet their targets within the agent limits (see optimize_week.json)")


def _optimize_display(quiet: bool):
    """on_start: what the search will simulate (stderr); on_batch: a progress line on a terminal."""
    import sys
    import time

    from presentation.optimize_output import ProgressLine, effort_text

    lines = []

    def on_start(effort) -> None:
        if not quiet:
            click.echo(effort_text(effort), err=True)
        lines.append(ProgressLine(effort, time.monotonic))

    def on_batch(progress) -> None:
        if not quiet and sys.stderr.isatty():
            click.echo(f"\r  {lines[0](progress)}   ", err=True, nl=False)

    return on_start, on_batch
