"""Joint staffing and shifts confirmed out of sample (issue 22): `schedule --by-simulation` judges
its final schedule on replications the rounds never simulated (from index 1,000,000, as
`optimize` confirms), per interval and target on the one-sided bound, repairs it where it misses,
and states the seeds, the replications and the LP bound of the shift problem."""
from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from helpers import run_cli
from planner.shifts import GroupProblem, ShiftRule, lp_bound
from simulator import load_scenario
from simulator.batch import run_scenarios
from studies.optimize import CONFIRM_FIRST_REPLICATION
from studies.schedule import Requirement, confirmed_misses, schedule_by_simulation

DAY = {
    "schema_version": 1, "name": "Confirmed day", "interval_minutes": 30, "start": "08:00",
    "arrivals": {"calls": [30, 50, 70, 70, 60, 50, 40, 40]},
    "queues": [{"name": "q", "talk_time": {"dist": "exponential", "mean": 240},
                "patience": {"dist": "exponential", "mean": 300}}],
    "agents": [{"name": "team", "serves": ["q"], "staffing": [8] * 8, "hourly_cost": 20}],
    "targets": {"service_level": {"fraction": 0.8, "within": 20}},
    "simulation": {"replications": 4, "seed": 21},
    "shifts": {"types": [{"name": "short", "length_minutes": 120,
                          "starts": {"first": "08:00", "last": "10:00", "every_minutes": 30}}]},
}


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    path = tmp_path_factory.mktemp("confirm") / "day.yaml"
    path.write_text(yaml.safe_dump(DAY, sort_keys=False))
    return path, load_scenario(path)


@pytest.fixture(scope="module")
def rounds(day):
    _, scenario = day
    # an Erlang-like start, two agents short of what 80/20 needs at the peak: the rounds must raise it
    requirement = Requirement({"team": (3, 5, 7, 7, 6, 5, 4, 4)}, "by hand")
    return schedule_by_simulation(scenario, requirement, 0.0, 30, 25, 4, 21, confirm_replications=12)


def test_the_confirmation_runs_on_fresh_replications_and_holds(rounds):
    assert rounds.converged
    c = rounds.confirmation
    assert (c.seed, c.first_replication, c.replications) == (21, CONFIRM_FIRST_REPLICATION, 12)
    # the same days as run_scenarios from index 1,000,000, not the rounds' days 0..3
    again = run_scenarios([c.schedule.scheduled], 12, 21, first_replication=CONFIRM_FIRST_REPLICATION,
                          sample_day=False)[0]
    np.testing.assert_array_equal(again.per_replication["service_level"], c.result.per_replication["service_level"])
    in_sample = run_scenarios([c.schedule.scheduled], 12, 21, sample_day=False)[0]
    assert not np.array_equal(in_sample.per_replication["offered"], c.result.per_replication["offered"])
    assert c.held and not c.missed and confirmed_misses(c.result, c.confidence) == {}
    assert rounds.answer is c.schedule and c.schedule.solution.cost >= rounds.final.solution.cost


def test_the_rule_is_the_one_sided_bound_and_an_understaffed_day_fails_it(rounds):
    """Power and control: one agent fewer everywhere than the confirmed schedule misses on the
    same fresh replications; the mean rule is weaker than the bound (never misses more)."""
    c = rounds.confirmation
    fewer = c.schedule.scheduled.with_staffing({"team": [max(0, n - 1) for n in c.schedule.staffing["team"]]})
    result = run_scenarios([fewer], 12, 21, first_replication=CONFIRM_FIRST_REPLICATION, sample_day=False)[0]
    on_bound = confirmed_misses(result, 0.95)
    assert on_bound, "one agent fewer everywhere must miss somewhere"
    on_mean = confirmed_misses(result, 0.5)  # the one-sided 50% bound is the mean
    assert sum(map(len, on_mean.values())) <= sum(map(len, on_bound.values()))


def test_the_lp_bound_is_the_relaxation_by_hand():
    """A 2-slot shift starting at slot 0, 1 or 2 over 4 slots needing (1, 2, 2, 1): slots 0 and 3
    force x0 >= 1 and x2 >= 1, slots 1 and 2 then x1 >= 1, so the LP optimum is 3 shifts (no
    fractional cover is cheaper); a 1.5-agent requirement rounds up to 2 at a desk first."""
    shift = ShiftRule("two", 2, (0, 1, 2), (), 10.0, 2)
    assert lp_bound([GroupProblem("g", (1, 2, 2, 1), (shift,))]) == pytest.approx(30.0)
    assert lp_bound([GroupProblem("g", (1, 1.5, 2, 1), (shift,))]) == pytest.approx(30.0)
    assert lp_bound([GroupProblem("g", (1, 3, 2, 1), (shift,))]) == pytest.approx(40.0)  # x0 = 2 or x1 = 2


def test_schedule_json_states_the_seeds_replications_and_lp_bound(day, tmp_path, capsys):
    path, _ = day
    code, out, err = run_cli(capsys, "schedule", path, "--by-simulation", "-r", "4", "--confirm-replications", "8",
                             "-o", tmp_path / "out", "--no-plots")
    assert code == 0, err
    assert "Confirmed out of sample: replications 1,000,000-1,000,007 of seed 21" in out
    document = json.loads((tmp_path / "out" / "schedule.json").read_text())
    c = document["by_simulation"]["confirmation"]
    assert (c["seed"], c["first_replication"], c["replications"], c["confidence"]) == (21, 1_000_000, 8, 0.95)
    assert c["lp_bound"] <= c["cost"] + 1e-9 and c["held"] is True
    code, out, err = run_cli(capsys, "schedule", path, "--by-simulation", "-r", "4", "--confirm-replications", "0",
                             "-o", tmp_path / "off", "--no-plots")
    assert code == 0 and "Confirmed out of sample" not in out
