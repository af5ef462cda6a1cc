"""How a command's end becomes an exit code: a user error (`simulator.errors.UserError`, or a
click usage problem) is one line on stderr and exit 2, Ctrl-C exit 130 (SIGTERM 143) with nothing half-written,
anything else a bug: one line asking for a report and exit 1 (the traceback with
CALLSIM_DEBUG=1). Two outcomes with their files written are `click.ClickException`s with their own code
(`commands.options`): targets that cannot be met within the agent limits, exit 1 (`TargetsNotMet`), and a search
stopped on its round limit, NOT CONVERGED, exit 3 (`NotConverged`: optimize, schedule --by-simulation)."""
from __future__ import annotations

import os

import click


def run_group(group: click.Group, argv: list[str] | None = None) -> int:
    """Run the click `group` on `argv` (the command line when None) and return the exit code: what
    the command prints is printed, then its result files are moved into place (none of them if the
    printing fails: `presentation.files.printed_then_written`)."""
    from presentation.files import printed_then_written

    return printed_then_written(lambda: _run(group, argv))


def _run(group: click.Group, argv: list[str] | None) -> int:
    from simulator.errors import UserError, cut_long_words, one_line
    from simulator.parallel import sigterm_as_interrupt, was_terminated

    try:
        with sigterm_as_interrupt():  # SIGTERM ends the command as Ctrl-C does
            group.main(args=argv, prog_name="callsim", standalone_mode=False)
    except click.exceptions.Abort:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # going down already: a second Ctrl-C must not interrupt that
        if was_terminated():
            return _terminated()
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
        if was_terminated():  # a worker ended by the same SIGTERM can fail a job first: not a bug
            return _terminated()
        if os.environ.get("CALLSIM_DEBUG") == "1":
            import traceback

            traceback.print_exc()
        click.echo(f"callsim: internal error ({type(exc).__name__}: {one_line(exc)[:300]}); this is a bug in "
                   "callsim: please report it with the command you ran (CALLSIM_DEBUG=1 shows the traceback)",
                   err=True)
        return 1
    return 0


def _terminated() -> int:
    click.echo("callsim: stopped (SIGTERM); nothing half-written was kept.", err=True)
    return 143
