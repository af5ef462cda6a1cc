"""How a command's end becomes an exit code: a user error (`simulator.errors.UserError`, or a
click usage problem) is one line on stderr and exit 2, Ctrl-C exit 130 with nothing half-written,
anything else a bug: one line asking for a report and exit 1 (the traceback with
CALLSIM_DEBUG=1)."""
from __future__ import annotations

import os

import click


def run_group(group: click.Group, argv: list[str] | None = None) -> int:
    """Run the click `group` on `argv` (the command line when None) and return the exit code."""
    from simulator.errors import UserError, one_line

    try:
        group.main(args=argv, prog_name="callsim", standalone_mode=False)
    except click.exceptions.Abort:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # going down already: a second Ctrl-C must not interrupt that
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
        click.echo(f"callsim: error: {one_line(exc)}", err=True)
        return 2
    except Exception as exc:  # a bug in callsim, never the user's fault
        if os.environ.get("CALLSIM_DEBUG") == "1":
            import traceback

            traceback.print_exc()
        click.echo(f"callsim: internal error ({type(exc).__name__}: {one_line(exc)[:300]}); this is a bug in "
                   "callsim: please report it with the command you ran (CALLSIM_DEBUG=1 shows the traceback)",
                   err=True)
        return 1
    return 0
