"""The web app (`callsim app`): its pages through Streamlit's own testing API (AppTest), the
running app in headless Chromium on loopback, and the pure parts (the calculator's answers,
background jobs, the replay's frames, the lessons' explanations) against the command line and
hand-counted values.

Skipped as a whole when Streamlit or Plotly is not installed (`pip install -e '.[app]'`).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import time

import numpy as np
import pytest

pytest.importorskip("streamlit")
pytest.importorskip("plotly")

from streamlit.testing.v1 import AppTest  # noqa: E402

from app.frames import calls_at, replay_frames, talk_start_s  # noqa: E402
from app.inputs import CalculatorInputs, answer  # noqa: E402
from app.jobs import Job, Jobs, run_job  # noqa: E402
from simulator.engine import Outcome, simulate_replication  # noqa: E402
from simulator.loading import load_scenario, scenario_from_text  # noqa: E402
from simulator.run import run_scenario  # noqa: E402

from helpers import HELP_DESK, REPO, assert_user_error, run_cli  # noqa: E402

MAIN = str(REPO / "app" / "main.py")


def _quiet_streamlit_logging():
    """Streamlit's loggers keep the stderr of the test that created them (a closed capture in a
    later test) and warn that a bare script has no browser session: send them to the real
    stderr, errors only, so the command line's stderr stays what the CLI printed."""
    import logging
    import sys

    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logger = logging.getLogger(name)
            logger.setLevel(logging.ERROR)
            for handler in logger.handlers:
                # Streamlit's own handler only: pytest's log capture handlers are StreamHandlers
                # too (on a StringIO it reads back), and must keep their stream
                if type(handler) is logging.StreamHandler:
                    handler.stream = sys.__stderr__  # no flush of the closed one


@pytest.fixture(autouse=True, scope="module")
def _no_job_left_running():
    yield
    from app.jobs import stop_all

    stop_all()


@pytest.fixture(autouse=True)
def _quiet():
    _quiet_streamlit_logging()
    yield
    _quiet_streamlit_logging()


def app(page: str = "calculator") -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["page"] = page
    at.run()
    _quiet_streamlit_logging()
    assert not at.exception, at.exception
    return at


def erlang_json(capsys, command: str) -> dict:
    """`callsim erlang ... --json` for the command the page shows."""
    args = command.split()[2:]
    code, out, err = run_cli(capsys, "erlang", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def table(at) -> dict[str, dict[str, str]]:
    """The calculator's answer table: {row label: {model: text}}."""
    frame = at.table[0].value
    return {row[""]: {k: v for k, v in row.items() if k != ""} for row in frame.to_dict("records")}


def expected_cells(document: dict) -> dict[str, str]:
    """How the page prints `callsim erlang --json`'s numbers (the command's own formats)."""
    return {
        "agents": str(document["agents"]), "scheduled headcount": str(document["scheduled_agents"]),
        "service level": f"{document['service_level']:.1%}",
        "ASA": "none" if document["asa"] is None else f"{document['asa']:.1f} s",
        "abandonment": "none" if document["p_abandon"] is None else f"{document['p_abandon']:.1%}",
        "occupancy": f"{document['occupancy']:.1%}", "P(wait)": f"{document['p_wait']:.1%}",
    }


def assert_page_equals_cli(at, capsys) -> dict:
    commands = [block.value for block in at.code if block.value.startswith("callsim erlang")]
    assert len(commands) == 2, commands  # Erlang C and Erlang A
    shown = table(at)
    documents = {}
    for model, command in zip(("Erlang C", "Erlang A"), commands):
        document = erlang_json(capsys, command)
        documents[model] = document
        for row, text in expected_cells(document).items():
            assert shown[row][model] == text, (model, row, command)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Erlang C: agents"] == str(documents["Erlang C"]["agents"])
    assert metrics["Erlang A: agents"] == str(documents["Erlang A"]["agents"])
    return documents


# --- the calculator ------------------------------------------------------------------------------


def test_calculator_numbers_are_callsim_erlangs_and_follow_the_sliders(capsys):
    at = app("calculator")
    first = assert_page_equals_cli(at, capsys)
    # hand check of the default (100 calls in 30 min, AHT 180 s: 10 Erlangs; Erlang C for 80/20
    # needs 14 agents: SL 88.8% at 14, below 80% at 13)
    assert first["Erlang C"]["agents"] == 14 and math.isclose(first["Erlang C"]["offered_load_erlangs"], 10.0)
    at.slider(key="calc_calls").set_value(250)
    at.number_input(key="calc_aht").set_value(240.0)
    at.run()
    moved = assert_page_equals_cli(at, capsys)
    assert moved["Erlang C"]["agents"] > first["Erlang C"]["agents"]  # 33.3 Erlangs need more people
    assert math.isclose(moved["Erlang C"]["offered_load_erlangs"], 250 * 240 / 1800)
    # the reverse calculation: evaluate a given number of agents
    at.radio(key="calc_mode").set_value("evaluate a number of agents")
    at.run()  # the agents slider is enabled only now, as in the browser
    at.slider(key="calc_agents").set_value(30)
    at.run()
    evaluated = assert_page_equals_cli(at, capsys)
    assert evaluated["Erlang C"]["agents"] == 30 and evaluated["Erlang C"]["binding_constraint"] == "given"
    # back to the first inputs: the same answers (served from the cache)
    at.radio(key="calc_mode").set_value("size for the targets")
    at.slider(key="calc_calls").set_value(100)
    at.number_input(key="calc_aht").set_value(180.0)
    at.run()
    assert assert_page_equals_cli(at, capsys) == first


def test_calculator_erlang_a_alone_with_an_abandonment_target(capsys):
    at = app("calculator")
    at.number_input(key="calc_maxab").set_value(2.0)
    at.number_input(key="calc_asa").set_value(15.0)
    at.run()
    documents = assert_page_equals_cli(at, capsys)
    commands = [block.value for block in at.code if block.value.startswith("callsim erlang")]
    assert "--max-abandon 0.02" in commands[1] and "--max-abandon" not in commands[0]
    assert documents["Erlang A"]["p_abandon"] <= 0.02


@pytest.mark.parametrize("key, value, cli_args", [
    ("calc_aht", -5.0, ["--calls", "100", "--aht", "-5"]),
    ("calc_aht", 0.0, ["--calls", "100", "--aht", "0"]),
    ("calc_interval", 0.0, ["--calls", "100", "--aht", "180", "--interval-minutes", "0"]),
    ("calc_patience", -1.0, ["--calls", "100", "--aht", "180", "--patience", "-1"]),
])
def test_bad_input_shows_the_cli_line_and_the_app_keeps_running(capsys, key, value, cli_args):
    at = app("calculator")
    at.number_input(key=key).set_value(value)
    at.run()
    assert not at.exception
    line = assert_user_error(*run_cli(capsys, "erlang", *cli_args))
    assert [e.value for e in at.error] == [line.split("error: ", 1)[1]]
    at.number_input(key=key).set_value({"calc_aht": 180.0, "calc_interval": 30.0, "calc_patience": 180.0}[key])
    at.run()
    assert not at.error and table(at)["agents"]["Erlang C"] == "14"  # answers again


def test_zero_agents_are_answered_as_the_cli_answers_them(capsys):
    at = app("calculator")
    at.radio(key="calc_mode").set_value("evaluate a number of agents")
    at.run()
    at.slider(key="calc_agents").set_value(0)
    at.run()
    documents = assert_page_equals_cli(at, capsys)
    assert documents["Erlang C"]["asa"] is None and documents["Erlang C"]["service_level"] == 0.0
    code, out, _ = run_cli(capsys, "erlang", "--calls", 100, "--aht", 180, "--agents", 0)
    notes = [line.split("note: ", 1)[1] for line in out.splitlines() if "note: " in line]
    shown = [block.value for block in at.markdown if block.value.startswith("- Erlang C: ")]
    assert code == 0 and shown == [f"- Erlang C: {note}" for note in notes] and notes


# --- scenarios given to the app ----------------------------------------------------------------


def test_a_broken_scenario_shows_the_cli_line_in_the_page(tmp_path, capsys, monkeypatch):
    broken = tmp_path / "broken.yaml"
    broken.write_text(HELP_DESK.read_text().replace("mean: 240", "mean: -240"))
    line = assert_user_error(*run_cli(capsys, "validate", broken), "broken.yaml:", "talk_time.mean")
    monkeypatch.setenv("CALLSIM_APP_SCENARIO", str(broken))
    at = app("simulate")
    at.radio(key="sim_source").set_value("a scenario file")
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [line.split("error: ", 1)[1]]
    # an uploaded file is read by the same function, under its own name
    with pytest.raises(Exception) as raised:
        scenario_from_text(broken.read_text(), "broken.yaml")
    assert str(raised.value) == line.split("error: ", 1)[1].replace(str(broken), "broken.yaml")
    # and the app keeps running: a good file simulates
    at.selectbox(key="sim_file").set_value("scenarios/help_desk.yaml")
    at.run()
    assert not at.error and any(b.label == "Run the simulation" for b in at.button)


def wait_for_results(at, what: str, timeout_s: float = 120.0):
    deadline = time.monotonic() + timeout_s
    while True:
        at.run()
        assert not at.exception, at.exception
        if at.dataframe or at.table:
            return at
        assert time.monotonic() < deadline, f"no {what} after {timeout_s:g} s"
        time.sleep(0.3)


def test_a_simulation_runs_in_the_background_and_shows_callsim_runs_kpis():
    at = app("simulate")
    at.slider(key="sim_intervals").set_value(2)
    at.number_input(key="sim_replications").set_value(5)
    at.run()
    at.button(key="sim_run").click()
    at.run()
    assert not at.exception
    wait_for_results(at, "KPIs")
    rows = {row["KPI"]: row for row in at.dataframe[0].value.to_dict("records")}
    # the same numbers as callsim run for the scenario the page built (same seed, replications)
    from app.simulate import erlang_values, kpi_rows, scenario_from_inputs

    inputs = CalculatorInputs()
    agents = answer(inputs, "erlang_a").document["agents"]
    scenario = scenario_from_inputs(inputs, agents, 2)
    expected = {row["KPI"]: row for row in kpi_rows(run_scenario(scenario, 5, scenario.simulation.seed),
                                                    erlang_values(answer(inputs, "erlang_a").document))}
    assert rows == expected
    assert rows["service level"]["Erlang"] == f"{answer(inputs, 'erlang_a').document['service_level'] * 100:.1f}%"
    deadline = time.monotonic() + 120  # report.html is rendered in the background
    while {b.label for b in at.get("download_button")} != {"kpis.json", "report.html"}:
        assert time.monotonic() < deadline, "no report.html to download"
        time.sleep(0.3)
        at.run()


def test_jobs_report_progress_cancel_and_are_kept_per_input():
    scenario = load_scenario(HELP_DESK)
    jobs = Jobs()
    job = run_job(jobs, scenario, 3, 7)
    assert run_job(jobs, scenario, 3, 7) is job  # the same question: the same job
    assert job.wait(120) and job.error is None and (job.done, job.total) == (3, 3)
    direct = run_scenario(scenario, 3, 7)
    for name, values in direct.per_replication.items():
        np.testing.assert_array_equal(job.result.per_replication[name], values)

    def slow(on_done):
        for k in range(1, 1001):
            time.sleep(0.01)
            on_done(k, 1000)
        return "finished"

    cancelled = jobs.start("slow", slow)
    time.sleep(0.1)
    cancelled.cancel()
    assert cancelled.wait(10) and cancelled.cancelled and cancelled.result is None and cancelled.done < 1000
    again = jobs.start("slow", slow)
    assert again is not cancelled  # a cancelled question is asked afresh
    again.cancel()
    again.wait(10)
    failing = Job(lambda on_done: load_scenario(REPO / "no-such.yaml")).start()
    assert failing.wait(10) and "no such file" in failing.error


# --- the replay --------------------------------------------------------------------------------


def test_replay_frames_count_what_the_records_say():
    scenario = load_scenario(HELP_DESK)
    day = simulate_replication(scenario, 11, 0)
    r = day.records
    frames = replay_frames(day, scenario, 3600.0, 7200.0, 60.0)
    assert len(frames.times_s) == 61 and frames.clocks[0] == "09:00:00" and frames.clocks[-1] == "10:00:00"
    queued = r.arrived_at_s + r.ivr_s
    starts = talk_start_s(day)
    served = (r.outcome == Outcome.ANSWERED) | (r.outcome == Outcome.CALLBACK_COMPLETED)
    team = scenario.agents[0].name
    for k, t in enumerate(frames.times_s):  # counted one call at a time
        waiting = sum(1 for i in range(len(r)) if r.wait_s[i] > 0 and queued[i] <= t < queued[i] + r.wait_s[i])
        talking = sum(1 for i in range(len(r)) if served[i] and starts[i] <= t < starts[i] + r.talk_s[i])
        busy = sum(1 for a, b in zip(day.busy_start_s, day.busy_end_s) if a <= t < b)
        assert frames.waiting["support"][k] == waiting
        assert frames.talking[team][k] == talking
        assert frames.talking[team][k] + frames.after_call[team][k] == busy
        assert frames.idle[team][k] == max(10 - busy, 0)  # 10 agents on shift all morning
    abandoned = sorted(queued[i] + r.wait_s[i] for i in range(len(r)) if r.outcome[i] == Outcome.ABANDONED
                       and queued[i] + r.wait_s[i] >= 3600.0)
    assert frames.abandoned[-1] == sum(1 for a in abandoned if a <= 7200.0)
    present = calls_at(day, 5400.0)
    assert all(r.arrived_at_s[i] <= 5400.0 for i in present) and len(present) >= frames.waiting["support"][30]


def test_replay_page_draws_an_animation_of_the_hour():
    at = app("replay")
    deadline = time.monotonic() + 60  # the day is simulated in the background
    while not at.get("plotly_chart"):
        assert time.monotonic() < deadline, "no replay drawn"
        time.sleep(0.2)
        at.run()
    chart = at.get("plotly_chart")[0]
    spec = json.loads(chart.proto.spec)
    assert len(spec["frames"]) == 121  # one frame per 30 s of the hour, both ends included
    assert spec["frames"][0]["name"] == "08:00:00" and spec["frames"][-1]["name"] == "09:00:00"
    buttons = [b["label"] for b in spec["layout"]["updatemenus"][0]["buttons"]]
    assert any("play" in b for b in buttons) and any("pause" in b for b in buttons) and any("4×" in b for b in buttons)
    hover = [t for trace in spec["data"] for t in (trace.get("hovertext") or []) if t]
    assert hover and all("caller" in t for t in hover)
    # one clock: each frame carries its own list of who is in the system, headed by the frame's time,
    # and the list is what calls_at gives at that time (no second slider that can show another time)
    assert not [s for s in at.slider if s.key == "replay_minute"]
    scenario = load_scenario(HELP_DESK)
    day = simulate_replication(scenario, scenario.simulation.seed, 0)
    for frame in (spec["frames"][0], spec["frames"][60]):
        table = [t for t in frame["data"] if t.get("type") == "table"][0]
        clock = frame["name"]
        at_s = scenario.offset_of_clock(clock[:5]) + int(clock[6:8])
        n = len(calls_at(day, at_s))
        assert table["header"]["values"][0].startswith(f"in the system at {clock}: {n} call")
        assert frame["layout"]["title"]["text"].startswith(f"<b>{clock}</b>")


# --- lessons and compare -----------------------------------------------------------------------


def test_lessons_page_runs_with_the_classs_own_numbers():
    at = app("lessons")
    at.number_input(key="lv_agents").set_value(12)
    at.number_input(key="lv_calls").set_value(120.0)
    at.number_input(key="l_variability_reps").set_value(3)
    at.run()
    at.button(key="l_variability_run").click()
    at.run()
    deadline = time.monotonic() + 180
    while not any("Three teams of 12" in m.value for m in at.markdown):
        assert time.monotonic() < deadline, "the lesson did not finish"
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert "(10 Erlangs)" in text  # 120 calls an hour of 5 minutes
    assert "Allen-Cunneen" in text and ("The gap" in text or "inside the simulated 95% CI" in text)
    assert at.get("imgs") or at.get("image")


def compared(first: str, second: str, replications: int = 3) -> AppTest:
    """The compare page after comparing two shipped scenarios."""
    at = app("compare")
    at.selectbox(key="cmp_a_file").set_value(f"scenarios/{first}")
    at.selectbox(key="cmp_b_file").set_value(f"scenarios/{second}")
    at.number_input(key="cmp_replications").set_value(replications)
    at.run()
    at.button(key="cmp_run").click()
    at.run()
    return wait_for_results(at, "comparison")


def test_compare_page_shows_paired_differences():
    at = compared("callback_peak_off.yaml", "callback_peak_on.yaml")
    rows = at.table[0].value.to_dict("records")
    assert list(rows[0])[:2] == ["KPI", "B - A (paired)"]  # the difference right after the KPI's name
    assert any(row["KPI"] == "service level" for row in rows)
    assert any("callback" in m.value.lower() for m in at.markdown)
    assert "Callbacks" in [s.value for s in at.subheader]  # the callback measures have their table
    assert "The IVR" not in [s.value for s in at.subheader]  # negative control: no IVR there, no IVR table
    # the plots of callsim compare: KPIs, differences, per interval (one queue: no per-queue plot; no menus)
    assert len(at.get("image")) == 3


def test_compare_page_shows_the_ivr_measures_and_the_menus():
    at = compared("ivr_deep_menu.yaml", "ivr_broad_menu.yaml")
    ivr = at.table[1].value.to_dict("records")
    kpis = [row["KPI"] for row in ivr]
    assert "IVR containment" in kpis and "misroutes" in kpis and "agent time on transfers" in kpis
    assert any(s.value == "The IVR" for s in at.subheader)
    assert len(at.get("image")) == 6  # four comparison plots and the two menus side by side
    assert at.info[0].value.startswith("Verdict: ")


# --- the command -------------------------------------------------------------------------------


def test_app_command_refuses_a_broken_scenario_before_starting(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("schema_version: 1\nname: x\nfoo: 1\n")
    assert_user_error(*run_cli(capsys, "app", broken, "--port", 8599), "broken.yaml:")
    code, out, _ = run_cli(capsys, "app", "--help")
    assert code == 0 and "127.0.0.1" in out


# --- the running app in a real browser ---------------------------------------------------------


def _browser_or_skip(tmp_path):
    from app_browser import Browser

    if shutil.which("chromium") is None:
        message = "chromium is not installed (apt-get install chromium); the browser test of the app needs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return Browser(tmp_path)


METRICS_JS = "[...document.querySelectorAll('[data-testid=\"stMetric\"]')].map(e => e.innerText.replace(/\\s+/g, ' '))"
TITLE_JS = "(() => { const e = document.querySelector('.js-plotly-plot .gtitle'); return e ? e.textContent : null; })()"


def test_the_running_app_in_headless_chromium(tmp_path):
    from app_browser import served_app

    from browser import assert_real_png

    browser = _browser_or_skip(tmp_path)
    try:
        with served_app() as base:
            assert base.startswith("http://127.0.0.1:")
            browser.goto(base + "/?page=calculator")
            metrics = browser.wait_for(f"(() => {{ const m = {METRICS_JS}; return m.length >= 4 ? m : null; }})()", 60,
                                       "the calculator's answers")
            assert "Erlang C: agents 14" in metrics
            browser.pump(1.0)
            assert_real_png(browser.screenshot(tmp_path / "calculator.png"))
            browser.type_into("document.querySelector('input[aria-label=\"AHT: average handle time (s)\"]')", "360")
            expected = answer(CalculatorInputs(aht_s=360.0), "erlang_c").document["agents"]
            assert expected != 14
            browser.wait_for(f"{METRICS_JS}.includes('Erlang C: agents {expected}')", 30, "the changed answer")
            browser.pump(0.5)
            assert_real_png(browser.screenshot(tmp_path / "calculator_changed.png"))
            browser.goto(base + "/?page=replay")
            first = browser.wait_for(TITLE_JS, 60, "the replay")
            assert first.startswith("08:00:00")
            x, y = browser.centre_of("document.querySelector('.js-plotly-plot .updatemenu-button')")  # play
            browser.click_at(x, y)
            browser.pump(2.0)
            later = browser.evaluate(TITLE_JS)
            assert later != first and later[:8] > first[:8], (first, later)  # the clock moved: frames were drawn
            assert_real_png(browser.screenshot(tmp_path / "replay.png"))
            assert browser.errors == []
    finally:
        browser.close()
    keep_screenshots([tmp_path / name for name in ("calculator.png", "calculator_changed.png", "replay.png")])


def keep_screenshots(paths) -> None:
    """Copy the screenshots to $CALLSIM_KEEP_SCREENSHOTS, when set, to look at them."""
    keep = os.environ.get("CALLSIM_KEEP_SCREENSHOTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        for path in paths:
            shutil.copy(path, keep)


def test_a_scenario_file_is_simulated_beside_its_erlang_prediction():
    from studies.sweep import erlang_prediction

    from presentation.text import format_value

    at = app("simulate")
    at.radio(key="sim_source").set_value("a scenario file")
    at.run()
    at.selectbox(key="sim_file").set_value("scenarios/help_desk.yaml")
    at.number_input(key="sim_replications").set_value(3)
    at.run()
    at.button(key="sim_run").click()
    at.run()
    wait_for_results(at, "KPIs")
    rows = {row["KPI"]: row for row in at.dataframe[0].value.to_dict("records")}
    predicted = erlang_prediction(load_scenario(HELP_DESK))
    assert rows["service level"]["Erlang"] == format_value("service_level", predicted["service_level"])
    assert any("lognormal" in c.value for c in at.main.caption)  # what the formula leaves out


def test_a_long_simulation_can_be_cancelled_from_the_page():
    at = app("simulate")
    at.slider(key="sim_intervals").set_value(48)
    at.number_input(key="sim_replications").set_value(5000)
    at.run()
    at.button(key="sim_run").click()
    at.run()
    assert any(p.proto.text.startswith("replications ") for p in at.get("progress"))  # shown at once
    time.sleep(0.5)
    at.button(key="sim_cancel").click()
    at.run()
    deadline = time.monotonic() + 30
    while not at.warning:
        assert time.monotonic() < deadline, "the run was not cancelled"
        time.sleep(0.2)
        at.run()
    assert at.warning[0].value.startswith("cancelled after ") and not at.dataframe
    assert any(b.label == "Run the simulation" for b in at.button)  # ready to run again


@pytest.mark.parametrize("key, value, cli_args", [
    ("sim_aht", -5.0, ["--calls", "100", "--aht", "-5"]),
    ("sim_interval", 0.0, ["--calls", "100", "--aht", "180", "--interval-minutes", "0"]),
])
def test_bad_input_on_the_simulate_page_shows_the_cli_line(capsys, key, value, cli_args):
    at = app("simulate")
    at.number_input(key=key).set_value(value)
    at.run()
    line = assert_user_error(*run_cli(capsys, "erlang", *cli_args))
    assert not at.exception and [e.value for e in at.error] == [line.split("error: ", 1)[1]]


def test_zero_agents_simulate_to_nobody_answered():
    at = app("simulate")
    at.radio(key="sim_mode").set_value("evaluate a number of agents")
    at.run()
    at.slider(key="sim_agents").set_value(0)
    at.slider(key="sim_intervals").set_value(1)
    at.number_input(key="sim_replications").set_value(2)
    at.run()
    at.button(key="sim_run").click()
    at.run()
    wait_for_results(at, "KPIs")
    rows = {row["KPI"]: row for row in at.dataframe[0].value.to_dict("records")}
    assert rows["calls answered"]["simulated"] == "0.0" and rows["service level"]["simulated"] == "0.0%"


def test_app_command_without_the_extra_says_how_to_install_it(capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "streamlit" else real(name, *a))
    assert_user_error(*run_cli(capsys, "app"), "pip install -e '.[app]'")


def test_an_uploaded_broken_scenario_shows_the_cli_line_under_its_own_name(tmp_path, capsys):
    broken = tmp_path / "outage.yaml"
    broken.write_text(HELP_DESK.read_text().replace("    serves: [support]\n", "    serves: [suport]\n"))
    line = assert_user_error(*run_cli(capsys, "validate", broken), "outage.yaml:")
    at = app("simulate")
    at.radio(key="sim_source").set_value("a scenario file")
    at.run()
    at.selectbox(key="sim_file").set_value("upload a file ...")
    at.run()
    at.file_uploader(key="sim_upload").upload("outage.yaml", broken.read_bytes(), "application/x-yaml")
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [line.split("error: ", 1)[1].replace(str(broken), "outage.yaml")]
    at.file_uploader(key="sim_upload").upload("good.yaml", HELP_DESK.read_bytes(), "application/x-yaml")
    at.run()
    assert not at.error and any(b.label == "Run the simulation" for b in at.button)  # still running, and usable


def test_a_scenario_reading_a_forecast_csv_is_uploaded_with_its_csv(tmp_path, capsys):
    text = HELP_DESK.read_text().replace("calls: [60, 60, 60, 60, 60, 60, 60, 60]",
                                         "calls: {csv: forecast.csv, column: calls}")
    assert "forecast.csv" in text
    forecast = "interval,calls\n" + "".join(f"{8 + k // 2:02d}:{30 * (k % 2):02d},{50 + k}\n" for k in range(8))
    (tmp_path / "forecast.yaml").write_text(text)
    (tmp_path / "forecast.csv").write_text(forecast)
    from_file = load_scenario(tmp_path / "forecast.yaml")  # what the command line reads from the same two files
    at = app("simulate")
    at.radio(key="sim_source").set_value("a scenario file")
    at.run()
    at.selectbox(key="sim_file").set_value("upload a file ...")
    at.run()
    # the YAML alone: one line saying which CSV to add (negative control of the upload below)
    at.file_uploader(key="sim_upload").set_value(("forecast.yaml", text.encode(), "application/x-yaml"))
    at.run()
    assert [e.value for e in at.error] == ["forecast.yaml: arrivals.calls reads the forecast file forecast.csv; "
                                           "upload it together with the scenario (select both files)"]
    at.file_uploader(key="sim_upload").set_value([("forecast.yaml", text.encode(), "application/x-yaml"),
                                                  ("forecast.csv", forecast.encode(), "text/csv")])
    at.run()
    assert not at.exception and not at.error
    assert any(b.label == "Run the simulation" for b in at.button)
    from app.common import _load_text

    uploaded = _load_text(text, "forecast.yaml", (("forecast.csv", forecast.encode()),))
    assert uploaded.arrivals.calls == from_file.arrivals.calls == tuple(float(50 + k) for k in range(8))


# on screen: inside the viewport and not covered or clipped (the point at its centre is the element)
VISIBLE_JS = """(e => { if (!e) return false; const r = e.getBoundingClientRect();
  if (!(r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth))
    return false;
  const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
  return !!hit && (e === hit || e.contains(hit)); })"""


def test_the_answers_and_the_difference_are_on_screen_at_1024_and_1400_px(tmp_path):
    """Screenshots of the calculator and the compare page at 1024 x 768 and 1400 x 900: the
    calculator's four answers are visible without scrolling, and the compare table's B - A
    column is visible in full (the column that answers the question). Negative control: the
    same visibility check says no for the calculator's chart, below the fold at 768 px."""
    from app_browser import Browser, served_app

    from browser import assert_real_png

    _browser_or_skip(tmp_path).close()
    shots = []
    with served_app() as base:
        for width, height in ((1024, 768), (1400, 900)):
            browser = Browser(tmp_path / f"b{width}", size=(width, height))
            try:
                browser.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                             mobile=False)
                browser.goto(base + "/?page=calculator")
                browser.wait_for(f"{METRICS_JS}.length >= 4", 60, "the calculator's answers")
                browser.pump(1.5)
                metrics = "[...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
                assert browser.evaluate(f"window.scrollY === 0 && {metrics}.every({VISIBLE_JS})"), width
                if height == 768:  # the check can fail: the chart is below the fold there
                    assert browser.evaluate(f"({VISIBLE_JS})(document.querySelector('.js-plotly-plot'))") is False
                shots.append(tmp_path / f"calculator_{width}.png")
                assert_real_png(browser.screenshot(shots[-1]))
                browser.goto(base + "/?page=compare")
                browser.type_into("document.querySelector('input[aria-label=\"replications\"]')", "3")
                browser.pump(1.0)
                button = "[...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'Compare')"
                header = ("[...document.querySelectorAll('[data-testid=\"stTable\"] th')].find(h => "
                          "h.innerText.trim() === 'B - A (paired)')")
                # the app keeps a finished comparison for the same inputs: the second width finds it shown
                browser.wait_for(f"!!{header} || !!{button}", 60, "the compare button")
                if not browser.evaluate(f"!!{header}"):
                    browser.click_at(*browser.centre_of(button))
                browser.wait_for(f"!!{header}", 120, "the comparison table")
                browser.evaluate(f"{header}.closest('table').scrollIntoView({{block: 'center'}})")
                browser.pump(1.0)
                first_cell = f"{header}.closest('table').querySelector('tbody tr').children[1]"
                assert browser.evaluate(f"({VISIBLE_JS})({header}) && ({VISIBLE_JS})({first_cell})"), width
                shots.append(tmp_path / f"compare_{width}.png")
                assert_real_png(browser.screenshot(shots[-1]))
                assert browser.errors == []
            finally:
                browser.close()
    keep_screenshots(shots)


# --- the intraday page -------------------------------------------------------------------------


def intraday_page(now: str, actions: str = "", replications: int = 4) -> AppTest:
    """The intraday page on two_queue_multiskill with its example actuals, after simulating."""
    at = app("intraday")
    at.selectbox(key="intra_file").set_value("scenarios/two_queue_multiskill.yaml")
    at.run()
    at.text_input(key="intra_now").set_value(now)
    at.number_input(key="intra_replications").set_value(replications)
    at.text_area(key="intra_actions").set_value(actions)
    at.run()
    at.button(key="intra_run").click()
    deadline = time.monotonic() + 120
    while True:
        at.run()
        assert not at.exception, at.exception
        if at.info or at.error:
            return at
        assert time.monotonic() < deadline, "no intraday result after 120 s"
        time.sleep(0.3)


def test_intraday_page_shows_the_commands_verdict(capsys, tmp_path):
    action = "overtime 3 generalists 12:00-17:00"
    at = intraday_page("12:00", action)
    code, out, err = run_cli(capsys, "intraday", REPO / "scenarios" / "two_queue_multiskill.yaml", "--actuals",
                             REPO / "scenarios" / "intraday" / "two_queue_actuals.csv", "--now", "12:00", "-r", "4",
                             "--action", action, "-o", tmp_path / "out", "-w", "1")
    assert code == 0, err
    printed = out.split("\n\n")[0].split("\n")
    assert at.info[0].value == " ".join(printed)  # the same numbers as the command line's, any workers
    assert len(at.get("image")) == 1  # the plot of the day so far and the re-forecast rest


def test_intraday_page_shows_a_bad_now_as_the_cli_line(capsys, tmp_path):
    at = intraday_page("20:00")
    code, out, err = run_cli(capsys, "intraday", REPO / "scenarios" / "two_queue_multiskill.yaml", "--actuals",
                             REPO / "scenarios" / "intraday" / "two_queue_actuals.csv", "--now", "20:00",
                             "-o", tmp_path / "out")
    line = assert_user_error(code, out, err, "--now 20:00", "outside")
    assert at.error[0].value == line.removeprefix("callsim: error: ")
