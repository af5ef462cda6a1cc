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

Then the same random days with each feature the reference has grown since, with power checks
that the feature is exercised and negative controls that break one rule of the reference:
routing rules, callbacks (both modes, retries, windows, caps; the completed callbacks' delays
must agree too), redials and repeat calls (the same calls made, by the same callers, for the
same reasons, in the same order), priority classes and overflow (with routing rules, callbacks,
return calls and lines on some days), misroutes and transfers (callbacks of misrouted callers
included); and days started from random states (callers waiting, agents busy, at a random minute).
"""
from __future__ import annotations

import math
from array import array

import numpy as np
import pytest

import reference_model
from simulator import draw_callers, engine, scenario_from_dict, simulate_callers
from simulator.callers import REDIAL, REPEAT
from simulator.records import CALLBACK_ACCEPTED, TRANSFERRED, Outcome
from simulator.initial_state import BusyAgents, InitialState
from simulator.records import INITIAL
from simulator.routing import Routing
from simulator.starting_state import callers_from_state

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


def differences(scenario, callers, start=None) -> list[str]:
    """Calls where the engine and the reference model disagree, described (`start`: the day
    begins from a state, simulator.starting_state)."""
    engine = simulate_callers(scenario, callers, start_state=start).records
    reference = reference_model.simulate(scenario, callers, start=start)
    if len(engine) != len(reference.outcome):  # return calls: one made by one model only
        return [f"the engine made {len(engine)} calls, the reference {len(reference.outcome)}"]
    found = []
    for i in np.flatnonzero((engine.outcome != reference.outcome) | (engine.group != reference.group)
                            | (np.abs(engine.wait_s - reference.wait_s) > WAIT_TOLERANCE_S)):
        found.append(f"call {i}: engine {engine.outcome[i]}/{engine.group[i]}/{engine.wait_s[i]:.12g} s, "
                     f"reference {reference.outcome[i]}/{reference.group[i]}/{reference.wait_s[i]:.12g} s")
    if reference.kind is not None:  # return calls: the same call made by the same caller for the same reason
        for i in np.flatnonzero((engine.kind != reference.kind) | (engine.caller != reference.caller)):
            found.append(f"call {i}: engine kind {engine.kind[i]} of caller {engine.caller[i]}, "
                         f"reference kind {reference.kind[i]} of caller {reference.caller[i]}")
    if reference.callback_delay_s is not None:  # a completed callback: acceptance to connection
        engine_delay, reference_delay = engine.callback_delay_s, reference.callback_delay_s
        for i in np.flatnonzero((np.isnan(engine_delay) != np.isnan(reference_delay))
                                | (np.abs(engine_delay - reference_delay) > WAIT_TOLERANCE_S)):
            found.append(f"call {i}: callback delay engine {engine_delay[i]:.12g} s, reference {reference_delay[i]:.12g} s")
    return found


def random_days(count: int, seed: int = 20261206, messages: bool = True):
    rng = np.random.default_rng(seed)
    for day in range(count):
        data = random_scenario(rng)
        lines_rng = np.random.default_rng((seed, day))  # its own stream: the days without lines stay as they were
        if lines_rng.random() < 0.4:  # from a line per agent at the busiest moment to a few spare
            busiest = max(map(sum, zip(*(g["staffing"] for g in data["agents"]))))
            data["trunks"] = int(lines_rng.integers(max(busiest, 1), busiest + 4))
        messages_rng = np.random.default_rng((seed, day, 1))  # its own stream too
        if messages_rng.random() < 0.4 and messages:
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


# --- callbacks (queues[].callback): keep_place and scheduled, attempts, windows, caps ------------

def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def random_callback(rng: np.random.Generator, n_intervals: int) -> dict:
    """A callback policy drawn at random: either mode, retries, sometimes a window or a cap."""
    callback = {"offer_when_expected_wait_over": float(rng.uniform(0, 200)),
                "accept_probability": float(rng.uniform(0.3, 1.0)),
                "mode": str(rng.choice(["keep_place", "scheduled"])),
                "dial_time": rng.choice([{"dist": "fixed", "mean": 20.0},
                                         {"dist": "exponential", "mean": float(rng.uniform(10, 40))}]),
                "answer_probability": float(rng.uniform(0.4, 1.0)),
                "retry_delay": {"dist": "exponential", "mean": float(rng.uniform(60, 400))},
                "max_attempts": int(rng.integers(1, 5))}
    if callback["mode"] == "scheduled":
        callback["delay"] = {"dist": "exponential", "mean": float(rng.uniform(60, 900))}
    if rng.random() < 0.3:  # offered from the start of one interval until the start of a later one
        first = int(rng.integers(0, n_intervals - 1))
        callback["offered_between"] = [_clock(15 * first), _clock(15 * int(rng.integers(first + 1, n_intervals)))]
    if rng.random() < 0.3:
        callback["max_per_interval"] = (int(rng.integers(0, 6)) if rng.random() < 0.5
                                        else [int(v) for v in rng.integers(0, 6, n_intervals)])
    return callback


def featured_days(count: int, seed: int, add_features):
    """Random days (random_scenario) given features by `add_features(data, extra)`, `extra` a
    stream of the day's own; a day for which it returns False is skipped. Yields (day, data,
    scenario, callers)."""
    rng = np.random.default_rng(seed)
    day = made = 0
    while made < count:
        data = random_scenario(rng)
        extra = np.random.default_rng((seed, day))
        day += 1
        if add_features(data, extra) is False:
            continue
        if extra.random() < 0.3:
            data["trunks"] = int(extra.integers(3, 12))
        scenario = scenario_from_dict(data)
        callers = draw_callers(scenario, made, 0)
        assert reference_model.supported(scenario, callers)
        yield made, data, scenario, callers
        made += 1


def callback_days(count: int, seed: int = 20261230):
    """Random days whose queues offer callbacks (most of them), some with telephone lines."""
    def add(data, extra):
        for queue in data["queues"]:
            if extra.random() < 0.8:
                queue["callback"] = random_callback(extra, len(data["arrivals"]["calls"]))

    for day, _, scenario, callers in featured_days(count, seed, add):
        yield day, scenario, callers


def agreed(days):
    """(scenario, the engine's records) of each day, once every call of it agrees with the reference model."""
    for day, scenario, callers in days:
        found = differences(scenario, callers)
        assert not found, f"day {day}: {len(found)} calls differ, first: {found[:3]}"
        yield scenario, simulate_callers(scenario, callers).records


def test_callbacks_agree_with_the_reference_model():
    seen = {"accepted": 0, "completed": 0, "failed": 0, "scheduled": 0, "keep_place": 0, "windows": 0, "capped": 0,
            "blocked": 0}
    for scenario, records in agreed(callback_days(40)):
        accepted = (records.flags & CALLBACK_ACCEPTED) > 0
        seen["accepted"] += int(accepted.sum())
        seen["completed"] += int((records.outcome == Outcome.CALLBACK_COMPLETED).sum())
        seen["failed"] += int((records.outcome == Outcome.CALLBACK_FAILED).sum())
        seen["blocked"] += int((records.outcome == Outcome.BLOCKED).sum())
        for q, queue in enumerate(scenario.queues):
            policy = queue.callback
            if policy is None:
                continue
            mine = accepted & (records.queue == q)
            seen[policy.mode] += int(mine.sum())
            seen["windows"] += policy.offered_between is not None and bool(mine.any())
            if policy.max_per_interval is not None:  # some interval's cap was reached
                k = np.minimum((records.arrived_at_s[mine] // scenario.interval_s).astype(int), scenario.n_intervals - 1)
                counts = np.bincount(k, minlength=scenario.n_intervals)
                seen["capped"] += bool((counts >= np.asarray(scenario.callback_cap(q))).any())
    # power: every part of the rule is exercised, many times
    assert seen["accepted"] >= 500 and seen["completed"] >= 300 and seen["failed"] >= 50, seen
    assert seen["scheduled"] >= 200 and seen["keep_place"] >= 200, seen
    assert seen["windows"] >= 3 and seen["capped"] >= 3 and seen["blocked"] >= 50, seen


def _caught(days) -> int:
    return sum(bool(differences(scenario, callers)) for _, scenario, callers in days)


def test_a_reference_ignoring_the_callback_cap_is_caught(monkeypatch):
    # negative control: the reference offers callbacks past max_per_interval
    init = reference_model.Callbacks.__init__

    def uncapped(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.accepted_left = [[math.inf] * len(left) for left in self.accepted_left]

    monkeypatch.setattr(reference_model.Callbacks, "__init__", uncapped)
    days = [(d, s, c) for d, s, c in callback_days(40)
            if any(q.callback is not None and q.callback.max_per_interval is not None for q in s.queues)]
    caught = _caught(days)
    assert len(days) >= 5 and caught >= len(days) // 2, (len(days), caught)


def test_a_reference_whose_callbacks_never_wait_is_caught(monkeypatch):
    # negative control: scheduled callbacks and retries join the line at once (no delay)
    later = reference_model.Callbacks._later
    monkeypatch.setattr(reference_model.Callbacks, "_later", lambda self, delay_s: later(self, 0.0))
    caught = _caught(callback_days(40))
    assert caught >= 20, caught


def test_a_reference_offering_callbacks_whatever_the_queue_ahead_is_caught(monkeypatch):
    # negative control: the expected wait counts nobody ahead of the caller
    monkeypatch.setattr(reference_model.AgentPool, "waiting_now", lambda self, q: 1)
    caught = _caught(callback_days(40))
    assert caught >= 20, caught


# --- return calls (return_calls): redials and repeat calls, alone and with callbacks ---------------

def return_call_days(count: int, seed: int = 20261231, callbacks: float = 0.4):
    """Random days with redials and repeat calls; some also with callbacks, lines or an IVR."""
    def add(data, extra):
        data["return_calls"] = {"redial_probability": float(extra.uniform(0.2, 0.9)),
                                "redial_delay": {"dist": "exponential", "mean": float(extra.uniform(30, 600))},
                                "repeat_delay": {"dist": "exponential", "mean": float(extra.uniform(60, 900))},
                                "max_calls": int(extra.integers(2, 5))}
        for queue in data["queues"]:
            queue["first_contact_resolution"] = float(extra.choice([1.0, extra.uniform(0.3, 1.0)]))
            if extra.random() < callbacks:
                queue["callback"] = random_callback(extra, len(data["arrivals"]["calls"]))

    for day, _, scenario, callers in featured_days(count, seed, add):
        yield day, scenario, callers


def test_return_calls_agree_with_the_reference_model():
    seen = {"redials": 0, "repeats": 0, "blocked redialled": 0, "ivr redialled": 0, "after a callback": 0,
            "third calls": 0, "several queues": 0}
    for scenario, rec in agreed(return_call_days(40)):
        redial, repeat = rec.kind == REDIAL, rec.kind == REPEAT
        seen["redials"] += int(redial.sum())
        seen["repeats"] += int(repeat.sum())
        # a caller's calls are made one after the other: the one before a return call made it
        last_outcome, previous = {}, np.full(len(rec), -1)
        for j, (c, outcome) in enumerate(zip(rec.caller.tolist(), rec.outcome.tolist())):
            previous[j] = last_outcome.get(c, -1)
            last_outcome[c] = outcome
        seen["blocked redialled"] += int((redial & (previous == Outcome.BLOCKED)).sum())
        seen["ivr redialled"] += int((redial & (previous == Outcome.IVR_ABANDONED)).sum())
        seen["after a callback"] += int((repeat & (previous == Outcome.CALLBACK_COMPLETED)).sum())
        seen["third calls"] += int((np.bincount(rec.caller) >= 3).sum())
        seen["several queues"] += int(len(scenario.queues) > 1 and scenario.ivr is None and (rec.kind > 0).any())
    # power: redials of abandoners, blocked callers and IVR hang-ups, repeat calls (also after a
    # completed callback), callers calling a third time, on days with several queues
    assert seen["redials"] >= 800 and seen["repeats"] >= 200, seen
    assert seen["blocked redialled"] >= 100 and seen["ivr redialled"] >= 30 and seen["after a callback"] >= 10, seen
    assert seen["third calls"] >= 100 and seen["several queues"] >= 10, seen


def test_a_reference_whose_redials_change_queue_is_caught(monkeypatch):
    # negative control: the bug, in the reference: a return call takes the pool's row of
    # another queue (without an IVR, with several queues)
    block = reference_model.ReturnCalls.block
    monkeypatch.setattr(reference_model.ReturnCalls, "block", lambda self, i: (block(self, i) + 1) % 2)
    days = [(d, s, c) for d, s, c in return_call_days(40) if len(s.queues) > 1 and s.ivr is None]
    caught = _caught(days)
    assert len(days) >= 10 and caught >= len(days) // 2, (len(days), caught)


def test_a_reference_deciding_repeat_calls_on_the_wrong_fcr_is_caught(monkeypatch):
    # negative control: every answered call counts as resolved but those under 1 - FCR
    answered = reference_model.ReturnCalls.answered

    def inverted(self, i, talk_end_s):
        self.calls.resolve_u[i] = 1.0 - self.calls.resolve_u[i]
        answered(self, i, talk_end_s)

    monkeypatch.setattr(reference_model.ReturnCalls, "answered", inverted)
    caught = _caught(return_call_days(40))
    assert caught >= 15, caught


# --- priority classes and overflow, with the routing rules, callbacks and return calls -----------

def priority_overflow_days(count: int, seed: int = 20270101):
    """Random days whose queues have priority classes and overflow (most of them); some also
    with a routing rule, callbacks, return calls or lines. Returns the day without classes and
    overflow too (the same callers), to show they change something."""
    def add(data, extra):
        n_intervals = len(data["arrivals"]["calls"])
        for queue in data["queues"]:
            if extra.random() < 0.7:
                shares = extra.dirichlet([1.0] * int(extra.integers(2, 4)))[:-1] * extra.uniform(0.5, 1.0)
                queue["priority_classes"] = [{"name": f"class {k}", "share": float(v)} for k, v in enumerate(shares)]
            others = [g["name"] for g in data["agents"] if queue["name"] not in g["serves"]]
            if others and extra.random() < 0.8:
                queue["overflow"] = {"after_s": float(extra.choice([0.0, extra.uniform(0, 120)])),
                                     "to_groups": [str(name) for name in extra.permutation(others)]}
            if extra.random() < 0.2:
                queue["callback"] = random_callback(extra, n_intervals)
        if extra.random() < 0.4:
            data["routing"] = {"agent_selection": str(extra.choice(["group_order", "longest_idle", "random"])),
                               "call_selection": str(extra.choice(["queue_order", "oldest_first", "priority_then_age"]))}
        if extra.random() < 0.2:
            data["return_calls"] = {"redial_probability": 0.5, "redial_delay": {"dist": "exponential", "mean": 200.0}}

    for day, data, scenario, callers in featured_days(count, seed, add):
        plain = scenario_from_dict({**data, "queues": [{k: v for k, v in queue.items()
                                                         if k not in ("priority_classes", "overflow")}
                                                        for queue in data["queues"]]})
        yield day, plain, scenario, callers


def _overflowed(scenario, records) -> np.ndarray:
    """Calls answered by a group that does not serve their queue (an overflow group)."""
    serving = np.array([[q.name in g.serves for g in scenario.agents] for q in scenario.queues])
    answered = records.group >= 0
    out = np.zeros(len(records), dtype=bool)
    out[answered] = ~serving[records.queue[answered], records.group[answered]]
    return out


@pytest.mark.parametrize("lazy_from", [engine.LAZY_AGENTS_FROM, 1], ids=["eager", "lazy agents"])
def test_priority_classes_and_overflow_agree_with_the_reference_model(monkeypatch, lazy_from):
    monkeypatch.setattr(engine, "LAZY_AGENTS_FROM", lazy_from)  # 1: lazy agents on the plain days with classes only
    seen = {"overflowed": 0, "overflow days": 0, "class days": 0, "changed": 0, "routed days": 0}
    for day, plain, scenario, callers in priority_overflow_days(60):
        found = differences(scenario, callers)
        assert not found, f"day {day}: {len(found)} calls differ, first: {found[:3]}"
        records = simulate_callers(scenario, callers).records
        overflowed = _overflowed(scenario, records)
        seen["overflowed"] += int(overflowed.sum())
        seen["overflow days"] += bool(overflowed.any())
        seen["class days"] += any(q.priority_classes for q in scenario.queues)
        seen["routed days"] += scenario.routing is not None
        n = len(callers)
        today = simulate_callers(plain, draw_callers(plain, day, 0)).records  # the same callers, without classes
        seen["changed"] += bool((today.wait_s[:n] != records.wait_s[:n]).any())
    # power: calls overflow on many days, classes and rules change who waits how long
    assert seen["overflowed"] >= 100 and seen["overflow days"] >= 10, seen
    assert seen["class days"] >= 30 and seen["changed"] >= 30 and seen["routed days"] >= 15, seen


def test_a_reference_without_priority_classes_is_caught(monkeypatch):
    # negative control: every caller is an ordinary caller in the reference
    monkeypatch.setattr(reference_model, "class_bounds", lambda queue: ())
    days = [(d, s, c) for d, _, s, c in priority_overflow_days(30) if any(q.priority_classes for q in s.queues)]
    caught = _caught(days)
    assert len(days) >= 15 and caught >= len(days) // 2, (len(days), caught)


def test_a_reference_whose_calls_never_overflow_on_their_timer_is_caught(monkeypatch):
    # negative control: a waiting call reaches an idle overflow agent only when one becomes free
    monkeypatch.setattr(reference_model.Overflow, "watch", lambda self, request: None)
    days = [(d, s, c) for d, _, s, c in priority_overflow_days(60) if any(q.overflow for q in s.queues)]
    caught = _caught(days)  # only where an overflow agent is idle when a call's time comes
    assert len(days) >= 15 and caught >= 5, (len(days), caught)


# --- misroutes and transfers (an IVR option's `misroute`), with classes, overflow, return calls ----

def transfer_days(count: int, seed: int = 20270102):
    """Random days with an IVR whose options misroute a share of their callers to another queue;
    some also with priority classes, overflow, callbacks, return calls, a routing rule or lines."""
    def add(data, extra):
        if "ivr" not in data or len(data["queues"]) < 2:
            return False
        names = [q["name"] for q in data["queues"]]
        for option in data["ivr"]["menus"][0]["options"]:
            if option["to"] in names and extra.random() < 0.8:
                option["misroute"] = {"share": float(extra.uniform(0.1, 0.5)),
                                      "queue": str(extra.choice([n for n in names if n != option["to"]])),
                                      "transfer_time": {"dist": "exponential", "mean": float(extra.uniform(20, 90))}}
        for queue in data["queues"]:
            if extra.random() < 0.3:
                queue["priority_classes"] = [{"name": "first", "share": float(extra.uniform(0.1, 0.5))}]
            others = [g["name"] for g in data["agents"] if queue["name"] not in g["serves"]]
            if others and extra.random() < 0.3:
                queue["overflow"] = {"after_s": float(extra.uniform(0, 120)), "to_groups": others}
            queue["first_contact_resolution"] = float(extra.uniform(0.5, 1.0))
            if extra.random() < 0.3:
                queue["callback"] = random_callback(extra, len(data["arrivals"]["calls"]))
        if extra.random() < 0.4:
            data["return_calls"] = {"redial_probability": float(extra.uniform(0.2, 0.8)),
                                    "redial_delay": {"dist": "exponential", "mean": 300.0},
                                    "repeat_delay": {"dist": "exponential", "mean": 600.0}}
        if extra.random() < 0.3:
            data["routing"] = {"agent_selection": "longest_idle", "call_selection": "oldest_first"}

    for day, _, scenario, callers in featured_days(count, seed, add):
        yield day, scenario, callers


def test_transfers_agree_with_the_reference_model():
    seen = {"transferred": 0, "answered after a transfer": 0, "called back and transferred": 0, "days": 0,
            "returns": 0}
    for scenario, records in agreed(transfer_days(40)):
        transferred = (records.flags & TRANSFERRED) > 0
        seen["transferred"] += int(transferred.sum())
        seen["answered after a transfer"] += int((transferred & (records.outcome == Outcome.ANSWERED)).sum())
        seen["called back and transferred"] += int((transferred & (records.outcome == Outcome.CALLBACK_COMPLETED)).sum())
        seen["days"] += bool(transferred.any())
        seen["returns"] += int((records.kind > 0).sum())
    # power: many transfers on most days, answered in the right queue; return calls on some days
    assert seen["transferred"] >= 300 and seen["answered after a transfer"] >= 250 and seen["days"] >= 30, seen
    assert seen["returns"] >= 100 and seen["called back and transferred"] >= 30, seen


def test_a_reference_transferring_to_the_back_of_the_line_is_caught(monkeypatch):
    # negative control: the transferred call joins the back of its right queue's line
    request = reference_model.AgentPool.request
    monkeypatch.setattr(reference_model.AgentPool, "request",
                        lambda self, q, priority_u=0.0, at_front=False: request(self, q, priority_u))
    caught = _caught(transfer_days(30))
    assert caught >= 10, caught


def test_a_reference_with_instant_transfers_is_caught(monkeypatch):
    # negative control: the first agent spends no time on a misrouted call
    init = reference_model.Calls.__init__

    def instant(self, callers):
        init(self, callers)
        self.transfer_s = [0.0] * len(self.transfer_s)

    monkeypatch.setattr(reference_model.Calls, "__init__", instant)
    caught = _caught(transfer_days(30))
    assert caught >= 20, caught


def random_state(rng: np.random.Generator, scenario) -> InitialState:
    """A state inside the day: callers waiting in random queues with random waits so far, busy
    agents (counts or elapsed times, talking or in ACW) up to each group's staffing then."""
    day_s = scenario.n_intervals * scenario.interval_s
    at_s = float(rng.integers(0, int(day_s) // 60)) * 60
    k = int(at_s // scenario.interval_s)
    waiting = {q.name: tuple(float(w) for w in rng.uniform(0, 400, int(rng.integers(0, 6)))
                             if q.max_wait is None or w < q.max_wait.after_s)  # (later ones left a message)
               for q in scenario.queues if rng.random() < 0.8}
    busy = {}
    lines_left = np.inf if scenario.trunks is None else scenario.trunks  # a talking agent holds a line
    for group in scenario.agents:
        n = int(rng.integers(0, group.staffing[k] + 1))
        talking = int(min(rng.integers(0, n + 1), lines_left))
        lines_left -= talking
        if rng.random() < 0.5:
            busy[group.name] = BusyAgents(talking=talking, acw=n - talking)
        else:
            busy[group.name] = BusyAgents(talking_elapsed_s=tuple(rng.uniform(0, 600, talking).tolist()),
                                          acw_elapsed_s=tuple(rng.uniform(0, 60, n - talking).tolist()))
    if scenario.trunks is not None:  # no more callers on the line than lines
        room = scenario.trunks - sum(b.n_talking for b in busy.values())
        waiting = {name: waits[:max(room, 0)] for name, waits in waiting.items()}
        while sum(map(len, waiting.values())) > max(room, 0):
            name = max(waiting, key=lambda name: len(waiting[name]))
            waiting[name] = waiting[name][:-1]
    hours, minutes = divmod(int(at_s // 60), 60)
    return InitialState(at=f"{hours:02d}:{minutes:02d}", waiting=waiting, busy=busy)


@pytest.mark.parametrize("lazy_from", [engine.LAZY_AGENTS_FROM, 1], ids=["eager", "lazy agents"])
def test_days_from_random_states_agree_with_the_reference_model(monkeypatch, lazy_from):
    monkeypatch.setattr(engine, "LAZY_AGENTS_FROM", lazy_from)
    seen = {"initial": 0, "waited": 0, "answered": 0, "abandoned": 0, "busy": 0, "trunks": 0, "ivr": 0,
            "messages": 0}
    # (a maximum wait counts from the caller's arrival, as its patience does: the state's callers
    # have waited part of it before the start)
    for day, scenario, _ in random_days(30, seed=20261207):
        state_rng = np.random.default_rng((20261207, day))
        scenario = scenario.model_copy(update={"initial_state": random_state(state_rng, scenario)})
        callers, start = callers_from_state(scenario, day, 0)
        assert reference_model.supported(scenario, callers)
        found = differences(scenario, callers, start)
        assert not found, f"day {day} from {scenario.initial_state}: {len(found)} calls differ, first: {found[:3]}"
        records = simulate_callers(scenario, callers, 0, day, start).records
        initial = (records.flags & INITIAL) > 0
        seen["initial"] += int(initial.sum())
        seen["waited"] += int((records.wait_s[initial] > 0).sum())
        seen["answered"] += int((records.outcome[initial] == 0).sum())
        seen["abandoned"] += int((records.outcome[initial] == 1).sum())
        seen["messages"] += int((records.outcome[initial] == Outcome.MESSAGE).sum())
        seen["busy"] += len(start.busy_s)
        seen["trunks"] += scenario.trunks is not None
        seen["ivr"] += scenario.ivr is not None
    # power: the state's callers are answered and abandon, agents start busy, lines and IVRs occur
    assert seen["initial"] > 50 and seen["answered"] > 10 and seen["abandoned"] > 10, seen
    assert seen["busy"] > 50 and seen["trunks"] >= 5 and seen["ivr"] >= 5 and seen["messages"] >= 3, seen


def test_an_engine_putting_the_waiting_callers_at_the_back_is_caught(monkeypatch):
    """Negative control: the state's callers joining their line as if they had just arrived (their
    wait so far forgotten: patience counted from the start, the wait recorded from it) is caught."""
    from simulator import state_rules

    original = state_rules.StateRules._rejoin

    def forgetful(self, i, now):
        self.arrived[i] = now  # as if it had just arrived: its wait so far and place are lost
        original(self, i, now)

    monkeypatch.setattr(state_rules.StateRules, "_rejoin", forgetful)
    caught = 0
    for day, scenario, _ in random_days(8, seed=20261207):
        scenario = scenario.model_copy(update={"initial_state": random_state(np.random.default_rng((20261207, day)),
                                                                             scenario)})
        callers, start = callers_from_state(scenario, day, 0)
        caught += bool(differences(scenario, callers, start))
    assert caught >= 3


@pytest.mark.parametrize("days", [callback_days, priority_overflow_days, return_call_days, transfer_days],
                         ids=["callbacks", "priority classes and overflow", "return calls", "transfers"])
def test_featured_days_from_random_states_agree_with_the_reference_model(days):
    """The state's callers on days with callbacks (they are not offered one again), priority
    classes and overflow (they overflow by their whole wait), return calls (a state's caller
    answered at the start may call again: that call starts once, by its own due; the engine
    used to start it a second time from the arrival chain) and transfers."""
    initial = 0
    for item in days(12):
        day, scenario = item[0], item[1]
        scenario = scenario.model_copy(update={"initial_state": random_state(np.random.default_rng((5, day)), scenario)})
        callers, start = callers_from_state(scenario, day, 0)
        found = differences(scenario, callers, start)
        assert not found, f"day {day} from {scenario.initial_state}: {len(found)} calls differ, first: {found[:3]}"
        initial += start.n_initial
    assert initial > 30  # power: the state's callers are there
