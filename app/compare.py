"""Compare page: two scenarios simulated on the same callers (common random numbers) side by
side, with the paired differences (B - A) and their 95% CIs, the IVR's measures where the
scenarios have one, the plain-words explanation of `presentation.compare_output` and the
comparison's plots (`presentation.compare_plots`, and the menus side by side).

The table leads with the difference: KPI, B - A, significant, then A and B (their names in the
caption above), so the column that answers the question is never the one cut off on the right."""
from __future__ import annotations

import streamlit as st

from .common import job_progress, jobs, pick_scenario, show_error
from .jobs import simulation_key

KPIS = ("service_level", "asa", "abandon_rate", "occupancy", "avg_wait", "wait_p90", "aht", "answered", "offered",
        "busy_agent_seconds")
# with an IVR in either scenario: what the menus do, and the agent time their misroutes cost
IVR_KPIS = ("containment_rate", "ivr_contained", "ivr_abandoned", "ivr_time", "menus_visited", "zero_outs",
            "misroutes", "transfers", "transfer_agent_seconds", "reached_queue")
CALLBACK_KPIS = ("callbacks_offered", "callbacks_accepted", "callback_delay")


def comparison_rows(c, kpis=KPIS) -> list[dict]:
    from presentation.text import format_pm, readable

    rows = []
    for name in kpis:
        if name not in c.kpis:
            continue
        a, b, d = c.estimate(0, name), c.estimate(1, name), c.difference(1, name)
        rows.append({
            "KPI": readable(name),
            "B - A (paired)": format_pm(name, d.mean, d.ci95, signed=True) if d else "-",
            "significant": ("yes" if d.significant else "no") if d else "",
            "A": format_pm(name, a.mean, a.ci95) if a else "absent",
            "B": format_pm(name, b.mean, b.ci95) if b else "absent",
        })
    return rows


def comparison_images(c) -> dict[str, bytes]:
    """The command's comparison plots, and the two menus side by side when there is an IVR."""
    from presentation.compare_plots import comparison_plots

    images = comparison_plots(c)
    if any(run.scenario.ivr is not None for run in c.runs):
        from presentation.menu_diagram import comparison_menu_diagrams

        images.update(comparison_menu_diagrams(c))
    return images


def render() -> None:
    st.title("Compare two scenarios")
    left, right = st.columns(2)
    with left:
        first = pick_scenario("cmp_a", "scenario A")
    with right:
        second = pick_scenario("cmp_b", "scenario B", default=1)
    if first is None or second is None:
        return
    a, b, _ = st.columns([1, 1, 2])
    replications = a.number_input("replications", value=first.simulation.replications, min_value=2,
                                  max_value=10_000, step=5, key="cmp_replications")
    seed = b.number_input("seed", value=first.simulation.seed, min_value=0, step=1, key="cmp_seed")
    key = simulation_key(first, "vs", second.model_dump_json(), int(replications), int(seed))
    job = jobs().get(key)
    if job is None or job.cancelled:
        if not st.button("Compare", type="primary", key="cmp_run"):
            st.info("Both scenarios meet the same callers (replication r of each sees the same arrivals, talk "
                    "times and patience), so the differences are paired and far tighter than two separate runs.")
            return
        from studies.compare import compare_scenarios

        job = jobs().start(key, lambda on_done: compare_scenarios(
            [first, second], ["A", "B"] if first.name == second.name else None, replications=int(replications),
            seed=int(seed), on_replication_done=on_done))
    if job.running:
        job_progress(job, "cmp")
        return
    if job.error:
        show_error(job.error)
        return
    c = job.result
    from presentation.compare_output import comparison_document, explain, headline

    st.info(" ".join(headline(c, c.pairs[0])))
    st.caption(f"A = {c.labels[0]}; B = {c.labels[1]}. Mean ± half the 95% CI; B - A is paired replication by "
               "replication on the same callers.")
    # st.table, not st.dataframe: an HTML table wraps to the page's width, where the data grid
    # cut its right-hand columns off behind a scroll bar
    st.table(comparison_rows(c))
    if any(run.scenario.ivr is not None for run in c.runs):
        st.subheader("The IVR")
        st.table(comparison_rows(c, IVR_KPIS))
    if any(name in c.kpis for name in CALLBACK_KPIS):
        st.subheader("Callbacks")
        st.table(comparison_rows(c, CALLBACK_KPIS))
    from presentation.documents import to_json

    st.subheader("What differs, and what it does")
    differs = c.differs_in(1)
    st.markdown(f"Differs in: {', '.join(differs) if differs else 'nothing but names and settings'}")
    for line in explain(c, 1):
        st.markdown(f"- {line}")
    st.download_button("comparison.json", to_json(comparison_document(c)), "comparison.json", "application/json",
                       key="cmp_download")
    st.subheader("Charts")
    images = st.session_state.get(f"cmp_images_{key}")
    if images is None:  # drawn once per comparison, not on every rerun of the page
        with st.spinner("drawing the charts ..."):
            images = comparison_images(c)
        st.session_state[f"cmp_images_{key}"] = images
    for name, png in images.items():
        st.image(png, caption=name, width="stretch")

