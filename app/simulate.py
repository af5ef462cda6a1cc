"""Simulate page: the calculator's inputs (as a one-queue day) or a scenario file, simulated in
a background thread with a progress bar and a cancel button; KPIs with 95% CIs beside the
Erlang values, the per-interval table and charts, kpis.json and report.html to download."""
from __future__ import annotations

import math

import plotly.graph_objects as go
import streamlit as st

from simulator.errors import UserError

from .common import job_progress, jobs, pick_scenario, show_error
from .inputs import CalculatorInputs, InputProblem, answer, check

DAY_KPIS = ("service_level", "asa", "abandon_rate", "occupancy", "avg_wait", "wait_p90", "aht", "offered", "answered")


def erlang_values(document: dict) -> dict[str, float | None]:
    """The calculator's answer (`callsim erlang --json`) under the simulation's KPI names."""
    return {"service_level": document["service_level"], "asa": document["asa"],
            "abandon_rate": document["p_abandon"], "occupancy": document["occupancy"]}


def scenario_from_inputs(inputs: CalculatorInputs, agents: int, intervals: int):
    """The calculator's interval as a day of `intervals` equal intervals: one queue,
    exponential handle time of mean AHT (no separate ACW), exponential patience, `agents` in
    every interval: the M/M/N(+M) system Erlang C (A) describes, started empty each morning."""
    from simulator.loading import scenario_from_dict

    check(inputs)
    queue = {"name": "calls", "talk_time": {"dist": "exponential", "mean": inputs.aht_s}}
    if inputs.patience_s is not None:
        queue["patience"] = {"dist": "exponential", "mean": inputs.patience_s}
    minutes = inputs.interval_minutes
    if abs(minutes - round(minutes)) > 1e-9:
        raise InputProblem("the simulation needs a whole number of minutes per interval")
    targets = {"service_level": {"fraction": inputs.sl_target if inputs.sl_target is not None else 0.8,
                                 "within": inputs.sl_seconds},
               "occupancy": list(inputs.occupancy_band)}
    if inputs.asa_target_s is not None:
        targets["asa"] = inputs.asa_target_s
    if inputs.max_abandon is not None:
        targets["abandon_rate"] = inputs.max_abandon
    return scenario_from_dict({
        "schema_version": 1, "name": "Calculator interval",
        "description": f"{inputs.calls:g} calls per {minutes:g}-minute interval, AHT {inputs.aht_s:g} s (exponential)"
                       + (f", mean patience {inputs.patience_s:g} s" if inputs.patience_s else ", nobody hangs up")
                       + f", {agents} agents, {intervals} intervals.",
        "interval_minutes": int(round(minutes)), "start": "08:00",
        "arrivals": {"calls": [inputs.calls] * intervals},
        "queues": [queue],
        "agents": [{"name": "team", "serves": ["calls"], "staffing": [agents] * intervals}],
        "targets": targets,
    }, source="the calculator's inputs")


def _estimate_cells(name: str, estimate) -> tuple[str, str]:
    from presentation.text import format_estimate

    if estimate is None:
        return "-", ""
    return format_estimate(name, estimate)


def kpi_rows(result, erlang: dict | None) -> list[dict]:
    """The day's KPIs: simulated mean and 95% CI, and the Erlang value where there is one."""
    from presentation.text import format_value, readable

    rows = []
    for name in DAY_KPIS:
        if name not in result.day:
            continue
        mean, ci = _estimate_cells(name, result.day[name])
        row = {"KPI": readable(name), "simulated": mean, "95% CI": ci}
        if erlang is not None:
            value = erlang.get(name)
            row["Erlang"] = format_value(name, value) if value is not None else ""
        rows.append(row)
    return rows


def interval_rows(result) -> list[dict]:
    from presentation.text import format_value, readable

    rows = []
    for label, row in zip(result.interval_labels, result.intervals):
        rows.append({"interval": label, **{readable(n): format_value(n, row[n].mean) for n in DAY_KPIS if n in row}})
    return rows


def interval_figure(result, name: str) -> go.Figure:
    from presentation.text import readable, unit_form

    scale, _, unit = unit_form(name)
    labels = result.interval_labels
    estimates = [row[name] for row in result.intervals]
    mean = [e.mean * scale if math.isfinite(e.mean) else None for e in estimates]
    low = [e.ci95[0] * scale if e.ci95 else None for e in estimates]
    high = [e.ci95[1] * scale if e.ci95 else None for e in estimates]
    figure = go.Figure([
        go.Scatter(x=labels, y=high, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"),
        go.Scatter(x=labels, y=low, mode="lines", line={"width": 0}, fill="tonexty", fillcolor="rgba(0,114,178,0.2)",
                   name="95% CI", hoverinfo="skip"),
        go.Scatter(x=labels, y=mean, mode="lines+markers", line={"color": "#0072B2"}, name="mean"),
    ])
    figure.update_layout(title=f"{readable(name)} per interval", height=300, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                         yaxis_title=unit.strip() or None, showlegend=False)
    return figure


def report_work(result):
    """report.html with the run's plots, rendered in the background (matplotlib takes a few
    seconds for a long day; the KPIs show meanwhile)."""
    def work(on_done):
        from presentation.documents import result_document
        from presentation.report import render_report
        from presentation.run_plots import run_plots

        page = render_report(result_document(result), run_plots(result))
        on_done(1, 1)
        return page
    return work


def _source_scenario():
    """(scenario, Erlang values by KPI or None) from the chosen source; None with the error shown."""
    source = st.radio("simulate", ["the calculator's inputs", "a scenario file"], horizontal=True, key="sim_source")
    if source == "a scenario file":
        scenario = pick_scenario("sim")
        if scenario is None:
            return None, None
        from studies.sweep import analytic_model, erlang_prediction

        model, notes = analytic_model(scenario)
        for note in notes:
            st.caption(note)
        return scenario, erlang_prediction(scenario) if model else None
    from .calculator import read_inputs

    with st.expander("inputs (as on the calculator)", expanded=True):
        inputs = read_inputs("sim")
        intervals = st.slider("intervals in the simulated day", 1, 48, 8, key="sim_intervals")
    try:
        model = "erlang_a" if inputs.patience_s is not None else "erlang_c"
        erlang = answer(inputs, model)
        agents = inputs.agents if inputs.agents is not None else erlang.document["agents"]
        st.caption(f"{erlang.command}  →  {agents} agents in every interval")
        return scenario_from_inputs(inputs, agents, intervals), erlang_values(erlang.document)
    except UserError as exc:
        show_error(str(exc))
        return None, None


def render() -> None:
    st.title("Simulate")
    scenario, erlang = _source_scenario()
    if scenario is None:
        return
    left, middle, _ = st.columns([1, 1, 2])
    replications = left.number_input("replications", value=scenario.simulation.replications, step=5,
                                     key="sim_replications")
    seed = middle.number_input("seed", value=scenario.simulation.seed, step=1, key="sim_seed")
    if not (2 <= replications <= 10_000):
        show_error(f"Invalid value for '-r' / '--replications': {int(replications)} is not in the range 2<=x<=10000.")
        return
    if seed < 0:
        show_error(f"Invalid value for '-s' / '--seed': {int(seed)} is not in the range x>=0.")
        return
    from .jobs import simulation_key, run_job

    key = simulation_key(scenario, int(replications), int(seed), False)
    job = jobs().get(key)
    if job is None or job.cancelled:
        if job is not None:
            st.warning(f"cancelled after {job.done} of {job.total} replications; nothing was kept")
        if st.button("Run the simulation", type="primary", key="sim_run"):
            job = run_job(jobs(), scenario, int(replications), int(seed))
        else:
            st.info(f"{scenario.name}: press Run to simulate {int(replications)} days (seed {int(seed)}).")
            return
    show_job(job, key, erlang)


def show_job(job, key: str, erlang: dict | None) -> None:
    if job.running:
        job_progress(job, "sim")
        return
    if job.error:
        show_error(job.error)
        return
    if job.cancelled:
        st.warning("cancelled")
        return
    show_result(job.result, key, erlang, job.elapsed_s)



@st.fragment(run_every=0.5)
def _report_button(report) -> None:
    if report.running:
        st.caption("preparing report.html ...")
    elif report.error:
        show_error(report.error)
    else:
        st.download_button("report.html", report.result, "report.html", "text/html", key="dl_report")


def show_result(result, key: str, erlang: dict | None, elapsed_s: float) -> None:
    st.success(f"{result.scenario.name}: {result.replications} replications, seed {result.seed} ({elapsed_s:.1f} s)")
    st.subheader("The day")
    st.dataframe(kpi_rows(result, erlang), hide_index=True, width="stretch")
    if erlang is not None:
        st.caption("Erlang: the steady-state value of each interval (the day weighted by calls, as `callsim sweep` "
                   "does). The simulated day starts empty each morning, so near the cliff the two can differ by more "
                   "than the CI.")
    checks = [f"{t.label}: **{t.status}**" for t in result.targets]
    st.markdown("Targets: " + "; ".join(checks))
    from presentation.documents import result_document, to_json

    left, right, _ = st.columns([1, 1, 3])
    left.download_button("kpis.json", to_json(result_document(result)), "kpis.json", "application/json",
                         key="dl_kpis")
    report = jobs().start(key + "|report.html", report_work(result))
    with right:
        _report_button(report)
    st.subheader("Per interval")
    charts = st.columns(3)
    for column, name in zip(charts, ("service_level", "asa", "abandon_rate")):
        column.plotly_chart(interval_figure(result, name), width="stretch", key=f"sim_chart_{name}",
                            config={"displayModeBar": False})
    st.dataframe(interval_rows(result), hide_index=True, width="stretch")
