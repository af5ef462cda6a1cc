"""callsim command line: options in, one call into the library, output out.

Every command reads its input, calls one study or model function (`simulator`, `planner`,
`studies`), renders the result (`presentation`) and writes or prints it. Errors a user can fix
(`simulator.errors.UserError`: bad scenario, bad option) are printed as one line on stderr with
exit code 2 and no traceback; anything else is a bug: one line asking for a report, exit code
1 (the traceback with CALLSIM_DEBUG=1). Imports happen inside the commands, so a command that
does not simulate never loads the engine, scipy.stats or matplotlib.
"""
from __future__ import annotations

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
json_option = click.option("--json", "as_json", is_flag=True, help="print the JSON document instead of the tables")
no_plots_option = click.option("--no-plots", is_flag=True, help="do not draw the PNG plots")
quiet_option = click.option("-q", "--quiet", is_flag=True, help="no progress display")


def out_option(what: str, default: str):
    return click.option("-o", "--out", type=click.Path(file_okay=False), default=None,
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
@click.option("--patience", type=FiniteFloat(min=0, min_open=True), default=None,
              help="mean caller patience in seconds: use Erlang A (abandonment) instead of Erlang C")
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


def _load(path: str):
    from simulator.loading import load_scenario

    return load_scenario(path)


def _write(folder: Path, files: dict):
    from presentation.files import write_atomically

    return write_atomically(folder, files)


def _workers_pool(workers: int):
    """One pool of worker processes for the whole command (None for one worker)."""
    from simulator.parallel import executor_for

    return executor_for(workers)


def _results_dir(out: str | None, scenario_path: str) -> Path:
    return Path(out) if out else Path("results") / Path(scenario_path).stem


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
@json_option
@quiet_option
@no_plots_option
@click.option("--report", "with_report", is_flag=True, help="also write report.html (one self-contained page)")
def run(scenario_path, replications, seed, out, workers, as_json, quiet, no_plots, with_report):
    """Simulate SCENARIO and report its KPIs with 95% confidence intervals."""
    from presentation.documents import intervals_csv, result_document, to_json
    from presentation.text import format_summary
    from simulator.run import run_scenario

    scenario = _load(scenario_path)
    result = run_scenario(scenario, replications=replications, seed=seed, workers=workers,
                          on_replication_done=_progress(quiet or as_json))
    document_dict = result_document(result)
    document = to_json(document_dict)
    folder = _results_dir(out, scenario_path)
    files = {"kpis.json": document, "intervals.csv": intervals_csv(result)}
    if not no_plots:
        from presentation.run_plots import run_plots

        files.update(run_plots(result))
    from presentation.report import REPORT_FILE, render_report

    if with_report or (folder / REPORT_FILE).exists():  # never leave an older report beside new results
        files[REPORT_FILE] = render_report(document_dict, {k: v for k, v in files.items() if k.endswith(".png")})
    written = _write(folder, files)  # everything rendered first: nothing half-written on failure
    if as_json:
        click.echo(document, nl=False)
    else:
        click.echo(format_summary(result))
        click.echo(f"\nwritten to {folder}: {', '.join(path.name for path in written)}")


@cli.command()
@click.argument("results_dir", metavar="RESULTS_DIR")
def report(results_dir):
    """Write RESULTS_DIR/report.html from the kpis.json and plots a run left there, or from the
    comparison.json and plots of a compare."""
    from presentation.report import REPORT_FILE, report_from_dir

    page = report_from_dir(results_dir)
    (path,) = _write(Path(results_dir), {REPORT_FILE: page})
    click.echo(f"written: {path}")


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
@json_option
@no_plots_option
@quiet_option
@click.option("--report", "with_report", is_flag=True, help="also write report.html (one self-contained page)")
def compare(scenario_paths, replications, seed, out, workers, as_json, no_plots, quiet, with_report):
    """Simulate scenarios on the same callers and report each KPI with the paired difference
    (each later scenario minus the first) and its 95% CI, which targets each meets, and what
    drives the difference."""
    from presentation.compare_output import comparison_csv, comparison_document, format_comparison
    from presentation.documents import to_json
    from studies.compare import compare_scenarios

    if len(scenario_paths) < 2:
        raise InputError("compare needs at least two scenario files, e.g. callsim compare A.yaml B.yaml")
    scenarios = [_load(path) for path in scenario_paths]
    stems = [Path(path).stem for path in scenario_paths]
    with _workers_pool(workers) as pool:
        comparison = compare_scenarios(scenarios, stems, replications=replications, seed=seed,
                                       on_replication_done=_progress(quiet or as_json), executor=pool)
    document_dict = comparison_document(comparison, files=list(scenario_paths))
    document = to_json(document_dict)
    folder = Path(out) if out else Path("results") / "-".join(["compare", *stems])
    files = {"comparison.json": document, "comparison.csv": comparison_csv(comparison)}
    if not no_plots:
        from presentation.compare_plots import comparison_plots

        files.update(comparison_plots(comparison))
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
@json_option
@no_plots_option
@quiet_option
def sweep(scenario_path, agents_range, group, interval, vary, replications, seed, out, workers, as_json, no_plots,
          quiet):
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
    agents, relative = parse_agents(agents_range) if agents_range is not None else (None, False)
    parameter, factors = parse_vary(vary) if vary is not None else (None, None)
    with _workers_pool(workers) as pool:
        result = run_sweep(scenario, agents, relative, group, interval, parameter, factors, replications=replications,
                           seed=seed, on_replication_done=_progress(quiet or as_json), executor=pool)
    document = to_json(sweep_document(result))
    folder = Path(out) if out else Path("results") / f"sweep-{Path(scenario_path).stem}"
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
@click.option("--from", "from_clock", metavar="HH:MM", default=None,
              help="start with the first call at or after this clock time (default: the start of the day)")
def trace(scenario_path, calls, seed, from_clock):
    """Print a readable timeline of individual calls from one simulated day (replication 0):
    IVR, queue, wait, who answered, talk and ACW, abandonment, callbacks, redials."""
    from presentation.trace import trace_lines
    from simulator.engine import simulate_replication
    from simulator.errors import UserError

    scenario = _load(scenario_path)
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
@click.option("-o", "--out", type=click.Path(file_okay=False), default=None,
              help="folder for the plots and explanations (default: results/lessons/)")
@click.option("-r", "--replications", type=click.IntRange(min=2, max=10_000), default=None,
              help="replications per scenario (default: 20; 60 for variability)")
@workers_option
@quiet_option
def lessons(names, out, replications, workers, quiet):
    """Three demonstrations for trainers, each a plot and a short explanation: the occupancy-wait
    cliff, pooling (two teams vs one), and variability (same AHT, different spread). LESSON
    picks some (default: all three)."""
    from presentation.lessons_output import RENDERERS
    from studies.lessons import LESSONS, STUDIES

    chosen = [name for name in LESSONS if not names or name in names]
    with _workers_pool(workers) as pool:
        results = [RENDERERS[name](STUDIES[name](replications, on_done=_progress(quiet), executor=pool))
                   for name in chosen]
    folder = Path(out) if out else Path("results") / "lessons"
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

    click.echo(json.dumps(Scenario.model_json_schema(), indent=2))


# --- staffing plan: callsim plan ---


@cli.command()
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(dir_okay=False))
@click.option("--model", type=click.Choice(["erlang-c", "erlang-a"]), default=None,
              help="force one model for every queue (default: Erlang A where callers abandon, else Erlang C)")
@click.option("--verify", is_flag=True, help="simulate the planned staffing and compare it with the plan")
@replications_option
@seed_option
@workers_option
@click.option("--shrinkage", type=click.FloatRange(0, 1, max_open=True), default=0.0, show_default=True,
              help="fraction of paid time off the phones: scheduled = required / (1 - shrinkage)")
@click.option("--carry-over", is_flag=True,
              help="size each interval for the work agents actually carry, calls still in progress from earlier "
                   "intervals included (modified offered load), instead of its own arrivals (plain SIPP): holds up "
                   "when volume changes fast, above all after a peak")
@out_option("plan.csv, the planned scenario and the plots", "results/<scenario name>/")
@json_option
@no_plots_option
@click.option("--report", "with_report", is_flag=True,
              help="also write plan_report.html: the simulated day of the plan as one page (implies --verify)")
def plan(scenario_path, model, verify, replications, seed, workers, shrinkage, carry_over, out, as_json, no_plots,
         with_report):
    """Plan agents per interval for SCENARIO (Erlang C/A, targets, occupancy band); --verify simulates it."""
    import json

    from planner.plan import PlanError, plan_scenario
    from planner.planned import planned_scenario, planned_yaml
    from planner.verify import verify_plan
    from presentation.plan_output import (format_plan, format_verification, plan_csv, plan_document,
                                          verification_document, verify_csv)

    scenario = _load(scenario_path)
    try:
        the_plan = plan_scenario(scenario, model=model.replace("-", "_") if model else None, shrinkage=shrinkage,
                                 carry_over=carry_over)
    except PlanError as exc:
        raise InputError(f"{scenario_path}: {exc}") from None
    stem = Path(scenario_path).stem
    planned_text = planned_yaml(the_plan, source=str(scenario_path))
    planned = planned_scenario(the_plan, planned_text)
    document = plan_document(the_plan, source=str(scenario_path))
    files = {"plan.csv": plan_csv(the_plan), f"{stem}.planned.yaml": planned_text}
    verification = None
    if verify or with_report:
        with _workers_pool(workers) as pool:
            verification = verify_plan(the_plan, planned, replications=replications, seed=seed,
                                       on_replication_done=_progress(as_json), executor=pool)
        document["verify"] = verification_document(verification)
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
    folder = _results_dir(out, scenario_path)
    written = _write(folder, files)  # everything rendered first: nothing half-written on failure
    document["files"] = [str(path) for path in written]
    if as_json:
        click.echo(json.dumps(document, indent=2, allow_nan=False))
        return
    click.echo(format_plan(the_plan, source=str(scenario_path)))
    if verification is not None:
        click.echo("")
        click.echo(format_verification(verification))
    click.echo(f"\nwritten to {folder}: {', '.join(path.name for path in written)}")
    click.echo(f"simulate the plan: callsim run {folder / f'{stem}.planned.yaml'}")


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


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the click group; a user error is one line and exit 2, a bug one line
    and exit 1 (with the traceback when CALLSIM_DEBUG=1)."""
    from simulator.errors import UserError

    try:
        cli.main(args=argv, prog_name="callsim", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("callsim: interrupted; nothing half-written was kept.", err=True)
        return 130
    except click.UsageError as exc:
        where = f"{exc.ctx.command_path}: " if exc.ctx is not None else "callsim: "
        click.echo(f"{where}error: {exc.format_message()}", err=True)
        return 2
    except click.ClickException as exc:
        click.echo(f"callsim: error: {exc.format_message()}", err=True)
        return exc.exit_code
    except UserError as exc:
        click.echo(f"callsim: error: {_one_line(exc)}", err=True)
        return 2
    except Exception as exc:  # a bug in callsim, never the user's fault
        if os.environ.get("CALLSIM_DEBUG") == "1":
            import traceback

            traceback.print_exc()
        click.echo(f"callsim: internal error ({type(exc).__name__}: {_one_line(exc)[:300]}); this is a bug in "
                   "callsim: please report it with the command you ran (CALLSIM_DEBUG=1 shows the traceback)",
                   err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
