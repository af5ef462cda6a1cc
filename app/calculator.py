"""Calculator page: one interval's inputs on sliders and boxes, Erlang C and Erlang A answers
as they move (the numbers of `callsim erlang`, see `app.inputs`), the wait-vs-agents cliff and
the occupancy band beside them."""
from __future__ import annotations

import streamlit as st

from .common import show_error
from .inputs import CalculatorInputs, InputProblem, answer, curve, occupancy_band_agents

MODELS = (("erlang_c", "Erlang C", "nobody hangs up"), ("erlang_a", "Erlang A", "callers hang up"))


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def seconds(value: float | None) -> str:
    return "none" if value is None else f"{value:.1f} s"


def read_inputs(prefix: str = "calc") -> CalculatorInputs:
    """The calculator's widgets (also used by the Simulate page, with its own keys)."""
    left, middle, right = st.columns(3)
    with left:
        calls = st.slider("calls per interval", 0, 3000, 100, key=f"{prefix}_calls")
        interval = st.number_input("interval length (minutes)", value=30.0, step=15.0, key=f"{prefix}_interval")
        aht = st.number_input("AHT: average handle time (s)", value=180.0, step=5.0, key=f"{prefix}_aht",
                              help="talk + hold + after-call work, per answered call")
    with middle:
        hang_up = st.checkbox("callers hang up (Erlang A)", value=True, key=f"{prefix}_hangup")
        patience = st.number_input("mean patience (s)", value=180.0, step=10.0, key=f"{prefix}_patience",
                                   disabled=not hang_up)
        sl = st.slider("service level target (%)", 0, 100, 80, key=f"{prefix}_sl")
        sl_seconds = st.number_input("answered within (s)", value=20.0, step=5.0, key=f"{prefix}_slsec")
    with right:
        asa = st.number_input("ASA target (s), optional", value=None, step=5.0, key=f"{prefix}_asa")
        max_abandon = st.number_input("maximum abandonment (%), optional (Erlang A)", value=None, step=1.0,
                                      key=f"{prefix}_maxab")
        band = st.slider("occupancy band (%)", 0, 100, (75, 85), key=f"{prefix}_band")
        shrinkage = st.slider("shrinkage (%)", 0, 60, 0, key=f"{prefix}_shrink")
    left, right = st.columns([1, 2])
    with left:
        mode = st.radio("agents", ["size for the targets", "evaluate a number of agents"], horizontal=True,
                        key=f"{prefix}_mode")
    with right:
        agents = st.slider("agents on the phones", 0, 400, 12, key=f"{prefix}_agents",
                           disabled=mode == "size for the targets")
    return CalculatorInputs(
        calls=float(calls), interval_minutes=float(interval), aht_s=float(aht),
        patience_s=float(patience) if hang_up else None, sl_target=sl / 100, sl_seconds=float(sl_seconds),
        asa_target_s=None if asa is None else float(asa),
        max_abandon=None if max_abandon is None or not hang_up else max_abandon / 100,
        occupancy_band=(band[0] / 100, band[1] / 100), shrinkage=shrinkage / 100,
        agents=int(agents) if mode != "size for the targets" else None)


@st.cache_data(show_spinner=False, max_entries=2000)
def answers(inputs: CalculatorInputs) -> dict:
    """Both models' answers, cached per input: moving a slider back is instant."""
    found = {}
    for model, _, _ in MODELS:
        if model == "erlang_a" and inputs.patience_s is None:
            continue
        found[model] = answer(inputs, model)
    return found


@st.cache_data(show_spinner=False, max_entries=500)
def curves(inputs: CalculatorInputs, around: int) -> dict:
    return {model: curve(inputs, model, around) for model, _, _ in MODELS
            if model == "erlang_c" or inputs.patience_s is not None}


@st.cache_data(show_spinner=False, max_entries=500)
def cliff_figure_cached(inputs: CalculatorInputs, around: int) -> dict:
    return cliff_figure(inputs, answers(inputs), curves(inputs, around))


def cliff_figure(inputs: CalculatorInputs, found: dict, lines: dict) -> dict:
    """The cliff as a plain Plotly figure dict: ASA against agents (left axis), service level
    (right axis), the occupancy band shaded, each model's answer marked. A dict, not
    graph_objects: building and validating those took most of a slider's 200 ms."""
    colours = {"erlang_c": "#0072B2", "erlang_a": "#D55E00"}
    names = {model: name for model, name, _ in MODELS}
    data = []
    for model, c in lines.items():
        data.append({"type": "scatter", "x": list(c.agents), "y": list(c.asa_s), "mode": "lines+markers",
                     "name": f"ASA, {names[model]}", "line": {"color": colours[model]}, "yaxis": "y"})
        data.append({"type": "scatter", "x": list(c.agents), "y": [v * 100 for v in c.service_level], "mode": "lines",
                     "name": f"service level, {names[model]}", "line": {"color": colours[model], "dash": "dot"},
                     "yaxis": "y2"})
    first = min(min(c.agents) for c in lines.values())
    last = max(max(c.agents) for c in lines.values())
    shapes, annotations = [], []
    low_n, high_n = occupancy_band_agents(inputs)
    if low_n < last and high_n > first:
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": max(low_n, first), "x1": min(high_n, last),
                       "y0": 0, "y1": 1, "fillcolor": "#009E73", "opacity": 0.12, "line": {"width": 0}})
        annotations.append({"xref": "x", "yref": "paper", "x": max(low_n, first), "y": 1, "xanchor": "left",
                            "yanchor": "bottom", "showarrow": False,
                            "text": f"occupancy {inputs.occupancy_band[0]:.0%}-{inputs.occupancy_band[1]:.0%}"})
    for model, a in found.items():
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": a.document["agents"],
                       "x1": a.document["agents"], "y0": 0, "y1": 1, "opacity": 0.6,
                       "line": {"color": colours[model], "dash": "dash"}})
    if inputs.sl_target is not None:
        shapes.append({"type": "line", "xref": "paper", "yref": "y2", "x0": 0, "x1": 1, "y0": inputs.sl_target * 100,
                       "y1": inputs.sl_target * 100, "opacity": 0.5, "line": {"color": "#555555", "dash": "dot"}})
    layout = {
        "height": 430, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "hovermode": "x unified",
        "title": {"text": "The wait-vs-agents cliff"}, "legend": {"orientation": "h", "y": -0.2},
        "xaxis": {"title": {"text": "agents on the phones"}},
        "yaxis": {"title": {"text": "ASA: mean wait of answered calls (s)"}, "rangemode": "tozero"},
        "yaxis2": {"title": {"text": f"answered within {inputs.sl_seconds:g} s (%)"}, "range": [0, 100],
                   "overlaying": "y", "side": "right", "showgrid": False, "dtick": 20, "tickmode": "linear"},
        "shapes": shapes, "annotations": annotations,
    }
    return {"data": data, "layout": layout}


ROWS = (("service level", "service_level", percent), ("ASA", "asa", seconds),
        ("abandonment", "p_abandon", lambda v: "none" if v is None else percent(v)),
        ("occupancy", "occupancy", percent), ("P(wait)", "p_wait", percent))


def answer_rows(found: dict) -> list[dict]:
    """The answers as a table: one row per KPI, one column per model (the page's text)."""
    titles = {model: title for model, title, _ in MODELS}
    rows = [{"": "agents", **{titles[m]: str(a.document["agents"]) for m, a in found.items()}},
            {"": "scheduled headcount", **{titles[m]: str(a.document["scheduled_agents"]) for m, a in found.items()}}]
    for label, key, fmt in ROWS:
        rows.append({"": label, **{titles[m]: fmt(a.document[key]) for m, a in found.items()}})
    rows.append({"": "set by", **{titles[m]: a.binding_text for m, a in found.items()}})
    return rows


def show_headline(found: dict) -> None:
    """The answers in one row of figures: agents and service level per model. The page draws
    them above the inputs, so that they are on screen at 1024 x 768 without scrolling."""
    models = [m for m in MODELS if m[0] in found]
    columns = st.columns(2 * len(models))
    for k, (model, title, subtitle) in enumerate(models):
        a = found[model]
        given = a.document["binding_constraint"] == "given"
        columns[2 * k].metric(f"{title}: agents", f"{a.document['agents']}",
                              help=f"{title} ({subtitle}): " + ("given" if given else f"required, set by {a.binding_text}"))
        columns[2 * k + 1].metric(f"{title}: service level", percent(a.document["service_level"]))


def show_answers(found: dict, inputs: CalculatorInputs) -> None:
    st.table(answer_rows(found))
    st.caption(f"offered load {inputs.offered_load_erlangs:.2f} Erlangs; Erlang C: nobody hangs up; "
               "Erlang A: callers hang up after an exponential patience")
    for model, a in found.items():
        for note in a.notes:
            st.markdown(f"- {dict((m, t) for m, t, _ in MODELS)[model]}: {note}")
    with st.expander("the same question on the command line"):
        for a in found.values():
            st.code(a.command, language="bash")


def render() -> None:
    st.title("Erlang calculator")
    st.caption("One interval, steady state. The numbers are exactly those of `callsim erlang` for the same inputs "
               "(the commands are under the answers).")
    top = st.container()  # filled once the inputs are read: the answers come first on the screen
    inputs = read_inputs()
    try:
        found = answers(inputs)
    except InputProblem as exc:
        with top:
            show_error(str(exc))
        return
    with top:
        show_headline(found)
    answers_column, chart_column = st.columns([4, 7], gap="medium")
    with answers_column:
        show_answers(found, inputs)
    around = max(a.document["agents"] for a in found.values())
    with chart_column:
        if inputs.calls > 0:
            st.plotly_chart(cliff_figure_cached(inputs, around), width="stretch", key="cliff_chart")
            st.caption("Waits stay short while agents have slack, then climb steeply as occupancy nears 100%: each "
                       "agent below the band costs callers more than the one before. The green band is where "
                       "occupancy (offered load / agents) sits inside the chosen band.")
