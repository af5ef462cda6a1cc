"""What the pages share: the job cache, picking a scenario (shipped, uploaded or the one
`callsim app SCENARIO` was given), and showing a user's error as the one line the CLI prints."""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from simulator.errors import UserError

from .jobs import Jobs

REPO = Path(__file__).resolve().parent.parent
SCENARIOS_DIR = REPO / "scenarios"
# `callsim app SCENARIO` passes its scenario here (the page offers it first)
SCENARIO_ENV = "CALLSIM_APP_SCENARIO"
FIRST = "help_desk.yaml"  # the canonical small scenario (docs/scenarios.md) is offered first


@st.cache_resource
def jobs() -> Jobs:
    """One job cache for the app process (shared by every browser tab)."""
    return Jobs()


def show_error(message: str) -> None:
    """A user's error as the one line the command line prints after 'error: '."""
    st.error(" ".join(str(message).split()), icon="⚠️")


def shipped_scenarios() -> list[Path]:
    found = sorted(SCENARIOS_DIR.glob("*.yaml"), key=lambda p: (p.name != FIRST, p.name)) if SCENARIOS_DIR.is_dir() else []
    given = os.environ.get(SCENARIO_ENV)
    if given:
        found = [Path(given)] + [p for p in found if p.resolve() != Path(given).resolve()]
    return found


def _forecast_reference(text: str) -> str | None:
    """The CSV a scenario's `arrivals.calls` reads (`{csv: FILE, column: NAME}`), if any."""
    import yaml

    try:
        calls = (yaml.safe_load(text) or {}).get("arrivals", {}).get("calls")
    except (yaml.YAMLError, AttributeError, ValueError):  # ValueError: a date that does not exist (2026-02-30)
        return None  # the loader reports a broken file in its own words
    return str(calls["csv"]) if isinstance(calls, dict) and "csv" in calls else None


@st.cache_data(show_spinner=False)
def _load_text(text: str, source: str, csvs: tuple[tuple[str, bytes], ...] = ()):
    """An uploaded scenario, with the CSV files uploaded beside it placed where it looks for
    them (a temporary folder, gone once the numbers are read into the scenario)."""
    import tempfile

    from simulator.loading import scenario_from_text

    wanted = _forecast_reference(text)
    by_name = dict(csvs)
    if wanted is not None and Path(wanted).name not in by_name:
        raise UserError(f"{source}: arrivals.calls reads the forecast file {wanted}; upload it together with the "
                         "scenario (select both files)")
    with tempfile.TemporaryDirectory(prefix="callsim-upload-") as folder:
        root = Path(folder).resolve()
        for name, data in csvs:
            (root / Path(name).name).write_bytes(data)
        if wanted is not None:
            target = (root / wanted).resolve()
            if target.is_relative_to(root) and not target.exists():  # e.g. csv: data/forecast.csv
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(by_name[Path(wanted).name])
        return scenario_from_text(text, source, root)


@st.cache_data(show_spinner=False)
def _load_path(path: str, modified_ns: int):  # the file's time is part of the key: an edited file is re-read
    from simulator.loading import load_scenario

    return load_scenario(path)


def pick_scenario(key: str, label: str = "scenario", allow_upload: bool = True, default: int = 0):
    """A scenario from scenarios/ (or `callsim app SCENARIO`'s) or an uploaded file; None, with
    the one-line error shown, when it cannot be used."""
    paths = shipped_scenarios()
    choices = [str(p.relative_to(REPO)) if p.is_relative_to(REPO) else str(p) for p in paths]
    options = choices + (["upload a file ..."] if allow_upload else [])
    choice = st.selectbox(label, options, index=min(default, len(options) - 1), key=f"{key}_file")
    try:
        if choice == "upload a file ...":
            uploads = st.file_uploader("scenario file (.yaml), with the forecast CSV it reads if any",
                                       type=["yaml", "yml", "csv"], accept_multiple_files=True, key=f"{key}_upload")
            scenarios = [u for u in uploads or () if u.name.lower().endswith((".yaml", ".yml"))]
            if len(scenarios) != 1:
                if scenarios:
                    show_error(f"{len(scenarios)} scenario files uploaded ({', '.join(u.name for u in scenarios)}); "
                               "upload one .yaml at a time, with the CSV files it reads")
                return None
            csvs = tuple((u.name, u.getvalue()) for u in uploads if u.name.lower().endswith(".csv"))
            text = scenarios[0].getvalue().decode("utf-8", errors="replace")
            return _load_text(text, scenarios[0].name, csvs)
        path = paths[choices.index(choice)]
        return _load_path(str(path), path.stat().st_mtime_ns if path.exists() else 0)
    except UserError as exc:
        show_error(str(exc))
        return None


@st.fragment(run_every=0.25)
def job_progress(job, key: str, what: str = "replications") -> None:
    """A running job's progress bar and Cancel button, polled four times a second while the
    rest of the page stays usable; the whole page reruns when the job ends, to show its result."""
    if not job.running:
        st.rerun()
    st.progress(job.fraction, text=f"{what} {job.done}/{job.total or '?'} ({job.elapsed_s:.1f} s)")
    if st.button("Cancel", key=f"{key}_cancel"):
        job.cancel()
