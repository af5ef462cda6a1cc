"""Lessons page: the trainers' three lessons (cliff, pooling, variability) with their
parameters editable: the class's own numbers. Each runs in the background (progress,
cancel); the explanation is written from the numbers just simulated by
`presentation.lessons_output` (the text and plot `callsim lessons` writes), cached per input."""
from __future__ import annotations

import json

import streamlit as st

from .common import job_progress, jobs, show_error

INTRO = {
    "cliff": "The same callers answered by fewer and fewer agents: waits stay short, then explode.",
    "pooling": "Two teams each with their own queue against one shared team: the same people, the same calls.",
    "variability": "The same average handle time with a different spread: the spread alone makes waits.",
}


def _cliff_inputs() -> dict:
    a, b, c = st.columns(3)
    calls = a.number_input("calls an hour", value=180.0, min_value=1.0, step=10.0, key="lc_calls")
    talk = b.number_input("talk time, mean (s), exponential", value=240.0, min_value=1.0, step=10.0, key="lc_talk")
    hours = c.number_input("hours in the day", value=12, min_value=1, max_value=24, key="lc_hours")
    load = calls * talk / 3600
    default = (int(load) + 8, int(load) + 1)
    most, fewest = st.slider("agents, from most down to fewest", 1, max(60, default[0] + 20),
                             (default[1], default[0]), key="lc_agents")[::-1]
    st.caption(f"offered load {load:.3g} Erlangs; the sweep runs {most - fewest + 1} staffing levels")
    return {"calls_per_hour": calls, "talk_mean_s": talk, "hours": int(hours), "agents": (most, fewest)}


def _pooling_inputs() -> dict:
    a, b, c, d = st.columns(4)
    return {"calls_per_hour": a.number_input("calls an hour (both queues)", value=150.0, min_value=1.0, step=10.0,
                                             key="lp_calls"),
            "team_size": int(b.number_input("agents per team", value=6, min_value=1, max_value=500, key="lp_team")),
            "talk_mean_s": c.number_input("talk time, mean (s)", value=240.0, min_value=1.0, step=10.0, key="lp_talk"),
            "patience_mean_s": d.number_input("patience, mean (s)", value=300.0, min_value=1.0, step=10.0,
                                              key="lp_patience")}


def _variability_inputs() -> dict:
    a, b, c, d = st.columns(4)
    return {"calls_per_hour": a.number_input("calls an hour", value=96.0, min_value=1.0, step=6.0, key="lv_calls"),
            "agents": int(b.number_input("agents", value=10, min_value=1, max_value=500, key="lv_agents")),
            "talk_mean_s": c.number_input("talk time, mean (s)", value=300.0, min_value=1.0, step=10.0, key="lv_talk"),
            "high_cv": d.number_input("cv of the spread-out team", value=2.0, min_value=0.1, max_value=6.0, step=0.5,
                                      key="lv_cv")}


INPUTS = {"cliff": _cliff_inputs, "pooling": _pooling_inputs, "variability": _variability_inputs}
DEFAULT_REPLICATIONS = {"cliff": 20, "pooling": 20, "variability": 60}


def lesson_work(name: str, params: dict, replications: int):
    """The background work of one lesson: the study, then its hand-out (text and PNG)."""
    from presentation.lessons_output import RENDERERS
    from studies.lessons import STUDIES

    def work(on_done):
        return RENDERERS[name](STUDIES[name](replications, on_done=on_done, **params))
    return work


def _lesson(name: str) -> None:
    st.markdown(INTRO[name])
    params = INPUTS[name]()
    replications = st.number_input("replications (days) per scenario", value=DEFAULT_REPLICATIONS[name],
                                   min_value=2, max_value=2000, step=10, key=f"l_{name}_reps")
    key = f"lesson {name} " + json.dumps(params, sort_keys=True) + f" r={int(replications)}"
    job = jobs().get(key)
    if job is None or job.cancelled:
        if not st.button(f"Run the {name} lesson", type="primary", key=f"l_{name}_run"):
            return
        job = jobs().start(key, lesson_work(name, params, int(replications)))
    if job.running:
        job_progress(job, f"l_{name}")
        return
    if job.error:
        show_error(job.error)
        return
    lesson = job.result
    st.subheader(lesson.title)
    lines = lesson.text.strip().splitlines()
    for line in lines[1:]:
        st.markdown(line)
    png = next(name for name in lesson.files if name.endswith(".png"))
    st.image(lesson.files[png], caption=f"{png} (the hand-out `callsim lessons` writes)")
    st.download_button(f"{name}.txt", lesson.text, f"{name}.txt", key=f"l_{name}_txt")



def render() -> None:
    st.title("Lessons for the classroom")
    st.caption("Change the numbers to the class's own; every sentence below a lesson is written from the numbers "
               "just simulated.")
    tabs = st.tabs(["The occupancy-wait cliff", "Pooling", "Variability"])
    for tab, name in zip(tabs, ("cliff", "pooling", "variability")):
        with tab:
            _lesson(name)
