"""`callsim sweep`: ranges, the staffing/scaling rules, agreement with exact Erlang C and Erlang A
(|mean - exact| <= 4 SE, with a power check and a negative control), reproducibility across
workers, and a clean stop on Ctrl-C."""
from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO
from planner.erlang import erlang_a_metrics, erlang_c_metrics
from simulator import load_scenario
from studies.sweep import (
    SweepError,
    erlang_prediction,
    parse_agents,
    parse_range,
    parse_vary,
    point_scenario,
    run_sweep,
)
from steady_state import mmn_scenario
from helpers import HELP_DESK, SHIPPED_SCENARIOS, assert_user_error, run_cli

SCENARIOS = SHIPPED_SCENARIOS
MULTI = REPO / "scenarios" / "two_queue_multiskill.yaml"


# --- ranges ------------------------------------------------------------------------------------


def test_ranges_include_both_ends():
    assert parse_range("8:16", integer=True) == list(range(8, 17))
    assert parse_range("8:16:4", integer=True) == [8, 12, 16]
    assert parse_range("10", integer=True) == [10]
    assert parse_range("0.8:1.2:0.1") == [0.8, 0.9, 1.0, 1.1, 1.2]
    assert parse_range("0.7:1.3:0.2") == [0.7, 0.9, 1.1, 1.3]
    assert parse_agents("-2:+2") == ([-2, -1, 0, 1, 2], True)
    assert parse_agents("3:5") == ([3, 4, 5], False)
    assert parse_vary("patience=0.5:1:0.5") == ("patience", [0.5, 1.0])


@pytest.mark.parametrize("text", ["16:8", "8:x", "1:2:0", "8.5:9", "1:2:3:4", ""])
def test_bad_agent_ranges_are_refused(text):
    with pytest.raises(SweepError):
        parse_range(text, integer=True)


@pytest.mark.parametrize("text", ["volume=0.8:1.2", "speed=1:2:1", "volume", "volume=0:1:0.5"])
def test_bad_vary_is_refused(text):
    with pytest.raises(SweepError):
        parse_vary(text)


# --- what a point changes ------------------------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_point_with_nothing_changed_is_the_scenario_itself(path):
    scenario = load_scenario(path)
    assert point_scenario(scenario) == scenario


def test_agents_set_or_add_staffing_in_every_interval_or_one():
    base = load_scenario(HELP_DESK)  # 10 agents in each of 8 intervals
    assert point_scenario(base, agents=12).agents[0].staffing == (12,) * 8
    assert point_scenario(base, agents=12, interval=2).agents[0].staffing == (10, 10, 12, 10, 10, 10, 10, 10)
    assert point_scenario(base, agents=-3, relative=True, interval=7).agents[0].staffing == (10,) * 7 + (7,)
    with pytest.raises(SweepError, match="with -1 agents"):
        point_scenario(base, agents=-11, relative=True)


def test_multi_group_scenarios_staff_only_the_named_group():
    base = load_scenario(MULTI)
    with pytest.raises(SweepError, match="--group"):
        run_sweep(base, agents=[5])
    s = run_sweep(base, agents=[2, 9], group="sales specialists", interval="12:00", replications=2, seed=1)
    generalists = base.agents[0].staffing
    for p, n in zip(s.points, (2, 9)):
        staffed = p.run.scenario.agents
        assert staffed[0].staffing == generalists
        assert staffed[1].staffing[3] == n and staffed[1].staffing[:3] == base.agents[1].staffing[:3]
    assert s.model is None and "several" in s.notes[0]  # no Erlang line for two queues


def test_vary_scales_volume_talk_and_patience_means_and_keeps_the_cv():
    base = load_scenario(HELP_DESK)
    assert point_scenario(base, vary="volume", factor=1.2).arrivals.calls == (72.0,) * 8
    talk = point_scenario(base, vary="talk_time", factor=1.5).queues[0]
    assert talk.talk_time.mean == 360 and talk.talk_time.cv == 0.8 and talk.acw == base.queues[0].acw
    assert point_scenario(base, vary="patience", factor=2).queues[0].patience.mean == 360
    no_patience = mmn_scenario(3, 2.0, 60, 2)
    with pytest.raises(SweepError, match="patience"):
        point_scenario(no_patience, vary="patience", factor=2)


def test_day_prediction_weights_intervals_like_the_kpis():
    # two intervals: 60 calls on 3 agents, 120 calls on 5 agents, AHT 60 s, 15-minute intervals
    from simulator import scenario_from_dict

    scenario = scenario_from_dict({
        "schema_version": 1, "name": "two", "interval_minutes": 15, "arrivals": {"calls": [60, 120]},
        "queues": [{"name": "q", "talk_time": {"dist": "exponential", "mean": 60}}],
        "agents": [{"name": "a", "serves": ["q"], "staffing": [6, 10]}],
    })
    m1 = erlang_c_metrics(6, 60 / 900, 60, 20)
    m2 = erlang_c_metrics(10, 120 / 900, 60, 20)
    day = erlang_prediction(scenario)
    assert day["service_level"] == pytest.approx((60 * m1.service_level + 120 * m2.service_level) / 180)
    assert day["asa"] == pytest.approx((60 * m1.asa_s + 120 * m2.asa_s) / 180)
    assert day["occupancy"] == pytest.approx((6 * m1.occupancy + 10 * m2.occupancy) / 16)
    assert erlang_prediction(scenario, 1)["asa"] == pytest.approx(m2.asa_s)


# --- against theory ------------------------------------------------------------------------------


def _check_against_erlang(sweep, kpis, exact_for):
    """|mean - exact| <= 4 SE at every point, SE small enough to mean something (power), and
    the exact value for one agent fewer rejected (negative control)."""
    for point in sweep.points:
        for kpi, max_relative_se in kpis.items():
            values = point.run.per_replication[kpi][:, -1]
            mean = values.mean()
            se = values.std(ddof=1) / math.sqrt(len(values))
            exact = point.erlang[kpi]
            assert exact == pytest.approx(exact_for(point.agents, kpi), rel=1e-12)  # the line is Erlang's
            assert abs(mean - exact) <= 4 * se, (point.agents, kpi, mean, exact, se)
            assert se <= max_relative_se * exact, (point.agents, kpi, se, exact)  # power
            fewer = exact_for(point.agents - 1, kpi)
            assert not abs(mean - fewer) <= 4 * se, (point.agents, kpi, mean, fewer, se)  # negative control


def test_simulated_points_agree_with_erlang_c_on_an_m_m_n_queue():
    # 8 Erlangs (240 calls an hour, exponential 2-minute calls), 12 one-hour intervals: the
    # empty start is a small part of the day, and each replication is one long day.
    scenario = mmn_scenario(9, 8.0, 120, 12)
    s = run_sweep(scenario, agents=[9, 10, 11, 12], replications=20, seed=11, workers=2)
    assert s.model == "erlang_c" and s.notes == ()

    def exact(agents, kpi):
        m = erlang_c_metrics(agents, 240 / 3600, 120, 20)
        return {"asa": m.asa_s, "service_level": m.service_level, "occupancy": m.occupancy}[kpi]

    _check_against_erlang(s, {"asa": 0.15, "service_level": 0.06, "occupancy": 0.01}, exact)


def test_simulated_points_agree_with_erlang_a_when_callers_abandon():
    scenario = mmn_scenario(7, 8.0, 120, 12, patience_s=180)
    s = run_sweep(scenario, agents=[7, 8, 9, 10], replications=20, seed=12, workers=2)
    assert s.model == "erlang_a"

    def exact(agents, kpi):
        m = erlang_a_metrics(agents, 240 / 3600, 120, 180, 20)
        return {"asa": m.asa_s, "service_level": m.service_level, "occupancy": m.occupancy,
                "abandon_rate": m.p_abandon}[kpi]

    _check_against_erlang(s, {"asa": 0.06, "service_level": 0.03, "occupancy": 0.01, "abandon_rate": 0.06}, exact)


# --- the command ------------------------------------------------------------------------------


def test_sweep_command_writes_json_csv_and_plot(tmp_path, capsys):
    out = tmp_path / "sw"
    code, stdout, err = run_cli(capsys, "sweep", HELP_DESK, "--agents", "9:11", "--vary", "volume=0.9:1.1:0.2",
                                "-r", 3, "-o", out, "-w", 1)
    assert code == 0, err
    assert "Erlang A" in stdout and stdout.count("x0.9") == 3
    document = json.loads((out / "sweep.json").read_text())
    assert [(p["agents"], p["factor"]) for p in document["points"]] == [
        (9, 0.9), (9, 1.1), (10, 0.9), (10, 1.1), (11, 0.9), (11, 1.1)]
    assert document["sweep"]["agents_mode"] == "set" and document["analytic"]["model"] == "erlang_a"
    point = document["points"][0]
    assert point["staffing"] == {"support team": [9] * 8}
    assert set(point["erlang"]) >= {"service_level", "asa", "abandon_rate", "occupancy"}
    assert point["kpis"]["asa"]["ci95"][0] <= point["kpis"]["asa"]["mean"] <= point["kpis"]["asa"]["ci95"][1]
    lines = (out / "sweep.csv").read_text().splitlines()
    assert len(lines) == 7 and lines[0].startswith("agents,factor,") and "erlang_asa" in lines[0]
    png = (out / "sweep_curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


def test_interval_sweep_reports_that_intervals_kpis(tmp_path, capsys):
    code, stdout, err = run_cli(capsys, "sweep", HELP_DESK, "--agents", "+0:+2", "--interval", "09:00", "-r", 3,
                                "--json", "--no-plots", "-w", 1, "-o", tmp_path / "i")
    assert code == 0, err
    document = json.loads(stdout)
    assert document["kpis_of"] == "interval 09:00" and document["sweep"]["agents_mode"] == "added"
    assert [p["staffing"]["support team"][2] for p in document["points"]] == [10, 11, 12]
    assert all(p["staffing"]["support team"][3] == 10 for p in document["points"])
    assert all("day_kpis" in p for p in document["points"])
    assert document["points"][0]["kpis"]["offered"]["mean"] < document["points"][0]["day_kpis"]["offered"]["mean"]


def test_workers_1_and_2_give_identical_json(tmp_path, capsys):
    outputs = []
    for workers in (1, 2):
        code, stdout, err = run_cli(capsys, "sweep", HELP_DESK, "--agents", "9:10", "-r", 3, "--json", "--no-plots",
                                    "-w", workers, "-o", tmp_path / f"w{workers}")
        assert code == 0, err
        outputs.append(stdout)
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("args, message", [
    ([HELP_DESK], "nothing to sweep"),
    ([MULTI, "--agents", "5:6"], "--group"),
    ([MULTI, "--agents", "5:6", "--group", "nobody"], "unknown agent group"),
    ([HELP_DESK, "--agents", "5:6", "--interval", "07:00"], "not the start of an interval"),
    ([HELP_DESK, "--agents", "16:8"], "STOP"),
    ([HELP_DESK, "--vary", "speed=1:2:1"], "PARAMETER"),
])
def test_bad_requests_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    assert_user_error(*run_cli(capsys, "sweep", *args, "-o", tmp_path / "never", "-w", 1), message)
    assert not (tmp_path / "never").exists()


def _ctrl_c_as_in_a_terminal() -> None:
    """The child gets Ctrl-C as a terminal would deliver it, however the suite was started: a
    shell's background job (`.ci/run &`) inherits SIGINT ignored, and Python then never turns
    it into KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_workers_cleanly_with_one_line_and_nothing_written(tmp_path):
    out = tmp_path / "never"
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "sweep", str(HELP_DESK), "--agents", "8:16", "-r", "3000", "-w", "2", "-q", "--max-calls", "100000000",
         "-o", str(out)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, preexec_fn=_ctrl_c_as_in_a_terminal)
    time.sleep(3.0)  # imports done, replications running in both workers
    assert process.poll() is None, process.communicate()
    started = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)  # as a terminal does: the whole process group
    stdout, stderr = process.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert process.returncode == 130
    lines = stderr.decode().strip().splitlines()
    assert lines == ["callsim: interrupted; nothing half-written was kept."], stderr.decode()
    assert not out.exists()


def test_a_second_ctrl_c_soon_after_the_first_still_ends_everything_at_once(tmp_path):
    """Two Ctrl-C 0.2 s apart (an impatient user): exit 130 at once, no worker left running."""
    out = tmp_path / "never"
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "sweep", str(HELP_DESK), "--agents", "8:16", "-r", "3000", "-w", "2", "-q", "--max-calls", "100000000",
         "-o", str(out)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, preexec_fn=_ctrl_c_as_in_a_terminal)
    time.sleep(3.0)
    assert process.poll() is None, process.communicate()
    started = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    time.sleep(0.2)
    try:
        os.killpg(process.pid, signal.SIGINT)
    except ProcessLookupError:
        pass  # already gone: also fine
    stdout, stderr = process.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert process.returncode == 130, stderr.decode()
    assert "Traceback" not in stderr.decode()
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):  # the whole process group is gone: no worker left behind
        os.killpg(process.pid, 0)
    assert not out.exists()
