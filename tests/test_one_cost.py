"""One cost: `run` (agent_cost), `schedule` and `optimize` price the same day the same way
(simulator/cost.py): paid shift hours, paid breaks included and unpaid ones not; overtime on top
and stated separately (overtime_cost)."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_user_error, run_cli
from simulator import load_scenario
from simulator.loading import dump_scenario_yaml
from simulator.run import run_scenario
from studies.optimize import staffing_cost
from studies.schedule import Requirement, schedule_scenario

# 6 hours; a full day has a paid 15-minute break and an unpaid 30-minute lunch (5.5 paid hours at
# the group's 25/h = 137.50), a short shift is 2 paid hours at its own 30/h = 60.00
DAY = """\
schema_version: 1
name: One cost
interval_minutes: 30
start: "08:00"
arrivals:
  calls: [40, 60, 80, 80, 70, 60, 50, 40, 40, 50, 60, 40]
queues:
  - name: support
    talk_time: {dist: exponential, mean: 240}
    patience: {dist: exponential, mean: 300}
agents:
  - name: team
    serves: [support]
    staffing: [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10]
    hourly_cost: 25
targets:
  service_level: {fraction: 0.8, within: 20}
simulation: {replications: 3, seed: 11}
shifts:
  types:
    - name: full day
      length_minutes: 360
      starts: ["08:00"]
      breaks:
        - {name: break, minutes: 15, paid: true, starts_between_minutes: [60, 165]}
        - {name: lunch, minutes: 30, paid: false, starts_between_minutes: [180, 240]}
    - name: short
      length_minutes: 120
      starts: {first: "08:00", last: "12:00", every_minutes: 30}
      cost_per_hour: 30
"""

REQUIRED = (3, 5, 7, 7, 6, 5, 4, 3, 3, 4, 5, 3)


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory):
    path = tmp_path_factory.mktemp("one_cost") / "day.yaml"
    path.write_text(DAY)
    scenario = load_scenario(path)
    return schedule_scenario(scenario, Requirement({"team": REQUIRED}, "by hand"), shrinkage=0.0)


def test_the_schedule_pays_paid_breaks_and_not_unpaid_ones(scheduled):
    shifts = scheduled.solution.shifts
    assert {s.shift_type for s in shifts} >= {"full day"}
    by_hand = sum(s.count * (5.5 * 25 if s.shift_type == "full day" else 2 * 30) for s in shifts)
    assert scheduled.solution.cost == pytest.approx(by_hand)
    paid = scheduled.scheduled.agents[0].paid_cost
    assert len(paid) == 12 and sum(paid) == pytest.approx(by_hand)
    # every interval by hand: 25/h for each full-day agent not at lunch, 30/h for each short shift on
    slot_minutes = scheduled.slot_minutes
    for k in range(12):
        minutes = range(30 * k, 30 * k + 30)
        expected = 0.0
        for s in shifts:
            rate = 25 if s.shift_type == "full day" else 30
            lunch = [(b0 * slot_minutes, b1 * slot_minutes) for _, b0, b1, is_paid in s.breaks if not is_paid]
            for m in minutes:
                on = s.start_slot * slot_minutes <= m < s.end_slot * slot_minutes
                if on and not any(a <= m < b for a, b in lunch):
                    expected += s.count * rate / 60.0
        assert paid[k] == pytest.approx(expected), k


def test_run_on_the_scheduled_day_costs_what_schedule_says_plus_overtime(scheduled):
    result = run_scenario(scheduled.scheduled, replications=3, seed=5)
    agent_cost = result.per_replication["agent_cost"][:, -1]
    overtime_cost = result.per_replication["overtime_cost"][:, -1]
    overtime_s = result.per_replication["overtime_agent_seconds"][:, -1]
    np.testing.assert_allclose(agent_cost - overtime_cost, scheduled.solution.cost, rtol=1e-12)
    np.testing.assert_allclose(overtime_cost, overtime_s * 25 / 3600.0, rtol=1e-12)
    # the lunch is unpaid and 30/h shifts are dearer: pricing the phones' staffing instead differs
    on_phones = staffing_cost(scheduled.scheduled, [scheduled.staffing["team"]])
    assert on_phones != pytest.approx(scheduled.solution.cost)


def test_optimize_prices_a_staffing_as_run_does(scheduled):
    scenario = scheduled.scenario  # no paid_cost: staffing x hourly_cost
    staffing = [REQUIRED]
    result = run_scenario(scenario.with_staffing({"team": REQUIRED}), replications=2, seed=3)
    paid = result.per_replication["agent_cost"][:, -1] - result.per_replication["overtime_cost"][:, -1]
    np.testing.assert_allclose(paid, staffing_cost(scenario, staffing), rtol=1e-12)
    assert staffing_cost(scenario, staffing) == pytest.approx(sum(REQUIRED) * 0.5 * 25)


def test_new_staffing_drops_the_paid_cost_it_no_longer_describes(scheduled):
    changed = scheduled.scheduled.with_staffing({"team": REQUIRED})
    assert changed.agents[0].paid_cost is None
    assert "paid_cost" not in dump_scenario_yaml(changed)
    assert "paid_cost" in dump_scenario_yaml(scheduled.scheduled)


def test_paid_cost_with_the_wrong_number_of_intervals_is_named(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(DAY.replace("    hourly_cost: 25\n", "    hourly_cost: 25\n    paid_cost: [1, 2, 3]\n"))
    code, out, err = run_cli(capsys, "validate", path)
    assert_user_error(code, out, err, "bad.yaml", "paid_cost", "has 3 intervals")
