"""One distribution per interval for talk time, ACW and patience (queues' `talk_time_by_interval`,
`acw_by_interval`, `patience_by_interval`): drawn by the caller's arrival interval, in the
simulation, for return calls, in the plan, and refused when malformed."""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import (answered_talk_by_interval, assert_return_calls_use_their_own_interval, assert_user_error,
                     one_queue_file, run_cli)
from planner.plan import plan_scenario
from simulator import scenario_from_dict, simulate_replication
from simulator.callers import draw_callers

FIXED = lambda s: {"dist": "fixed", "mean": s}  # noqa: E731
EXPONENTIAL = lambda s: {"dist": "exponential", "mean": s}  # noqa: E731


def _one_queue(hours: int = 3, calls: float = 120, agents: int = 60, **queue_extra) -> dict:
    return {
        "schema_version": 1, "name": "durations by interval", "interval_minutes": 60,
        "arrivals": {"calls": [calls] * hours},
        "queues": [{"name": "q", "talk_time": FIXED(100), "acw": FIXED(10), **queue_extra}],
        "agents": [{"name": "g", "serves": ["q"], "staffing": [agents] * hours}],
    }


def _interval(arrived_at_s: np.ndarray, hours: int = 3) -> np.ndarray:
    return np.minimum((arrived_at_s // 3600).astype(int), hours - 1)


def test_a_call_in_interval_k_draws_from_entry_k():
    # fixed entries equal to fixed durations times factors (tests/test_durations.py checks those
    # exactly): a call of interval k gets entry k, for talk, ACW and patience
    by_interval = draw_callers(scenario_from_dict(_one_queue(
        patience=FIXED(50), talk_time_by_interval=[FIXED(100), FIXED(200), FIXED(50)],
        acw_by_interval=[FIXED(10), FIXED(30), FIXED(10)], patience_by_interval=[FIXED(50), FIXED(50), FIXED(200)])),
        seed=3, replication=0)
    scaled = draw_callers(scenario_from_dict(_one_queue(
        patience=FIXED(50), talk_time_scale=[1, 2, 0.5], acw_scale=[1, 3, 1], patience_scale=[1, 1, 4])),
        seed=3, replication=0)
    assert set(_interval(by_interval.arrived_at_s)) == {0, 1, 2}
    for name in ("arrived_at_s", "talk_s", "acw_s", "patience_s"):
        assert np.array_equal(getattr(by_interval, name), getattr(scaled, name)), name


def test_the_same_uniforms_are_used_so_one_entry_per_interval_equal_to_the_day_changes_nothing():
    lognormal = {"dist": "lognormal", "mean": 180, "cv": 0.9}
    plain = _one_queue(patience=EXPONENTIAL(90))
    plain["queues"][0]["talk_time"] = lognormal
    same = _one_queue(patience=EXPONENTIAL(90), talk_time_by_interval=[lognormal] * 3,
                      patience_by_interval=[EXPONENTIAL(90)] * 3)
    same["queues"][0]["talk_time"] = lognormal
    a = simulate_replication(scenario_from_dict(plain), seed=8, replication=2).records
    b = simulate_replication(scenario_from_dict(same), seed=8, replication=2).records
    for name in ("arrived_at_s", "talk_s", "acw_s", "wait_s", "outcome"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    # and a longer entry is the same caller, slower: ppf of the same uniform (common random numbers)
    slower = _one_queue(talk_time_by_interval=[lognormal, {**lognormal, "mean": 360}, lognormal])
    slower["queues"][0]["talk_time"] = lognormal
    c = draw_callers(scenario_from_dict(slower), seed=8, replication=2)
    d = draw_callers(scenario_from_dict(plain), seed=8, replication=2)
    k = _interval(c.arrived_at_s)
    assert np.allclose(c.talk_s, d.talk_s * np.array([1.0, 2.0, 1.0])[k], rtol=1e-12)


def test_mean_talk_of_answered_calls_per_interval_matches_each_distribution_within_4_se():
    # three shapes, three means: a lognormal, an exponential, a gamma
    dists = [{"dist": "lognormal", "mean": 120.0, "cv": 0.5}, EXPONENTIAL(300.0),
             {"dist": "gamma", "mean": 200.0, "cv": 1.2}]
    data = _one_queue(calls=250, agents=80, talk_time_by_interval=dists)
    data["queues"][0]["talk_time"] = EXPONENTIAL(200.0)  # the day's figure: read by nothing here
    talk, interval = answered_talk_by_interval(scenario_from_dict(data), seed=11, replications=16)
    for k, dist in enumerate(dists):
        x = talk[interval == k]
        se = x.std(ddof=1) / math.sqrt(len(x))
        assert abs(x.mean() - dist["mean"]) <= 4 * se, (k, x.mean(), dist["mean"], se)
        assert 4 * se < 0.1 * dist["mean"]  # power: a 10% error would be seen
        # negative control: the day's talk_time (200 s) fails in the intervals whose mean differs
        if dist["mean"] != 200.0:
            assert abs(x.mean() - 200.0) > 4 * se
        # the shape is the entry's own (its CV), not a scaled copy of the day's
        assert abs(x.std() / x.mean() - dist.get("cv", 1.0)) < 0.15 * dist.get("cv", 1.0), k


def test_return_calls_draw_from_the_interval_they_are_made_in():
    data = {
        "schema_version": 1, "name": "return calls by interval", "interval_minutes": 60,
        "arrivals": {"calls": [200, 200], "queue_shares": {"A": 0.5, "B": 0.5}},
        "queues": [
            {"name": "A", "talk_time": FIXED(100), "patience": FIXED(60),
             "patience_by_interval": [FIXED(60), FIXED(30)]},
            {"name": "B", "talk_time": FIXED(200), "acw": FIXED(7), "first_contact_resolution": 0.6,
             "talk_time_by_interval": [FIXED(200), FIXED(400)], "acw_by_interval": [FIXED(7), FIXED(21)]},
        ],
        "agents": [{"name": "a", "serves": ["A"], "staffing": [0, 0]}, {"name": "b", "serves": ["B"], "staffing": [40, 40]}],
        "return_calls": {"redial_probability": 0.8, "redial_delay": FIXED(300), "repeat_delay": FIXED(600),
                         "max_calls": 3},
    }
    assert_return_calls_use_their_own_interval(scenario_from_dict(data))


def test_with_intents_an_intents_own_talk_time_is_kept_and_the_others_use_the_queues_entry():
    import yaml

    from helpers import SCENARIO_DIR

    data = yaml.safe_load((SCENARIO_DIR / "ivr_deep_intents.yaml").read_text())
    n = len(data["arrivals"]["calls"])
    data["intents"][0]["talk_time"] = {"dist": "lognormal", "mean": 321.0, "cv": 0.6}  # one intent talks its own way
    plain = draw_callers(scenario_from_dict(data), seed=7, replication=0)
    for queue in data["queues"]:
        queue["talk_time_by_interval"] = [{**queue["talk_time"], "mean": queue["talk_time"]["mean"] * (1 + k)}
                                          for k in range(n)]
    changed = draw_callers(scenario_from_dict(data), seed=7, replication=0)
    own = np.array(["talk_time" in intent for intent in data["intents"]])[changed.ivr.intent]
    k = np.minimum((changed.arrived_at_s // (data["interval_minutes"] * 60)).astype(int), n - 1)
    assert own.any() and (~own).any() and set(k) == set(range(n))
    assert np.array_equal(changed.talk_s[own], plain.talk_s[own])
    assert np.allclose(changed.talk_s[~own], plain.talk_s[~own] * (1 + k[~own]), rtol=1e-12)


def _erlang_c(agents: int, load: float, aht_s: float) -> dict[str, float]:
    """P(wait) and ASA of M/M/agents, from the Erlang B recursion (independent of planner/)."""
    b = 1.0
    for n in range(1, agents + 1):
        b = load * b / (n + load * b)
    c = agents * b / (agents - load * (1 - b))
    return {"p_wait": c, "asa": c * aht_s / (agents - load)}


def test_an_mmc_queue_whose_service_rate_changes_matches_erlang_c_in_each_interval():
    # two long stretches of four hourly intervals, exponential talk of 70 s then 100 s, 0.1
    # calls/s, 12 agents: 7 then 10 Erlangs. Calls arriving in the last two hours of each
    # stretch see its steady state (the relaxation time is well under half an hour).
    hours, rate_per_s, agents, replications = 4, 0.1, 12, 24
    means_s = [70.0, 100.0]
    data = _one_queue(hours=2 * hours, calls=rate_per_s * 3600, agents=agents,
                      talk_time_by_interval=[EXPONENTIAL(m) for m in means_s for _ in range(hours)])
    data["queues"][0].update(talk_time=EXPONENTIAL(70.0), acw=FIXED(0))
    scenario = scenario_from_dict(data)
    per_stretch = {k: {"p_wait": [], "asa": []} for k in range(2)}
    for replication in range(replications):
        rec = simulate_replication(scenario, seed=21, replication=replication).records
        for k in range(2):
            end_s = (k + 1) * hours * 3600
            steady = (rec.arrived_at_s >= end_s - 2 * 3600) & (rec.arrived_at_s < end_s)
            wait = rec.wait_s[steady]
            per_stretch[k]["p_wait"].append(float((wait > 0).mean()))
            per_stretch[k]["asa"].append(float(wait.mean()))
    for k, mean_s in enumerate(means_s):
        exact = _erlang_c(agents, rate_per_s * mean_s, mean_s)
        control = _erlang_c(agents, rate_per_s * 70.0, 70.0)  # the day's talk_time, as if ignored
        for kpi, values in per_stretch[k].items():
            values = np.array(values)
            se = values.std(ddof=1) / math.sqrt(len(values))
            assert abs(values.mean() - exact[kpi]) <= 4 * se, (k, kpi, values.mean(), exact[kpi], se)
            if k == 1:  # negative control: the first stretch's (the day's) rate fails in the second
                assert abs(values.mean() - control[kpi]) > 4 * se, (kpi, values.mean(), control[kpi], se)


def test_the_plan_uses_each_intervals_mean_handle_time_and_patience():
    data = _one_queue(patience=EXPONENTIAL(120), talk_time_by_interval=[FIXED(100), EXPONENTIAL(220), FIXED(50)],
                      acw_by_interval=[FIXED(10), FIXED(10), FIXED(10)],
                      patience_by_interval=[EXPONENTIAL(120), EXPONENTIAL(60), EXPONENTIAL(240)])
    plan = plan_scenario(scenario_from_dict(data))
    (qp,) = plan.queues
    assert qp.demand.handle_time_by_interval_s == pytest.approx([110.0, 230.0, 60.0], rel=1e-12)
    assert qp.demand.patience_by_interval_s == pytest.approx([120.0, 60.0, 240.0], rel=1e-12)
    assert qp.plan.offered_load_erlangs == pytest.approx([120 * 110 / 3600, 120 * 230 / 3600, 120 * 60 / 3600])
    # control: the day's talk_time alone (100 s) gives a constant handle time
    constant = plan_scenario(scenario_from_dict(_one_queue(patience=EXPONENTIAL(120))))
    assert constant.queues[0].demand.handle_time_by_interval_s == ()
    assert qp.plan.agents[1] > constant.queues[0].plan.agents[1] >= qp.plan.agents[2]


def test_the_aht_what_if_scales_every_intervals_distribution():
    scenario = scenario_from_dict(_one_queue(talk_time_by_interval=[FIXED(100), FIXED(200), FIXED(50)]))
    base = draw_callers(scenario, seed=2, replication=0)
    longer = draw_callers(scenario.with_scaled_durations("talk_time", 1.5), seed=2, replication=0)
    assert np.allclose(longer.talk_s, 1.5 * base.talk_s, rtol=1e-12)


def test_results_do_not_depend_on_the_number_of_workers(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("""schema_version: 1
name: by interval
interval_minutes: 60
arrivals:
  calls: [60, 90]
queues:
  - name: q
    talk_time: {dist: exponential, mean: 150}
    talk_time_by_interval: [{dist: exponential, mean: 150}, {dist: lognormal, mean: 240, cv: 0.7}]
    patience: {dist: exponential, mean: 90}
    patience_by_interval: [{dist: exponential, mean: 90}, {dist: weibull, mean: 60, shape: 0.7}]
agents:
  - name: g
    serves: [q]
    staffing: [4, 6]
""")
    outputs = []
    for workers in (1, 2):
        out_dir = tmp_path / f"w{workers}"
        code, out, err = run_cli(capsys, "run", path, "-r", 4, "-w", workers, "-q", "--no-plots", "-o", out_dir)
        assert code == 0, err
        outputs.append((out_dir / "intervals.csv").read_bytes())
    assert outputs[0] == outputs[1]
    assert "queue 'q': talk_time_by_interval, patience_by_interval" in out


@pytest.mark.parametrize("extra, fragment", [
    ("talk_time_by_interval: [{dist: fixed, mean: 100}, {dist: fixed, mean: 100}]",
     "queues[0].talk_time_by_interval: has 2 intervals but arrivals.calls has 3"),
    ("acw_by_interval: [{dist: fixed, mean: 1}, {dist: fixed, mean: 2}, {dist: fixed, mean: 3}]\n"
     "    acw_scale: [1, 2, 3]", "queues[0].acw_by_interval: is given with acw_scale; give one of the two"),
    ("patience_by_interval: [{dist: fixed, mean: 1}, {dist: fixed, mean: 2}, {dist: fixed, mean: 3}]",
     "queues[0].patience_by_interval: needs patience too"),
    ("talk_time_by_interval: [{dist: fixed, mean: 100}, {dist: fixed, mean: -1}, {dist: fixed, mean: 100}]",
     "queues[0].talk_time_by_interval[1]"),
])
def test_bad_distributions_per_interval_are_one_line_errors_naming_the_key(tmp_path, capsys, extra, fragment):
    path = one_queue_file(tmp_path, extra)
    assert_user_error(*run_cli(capsys, "validate", path), f"{path}:", fragment)
