"""The engine against its executable specification (tests/reference_model.py), call for call.

Random days (continuous times, so no two events fall at the same moment; the exact micro-days
of tests/test_engine_exact.py and the tie-heavy days of tests/test_engine_fast_forward.py cover
ties): several queues and groups with random `serves` lists, staffing that changes at interval
boundaries (down to zero), balking, IVR time and walks that end in the IVR, telephone lines
(`trunks`, on 40% of the days: blocked callers), a maximum wait that ends in a message
(`queues[].max_wait`, on 40% of the days, some of their queues' callers never abandoning), callers
cut off at the close (`on_close: disconnect`, on 40% of the days, for the centre or some queues). The engine and the
textbook SimPy model run on the same drawn callers and must agree on the outcome and the group
of every call, and on its wait to 1e-9 s (the two add times in a different order). A negative
control breaks one rule of the engine (the newest caller answered first) and must be caught.
"""
from __future__ import annotations

from array import array

import numpy as np
import pytest

import reference_model
from simulator import draw_callers, engine, scenario_from_dict, simulate_callers
from simulator.routing import Routing

DAYS = 60
WAIT_TOLERANCE_S = 1e-9


def random_scenario(rng: np.random.Generator) -> dict:
    """A small random day: 1-3 queues, 1-3 groups, staffing per 15-minute interval."""
    n_queues = int(rng.integers(1, 4))
    names = ["a", "b", "c"][:n_queues]
    n_intervals = int(rng.integers(2, 6))
    queues = []
    for name in names:
        queue = {"name": name,
                 "talk_time": {"dist": "lognormal", "mean": float(rng.uniform(60, 300)), "cv": float(rng.uniform(0.3, 1.5))},
                 "acw": {"dist": "exponential", "mean": float(rng.uniform(5, 60))},
                 "patience": {"dist": "exponential", "mean": float(rng.uniform(20, 300))},
                 "balk_probability": float(rng.choice([0.0, 0.0, rng.uniform(0, 0.6)]))}
        queues.append(queue)
    groups = []
    for g in range(int(rng.integers(1, 4))):
        serves = list(rng.permutation(names)[: int(rng.integers(1, n_queues + 1))])
        groups.append({"name": f"group {g}", "serves": [str(q) for q in serves],
                       "staffing": [int(v) for v in rng.integers(0, 6, n_intervals)]})
    served = {q for group in groups for q in group["serves"]}
    for name in names:  # every queue served by someone
        if name not in served:
            groups[0]["serves"].append(name)
    data = {"schema_version": 1, "name": "random day", "interval_minutes": 15,
            "arrivals": {"calls": [float(rng.uniform(10, 60)) for _ in range(n_intervals)],
                         "queue_shares": {name: 1 / n_queues for name in names}},
            "queues": queues, "agents": groups}
    if rng.random() < 0.4:  # an IVR: its time, and walks that end there (self-service, hang-ups)
        del data["arrivals"]["queue_shares"]
        data["ivr"] = {
            "greeting": {"dist": "exponential", "mean": float(rng.uniform(2, 20))},
            "menus": [{"name": "main", "prompt": {"dist": "lognormal", "mean": 12.0, "cv": 0.5},
                       "hang_up": float(rng.uniform(0, 0.15)),
                       "options": [{"key": str(k + 1), "share": 0.8 / n_queues, "to": name}
                                   for k, name in enumerate(names)] + [{"key": "9", "share": 0.2, "to": "balance"}]}],
            "self_service": [{"name": "balance", "duration": {"dist": "exponential", "mean": 40.0},
                              "success": 0.6, "on_failure": names[0]}]}
    return data


def differences(scenario, callers) -> list[str]:
    """Calls where the engine and the reference model disagree, described."""
    engine = simulate_callers(scenario, callers).records
    reference = reference_model.simulate(scenario, callers)
    n = len(callers)
    assert len(engine) == n  # first calls only: no redials or repeat calls here
    found = []
    for i in np.flatnonzero((engine.outcome != reference.outcome) | (engine.group != reference.group)
                            | (np.abs(engine.wait_s - reference.wait_s) > WAIT_TOLERANCE_S)):
        found.append(f"call {i}: engine {engine.outcome[i]}/{engine.group[i]}/{engine.wait_s[i]:.12g} s, "
                     f"reference {reference.outcome[i]}/{reference.group[i]}/{reference.wait_s[i]:.12g} s")
    return found


def random_days(count: int, seed: int = 20261206):
    rng = np.random.default_rng(seed)
    for day in range(count):
        data = random_scenario(rng)
        lines_rng = np.random.default_rng((seed, day))  # its own stream: the days without lines stay as they were
        if lines_rng.random() < 0.4:  # from a line per agent at the busiest moment to a few spare
            busiest = max(map(sum, zip(*(g["staffing"] for g in data["agents"]))))
            data["trunks"] = int(lines_rng.integers(max(busiest, 1), busiest + 4))
        messages_rng = np.random.default_rng((seed, day, 1))  # its own stream too
        if messages_rng.random() < 0.4:
            for queue in data["queues"]:
                if messages_rng.random() < 0.7:
                    queue["max_wait"] = {"after_s": float(messages_rng.uniform(5, 240))}
                    if messages_rng.random() < 0.3:  # callers who never abandon: the message ends every wait
                        del queue["patience"]
        closing_rng = np.random.default_rng((seed, day, 2))  # and this one
        if closing_rng.random() < 0.4:
            if closing_rng.random() < 0.5:
                data["on_close"] = "disconnect"
            for queue in data["queues"]:
                if closing_rng.random() < 0.5:
                    queue["on_close"] = str(closing_rng.choice(["serve", "disconnect"]))
        scenario = scenario_from_dict(data)
        callers = draw_callers(scenario, day, 0)
        assert reference_model.supported(scenario, callers)
        yield day, scenario, callers


@pytest.mark.parametrize("lazy_from", [engine.LAZY_AGENTS_FROM, 1], ids=["eager", "lazy agents"])
def test_the_engine_agrees_with_the_reference_model_call_for_call(monkeypatch, lazy_from):
    monkeypatch.setattr(engine, "LAZY_AGENTS_FROM", lazy_from)  # 1: lazy agents on every day without an IVR
    seen = {"outcomes": set(), "groups": set(), "calls": 0, "waited": 0, "ivr": 0, "trunks": 0, "max_wait": 0,
            "disconnect": 0}
    for day, scenario, callers in random_days(DAYS):
        found = differences(scenario, callers)
        assert not found, f"day {day}: {len(found)} calls differ, first: {found[:3]}"
        records = simulate_callers(scenario, callers).records
        seen["outcomes"].update(records.outcome.tolist())
        seen["groups"].update(records.group.tolist())
        seen["calls"] += len(records)
        seen["waited"] += int((records.wait_s > 0).sum())
        seen["ivr"] += callers.ivr is not None
        seen["trunks"] += scenario.trunks is not None
        seen["max_wait"] += any(q.max_wait is not None for q in scenario.queues)
        seen["disconnect"] += any(scenario.disconnects_at_close())
    # power: the days exercise every outcome the reference models, several groups, real queues
    # answered, abandoned, balked, contained, IVR hang-up, blocked, message, disconnected
    assert seen["outcomes"] == {0, 1, 2, 4, 5, 8, 9, 10}, seen["outcomes"]
    assert {0, 1, 2} <= seen["groups"]
    assert seen["calls"] > 5000 and seen["waited"] > 1000 and 10 <= seen["ivr"] <= DAYS - 10
    assert 10 <= seen["trunks"] <= DAYS - 10
    assert 10 <= seen["max_wait"] <= DAYS - 10
    assert 10 <= seen["disconnect"] <= DAYS - 10


def test_an_engine_answering_the_newest_caller_first_is_caught(monkeypatch):
    # negative control: every caller joins the front of its line, so a free agent takes the
    # newest one (LIFO). The differential test must see it on most days.
    join = Routing.join
    monkeypatch.setattr(Routing, "join", lambda self, *args, **kwargs: join(self, *args, **{**kwargs, "at_front": True}))
    caught = sum(bool(differences(scenario, callers)) for _, scenario, callers in random_days(20))
    assert caught >= 15, caught


def test_an_engine_whose_agents_ignore_the_serves_order_is_caught(monkeypatch):
    # negative control: a free agent takes the queues of its group in reverse `serves` order
    # (matters only on days where a group serves several queues)
    init = Routing.__init__

    def reversed_serves(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.serves = [tuple(reversed(s)) for s in self.serves]

    monkeypatch.setattr(Routing, "__init__", reversed_serves)
    caught = sum(bool(differences(scenario, callers)) for _, scenario, callers in random_days(20))
    assert caught >= 5, caught


def test_an_engine_holding_lines_too_long_is_caught(monkeypatch):
    # negative control: every line is freed 30 s after its call left it (as if the ACW held it)
    hang_up = engine._CallCentre._hang_up
    monkeypatch.setattr(engine._CallCentre, "_hang_up", lambda self, at_s: hang_up(self, at_s + 30.0))
    days = [(scenario, callers) for _, scenario, callers in random_days(30) if scenario.trunks is not None]
    caught = sum(bool(differences(scenario, callers)) for scenario, callers in days)
    assert len(days) >= 8 and caught >= len(days) // 2, (caught, len(days))


def test_an_engine_sending_callers_to_a_message_late_is_caught(monkeypatch):
    # negative control: every maximum wait is 10 s longer in the engine than in the scenario
    init = engine._CallCentre.__init__

    def late(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.max_wait_s = [after_s + 10.0 for after_s in self.max_wait_s]

    monkeypatch.setattr(engine._CallCentre, "__init__", late)
    days = [(scenario, callers) for _, scenario, callers in random_days(30)
            if any(q.max_wait is not None for q in scenario.queues)]
    caught = sum(bool(differences(scenario, callers)) for scenario, callers in days)
    assert len(days) >= 8 and caught >= len(days) // 2, (caught, len(days))


def test_an_engine_serving_at_the_close_where_a_queue_disconnects_is_caught(monkeypatch):
    # negative control: the engine forgets to cut off the callers waiting at the close
    monkeypatch.setattr(engine._CallCentre, "_disconnect_at_close", lambda self: None)
    days = [(scenario, callers) for _, scenario, callers in random_days(30) if any(scenario.disconnects_at_close())]
    caught = sum(bool(differences(scenario, callers)) for scenario, callers in days)
    assert len(days) >= 8 and caught >= len(days) // 2, (caught, len(days))


# --- routing rules (scenario `routing`): the same random days with each new rule ---------------

ROUTINGS = [("longest_idle", "queue_order"), ("random", "queue_order"), ("group_order", "oldest_first"),
            ("longest_idle", "oldest_first"), ("random", "priority_then_age")]


def routed_days(count: int, agent_selection: str, call_selection: str, seed: int = 20261221):
    """Random days under a routing rule, some with a queue or a group overriding it back to today's rule."""
    rng = np.random.default_rng(seed)
    for day in range(count):
        data = random_scenario(rng)
        routing = {"agent_selection": agent_selection, "call_selection": call_selection}
        if rng.random() < 0.3:
            routing["agent_selection_by_queue"] = {data["queues"][0]["name"]: "group_order"}
            routing["call_selection_by_group"] = {data["agents"][0]["name"]: "queue_order"}
        plain = scenario_from_dict(data)
        scenario = scenario_from_dict({**data, "routing": routing})
        yield day, plain, scenario, draw_callers(scenario, day, 0)


@pytest.mark.parametrize("agent_selection, call_selection", ROUTINGS)
def test_the_routing_rules_agree_with_the_reference_model(agent_selection, call_selection):
    changed = 0
    for day, plain, scenario, callers in routed_days(40, agent_selection, call_selection):
        found = differences(scenario, callers)
        assert not found, f"day {day}: {len(found)} calls differ, first: {found[:3]}"
        # power: the rule does change who answers or how long callers wait on many days
        routed, today = simulate_callers(scenario, callers).records, simulate_callers(plain, callers).records
        changed += bool((routed.group != today.group).any() or (routed.wait_s != today.wait_s).any())
    assert changed >= 10, changed


def test_an_engine_taking_the_most_recently_idle_agent_is_caught(monkeypatch):
    # negative control: longest_idle reads the idle agent who became idle last
    from simulator import routing

    def newest_idle(groups, idle, idle_since, draw):
        found = [g for g in groups if idle[g]]
        return max(found, key=lambda g: idle_since[idle[g][0]]) if found else -1

    monkeypatch.setattr(routing.LongestIdle, "pick", staticmethod(newest_idle))
    caught = sum(bool(differences(scenario, callers)) for _, _, scenario, callers in routed_days(20, "longest_idle", "queue_order"))
    assert caught >= 5, caught


def test_an_engine_taking_the_newest_call_across_queues_is_caught(monkeypatch):
    # negative control: oldest_first compares the heads of the lines by the latest join instead
    original = Routing._take_by_rule

    def newest(self, g, now):
        joined = self.entry_joined
        self.entry_joined = array("d", (-t for t in joined))
        try:
            return original(self, g, now)
        finally:
            self.entry_joined = array("d", (-t for t in self.entry_joined))

    monkeypatch.setattr(Routing, "_take_by_rule", newest)
    caught = sum(bool(differences(scenario, callers)) for _, _, scenario, callers in routed_days(20, "group_order", "oldest_first"))
    assert caught >= 5, caught
