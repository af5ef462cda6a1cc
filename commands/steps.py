"""The steps every command takes around its one call into the library: load the scenario (with
the --volume/--aht what-if), check the output folder and the size of the run before any work,
an executor for the whole command, a progress line, and the atomic write.

Each step imports what it needs when it runs, so a command that does not simulate never loads
the engine, scipy.stats or matplotlib."""
from __future__ import annotations

import contextlib
import math
import sys
import time
from pathlib import Path

import click

from .options import InputError

# whole days with an IVR and callbacks, one core of this 2-core machine (benchmarks/bench_engine.py):
# only used to say how long a big run will take. The default --max-calls keeps any run that is
# not asked for explicitly well under half a minute.
CALLS_PER_S = 150_000
# every interval's KPIs are estimated and written out whatever its calls: a year of 15-minute
# intervals took 45 s here with no calls at all (the same machine, busy)
INTERVALS_PER_S = 800


def load(path: str, volume: float | None = None, aht: float | None = None, staffing_optional: bool = False):
    """The scenario at `path`, with --volume and --aht applied (validated variants, no file round trip);
    `staffing_optional` for a command that makes the staffing itself (plan, schedule, optimize)."""
    from simulator.loading import load_scenario

    scenario = load_scenario(path, staffing_optional)
    if volume is not None and volume != 1:
        scenario = scenario.with_volume(volume)
    if aht is not None and aht != 1:
        scenario = scenario.with_scaled_durations("talk_time", aht).with_scaled_durations("acw", aht)
    return scenario


def output_folder(out: str | None, default: str) -> Path:
    """The folder results go to (-o, or results/<default>), checked before any work is done."""
    from presentation.files import check_folder

    return check_folder(Path(out) if out else Path("results") / default)


def write(folder: Path, files: dict, **advice):
    from presentation.files import write_atomically

    return write_atomically(folder, files, **advice)


def report_wanted(folder: Path, asked: bool) -> bool:
    """Write report.html when asked, and also when the folder has one already: never leave an
    older report beside new results."""
    from presentation.report import REPORT_FILE

    return asked or (folder / REPORT_FILE).exists()


def written_line(folder: Path, written) -> str:
    return f"written to {folder}: {', '.join(path.name for path in written)}"


def write_and_echo(folder: Path, files: dict, as_json: bool, document: str, text) -> None:
    """Write a study's files (rendered before: nothing half-written), then print its JSON document
    with --json, else its tables (`text()`, rendered only then) and what was written where."""
    written = write(folder, files)
    if as_json:
        click.echo(document, nl=False)
    else:
        click.echo(text())
        click.echo(written_line(folder, written))


def echo_done(text: str, folder: Path, written, runnable: Path | None = None, what: str = "it") -> None:
    """Print a command's tables, a blank line, what was written where, and (for a command that
    writes a scenario) how to simulate it."""
    click.echo(text)
    click.echo(f"\n{written_line(folder, written)}")
    if runnable is not None:
        click.echo(f"simulate {what}: callsim run {runnable}")


def executor(workers: int, scheduler: str | None = None):
    """One executor for the whole command: a pool of worker processes (None for one worker),
    or the Dask cluster at `scheduler` (`local:N` starts one here)."""
    from simulator.parallel import executor_for

    return executor_for(workers, scheduler)


def no_executor():
    """For a run that sizes its own pool (run_scenario), or simulates nothing."""
    return contextlib.nullcontext(None)


def check_size(scenarios, replications: int | None, max_calls: int, quiet: bool) -> None:
    """Refuse a run that would simulate more than --max-calls calls (a typo of 1e7 calls in an
    interval, say), and say before a long one starts how long it will take."""
    calls = sum(sum(s.arrivals.calls) * (replications or s.simulation.replications) for s in scenarios)
    intervals = sum(s.n_intervals for s in scenarios)
    seconds = calls / CALLS_PER_S + intervals / INTERVALS_PER_S
    took = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:,.0f} minutes"
    if calls > max_calls:
        raise InputError(f"this run would simulate about {calls:,.0f} calls (about {took} here), "
                         f"more than --max-calls {max_calls:,}; check the volumes in arrivals.calls, or pass "
                         f"--max-calls {math.ceil(calls):d} to run it anyway")
    if seconds > 30 and not quiet:
        click.echo(f"about {calls:,.0f} calls to simulate and {intervals:,} intervals to report: roughly {took} here "
                   "(Ctrl-C stops it, writing nothing)", err=True)


def progress(quiet: bool):
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


def status_line(quiet: bool, text):
    """A one-line status on a terminal's stderr, rewritten in place: text(state) for each state."""
    if quiet or not sys.stderr.isatty():
        return None
    return lambda state: click.echo(f"\r  {text(state)}   ", err=True, nl=False)
