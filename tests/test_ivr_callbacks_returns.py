"""The caller's journey: IVR menus, misroutes, callbacks, redials and repeat calls."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import yaml

from conftest import REPO
from simulator import Outcome, check_conservation, load_scenario, run_scenario, scenario_from_dict, simulate_replication
from simulator.records import MISROUTED, TRANSFERRED
from simulator.ivr import IVR_HANG_UP, walk
from simulator.kpis import replication_kpis
from simulator.loading import ScenarioFileError

FIXED = lambda s: {"dist": "fixed", "mean": s}  # noqa: E731


def base(**extra) -> dict:
    data = {
        "schema_version": 1,
        "name": "journey",
        "interval_minutes": 60,
        "arrivals": {"calls": [200]},
        "queues": [
            {"name": "sales", "talk_time": FIXED(100)},
            {"name": "support", "talk_time": FIXED(100)},
        ],
        "agents": [{"name": "all", "serves": ["sales", "support"], "staffing": [200]}],
    }
    data.update(extra)
    return data


def deterministic_ivr() -> dict:
    return {
        "greeting": FIXED(5),
        "menus": [
            {"name": "main", "prompt": FIXED(10),
             "options": [{"key": "1", "share": 1.0, "to": "sub"}]},
            {"name": "sub", "prompt": FIXED(8),
             "options": [{"key": "1", "share": 1.0, "to": "balance"}]},
        ],
        "self_service": [{"name": "balance", "duration": FIXED(30), "success": 1.0, "on_failure": "support"}],
    }


def test_deterministic_ivr_gives_exact_times_and_counts():
    scenario = scenario_from_dict(base(ivr=deterministic_ivr()))
    result = simulate_replication(scenario, seed=3, replication=0)
    rec = result.records
    assert len(rec) > 100
    assert np.all(rec.ivr_s == 5 + 10 + 8 + 30)
    assert np.all(rec.menus == 2)
    assert np.all(rec.outcome == Outcome.CONTAINED)
    kpi = replication_kpis(result, scenario)
    assert kpi["containment_rate"][-1] == 1.0 and kpi["menus_visited"][-1] == 2.0
    assert len(result.busy_start_s) == 0  # no agent was needed


def test_no_input_replays_then_default_route():
    ivr = {
        "menus": [{"name": "main", "prompt": FIXED(10), "no_input": 1.0, "retries": 2, "default": "support",
                   "options": [{"key": "1", "share": 1.0, "to": "sales"}]}],
    }
    scenario = scenario_from_dict(base(ivr=ivr))
    rec = simulate_replication(scenario, seed=3, replication=0).records
    assert np.all(rec.menus == 3)  # first play + 2 replays
    assert np.all(rec.ivr_s == 30)
    assert np.all(rec.queue == 1) and np.all(rec.outcome == Outcome.ANSWERED)
    assert np.all(rec.wait_s == 0)  # 200 agents, nobody waits


def binomial_ok(observed: int, n: int, p: float) -> bool:
    return abs(observed / n - p) <= 4 * math.sqrt(p * (1 - p) / n)


def test_routing_shares_match_configuration_within_binomial_bounds():
    ivr = {
        "menus": [
            {"name": "main", "prompt": FIXED(10), "hang_up": 0.1,
             "options": [{"key": "1", "share": 0.5, "to": "sales"},
                         {"key": "2", "share": 0.3, "to": "deeper"},
                         {"key": "0", "share": 0.2, "to": "support"}]},
            {"name": "deeper", "prompt": FIXED(10),
             "options": [{"key": "1", "share": 0.25, "to": "sales"},
                         {"key": "2", "share": 0.75, "to": "support",
                          "misroute": {"share": 0.2, "queue": "sales"}}]},
        ],
    }
    scenario = scenario_from_dict(base(ivr=ivr))
    n = 200_000
    paths = walk(scenario.ivr, ["sales", "support"], n, np.random.default_rng(11))
    expected = {
        "hang_up": 0.1,
        "sales": 0.9 * (0.5 + 0.3 * 0.25),
        "support, right": 0.9 * (0.2 + 0.3 * 0.75 * 0.8),
        "support, misrouted to sales": 0.9 * 0.3 * 0.75 * 0.2,
        "zero_out": 0.9 * 0.2,
    }
    observed = {
        "hang_up": int((paths.route == IVR_HANG_UP).sum()),
        "sales": int(((paths.route == 0) & (paths.true_queue < 0)).sum()),
        "support, right": int(((paths.route == 1) & (paths.true_queue < 0)).sum()),
        "support, misrouted to sales": int(((paths.route == 0) & (paths.true_queue == 1)).sum()),
        "zero_out": int(paths.zero_out.sum()),
    }
    for branch, p in expected.items():
        assert binomial_ok(observed[branch], n, p), (branch, observed[branch] / n, p)
        # power: a share off by 0.01 would be caught
        assert not binomial_ok(observed[branch], n, p + 0.01), branch


def test_misrouted_call_costs_the_first_agent_the_transfer_time():
    ivr = {"menus": [{"name": "main", "prompt": FIXED(10), "options": [
        {"key": "1", "share": 1.0, "to": "support", "misroute": {"share": 1.0, "queue": "sales", "transfer_time": FIXED(65)}}]}]}
    data = base(ivr=ivr)
    data["agents"] = [{"name": "sales team", "serves": ["sales"], "staffing": [50]},
                      {"name": "support team", "serves": ["support"], "staffing": [50]}]
    data["arrivals"] = {"calls": [20]}
    scenario = scenario_from_dict(data)
    result = simulate_replication(scenario, seed=1, replication=0)
    rec = result.records
    assert np.all(rec.flags & MISROUTED) and np.all(rec.flags & TRANSFERRED)
    assert np.all(rec.queue == 1) and np.all(rec.group == 1)  # answered by support in the end
    assert np.all(rec.wait_s == 0)
    # each call: a 65 s transfer job in sales, then a 100 s job in support
    assert sorted(set(np.round(result.busy_end_s - result.busy_start_s, 9))) == [65.0, 100.0]
    assert (result.busy_group == 0).sum() == len(rec) == (result.busy_group == 1).sum()
    # the agent time KPIs, by hand: n transfers of 65 s; n x (65 + 100) s of work in all
    kpis = replication_kpis(result, scenario)
    n = len(rec)
    assert kpis["transfer_agent_seconds"][-1] == pytest.approx(65.0 * n)
    assert kpis["busy_agent_seconds"][-1] == pytest.approx(165.0 * n)
    assert kpis["busy_agent_seconds"][-1] - kpis["transfer_agent_seconds"][-1] == pytest.approx(
        kpis["answered"][-1] * kpis["aht"][-1])  # the rest is the handle time of the answered calls


def test_keep_place_callback_exact_timeline():
    from simulator import Callers, simulate_callers

    data = base()
    data["queues"] = [{"name": "q", "talk_time": FIXED(100), "patience": FIXED(1000),
                       "callback": {"offer_when_expected_wait_over": 0, "accept_probability": 1.0,
                                    "dial_time": FIXED(20), "answer_probability": 1.0}}]
    data["agents"] = [{"name": "one", "serves": ["q"], "staffing": [1]}]
    scenario = scenario_from_dict(data)
    callers = Callers(
        arrived_at_s=np.array([0.0, 10.0, 20.0]), queue=np.zeros(3, dtype=np.int16),
        talk_s=np.array([100.0, 50.0, 30.0]), acw_s=np.zeros(3), patience_s=np.full(3, 1000.0),
        balk_u=np.full(3, 0.5), callback_u=np.zeros(3), callback_wait_s=np.zeros(3),
    )
    result = simulate_callers(scenario, callers)
    rec = result.records
    assert rec.outcome.tolist() == [Outcome.ANSWERED, Outcome.CALLBACK_COMPLETED, Outcome.CALLBACK_COMPLETED]
    # caller 1 accepted at 10, dialled at 100, connected at 120; caller 2 accepted at 20, dialled at 170, connected 190
    assert rec.callback_delay_s[1] == 110.0 and rec.callback_delay_s[2] == 170.0
    assert rec.wait_s.tolist() == [0.0, 0.0, 0.0]  # never counted as answered-with-zero-wait in ASA: not ANSWERED
    assert result.busy_end_s.tolist() == [100.0, 170.0, 220.0]


def scenario_text(name: str) -> dict:
    return yaml.safe_load((REPO / "scenarios" / name).read_text())


def common_kpis_equal(a, b) -> None:
    shared = set(a.per_replication) & set(b.per_replication)
    assert {"answered", "abandoned", "asa", "service_level", "occupancy"} <= shared
    for name in shared:
        np.testing.assert_array_equal(a.per_replication[name], b.per_replication[name], err_msg=name)


def test_callback_acceptance_zero_reproduces_no_callback_exactly():
    off = scenario_from_dict(scenario_text("callback_peak_off.yaml"))
    data = scenario_text("callback_peak_on.yaml")
    data["queues"][0]["callback"]["accept_probability"] = 0.0
    on_but_refused = scenario_from_dict(data)
    a = run_scenario(off, replications=3, seed=5)
    b = run_scenario(on_but_refused, replications=3, seed=5)
    common_kpis_equal(a, b)
    assert b.day["callbacks_offered"].mean > 0  # offers were made, all refused


def test_callback_for_everyone_who_would_wait_means_no_queue_abandonment():
    data = scenario_text("callback_peak_on.yaml")
    data["queues"][0]["callback"].update(offer_when_expected_wait_over=0, accept_probability=1.0, mode="keep_place")
    scenario = scenario_from_dict(data)
    result = run_scenario(scenario, replications=3, seed=5)
    assert np.all(result.per_replication["abandoned"] == 0)
    assert np.all(result.per_replication["callbacks_accepted"][:, -1] > 100)
    base_result = run_scenario(load_scenario(REPO / "scenarios" / "callback_peak_off.yaml"), replications=3, seed=5)
    assert np.all(base_result.per_replication["abandoned"][:, -1] > 100)  # the control abandons


def test_redial_probability_zero_reproduces_the_no_redial_run_exactly():
    data = scenario_text("utility_outage.yaml")
    without = copy.deepcopy(data)
    del without["return_calls"]
    for queue in without["queues"]:
        queue.pop("first_contact_resolution")
    data["return_calls"]["redial_probability"] = 0.0
    for queue in data["queues"]:
        queue["first_contact_resolution"] = 1.0
    a = run_scenario(scenario_from_dict(without), replications=2, seed=9)
    b = run_scenario(scenario_from_dict(data), replications=2, seed=9)
    common_kpis_equal(a, b)
    assert np.all(b.per_replication["redials"] == 0) and np.all(b.per_replication["repeat_calls"] == 0)


def test_redials_and_repeats_are_new_calls_by_the_same_callers():
    scenario = load_scenario(REPO / "scenarios" / "utility_outage.yaml")
    result = simulate_replication(scenario, seed=2, replication=0)
    check_conservation(result)
    rec = result.records
    assert (rec.kind == 1).sum() > 50 and (rec.kind == 2).sum() > 20
    max_calls = scenario.return_calls.max_calls
    calls_per_caller = np.bincount(rec.caller)
    assert calls_per_caller.max() <= max_calls
    # a redial follows an abandoned call of the same caller, a repeat an answered one
    order = np.lexsort((rec.arrived_at_s, rec.caller))
    caller, kind, outcome = rec.caller[order], rec.kind[order], rec.outcome[order]
    same = caller[1:] == caller[:-1]
    prev_outcome, this_kind = outcome[:-1][same], kind[1:][same]
    assert np.all(np.isin(prev_outcome[this_kind == 1], [Outcome.ABANDONED, Outcome.IVR_ABANDONED]))
    assert np.all(prev_outcome[this_kind == 2] == Outcome.ANSWERED)
    assert np.all(rec.arrived_at_s < result.day_end_s)  # nobody calls after the close


def test_outcomes_add_up_on_every_shipped_journey_scenario():
    for name in ("ivr_deep_menu.yaml", "ivr_broad_menu.yaml", "callback_peak_on.yaml", "utility_outage.yaml"):
        scenario = load_scenario(REPO / "scenarios" / name)
        result = simulate_replication(scenario, seed=4, replication=1)
        check_conservation(result)
        counts = np.bincount(result.records.outcome, minlength=len(Outcome))
        assert counts.sum() == len(result.records)
        kpi = {k: v[-1] for k, v in replication_kpis(result, scenario).items()}
        ended = sum(kpi.get(k, 0) for k in ("answered", "abandoned", "balked", "unserved", "ivr_contained",
                                            "ivr_abandoned", "callbacks_completed", "callbacks_failed"))
        assert ended == kpi["offered"], name


IVR_YAML = (REPO / "scenarios" / "ivr_deep_menu.yaml").read_text()
CALLBACK_YAML = (REPO / "scenarios" / "callback_peak_on.yaml").read_text()

BAD = {
    "shares not summing to 1": (IVR_YAML.replace("share: 0.15, to: loans}", "share: 0.25, to: loans}"),
                                r"ivr\.menus\[0\]\.options: option shares of menu 'main' sum to 1\.1, not 1"),
    "route to unknown queue": (IVR_YAML.replace("to: loans}", "to: lones}"),
                               r"ivr\.menus\[0\]\.options\[2\]\.to: 'lones' is not a menu, queue, self-service or hang_up"),
    "menu cycle": (IVR_YAML.replace("label: pay a bill, share: 0.50, to: payment}", "label: pay a bill, share: 0.50, to: main}"),
                   r"menus form a cycle \(main -> accounts menu -> payments menu -> main\)"),
    "retry limit below 0": (IVR_YAML.replace("retries: 2", "retries: -1", 1), r"ivr\.menus\[0\]\.retries: must be at least 0"),
    "callback threshold below 0": (CALLBACK_YAML.replace("offer_when_expected_wait_over: 60", "offer_when_expected_wait_over: -5"),
                                   r"queues\[0\]\.callback\.offer_when_expected_wait_over: must be at least 0"),
    "misroute to unknown queue": (IVR_YAML.replace("misroute: {share: 0.10, queue: cards}", "misroute: {share: 0.10, queue: crads}"),
                                  r"misroute\.queue: 'crads' is not a queue"),
    "hang-up probability above 1": (IVR_YAML.replace("hang_up: 0.015", "hang_up: 1.5", 1), r"ivr\.menus\[0\]\.hang_up: must be at most 1"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_journey_input_names_the_place(name, tmp_path):
    text, pattern = BAD[name]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioFileError) as error:
        load_scenario(path)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:")
    import re
    assert re.search(pattern, message), message


def _one_agent_callback_scenario(**callback):
    data = base()
    data["queues"] = [{"name": "q", "talk_time": FIXED(100), "patience": FIXED(1000),
                       "callback": {"offer_when_expected_wait_over": 0, "accept_probability": 1.0,
                                    "dial_time": FIXED(20), **callback}}]
    data["agents"] = [{"name": "one", "serves": ["q"], "staffing": [1]}]
    return scenario_from_dict(data)


def _two_callers(scenario, callback_wait_s=0.0):
    from simulator import Callers, simulate_callers

    callers = Callers(
        arrived_at_s=np.array([0.0, 10.0]), queue=np.zeros(2, dtype=np.int16),
        talk_s=np.array([100.0, 50.0]), acw_s=np.zeros(2), patience_s=np.full(2, 1000.0),
        balk_u=np.full(2, 0.5), callback_u=np.zeros(2), callback_wait_s=np.full(2, callback_wait_s),
    )
    return simulate_callers(scenario, callers)


def test_scheduled_callback_joins_the_queue_after_its_delay():
    scenario = _one_agent_callback_scenario(mode="scheduled", delay=FIXED(300), answer_probability=1.0)
    result = _two_callers(scenario, callback_wait_s=300.0)
    rec = result.records
    # accepted at 10, joins the queue at 310 (agent free since 100), dialled at 310, connected at 330
    assert rec.outcome.tolist() == [Outcome.ANSWERED, Outcome.CALLBACK_COMPLETED]
    assert rec.callback_delay_s[1] == 320.0
    assert result.busy_start_s.tolist() == [0.0, 310.0]


def test_unanswered_callbacks_are_retried_then_fail():
    scenario = _one_agent_callback_scenario(answer_probability=0.0, retry_delay=FIXED(300), max_attempts=3)
    result = _two_callers(scenario)
    rec = result.records
    assert rec.outcome.tolist() == [Outcome.ANSWERED, Outcome.CALLBACK_FAILED]
    assert np.isnan(rec.callback_delay_s[1])
    # dial attempts at 100, 420 (100 + 20 + 300), 740; each costs the agent 20 s
    assert result.busy_start_s.tolist() == [0.0, 100.0, 420.0, 740.0]
    assert (result.busy_end_s - result.busy_start_s).tolist() == [100.0, 20.0, 20.0, 20.0]


def test_a_misrouted_call_that_abandons_is_recorded_in_the_queue_it_abandoned():
    ivr = {"menus": [{"name": "main", "prompt": FIXED(10), "options": [
        {"key": "1", "share": 1.0, "to": "support", "misroute": {"share": 1.0, "queue": "sales"}}]}]}
    data = base(ivr=ivr)
    data["queues"][0]["patience"] = FIXED(30)  # sales callers give up after 30 s
    data["agents"] = [{"name": "sales team", "serves": ["sales"], "staffing": [0]},
                      {"name": "support team", "serves": ["support"], "staffing": [50]}]
    data["arrivals"] = {"calls": [20]}
    rec = simulate_replication(scenario_from_dict(data), seed=1, replication=0).records
    assert np.all(rec.outcome == Outcome.ABANDONED) and np.all(rec.wait_s == 30)
    assert np.all(rec.queue == 0)  # sales, where they waited and gave up
    assert np.all(rec.flags & MISROUTED) and not np.any(rec.flags & TRANSFERRED)


def test_self_service_without_success_in_a_share_based_menu_is_a_one_line_error(tmp_path, capsys):
    from helpers import assert_user_error, run_cli

    ivr = deterministic_ivr()
    del ivr["self_service"][0]["success"]
    path = tmp_path / "no_success.yaml"
    path.write_text(yaml.safe_dump(base(ivr=ivr), sort_keys=False))
    code, out, err = run_cli(capsys, "validate", path)
    assert_user_error(code, out, err, "ivr.self_service[0].success", "missing")


def _shares_with_return_calls() -> dict:
    """The minimal case of the redial bug: queue A unstaffed, B staffed, both fed by shares, no
    IVR; A's callers can only abandon and redial, B's are answered and may call again."""
    return {
        "schema_version": 1, "name": "redial_keeps_queue", "interval_minutes": 60,
        "arrivals": {"calls": [300, 300], "queue_shares": {"A": 0.5, "B": 0.5}},
        "queues": [
            {"name": "A", "talk_time": FIXED(100), "patience": FIXED(60), "first_contact_resolution": 0.6},
            {"name": "B", "talk_time": FIXED(200), "acw": FIXED(7), "patience": FIXED(60),
             "first_contact_resolution": 0.6},
        ],
        "agents": [{"name": "a", "serves": ["A"], "staffing": [0, 0]},
                   {"name": "b", "serves": ["B"], "staffing": [30, 30]}],
        "return_calls": {"redial_probability": 0.8, "redial_delay": FIXED(300), "repeat_delay": FIXED(600),
                         "max_calls": 3},
    }


def _return_calls_in_another_queue(records) -> tuple[int, int]:
    """(return calls, return calls whose queue differs from their caller's first call's)."""
    first_queue = {c: q for c, q, k in zip(records.caller, records.queue, records.kind) if k == 0}
    returns = records.kind > 0
    moved = sum(first_queue[c] != q for c, q in zip(records.caller[returns], records.queue[returns]))
    return int(returns.sum()), int(moved)


def test_a_return_call_keeps_its_callers_queue_without_an_ivr(monkeypatch):
    scenario = scenario_from_dict(_shares_with_return_calls())
    for replication in range(3):
        rec = simulate_replication(scenario, seed=1, replication=replication).records
        returns, moved = _return_calls_in_another_queue(rec)
        assert returns > 300 and moved == 0
        # nobody serves A: none of A's callers, first call or return call, is ever answered
        assert not np.any(rec.outcome[rec.queue == 0] == Outcome.ANSWERED)
        # durations follow the queue the call is in: B's talk time and ACW on every return call there
        answered_b = (rec.queue == 1) & (rec.outcome == Outcome.ANSWERED)
        assert np.all(rec.talk_s[answered_b] == 200) and np.all(rec.acw_s[answered_b] == 7)
    # control: return calls drawn by the shares again (the bug) move about half of them
    import simulator.callers as callers
    monkeypatch.setattr(callers, "_return_call_blocks", lambda scenario: {})
    take = callers.ReturnCallPool.take
    monkeypatch.setattr(callers.ReturnCallPool, "take", lambda self, at_s, block=-1: take(self, at_s))
    returns, moved = _return_calls_in_another_queue(simulate_replication(scenario, seed=1, replication=0).records)
    assert moved > returns / 4
