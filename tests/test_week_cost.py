"""One cost for a week: weekly tours are priced per day and interval as one-day schedules are
(simulator/cost.py: paid shift hours at their own rates, paid breaks included, unpaid ones not),
so `run` on a day of the scheduled week costs what the tours cost that day, plus overtime."""
from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from helpers import run_cli
from simulator import load_scenario
from simulator.run import run_scenario
from studies.optimize import staffing_cost
from studies.week import schedule_week

# full days: 6 h with a paid 30-minute break and an unpaid 1-hour lunch (5 paid h at the group's
# 20/h = 100); short shifts: 3 h at their own 26/h = 78; Sunday closed
WEEK = {
    "schema_version": 1,
    "name": "Priced week",
    "interval_minutes": 30,
    "start": "09:00",
    "arrivals": {"calls": [20, 30, 40, 40, 30, 30, 40, 40, 30, 30, 20, 20]},
    "queues": [{"name": "q", "talk_time": {"dist": "exponential", "mean": 240}}],
    "agents": [{"name": "team", "serves": ["q"], "staffing": [3] * 12, "hourly_cost": 20}],
    "targets": {"service_level": {"fraction": 0.8, "within": 20}},
    "simulation": {"replications": 2, "seed": 4},
    "days": [{"date": "2026-03-02"}, {"date": "2026-03-03", "volume": 0.9}, {"date": "2026-03-04"},
             {"date": "2026-03-05", "volume": 1.1}, {"date": "2026-03-06"}, {"date": "2026-03-07", "volume": 0.6},
             {"date": "2026-03-08", "closed": True}],
    "shifts": {
        "types": [{"name": "full", "length_minutes": 360, "starts": ["09:00"],
                   "breaks": [{"name": "break", "minutes": 30, "paid": True, "starts_between_minutes": [60, 90]},
                              {"name": "lunch", "minutes": 60, "paid": False, "starts_between_minutes": [150, 210]}]},
                  {"name": "short", "length_minutes": 180, "cost_per_hour": 26,
                   "starts": {"first": "09:00", "last": "12:00", "every_minutes": 30}}],
        "contracts": [{"name": "full-time", "types": ["full"], "days_per_week": [5, 5], "consecutive_days_off": 2,
                       "weekly_hours": [25, 25]},
                      {"name": "part-time", "types": ["short"], "days_per_week": [2, 5], "weekly_hours": [6, 15]}],
    },
}


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    path = tmp_path_factory.mktemp("week_cost") / "week.yaml"
    path.write_text(yaml.safe_dump(WEEK, sort_keys=False))
    return path, schedule_week(load_scenario(path), time_limit_s=30)


def _by_hand(tours, d: int, slot_minutes: int) -> list[float]:
    """Per 30-minute interval of day d: each shift's rate per minute on duty and not at lunch."""
    rate = {"full": 100 / 300, "short": 78 / 180}  # per paid minute
    out = []
    for k in range(12):
        value = 0.0
        for tour in tours:
            for day in (day for day in tour.days if day.day == d):
                unpaid = [(s * slot_minutes, e * slot_minutes) for _, s, e, paid in day.breaks if not paid]
                for m in range(30 * k, 30 * k + 30):
                    if day.start_slot * slot_minutes <= m < day.end_slot * slot_minutes and not any(
                            a <= m < b for a, b in unpaid):
                        value += rate[tour.shift_type]
        out.append(value)
    return out


def test_the_week_is_priced_per_day_and_interval_as_by_hand(week):
    _, study = week
    tours = study.weeks["team"].tours
    assert {t.shift_type for t in tours} == {"full", "short"}  # both rates are exercised
    paid = study.paid_cost("team")
    assert len(paid) == 7 and all(len(day) == 12 for day in paid)
    assert sum(map(sum, paid)) == pytest.approx(study.weeks["team"].cost, rel=1e-12)
    assert sum(paid[6]) == 0.0  # Sunday closed
    for d in range(6):
        assert paid[d] == pytest.approx(_by_hand(tours, d, study.slot_minutes), rel=1e-9), d


def test_run_on_a_day_of_the_week_costs_the_tours_of_that_day_plus_overtime(week):
    _, study = week
    paid = study.paid_cost("team")
    for d in (0, 5):
        day = study.scheduled_day(d)
        assert day.days is None and day.agents[0].paid_cost == paid[d]
        result = run_scenario(day, replications=2, seed=9)
        agent_cost = result.per_replication["agent_cost"][:, -1]
        overtime_cost = result.per_replication["overtime_cost"][:, -1]
        np.testing.assert_allclose(agent_cost - overtime_cost, sum(paid[d]), rtol=1e-12)
        # control: pricing the phones' staffing (hourly_cost, no paid_cost) misses the unpaid lunch
        # and the dearer short shifts
        assert staffing_cost(day, [day.agents[0].staffing]) != pytest.approx(sum(paid[d]))


def test_week_json_carries_the_paid_cost_per_day(week, tmp_path, capsys):
    path, study = week
    code, _, err = run_cli(capsys, "schedule", path, "-o", tmp_path / "out", "--no-plots")
    assert code == 0, err
    document = json.loads((tmp_path / "out" / "week.json").read_text())
    days = document["groups"]["team"]["paid_cost"]
    assert [d["date"] for d in days] == [d["date"] for d in WEEK["days"]]
    assert sum(sum(d["by_interval"]) for d in days) == pytest.approx(document["groups"]["team"]["cost"], rel=1e-12)
