"""Replay page: one simulated hour animated from the call records (replication 0 of the chosen
scenario): callers waiting per queue, agents talking / in ACW / idle, abandonments and
callbacks as they happen, the clock; play, pause and speed are Plotly's animation controls,
and hovering a call on the timeline shows its readable trace (`presentation.trace`).

One clock: the title, the slider, the cursor on the timeline and the list of who is in the
system all belong to the same animation frame, so they move together (a second, separate
Streamlit slider for the list used to show another time than the animation)."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from presentation.trace import describe_call
from simulator.records import CALLBACK_ACCEPTED, Outcome

from .common import job_progress, jobs, pick_scenario, show_error
from .jobs import simulation_key
from .frames import calls_at, calls_in_window, replay_frames, talk_start_s

STEP_S = 30.0  # one frame per 30 simulated seconds: 120 frames for the hour
TIMELINE_CALLS = 300
PRESENT_ROWS = 25  # calls listed per frame in "in the system now"
COLOURS = {"waiting": "#E69F00", "talking": "#0072B2", "after-call work": "#56B4E9", "idle": "#BBBBBB"}


def day_work(scenario, seed: int):
    """One day (replication 0) in the background: a large centre's day takes seconds."""
    def work(on_done):
        from simulator.engine import simulate_replication

        day = simulate_replication(scenario, seed, 0)
        on_done(1, 1)
        return day
    return work


def _bars(frames, k: int, queues, groups):
    x, y, colour = [], [], []
    for name in queues:
        x.append(f"waiting: {name}")
        y.append(int(frames.waiting[name][k]))
        colour.append(COLOURS["waiting"])
    for name in groups:
        for state, values in (("talking", frames.talking), ("after-call work", frames.after_call), ("idle", frames.idle)):
            x.append(f"{name}: {state}")
            y.append(int(values[name][k]))
            colour.append(COLOURS[state])
    return go.Bar(x=x, y=y, marker_color=colour, text=y, textposition="outside", cliponaxis=False, showlegend=False,
                  hovertemplate="%{x}: %{y}<extra></extra>")


def present_header(clock: str, n: int) -> str:
    return f"in the system at {clock}: {n} call{'s' if n != 1 else ''} (in the IVR, waiting, talking or in ACW)"


def _present_table(day, scenario, at_s: float, clock: str) -> go.Table:
    present = calls_at(day, at_s)
    lines = [describe_call(day.records, int(i), scenario) for i in present[:PRESENT_ROWS]]
    if len(present) > PRESENT_ROWS:
        lines.append(f"... and {len(present) - PRESENT_ROWS} more")
    return go.Table(header={"values": [present_header(clock, len(present))], "align": "left"},
                    cells={"values": [lines or ["nobody"]], "align": "left", "height": 22},
                    columnwidth=[1])


def _title(frames, k: int) -> str:
    return (f"<b>{frames.clocks[k]}</b>   abandoned so far: {int(frames.abandoned[k])}   "
            f"callbacks accepted so far: {int(frames.callbacks[k])}")


def replay_figure(day, scenario, start_s: float, end_s: float) -> go.Figure:
    frames = replay_frames(day, scenario, start_s, end_s, STEP_S)
    queues = [q.name for q in scenario.queues]
    groups = [g.name for g in scenario.agents]
    figure = make_subplots(rows=3, cols=1, row_heights=[0.3, 0.37, 0.33], vertical_spacing=0.07,
                           specs=[[{}], [{}], [{"type": "table"}]],
                           subplot_titles=("", "calls in the hour (hover a call for its story)", ""))
    figure.add_trace(_bars(frames, 0, queues, groups), row=1, col=1)
    # timeline: one row per call, waiting then talking then ACW
    r = day.records
    chosen = calls_in_window(day, start_s, end_s, TIMELINE_CALLS)
    starts = talk_start_s(day)
    segments = {"waiting": ([], [], []), "talking": ([], [], []), "after-call work": ([], [], [])}
    for row, i in enumerate(chosen):
        text = describe_call(r, int(i), scenario)
        queued = float(r.arrived_at_s[i] + r.ivr_s[i])
        spans = [("waiting", queued, queued + float(r.wait_s[i]))]
        if int(r.group[i]) >= 0 and r.talk_s[i] == r.talk_s[i]:
            talk = float(starts[i])
            spans += [("talking", talk, talk + float(r.talk_s[i])),
                      ("after-call work", talk + float(r.talk_s[i]), talk + float(r.talk_s[i] + r.acw_s[i]))]
        for state, a, b in spans:
            if b <= a:
                continue
            xs, ys, texts = segments[state]
            xs += [(a - start_s) / 60, (b - start_s) / 60, None]
            ys += [row, row, None]
            texts += [text, text, None]
    for state, (xs, ys, texts) in segments.items():
        figure.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": COLOURS[state], "width": 3},
                                    name=state, hovertext=texts, hoverinfo="text"), row=2, col=1)
    # abandonments and accepted callbacks, where they happen on the timeline
    for label, symbol, colour, test in (
            ("abandoned", "x", "#CC0000", lambda i: int(r.outcome[i]) == Outcome.ABANDONED),
            ("callback accepted", "diamond", "#009E73", lambda i: bool(int(r.flags[i]) & CALLBACK_ACCEPTED))):
        rows = [(row, int(i)) for row, i in enumerate(chosen) if test(int(i))]
        figure.add_trace(go.Scatter(
            x=[(float(r.arrived_at_s[i] + r.ivr_s[i] + r.wait_s[i]) - start_s) / 60 for _, i in rows],
            y=[row for row, _ in rows], mode="markers", marker={"symbol": symbol, "color": colour, "size": 8},
            name=label, hovertext=[describe_call(r, i, scenario) for _, i in rows], hoverinfo="text"), row=2, col=1)
    height = max(len(chosen), 1)
    figure.add_trace(go.Scatter(x=[0, 0], y=[-1, height], mode="lines", line={"color": "#CC0000", "width": 2},
                                name="now", hoverinfo="skip"), row=2, col=1)
    cursor = len(figure.data) - 1
    figure.add_trace(_present_table(day, scenario, frames.times_s[0], frames.clocks[0]), row=3, col=1)
    listing = len(figure.data) - 1
    top = max(max((int(v.max()) for v in (*frames.waiting.values(), *frames.talking.values(),
                                           *frames.after_call.values(), *frames.idle.values())), default=1), 1)
    figure.frames = [
        go.Frame(name=frames.clocks[k], data=[_bars(frames, k, queues, groups),
                                              go.Scatter(x=[(t - start_s) / 60] * 2, y=[-1, height]),
                                              _present_table(day, scenario, t, frames.clocks[k])],
                 traces=[0, cursor, listing], layout={"title": {"text": _title(frames, k)}})
        for k, t in enumerate(frames.times_s)
    ]

    def play(ms: int) -> dict:
        return {"frame": {"duration": ms, "redraw": True}, "transition": {"duration": 0}, "fromcurrent": True,
                "mode": "immediate"}

    figure.update_layout(
        height=1250, title={"text": _title(frames, 0), "y": 0.99, "yanchor": "top", "x": 0.01},
        margin={"l": 10, "r": 10, "t": 140, "b": 10},
        legend={"orientation": "v", "x": 1.0, "xanchor": "right", "y": 0.62, "yanchor": "top",
                "bgcolor": "rgba(255,255,255,0.8)"},
        # the controls in one row above the plots, the clock's slider beside the buttons
        updatemenus=[{"type": "buttons", "direction": "left", "x": 0, "y": 1.015, "xanchor": "left",
                      "yanchor": "bottom", "showactive": True,
                      "buttons": [{"label": "▶ play", "method": "animate", "args": [None, play(250)]},
                                  {"label": "▶▶ 4× speed", "method": "animate", "args": [None, play(60)]},
                                  {"label": "⏸ pause", "method": "animate",
                                   "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]}]}],
        sliders=[{"active": 0, "x": 0.3, "len": 0.7, "y": 1.0, "yanchor": "bottom", "pad": {"t": 0, "b": 10},
                  "currentvalue": {"prefix": "clock "},
                  "steps": [{"label": c, "method": "animate",
                             "args": [[c], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate"}]}
                            for c in frames.clocks]}])
    figure.update_yaxes(range=[0, top * 1.25], title_text="people", row=1, col=1)
    figure.update_xaxes(title_text="minutes into the hour", range=[0, (end_s - start_s) / 60], row=2, col=1)
    figure.update_yaxes(title_text="call", autorange="reversed", row=2, col=1)
    return figure


def render() -> None:
    st.title("Replay one simulated hour")
    scenario = pick_scenario("replay")
    if scenario is None:
        return
    left, right = st.columns(2)
    labels = scenario.interval_labels()
    hour_starts = [label for k, label in enumerate(labels) if (k * scenario.interval_s) % 3600 == 0] or labels[:1]
    start_clock = left.selectbox("hour starting at", hour_starts, key="replay_hour")
    seed = right.number_input("seed", value=scenario.simulation.seed, min_value=0, step=1, key="replay_seed")
    try:
        start_s = scenario.offset_of_clock(start_clock)
    except Exception as exc:  # noqa: BLE001 - the clock comes from the scenario's own labels
        show_error(str(exc))
        return
    end_s = min(start_s + 3600.0, scenario.n_intervals * scenario.interval_s)
    job = jobs().start(simulation_key(scenario, "replay day", int(seed)), day_work(scenario, int(seed)))
    if job.running:
        job_progress(job, "replay", "simulating the day:")
        return
    if job.error:
        show_error(job.error)
        return
    day = job.result
    st.plotly_chart(replay_figure(day, scenario, start_s, end_s), width="stretch", key="replay_chart")
    st.caption("Play, pause or drag the clock: the counts, the red cursor on the timeline and the list of who is "
               "in the system (below the timeline) all show the same moment.")
