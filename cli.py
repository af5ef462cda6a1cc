"""callsim command line: the entry point (`callsim = "cli:main"`), wiring the commands.

Each command lives in `commands/` (one module per group, as pyhf's cli does): it reads its
options, makes one call into a study or model function (`studies`, `planner`, `simulator`),
renders the result with `presentation` and writes or prints it; the options several commands
share are `commands.options`, the steps around the one call (load, size check, executor,
progress, write) `commands.steps`. Errors a user can fix (`simulator.errors.UserError`: bad
scenario, bad option) are printed as one line on stderr with exit code 2 and no traceback;
anything else is a bug: one line asking for a report, exit code 1 (the traceback with
CALLSIM_DEBUG=1), see `commands.errors`. Heavy imports happen inside the commands, so `--help`,
`validate`, `schema` and `erlang` never load SimPy, scipy.stats or matplotlib.
"""
from __future__ import annotations

import sys

import click

from commands import comparison, fitting, forecasting, intraday, maths, planning, simulation, web_app


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="callsim")
def cli() -> None:
    """Simulate inbound call centres and plan their staffing."""


COMMANDS = (
    maths.erlang,
    simulation.run, simulation.trace, simulation.diagram, simulation.report, simulation.validate, simulation.schema,
    comparison.compare, comparison.sweep, comparison.lessons,
    planning.plan, planning.schedule, planning.optimize,
    fitting.fit, forecasting.forecast, intraday.intraday,
    web_app.app,
)
for command in COMMANDS:
    cli.add_command(command)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the click group; a user error is one line and exit 2, a bug one line
    and exit 1 (with the traceback when CALLSIM_DEBUG=1)."""
    from commands.errors import run_group

    return run_group(cli, argv)


if __name__ == "__main__":
    sys.exit(main())
