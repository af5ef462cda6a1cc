"""`callsim plan`: planning every shipped scenario, the planned scenario file, the maths it must
reproduce, the occupancy band, the verification run, and bad input."""
from __future__ import annotations

import csv
import io
import json
import math
import re

import numpy as np
import pytest
import yaml

from conftest import REPO
from planner import StaffingTargets, required_agents
from planner.demand import assign_queues_to_groups
from planner.plan import plan_scenario
from planner.planned import planned_scenario, planned_yaml
from planner.verify import verify_plan
from presentation.plan_output import format_verification, verification_document, verify_csv
from simulator.ivr import routing_probabilities as ivr_routing
from simulator import load_scenario, run_scenario, scenario_from_dict
from simulator.ivr import CONTAINED, IVR_HANG_UP, walk
from helpers import SHIPPED_SCENARIOS, assert_user_error, run_cli

# one-day scenarios: a week's plan (per date, dated rows) is tests/test_timeline.py's
SCENARIOS = [path for path in SHIPPED_SCENARIOS if "\ndays:" not in path.read_text()]
PNG = b"\x89PNG\r\n\x1a\n"


def scenario_dict(calls, talk=None, patience=None, acw=None, occupancy=(0.75, 0.85), interval_minutes=30, **targets):
    queue = {"name": "q", "talk_time": talk or {"dist": "exponential", "mean": 300}}
    if patience is not None:
        queue["patience"] = patience
    if acw is not None:
        queue["acw"] = acw
    return {
        "schema_version": 1, "name": "test", "interval_minutes": interval_minutes, "start": "08:00",
        "arrivals": {"calls": list(calls)},
        "queues": [queue],
        "agents": [{"name": "team", "serves": ["q"], "staffing": [1] * len(calls)}],
        "targets": {"service_level": {"fraction": 0.8, "within": 20}, "occupancy": list(occupancy), **targets},
    }


# --- every shipped scenario, as a planner runs it ---------------------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_shipped_scenario_plans_and_verifies_end_to_end(path, tmp_path, capsys):
    out = tmp_path / "res"
    code, stdout, err = run_cli(capsys, "plan", path, "--verify", "-r", 2, "-w", 1, "-o", out, "--json")
    assert code == 0, err
    document = json.loads(stdout)
    scenario = load_scenario(path)
    n = scenario.n_intervals
    names = {"plan.csv", f"{path.stem}.planned.yaml", "verify.csv", "plan_staffing.png", "plan_service_level.png"}
    assert {p.name for p in out.iterdir()} == names
    for png in ("plan_staffing.png", "plan_service_level.png"):
        assert (out / png).read_bytes().startswith(PNG)
    plan_rows = (out / "plan.csv").read_text().splitlines()
    assert len(plan_rows) == 1 + n * len(scenario.queues)
    verify_rows = list(csv.DictReader(io.StringIO((out / "verify.csv").read_text())))
    combined = [row for row in verify_rows if row["queue"] == "all"]
    assert len(combined) == n + 1 and combined[-1]["interval"] == "day"
    assert len(document["verify"]["rows"]) == n + 1
    # per queue only with several queues: the queues' rows in the CSV and the JSON
    several = len(scenario.queues) > 1
    assert [q["queue"] for q in document["verify"]["queues"]] == ([q.name for q in scenario.queues] if several else [])
    for queue in scenario.queues:
        assert sum(row["queue"] == queue.name for row in verify_rows) == (n + 1 if several else 0)
    # the planned scenario is valid, and carries exactly the groups' planned agents
    planned = load_scenario(out / f"{path.stem}.planned.yaml")
    assert {g.name: list(g.staffing) for g in planned.agents} == {g["group"]: g["agents"] for g in document["groups"]}
    # every interval with calls has agents for each of its queues, and the plan meets its targets
    for queue in document["queues"]:
        for row in queue["intervals"]:
            if row["calls"] > 0:
                assert row["required_agents"] >= 1
                assert row["service_level"] >= scenario.targets.service_level.fraction
                assert row["occupancy"] <= scenario.targets.occupancy[1] + 1e-12


def test_human_output_names_the_table_columns_the_groups_and_the_verification(tmp_path, capsys):
    code, out, err = run_cli(capsys, "plan", REPO / "scenarios" / "two_queue_multiskill.yaml", "--verify", "-r", 3,
                             "-w", 1, "-o", tmp_path / "o", "--no-plots")
    assert code == 0, err
    for text in ("interval", "calls", "AHT", "load", "required", "scheduled", "occupancy", "SL", "ASA", "P(aband)",
                 "binding", "flags", "Queue 'support'", "Queue 'sales'", "generalists", "sales specialists",
                 "planned per queue", "Verification:", "day", "Per queue", "Per agent group"):
        assert text in out, text
    assert not list((tmp_path / "o").glob("*.png"))


def test_planned_yaml_round_trips_through_load_scenario_and_runs(tmp_path, capsys):
    source = REPO / "scenarios" / "ivr_deep_menu.yaml"
    out = tmp_path / "o"
    code, _, err = run_cli(capsys, "plan", source, "-o", out, "--no-plots", "--shrinkage", "0.3")
    assert code == 0, err
    original = load_scenario(source)
    planned = load_scenario(out / "ivr_deep_menu.planned.yaml")
    # everything but the staffing is the original scenario
    strip = lambda s: {**s.model_dump(), "agents": [{**g, "staffing": None} for g in s.model_dump()["agents"]]}  # noqa: E731
    assert strip(planned) == strip(original)
    # staffing = agents on the phones (required), not the shrinkage-inflated headcount
    plan = plan_scenario(original, shrinkage=0.3)
    assert [list(g.staffing) for g in planned.agents] == [list(g.agents) for g in plan.groups]
    assert all(s > a for g in plan.groups for a, s in zip(g.agents, g.scheduled_agents) if a > 0)
    assert [math.ceil(a / 0.7 - 1e-9) for a in plan.groups[0].agents] == list(plan.groups[0].scheduled_agents)
    code, _, err = run_cli(capsys, "run", out / "ivr_deep_menu.planned.yaml", "-r", 2, "-w", 1, "-o", tmp_path / "run",
                           "--no-plots")
    assert code == 0, err
    assert (tmp_path / "run" / "kpis.json").is_file()


# --- the maths the plan must reproduce --------------------------------------------------------


@pytest.mark.parametrize("patience", [None, {"dist": "exponential", "mean": 200}])
def test_mmn_scenario_plans_exactly_required_agents(patience):
    calls = [10, 40, 120, 300, 700]
    scenario = scenario_from_dict(scenario_dict(calls, patience=patience, asa=30, abandon_rate=0.04))
    plan = plan_scenario(scenario)
    model = "erlang_c" if patience is None else "erlang_a"
    targets = StaffingTargets(0.8, 20, asa_target_s=30, max_abandon_rate=0.04 if patience else None)
    expected = [required_agents(c / 1800, 300, targets, model, patience and 200).agents for c in calls]
    assert plan.queues[0].model == model
    assert list(plan.queues[0].plan.agents) == expected
    assert list(plan.groups[0].agents) == expected
    assert list(planned_scenario(plan).agents[0].staffing) == expected


def test_aht_is_mean_talk_plus_mean_acw_and_model_can_be_forced():
    scenario = scenario_from_dict(scenario_dict([100], talk={"dist": "lognormal", "mean": 240, "cv": 0.8},
                                                acw={"dist": "fixed", "mean": 45},
                                                patience={"dist": "exponential", "mean": 180}))
    auto, forced = plan_scenario(scenario), plan_scenario(scenario, model="erlang_c")
    assert auto.queues[0].demand.mean_handle_time_s == pytest.approx(285.0)
    assert (auto.queues[0].model, forced.queues[0].model) == ("erlang_a", "erlang_c")
    assert forced.queues[0].plan.p_abandon == (None,)
    assert any("Erlang C although its callers abandon" in note.text for note in forced.notes)
    # Erlang C ignores abandonment and so needs at least as many agents as Erlang A
    assert forced.queues[0].plan.agents[0] >= auto.queues[0].plan.agents[0]


def test_small_volume_is_flagged_below_the_floor_and_large_volume_lifted_by_the_cap():
    scenario = scenario_from_dict(scenario_dict([4, 6000], talk={"dist": "exponential", "mean": 300}))
    p = plan_scenario(scenario).queues[0].plan
    assert "below_occupancy_floor" in p.flags[0] and p.occupancy[0] < 0.75
    assert p.binding_constraint[0] == "service_level"
    assert p.binding_constraint[1] == "occupancy_cap"
    assert p.occupancy[1] <= 0.85 < 1000 / (p.agents[1] - 1)  # one agent fewer breaks the cap
    uncapped = required_agents(6000 / 1800, 300, StaffingTargets(0.8, 20, occupancy_band=(0.0, 1.0)))
    assert p.agents[1] > uncapped.agents


def test_ivr_shares_are_the_exact_expectation_of_the_simulated_walk():
    scenario = load_scenario(REPO / "scenarios" / "ivr_deep_menu.yaml")
    names = [q.name for q in scenario.queues]
    routing = ivr_routing(scenario.ivr, names)
    total = sum(routing.to_queue.values()) + sum(routing.misroute.values()) + routing.contained + routing.hang_up
    assert total == pytest.approx(1.0, abs=1e-12)
    n = 200_000
    paths = walk(scenario.ivr, names, n, np.random.default_rng(7))
    right = np.where(paths.true_queue >= 0, -9, paths.route)
    observed = {"contained": np.mean(paths.route == CONTAINED), "hang_up": np.mean(paths.route == IVR_HANG_UP)}
    expected = {"contained": routing.contained, "hang_up": routing.hang_up}
    for i, name in enumerate(names):
        observed[name] = np.mean(right == i)
        expected[name] = routing.to_queue[name]
    for (wrong, true), p in routing.misroute.items():
        key = f"{wrong}<-{true}"
        observed[key] = np.mean((paths.route == names.index(wrong)) & (paths.true_queue == names.index(true)))
        expected[key] = p
    for key, p in expected.items():
        se = math.sqrt(p * (1 - p) / n)
        assert abs(observed[key] - p) <= 4 * se + 1e-12, (key, observed[key], p)
    # power: a share 10% off would be detected
    assert all(0.1 * p > 4 * math.sqrt(p * (1 - p) / n) for p in expected.values() if p > 0.005)


def test_misrouted_calls_add_transfer_time_to_the_wrong_queue():
    data = {
        "schema_version": 1, "name": "misroute", "interval_minutes": 30,
        "arrivals": {"calls": [100]},
        "ivr": {"menus": [{"name": "m", "prompt": {"dist": "fixed", "mean": 5}, "options": [
            {"key": "1", "share": 1.0, "to": "a", "misroute": {"share": 0.2, "queue": "b",
                                                               "transfer_time": {"dist": "fixed", "mean": 60}}}]}]},
        "queues": [{"name": "a", "talk_time": {"dist": "exponential", "mean": 300}},
                   {"name": "b", "talk_time": {"dist": "exponential", "mean": 200}}],
        "agents": [{"name": "A", "serves": ["a"], "staffing": [1]}, {"name": "B", "serves": ["b"], "staffing": [1]}],
    }
    demand = {q.demand.queue: q.demand for q in plan_scenario(scenario_from_dict(data)).queues}
    # a: 80 routed right + 20 transferred in, all 300 s; b: only the 20 misrouted calls, 60 s each
    assert demand["a"].calls[0] == pytest.approx(100.0) and demand["a"].mean_handle_time_s == pytest.approx(300.0)
    assert demand["b"].calls[0] == pytest.approx(20.0) and demand["b"].mean_handle_time_s == pytest.approx(60.0)
    assert demand["a"].first_calls[0] == pytest.approx(80.0) and demand["b"].first_calls[0] == pytest.approx(20.0)


def test_multi_skill_queues_go_to_their_first_choice_group():
    scenario = load_scenario(REPO / "scenarios" / "two_queue_multiskill.yaml")
    assert assign_queues_to_groups(scenario) == {"support": "generalists", "sales": "sales specialists"}
    deep = load_scenario(REPO / "scenarios" / "ivr_deep_menu.yaml")
    # 'general' is third for service agents but second for lending agents
    assert assign_queues_to_groups(deep)["general"] == "lending agents"
    plan = plan_scenario(deep)
    lending = next(g for g in plan.groups if g.name == "lending agents")
    per_queue = {q.demand.queue: q.plan.agents for q in plan.queues}
    assert list(lending.agents) == [a + b for a, b in zip(per_queue["loans"], per_queue["general"])]
    assert any("planned per queue" in note.text for note in plan.notes)


# --- verification -----------------------------------------------------------------------------


def test_verification_marks_a_miss_with_its_reason_and_not_on_the_model_it_assumes():
    # M/M/N (exponential talk, no abandonment) planned with Erlang C; then the same demand with
    # 40% of answered calls coming back and abandoners redialling: the plan sizes first calls only.
    base = scenario_dict([200] * 8, talk={"dist": "exponential", "mean": 180})
    control = verify_plan(plan_scenario(scenario_from_dict(base)), replications=5, seed=1)
    assert not any(row.missed for row in control.rows)  # negative control: the maths' own model
    assert control.rows[-1].checks["service_level"].simulated.mean == pytest.approx(
        control.rows[-1].checks["service_level"].planned, abs=0.05)
    returns = {**base, "queues": [{**base["queues"][0], "first_contact_resolution": 0.6}],
               "return_calls": {"redial_probability": 0.5, "repeat_delay": {"dist": "exponential", "mean": 900}}}
    plan = plan_scenario(scenario_from_dict(returns))
    assert plan.queues[0].plan.agents == control.result.scenario.agents[0].staffing  # same first-call plan
    verification = verify_plan(plan, replications=5, seed=1)
    day = verification.rows[-1]
    assert day.checks["service_level"].planned >= 0.8 and day.checks["service_level"].miss
    assert day.reasons[0] == "extra_calls"
    text = verification.reasons["extra_calls"]
    assert text.startswith("more calls than planned") and re.search(r"against 1,600 planned \(\+[1-9]\d*%\)", text)


def test_reasons_are_derived_from_the_scenario():
    from planner.verify import model_gaps

    variable = plan_scenario(scenario_from_dict(scenario_dict([100], talk={"dist": "gamma", "mean": 300, "cv": 2.0},
                                                              patience={"dist": "weibull", "shape": 0.7, "mean": 300})))
    gaps = model_gaps(variable)
    assert "talk_cv" in gaps and "cv 2.00" in gaps["talk_cv"]
    assert "abandonment" in gaps and "weibull" in gaps["abandonment"]
    assert not {"extra_calls", "busyness", "balking", "multi_skill", "callbacks"} & set(gaps)
    exact = model_gaps(plan_scenario(scenario_from_dict(scenario_dict([100], patience={"dist": "exponential",
                                                                                      "mean": 300}))))
    assert "talk_cv" not in exact and "abandonment" not in exact  # Erlang A's own assumptions
    bank = model_gaps(plan_scenario(load_scenario(REPO / "scenarios" / "retail_bank_weekday.yaml")))
    assert {"talk_cv", "abandonment", "busyness"} <= set(bank)


def test_verify_names_the_patience_shape_when_it_not_the_load_makes_erlang_a_miss():
    """The benchmark day's callers (talk Gamma(18, 1/180 h): mean 360 s, cv 0.24; patience Gamma(4,
    1/120 h): mean 120 s, cv 0.5) on a flat load of 1,000 calls an hour: no load change anywhere, yet
    Erlang A's staffing misses 80/20, because few callers hang up in the first minute (14% of
    Gamma(4) patience against 39% for the exponential of the same mean). The control: the same day
    with exponential patience meets the plan, and no shape reason is offered there."""
    from planner.verify import early_hangups, model_gaps

    talk = {"dist": "gamma", "mean": 360, "cv": 18 ** -0.5}
    shaped = scenario_from_dict(scenario_dict([500] * 4, talk=talk, patience={"dist": "gamma", "mean": 120, "cv": 0.5},
                                              occupancy=(0.0, 1.0)))  # the service level sets the staffing
    actual, exponential = early_hangups(shaped.queues[0].patience)
    # by hand: P(Gamma(4, 30 s) <= 60 s) = P(Poisson(2) >= 4) = 1 - e^-2 (1 + 2 + 2 + 4/3) = 0.1429
    assert actual == pytest.approx(0.1429, abs=1e-3) and exponential == pytest.approx(1 - math.exp(-0.5), abs=1e-9)
    plan = plan_scenario(shaped)
    verification = verify_plan(plan, replications=10, seed=3)
    missed = [row for row in verification.rows if row.missed]
    assert missed, "Erlang A's plan should miss with this patience"
    assert all(row.reasons[0] == "patience_shape" for row in missed)
    assert "load_change" not in {code for row in missed for code in row.reasons}
    assert verification.reasons["patience_shape"].startswith("the patience's shape, not the load")
    control = scenario_from_dict(scenario_dict([500] * 4, talk=talk, patience={"dist": "exponential", "mean": 120},
                                               occupancy=(0.0, 1.0)))
    assert "patience_shape" not in model_gaps(plan_scenario(control))
    control_verification = verify_plan(plan_scenario(control), replications=10, seed=3)
    assert not any(row.checks["service_level"].miss for row in control_verification.rows)


def test_verification_finds_the_redials_on_the_outage_day():
    scenario = load_scenario(REPO / "scenarios" / "utility_outage.yaml")
    verification = verify_plan(plan_scenario(scenario), replications=4, seed=1)
    missed = [row for row in verification.rows[:-1] if row.missed]
    assert missed, "the outage's redials and repeat calls should break the plan somewhere"
    assert any("extra_calls" in row.reasons for row in missed)
    assert "more calls than planned" in verification.reasons["extra_calls"]


# --- verification per queue and per agent group -----------------------------------------------


def starved_scenario(n=4):
    """'hi' (95% of calls) is planned near saturation with Erlang A on its specialists; the shared
    group, planned only for 'lo' (Erlang C, nobody abandons), answers 'hi' first: its agents are
    pulled into hi's queue, which is rarely empty, and lo's callers wait for the end of the day."""
    return {
        "schema_version": 1, "name": "starved", "interval_minutes": 30, "start": "08:00",
        "arrivals": {"calls": [600] * n, "queue_shares": {"hi": 0.95, "lo": 0.05}},
        "queues": [{"name": "hi", "talk_time": {"dist": "exponential", "mean": 180},
                    "patience": {"dist": "exponential", "mean": 120}},
                   {"name": "lo", "talk_time": {"dist": "exponential", "mean": 180}}],
        "agents": [{"name": "shared", "serves": ["hi", "lo"], "staffing": [1] * n},
                   {"name": "hi specialists", "serves": ["hi"], "staffing": [1] * n}],
        "targets": {"service_level": {"fraction": 0.5, "within": 30}, "abandon_rate": 0.15, "occupancy": [0.5, 0.99]},
    }


def test_per_queue_rows_exist_with_several_queues_only():
    two = verify_plan(plan_scenario(load_scenario(REPO / "scenarios" / "two_queue_multiskill.yaml")),
                      replications=2, seed=1)
    assert list(two.queues) == ["support", "sales"]
    assert list(two.groups) == ["generalists", "sales specialists"]
    for rows in two.queues.values():
        assert [r.interval for r in rows] == [r.interval for r in two.rows]  # every interval, then the day
        assert all(set(r.checks) == {"service_level", "asa", "abandon_rate"} for r in rows)
    document = verification_document(two)
    assert [q["queue"] for q in document["queues"]] == ["support", "sales"]
    assert [g["group"] for g in document["agent_groups"]] == ["generalists", "sales specialists"]
    table = list(csv.DictReader(io.StringIO(verify_csv(two))))
    assert [r["queue"] for r in table] == ["all"] * 9 + ["support"] * 9 + ["sales"] * 9 + [""] * 18
    assert list(csv.reader(io.StringIO(verify_csv(two))))[0][:2] == ["interval", "service_level_target"]
    assert "Per queue" in format_verification(two)
    one = verify_plan(plan_scenario(load_scenario(REPO / "scenarios" / "help_desk.yaml")), replications=2, seed=1)
    assert one.queues == {} and one.groups == {}
    assert verification_document(one)["queues"] == []
    assert {r["queue"] for r in csv.DictReader(io.StringIO(verify_csv(one)))} == {"all"}
    assert "Per queue" not in format_verification(one)


def test_per_queue_numbers_are_the_run_breakdown_and_the_queue_plan():
    plan = plan_scenario(load_scenario(REPO / "scenarios" / "two_queue_multiskill.yaml"))
    verification = verify_plan(plan, replications=3, seed=5)
    # an independent run of the same planned scenario and seed: the same per-queue estimates
    breakdown = run_scenario(planned_scenario(plan), replications=3, seed=5).breakdown
    assert breakdown["queues"]["support"]["service_level"][-1] != breakdown["queues"]["sales"]["service_level"][-1]
    for name, rows in verification.queues.items():
        for k, row in enumerate(rows):
            for kpi in ("service_level", "asa", "abandon_rate"):
                assert row.checks[kpi].simulated == breakdown["queues"][name][kpi][k], (name, k, kpi)
    for name, rows in verification.groups.items():
        for k, row in enumerate(rows):
            assert row.checks["occupancy"].simulated == breakdown["agent_groups"][name]["occupancy"][k]
    # planned: the queue's own Erlang figures per interval; the day weighted by its calls
    for qp in plan.queues:
        rows = verification.queues[qp.demand.queue]
        assert [r.checks["service_level"].planned for r in rows[:-1]] == pytest.approx(list(qp.plan.service_level))
        assert [r.checks["abandon_rate"].planned for r in rows[:-1]] == pytest.approx(list(qp.plan.p_abandon))
        day = sum(c * sl for c, sl in zip(qp.demand.calls, qp.plan.service_level)) / sum(qp.demand.calls)
        assert rows[-1].checks["service_level"].planned == pytest.approx(day)
    generalists = next(g for g in plan.groups if g.name == "generalists")
    support = next(q for q in plan.queues if q.demand.queue == "support")  # the only queue planned on it
    assert [r.checks["occupancy"].planned for r in verification.groups["generalists"][:-1]] == pytest.approx(
        [o * a / g for o, a, g in zip(support.plan.occupancy, support.plan.agents, generalists.agents)])


def test_a_queue_starved_by_priority_is_missed_per_queue_while_the_combined_view_is_not():
    plan = plan_scenario(scenario_from_dict(starved_scenario()))
    assert {q.demand.queue: q.group for q in plan.queues} == {"hi": "hi specialists", "lo": "shared"}
    verification = verify_plan(plan, replications=4, seed=7)
    lo, hi = verification.queues["lo"], verification.queues["hi"]
    # the plan promised lo the target; the simulation starves it (the whole CI far below 50%)
    assert lo[-1].checks["service_level"].planned >= 0.5
    assert lo[-1].checks["service_level"].miss and lo[-1].checks["service_level"].simulated.ci95[1] < 0.3
    assert sum(1 for row in lo[:-1] if row.missed) >= 3
    assert "multi_skill" in lo[-1].reasons and "'shared' answers hi before lo" in verification.reasons["multi_skill"]
    # hi gets the shared agents and does better than planned; all queues together hide lo
    assert not any(row.missed for row in hi)
    assert hi[-1].checks["service_level"].simulated.mean > hi[-1].checks["service_level"].planned
    assert not any(row.missed for row in verification.rows)
    assert verification.rows[-1].checks["service_level"].simulated.ci95[0] > 0.5
    # the shared group planned at 75% occupancy is busy all the time
    shared = verification.groups["shared"]
    assert shared[-1].checks["occupancy"].planned == pytest.approx(0.75)
    assert any(row.checks["occupancy"].miss for row in shared[:-1])
    text = format_verification(verification)
    assert re.search(r"^lo +day .*!.*4 of 4 intervals miss; day: SL \(multi_skill\)", text, re.M)
    table = list(csv.DictReader(io.StringIO(verify_csv(verification))))
    assert [r["service_level_miss"] for r in table if r["queue"] == "lo"] == ["yes"] * 5
    assert not any(r["service_level_miss"] for r in table if r["queue"] in ("all", "hi"))


# --- bad input: one line, exit 2, nothing written ---------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["--model", "erlang-b"], "--model"),
    (["--shrinkage", "1.5"], "--shrinkage"),
    (["--shrinkage", "-0.1"], "--shrinkage"),
    (["--replications", "1", "--verify"], "--replications"),
])
def test_bad_options_exit_2_with_one_line_and_write_nothing(args, message, tmp_path, capsys):
    out = tmp_path / "o"
    assert_user_error(*run_cli(capsys, "plan", REPO / "scenarios" / "help_desk.yaml", "-o", out, *args), message)
    assert not out.exists()


def test_missing_file_and_impossible_plans_exit_2(tmp_path, capsys):
    out = tmp_path / "o"
    code, stdout, err = run_cli(capsys, "plan", tmp_path / "nope.yaml", "-o", out)
    assert (code, stdout, err.count("\n")) == (2, "", 1) and "no such file" in err
    no_patience = tmp_path / "no_patience.yaml"
    no_patience.write_text(yaml.safe_dump(scenario_dict([50])))
    code, stdout, err = run_cli(capsys, "plan", no_patience, "--model", "erlang-a", "-o", out)
    assert (code, stdout, err.count("\n")) == (2, "", 1) and "patience" in err
    perfect = tmp_path / "perfect.yaml"
    data = scenario_dict([50])
    data["targets"]["service_level"]["fraction"] = 1.0
    perfect.write_text(yaml.safe_dump(data))
    code, stdout, err = run_cli(capsys, "plan", perfect, "-o", out)
    assert (code, stdout, err.count("\n")) == (2, "", 1) and "100%" in err
    assert not out.exists()


def test_planned_yaml_is_yaml_the_schema_accepts_with_the_header_comment():
    plan = plan_scenario(load_scenario(REPO / "scenarios" / "help_desk.yaml"), shrinkage=0.2)
    text = planned_yaml(plan, source="scenarios/help_desk.yaml")
    assert text.startswith("# Planned staffing for 'Help desk, steady morning'")
    assert "scheduled headcount with 20% shrinkage" in text
    assert list(planned_scenario(plan, text).agents[0].staffing) == list(plan.groups[0].agents)
    result = run_scenario(planned_scenario(plan, text), replications=2, seed=1)
    assert result.day["offered"].mean > 0


def test_report_implies_verify_and_leaves_the_run_report_alone(tmp_path, capsys):
    out = tmp_path / "o"
    code, stdout, err = run_cli(capsys, "plan", REPO / "scenarios" / "help_desk.yaml", "--report", "-r", 2, "-w", 1,
                                "-o", out)
    assert code == 0, err
    assert "Verification:" in stdout
    page = (out / "plan_report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "planned by &#x27;callsim plan&#x27;" in page
    assert "plan_service_level.png" in page
    assert not (out / "report.html").exists() and not (out / "kpis.json").exists()


def test_carry_over_load_is_the_peak_of_the_modified_offered_load_in_each_interval():
    from scipy.integrate import solve_ivp

    from planner.demand import carry_over_rates_per_s

    rates, aht_s, interval_s = [0.1, 0.4, 0.4, 0.1, 0.0], 300.0, 900.0
    got = carry_over_rates_per_s(rates, aht_s, interval_s)
    # independent: integrate m' = rate(t) - m / AHT numerically, take each interval's maximum
    rate_at = lambda t: rates[min(int(t // interval_s), len(rates) - 1)]  # noqa: E731
    solution = solve_ivp(lambda t, m: [rate_at(t) - m[0] / aht_s], (0, interval_s * len(rates)), [0.0],
                         max_step=1.0, dense_output=True, rtol=1e-9, atol=1e-9)
    for k in range(len(rates)):
        t = np.linspace(k * interval_s, (k + 1) * interval_s, 901)
        assert got[k] * aht_s == pytest.approx(solution.sol(t)[0].max(), rel=1e-5), k
    # constant demand from an empty start converges to plain SIPP
    steady = carry_over_rates_per_s([0.2] * 8, 300.0, 900.0)
    assert steady[-1] == pytest.approx(0.2, rel=1e-9) and steady[0] < 0.2


def test_carry_over_staffs_less_while_a_peak_builds_and_more_after_it(capsys, tmp_path):
    import json

    from simulator import scenario_from_dict

    data = {
        "schema_version": 1, "name": "peak", "interval_minutes": 15,
        "arrivals": {"calls": [20, 20, 90, 90, 20, 20]},
        "queues": [{"name": "q", "talk_time": {"dist": "exponential", "mean": 600}}],
        "agents": [{"name": "a", "serves": ["q"], "staffing": [1] * 6}],
        "targets": {"occupancy": [0.0, 1.0]},
    }
    path = tmp_path / "peak.yaml"
    path.write_text(json.dumps(data))
    plain = plan_scenario(scenario_from_dict(data)).groups[0].agents
    carried = plan_scenario(scenario_from_dict(data), carry_over=True).groups[0].agents
    assert carried[2] < plain[2]  # the peak's first interval: the queue is still building
    assert carried[4] > plain[4]  # just after it: agents still carry the peak's calls
    code, out, err = run_cli(capsys, "plan", path, "--carry-over", "--no-plots", "-o", tmp_path / "out", "--json")
    assert code == 0, err
    assert json.loads(out)["carry_over"] is True


def test_plan_notes_say_priority_classes_and_overflow_are_not_planned_for():
    from simulator.schema_base import revised

    base = load_scenario(REPO / "scenarios" / "two_queue_multiskill.yaml")
    codes = {note.code for note in plan_scenario(base).notes}
    assert not {"priority_classes", "overflow"} & codes  # negative control: neither feature, neither note
    support = base.queues[0].model_dump(mode="json", exclude_none=True)
    support["priority_classes"] = [{"name": "vip", "share": 0.2}]
    support["overflow"] = {"after_s": 60, "to_groups": [base.agents[1].name]}
    changed = revised(base, queues=[support, base.queues[1].model_dump(mode="json", exclude_none=True)])
    notes = {note.code: note.text for note in plan_scenario(changed).notes}
    assert notes["priority_classes"].startswith(f"Priority classes are not planned for (queue {support['name']})")
    assert notes["overflow"].startswith(f"Overflow is not planned for (queue {support['name']})")
