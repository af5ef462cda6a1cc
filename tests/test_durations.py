"""Durations that change through the day: per-interval factors on talk time, ACW and patience
(queues' *_scale, arrivals.handle_time_s, a forecast's aht_s), in the simulation and the plan."""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import (answered_talk_by_interval, assert_return_calls_use_their_own_interval, assert_user_error,
                     one_queue_file, run_cli)
from planner.demand import queue_demand
from planner.plan import plan_scenario
from simulator import Outcome, load_scenario, scenario_from_dict, simulate_replication
from simulator.callers import draw_callers
from simulator.durations import duration_scales

FIXED = lambda s: {"dist": "fixed", "mean": s}  # noqa: E731


def _one_queue(**queue_extra) -> dict:
    return {
        "schema_version": 1, "name": "durations", "interval_minutes": 60,
        "arrivals": {"calls": [120, 120, 120]},
        "queues": [{"name": "q", "talk_time": FIXED(100), "acw": FIXED(10), **queue_extra}],
        "agents": [{"name": "g", "serves": ["q"], "staffing": [60, 60, 60]}],
    }


def _interval(arrived_at_s: np.ndarray) -> np.ndarray:
    return np.minimum((arrived_at_s // 3600).astype(int), 2)


def test_a_call_in_interval_2_gets_interval_2s_talk_time_acw_and_patience():
    scenario = scenario_from_dict(_one_queue(patience=FIXED(50), talk_time_scale=[1, 2, 0.5], acw_scale=[1, 3, 1],
                                             patience_scale=[1, 1, 4]))
    callers = draw_callers(scenario, seed=3, replication=0)
    k = _interval(callers.arrived_at_s)
    assert set(k) == {0, 1, 2}
    # fixed durations, so every value is exact: 100 s x the factor of the arrival's interval
    assert np.array_equal(callers.talk_s, np.array([100.0, 200.0, 50.0])[k])
    assert np.array_equal(callers.acw_s, np.array([10.0, 30.0, 10.0])[k])
    assert np.array_equal(callers.patience_s, np.array([50.0, 50.0, 200.0])[k])


def _shares_with_return_calls() -> dict:
    """Queue A unstaffed (its callers abandon after their patience and redial), B staffed (its
    callers may call again later); the return calls are made up to 10 minutes later, so many fall
    in a later interval than their caller's first call."""
    return {
        "schema_version": 1, "name": "return_calls_scaled", "interval_minutes": 60,
        "arrivals": {"calls": [200, 200], "queue_shares": {"A": 0.5, "B": 0.5}},
        "queues": [
            {"name": "A", "talk_time": FIXED(100), "patience": FIXED(60), "patience_scale": [1, 0.5]},
            {"name": "B", "talk_time": FIXED(200), "acw": FIXED(7), "first_contact_resolution": 0.6,
             "talk_time_scale": [1, 2], "acw_scale": [1, 3]},
        ],
        "agents": [{"name": "a", "serves": ["A"], "staffing": [0, 0]}, {"name": "b", "serves": ["B"], "staffing": [40, 40]}],
        "return_calls": {"redial_probability": 0.8, "redial_delay": FIXED(300), "repeat_delay": FIXED(600),
                         "max_calls": 3},
    }


def test_return_calls_take_the_factors_of_the_interval_they_are_made_in():
    assert_return_calls_use_their_own_interval(scenario_from_dict(_shares_with_return_calls()))


def test_mean_talk_time_per_interval_matches_the_configured_one_within_4_se():
    mean_s, scales = 240.0, np.array([0.75, 1.25, 1.5])
    data = _one_queue(talk_time_scale=scales.tolist())
    data["queues"][0]["talk_time"] = {"dist": "lognormal", "mean": mean_s, "cv": 0.8}
    data["arrivals"]["calls"] = [250, 250, 250]
    data["agents"][0]["staffing"] = [80, 80, 80]
    talk, interval = answered_talk_by_interval(scenario_from_dict(data), seed=11, replications=8)
    for k, scale in enumerate(scales):
        x = talk[interval == k]
        se = x.std(ddof=1) / math.sqrt(len(x))
        assert abs(x.mean() - mean_s * scale) <= 4 * se, (k, x.mean(), mean_s * scale, se)
        # power: 4 SE is under 10% of the mean, so a wrong factor would be seen ...
        assert 4 * se < 0.1 * mean_s * scale
        # ... negative control: the unscaled mean (the factor ignored) fails the same test
        assert abs(x.mean() - mean_s) > 4 * se
    # the CV is kept: a scale, not a new shape
    assert abs(talk[interval == 2].std() / talk[interval == 2].mean() - 0.8) < 0.1


def test_same_seed_same_callers_scaled_common_random_numbers():
    plain = draw_callers(scenario_from_dict(_one_queue(patience=FIXED(50))), seed=5, replication=1)
    scaled = draw_callers(scenario_from_dict(_one_queue(patience=FIXED(50), talk_time_scale=[2, 2, 2])), 5, 1)
    assert np.array_equal(plain.arrived_at_s, scaled.arrived_at_s)
    assert np.array_equal(2 * plain.talk_s, scaled.talk_s)
    assert np.array_equal(plain.acw_s, scaled.acw_s)


def test_no_factors_means_no_scaling_and_the_plans_constant_handle_time():
    scenario = scenario_from_dict(_one_queue())
    assert duration_scales(scenario) is None
    (demand,) = queue_demand(scenario)
    assert demand.handle_time_by_interval_s == () and demand.patience_by_interval_s == ()


def test_the_plans_per_interval_handle_time_and_patience_equal_the_configured_ones():
    data = _one_queue(patience={"dist": "exponential", "mean": 120}, talk_time_scale=[1, 2, 0.5],
                      acw_scale=[1, 3, 1], patience_scale=[1, 0.5, 2])
    plan = plan_scenario(scenario_from_dict(data))
    (qp,) = plan.queues
    assert qp.demand.handle_time_by_interval_s == pytest.approx([110.0, 230.0, 60.0], rel=1e-12)
    assert qp.demand.patience_by_interval_s == pytest.approx([120.0, 60.0, 240.0], rel=1e-12)
    assert qp.model == "erlang_a"
    # each interval is sized with its own: offered load = calls x that interval's AHT / interval
    assert qp.plan.offered_load_erlangs == pytest.approx([120 * 110 / 3600, 120 * 230 / 3600, 120 * 60 / 3600])
    constant = plan_scenario(scenario_from_dict(_one_queue(patience={"dist": "exponential", "mean": 120})))
    assert qp.plan.agents[1] > constant.queues[0].plan.agents[1] > qp.plan.agents[2]


def test_handle_time_s_sets_the_mean_handle_time_of_each_interval():
    data = _one_queue()
    data["arrivals"]["handle_time_s"] = [220, 110, 55]  # the scenario's own AHT is 110 s
    scenario = scenario_from_dict(data)
    (demand,) = queue_demand(scenario)
    assert demand.handle_time_by_interval_s == pytest.approx([220, 110, 55], rel=1e-12)
    callers = draw_callers(scenario, seed=1, replication=0)
    k = _interval(callers.arrived_at_s)
    assert np.allclose(callers.talk_s + callers.acw_s, np.array([220.0, 110.0, 55.0])[k])


def test_handle_time_s_with_several_queues_is_relative_to_the_share_weighted_mean():
    data = _one_queue()
    data["queues"].append({"name": "r", "talk_time": FIXED(290), "acw": FIXED(10)})
    data["arrivals"].update(queue_shares={"q": 0.5, "r": 0.5}, handle_time_s=[205, 410, 102.5])
    data["agents"][0]["serves"] = ["q", "r"]
    demands = queue_demand(scenario_from_dict(data))  # mean handle time 0.5 x 110 + 0.5 x 300 = 205
    assert demands[0].handle_time_by_interval_s == pytest.approx([110, 220, 55], rel=1e-12)
    assert demands[1].handle_time_by_interval_s == pytest.approx([300, 600, 150], rel=1e-12)


FORECAST = """date,start,calls,calls_low,calls_high,aht_s,busyness_cv
2026-12-14,07:00,0,0,0,,0.0500
2026-12-14,08:00,120,100,140,300.0,0.0500
2026-12-14,09:00,120,100,140,150.0,0.0500
2026-12-14,10:00,0,0,0,,0.0500
2026-12-15,08:00,10,5,15,999.0,0.0500
"""


def _forecast_scenario(tmp_path, extra_arrivals: str = ""):
    (tmp_path / "forecast.csv").write_text(FORECAST)
    path = tmp_path / "s.yaml"
    path.write_text(f"""schema_version: 1
name: from a forecast
interval_minutes: 60
start: "08:00"
arrivals:
  calls: {{csv: forecast.csv, date: 2026-12-14}}{extra_arrivals}
queues:
  - name: q
    talk_time: {{dist: fixed, mean: 180}}
    acw: {{dist: fixed, mean: 20}}
agents:
  - name: g
    serves: [q]
    staffing: [60, 60, 60]
""")
    return path


def test_a_forecasts_aht_s_drives_the_simulation_and_the_plan(tmp_path):
    scenario = load_scenario(_forecast_scenario(tmp_path))
    # the empty cell of 10:00 (no calls) takes the day's call-weighted mean (300 + 150) / 2
    assert scenario.arrivals.handle_time_s == (300.0, 150.0, 225.0)
    (demand,) = queue_demand(scenario)
    assert demand.handle_time_by_interval_s == pytest.approx([300, 150, 225], rel=1e-12)
    rec = simulate_replication(scenario, seed=4, replication=0).records
    answered = rec.outcome == Outcome.ANSWERED
    k = _interval(rec.arrived_at_s[answered])
    assert set(k) == {0, 1}
    assert np.allclose((rec.talk_s + rec.acw_s)[answered], np.array([300.0, 150.0, 225.0])[k])
    # talk and ACW keep their proportion (180:20)
    assert np.allclose(rec.acw_s[answered] / rec.talk_s[answered], 20 / 180)


def test_the_scenarios_own_handle_time_s_wins_over_the_forecasts(tmp_path):
    scenario = load_scenario(_forecast_scenario(tmp_path, "\n  handle_time_s: [200, 200, 200]"))
    assert scenario.arrivals.handle_time_s == (200.0, 200.0, 200.0)
    assert queue_demand(scenario)[0].handle_time_by_interval_s == ()


def test_plan_output_says_the_handle_time_changes(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "plan", _forecast_scenario(tmp_path))
    assert code == 0
    assert "changing through the day from 150 to 300 s by the scenario's handle_time_s (a forecast's aht_s)" in out
    rows = [line.split() for line in out.splitlines() if line[:5] in ("08:00", "09:00")]
    assert [row[2:4] for row in rows] == [["300", "s"], ["150", "s"]]  # each interval's AHT


@pytest.mark.parametrize("key, value, fragment", [
    ("talk_time_scale", "[1, 2]", "queues[0].talk_time_scale: has 2 intervals but arrivals.calls has 3"),
    ("acw_scale", "[1, 0, 1]", "queues[0].acw_scale[1]: must be greater than 0"),
    ("patience_scale", "[1, -2, 1]", "queues[0].patience_scale[1]: must be greater than 0"),
    ("talk_time_scale", "[1, .nan, 1]", "queues[0].talk_time_scale[1]: must be a finite number"),
    ("talk_time_scale", "[1, .inf, 1]", "queues[0].talk_time_scale[1]: must be a finite number"),
])
def test_bad_factors_are_one_line_errors_naming_the_key(tmp_path, capsys, key, value, fragment):
    path = one_queue_file(tmp_path, f"patience: {{dist: fixed, mean: 100}}\n    {key}: {value}")
    assert_user_error(*run_cli(capsys, "validate", path), f"{path}:10: {fragment}")


def test_handle_time_s_of_the_wrong_length_and_a_bad_aht_s_cell_are_refused(tmp_path, capsys):
    path = _forecast_scenario(tmp_path, "\n  handle_time_s: [200, 200]")
    assert_user_error(*run_cli(capsys, "validate", path), "arrivals.handle_time_s: has 2 intervals")
    (tmp_path / "forecast.csv").write_text(FORECAST.replace("300.0", "-3"))
    path.write_text(path.read_text().replace("\n  handle_time_s: [200, 200]", ""))
    assert_user_error(*run_cli(capsys, "validate", path), "forecast.csv:3: column 'aht_s': '-3' is not a handle time")


def test_run_output_says_which_durations_change(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "run", _forecast_scenario(tmp_path), "-r", 2, "-w", 1, "-q", "--no-plots",
                           "-o", tmp_path / "out")
    assert code == 0
    assert ("Durations change through the day: handle time per interval from arrivals.handle_time_s (150 to 300 s; "
            "every queue's talk and ACW scaled to it).") in out


def test_with_intents_the_intents_queue_gives_the_factors():
    import yaml

    from helpers import SCENARIO_DIR

    data = yaml.safe_load((SCENARIO_DIR / "ivr_deep_intents.yaml").read_text())
    n = len(data["arrivals"]["calls"])
    scales = {name: np.linspace(0.5, 2.0, n) * (1 + index) for index, name in enumerate(["accounts", "cards"])}
    plain = draw_callers(scenario_from_dict(data), seed=7, replication=0)
    for queue in data["queues"]:
        if queue["name"] in scales:
            queue["talk_time_scale"] = scales[queue["name"]].tolist()
            queue["patience_scale"] = scales[queue["name"]].tolist()
    scaled = draw_callers(scenario_from_dict(data), seed=7, replication=0)
    home = np.array([intent["queue"] for intent in data["intents"]])[scaled.ivr.intent]
    k = np.minimum((scaled.arrived_at_s // (data["interval_minutes"] * 60)).astype(int), n - 1)
    factor = np.ones(len(k))
    for name, s in scales.items():
        factor[home == name] = s[k[home == name]]
    assert all(set(k[home == name]) == set(range(n)) for name in scales)  # both queues, every interval
    assert np.array_equal(scaled.talk_s, plain.talk_s * factor)
    assert np.array_equal(scaled.patience_s, plain.patience_s * factor)
    assert np.array_equal(scaled.acw_s, plain.acw_s)


def test_the_aht_what_if_still_scales_a_scenario_with_handle_time_s():
    data = _one_queue()
    data["arrivals"]["handle_time_s"] = [220, 110, 55]
    scenario = scenario_from_dict(data)
    base = draw_callers(scenario, seed=2, replication=0)
    talk_only = draw_callers(scenario.with_scaled_durations("talk_time", 1.5), seed=2, replication=0)
    both = draw_callers(scenario.with_scaled_durations("talk_time", 1.2).with_scaled_durations("acw", 1.2), 2, 0)
    assert np.allclose(talk_only.talk_s, 1.5 * base.talk_s) and np.allclose(talk_only.acw_s, base.acw_s)
    assert np.allclose(both.talk_s + both.acw_s, 1.2 * (base.talk_s + base.acw_s))
