"""callsim command line: a thin layer over `simulator` and `planner`.

Every command reads its input, calls one library function and writes or prints the result.
Errors a user can fix (bad scenario, bad option) are printed as one line on stderr with exit
code 2 and no traceback.
"""
from __future__ import annotations

import sys

import click


class InputError(click.ClickException):
    """A problem the user can fix; printed as one line, exit code 2."""

    exit_code = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="callsim")
def cli() -> None:
    """Simulate inbound call centres and plan their staffing."""


# --- commands are registered below this line (run, validate, schema, erlang, plan, ...) ---


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
