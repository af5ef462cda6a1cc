"""callsim command line: options in, one call into the library, output out.

Every command reads its input, calls one study or model function (`simulator`, `planner`,
`studies`), renders the result (`presentation`) and writes or prints it. Errors a user can fix
(`simulator.errors.UserError`: bad scenario, bad option) are printed as one line on stderr with
exit code 2 and no traceback; anything else is a bug: one line asking for a report, exit code
1 (the traceback with CALLSIM_DEBUG=1). Imports happen inside the commands, so a command that
does not simulate never loads the engine, scipy.stats or matplotlib.
"""
from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

import click


class InputError(click.ClickException):
    """A problem the user can fix; printed as one line, exit code 2."""

    exit_code = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="callsim")
def cli() -> None:
    """Simulate inbound call centres and plan their staffing."""


class FiniteFloat(click.FloatRange):
    """A float option in a range that must also be a real number (no nan, no inf)."""

    def convert(self, value, param, ctx):
        import math

        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


# --- options shared by the commands that simulate: one definition, one default each ---


def _cores() -> int:
    return os.cpu_count() or 1


replications_option = click.option(
    "-r", "--replications", type=click.IntRange(min=2, max=10_000), default=None,
    help="independent replications of the day (default: the scenario's, 20)")
seed_option = click.option(
    "-s", "--seed", type=click.IntRange(min=0), default=None, help="root random seed (default: the scenario's)")
workers_option = click.option(
    "-w", "--workers", type=click.IntRange(min=1), default=_cores(), show_default="number of cores",
    help="worker processes; results are identical for any number")
scheduler_option = click.option(
    "--scheduler", metavar="ADDRESS", envvar="CALLSIM_SCHEDULER", default=None,
    help="run the replications as tasks on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786), or "
         "local:N for N local worker processes (needs the dask extra; --workers is then not used; default: "
         "$CALLSIM_SCHEDULER). Results are identical to a local run")
max_calls_option = click.option(
    "--max-calls", type=click.IntRange(min=1), default=3_000_000, show_default=True,
    help="refuse a run expected to simulate more calls than this (all replications and scenarios together)")
json_option = click.option("--json", "as_json", is_flag=True, help="print the JSON document instead of the tables")
no_plots_option = click.option("--no-plots", is_flag=True, help="do not draw the PNG plots")
quiet_option = click.option("-q", "--quiet", is_flag=True, help="no progress display")
volume_option = click.option(
    "--volume", type=FiniteFloat(min=0, min_open=True), default=None, metavar="FACTOR",
    help="what-if: every interval's calls times FACTOR (1.1 = 10%% more), without editing the file")
aht_option = click.option(
    "--aht", type=FiniteFloat(min=0, min_open=True), default=None, metavar="FACTOR",
    help="what-if: every queue's talk time and ACW times FACTOR (their CVs stay), without editing the file")


def _what_if(scenario, volume: float | None, aht: float | None):
    """The scenario with --volume and --aht applied (validated variants, no file round trip)."""
    if volume is not None and volume != 1:
        scenario = scenario.with_volume(volume)
    if aht is not None and aht != 1:
        scenario = scenario.with_scaled_durations("talk_time", aht).with_scaled_durations("acw", aht)
    return scenario


def _not_empty(ctx, param, value):
    if value is not None and not value.strip():
        raise click.BadParameter("is empty; give a folder name, or leave -o out for the default folder")
    return value


def out_option(what: str, default: str):
    return click.option("-o", "--out", type=click.Path(file_okay=False), default=None, callback=_not_empty,
                        help=f"folder for {what} (default: {default})")

# --- staffing maths: callsim erlang ---

_ERLANG_BINDING_TEXT = {
    "service_level": "the service level target",
    "asa": "the ASA target",
    "abandon_rate": "the maximum abandonment rate",
    "occupancy_cap": "the occupancy cap",
    "none": "no target (minimum staffing)",
}


@cli.command()
@click.option("--calls", type=FiniteFloat(min=0), required=True, help="calls offered in the interval")
@click.option("--interval-minutes", type=FiniteFloat(min=0, min_open=True), default=30.0,
              show_default=True, help="interval length in minutes")
@click.option("--aht", type=FiniteFloat(min=0, min_open=True), required=True,
              help="mean handle time in seconds")
@click.option("--agents", type=click.IntRange(min=0), default=None,
              help="evaluate this many agents instead of sizing (reverse calculation)")
# at most a week, a scenario's limit (simulator.schema_base.MAX_DURATION_S, not imported: --help stays light)
@click.option("--patience", type=FiniteFloat(min=0, min_open=True, max=7 * 86_400.0), default=None,
              help="mean caller patience in seconds, at most a week: use Erlang A (abandonment) instead of Erlang C")
@click.option("--sl", type=FiniteFloat(0, 1), default=None,
              help="service level target, fraction answered within --sl-seconds (default 0.8 if no target is given)")
@click.option("--sl-seconds", type=FiniteFloat(min=0), default=20.0, show_default=True,
              help="answer time threshold of the service level, seconds")
@click.option("--asa", type=FiniteFloat(min=0), default=None, help="ASA target in seconds (mean wait of answered calls)")
@click.option("--max-abandon", type=FiniteFloat(0, 1), default=None,
              help="maximum fraction of callers abandoning (needs --patience)")
@click.option("--occupancy", type=(FiniteFloat(0, 1), FiniteFloat(0, 1)), default=(0.75, 0.85),
              show_default=True, metavar="LOW HIGH", help="occupancy band; 0 1 disables it")
@click.option("--shrinkage", type=FiniteFloat(0, 1, max_open=True), default=0.0, show_default=True,
              help="fraction of paid time off the phones (breaks, training, ...)")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def erlang(calls, interval_minutes, aht, agents, patience, sl, sl_seconds, asa, max_abandon, occupancy,
           shrinkage, as_json):
    """Size one interval with Erlang C (or Erlang A with --patience), or evaluate --agents."""
    import json

    from planner.staffing import FLAG_DESCRIPTIONS, StaffingError, StaffingTargets, evaluate_agents, required_agents
    from simulator.numbers import finite_or_none

    if max_abandon is not None and patience is None:
        raise InputError("--max-abandon needs --patience: Erlang C has no abandonment")
    if sl is None and asa is None and max_abandon is None:
        sl = 0.8
    model = "erlang_a" if patience is not None else "erlang_c"
    arrival_rate_per_s = calls / (interval_minutes * 60.0)
    try:
        targets = StaffingTargets(service_level_target=sl, answer_time_threshold_s=sl_seconds, asa_target_s=asa,
                                  max_abandon_rate=max_abandon, occupancy_band=tuple(occupancy))
        if agents is None:
            result = required_agents(arrival_rate_per_s, aht, targets, model, patience, shrinkage)
        else:
            result = evaluate_agents(agents, arrival_rate_per_s, aht, targets, model, patience, shrinkage)
    except StaffingError as exc:  # targets the maths cannot size: the user's to change
        raise InputError(str(exc)) from None

    m = result.metrics
    if as_json:
        document = {
            "agents": result.agents,
            "scheduled_agents": result.scheduled_agents,
            "offered_load_erlangs": m.offered_load_erlangs,
            "p_wait": m.p_wait,
            "asa": finite_or_none(m.asa_s),
            "service_level": m.service_level,
            "occupancy": m.occupancy,
            "p_abandon": m.p_abandon,
            "binding_constraint": result.binding_constraint,
            "flags": list(result.flags),
        }
        click.echo(json.dumps(document, sort_keys=True, allow_nan=False))
        return

    if model == "erlang_a":
        title = f"Erlang A (M/M/N+M: callers abandon, mean patience {patience:g} s)"
    else:
        title = "Erlang C (M/M/N: nobody abandons)"
    asa_text = f"{m.asa_s:.1f} s" if finite_or_none(m.asa_s) is not None else "none (unbounded or no answered calls)"
    sl_target = f" (target {sl:.0%})" if sl is not None else ""
    lines = [
        title,
        f"  offered load      {m.offered_load_erlangs:.2f} Erlangs ({calls:g} calls in {interval_minutes:g} min, AHT {aht:g} s)",
        f"  agents            {result.agents} "
        + (f"(required; set by {_ERLANG_BINDING_TEXT[result.binding_constraint]})" if agents is None else "(given)"),
        f"  scheduled agents  {result.scheduled_agents} (shrinkage {shrinkage:.0%})",
        f"  P(wait)           {m.p_wait:.1%}",
        f"  ASA               {asa_text}",
        f"  service level     {m.service_level:.1%} within {sl_seconds:g} s{sl_target}",
        f"  occupancy         {m.occupancy:.1%} (band {occupancy[0]:.0%} to {occupancy[1]:.0%})",
    ]
    if m.p_abandon is not None:
        lines.append(f"  P(abandon)        {m.p_abandon:.1%}")
    if asa is not None:
        lines.append(f"  ASA target        {asa:g} s")
    if max_abandon is not None:
        lines.append(f"  abandon target    at most {max_abandon:.1%}")
    for flag in result.flags:
        lines.append(f"  note: {FLAG_DESCRIPTIONS.get(flag, flag)}")
    click.echo("\n".join(lines))


# --- simulation commands ---


def _load(path: str, staffing_optional: bool = False):
    from simulator.loading import load_scenario

    return load_scenario(path, staffing_optional)


def _write(folder: Path, files: dict, **advice):
    from presentation.files import write_atomically

    return write_atomically(folder, files, **advice)


def _workers_pool(workers: int, scheduler: str | None = None):
    """One executor for the whole command: a pool of worker processes (None for one worker),
    or the Dask cluster at `scheduler` (`local:N` starts one here)."""
    from simulator.parallel import executor_for

    return executor_for(workers, scheduler)


def _no_pool():
    """For `run` without a scheduler: run_scenario sizes its own pool to the replications."""
    import contextlib

    return contextlib.nullcontext(None)


# whole days with an IVR and callbacks, one core of this 2-core machine (benchmarks/bench_engine.py):
# only used to say how long a big run will take. The default --max-calls keeps any run that is
# not asked for explicitly well under half a minute.
_CALLS_PER_S = 150_000
# every interval's KPIs are estimated and written out whatever its calls: a year of 15-minute
# intervals took 45 s here with no calls at all (the same machine, busy)
_INTERVALS_PER_S = 800


def _check_size(scenarios, replications: int | None, max_calls: int, quiet: bool) -> None:
    """Refuse a run that would simulate more than --max-calls calls (a typo of 1e7 calls in an
    interval, say), and say before a long one starts how long it will take."""
    calls = sum(sum(s.arrivals.calls) * (replications or s.simulation.replications) for s in scenarios)
    intervals = sum(s.n_intervals for s in scenarios)
    seconds = calls / _CALLS_PER_S + intervals / _INTERVALS_PER_S
    took = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:,.0f} minutes"
    if calls > max_calls:
        raise InputError(f"this run would simulate about {calls:,.0f} calls (about {took} here), "
                         f"more than --max-calls {max_calls:,}; check the volumes in arrivals.calls, or pass "
                         f"--max-calls {math.ceil(calls):d} to run it anyway")
    if seconds > 30 and not quiet:
        click.echo(f"about {calls:,.0f} calls to simulate and {intervals:,} intervals to report: roughly {took} here "
                   "(Ctrl-C stops it, writing nothing)", err=True)


def _output_folder(out: str | None, default: str) -> Path:
    """The folder results go to (-o, or results/<default>), checked before any work is done."""
    from presentation.files import check_folder

    return check_folder(Path(out) if out else Path("results") / default)


def _progress(quiet: bool):
    """A stderr progress line for long runs, only when stderr is a terminal."""
    if quiet or not sys.stderr.isatty():
        return None
    started = time.monotonic()

    def show(done: int, total: int) -> None:
        elapsed = time.monotonic() - started
        if elapsed < 1.0 and done < total:
            return
        eta = elapsed / done * (total - done)
        end = "\n" if done == total else ""
        click.echo(f"\r  replications {done}/{total}  ({elapsed:.0f} s, about {eta:.0f} s left)   ", err=True, nl=False)
        if end:
            click.echo("", err=True)

    return show


@cli.command()
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(dir_okay=False))
@replications_option
@seed_option
@out_option("kpis.json, intervals.csv and the plots", "results/<scenario name>/")
@workers_option
@scheduler_option
@json_option
@quiet_option
@no_plots_option
@max_calls_option
@click.option("--report", "with_report", is_flag=True, help="also write report.html (one self-contained page)")
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
    from presentation.documents import intervals_csv, result_document, to_json
    from presentation.text import format_summary
    from simulator.run import run_scenario

    if calls_days is not None and not with_calls:
        raise InputError("--calls-days limits the calls written by --calls-csv; give --calls-csv too")
    scenario = _what_if(_load(scenario_path), volume, aht)
    folder = _output_folder(out, Path(scenario_path).stem)
    _check_size([scenario] * (1 + 2 * len(scenario.agents) if slack else 1), replications, max_calls, quiet or as_json)
    with _workers_pool(workers, scheduler) if scheduler or slack else _no_pool() as pool:
        result = run_scenario(scenario, replications=replications, seed=seed, workers=workers,
                              on_replication_done=_progress(quiet or as_json), executor=pool,
                              sample_day=not no_plots,  # replication 0's records are for the plots only
                              keep_records=with_calls)
        if slack:
            from studies.optimize import slack_intervals

            slack = slack_intervals(scenario, result, executor=pool)
    document_dict = result_document(result)
    if slack:
        from presentation.optimize_output import slack_document

        document_dict["slack"] = slack_document(slack)
    document = to_json(document_dict)
    files = {"kpis.json": document, "intervals.csv": intervals_csv(result)}
    if with_calls:
        from presentation.calls_csv import calls_csv

        files["calls.csv"] = calls_csv(result.days, scenario, first=calls_days)
    if not no_plots:
        from presentation.run_plots import run_plots

        files.update(run_plots(result))
        if scenario.ivr is not None:
            from presentation.menu_diagram import run_menu_diagram

            files.update(run_menu_diagram(result, document_dict.get("funnel")))
    from presentation.report import REPORT_FILE, render_report

    if with_report or (folder / REPORT_FILE).exists():  # never leave an older report beside new results
        files[REPORT_FILE] = render_report(document_dict, {k: v for k, v in files.items() if k.endswith(".png")})
    written = _write(folder, files)  # everything rendered first: nothing half-written on failure
    if as_json:
        click.echo(document, nl=False)
    else:
        click.echo(format_summary(result))
        if slack:
            from presentation.optimize_output import format_slack

            click.echo("\n" + format_slack(slack))
        click.echo(f"\nwritten to {folder}: {', '.join(path.name for path in written)}")


@cli.command()
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(dir_okay=False))
@click.option("-o", "--out", type=click.Path(dir_okay=False), default=None, callback=_not_empty,
              help="the PNG file to write (default: results/<scenario name>/ivr_menu.png)")
def diagram(scenario_path, out):
    """Draw SCENARIO's IVR menu as a PNG, with the expected calls per day on every route (from
    the menu's shares; nothing is simulated)."""
    from presentation.menu_diagram import MENU_DIAGRAM_FILE, scenario_diagram

    target = Path(out) if out else Path("results") / Path(scenario_path).stem / MENU_DIAGRAM_FILE
    if target.suffix.lower() != ".png":
        raise InputError(f"-o {out}: the diagram is a PNG image; give a file name ending in .png")
    folder = _output_folder(str(target.parent), "")
    png = scenario_diagram(_load(scenario_path), scenario_path)
    (path,) = _write(folder, {target.name: png})
    click.echo(f"written: {path}")


@cli.command()
@click.argument("results_dir", metavar="RESULTS_DIR")
def report(results_dir):
    """Rebuild the HTML pages of RESULTS_DIR from the documents and plots there: report.html
    (kpis.json of a run, or comparison.json of a compare), schedule_report.html (schedule.json),
    optimize_report.html (optimize.json)."""
    from presentation.rebuild import reports_from_dir

    pages, skipped = reports_from_dir(results_dir)
    for path in _write(Path(results_dir), pages, instead="a folder you can write in (copy the results there)"):
        click.echo(f"written: {path}")
    for line in skipped:
        click.echo(f"warning: {line}", err=True)


# --- comparisons, sweeps, call traces and lessons ---


def _written_line(folder: Path, written) -> str:
    return f"written to {folder}: {', '.join(path.name for path in written)}"


@cli.command()
@click.argument("scenario_paths", metavar="A.yaml B.yaml [MORE.yaml ...]", nargs=-1, required=True,
                type=click.Path(dir_okay=False))
@replications_option
@seed_option
@out_option("comparison.json, comparison.csv and the plots", "results/compare-<A>-<B>.../")
@workers_option
@scheduler_option
@json_option
@no_plots_option
@quiet_option
@max_calls_option
@click.option("--report", "with_report", is_flag=True, help="also write report.html (one self-contained page)")
@volume_option
@aht_option
@click.option("--baseline", metavar="NAME", default=None,
              help="measure every other scenario against this one (its file name without .yaml, or its name); "
                   "default: the first")
@click.option("--all-pairs", "all_pairs", is_flag=True, help="report the difference of every pair of scenarios")
def compare(scenario_paths, replications, seed, out, workers, scheduler, as_json, no_plots, quiet, max_calls,
            with_report, volume, aht, baseline, all_pairs):
    """Simulate scenarios on the same callers and report each KPI with the paired difference
    (each later scenario minus the first, or minus --baseline, or every pair with --all-pairs)
    and its 95% CI, for the centre, per queue and per interval, which targets each meets, and
    what drives the difference."""
    from presentation.compare_output import (comparison_csv, comparison_document, differences_by_interval_csv,
                                             differences_by_queue_csv, format_comparison)
    from presentation.documents import to_json
    from studies.compare import choose_pairs, compare_scenarios, unique_labels

    if len(scenario_paths) < 2:
        raise InputError("compare needs at least two scenario files, e.g. callsim compare A.yaml B.yaml")
    scenarios = [_what_if(_load(path), volume, aht) for path in scenario_paths]  # the same what-if for every one
    stems = [Path(path).stem for path in scenario_paths]
    choose_pairs(unique_labels(stems), [s.name for s in scenarios], baseline, all_pairs)  # a bad name fails before the run
    folder = _output_folder(out, "-".join(["compare", *stems]))
    _check_size(scenarios, replications or scenarios[0].simulation.replications, max_calls, quiet or as_json)
    with _workers_pool(workers, scheduler) as pool:
        comparison = compare_scenarios(scenarios, stems, replications=replications, seed=seed,
                                       on_replication_done=_progress(quiet or as_json), executor=pool,
                                       baseline=baseline, all_pairs=all_pairs)
    document_dict = comparison_document(comparison, files=list(scenario_paths))
    if volume is not None or aht is not None:  # the what-if the comparison was made under
        document_dict["what_if"] = {"volume": volume, "aht": aht}
    document = to_json(document_dict)
    files = {"comparison.json": document, "comparison.csv": comparison_csv(comparison),
             "differences_by_queue.csv": differences_by_queue_csv(comparison),
             "differences_by_interval.csv": differences_by_interval_csv(comparison)}
    if not no_plots:
        from presentation.compare_plots import comparison_plots

        files.update(comparison_plots(comparison))
        if any(scenario.ivr is not None for scenario in scenarios):
            from presentation.menu_diagram import comparison_menu_diagrams

            files.update(comparison_menu_diagrams(comparison))
    from presentation.report import REPORT_FILE, render_comparison_report

    if with_report or (folder / REPORT_FILE).exists():  # never leave an older report beside new results
        files[REPORT_FILE] = render_comparison_report(document_dict,
                                                      {k: v for k, v in files.items() if k.endswith(".png")})
    written = _write(folder, files)  # everything rendered first: nothing half-written
    if as_json:
        click.echo(document, nl=False)
    else:
        click.echo(format_comparison(comparison), nl=False)
        click.echo(_written_line(folder, written))


@cli.command()
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(dir_okay=False))
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
@replications_option
@seed_option
@out_option("sweep.json, sweep.csv and the plot", "results/sweep-<scenario>/")
@workers_option
@scheduler_option
@json_option
@no_plots_option
@quiet_option
@max_calls_option
def sweep(scenario_path, agents_range, group, interval, vary, replications, seed, out, workers, scheduler, as_json,
          no_plots, quiet, max_calls):
    """Simulate SCENARIO over a range of staffing or of a scaled input; each KPI per point with
    its 95% CI beside the Erlang C / Erlang A prediction (single-queue scenarios)."""
    from presentation.documents import to_json
    from presentation.sweep_output import format_sweep, sweep_csv, sweep_document
    from studies.sweep import parse_agents, parse_vary, run_sweep

    scenario = _load(scenario_path)
    if agents_range is None and vary is None:
        raise InputError("nothing to sweep: give --agents START:STOP, --vary PARAM=START:STOP:STEP, or both")
    if group is not None and agents_range is None:
        raise InputError("--group names the group --agents staffs; give --agents too")
    folder = _output_folder(out, f"sweep-{Path(scenario_path).stem}")
    agents, relative = parse_agents(agents_range) if agents_range is not None else (None, False)
    parameter, factors = parse_vary(vary) if vary is not None else (None, None)
    points = len(agents or [None]) * len(factors or [None])
    volume = max(factors) if parameter == "volume" else 1.0
    _check_size([scenario.with_volume(volume)] * points, replications, max_calls, quiet or as_json)
    with _workers_pool(workers, scheduler) as pool:
        result = run_sweep(scenario, agents, relative, group, interval, parameter, factors, replications=replications,
                           seed=seed, on_replication_done=_progress(quiet or as_json), executor=pool)
    document = to_json(sweep_document(result))
    files = {"sweep.json": document, "sweep.csv": sweep_csv(result)}
    if not no_plots:
        from presentation.sweep_plots import sweep_plots

        files.update(sweep_plots(result))
    written = _write(folder, files)
    if as_json:
        click.echo(document, nl=False)
    else:
        click.echo(format_sweep(result))
        click.echo(_written_line(folder, written))


@cli.command()
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(dir_okay=False))
@click.option("-n", "--calls", type=click.IntRange(min=1), default=20, show_default=True, help="how many calls to show")
@click.option("-s", "--seed", type=click.IntRange(min=0), default=None, help="root random seed (default: the scenario's)")
@max_calls_option
@click.option("--from", "from_clock", metavar="HH:MM", default=None,
              help="start with the first call at or after this clock time (default: the start of the day)")
def trace(scenario_path, calls, seed, from_clock, max_calls):
    """Print a readable timeline of individual calls from one simulated day (replication 0):
    IVR, queue, wait, who answered, talk and ACW, abandonment, callbacks, redials."""
    from presentation.trace import trace_lines
    from simulator.engine import simulate_replication
    from simulator.errors import UserError

    scenario = _load(scenario_path)
    _check_size([scenario], 1, max_calls, False)
    seed = scenario.simulation.seed if seed is None else seed
    try:
        from_s = scenario.offset_of_clock(from_clock) if from_clock is not None else 0.0
    except UserError as exc:
        raise InputError(f"--from: {exc}") from None
    records = simulate_replication(scenario, seed, 0).records
    lines = trace_lines(records, scenario, calls, from_s)
    click.echo(f"{scenario.name}: one simulated day (replication 0, seed {seed}; {len(records):,} calls), "
               f"{len(lines)} call{'' if len(lines) == 1 else 's'} from {from_clock or scenario.start}")
    click.echo("\n".join(lines) if lines else "no call started after that time")


@cli.command()
@click.argument("names", metavar="[LESSON ...]", nargs=-1, type=click.Choice(["cliff", "pooling", "variability"]))
@click.option("-o", "--out", type=click.Path(file_okay=False), default=None, callback=_not_empty,
              help="folder for the plots and explanations (default: results/lessons/)")
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

    folder = _output_folder(out, "lessons")
    chosen = [name for name in LESSONS if not names or name in names]
    with _workers_pool(workers, scheduler) as pool:
        results = [RENDERERS[name](STUDIES[name](replications, on_done=_progress(quiet), executor=pool))
                   for name in chosen]
    files = {}
    for lesson in results:
        files.update(lesson.files)
    written = _write(folder, files)
    click.echo("\n".join(lesson.text for lesson in results))
    click.echo(_written_line(folder, written))


@cli.command()
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(dir_okay=False))
def validate(scenario_path):
    """Check a scenario file and explain what is wrong, if anything."""
    scenario = _load(scenario_path)
    queues = ", ".join(q.name for q in scenario.queues)
    groups = ", ".join(f"{g.name} (serves {', '.join(g.serves)})" for g in scenario.agents)
    click.echo(f"{scenario_path}: OK: '{scenario.name}', {scenario.n_intervals} x {scenario.interval_minutes}-minute "
               f"intervals from {scenario.start}, {sum(scenario.arrivals.calls):g} calls expected; "
               f"queues: {queues}; agent groups: {groups}")


@cli.command()
def schema():
    """Print the scenario file's JSON Schema (for editor completion and checking)."""
    import json

    from simulator.scenario import Scenario

    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **Scenario.model_json_schema()}
    click.echo(json.dumps(document, indent=2))


# --- staffing plan: callsim plan ---


@cli.command()
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(dir_okay=False))
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
@click.option("--report", "with_report", is_flag=True,
              help="also write plan_report.html: the simulated day of the plan as one page (implies --verify)")
@volume_option
@aht_option
@quiet_option
@click.option("--baseline", "baseline_dir", metavar="OTHER_PLAN_DIR", type=click.Path(file_okay=False), default=None,
              help="a folder written by an earlier callsim plan: show per interval and for the day the change in "
                   "agents, agent-hours and predicted KPIs; writes plan_diff.csv")
def plan(scenario_path, model, verify, replications, seed, workers, scheduler, shrinkage, carry_over, out, as_json, no_plots,
         max_calls, no_slack, with_report, volume, aht, quiet, baseline_dir):
    """Plan agents per interval for SCENARIO (Erlang C/A, targets, occupancy band); --verify simulates it."""
    import json

    from planner.plan import PlanError, plan_scenario
    from planner.planned import planned_scenario, planned_yaml
    from planner.verify import verify_plan
    from presentation.plan_output import (format_plan, format_verification, plan_csv, plan_document,
                                          verification_document, verify_csv)

    baseline_rows = None
    if baseline_dir is not None:  # read first: a bad baseline stops before any work
        from studies.plan_diff import read_plan_rows

        baseline_rows = read_plan_rows(baseline_dir)
    scenario = _what_if(_load(scenario_path, staffing_optional=True), volume, aht)  # plan makes the staffing
    folder = _output_folder(out, Path(scenario_path).stem)
    try:
        the_plan = plan_scenario(scenario, model=model.replace("-", "_") if model else None, shrinkage=shrinkage,
                                 carry_over=carry_over)
    except PlanError as exc:
        raise InputError(f"{scenario_path}: {exc}") from None
    stem = Path(scenario_path).stem
    planned_text = planned_yaml(the_plan, source=str(scenario_path))
    planned = planned_scenario(the_plan, planned_text)
    document = plan_document(the_plan, source=str(scenario_path))
    if volume is not None or aht is not None:  # the what-if the plan was made under
        document["what_if"] = {"volume": volume, "aht": aht}
    files = {"plan.csv": plan_csv(the_plan), f"{stem}.planned.yaml": planned_text}
    diff = None
    if baseline_rows is not None:
        from presentation.plan_diff_output import plan_diff_csv
        from studies.plan_diff import diff_plans, parse_plan_csv

        diff = diff_plans(parse_plan_csv(files["plan.csv"], "plan.csv"), baseline_rows, scenario.interval_minutes,
                          str(baseline_dir))
        files["plan_diff.csv"] = plan_diff_csv(diff)
    verification = slack = None
    if verify or with_report:
        _check_size([planned] * (1 if no_slack else 1 + 2 * len(planned.agents)), replications, max_calls,
                    quiet or as_json)
        with _workers_pool(workers, scheduler) as pool:
            verification = verify_plan(the_plan, planned, replications=replications, seed=seed,
                                       on_replication_done=_progress(quiet or as_json), executor=pool)
            if not no_slack:
                from studies.optimize import slack_intervals

                slack = slack_intervals(planned, verification.result, executor=pool)
        document["verify"] = verification_document(verification)
        if slack is not None:
            from presentation.optimize_output import slack_document

            document["verify"]["slack"] = slack_document(slack)
        files["verify.csv"] = verify_csv(verification)
    if not no_plots:
        from presentation.plan_plots import plan_plots

        files.update(plan_plots(the_plan, verification))
    if with_report:
        from presentation.documents import result_document
        from presentation.report import render_report
        from presentation.run_plots import run_plots

        images = {} if no_plots else run_plots(verification.result)
        images.update({k: v for k, v in files.items() if k.endswith(".png")})
        missed = sum(1 for row in verification.rows[:-1] if row.missed)
        note = (f"The simulated day of the staffing planned by 'callsim plan' from {scenario_path} "
                f"(shrinkage {shrinkage:.0%}): {missed} of {scenario.n_intervals} intervals miss a target the "
                "Erlang maths met; verify.csv and plan.csv beside this page have the interval-by-interval comparison.")
        files["plan_report.html"] = render_report(result_document(verification.result), images, [note])
    written = _write(folder, files)  # everything rendered first: nothing half-written on failure
    document["files"] = [str(path) for path in written]
    if as_json:
        click.echo(json.dumps(document, indent=2, allow_nan=False))
        return
    click.echo(format_plan(the_plan, source=str(scenario_path)))
    if diff is not None:
        from presentation.plan_diff_output import format_plan_diff

        click.echo("")
        click.echo(format_plan_diff(diff))
    if verification is not None:
        click.echo("")
        click.echo(format_verification(verification))
    if slack is not None:
        from presentation.optimize_output import format_slack

        click.echo("\n" + format_slack(slack))
    click.echo(f"\nwritten to {folder}: {', '.join(path.name for path in written)}")
    click.echo(f"simulate the plan: callsim run {folder / f'{stem}.planned.yaml'}")


# --- shifts: callsim schedule ---


def _status_line(quiet: bool, text):
    """A one-line status on a terminal's stderr, rewritten in place: text(state) for each state."""
    if quiet or not sys.stderr.isatty():
        return None
    return lambda state: click.echo(f"\r  {text(state)}   ", err=True, nl=False)


@cli.command()
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(dir_okay=False))
@click.option("--requirements", "requirements_path", metavar="FILE", type=click.Path(dir_okay=False), default=None,
              help="agents needed on the phones per interval: a plan.csv written by 'callsim plan', or a scenario "
                   "YAML (a *.planned.yaml, say) whose staffing is the requirement")
@click.option("--from-plan", is_flag=True,
              help="the requirement is the scenario's Erlang plan, as 'callsim plan' makes it (the default)")
@click.option("--shrinkage", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="share of desk time lost beyond the modelled breaks (training, absence); default: shifts.shrinkage")
@click.option("--time-limit", "time_limit_s", type=click.FloatRange(min=0, min_open=True), default=60.0,
              show_default=True, help="seconds HiGHS may spend on a schedule (each round of --by-simulation); past it the best schedule "
                   "found and its optimality gap are reported")
@click.option("--verify", is_flag=True,
              help="simulate the scheduled staffing beside the requirement's, on the same callers")
@click.option("--by-simulation", is_flag=True,
              help="simulate the schedule, require one agent more wherever an interval misses a service target, "
                   "solve again, until none misses (or --max-rounds); writes the rounds to by_simulation.csv")
@click.option("--max-rounds", type=click.IntRange(1, 100), default=25, show_default=True,
              help="rounds of --by-simulation at most; stopping there is NOT CONVERGED, exit code 1")
@replications_option
@seed_option
@workers_option
@scheduler_option
@max_calls_option
@out_option("shifts.csv, coverage.csv, the scheduled scenario and the plot", "results/<scenario name>/")
@json_option
@no_plots_option
@quiet_option
@click.option("--report", "with_report", is_flag=True, help="also write schedule_report.html (one self-contained page)")
@click.option("--agents", "agents_path", metavar="AGENTS.csv", type=click.Path(dir_okay=False), default=None,
              help="with days: and shifts.contracts: (a week), the named agents to roster (name, contract, groups; "
                   "optional unavailable, preferred_off, weekends_before, late_before): writes roster.csv by name")
def schedule(scenario_path, requirements_path, from_plan, shrinkage, time_limit_s, verify, by_simulation, max_rounds,
             replications, seed, workers, scheduler, max_calls, out, as_json, no_plots, quiet, with_report, agents_path):
    """Build shifts with breaks from SCENARIO's shifts: section: the least-cost shifts that put at least the required
    agents on the phones in every interval (an integer programme solved to proven optimality by HiGHS). With days:
    and shifts.contracts:, weekly tours with days off (and, with --agents, a roster of named agents)."""
    from presentation.schedule_output import format_study, not_converged_message, schedule_files, solver_progress_text
    from studies.schedule import load_requirement, run_schedule

    if from_plan and requirements_path is not None:
        raise InputError("give either --requirements FILE or --from-plan, not both")
    scenario = _load(scenario_path, staffing_optional=True)  # shifts are made from the requirement
    if scenario.days is not None and scenario.shifts is not None and scenario.shifts.contracts is not None:
        for flag, given in (("--requirements", requirements_path), ("--verify", verify),
                            ("--by-simulation", by_simulation), ("--report", with_report)):
            if given:
                raise InputError(f"{flag} is not available for a week (days: with shifts.contracts:) yet; drop it")
        _schedule_week(scenario, scenario_path, shrinkage, time_limit_s, agents_path, out, as_json, no_plots)
        return
    if agents_path is not None:
        raise InputError("--agents needs a week: days: and shifts.contracts: in the scenario")
    folder = _output_folder(out, Path(scenario_path).stem)
    requirement = load_requirement(scenario, requirements_path)
    if verify or by_simulation:  # each round simulates the day twice at most (requirement and schedule)
        _check_size([scenario] * (2 + (max_rounds if by_simulation else 0)), replications, max_calls, quiet or as_json)
    with _workers_pool(workers, scheduler) as pool:
        study = run_schedule(scenario, requirement, shrinkage, time_limit_s, verify, by_simulation, max_rounds,
                             replications, seed, workers, _progress(quiet or as_json), where=f"{scenario_path}: ",
                             executor=pool, on_solver_progress=_status_line(quiet or as_json, solver_progress_text))
    stem = Path(scenario_path).stem
    files = schedule_files(study, stem, str(scenario_path), plots=not no_plots, report=with_report)
    written = _write(folder, files)  # everything rendered first: nothing half-written on failure
    if as_json:
        click.echo(files["schedule.json"], nl=False)
    else:
        click.echo(format_study(study, str(scenario_path)))
        click.echo(f"\n{_written_line(folder, written)}")
        click.echo(f"simulate the schedule: callsim run {folder / f'{stem}.scheduled.yaml'}")
    if study.by_rounds is not None and study.by_rounds.round_limit:
        raise TargetsNotMet(not_converged_message(study.by_rounds))


def _schedule_week(scenario, scenario_path, shrinkage, time_limit_s, agents_path, out, as_json, no_plots):
    from presentation.week_output import format_week, week_files
    from studies.week import schedule_week

    folder = _output_folder(out, Path(scenario_path).stem)
    study = schedule_week(scenario, shrinkage, time_limit_s, agents_path, where=f"{scenario_path}: ")
    files = week_files(study, str(scenario_path), plots=not no_plots)
    written = _write(folder, files)  # everything rendered first: nothing half-written on failure
    if as_json:
        click.echo(files["week.json"], nl=False)
        return
    click.echo(format_week(study, str(scenario_path)))
    click.echo(f"\n{_written_line(folder, written)}")


# --- scenarios from data: callsim fit ---


@cli.command()
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
@click.option("--report", "with_report", is_flag=True, help="also write fit_report.html and the PNGs (Q-Q plots, "
              "Kaplan-Meier beside the fitted patience, arrivals)")
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
    from presentation.documents import versions
    from presentation.fit_output import fit_document, fit_plots, fitted_yaml, format_fit, render_fit_report
    from studies.fit import fit_call_log, fit_interval_report
    from studies.fit_input import day_filter, read_call_log, read_interval_report

    if aht_cv is not None and report_path is None:
        raise InputError("--aht-cv is for --intervals reports; a call log gives the handle times themselves")
    if (calls_path is None) == (report_path is None):
        raise InputError("give either a call log CALLS.csv or --intervals REPORT.csv (one of them)")
    minutes = int(interval_minutes)
    source = calls_path or report_path
    stem = Path(source).stem
    target = Path(out) if out else Path("results") / f"fit-{stem}" / f"{stem}.fitted.yaml"
    _output_folder(str(target.parent), "")  # checked before the log is read
    if calls_path is not None:
        log = read_call_log(calls_path, columns)
        result = fit_call_log(log, day_filter(log.day, days, weekday, calls_path), minutes, name)
    else:
        report_data = read_interval_report(report_path, columns)
        keep = day_filter(report_data.day, days, weekday, report_path)
        with _workers_pool(workers) as pool:
            result = fit_interval_report(report_data, keep, minutes, name, replications=replications, executor=pool,
                                         aht_cv=aht_cv, on_replication_done=_progress(quiet))
    files = {target.name: fitted_yaml(result), "fit.json": fit_document(result, versions())}
    if with_report:
        images = fit_plots(result)
        files.update(images)
        files["fit_report.html"] = render_fit_report(result, images, versions())
    written = _write(target.parent, files)  # everything rendered first: nothing half-written
    click.echo(format_fit(result))
    click.echo(_written_line(target.parent, written))
    click.echo(f"simulate it: callsim run {target}")


# --- calls per interval for the days ahead, from history: callsim forecast ---


@cli.command()
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
@click.option("--report", "with_report", is_flag=True, help="also write forecast_report.html")
def forecast(history_path, horizon, interval_minutes, closed, out, with_report):
    """Forecast calls per interval from HISTORY.csv (interval counts datetime,calls[,aht_s], or a call log
    as 'callsim run --calls-csv' writes): methods chosen by a rolling-origin backtest, an 80% prediction
    interval calibrated on it, and the day-to-day forecast error as busyness_cv for the plan."""
    from presentation.documents import versions
    from presentation.forecast_output import (backtest_csv, forecast_csv, forecast_document, forecast_plots,
                                              format_forecast, render_forecast_report)
    from studies.forecast import forecast_history
    from studies.forecast_input import check_horizon, check_interval, read_closed, read_history

    check_horizon(horizon), check_interval(interval_minutes)
    folder = _output_folder(out, f"forecast-{Path(history_path).stem}")
    result = forecast_history(read_history(history_path, interval_minutes), horizon, read_closed(closed))
    images = forecast_plots(result)
    files = {"forecast.csv": forecast_csv(result), "backtest.csv": backtest_csv(result),
             "forecast.json": forecast_document(result, versions()), **images}
    if with_report:
        files["forecast_report.html"] = render_forecast_report(result, images, versions())
    written = _write(folder, files)
    click.echo(format_forecast(result))
    click.echo(_written_line(folder, written))


# --- the cheapest staffing that meets every target in simulation: callsim optimize ---


class TargetsNotMet(click.ClickException):
    """The search finished but some intervals cannot meet their targets: results were written."""

    exit_code = 1


def _optimize_display(quiet: bool):
    """on_start: what the search will simulate (stderr); on_batch: a progress line on a terminal."""
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


@cli.command()
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(dir_okay=False))
@click.option("--start", type=click.Choice(["erlang", "carry-over", "scenario"]), default="erlang", show_default=True,
              help="staffing to start from: the Erlang plan, the carry-over plan or the scenario's own")
@replications_option
@seed_option
@click.option("--confidence", type=click.FloatRange(0.5, 1, max_open=True), default=None,
              help="a target must hold for the one-sided bound at this confidence (e.g. 0.95), not only the mean")
@click.option("--max-iterations", type=click.IntRange(min=1, max=10_000), default=60, show_default=True,
              help="simulated batches at most before stopping")
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
@click.option("--report", "with_report", is_flag=True, help="also write optimize_report.html (one self-contained page)")
def optimize(scenario_path, start, replications, seed, confidence, max_iterations, confirm_replications,
             per_group_occupancy, out, workers, scheduler, max_calls, volume, aht, as_json, no_plots, quiet, with_report):
    """The cheapest staffing per interval and group that meets every target in simulation,
    with the trace of every staffing tried (ISA-style whole-day iteration, then marginal
    analysis on common random numbers)."""
    import json

    from presentation.optimize_output import (confirmation_csv, format_optimize, infeasible_message,
                                              optimize_document, optimized_yaml, to_json, trace_csv, trace_document)
    from studies.optimize import OptimizeError, optimize_staffing

    scenario = _what_if(_load(scenario_path, staffing_optional=start != "scenario"), volume, aht)
    folder = _output_folder(out, Path(scenario_path).stem)
    # --max-calls guards against a mistyped volume: one staffing's day on the most replications used
    days = replications or scenario.simulation.replications
    _check_size([scenario], max(days, 2 * days if confirm_replications is None else confirm_replications), max_calls,
                True)
    on_start, on_batch = _optimize_display(quiet or as_json)
    with _workers_pool(workers, scheduler) as executor:
        try:
            result = optimize_staffing(scenario, start=start.replace("-", "_"), replications=replications, seed=seed,
                                       confidence=confidence, max_iterations=max_iterations, executor=executor,
                                       per_group=per_group_occupancy, confirm_replications=confirm_replications,
                                       on_start=on_start, on_batch=on_batch)
        except OptimizeError as exc:
            raise InputError(f"{scenario_path}: {exc}") from None
    stem = Path(scenario_path).stem
    document = optimize_document(result, source=str(scenario_path))
    files = {"optimize.json": to_json(document), "optimize_trace.csv": trace_csv(result),
             "optimize_trace.json": to_json(trace_document(result)),
             **({"optimize_confirmation.csv": confirmation_csv(result)} if result.confirmation is not None else {}),
             f"{stem}.optimized.yaml": optimized_yaml(result, source=str(scenario_path))}
    if not no_plots:
        from presentation.optimize_plots import optimize_plots

        files.update(optimize_plots(result))
    if with_report:
        from presentation.optimize_report import optimize_report

        files["optimize_report.html"] = optimize_report(result, {k: v for k, v in files.items() if k.endswith(".png")},
                                                        source=str(scenario_path), with_run_plots=not no_plots)
    written = _write(folder, files)  # everything rendered first: nothing half-written on failure
    if as_json:
        click.echo(json.dumps({**document, "files": [str(p) for p in written]}, indent=2, allow_nan=False))
    else:
        click.echo(format_optimize(result, source=str(scenario_path)))
        click.echo(f"\nwritten to {folder}: {', '.join(path.name for path in written)}")
        click.echo(f"simulate it: callsim run {folder / f'{stem}.optimized.yaml'}")
    if result.infeasible or not result.converged:
        raise TargetsNotMet(infeasible_message(result))


@cli.command()
@click.argument("scenario_path", metavar="[SCENARIO]", required=False, type=click.Path(dir_okay=False))
@click.option("--port", type=click.IntRange(1024, 65535), default=8501, show_default=True,
              help="port on 127.0.0.1 to serve the app on")
@click.option("--no-browser", is_flag=True, help="do not open a browser (it is never opened without a display)")
def app(scenario_path, port, no_browser):
    """Start the local web app (calculator, simulate, replay, lessons, compare) on 127.0.0.1,
    reachable from this computer only. Needs the app extra: pip install -e '.[app]'."""
    import importlib.util
    import subprocess

    if importlib.util.find_spec("streamlit") is None or importlib.util.find_spec("plotly") is None:
        raise InputError("the app needs Streamlit and Plotly: pip install -e '.[app]' (or pip install 'callsim[app]')")
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if scenario_path is not None:
        _load(scenario_path)  # a broken file is reported here, as one line, before anything starts
        env["CALLSIM_APP_SCENARIO"] = str(Path(scenario_path).resolve())
    display = bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")) or sys.platform in ("darwin", "win32")
    headless = no_browser or not display
    command = [sys.executable, "-m", "streamlit", "run", str(Path(root) / "app" / "main.py"),
               "--server.address", "127.0.0.1", "--server.port", str(port),
               "--server.headless", "true" if headless else "false", "--browser.gatherUsageStats", "false",
               "--browser.serverAddress", "127.0.0.1", "--global.developmentMode", "false",
               "--client.toolbarMode", "minimal"]
    click.echo(f"callsim app: serving on http://127.0.0.1:{port}/ (this computer only: bound to 127.0.0.1, not "
               f"reachable from the network); {'open that address in a browser' if headless else 'opening a browser'}; "
               "Ctrl-C stops it.", err=True)
    try:
        completed = subprocess.run(command, env=env)
    except KeyboardInterrupt:
        raise click.exceptions.Abort() from None
    if completed.returncode not in (0, -2, 130):
        raise InputError(f"the app stopped with exit code {completed.returncode} (is port {port} already in use? "
                         "try --port)")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command, print what it prints, then move its result files into
    place (none of them if the printing fails: `presentation.files.printed_then_written`)."""
    from presentation.files import printed_then_written

    return printed_then_written(lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    """Run the click group; a user error is one line and exit 2, a bug one line and exit 1
    (with the traceback when CALLSIM_DEBUG=1)."""
    from simulator.errors import UserError, cut_long_words, one_line
    from simulator.parallel import sigterm_as_interrupt, was_terminated

    try:
        with sigterm_as_interrupt():  # SIGTERM ends the command as Ctrl-C does
            cli.main(args=argv, prog_name="callsim", standalone_mode=False)
    except click.exceptions.Abort:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # going down already: a second Ctrl-C must not interrupt that
        if was_terminated():
            click.echo("callsim: stopped (SIGTERM); nothing half-written was kept.", err=True)
            return 143
        click.echo("callsim: interrupted; nothing half-written was kept.", err=True)
        return 130
    except click.UsageError as exc:
        where = f"{exc.ctx.command_path}: " if exc.ctx is not None else "callsim: "
        click.echo(f"{where}error: {cut_long_words(exc.format_message())}", err=True)
        return 2
    except click.ClickException as exc:
        click.echo(f"callsim: error: {cut_long_words(exc.format_message())}", err=True)
        return exc.exit_code
    except UserError as exc:
        click.echo(f"callsim: error: {cut_long_words(one_line(exc))}", err=True)
        return 2
    except Exception as exc:  # a bug in callsim, never the user's fault
        from concurrent.futures.process import BrokenProcessPool

        if isinstance(exc, BrokenProcessPool) and not was_terminated():
            # the same SIGTERM sent to the whole group can end a worker, and so fail a job, before
            # this process's own handler has run: give a pending signal the moment it needs
            import time

            try:
                time.sleep(0.5)
            except KeyboardInterrupt:
                pass
        if was_terminated():  # a worker ended by the same SIGTERM can fail a job first: not a bug
            click.echo("callsim: stopped (SIGTERM); nothing half-written was kept.", err=True)
            return 143
        if os.environ.get("CALLSIM_DEBUG") == "1":
            import traceback

            traceback.print_exc()
        click.echo(f"callsim: internal error ({type(exc).__name__}: {one_line(exc)[:300]}); this is a bug in "
                   "callsim: please report it with the command you ran (CALLSIM_DEBUG=1 shows the traceback)",
                   err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
