"""Intraday page: `callsim intraday` in the browser. A scenario, today's actuals so far (the shipped
example for two_queue_multiskill, or an uploaded interval report), the time now, actions one per
line and --suggest; the study runs in the app's background job runner and the page shows the
command's verdict, tables and plot (`presentation.intraday_output`)."""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import streamlit as st

from simulator.errors import UserError

from .common import REPO, job_progress, jobs, pick_scenario, show_error
from .jobs import simulation_key

EXAMPLES = {"Sales and support, shared and specialist agents": (REPO / "scenarios" / "intraday" / "two_queue_actuals.csv",
                                                                  "12:00")}


def _actuals(key: str, scenario) -> tuple[str | None, bytes | None, str]:
    """(file name, its bytes, a suggested now) of the actuals: the example for the scenario, or an upload."""
    example = EXAMPLES.get(scenario.name)
    use_example = example is not None and st.checkbox(f"use the example actuals ({example[0].name})", value=True,
                                                       key=f"{key}_example")
    if use_example:
        return example[0].name, example[0].read_bytes(), example[1]
    upload = st.file_uploader("today's interval report so far (interval, offered, answered, abandoned, aht_s, asa_s"
                              "[, agents][, queue])", type=["csv"], key=f"{key}_upload")
    labels = scenario.interval_labels()
    return (None, None, labels[len(labels) // 2]) if upload is None else (upload.name, upload.getvalue(),
                                                                          labels[len(labels) // 2])


def _study(scenario, name: str, data: bytes, now: str, actions: list[str], suggest: bool, replications: int):
    """The study on a copy of the actuals under their own name (the errors name the file the user gave)."""
    from studies.intraday import intraday_study

    def work(on_done):
        with tempfile.TemporaryDirectory(prefix="callsim-intraday-") as folder:
            path = Path(folder) / Path(name).name
            path.write_bytes(data)
            try:
                return intraday_study(scenario, path, now, actions=actions, suggest=suggest, replications=replications,
                                      on_replication_done=on_done)
            except UserError as exc:  # the temporary folder's path is not the user's: name the file they gave
                raise UserError(str(exc).replace(str(path), name)) from None
    return work


def render() -> None:
    st.title("Intraday: the rest of today")
    scenario = pick_scenario("intra", "scenario", default=0)
    if scenario is None:
        return
    name, data, suggested_now = _actuals("intra", scenario)
    left, middle, right = st.columns([1, 1, 2])
    now = left.text_input("now (HH:MM)", value=suggested_now, key="intra_now")
    replications = middle.number_input("replications", value=20, min_value=2, max_value=10_000, step=5,
                                       key="intra_replications")
    suggest = right.checkbox("suggest the cheapest overtime (the optimiser; slower)", key="intra_suggest")
    text = st.text_area("actions, one per line: overtime N GROUP FROM[-UNTIL] · vto N GROUP FROM[-UNTIL] · "
                        "move N FROM_GROUP TO_GROUP FROM[-UNTIL] · callbacks on|off QUEUE · announcement SHARE [FROM]",
                        key="intra_actions", height=90)
    if data is None:
        st.info("Upload today's interval report so far (the format `callsim fit --intervals` reads).")
        return
    actions = [line.strip() for line in text.splitlines() if line.strip()]
    key = simulation_key(scenario, "intraday", name, hashlib.sha256(data).hexdigest(), now, "\n".join(actions), suggest,
                         int(replications))
    job = jobs().get(key)
    if job is None or job.cancelled:
        if not st.button("Simulate the rest of the day", type="primary", key="intra_run"):
            return
        job = jobs().start(key, _study(scenario, name, data, now.strip(), actions, suggest, int(replications)))
    if job.running:
        job_progress(job, "intra")
        return
    if job.error:
        show_error(job.error)
        return
    show(job.result, key)


def show(result, key: str) -> None:
    from presentation.intraday_output import (actions_table, interval_table, intraday_document, intraday_png,
                                              reforecast_lines, verdict)
    from presentation.documents import versions

    st.info(" ".join(verdict(result)))
    st.markdown("\n".join(f"- {line.strip()}" for line in reforecast_lines(result)[1:]))
    st.caption(reforecast_lines(result)[0])
    st.subheader("The remaining intervals")
    st.code(interval_table(result), language=None)
    if result.actions or result.suggested is not None:
        st.subheader("Actions against doing nothing (paired, same callers)")
        st.code(actions_table(result), language=None)
    if result.suggestion is not None:
        st.subheader("Suggested overtime")
        st.code("\n".join(a.text for a in result.suggestion.actions) or "none needed", language=None)
    image = st.session_state.get(f"intra_png_{key}")
    if image is None:  # drawn once per result, not on every rerun
        image = intraday_png(result)
        st.session_state[f"intra_png_{key}"] = image
    st.image(image, caption="the day so far and the re-forecast rest", width="stretch")
    st.download_button("intraday.json", intraday_document(result, versions()), "intraday.json", "application/json",
                       key="intra_download")
