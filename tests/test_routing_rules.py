"""The ACD routing rules (scenario `routing`): hand-computed timelines for each rule, each with
today's rule on the same callers as its negative control; the random rule against its binomial
law; bad input; and the rules' names read from their one registry.

The pooled Erlang C / Erlang A checks are in tests/test_validation_routing.py, the call-for-call
comparison with the reference model in tests/test_reference_model.py.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import SCENARIO_DIR, assert_user_error, run_cli
from simulator import Outcome, scenario_from_dict, simulate_callers
from simulator.loading import ScenarioFileError
from simulator.randomness import Stream, generator_at
from simulator.routing import AGENT_SELECTION, CALL_SELECTION
from test_routing_policies import FIXED, callers  # the same hand-built callers



def centre(routing=None, queues=("q",), groups=(("first", ("q",), 1), ("second", ("q",), 1)), classes=None):
    data = {
        "schema_version": 1, "name": "routing", "interval_minutes": 15,
        "arrivals": {"calls": [1.0]},
        "queues": [{"name": q, "talk_time": FIXED(1)} for q in queues],
        "agents": [{"name": name, "serves": list(serves), "staffing": [n]} for name, serves, n in groups],
    }
    if len(queues) > 1:
        data["arrivals"]["queue_shares"] = {q: 1 / len(queues) for q in queues}
    if classes is not None:
        data["queues"][0]["priority_classes"] = classes
    if routing is not None:
        data["routing"] = routing
    return scenario_from_dict(data)


# --- agent selection --------------------------------------------------------------------------

def test_longest_idle_hands_the_call_to_the_agent_idle_longest_across_groups():
    # both idle at 0 (equal: group order) -> caller 0 to first (busy 0-20), caller 1 to second
    # (busy 5-15). At 30 second has been idle since 15, first since 20: longest_idle picks
    # second, group order first. At 40 first (idle since 20) beats second (since 31).
    c = callers([0, 5, 30, 40], talk=[20, 10, 1, 1])
    routed = simulate_callers(centre({"agent_selection": "longest_idle"}), c).records
    today = simulate_callers(centre(), c).records
    assert routed.group.tolist() == [0, 1, 1, 0]
    assert today.group.tolist() == [0, 1, 0, 0]  # negative control: today's rule on the same callers
    assert routed.wait_s.tolist() == today.wait_s.tolist() == [0.0] * 4


def test_longest_idle_counts_new_agents_idle_from_the_boundary():
    # 15-min intervals: first has 1 agent all day, second 0 then 1 (idle from 900). First's agent
    # is free from 10; at 1000 it has been idle longer than second's: first answers.
    sc = centre({"agent_selection": "longest_idle"}, groups=(("first", ("q",), 1), ("second", ("q",), 1)))
    data = sc.model_dump(mode="json", exclude_unset=True)
    data["arrivals"]["calls"] = [1.0, 1.0]
    data["agents"][0]["staffing"] = [1, 1]
    data["agents"][1]["staffing"] = [0, 1]
    c = callers([0, 1000, 1001], talk=[10, 100, 100])
    rec = simulate_callers(scenario_from_dict(data), c).records
    assert rec.group.tolist() == [0, 0, 1]


def test_random_draws_a_free_agent_uniformly_from_its_own_stream():
    # 1 agent in "first", 3 in "second"; every caller finds all four idle (talk 0.1 s, 0.2 s apart)
    n = 4000
    sc = centre({"agent_selection": "random"}, groups=(("first", ("q",), 1), ("second", ("q",), 3)))
    c = callers(np.arange(n) * 0.2, talk=[0.1] * n)
    rec = simulate_callers(sc, c, replication=3, seed=11).records
    # exact: the k-th caller's uniform is the k-th of the AGENT_CHOICE stream; "first" iff u*4 < 1
    u = generator_at(11, 3, int(Stream.AGENT_CHOICE)).random(n)
    assert rec.group.tolist() == (u * 4 >= 1).astype(int).tolist()
    # law: "first" takes 1/4 of the calls (a group drawn uniformly would take 1/2: the control)
    share = float((rec.group == 0).mean())
    se = math.sqrt(0.25 * 0.75 / n)
    assert abs(share - 0.25) <= 4 * se
    assert abs(share - 0.5) > 4 * se
    # the draws are the replication's own: another replication picks otherwise, the same one again
    assert (simulate_callers(sc, c, replication=4, seed=11).records.group != rec.group).any()
    assert (simulate_callers(sc, c, replication=3, seed=11).records.group == rec.group).all()


def test_random_with_one_group_free_draws_nothing():
    # caller 0 takes first's agent at once (both idle: one draw); caller 1 finds only second free
    sc = centre({"agent_selection": "random"})
    rec = simulate_callers(sc, callers([0, 1], talk=[10, 10])).records
    u = generator_at(0, 0, int(Stream.AGENT_CHOICE)).random(1)[0]
    first = 0 if u * 2 < 1 else 1
    assert rec.group.tolist() == [first, 1 - first]


def test_an_overflow_timer_hands_its_call_to_an_agent_by_the_queues_agent_selection():
    # A overflows after 10 s to b1 and b2 (both serve B). Caller 0 (A) keeps A's agent busy 0-100;
    # caller 1 (B) at 0 goes to b1 (equal idle times: group order), busy until 5; caller 2 (A)
    # arrives at 1 and overflows at 11: to b2 (idle since 0) under longest_idle, to b1 (listed
    # first) under group order.
    def overflowing(routing):
        data = centre(routing, queues=("A", "B"), groups=(("a", ("A",), 1), ("b1", ("B",), 1), ("b2", ("B",), 1)))
        data = data.model_dump(mode="json", exclude_unset=True)
        data["queues"][0]["overflow"] = {"after_s": 10, "to_groups": ["b1", "b2"]}
        return scenario_from_dict(data)

    c = callers([0, 0, 1], talk=[100, 5, 5], queue=[0, 1, 0])
    routed = simulate_callers(overflowing({"agent_selection": "longest_idle"}), c).records
    today = simulate_callers(overflowing(None), c).records
    assert routed.group.tolist() == [0, 1, 2] and today.group.tolist() == [0, 1, 1]
    assert routed.wait_s.tolist() == today.wait_s.tolist() == [0.0, 0.0, 10.0]


# --- call selection ---------------------------------------------------------------------------

TWO_QUEUES = dict(queues=("A", "B"), groups=(("team", ("A", "B"), 1),))


def test_oldest_first_takes_the_longest_waiting_call_across_the_groups_queues():
    # one agent serving [A, B]: caller 0 (A) busy 0-10; caller 1 (B) waits from 1, caller 2 (A)
    # from 2. At 10 oldest_first takes caller 1 (waited longest), queue order caller 2 (A first).
    c = callers([0, 1, 2], talk=[10, 10, 10], queue=[0, 1, 0])
    routed = simulate_callers(centre({"call_selection": "oldest_first"}, **TWO_QUEUES), c).records
    today = simulate_callers(centre(**TWO_QUEUES), c).records
    assert routed.wait_s.tolist() == [0.0, 9.0, 18.0]
    assert today.wait_s.tolist() == [0.0, 19.0, 8.0]  # negative control


def test_priority_then_age_takes_the_highest_class_then_the_oldest_and_oldest_first_ignores_class():
    # A has a vip class (u < 0.5). Busy 0-10 with caller 0 (A); waiting: 1 (B, from 1), 2 (A
    # ordinary, from 2), 3 (A vip, from 3). priority_then_age: vip 3, then 1 (older than 2), then 2;
    # oldest_first: 1, 2, 3; queue order: A's vip 3, A's 2, then B's 1.
    c = callers([0, 1, 2, 3], talk=[10] * 4, queue=[0, 1, 0, 0], priority_u=[0.9, 0.9, 0.9, 0.1])
    vip = [{"name": "vip", "share": 0.5}]
    waits = {rule: simulate_callers(centre({"call_selection": rule}, classes=vip, **TWO_QUEUES), c).records.wait_s.tolist()
             for rule in CALL_SELECTION}
    assert waits == {"priority_then_age": [0.0, 19.0, 28.0, 7.0],
                     "oldest_first": [0.0, 9.0, 18.0, 27.0],
                     "queue_order": [0.0, 29.0, 18.0, 7.0]}


def test_oldest_first_drops_a_caller_whose_patience_ran_out_at_its_deadline():
    # caller 1 (B) would be the oldest at 10, but its patience (5 s) ran out at 6: caller 2 is taken
    c = callers([0, 1, 2], talk=[10, 10, 10], queue=[0, 1, 0], patience=[math.inf, 5.0, math.inf])
    rec = simulate_callers(centre({"call_selection": "oldest_first"}, **TWO_QUEUES), c).records
    assert rec.outcome.tolist() == [Outcome.ANSWERED, Outcome.ABANDONED, Outcome.ANSWERED]
    assert rec.wait_s.tolist() == [0.0, 5.0, 8.0]


def test_a_group_override_keeps_todays_rule_for_that_group():
    c = callers([0, 1, 2], talk=[10, 10, 10], queue=[0, 1, 0])
    sc = centre({"call_selection": "oldest_first", "call_selection_by_group": {"team": "queue_order"}}, **TWO_QUEUES)
    assert simulate_callers(sc, c).records.wait_s.tolist() == [0.0, 19.0, 8.0]


# --- input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("routing, fragments", [
    ({"agent_selection": "longest_idel"}, ("routing.agent_selection", "'longest_idle'", "'random'")),
    ({"call_selection": "fifo"}, ("routing.call_selection", "'oldest_first'")),
    ({"agent_selection_by_queue": {"nope": "random"}}, ("routing.agent_selection_by_queue.nope", "unknown queue 'nope'")),
    ({"call_selection_by_group": {"nobody": "oldest_first"}},
     ("routing.call_selection_by_group.nobody", "unknown agent group 'nobody'")),
    ({"agent_selection_by_queue": {"q": "oldest_first"}}, ("routing.agent_selection_by_queue.q",)),
])
def test_bad_routing_is_one_line_naming_the_key(routing, fragments):
    with pytest.raises(ScenarioFileError) as error:
        centre(routing)
    for fragment in fragments:
        assert fragment in str(error.value)


def test_bad_routing_from_the_command_line_exits_2_naming_the_line(tmp_path, capsys):
    text = (SCENARIO_DIR / "two_queue_multiskill.yaml").read_text()
    path = tmp_path / "bad.yaml"
    path.write_text(text + "routing:\n  call_selection_by_group: {bilingual: oldest_first}\n")
    code, out, err = run_cli(capsys, "validate", path)
    line = text.count("\n") + 2
    assert_user_error(code, out, err, f"bad.yaml:{line}: routing.call_selection_by_group.bilingual",
                      "unknown agent group 'bilingual'", "generalists")


def test_the_schema_lists_every_rule_from_the_registries():
    from simulator.scenario import RoutingRules
    schema = RoutingRules.model_json_schema()
    assert schema["properties"]["agent_selection"]["enum"] == list(AGENT_SELECTION)
    assert schema["properties"]["call_selection"]["enum"] == list(CALL_SELECTION)
    for name in (*AGENT_SELECTION, *CALL_SELECTION):
        assert name in str(schema)


def test_without_a_routing_section_the_scenarios_json_form_is_unchanged():
    assert "routing" not in centre().model_dump(mode="json")
    assert centre({"agent_selection": "random"}).model_dump(mode="json")["routing"]["agent_selection"] == "random"


def test_the_docs_name_every_rule_and_key():
    from simulator.scenario import RoutingRules
    doc = (SCENARIO_DIR.parent / "docs" / "scenarios.md").read_text()
    for name in (*AGENT_SELECTION, *CALL_SELECTION, *RoutingRules.model_fields):
        assert f"`{name}`" in doc, name


def test_the_shipped_routing_scenario_is_identical_for_any_number_of_workers():
    from simulator import load_scenario, run_scenario
    scenario = load_scenario(SCENARIO_DIR / "two_queue_multiskill_longest_idle.yaml")
    scenario = scenario.model_copy(update={"routing": scenario.routing.model_copy(update={"agent_selection": "random"})})
    one, two = (run_scenario(scenario, replications=4, seed=3, workers=w) for w in (1, 2))
    for kpi, values in one.per_replication.items():
        np.testing.assert_array_equal(values, two.per_replication[kpi], err_msg=kpi)


# --- the planner: its one-group Erlang view says when a rule changes where calls go -----------

def test_the_plan_and_its_verification_name_the_rules_they_cannot_represent():
    from planner.plan import plan_scenario
    from planner.verify import _group_gap_codes, model_gaps
    from simulator import load_scenario

    base = load_scenario(SCENARIO_DIR / "two_queue_multiskill.yaml")
    routed = load_scenario(SCENARIO_DIR / "two_queue_multiskill_longest_idle.yaml")
    both = routed.model_copy(update={"routing": routed.routing.model_copy(update={"call_selection": "oldest_first"})})
    plans = [plan_scenario(s) for s in (base, routed, both)]
    plain, idle, aged = ({n.code: n for n in plan.notes} for plan in plans)
    assert "routing" not in plain  # control: today's rules need no note
    # sales is served by two groups (the rule matters); support by one (it does not)
    assert idle["routing"].values == {"agent_selection": {"sales": "longest_idle"}, "call_selection": {}}
    assert aged["routing"].values["call_selection"] == {"generalists": "oldest_first"}  # the one group serving two queues
    assert "sales: longest_idle" in idle["routing"].text and "Call selection" in aged["routing"].text
    gaps = {name: model_gaps(plan)["multi_skill"] for name, plan in zip(("plain", "idle", "aged"), plans)}
    assert "'generalists' answers support before sales" in gaps["plain"] and "routing rule" not in gaps["plain"]
    assert "sales longest_idle" in gaps["idle"]
    assert "'generalists' oldest_first" in gaps["aged"] and "before" not in gaps["aged"]
    # the specialists were planned for sales alone, yet under longest_idle the rule decides how
    # many sales calls they get: their occupancy gap can come from the rule (control: today's)
    assert "multi_skill" in _group_gap_codes(plans[1], "sales specialists")
    assert "multi_skill" not in _group_gap_codes(plans[0], "sales specialists")
