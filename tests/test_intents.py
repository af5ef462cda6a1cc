"""Caller intents: the same callers in every design, hand-computed micro walks, bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.callers import draw_callers, first_call_streams, ivr_paths
from simulator.funnel_trace import layout_of
from simulator.intents import choice_probabilities, scenario_routing, served_intents
from simulator.loading import scenario_from_dict
from tests.helpers import SCENARIO_DIR, assert_user_error, run_cli

FIXED = lambda s: {"dist": "fixed", "mean": s}  # noqa: E731
DEEP = SCENARIO_DIR / "ivr_deep_intents.yaml"
BROAD = SCENARIO_DIR / "ivr_broad_intents.yaml"


def two_intents(clarity: float, **menu) -> dict:
    """Intent a (60%) belongs to queue qa, b (40%) to qb; one menu, key 1 for a, key 2 for b."""
    return {
        "schema_version": 1, "name": "intents", "interval_minutes": 60, "arrivals": {"calls": [200]},
        "queues": [{"name": "qa", "talk_time": FIXED(100)}, {"name": "qb", "talk_time": FIXED(300)}],
        "agents": [{"name": "all", "serves": ["qa", "qb"], "staffing": [50]}],
        "intents": [{"name": "a", "share": 0.6, "queue": "qa", "talk_time": FIXED(111)},
                    {"name": "b", "share": 0.4, "queue": "qb"}],
        "ivr": {"menus": [{"name": "main", "prompt": FIXED(10), "clarity": clarity, **menu,
                           "options": [{"key": "1", "intents": ["a"], "to": "qa"},
                                       {"key": "2", "intents": ["b"], "to": "qb"}]}]},
    }


def walk_of(data: dict, n: int = 5000, seed: int = 3):
    scenario = scenario_from_dict(data)
    return scenario, ivr_paths(scenario, n, first_call_streams(seed, 0))


def test_a_callers_intent_and_durations_are_identical_in_both_designs():
    from simulator.loading import load_scenario

    deep, broad = load_scenario(DEEP), load_scenario(BROAD)
    for replication in (0, 3):
        a, b = draw_callers(deep, 11, replication), draw_callers(broad, 11, replication)
        assert len(a) == len(b) > 1000
        assert np.array_equal(a.arrived_at_s, b.arrived_at_s)
        assert np.array_equal(a.ivr.intent, b.ivr.intent)
        for name in ("talk_s", "acw_s", "patience_s", "balk_u"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
        # and the designs do route differently (the comparison is not of two copies)
        assert not np.array_equal(a.ivr.route, b.ivr.route)
        assert len(np.unique(a.ivr.intent)) == len(deep.intents)


def test_durations_come_from_the_intent_else_its_queue():
    scenario, paths = walk_of(two_intents(1.0))
    callers = draw_callers(scenario, 5, 0)
    a = callers.ivr.intent == 0
    assert a.any() and (~a).any()
    assert np.all(callers.talk_s[a] == 111.0) and np.all(callers.talk_s[~a] == 300.0)


def test_clarity_one_routes_every_caller_to_its_own_queue():
    scenario, paths = walk_of(two_intents(1.0))
    assert np.array_equal(paths.route, paths.intent)  # queue index = intent index here
    assert np.all(paths.true_queue == -1)
    # the intent mix is the declared one: 60% a, within 4 binomial SE
    n = len(paths.intent)
    assert abs((paths.intent == 0).mean() - 0.6) <= 4 * math.sqrt(0.24 / n)


def test_clarity_zero_with_two_options_sends_every_caller_to_the_other_queue():
    scenario, paths = walk_of(two_intents(0.0))
    assert np.array_equal(paths.route, 1 - paths.intent)
    assert np.array_equal(paths.true_queue, paths.intent)  # every call misrouted, and transferred back
    assert np.all(paths.transfer_s == 65.0)  # the default transfer time (field guide)


def test_an_intent_no_option_serves_spreads_by_weight():
    data = two_intents(1.0)
    data["intents"].append({"name": "c", "share": 0.0, "queue": "qa"})
    data["ivr"]["menus"][0]["options"][0]["intents"] = ["a", "c"]
    scenario = scenario_from_dict(data)
    served = served_intents(scenario.ivr, ["a", "b", "c"])
    menu = scenario.ivr.menus[0]
    assert served == [[frozenset({0, 2}), frozenset({1})]]
    weighted = scenario.ivr.menus[0].model_copy(update={"options": (
        menu.options[0].model_copy(update={"weight": 3.0}), menu.options[1])})
    # nobody in this menu serves intent 1 under served [{0}, {}]: weights 3 : 1
    assert np.allclose(choice_probabilities(weighted, [frozenset({0}), frozenset()], 1), [0.75, 0.25])
    # clarity 0.8, three options of weights 1, 1, 2: the meant one 0.8, the others 0.2 by weight
    three = weighted.model_copy(update={"clarity": 0.8, "options": (
        menu.options[0], menu.options[1], menu.options[1].model_copy(update={"key": "3", "weight": 2.0}))})
    assert np.allclose(choice_probabilities(three, [frozenset({0}), frozenset(), frozenset()], 0),
                       [0.8, 0.2 / 3, 0.4 / 3])


def test_an_option_leading_to_a_menu_serves_that_menus_intents():
    from simulator.loading import load_scenario

    deep = load_scenario(DEEP)
    names = [i.name for i in deep.intents]
    served = served_intents(deep.ivr, names)
    main = served[0]
    assert {names[i] for i in main[0]} == {"account balance", "payment", "account question"}
    assert {names[i] for i in main[1]} == {"lost card", "card balance", "card dispute"}


def test_self_service_completes_only_for_the_intent_it_is_meant_for():
    data = two_intents(1.0)
    data["intents"][0]["self_service"] = 1.0
    data["intents"][1]["self_service"] = 1.0
    data["ivr"]["menus"][0]["options"][0]["to"] = "task"
    data["ivr"]["self_service"] = [{"name": "task", "duration": FIXED(20), "on_failure": "qb"}]
    _, paths = walk_of(data)
    assert np.all(paths.route[paths.intent == 0] == -1)  # contained: suitability 1, the option meant for them
    data["ivr"]["menus"][0]["clarity"] = 0.0  # now only b callers reach the task, by mistake: it fails
    _, paths = walk_of(data)
    b = paths.intent == 1
    assert np.all(paths.route[b] == 1) and np.all(paths.true_queue[b] == -1)  # failed -> qb, their own queue
    assert np.all(paths.route[~b] == 1) and np.all(paths.true_queue[~b] == 0)  # a callers misrouted to qb


def test_the_intent_routing_for_the_planner_adds_up_to_one():
    from simulator.loading import load_scenario

    for path in (DEEP, BROAD):
        routing = scenario_routing(load_scenario(path))
        total = sum(routing.to_queue.values()) + sum(routing.misroute.values()) + routing.contained + routing.hang_up
        assert math.isclose(total, 1.0, abs_tol=1e-9)
        assert routing.misroute and all(math.isclose(t, 65.0) for t in routing.misroute_transfer_s.values())


def _bad(tmp_path, mutate, **data_changes):
    import yaml

    data = two_intents(0.9)
    mutate(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


BAD = {
    "unreachable intent": (lambda d: d["intents"].append({"name": "c", "share": 0.0, "queue": "qa"}),
                           ["intents[2].name", "no menu option serves intent 'c'"]),
    "undeclared intent": (lambda d: d["ivr"]["menus"][0]["options"][0].update(intents=["a", "zz"]),
                          ["options[0].intents[1]", "'zz' is not a declared intent"]),
    "clarity above 1": (lambda d: d["ivr"]["menus"][0].update(clarity=1.5), ["ivr.menus[0].clarity", "at most 1"]),
    "option clarity below 0": (lambda d: d["ivr"]["menus"][0]["options"][1].update(clarity=-0.1),
                               ["options[1].clarity", "at least 0"]),
    "shares not summing to 1": (lambda d: d["intents"][0].update(share=0.7), ["intents", "sum to 1.1, not 1"]),
    "wrong number of intervals": (lambda d: d["intents"][0].update(share=[0.6, 0.6]),
                                  ["intents[0].share", "has 2 intervals but arrivals.calls has 1"]),
    "unknown queue": (lambda d: d["intents"][1].update(queue="qc"), ["intents[1].queue", "unknown queue 'qc'"]),
    "share and intents mixed": (lambda d: d["ivr"]["menus"][0]["options"][1].update(share=0.4),
                                ["options[1].share", "instead of a share"]),
    "misroute with intents": (lambda d: d["ivr"]["menus"][0]["options"][1].update(misroute={"share": 0.1, "queue": "qa"}),
                              ["options[1].misroute", "follow from the callers' intents"]),
    "task success with intents": (lambda d: d["ivr"].update(self_service=[
        {"name": "task", "duration": {"dist": "fixed", "mean": 20}, "success": 0.5, "on_failure": "qb"}]),
        ["ivr.self_service[0].success", "remove 'success'"]),
    "intents without an ivr": (lambda d: d.pop("ivr"), ["intents", "need an ivr"]),
    "intents in a share-based menu": (lambda d: d.pop("intents"), ["options[0].intents", "only when the scenario declares"]),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_intent_input_is_one_line_naming_the_key(name, tmp_path, capsys):
    mutate, fragments = BAD[name]
    path = _bad(tmp_path, mutate)
    code, out, err = run_cli(capsys, "validate", path)
    assert_user_error(code, out, err, "bad.yaml:", *fragments)


def test_the_funnel_layout_numbers_every_counter_once():
    scenario, _ = walk_of(two_intents(1.0))
    layout = layout_of(scenario.ivr, 2)
    assert len(set(layout.keys)) == len(layout) == len(layout.index)


def test_per_interval_shares_set_the_intent_by_arrival_interval():
    data = two_intents(1.0)
    data["arrivals"]["calls"] = [300, 300]
    data["agents"][0]["staffing"] = [50, 50]
    data["intents"][0]["share"] = [1.0, 0.0]
    data["intents"][1]["share"] = [0.0, 1.0]
    scenario = scenario_from_dict(data)
    callers = draw_callers(scenario, 2, 0)
    second = callers.arrived_at_s >= 3600
    assert second.any() and (~second).any()
    assert np.all(callers.ivr.intent[~second] == 0) and np.all(callers.ivr.intent[second] == 1)


def test_resolution_uniform_is_moved_to_give_the_intents_fcr():
    from simulator.callers import _remapped_resolution

    u = (np.arange(10_000) + 0.5) / 10_000
    for wanted in (0.0, 0.3, 0.8, 1.0):
        for tested in (0.0, 0.5, 1.0):
            moved = _remapped_resolution(u, np.full_like(u, wanted), np.full_like(u, tested))
            assert np.array_equal(moved < tested, u < wanted), (wanted, tested)
    same = _remapped_resolution(u, np.full_like(u, 0.7), np.full_like(u, 0.7))
    assert np.allclose(same, u)  # where intent and queue agree, the uniform is untouched


def test_redials_and_repeat_calls_keep_their_callers_intent():
    from simulator.callers import FIRST
    from simulator.engine import Outcome, simulate_replication
    from simulator.funnel import replication_funnel, funnel_layout

    data = two_intents(1.0)
    data["queues"][0]["first_contact_resolution"] = 0.5  # intent a keeps the queue's FCR, b sets its own
    data["intents"][1]["first_contact_resolution"] = 0.2
    data["return_calls"] = {"redial_probability": 1.0, "redial_delay": FIXED(60), "repeat_delay": FIXED(60),
                            "max_calls": 4}
    scenario = scenario_from_dict(data)
    result = simulate_replication(scenario, 9, 0)
    records = result.records
    returns = records.kind != FIRST
    assert returns.sum() > 100
    # talk time tells the intent (a: 111 s, b: qb's 300 s); a return call's is its first call's
    answered = records.outcome == Outcome.ANSWERED
    first_talk = records.talk_s[records.caller]
    assert np.array_equal(records.talk_s[returns & answered], first_talk[returns & answered])
    # and the funnel counts every simulated call, the return calls included
    counts = replication_funnel(scenario, 9, 0, records)
    layout = funnel_layout(scenario)
    assert counts[layout.index[("entered",)]] == len(records)
    assert counts[layout.index[("queue", 0)]] == (records.queue == 0).sum()
    # the intent's FCR decides resolution (b: 0.2, its queue says 1), a keeps its queue's 0.5
    from simulator.records import RESOLVED

    resolved = (records.flags & RESOLVED) > 0
    for talk, fcr in ((111.0, 0.5), (300.0, 0.2)):
        calls = answered & (records.talk_s == talk)
        n = calls.sum()
        assert n > 100
        assert abs(resolved[calls].mean() - fcr) <= 4 * math.sqrt(fcr * (1 - fcr) / n), (talk, resolved[calls].mean())


def test_scaled_durations_scale_the_intents_own_durations_too():
    scenario = scenario_from_dict(two_intents(1.0))
    scaled = scenario.with_scaled_durations("talk_time", 1.5)
    assert scaled.intents[0].talk_time.mean_s == pytest.approx(166.5)
    assert scaled.intents[1].talk_time is None and scaled.queues[1].talk_time.mean_s == pytest.approx(450.0)
    callers = draw_callers(scaled, 5, 0)
    assert set(np.unique(callers.talk_s)) == {166.5, 450.0}


def test_the_planner_sizes_each_queue_with_the_durations_of_the_intents_it_handles():
    """Hand-computed: intents a (60%, talk 111 s) and c (20%, talk 211 s, patience 50 s) belong
    to qa, b (20%) to qb (talk 300 s, the queue's); clarity 1, so nobody is misrouted."""
    from planner.demand import queue_demand

    data = two_intents(1.0)
    data["intents"][0]["share"] = 0.6
    data["intents"][1]["share"] = 0.2
    data["intents"].append({"name": "c", "share": 0.2, "queue": "qa", "talk_time": FIXED(211),
                            "patience": {"dist": "exponential", "mean": 50}})
    data["queues"][0]["patience"] = {"dist": "exponential", "mean": 200}
    data["ivr"]["menus"][0]["options"][0]["intents"] = ["a", "c"]
    demand = {d.queue: d for d in queue_demand(scenario_from_dict(data))}
    assert demand["qa"].mean_handle_time_s == pytest.approx((0.6 * 111 + 0.2 * 211) / 0.8)
    assert demand["qb"].mean_handle_time_s == pytest.approx(300)
    # qa's waiting callers abandon at the mean of their rates: 1/200 (a) and 1/50 (c)
    assert demand["qa"].mean_patience_s == pytest.approx(1 / ((0.6 / 200 + 0.2 / 50) / 0.8))
    assert demand["qb"].mean_patience_s is None  # qb's callers never abandon
    # the control: the queue's own talk time, which the intents override, is not what is planned
    assert demand["qa"].mean_handle_time_s != pytest.approx(100)
