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


@st.cache_data(show_spinner=False)
def _load_text(text: str, source: str):
    from simulator.loading import scenario_from_text

    return scenario_from_text(text, source)


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
            upload = st.file_uploader("scenario file (.yaml)", type=["yaml", "yml"], key=f"{key}_upload")
            if upload is None:
                return None
            text = upload.getvalue().decode("utf-8", errors="replace")
            return _load_text(text, upload.name)
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
