"""`callsim app`: the local Streamlit app in its own process, bound to 127.0.0.1."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import click

from .options import InputError
from .steps import load

ROOT = Path(__file__).resolve().parent.parent  # the checkout: app/main.py and the packages it imports


def serve(root: Path, scenario_path: str | None, port: int, no_browser: bool) -> None:
    """Run `streamlit run app/main.py` from the checkout at `root` until it stops (Ctrl-C);
    `scenario_path` (checked first) is the scenario the app opens with."""
    if importlib.util.find_spec("streamlit") is None or importlib.util.find_spec("plotly") is None:
        raise InputError("the app needs Streamlit and Plotly: pip install -e '.[app]' (or pip install 'callsim[app]')")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if scenario_path is not None:
        load(scenario_path)  # a broken file is reported here, as one line, before anything starts
        env["CALLSIM_APP_SCENARIO"] = str(Path(scenario_path).resolve())
    display = bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")) or sys.platform in ("darwin", "win32")
    headless = no_browser or not display
    command = [sys.executable, "-m", "streamlit", "run", str(root / "app" / "main.py"),
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


@click.command()
@click.argument("scenario_path", metavar="[SCENARIO]", required=False, type=click.Path(dir_okay=False))
@click.option("--port", type=click.IntRange(1024, 65535), default=8501, show_default=True,
              help="port on 127.0.0.1 to serve the app on")
@click.option("--no-browser", is_flag=True, help="do not open a browser (it is never opened without a display)")
def app(scenario_path, port, no_browser):
    """Start the local web app (calculator, simulate, replay, lessons, compare) on 127.0.0.1,
    reachable from this computer only. Needs the app extra: pip install -e '.[app]'."""
    serve(ROOT, scenario_path, port, no_browser)
