"""callsim optimize: the search against theory, its limits, determinism, the CLI contract.

The slower figures (the IVR pair's saving, the 24-interval speed check) are in
benchmarks/bench_optimize.py.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from helpers import HELP_DESK, SCENARIO_DIR, assert_user_error, run_cli
from planner.plan import plan_scenario
from planner.planned import planned_scenario
from planner.staffing import StaffingTargets, required_agents
from simulator import load_scenario, scenario_from_dict
from simulator.parallel import executor_for
from simulator.run import RunResult, run_scenario
from studies.optimize import (Constraint, OptimizeError, check_intervals, optimize_staffing, planned_effort,
                              slack_intervals, target_constraints)


def single_queue(calls, staffing, talk_mean_s=180.0, patience_mean_s=180.0, interval_minutes=30, targets=None,
                 **group):
    return scenario_from_dict({
        "schema_version": 1, "name": "t", "interval_minutes": interval_minutes,
        "arrivals": {"calls": list(calls)},
        "queues": [{"name": "q", "talk_time": {"dist": "exponential", "mean": talk_mean_s},
                    "patience": {"dist": "exponential", "mean": patience_mean_s}}],
        "agents": [{"name": "a", "serves": ["q"], "staffing": list(staffing), **group}],
        "targets": targets or {"service_level": {"fraction": 0.8, "within": 20}, "occupancy": [0.0, 1.0]},
    })


# --- how an interval is judged ----------------------------------------------------------------


def test_one_sided_bound_is_the_t_bound_over_the_replications_where_the_kpi_is_defined():
    scenario = single_queue([10, 10], [2, 2])
    sl = np.array([[0.70, np.nan, 0.75], [0.80, np.nan, 0.80], [0.90, 0.5, 0.85], [0.85, np.nan, 0.82]])
    result = RunResult(scenario, 1, 4, {"service_level": sl, "offered": np.ones((4, 3))})
    (constraint,) = [c for c in target_constraints(scenario) if c.kpi == "service_level"]
    mean_checks = check_intervals(result, [constraint])
    bound_checks = check_intervals(result, [constraint], confidence=0.9)
    values = np.array([0.70, 0.80, 0.90, 0.85])
    # by hand: mean 0.8125, s = 0.0854, t(0.9, 3) = 1.6377
    expected = values.mean() - stats.t.ppf(0.9, 3) * values.std(ddof=1) / 2.0
    assert mean_checks[0].values["service_level"].bound == pytest.approx(0.8125)
    assert mean_checks[0].met  # mean 0.8125 >= 0.8
    assert bound_checks[0].values["service_level"].bound == pytest.approx(expected)
    assert expected == pytest.approx(0.7426, abs=1e-3)
    assert not bound_checks[0].met and bound_checks[0].missed == ("service_level",)
    # interval 2: defined in one replication only -> judged on that value, no CI
    assert bound_checks[1].values["service_level"].n == 1
    assert bound_checks[1].values["service_level"].ci95 is None
    assert not bound_checks[1].met


def test_constraints_follow_the_targets_per_queue_and_never_the_occupancy_floor():
    scenario = load_scenario(SCENARIO_DIR / "two_queue_multiskill.yaml")
    keys = [c.key for c in target_constraints(scenario)]
    assert keys == ["service_level@support", "asa@support", "abandon_rate@support",
                    "service_level@sales", "asa@sales", "abandon_rate@sales", "occupancy"]
    per_group = [c.key for c in target_constraints(scenario, per_group=True) if c.kpi == "occupancy"]
    assert per_group == ["occupancy@generalists", "occupancy@sales specialists"]
    assert all(not (c.kpi == "occupancy" and c.at_least) for c in target_constraints(scenario))
    assert Constraint("service_level", None, 0.8, True).margin(0.88) == pytest.approx(0.1)
    assert Constraint("asa", None, 30.0, False).margin(33.0) == pytest.approx(-0.1)
    assert Constraint("asa", None, 30.0, False).margin(math.nan) == math.inf


# --- against theory -------------------------------------------------------------------------


def test_stationary_mmn_m_day_gives_the_erlang_a_requirement_within_one_agent_from_far_below():
    arrival_rate_per_s = 200 / 3600.0
    exact = required_agents(arrival_rate_per_s, 180.0,
                            StaffingTargets(0.8, 20.0, None, None, (0.0, 1.0)), "erlang_a", 180.0).agents
    assert exact == 12  # load 10 Erlangs; checked so the test cannot pass by accident at a smaller value
    scenario = single_queue([200] * 6, [5] * 6, interval_minutes=60)
    # the search alone against theory (no confirmation: its repairs would add agents beyond the search's answer)
    result = optimize_staffing(scenario, start="scenario", replications=30, seed=7, confirm_replications=0)
    assert result.stop_reason == "converged"
    staffing = result.staffing["a"]
    assert all(abs(n - exact) <= 1 for n in staffing), (staffing, exact)
    assert all(c.met for c in result.final.checks)
    # the search really moved: from 5 agents through the add phase, then trimmed
    phases = {entry.phase for entry in result.trace}
    assert {"start", "add", "remove", "current"} <= phases


def _peak_day(staffing):
    # M_t/M/s_t+M with a steep 15-minute peak of 10-minute calls; ISA's target: P(wait > 0) <= 0.5
    return single_queue([60, 60, 60, 240, 60, 60, 60, 60], staffing, talk_mean_s=600.0, patience_mean_s=600.0,
                        interval_minutes=15,
                        targets={"service_level": {"fraction": 0.5, "within": 0}, "occupancy": [0.0, 1.0]})


def test_steep_peak_optimised_delay_probability_is_time_stable_where_sipp_misses():
    scenario = _peak_day([1] * 8)
    sipp = run_scenario(planned_scenario(plan_scenario(scenario)), replications=20, seed=3)
    sipp_delay = np.array([1.0 - row["service_level"].mean for row in sipp.intervals])
    assert sipp_delay.max() > 0.5 + 0.2  # plain SIPP misses badly after the peak (the negative control)
    assert sipp_delay.max() - sipp_delay.min() > 0.3

    result = optimize_staffing(scenario, replications=20, seed=3, confirm_replications=0)  # the search's own property
    delay = np.array([1.0 - c.values["service_level"].mean for c in result.final.checks])
    assert all(c.met for c in result.final.checks), delay
    assert np.all(delay <= 0.5 + 1e-9)
    # time-stable: every interval within a few points of the day's mean delay probability
    assert np.abs(delay - delay.mean()).max() <= 0.08, delay
    plan_agents = np.array(plan_scenario(scenario).groups[0].agents)
    assert (np.array(result.staffing["a"]) > plan_agents).any()  # after the peak it staffs above SIPP


# --- savings where the Erlang plan overstaffs a shared pool --------------------------------


def test_two_queue_multiskill_meets_every_target_out_of_sample_at_lower_cost_than_the_plan():
    scenario = load_scenario(SCENARIO_DIR / "two_queue_multiskill.yaml")
    with executor_for(2) as executor:
        result = optimize_staffing(scenario, replications=10, executor=executor)
    assert result.stop_reason == "converged"
    assert all(c.met for c in result.final.checks)
    plan_hours = sum(sum(g.agents) for g in plan_scenario(scenario).groups) * 1.0  # 60-minute intervals
    assert result.plan_evaluation.agent_hours == plan_hours
    assert result.holds  # on the confirmation's fresh days, after repair
    # the objective is cost: the specialists cost more an hour, so the confirmed answer is cheaper than the
    # plan even where it keeps about the plan's agent-hours
    assert result.final.cost < result.plan_evaluation.cost
    # what it said beforehand it would simulate is within a factor of 2 of what it did (the progress
    # line's time left is that count at the measured rate)
    effort = planned_effort(scenario, replications=10)
    assert 0.5 <= effort.expected_calls / result.simulated_calls <= 2.0, (effort.expected_calls, result.simulated_calls)
    assert effort.most_calls > result.simulated_calls
    assert result.saving_agent_hours == pytest.approx(plan_hours - result.final.agent_hours)


# --- limits and infeasibility ----------------------------------------------------------------


def test_seats_too_few_stop_with_the_intervals_and_the_best_value_reached():
    scenario = single_queue([200, 400, 200], [10, 10, 10], interval_minutes=60, max_agents=[30, 18, 30],
                            min_agents=3)
    result = optimize_staffing(scenario, replications=10, seed=5)
    assert result.stop_reason == "infeasible"
    assert result.infeasible == (1,)
    assert result.staffing["a"][1] == 18  # the best reachable: every seat used
    assert "at_max_agents" in result.flags[1]
    assert result.binding[1].startswith("missed: service level")
    assert all(c.met for k, c in enumerate(result.final.checks) if k != 1)
    assert all(lo <= n for lo, n in zip(result.min_agents[0], result.staffing["a"]))


def test_min_agents_is_respected_and_named_as_binding():
    scenario = single_queue([0, 200, 0], [4, 12, 4], interval_minutes=60, min_agents=[2, 0, 2])
    result = optimize_staffing(scenario, start="scenario", replications=10, seed=5)
    assert result.staffing["a"][0] == 2 and result.staffing["a"][2] == 2
    assert result.binding[0] == "min_agents"


def test_bad_options_are_one_line_errors():
    scenario = single_queue([10], [2])
    with pytest.raises(OptimizeError, match="confidence"):
        optimize_staffing(scenario, confidence=1.0)
    with pytest.raises(OptimizeError, match="100%"):
        optimize_staffing(single_queue([10], [2], targets={"service_level": {"fraction": 1.0, "within": 0}}))


def test_limits_are_validated_in_the_scenario_file(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text((SCENARIO_DIR / "help_desk.yaml").read_text().replace(
        "staffing: [10, 10, 10, 10, 10, 10, 10, 10]", "staffing: [10, 10, 10, 10, 10, 10, 10, 10]\n"
        "    min_agents: 12\n    max_agents: [11, 11, 11, 11, 11, 11, 11, 11]"))
    code, out, err = run_cli(capsys, "validate", path)
    assert_user_error(code, out, err, "agents[0].min_agents", "above max_agents")


# --- determinism -----------------------------------------------------------------------------


def test_same_seed_same_staffing_and_trace_for_one_and_two_workers():
    scenario = load_scenario(SCENARIO_DIR / "two_queue_multiskill.yaml").with_volume(0.3)
    one = optimize_staffing(scenario, replications=3, seed=11, max_iterations=6)
    with executor_for(2) as executor:
        two = optimize_staffing(scenario, replications=3, seed=11, max_iterations=6, executor=executor)
    assert len(one.trace) > 4  # the search moved: more than the start and the final staffing
    assert one.staffing == two.staffing
    assert [(t.purpose, t.decisions) for t in one.trace] == [(t.purpose, t.decisions) for t in two.trace]


# --- out of sample: confirmation on replications the search never used, and repair ----------


def _one_sided_holds(result: RunResult, constraint: Constraint, k: int, confidence: float) -> bool:
    """The rule by hand: mean -/+ t(confidence, n-1) s / sqrt(n) against the target."""
    values = _constraint_values(result, constraint)[:, k]
    values = values[np.isfinite(values)]
    if values.size == 0:
        return True
    half = stats.t.ppf(confidence, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size)
    return values.mean() - half >= constraint.target if constraint.at_least else values.mean() + half <= constraint.target


def _constraint_values(result: RunResult, constraint: Constraint) -> np.ndarray:
    if constraint.part is None:
        return result.per_replication[constraint.kpi]
    return result.breakdown_per_replication[constraint.part[0]][constraint.part[1]][constraint.kpi]


def test_confirmation_runs_on_replications_the_search_never_used_and_repairs_until_the_rule_holds():
    scenario = load_scenario(SCENARIO_DIR / "help_desk.yaml")
    result = optimize_staffing(scenario, replications=10, seed=4, confirm_replications=20)
    searched = optimize_staffing(scenario, replications=10, seed=4, confirm_replications=0)
    # the confirmation's days are replications 1,000,000.. of the seed: not the search's 0..9
    from simulator.batch import run_scenarios

    optimised = result.optimized_scenario()
    (block,) = run_scenarios([optimised], 20, 4, first_replication=result.confirm_first_replication, sample_day=False)
    assert np.array_equal(block.per_replication["service_level"], result.confirmation.result.per_replication["service_level"])
    assert result.confirmation.result.replications == 20 and result.confirm_first_replication >= 10_000
    (inside,) = run_scenarios([optimised], 10, 4, sample_day=False)
    assert np.array_equal(inside.per_replication["offered"], result.final.result.per_replication["offered"])
    assert not np.array_equal(inside.per_replication["offered"], block.per_replication["offered"][:10])
    # the search alone sits on the edge of its sample: the same rule on the fresh days refuses it somewhere
    # (the negative control), and the repair adds agents (never removes) until every interval holds
    assert not result.search_confirmation.met
    assert result.search_confirmation.staffing == searched.final.staffing
    assert result.repairs >= 1 and result.holds and result.converged
    assert all(a >= b for a, b in zip(result.staffing["support team"], searched.staffing["support team"]))
    # "holds" is exactly the stated rule: one-sided 95% bound per interval and target
    for k in range(scenario.n_intervals):
        for c in result.constraints:
            assert _one_sided_holds(result.confirmation.result, c, k, 0.95)
    missed_before = [k for k in range(scenario.n_intervals)
                     if not all(_one_sided_holds(result.search_confirmation.result, c, k, 0.95) for c in result.constraints)]
    assert missed_before == [k for k, c in enumerate(result.search_confirmation.checks) if not c.met]
    # repaired only where the fresh days missed
    changed = [k for k in range(scenario.n_intervals)
               if result.staffing["support team"][k] != searched.staffing["support team"][k]]
    assert set(changed) <= set(missed_before)


def test_confirmed_staffing_holds_on_a_third_block_of_days():
    """Out of sample once more: the answer, simulated on another seed, has no interval whose whole
    95% CI misses a target; the search's own answer (the negative control) misses on the mean there."""
    scenario = load_scenario(SCENARIO_DIR / "help_desk.yaml")
    result = optimize_staffing(scenario, replications=10, seed=4, confirm_replications=20)
    fresh = run_scenario(result.optimized_scenario(), replications=40, seed=99)
    checks = check_intervals(fresh, result.constraints)
    by_key = {c.key: c for c in result.constraints}
    whole_ci_missed = [c.interval for c in checks for key in c.missed
                       if (by_key[key].at_least and c.values[key].ci95[1] < by_key[key].target)
                       or (not by_key[key].at_least and c.values[key].ci95[0] > by_key[key].target)]
    assert whole_ci_missed == []
    assert sum(not c.met for c in checks) <= 1
    searched = optimize_staffing(scenario, replications=10, seed=4, confirm_replications=0)
    control = check_intervals(run_scenario(searched.optimized_scenario(), replications=40, seed=99), result.constraints)
    assert sum(not c.met for c in control) >= 1


def test_progress_line_time_left_is_the_expected_calls_still_to_come_at_the_measured_rate():
    from presentation.optimize_output import ProgressLine
    from studies.optimize import Effort, Progress

    effort = Effort(calls_per_day=1000.0, replications=10, confirm_replications=20, groups=1, intervals=8,
                    max_iterations=60, max_repairs=20, peak_agents=16)
    # by hand, log2(16) = 4: confirmation 2 + max(1, 4/2 - 1) = 3 staffings; in all (5 x 4 - 10) x 1 = 10,
    # so the search 7. Calls: 7 x 10,000 + (3 - 1) x 20,000 + the answer once more x 10,000 = 120,000
    assert effort.confirm_staffings == 3 and effort.search_staffings == 7
    assert effort.expected_calls == 120_000
    clock = iter([0.0, 20.0])
    line = ProgressLine(effort, lambda: next(clock))
    text = line(Progress("search", 3, 60, 4, 40_000.0, 48.5))
    # 20 s for 40,000 calls: 0.5 ms a call; 120,000 - 40,000 = 80,000 calls left: 40 s
    assert text == "search iteration 3/60, 4 staffings, best so far 48.5 agent-hours; 20 s, about 40 s left"
    # past the expected count: one more iteration (2 staffings of 10,000 calls) at the same rate
    clock = iter([0.0, 60.0])
    late = ProgressLine(effort, lambda: next(clock))(Progress("search", 9, 60, 12, 120_000.0, 47.0))
    assert late.endswith("60 s, about 10 s left")


def test_cli_optimize_round_limit_says_not_converged_first_with_exit_3(tmp_path, capsys):
    code, out, err = run_cli(capsys, "optimize", HELP_DESK, "-r", "4", "-w", "1", "--max-iterations", "1",
                             "-o", tmp_path / "out", "--no-plots")
    assert code == 3  # its own code: 1 is "targets cannot be met" (the seats test below) and a bug
    assert out.splitlines()[0].startswith("NOT CONVERGED")
    lines = err.strip().splitlines()  # what it will simulate, then the one-line verdict
    assert lines[0].startswith("optimising: search on 4 replications") and len(lines) == 2
    assert lines[1].startswith("callsim: error: not converged") and "Traceback" not in err
    document = json.loads((tmp_path / "out" / "optimize.json").read_text())
    assert document["converged"] is False and document["stop_reason"] == "max_iterations"


def test_cli_optimize_one_confirmation_replication_is_one_line_exit_2(tmp_path, capsys):
    code, out, err = run_cli(capsys, "optimize", HELP_DESK, "--confirm-replications", "1", "-o", tmp_path / "out")
    assert_user_error(code, out, err, "at least 2 replications")
    assert not (tmp_path / "out").exists()


# --- over-staffing flags -----------------------------------------------------------------------


def test_slack_intervals_flag_an_agent_to_spare_and_not_a_tight_or_short_interval():
    # load 10 Erlangs each hour: 30 agents is far over, 12 is the Erlang A requirement, 8 misses
    scenario = single_queue([200, 200, 200, 200], [30, 12, 8, 30], interval_minutes=60)
    report = slack_intervals(scenario, replications=20, seed=2)
    flags = [(i.met, i.overstaffed) for i in report.intervals]
    assert flags[0] == (True, True) and flags[3] == (True, True)
    assert flags[2] == (False, False)
    assert report.overstaffed == ["00:00", "03:00"]
    assert report.extra_runs == 2


# --- the command ----------------------------------------------------------------------------


def test_cli_optimize_writes_a_runnable_optimized_scenario_and_the_trace(tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, err = run_cli(capsys, "optimize", SCENARIO_DIR / "two_queue_multiskill.yaml", "-r", "4",
                             "-w", "1", "-o", out_dir, "--json", "--no-plots")
    assert code == 0, err
    document = json.loads(out)
    assert document["stop_reason"] == "converged" and document["converged"]
    assert document["holds_out_of_sample"] and document["confirmation"]["replications"] == 8
    assert all(i["holds"] for i in document["intervals"])
    assert set(document["staffing"]) == {"generalists", "sales specialists"}
    names = {p.name for p in out_dir.iterdir()}
    assert {"two_queue_multiskill.optimized.yaml", "optimize_trace.csv", "optimize_trace.json",
            "optimize.json", "optimize_confirmation.csv"} <= names
    optimized = load_scenario(out_dir / "two_queue_multiskill.optimized.yaml")
    assert {g.name: list(g.staffing) for g in optimized.agents} == document["staffing"]
    trace_rows = (out_dir / "optimize_trace.csv").read_text().splitlines()
    assert len(trace_rows) - 1 == len(json.loads((out_dir / "optimize_trace.json").read_text())["trace"]) * 8


def test_cli_optimize_unmeetable_target_is_one_line_exit_2_and_nothing_written(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text((SCENARIO_DIR / "help_desk.yaml").read_text().replace(
        "service_level: {fraction: 0.8, within: 20}", "service_level: {fraction: 1.0, within: 0}"))
    code, out, err = run_cli(capsys, "optimize", path, "-o", tmp_path / "out", "-r", "2")
    assert_user_error(code, out, err, "100%")
    assert not (tmp_path / "out").exists()


def test_cli_optimize_seats_too_few_exit_1_with_the_intervals_named(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text((SCENARIO_DIR / "help_desk.yaml").read_text().replace(
        "staffing: [10, 10, 10, 10, 10, 10, 10, 10]", "staffing: [10, 10, 10, 10, 10, 10, 10, 10]\n    max_agents: 9"))
    code, out, err = run_cli(capsys, "optimize", path, "-o", tmp_path / "out", "-r", "4", "-w", "1", "--no-plots",
                             "--report")
    assert code == 1, err
    page = (tmp_path / "out" / "optimize_report.html").read_text()
    assert "Targets not met within the limits" in page and "08:00: best reached service level" in page
    lines = err.strip().splitlines()  # what it will simulate, then one line naming the intervals
    assert len(lines) == 2 and lines[0].startswith("optimising:") and "cannot meet" in lines[1]
    assert "08:00" in out and "TARGETS NOT MET" in out
    assert (tmp_path / "out" / "s.optimized.yaml").exists()


def test_run_and_plan_verify_flag_over_staffed_intervals(tmp_path, capsys):
    """run --slack and plan --verify report where one agent fewer still meets every target:
    a help desk with 6 extra agents in its first interval is over-staffed there, and the
    plan's own staffing (sized to the targets) is not flagged in that interval."""
    import yaml

    data = yaml.safe_load((SCENARIO_DIR / "help_desk.yaml").read_text())
    staffing = data["agents"][0]["staffing"]
    staffing[0] += 6
    path = tmp_path / "generous.yaml"
    path.write_text(yaml.safe_dump(data))
    code, out, err = run_cli(capsys, "run", path, "-r", "4", "--slack", "--json", "--no-plots", "-o", tmp_path / "r")
    assert code == 0, err
    slack = json.loads(out)["slack"]
    first = slack["intervals"][0]
    assert first["meets_targets"] and first["spare_groups"] == ["support team"]
    assert slack["overstaffed"][0] == first["interval"] and 1 <= slack["extra_runs"] <= 2  # two runs per group at most
    code, out, err = run_cli(capsys, "plan", path, "--verify", "-r", "4", "--json", "--no-plots", "-o", tmp_path / "p")
    assert code == 0, err
    planned_first = json.loads(out)["verify"]["slack"]["intervals"][0]
    assert planned_first["spare_groups"] == [] or not planned_first["meets_targets"]
