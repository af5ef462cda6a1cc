"""callsim schedule: the shift programme against optima worked out by hand, the rules' checks,
and the command end to end (requirement sources, --verify, --by-simulation, bad input)."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from helpers import SCENARIO_DIR, assert_user_error, run_cli
from planner.shifts import BreakRule, GroupProblem, ShiftRule, SolverProgress, parse_highs_line, solve_shifts
from simulator import load_scenario
from simulator.run import run_scenario
from studies.schedule import missed_intervals, requirement_from_plan, schedule_scenario

SHIPPED = SCENARIO_DIR / "retail_bank_shifts.yaml"


def shift(name, length, starts, cost, breaks=(), **caps):
    paid = length - sum(b.slots for b in breaks if not b.paid)
    return ShiftRule(name, length, tuple(starts), tuple(breaks), float(cost), paid, **caps)


# --- exact optima, worked out by hand -----------------------------------------------------------


def test_one_full_day_type_flat_requirement():
    # 16 half-hour slots (8 h), one 8 h shift from slot 0 at 20/h: r agents, cost r x 8 x 20
    rule = shift("8 h", 16, [0], 8 * 20)
    result = solve_shifts([GroupProblem("g", (5.0,) * 16, (rule,))])
    assert result.solver_status == "optimal" and result.mip_gap == 0.0 and not result.short
    assert result.agents == 5 and result.cost == pytest.approx(800.0)


# --- the solver's progress (HiGHS's log, read while it solves) ---------------------------------


def test_highs_log_rows_are_read_as_incumbent_bound_gap_and_time():
    # rows copied from HiGHS 1.12's log; the header and report lines are not progress
    row = " C       0       0         0   0.00%   15.39410015     25.4664442        39.55%      584      5      0        84     0.6s"
    progress = parse_highs_line(row)
    assert (progress.incumbent, progress.bound, progress.time_s) == (25.4664442, 15.39410015, 0.6)
    assert progress.gap == pytest.approx(0.3955)
    first = " u       0       0         0   0.00%   -inf            1453.453107        Large        0      0      0         0     0.1s"
    assert parse_highs_line(first) == SolverProgress(1453.453107, None, None, 0.1)
    plain = "         0       0         0   0.00%   15.46159649     15.78307959        2.04%     3537     28      0       856     5.0s"
    assert parse_highs_line(plain).gap == pytest.approx(0.0204)
    for other in ("Src  Proc. InQueue |  Leaves   Expl. | BestBound       BestSol              Gap |   Cuts   InLp Confl. | LpIters     Time",
                  "  Gap               2.04%", "80 rows, 120 cols, 4822 nonzeros  0s", ""):
        assert parse_highs_line(other) is None


def test_progress_shows_the_solver_reaching_the_optimum_and_nothing_reaches_stdout(capfd):
    # the shipped day's shift problem: the last row's incumbent is the optimum's cost, the bound below it
    scenario = load_scenario(SHIPPED)
    seen = []
    schedule = schedule_scenario(scenario, requirement_from_plan(scenario), on_solver_progress=seen.append)
    assert seen, "HiGHS's log gave no progress row"
    with_incumbent = [p for p in seen if p.incumbent is not None]
    assert with_incumbent[-1].incumbent == pytest.approx(schedule.solution.cost, rel=1e-6)
    assert all(p.bound is None or p.bound <= p.incumbent + 1e-6 for p in with_incumbent)
    assert [p.time_s for p in seen] == sorted(p.time_s for p in seen)
    out, _ = capfd.readouterr()
    assert out == ""  # the log went to the progress, not to the terminal
    quiet = schedule_scenario(scenario, requirement_from_plan(scenario))  # no callback: the same answer
    assert quiet.solution.cost == schedule.solution.cost


def test_sixteen_hour_day_needs_two_back_to_back_teams():
    # 32 half-hour slots, 8 h shifts starting every hour: flat 3 needs 3 early + 3 late, no overlap pays
    rule = shift("8 h", 16, range(0, 17, 2), 160)
    result = solve_shifts([GroupProblem("g", (3.0,) * 32, (rule,))])
    assert result.cost == pytest.approx(6 * 160.0)
    assert sorted((s.start_slot, s.count) for s in result.shifts) == [(0, 3), (16, 3)]


@pytest.mark.parametrize("part_time_hourly, expected_cost, expected_type", [(25.0, 320.0, "full"), (15.0, 240.0, "part")])
def test_two_types_the_cheaper_cover_is_chosen(part_time_hourly, expected_cost, expected_type):
    # 8 h day, 2 agents all day: two full-timers (2 x 160) or four 4 h part-timers (4 x 4 x hourly)
    full = shift("full", 16, [0], 8 * 20)
    part = shift("part", 8, [0, 8], 4 * part_time_hourly)
    result = solve_shifts([GroupProblem("g", (2.0,) * 16, (full, part))])
    assert result.cost == pytest.approx(expected_cost)
    assert {s.shift_type for s in result.shifts} == {expected_type}


def test_part_time_share_cap():
    # 10 agents all day; part-timers cheaper (120 per 8 h of cover vs 160) but at most 30% of agents.
    # With n full-timers and p part-timers per half: n + p >= 10 and 2p <= 0.3 (n + 2p), i.e.
    # p <= 0.214 n: n = 9, p = 1 is the cheapest (9 x 160 + 2 x 60 = 1,560; n = 8 would need p = 2 > 1.71).
    full = shift("full", 16, [0], 160)
    part = shift("part", 8, [0, 8], 60, max_share=0.3)
    result = solve_shifts([GroupProblem("g", (10.0,) * 16, (full, part))])
    assert result.cost == pytest.approx(1560.0)
    counts = {}
    for s in result.shifts:
        counts[s.shift_type] = counts.get(s.shift_type, 0) + s.count
    assert counts == {"full": 9, "part": 2}
    uncapped = solve_shifts([GroupProblem("g", (10.0,) * 16, (full, shift("part", 8, [0, 8], 60)))])
    assert uncapped.cost == pytest.approx(20 * 60.0)  # negative control: without the cap, all part-time


def test_break_window_forces_extra_agents():
    # 32 quarter-hour slots; each agent takes one 15-min break starting in slots 4..8 (5 starts).
    # With 5 needed at a desk, at most one agent per slot can be away: n agents need n breaks in
    # 5 slots, so n - ceil(n / 5) >= 5 -> n = 7 (6 agents would leave some slot with 4).
    rest = BreakRule("break", 1, True, 4, 8)
    rule = shift("8 h", 32, [0], 100, [rest])
    result = solve_shifts([GroupProblem("g", (5.0,) * 32, (rule,))])
    assert result.agents == 7 and result.cost == pytest.approx(700.0)
    coverage = result.coverage[0]
    assert min(coverage.at_desk) >= 5
    for s in result.shifts:
        (_, start, end, _), = s.breaks
        assert 4 <= start - s.start_slot <= 8 and end - start == 1


def test_unpaid_lunch_lowers_the_cost_and_every_break_stays_in_its_window():
    # two breaks: a paid 1-slot break in [2, 4] and an unpaid 2-slot lunch in [6, 9] of a 16-slot shift
    breaks = (BreakRule("break", 1, True, 2, 4), BreakRule("lunch", 2, False, 6, 9))
    rule = shift("8 h", 16, range(0, 9), 10.0 * 14, breaks)  # cost per paid slot 10: 14 paid slots
    assert rule.paid_slots == 14
    result = solve_shifts([GroupProblem("g", tuple([2.0] * 24), (rule,))])
    assert result.solver_status == "optimal"
    for s in result.shifts:
        (b_name, b0, b1, _), (l_name, l0, l1, paid) = s.breaks
        assert 2 <= b0 - s.start_slot <= 4 and 6 <= l0 - s.start_slot <= 9 and b1 <= l0 and not paid
    assert min(result.coverage[0].at_desk) >= 2
    assert result.paid_slots == 14 * result.agents


def test_shrinkage_rounds_exactly():
    # 7 on the phones at 30% shrinkage: 7 / 0.7 = 10 at a desk, not 11 (a floating-point trap)
    rule = shift("8 h", 16, [0], 1)
    result = solve_shifts([GroupProblem("g", (7.0,) * 16, (rule,))], shrinkage=0.3)
    assert result.agents == 10
    assert min(result.coverage[0].on_phones) == pytest.approx(7.0)


def test_seats_below_the_requirement_gives_the_least_shortfall():
    # 5 needed, 4 seats, 8 h with no breaks: 4 agents, 1 short in every one of the 16 slots
    rule = shift("8 h", 16, [0], 160)
    result = solve_shifts([GroupProblem("g", (5.0,) * 16, (rule,), seats=4)])
    assert result.short and result.shortfall_agent_slots == pytest.approx(16.0)
    assert result.agents == 4 and result.cost == pytest.approx(640.0)
    assert result.coverage[0].shortfall == (1.0,) * 16


def test_shortfall_is_spread_not_piled_up():
    # 4 needed, 4 seats, 32 quarter-hour slots, one 1-slot break in slots 8..15: every agent's break
    # leaves one agent missing somewhere (4 agent-slots in all, whatever the placement); the least
    # worst slot puts the four breaks in four different slots (worst 1, not 4)
    rule = shift("8 h", 32, [0], 100, [BreakRule("break", 1, True, 8, 15)])
    result = solve_shifts([GroupProblem("g", (4.0,) * 32, (rule,), seats=4)])
    assert result.short and result.shortfall_agent_slots == pytest.approx(4.0)
    assert max(result.coverage[0].shortfall) == pytest.approx(1.0)
    assert result.agents == 4


# --- the shipped scenario: coverage and breaks in every shift ---------------------------------


@pytest.fixture(scope="module")
def shipped_schedule():
    scenario = load_scenario(SHIPPED)
    return schedule_scenario(scenario, requirement_from_plan(scenario))


def test_shipped_schedule_covers_and_respects_every_rule(shipped_schedule):
    schedule = shipped_schedule
    scenario = schedule.scenario
    rules = {t.name: t for t in scenario.shifts.types}
    slot = schedule.slot_minutes
    assert schedule.solution.solver_status == "optimal" and schedule.solution.mip_gap == 0.0
    n = scenario.n_intervals * scenario.interval_minutes // slot
    at_desk = [0] * n
    agents_by_type = {}
    for s in schedule.solution.shifts:
        rule = rules[s.shift_type]
        assert (s.end_slot - s.start_slot) * slot == rule.length_minutes
        start_clock = schedule.clock(s.start_slot)
        assert start_clock in rule.start_clocks()
        previous_end = s.start_slot
        assert len(s.breaks) == len(rule.breaks)
        for (name, b0, b1, paid), rest in zip(s.breaks, rule.breaks):
            earliest, latest = rest.starts_between_minutes
            assert earliest <= (b0 - s.start_slot) * slot <= latest, (s, name)
            assert (b1 - b0) * slot == rest.minutes and paid == rest.paid and b0 >= previous_end
            previous_end = b1
        assert previous_end <= s.end_slot
        for j in range(s.start_slot, s.end_slot):
            if not any(b0 <= j < b1 for _, b0, b1, _ in s.breaks):
                at_desk[j] += s.count
        agents_by_type[s.shift_type] = agents_by_type.get(s.shift_type, 0) + s.count
    # recomputed from the shifts: the same coverage the solver reports, and enough everywhere
    coverage = schedule.solution.coverage[0]
    assert tuple(at_desk) == coverage.at_desk
    shrink = schedule.shrinkage
    for j, need in enumerate(coverage.required):
        assert at_desk[j] * (1 - shrink) >= need - 1e-9
        assert at_desk[j] <= scenario.shifts.seats["agents"]
    total = sum(agents_by_type.values())
    for name, rule in rules.items():
        if rule.max_share is not None:
            assert agents_by_type.get(name, 0) <= rule.max_share * total + 1e-9
    # the scheduled scenario's staffing never falls below the requirement
    required = schedule.requirement.agents["agents"]
    assert all(s >= r for s, r in zip(schedule.staffing["agents"], required))
    assert schedule.scheduled.agents[0].staffing == schedule.staffing["agents"]


# --- the command ----------------------------------------------------------------------------------

SMALL = """\
schema_version: 1
name: Small help desk with shifts
interval_minutes: 30
start: "08:00"
arrivals:
  calls: [40, 60, 80, 80, 70, 60, 50, 40]
  busyness_cv: 0.1
queues:
  - name: support
    talk_time: {dist: lognormal, mean: 240, cv: 1.5}
    acw: {dist: exponential, mean: 45}
    patience: {dist: weibull, shape: 0.7, scale: 300}
agents:
  - name: team
    serves: [support]
    staffing: [10, 10, 10, 10, 10, 10, 10, 10]
    hourly_cost: 25
targets:
  service_level: {fraction: 0.8, within: 20}
  asa: 30
  abandon_rate: 0.05
simulation: {replications: 8, seed: 7}
shifts:
  types:
    - name: full day
      length_minutes: 240
      starts: ["08:00"]
      breaks:
        - {name: break, minutes: 15, starts_between_minutes: [60, 165]}
    - name: short
      length_minutes: 120
      starts: {first: "08:00", last: "10:00", every_minutes: 30}
      cost_per_hour: 30
"""


def write_scenario(tmp_path: Path, text: str = SMALL, name: str = "small.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_schedule_writes_runnable_outputs(tmp_path, capsys):
    path = write_scenario(tmp_path)
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "schedule", path, "-o", out, "--report")
    assert code == 0, err
    assert "optimal (proven by HiGHS, gap 0%)" in stdout
    for name in ("shifts.csv", "coverage.csv", "small.scheduled.yaml", "schedule.json", "schedule_coverage.png",
                 "schedule_report.html"):
        assert (out / name).exists(), name
    document = json.loads((out / "schedule.json").read_text())
    assert document["solver"]["status"] == "optimal" and document["solver"]["mip_gap"] == 0.0
    scheduled = load_scenario(out / "small.scheduled.yaml")
    assert list(scheduled.agents[0].staffing) == document["staffing"]["team"]
    rows = list(csv.DictReader(io.StringIO((out / "shifts.csv").read_text())))
    assert sum(int(r["count"]) for r in rows) == document["agents"]
    cost = sum(float(r["cost"]) for r in rows)
    assert cost == pytest.approx(document["cost"])
    # cost by hand from the rows: full day 4 h at the group's 25/h, short 2 h at 30/h
    by_hand = sum(int(r["count"]) * (4 * 25 if r["shift_type"] == "full day" else 2 * 30) for r in rows)
    assert by_hand == pytest.approx(document["cost"])


def test_requirement_from_plan_csv_equals_from_plan(tmp_path, capsys):
    path = write_scenario(tmp_path)
    code, _, err = run_cli(capsys, "plan", path, "-o", tmp_path / "plan", "--no-plots")
    assert code == 0, err
    code, out_a, err = run_cli(capsys, "schedule", path, "-o", tmp_path / "a", "--json", "--no-plots")
    assert code == 0, err
    code, out_b, err = run_cli(capsys, "schedule", path, "-o", tmp_path / "b", "--json", "--no-plots",
                               "--requirements", tmp_path / "plan" / "plan.csv")
    assert code == 0, err
    code, out_c, err = run_cli(capsys, "schedule", path, "-o", tmp_path / "c", "--json", "--no-plots",
                               "--requirements", tmp_path / "plan" / "small.planned.yaml")
    assert code == 0, err
    a, b, c = (json.loads(text) for text in (out_a, out_b, out_c))
    assert a["cost"] == b["cost"] == c["cost"]
    assert [r["required"] for r in a["intervals"]] == [r["required"] for r in b["intervals"]]
    assert "plan.csv" in b["requirement_source"]


def test_by_simulation_closes_the_loop(tmp_path, capsys):
    path = write_scenario(tmp_path)
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "schedule", path, "-o", out, "--by-simulation", "--verify", "--json",
                                "--no-plots", "-w", "1")
    assert code == 0, err
    document = json.loads(stdout)
    rounds = document["by_simulation"]
    assert rounds["converged"]
    assert len(rounds["rounds"]) >= 2  # the analytic schedule misses somewhere: the loop has work to do
    assert rounds["rounds"][0]["missed"] and not rounds["rounds"][-1]["missed"]
    assert rounds["extra_paid_hours"] == pytest.approx(rounds["final_paid_hours"] - rounds["analytic_paid_hours"])
    assert rounds["extra_paid_hours"] > 0
    # independently: the written scenario, simulated with the same seed and replications, misses nothing
    scheduled = load_scenario(out / "small.scheduled.yaml")
    result = run_scenario(scheduled, replications=8, seed=7)
    assert missed_intervals(result) == {}
    # and the analytic schedule (round 1) does miss: the loop's check is not vacuous
    first = schedule_scenario(scheduled, requirement_from_plan(scheduled))
    assert missed_intervals(run_scenario(first.scheduled, replications=8, seed=7)) != {}
    trace = list(csv.DictReader(io.StringIO((out / "by_simulation.csv").read_text())))
    assert {int(r["round"]) for r in trace} == set(range(1, len(rounds["rounds"]) + 1))
    assert document["verify"]["rows"][-1]["interval"] == "day"


def test_by_simulation_stopped_by_the_round_limit_says_not_converged_first_and_exits_3(tmp_path, capsys):
    path = write_scenario(tmp_path)  # its analytic schedule misses (test above): one round cannot finish
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "schedule", path, "-o", out, "--by-simulation", "--max-rounds", "1",
                                "--no-plots", "-w", "1")
    assert code == 3  # NOT CONVERGED's own code (1: targets cannot be met)
    assert stdout.splitlines()[0].startswith("NOT CONVERGED: --by-simulation stopped after 1 rounds")
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "NOT CONVERGED" in lines[0] and "Traceback" not in err
    rounds = json.loads((out / "schedule.json").read_text())["by_simulation"]
    assert rounds["round_limit"] and not rounds["converged"]
    assert (out / "small.scheduled.yaml").exists()  # written, as a result to look at


def test_seats_fewer_than_the_requirement_names_the_short_intervals(tmp_path, capsys):
    text = SMALL + "  seats: {team: 8}\n"
    path = write_scenario(tmp_path, text)
    code, stdout, err = run_cli(capsys, "schedule", path, "-o", tmp_path / "out", "--no-plots")
    assert code == 0, err
    assert "SHORT" in stdout and "Short intervals" in stdout and "'team' has 8 seats but needs" in stdout
    document = json.loads((tmp_path / "out" / "schedule.json").read_text())
    assert document["short"] and document["short_intervals"]
    required = {r["interval"]: r["required"] for r in document["intervals"]}
    # short exactly where 8 seats cannot put the requirement on the phones
    assert {s["interval"] for s in document["short_intervals"]} == {k for k, v in required.items() if v > 8}


BAD = [
    ([("length_minutes: 240", "length_minutes: 600")], ["shifts.types[0].length_minutes", "longer than the day"]),
    ([("starts_between_minutes: [60, 165]", "starts_between_minutes: [60, 230]")],
     ["shifts.types[0].breaks[0].starts_between_minutes", "inside the shift"]),
    ([("length_minutes: 240", "length_minutes: 180"), ('starts: ["08:00"]', 'starts: ["09:00"]'),
      ('first: "08:00"', 'first: "09:00"')], ["shifts.types", "no shift type can cover the interval at 08:00"]),
    ([('starts: ["08:00"]', 'starts: ["10:00"]')], ["shifts.types[0].starts[0]", "outside the day"]),
    ([("length_minutes: 120", "length_minutes: 122")], ["shifts.types[1].length_minutes", "5-minute grid"]),
    ([("cost_per_hour: 30", "cost_per_hour: 30\n      groups: [nobody]")], ["shifts.types[1].groups[0]",
                                                                         "unknown agent group"]),
    ([('starts: ["08:00"]', "starts: [8:00]")], ["shifts.types[0].starts", "quote clock times"]),
]


@pytest.mark.parametrize("edits, fragments", BAD)
def test_bad_rules_are_one_line_errors(tmp_path, capsys, edits, fragments):
    text = SMALL
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path = write_scenario(tmp_path, text)
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "schedule", path, "-o", out)
    line = assert_user_error(code, stdout, err, *fragments)
    assert f"{path}:" in line  # names the file and line
    assert not out.exists()


def test_break_windows_must_not_overlap(tmp_path, capsys):
    text = SMALL.replace("        - {name: break, minutes: 15, starts_between_minutes: [60, 165]}",
                         "        - {name: break, minutes: 15, starts_between_minutes: [60, 120]}\n"
                         "        - {name: lunch, minutes: 30, paid: false, starts_between_minutes: [90, 180]}")
    code, stdout, err = run_cli(capsys, "schedule", write_scenario(tmp_path, text))
    assert_user_error(code, stdout, err, "shifts.types[0].breaks[1].starts_between_minutes", "do not overlap")


def test_no_shifts_section_and_bad_requirements(tmp_path, capsys):
    code, stdout, err = run_cli(capsys, "schedule", SCENARIO_DIR / "help_desk.yaml", "-o", tmp_path / "x")
    assert_user_error(code, stdout, err, "no 'shifts:' section")
    path = write_scenario(tmp_path)
    plan = tmp_path / "plan.csv"
    plan.write_text("queue,group,interval,required_agents\nsupport,nobody,08:00,3\n")
    code, stdout, err = run_cli(capsys, "schedule", path, "--requirements", plan, "-o", tmp_path / "x")
    assert_user_error(code, stdout, err, f"{plan}:2", "unknown agent group 'nobody'")
    plan.write_text("queue,group,interval,required_agents\nsupport,team,07:00,3\n")
    code, stdout, err = run_cli(capsys, "schedule", path, "--requirements", plan, "-o", tmp_path / "x")
    assert_user_error(code, stdout, err, f"{plan}:2", "interval '07:00'")
    code, stdout, err = run_cli(capsys, "schedule", path, "--requirements", plan, "--from-plan")
    assert_user_error(code, stdout, err, "not both")
    # a requirement in an interval only the second type could cover, once that type is closed to the group
    text = SMALL.replace('starts: ["08:00"]', 'starts: ["08:00"]\n      groups: [team]').replace(
        "      cost_per_hour: 30", "      cost_per_hour: 30\n      max_agents: 0")
    code, _, err = run_cli(capsys, "schedule", write_scenario(tmp_path, text, "capped.yaml"), "-o", tmp_path / "y")
    assert code == 0, err  # the full-day type still covers every interval
    assert not (tmp_path / "x").exists()


def test_shipped_example_validates_and_documents_its_rules():
    scenario = load_scenario(SHIPPED)
    names = [t.name for t in scenario.shifts.types]
    assert any("full-time" in n for n in names) and any("part-time" in n for n in names)
    data = yaml.safe_load(SHIPPED.read_text())
    assert "field guide" in data["description"]


@pytest.mark.slow
def test_by_simulation_on_the_shipped_scenario_leaves_no_interval_missing(tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "schedule", SHIPPED, "-o", out, "--by-simulation", "--json", "--no-plots",
                                "-r", "10", "-w", "2")
    assert code == 0, err
    rounds = json.loads(stdout)["by_simulation"]
    assert rounds["converged"] and not rounds["rounds"][-1]["missed"]
    assert rounds["extra_paid_hours"] >= 0
    scheduled = load_scenario(out / "retail_bank_shifts.scheduled.yaml")
    assert missed_intervals(run_scenario(scheduled, replications=10, workers=2)) == {}



def _explicit_optimum(problem: GroupProblem) -> float:
    """Dantzig's explicit model, the independent reference: one column per shift and combination of
    break starts (only for tiny days), solved by HiGHS directly."""
    import itertools

    import numpy as np
    from scipy.optimize import LinearConstraint, milp

    n = len(problem.required)
    columns, costs, types = [], [], []
    for t, rule in enumerate(problem.shift_types):
        windows = [range(b.earliest_slot, b.latest_slot + 1) for b in rule.breaks]
        for start in rule.start_slots:
            for offsets in itertools.product(*windows):
                column = np.zeros(n)
                column[start:start + rule.length_slots] = 1
                for b, off in zip(rule.breaks, offsets):
                    column[start + off:start + off + b.slots] = 0
                columns.append(column)
                costs.append(rule.cost)
                types.append(t)
    a = np.array(columns).T
    rows = [LinearConstraint(a, np.array(problem.required), np.inf)]
    if problem.seats is not None:
        rows.append(LinearConstraint(a, -np.inf, problem.seats))
    for t, rule in enumerate(problem.shift_types):
        if rule.max_share is not None:
            mine = np.array([1.0 if k == t else 0.0 for k in types])
            rows.append(LinearConstraint((mine - rule.max_share).reshape(1, -1), -np.inf, 0.0))
    result = milp(np.array(costs), integrality=np.ones(len(costs)), constraints=rows,
                  options={"mip_rel_gap": 0.0})
    assert result.status == 0
    return float(result.fun)


@pytest.mark.parametrize("seed", range(4))
def test_both_implicit_formulations_equal_explicit_columns(seed):
    # random small days (24 slots): Aykin's and Bechtold-Jacobs's models reach exactly the optimum
    # of the explicit model, which enumerates every shift-with-breaks
    import random

    rng = random.Random(seed)
    required = tuple(float(rng.randint(1, 5)) for _ in range(24))
    rules = (
        shift("long", 12, range(0, 13, 2), 12 * 10, [BreakRule("b1", 1, True, 2, 4), BreakRule("lunch", 2, False, 5, 8)]),
        shift("short", 6, range(0, 19), 6 * 12, [BreakRule("b", 1, True, 2, 3)], max_share=0.4),
    )
    problem = GroupProblem("g", required, rules, seats=rng.choice([None, 12]))
    expected = _explicit_optimum(problem)
    for formulation in ("aykin", "bechtold_jacobs"):
        result = solve_shifts([problem], formulation=formulation)
        assert result.solver_status == "optimal" and not result.short
        assert result.cost == pytest.approx(expected), formulation
        assert all(p >= r for p, r in zip(result.coverage[0].on_phones, required))
        for s in result.shifts:
            rule = rules[0] if s.shift_type == "long" else rules[1]
            for (_, b0, b1, _), b in zip(s.breaks, rule.breaks):
                assert b.earliest_slot <= b0 - s.start_slot <= b.latest_slot and b1 - b0 == b.slots


def test_a_time_limit_too_short_is_reported_not_crashed(tmp_path, capsys):
    # HiGHS either finds no schedule in 1 ms (one-line error, exit 2, nothing written) or reports
    # the best found with its gap: never a traceback, never "optimal" without the proof
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "schedule", SHIPPED, "--time-limit", "0.001", "-o", out, "--no-plots")
    if code == 2:
        assert_user_error(code, stdout, err, "no schedule within", "raise the time limit")
        assert not out.exists()
    else:
        assert code == 0, err
        document = json.loads((out / "schedule.json").read_text())
        assert document["solver"]["status"] == "time_limit" and document["solver"]["mip_gap"] > 0
        assert "time limit reached" in stdout


def test_several_groups_types_and_seats_per_group(tmp_path):
    # the shipped two-group scenario with shift rules: the part-time type is open to the
    # generalists only, and the specialists have 3 seats: only they come out short, and only
    # where their requirement exceeds 3; every group's requirement is met elsewhere
    data = yaml.safe_load((SCENARIO_DIR / "two_queue_multiskill.yaml").read_text())
    generalists, specialists = (g["name"] for g in data["agents"])
    data["shifts"] = {"types": [
        {"name": "full", "length_minutes": 480, "starts": [data["start"]],
         "breaks": [{"name": "b", "minutes": 15, "starts_between_minutes": [60, 120]}]},
        {"name": "part", "length_minutes": 120, "starts": {"first": data["start"], "last": "15:00", "every_minutes": 60},
         "groups": [generalists]},
    ], "seats": {specialists: 3}}
    path = tmp_path / "multi.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    scenario = load_scenario(path)
    schedule = schedule_scenario(scenario, requirement_from_plan(scenario))
    assert schedule.solution.short
    assert {s.shift_type for s in schedule.solution.shifts if s.group == specialists} == {"full"}
    assert sum(s.count for s in schedule.solution.shifts if s.group == specialists) == 3
    short = {(group, label) for group, label, _ in schedule.short_intervals()}
    labels = scenario.interval_labels()
    required = schedule.requirement.agents
    assert short == {(specialists, labels[k]) for k, r in enumerate(required[specialists]) if r > 3}
    assert all(p >= r for p, r in zip(schedule.staffing[generalists], required[generalists]))
    assert schedule.seat_limits()[0][:2] == (specialists, 3)
