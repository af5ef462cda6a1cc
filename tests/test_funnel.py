"""The IVR funnel: exact expectations, conservation on every shipped IVR scenario, the document."""
from __future__ import annotations

import math

import numpy as np
import pytest

from presentation.funnel_output import funnel_document
from simulator.callers import first_call_streams, ivr_paths
from simulator.funnel import expected_funnel, funnel_layout
from simulator.funnel_trace import Trace
from simulator.ivr import routing_probabilities
from simulator.loading import load_scenario, scenario_from_dict
from simulator.run import run_scenario
from tests.helpers import SCENARIO_DIR, SHIPPED_SCENARIOS, assert_user_error, run_cli

FIXED = lambda s: {"dist": "fixed", "mean": s}  # noqa: E731
IVR_SCENARIOS = [p for p in SHIPPED_SCENARIOS if load_scenario(p).ivr is not None]


def simulated_counts(scenario, n: int, seed: int = 7) -> np.ndarray:
    """Funnel counts of `n` walks (no engine, no announcement), and a per-caller 0/1 check."""
    layout = funnel_layout(scenario)
    trace = Trace(layout)
    ivr_paths(scenario, n, first_call_streams(seed, 0), trace=trace)
    callers, counters = trace.events()
    counts = np.bincount(counters, minlength=len(layout)).astype(float)
    counts[layout.index[("entered",)]] = n
    return counts


def binomial_misses(scenario, counts: np.ndarray, expected: np.ndarray, n: int) -> list:
    """Counters (0/1 per caller, so binomial) whose simulated share is more than 4 SE away."""
    layout = funnel_layout(scenario)
    misses = []
    for key, i in layout.index.items():
        if key[-1] == "replays" or key == ("announcement",):
            continue
        p = expected[i]
        se = math.sqrt(max(p * (1 - p), 1e-12) / n)
        if abs(counts[i] / n - p) > 4 * se:
            misses.append((key, counts[i] / n, p))
    return misses


ON_FAILURE_MENU = {
    "schema_version": 1, "name": "on failure to a menu", "interval_minutes": 60, "arrivals": {"calls": [200]},
    "queues": [{"name": "qa", "talk_time": FIXED(100)}, {"name": "qb", "talk_time": FIXED(100)}],
    "agents": [{"name": "all", "serves": ["qa", "qb"], "staffing": [50]}],
    "ivr": {
        "menus": [
            {"name": "main", "prompt": FIXED(10), "options": [{"key": "1", "share": 0.5, "to": "task"},
                                                               {"key": "2", "share": 0.5, "to": "qb"}]},
            {"name": "help", "prompt": FIXED(8), "options": [{"key": "1", "share": 0.3, "to": "qa"},
                                                              {"key": "0", "share": 0.7, "to": "qb"}]},
        ],
        "self_service": [{"name": "task", "duration": FIXED(30), "success": 0.6, "on_failure": "help"}],
    },
}


def test_self_service_failures_can_enter_a_menu_with_exact_shares():
    scenario = scenario_from_dict(ON_FAILURE_MENU)
    routing = routing_probabilities(scenario.ivr, ["qa", "qb"])
    # by hand: qa = 0.5 * 0.4 * 0.3; qb = 0.5 + 0.5 * 0.4 * 0.7; contained = 0.5 * 0.6
    assert math.isclose(routing.to_queue["qa"], 0.06) and math.isclose(routing.to_queue["qb"], 0.64)
    assert math.isclose(routing.contained, 0.3) and routing.hang_up == 0.0
    paths = ivr_paths(scenario, 1, first_call_streams(0, 0))
    n = 40_000
    paths = ivr_paths(scenario, n, first_call_streams(1, 0))
    for observed, p in (((paths.route == 0).mean(), 0.06), ((paths.route == 1).mean(), 0.64),
                        ((paths.route == -1).mean(), 0.3)):
        assert abs(observed - p) <= 4 * math.sqrt(p * (1 - p) / n)
    failed = paths.route >= 0
    helped = paths.ivr_s > 10 + 30 - 1e-9  # main, the task, then the help menu's 8 s
    assert np.all(paths.ivr_s[helped & failed] == 48.0)


def test_a_self_service_failure_back_to_its_own_menu_is_a_cycle(tmp_path, capsys):
    import yaml

    data = yaml.safe_load(yaml.safe_dump(ON_FAILURE_MENU))
    data["ivr"]["self_service"][0]["on_failure"] = "main"
    path = tmp_path / "cycle.yaml"
    path.write_text(yaml.safe_dump(data))
    code, out, err = run_cli(capsys, "validate", path)
    assert_user_error(code, out, err, "menus form a cycle (main -> main)")
    data["ivr"]["self_service"][0]["on_failure"] = "nowhere"
    path.write_text(yaml.safe_dump(data))
    code, out, err = run_cli(capsys, "validate", path)
    assert_user_error(code, out, err, "self_service[0].on_failure", "'nowhere' is not a queue or a menu")


CASES = {
    "share-based deep menu": lambda: load_scenario(SCENARIO_DIR / "ivr_deep_menu.yaml"),
    "share-based, failures to a menu": lambda: scenario_from_dict(ON_FAILURE_MENU),
    "deep menu on intents": lambda: load_scenario(SCENARIO_DIR / "ivr_deep_intents.yaml"),
    "broad menu on intents": lambda: load_scenario(SCENARIO_DIR / "ivr_broad_intents.yaml"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_simulated_funnel_shares_match_the_exact_ones(name):
    scenario = CASES[name]()
    n = 60_000
    counts = simulated_counts(scenario, n)
    expected = expected_funnel(scenario)
    assert binomial_misses(scenario, counts, expected, n) == []
    # replays are not 0/1: their mean within 4 SE of a Poisson-like bound (var <= E[X^2] <= retries * E[X])
    layout = funnel_layout(scenario)
    for m, menu in enumerate(scenario.ivr.menus):
        i = layout.index[("menu", m, "replays")]
        assert abs(counts[i] / n - expected[i]) <= 4 * math.sqrt(max(menu.retries, 1) * expected[i] / n + 1e-12)
    # negative control: moving the biggest option's exact share by 8 SE must be caught (power)
    chose = [i for key, i in layout.index.items() if key[0] == "option" and key[-1] == "chose"]
    i = max(chose, key=lambda j: expected[j])
    perturbed = expected.copy()
    perturbed[i] += 8 * math.sqrt(expected[i] * (1 - expected[i]) / n)
    assert binomial_misses(scenario, counts, perturbed, n) != []


def test_the_exact_funnel_conserves_calls():
    for name, make in CASES.items():
        scenario = make()
        layout = funnel_layout(scenario)
        e = expected_funnel(scenario)
        queues = sum(e[layout.index[("queue", q)]] for q in range(len(scenario.queues)))
        assert math.isclose(e[layout.index[("contained",)]] + e[layout.index[("hung_up",)]] + queues, 1.0), name
        for m, menu in enumerate(scenario.ivr.menus):
            out = e[layout.index[("menu", m, "hung_up")]] + e[layout.index[("menu", m, "timed_out")]] + sum(
                e[layout.index[("option", m, o, "chose")]] for o in range(len(menu.options)))
            assert math.isclose(out, e[layout.index[("menu", m, "entered")]], abs_tol=1e-12), (name, menu.name)


def _estimate(entry) -> float:
    return entry["mean"]


@pytest.mark.parametrize("path", IVR_SCENARIOS, ids=lambda p: p.stem)
def test_funnel_conservation_on_every_shipped_ivr_scenario(path):
    scenario = load_scenario(path)
    run = run_scenario(scenario, replications=2, seed=5, sample_day=False)
    layout = funnel_layout(scenario)
    counts = run.funnel_per_replication
    assert counts.shape == (2, len(layout))
    at = lambda *key: counts[:, layout.index[key]]  # noqa: E731
    for m, menu in enumerate(scenario.ivr.menus):
        out = at("menu", m, "hung_up") + at("menu", m, "timed_out") + sum(
            at("option", m, o, "chose") for o in range(len(menu.options)))
        assert np.array_equal(out, at("menu", m, "entered")), menu.name
    queues = sum(at("queue", q) for q in range(len(scenario.queues)))
    assert np.array_equal(at("entered"), at("contained") + at("hung_up") + queues)
    # the same calls as the records' KPIs: every simulated call, redials and repeat calls included
    day = {name: values[:, -1] for name, values in run.per_replication.items()}
    assert np.array_equal(at("entered"), day["offered"])
    assert np.array_equal(at("contained"), day["ivr_contained"])
    assert np.array_equal(at("hung_up"), day["ivr_abandoned"])
    assert np.array_equal(at("misrouted"), day["misroutes"])
    document = funnel_document(run)
    assert [m["name"] for m in document["menus"]] == [m.name for m in scenario.ivr.menus]
    assert ("announcement" in document) == (scenario.ivr.announcement is not None)
    menu = document["menus"][0]
    assert set(menu) == {"name", "entered", "replays", "hung_up", "timed_out", "default", "options"}
    assert set(menu["options"][0]) == {"key", "label", "to", "chose", "zero_out", "contained", "misrouted"}
    assert set(document["queues"]) == {q.name for q in scenario.queues}
    assert math.isclose(_estimate(document["entered"]), day["offered"].mean())


def test_no_funnel_without_an_ivr():
    run = run_scenario(load_scenario(SCENARIO_DIR / "help_desk.yaml"), replications=2, seed=1, sample_day=False)
    assert run.funnel_per_replication is None and funnel_document(run) is None
    from presentation.documents import result_document

    assert "funnel" not in result_document(run)


def test_the_funnel_noted_while_drawing_equals_the_funnel_drawn_again():
    from simulator.callers import draw_callers
    from simulator.engine import simulate_callers
    from simulator.funnel import replication_funnel

    for path in (SCENARIO_DIR / "utility_outage.yaml", SCENARIO_DIR / "ivr_broad_intents.yaml"):
        scenario = load_scenario(path)
        trace = Trace(funnel_layout(scenario))
        callers = draw_callers(scenario, 4, 1, trace)
        records = simulate_callers(scenario, callers, 1, 4).records
        noted = replication_funnel(scenario, 4, 1, records, (callers.ivr, trace))
        assert np.array_equal(noted, replication_funnel(scenario, 4, 1, records))


def routing_disagreements(scenario, routing, e) -> list[str]:
    """Where a routing (`routing_probabilities` / the intent walk's) and an exact funnel disagree:
    calls per queue (right ones plus those misrouted into it), contained, hung up, misrouted."""
    layout = funnel_layout(scenario)
    found = []
    for q, queue in enumerate(scenario.queues):
        landed = routing.to_queue[queue.name] + sum(p for (wrong, _), p in routing.misroute.items() if wrong == queue.name)
        if not math.isclose(landed, e[layout.index[("queue", q)]], rel_tol=1e-12, abs_tol=1e-15):
            found.append(f"queue {queue.name}: {landed} vs {e[layout.index[('queue', q)]]}")
    for key, value in ((("contained",), routing.contained), (("hung_up",), routing.hang_up),
                       (("misrouted",), sum(routing.misroute.values()))):
        if not math.isclose(value, e[layout.index[key]], rel_tol=1e-12, abs_tol=1e-15):
            found.append(f"{key[0]}: {value} vs {e[layout.index[key]]}")
    return found


@pytest.mark.parametrize("name", list(CASES))
def test_routing_intent_routing_and_expected_funnel_are_one_recursion(name):
    """`routing_probabilities` (or, with intents, `intent_routing`) and `expected_funnel` walk the
    menus with the same `ExpectedWalk`: their shares agree to rounding, interval by interval; a
    routing of another design (the control) does not."""
    from simulator.intents import intent_routing, intent_shares

    scenario = CASES[name]()
    layout = funnel_layout(scenario)
    for k in range(scenario.n_intervals if scenario.intents else 1):
        if scenario.intents:
            shares = intent_shares(scenario.intents, scenario.n_intervals)[:, k]
            _, routing = intent_routing(scenario.ivr, scenario.intents, scenario.queues, shares, layout)
        else:
            routing = routing_probabilities(scenario.ivr, [q.name for q in scenario.queues])
        assert routing_disagreements(scenario, routing, expected_funnel(scenario, k)) == []
    # control: the other menu's routing against this menu's funnel
    other = CASES["share-based deep menu" if name != "share-based deep menu" else "deep menu on intents"]()
    if [q.name for q in other.queues] == [q.name for q in scenario.queues]:
        other_routing = (routing_probabilities(other.ivr, [q.name for q in other.queues]) if not other.intents else
                         intent_routing(other.ivr, other.intents, other.queues,
                                        intent_shares(other.intents, other.n_intervals)[:, 0],
                                        funnel_layout(other))[1])
        assert routing_disagreements(scenario, other_routing, expected_funnel(scenario)) != []
