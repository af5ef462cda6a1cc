"""Options and option types shared by several commands: one definition and one default each.

Imports only click and the standard library: `callsim --help`, `validate`, `schema` and
`erlang` load this module and must stay light (tests/test_layers.py checks it)."""
from __future__ import annotations

import math
import os

import click


class InputError(click.ClickException):
    """A problem the user can fix; printed as one line, exit code 2."""

    exit_code = 2


class TargetsNotMet(click.ClickException):
    """The search finished but some intervals cannot meet their targets: results were written."""

    exit_code = 1


class NotConverged(click.ClickException):
    """A search (optimize, schedule --by-simulation) stopped on its round limit: results were written, but the
    answer is not final. Its own exit code, so that a script tells it from "targets cannot be met" (1) and from a
    bug (1)."""

    exit_code = 3


class FiniteFloat(click.FloatRange):
    """A float option in a range that must also be a real number (no nan, no inf)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def _cores() -> int:
    return os.cpu_count() or 1


def not_empty(ctx, param, value):
    if value is not None and not value.strip():
        raise click.BadParameter("is empty; give a folder name, or leave -o out for the default folder")
    return value


scenario_argument = click.argument("scenario_path", metavar="SCENARIO", type=click.Path(dir_okay=False))
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


def report_option(file: str, help: str | None = None):
    return click.option("--report", "with_report", is_flag=True,
                        help=help or f"also write {file} (one self-contained page)")


def out_option(what: str, default: str):
    return click.option("-o", "--out", type=click.Path(file_okay=False), default=None, callback=not_empty,
                        help=f"folder for {what} (default: {default})")


def simulation_options(what: str, default: str):
    """The options of a command that simulates variants of a scenario (compare, sweep), in the
    order --help lists them: -r, -s, -o (folder for `what`), -w, --scheduler, --json,
    --no-plots, -q, --max-calls."""
    decorators = (replications_option, seed_option, out_option(what, default), workers_option, scheduler_option,
                  json_option, no_plots_option, quiet_option, max_calls_option)

    def decorate(command):
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return decorate

