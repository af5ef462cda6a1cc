"""callsim command line: a thin layer over `simulator` and `planner`.

Every command reads its input, calls one library function and writes or prints the result.
Errors a user can fix (bad scenario, bad option) are printed as one line on stderr with exit
code 2 and no traceback.
"""
from __future__ import annotations

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


# --- commands are registered below this line (run, validate, schema, erlang, plan, ...) ---

# --- simulation commands ---


def _load(path: str):
    from simulator import ScenarioFileError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioFileError as exc:
        raise InputError(str(exc)) from None


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
@click.option("-r", "--replications", type=click.IntRange(min=2, max=10_000), default=None,
              help="independent replications of the day (default: the scenario's, 20)")
@click.option("-s", "--seed", type=click.IntRange(min=0), default=None, help="root random seed (default: the scenario's)")
@click.option("-o", "--out", type=click.Path(file_okay=False), default=None,
              help="folder for kpis.json and intervals.csv (default: results/<scenario name>/)")
@click.option("-w", "--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="worker processes; results are identical for any number")
@click.option("--json", "as_json", is_flag=True, help="print the kpis.json document instead of the tables")
@click.option("-q", "--quiet", is_flag=True, help="no progress display")
def run(scenario_path, replications, seed, out, workers, as_json, quiet):
    """Simulate SCENARIO and report its KPIs with 95% confidence intervals."""
    from simulator import run_scenario
    from simulator.output import format_summary, intervals_csv, result_document, to_json, write_atomically

    scenario = _load(scenario_path)
    result = run_scenario(scenario, replications=replications, seed=seed, workers=workers,
                          on_replication_done=_progress(quiet or as_json))
    document = to_json(result_document(result))
    folder = _results_dir(out, scenario_path)
    write_atomically(folder, {"kpis.json": document, "intervals.csv": intervals_csv(result)})
    if as_json:
        click.echo(document, nl=False)
    else:
        click.echo(format_summary(result))
        click.echo(f"\nwritten: {folder / 'kpis.json'}, {folder / 'intervals.csv'}")


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

    from simulator import Scenario

    click.echo(json.dumps(Scenario.model_json_schema(), indent=2))


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the click group, turning every user error into one line + exit 2."""
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
