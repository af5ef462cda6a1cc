"""Compare page: two scenarios simulated on the same callers (common random numbers) side by
side, with the paired differences (B - A) and their 95% CIs, and the plain-words explanation
of `presentation.compare_output`."""
from __future__ import annotations

import streamlit as st

from .common import job_progress, jobs, pick_scenario, show_error
from .jobs import simulation_key

KPIS = ("service_level", "asa", "abandon_rate", "occupancy", "avg_wait", "wait_p90", "aht", "answered", "offered")


def comparison_rows(c) -> list[dict]:
    from presentation.text import format_pm, readable

    rows = []
    for name in KPIS:
        if name not in c.kpis:
            continue
        a, b, d = c.estimate(0, name), c.estimate(1, name), c.difference(1, name)
        rows.append({
            "KPI": readable(name),
            f"A: {c.labels[0]}": format_pm(name, a.mean, a.ci95) if a else "absent",
            f"B: {c.labels[1]}": format_pm(name, b.mean, b.ci95) if b else "absent",
            "B - A (paired)": format_pm(name, d.mean, d.ci95, signed=True) if d else "-",
            "significant": ("yes" if d.significant else "no") if d else "",
        })
    return rows


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
    st.dataframe(comparison_rows(c), hide_index=True, width="stretch")
    from presentation.documents import to_json

    st.subheader("What differs, and what it does")
    differs = c.differs_in(1)
    st.markdown(f"Differs in: {', '.join(differs) if differs else 'nothing but names and settings'}")
    for line in explain(c, 1):
        st.markdown(f"- {line}")
    st.download_button("comparison.json", to_json(comparison_document(c)), "comparison.json", "application/json",
                       key="cmp_download")

