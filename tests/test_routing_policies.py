"""Routing policies: priority classes and overflow on hand-computed timelines, the default
answer order, the schema's checks, and priority classes against queueing theory."""
from __future__ import annotations

import math

import numpy as np
import pytest

from simulator import Callers, Outcome, scenario_from_dict, simulate_callers
from simulator.loading import ScenarioFileError
from simulator.routing import answer_order

INF = math.inf
FIXED = lambda mean: {"dist": "fixed", "mean": mean}  # noqa: E731


def one_queue(classes=None, staffing=(1,)):
    queue = {"name": "q", "talk_time": FIXED(1)}
    if classes is not None:
        queue["priority_classes"] = classes
    return scenario_from_dict({
        "schema_version": 1, "name": "priority", "interval_minutes": 15,
        "arrivals": {"calls": [1.0] * len(staffing)},
        "queues": [queue],
        "agents": [{"name": "team", "serves": ["q"], "staffing": list(staffing)}],
    })


def two_queues(overflow=None, staffing_a=(1,), staffing_b=(1,)):
    a = {"name": "A", "talk_time": FIXED(1)}
    if overflow is not None:
        a["overflow"] = overflow
    return scenario_from_dict({
        "schema_version": 1, "name": "overflow", "interval_minutes": 15,
        "arrivals": {"calls": [1.0] * len(staffing_a), "queue_shares": {"A": 0.5, "B": 0.5}},
        "queues": [a, {"name": "B", "talk_time": FIXED(1)}],
        "agents": [{"name": "a team", "serves": ["A"], "staffing": list(staffing_a)},
                   {"name": "b team", "serves": ["B"], "staffing": list(staffing_b)}],
    })


def callers(arrived, talk, queue=None, patience=None, priority_u=None):
    n = len(arrived)
    return Callers(
        arrived_at_s=np.array(arrived, dtype=float),
        queue=np.array(queue or [0] * n, dtype=np.int16),
        talk_s=np.array(talk, dtype=float),
        acw_s=np.zeros(n),
        patience_s=np.array(patience or [INF] * n, dtype=float),
        balk_u=np.full(n, 0.5),
        priority_u=None if priority_u is None else np.array(priority_u, dtype=float),
    )


# --- priority classes -----------------------------------------------------------------------

def test_vip_callers_are_answered_before_earlier_ordinary_callers():
    sc = one_queue([{"name": "vip", "share": 0.2}])
    # u < 0.2: VIP. Agent busy 0-100 with caller 0; then the VIPs 2 and 3 (FCFS between them),
    # then ordinary caller 1: 100-110 caller 2, 110-120 caller 3, 120-130 caller 1.
    c = callers([0, 10, 20, 30], talk=[100, 10, 10, 10], priority_u=[0.9, 0.5, 0.1, 0.05])
    rec = simulate_callers(sc, c).records
    assert rec.outcome.tolist() == [Outcome.ANSWERED] * 4
    assert rec.wait_s.tolist() == [0.0, 110.0, 80.0, 80.0]


def test_without_classes_the_same_callers_are_served_first_come_first_served():
    # negative control for the test above: the classes are what reorders the line
    c = callers([0, 10, 20, 30], talk=[100, 10, 10, 10], priority_u=None)
    rec = simulate_callers(one_queue(None), c).records
    assert rec.wait_s.tolist() == [0.0, 90.0, 90.0, 90.0]


def test_two_classes_and_the_ordinary_rest_in_order_and_the_share_bound_is_exclusive():
    sc = one_queue([{"name": "gold", "share": 0.25}, {"name": "silver", "share": 0.25}])
    # classes by u: gold u < 0.25, silver 0.25 <= u < 0.5, ordinary u >= 0.5
    c = callers([0, 1, 2, 3, 4], talk=[50, 10, 10, 10, 10], priority_u=[0.9, 0.5, 0.3, 0.25, 0.05])
    rec = simulate_callers(sc, c).records
    # agent busy 0-50; then gold caller 4 50-60, silver 2 (joined 2) 60-70 and silver 3 (joined 3)
    # 70-80 (FCFS within a class), ordinary 1 80-90
    assert rec.wait_s.tolist() == [0.0, 79.0, 58.0, 67.0, 46.0]


def test_an_ordinary_caller_whose_patience_ran_out_behind_vips_abandoned_at_its_deadline():
    sc = one_queue([{"name": "vip", "share": 0.2}])
    # as the first test, but ordinary caller 1 gives up after 105 s (at 115, while VIP 3 talks);
    # ordinary caller 4 (joined 40) is answered at 120 instead
    c = callers([0, 10, 20, 30, 40], talk=[100, 10, 10, 10, 10], patience=[INF, 105, INF, INF, INF],
                priority_u=[0.9, 0.5, 0.1, 0.05, 0.7])
    result = simulate_callers(sc, c)
    rec = result.records
    assert rec.outcome.tolist() == [Outcome.ANSWERED, Outcome.ABANDONED] + [Outcome.ANSWERED] * 3
    assert rec.wait_s.tolist() == [0.0, 105.0, 80.0, 80.0, 80.0]
    assert result.busy_start_s.tolist() == [0.0, 100.0, 110.0, 120.0]


def test_priority_classes_need_the_callers_priority_draw():
    with pytest.raises(ValueError, match="priority_u"):
        simulate_callers(one_queue([{"name": "vip", "share": 0.2}]), callers([0], talk=[1]))


# --- overflow -------------------------------------------------------------------------------

OVERFLOW_DAY = dict(arrived=[0, 5, 10, 60, 85], queue=[0, 1, 0, 0, 1], talk=[100, 50, 20, 10, 3])


def test_overflow_by_a_freed_agent_and_by_the_timer():
    sc = two_queues({"after_s": 30, "to_groups": ["b team"]})
    rec = simulate_callers(sc, callers(**OVERFLOW_DAY)).records
    # a agent (id 0): caller 0, 0-100. b agent (id 1): caller 1 (B) 5-55. Caller 2 (A, joined 10)
    # overflows at 40 but b is busy; b frees at 55, its own queue is empty: takes caller 2
    # (wait 45), 55-75. At 75 caller 3 (A, joined 60) is not due until 90: b idles; caller 4 (B)
    # 85-88; at 90 caller 3's overflow timer finds b idle: answered by b, wait 30.
    assert rec.outcome.tolist() == [Outcome.ANSWERED] * 5
    assert rec.wait_s.tolist() == [0.0, 0.0, 45.0, 30.0, 0.0]
    assert rec.group.tolist() == [0, 1, 1, 1, 1]
    assert rec.agent.tolist() == [0, 1, 1, 1, 1]


def test_without_overflow_the_same_callers_wait_for_their_own_group():
    # negative control: caller 2 waits for the a agent (free at 100), caller 3 after it (120)
    rec = simulate_callers(two_queues(None), callers(**OVERFLOW_DAY)).records
    assert rec.wait_s.tolist() == [0.0, 0.0, 90.0, 60.0, 0.0]
    assert rec.group.tolist() == [0, 1, 0, 0, 1]


def test_an_overflow_agent_answers_its_own_queue_first():
    sc = two_queues({"after_s": 30, "to_groups": ["b team"]})
    # b busy 0-50 (caller 1); caller 3 (B) waits from 45; caller 2 (A) is due from 40.
    # At 50 b takes its own caller 3 (wait 5), 50-55; at 55 the overflowed caller 2 (wait 45).
    c = callers([0, 0, 10, 45], queue=[0, 1, 0, 1], talk=[100, 50, 20, 5])
    rec = simulate_callers(sc, c).records
    assert rec.wait_s.tolist() == [0.0, 0.0, 45.0, 5.0]
    assert rec.group.tolist() == [0, 1, 1, 1]


def test_overflow_at_once_lets_an_idle_overflow_agent_answer_an_arriving_call():
    sc = two_queues({"after_s": 0, "to_groups": ["b team"]})
    c = callers([0, 10], queue=[0, 0], talk=[100, 20])
    rec = simulate_callers(sc, c).records
    assert rec.wait_s.tolist() == [0.0, 0.0]
    assert rec.group.tolist() == [0, 1]


def test_an_overflowed_caller_who_gave_up_is_not_answered():
    sc = two_queues({"after_s": 30, "to_groups": ["b team"]})
    # caller 2 (A, joined 10, patience 40) hangs up at 50, before b frees at 55
    c = callers([0, 5, 10], queue=[0, 1, 0], talk=[100, 50, 20], patience=[INF, INF, 40])
    result = simulate_callers(sc, c)
    rec = result.records
    assert rec.outcome.tolist() == [Outcome.ANSWERED, Outcome.ANSWERED, Outcome.ABANDONED]
    assert rec.wait_s.tolist() == [0.0, 0.0, 40.0]


# --- the default answer order and the schema ------------------------------------------------

def test_answer_order_own_priority_first_then_specialists_then_group_index():
    sc = scenario_from_dict({
        "schema_version": 1, "name": "skills", "interval_minutes": 15,
        "arrivals": {"calls": [1.0], "queue_shares": {"sales": 0.5, "support": 0.5}},
        "queues": [{"name": "sales", "talk_time": FIXED(1)}, {"name": "support", "talk_time": FIXED(1)}],
        "agents": [
            {"name": "shared", "serves": ["support", "sales"], "staffing": [1]},
            {"name": "sales only", "serves": ["sales"], "staffing": [1]},
            {"name": "shared too", "serves": ["sales", "support"], "staffing": [1]},
            {"name": "support only", "serves": ["support"], "staffing": [1]},
        ],
    })
    # sales: rank 0 in "sales only" (1 queue) and "shared too" (2 queues), rank 1 in "shared"
    # support: rank 0 in "support only" (1 queue) and "shared" (2 queues), rank 1 in "shared too"
    assert answer_order(sc) == [(1, 2, 0), (3, 0, 2)]


@pytest.mark.parametrize("change, fragments", [
    (lambda d: d["queues"][0].update(overflow={"after_s": 30, "to_groups": ["nobody"]}),
     ("queues[0].overflow.to_groups[0]", "unknown agent group 'nobody'")),
    (lambda d: d["queues"][0].update(overflow={"after_s": 30, "to_groups": ["a team"]}),
     ("queues[0].overflow.to_groups[0]", "already serves queue 'A'")),
    (lambda d: d["queues"][0].update(overflow={"after_s": -1, "to_groups": ["b team"]}),
     ("queues[0].overflow.after_s",)),
    (lambda d: d["queues"][0].update(priority_classes=[{"name": "vip", "share": 0.7}, {"name": "gold", "share": 0.4}]),
     ("queues[0].priority_classes", "must not exceed 1")),
    (lambda d: d["queues"][0].update(priority_classes=[{"name": "vip", "share": 0.1}, {"name": "vip", "share": 0.1}]),
     ("queues[0].priority_classes[1].name", "listed twice")),
])
def test_schema_rejects_bad_priority_classes_and_overflow(change, fragments):
    data = {
        "schema_version": 1, "name": "bad", "interval_minutes": 15,
        "arrivals": {"calls": [1.0], "queue_shares": {"A": 0.5, "B": 0.5}},
        "queues": [{"name": "A", "talk_time": FIXED(1)}, {"name": "B", "talk_time": FIXED(1)}],
        "agents": [{"name": "a team", "serves": ["A"], "staffing": [1]},
                   {"name": "b team", "serves": ["B"], "staffing": [1]}],
    }
    change(data)
    with pytest.raises(ScenarioFileError) as error:
        scenario_from_dict(data)
    for fragment in fragments:
        assert fragment in str(error.value)


def test_unused_routing_keys_stay_out_of_the_scenarios_json_form():
    # results of scenarios without the new keys are written exactly as before they existed
    dumped = two_queues(None).model_dump(mode="json")
    assert all("priority_classes" not in q and "overflow" not in q for q in dumped["queues"])
    dumped = two_queues({"after_s": 30, "to_groups": ["b team"]}).model_dump(mode="json")
    assert dumped["queues"][0]["overflow"] == {"after_s": 30.0, "to_groups": ["b team"]}


# --- against theory -------------------------------------------------------------------------

def test_priority_class_waits_match_cobhams_formula_for_m_m_1():
    """Non-preemptive priority M/M/1 (Cobham 1954): with W0 = rho * E[S] (exponential service),
    class 1 waits W0 / (1 - rho1) and class 2 W0 / ((1 - rho1)(1 - rho)). |mean - exact| <= 4 SE
    over replications; the same check against FCFS's wait (rho E[S] / (1 - rho)) must fail. The
    per-class KPIs (kpis.breakdown_kpis) give the same means as the records, so they are checked
    against the theory too."""
    from simulator.kpis import breakdown_kpis

    rate_per_s, talk_s, vip_share = 0.7 / 10.0, 10.0, 0.3
    hours = 60  # about 15,000 calls a replication
    sc = scenario_from_dict({
        "schema_version": 1, "name": "cobham", "interval_minutes": 60,
        "arrivals": {"calls": [rate_per_s * 3600] * hours},
        "queues": [{"name": "q", "talk_time": {"dist": "exponential", "mean": talk_s},
                    "priority_classes": [{"name": "vip", "share": vip_share}]}],
        "agents": [{"name": "one", "serves": ["q"], "staffing": [1] * hours}],
    })
    from simulator.callers import draw_callers
    rho = rate_per_s * talk_s
    rho1 = vip_share * rho
    w0 = rho * talk_s
    exact = {0: w0 / (1 - rho1), 1: w0 / ((1 - rho1) * (1 - rho))}
    warm_up_s = 3600.0  # the day starts empty: leave the first hours out
    means = {0: [], 1: []}
    for r in range(16):
        c = draw_callers(sc, 7, r)
        result = simulate_callers(sc, c, r, 7)
        rec = result.records
        keep = rec.arrived_at_s >= warm_up_s
        vip = c.priority_u < vip_share
        classes = breakdown_kpis(result, sc)["priority_classes"]
        for k, mask, name in ((0, vip, "q/vip"), (1, ~vip, "q/ordinary")):
            means[k].append(rec.wait_s[keep & mask].mean())
            # the class's avg_wait per interval after the warm-up, weighted by its calls (all queue)
            calls, wait = classes[name]["offered"][1:-1], classes[name]["avg_wait"][1:-1]
            assert (calls * wait).sum() / calls.sum() == pytest.approx(means[k][-1], rel=1e-9)
    for k in (0, 1):
        mean = np.mean(means[k])
        se = np.std(means[k], ddof=1) / math.sqrt(len(means[k]))
        fcfs = w0 / (1 - rho)
        assert 8 * se < abs(exact[k] - fcfs)  # power: small enough an SE to tell the class from FCFS
        assert abs(mean - exact[k]) <= 4 * se, (k, mean, exact[k], se)
        assert abs(mean - fcfs) > 4 * se  # negative control: not the FCFS wait


# --- KPIs per priority class ----------------------------------------------------------------

def test_kpis_per_priority_class_on_the_hand_computed_timeline():
    from simulator.kpis import breakdown_kpis

    sc = one_queue([{"name": "vip", "share": 0.2}])
    # the first test's timeline: waits [0, 110, 80, 80]; callers 2 and 3 are VIPs (u < 0.2)
    result = simulate_callers(sc, callers([0, 10, 20, 30], talk=[100, 10, 10, 10], priority_u=[0.9, 0.5, 0.1, 0.05]))
    classes = breakdown_kpis(result, sc)["priority_classes"]
    assert list(classes) == ["q/vip", "q/ordinary"]
    vip, ordinary = classes["q/vip"], classes["q/ordinary"]
    assert vip["offered"][-1] == 2 and ordinary["offered"][-1] == 2
    assert vip["asa"][-1] == 80.0 and ordinary["asa"][-1] == 55.0  # (0 + 110) / 2
    threshold = sc.targets.service_level.within
    assert threshold < 80  # so that: no VIP within the threshold, one ordinary caller (caller 0, at once)
    assert vip["service_level"][-1] == 0.0 and ordinary["service_level"][-1] == 0.5


def test_priority_class_kpis_add_up_to_the_queue_and_only_exist_with_classes():
    from simulator.run import run_scenario

    sc = one_queue([{"name": "gold", "share": 0.3}, {"name": "silver", "share": 0.3}], staffing=(2, 2, 2, 2))
    result = run_scenario(sc, replications=3, seed=2)
    classes = result.breakdown_per_replication["priority_classes"]
    assert list(classes) == ["q/gold", "q/silver", "q/ordinary"]
    for kpi in ("offered", "answered", "abandoned"):  # every call in exactly one class
        np.testing.assert_array_equal(sum(c[kpi] for c in classes.values()), result.per_replication[kpi])
    # negative control: no classes, no breakdown (one queue, one group)
    assert run_scenario(one_queue(None, staffing=(2, 2, 2, 2)), replications=2, seed=2).breakdown_per_replication == {}
    # every share taken by classes: no ordinary callers to report
    full = one_queue([{"name": "vip", "share": 0.5}, {"name": "rest", "share": 0.5}])
    assert list(run_scenario(full, replications=1, seed=2).breakdown_per_replication["priority_classes"]) == \
        ["q/vip", "q/rest"]
