"""Textbook tour problems in the scenario format (`callsim schedule` on a week), whose optima are
proven by hand, not read off the solver:

- Baker (1974), five days on with two consecutive days off, the same requirement n every day:
  the least workforce is ceil(7n / 5) (every agent works 5 of 7 days: W >= 7n/5, and the cyclic
  rotation of the off pairs reaches it);
- a weekend rotation: n every day, at most half of the agents may work a weekend day; Saturday
  alone needs n agents who work a weekend day, so W >= 2n, and n Monday-to-Friday agents beside
  n who work Saturday and Sunday reach it; without the rule, Baker's ceil(7n / 5) (the control).

The requirement n is the scenario's own Erlang plan (the same calls in every hour of every day,
so the same n everywhere), read back from the study, never typed in."""
from __future__ import annotations

import math

import pytest
import yaml

from simulator import load_scenario
from studies.schedule import slot_minutes
from studies.week import schedule_week, week_problems

DATES = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-07", "2026-03-08"]


def _week(tmp_path, weekend_share=None):
    contract = {"name": "full-time", "types": ["day"], "days_per_week": [5, 5], "consecutive_days_off": 2,
                "weekly_hours": [40, 40]}
    if weekend_share is not None:
        contract["max_weekend_share"] = weekend_share
    data = {
        "schema_version": 1, "name": "Textbook week", "interval_minutes": 60, "start": "08:00",
        "arrivals": {"calls": [45] * 8},
        "queues": [{"name": "q", "talk_time": {"dist": "exponential", "mean": 240}}],
        "agents": [{"name": "agents", "serves": ["q"], "staffing": [1] * 8}],
        "targets": {"service_level": {"fraction": 0.8, "within": 20}},
        "days": [{"date": d} for d in DATES],
        "shifts": {"types": [{"name": "day", "length_minutes": 480, "starts": ["08:00"]}], "contracts": [contract]},
    }
    path = tmp_path / "week.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    scenario = load_scenario(path)
    problems, required = week_problems(scenario, slot_minutes(scenario, scenario.shifts))
    levels = {value for day in required["agents"] for value in day}
    assert len(levels) == 1 and min(levels) >= 3  # one requirement n, large enough for ceil(7n/5) < 2n
    return scenario, int(levels.pop())


def _check_tours(study, n):
    week = study.weeks["agents"]
    assert week.solver_status == "optimal"
    for tour in week.tours:
        off = sorted(set(range(7)) - set(tour.days_on))
        assert len(off) == 2 and (off[1] - off[0]) % 7 in (1, 6), off  # two consecutive days off, cyclic
    for d in range(7):
        assert min(week.at_desk[d]) >= n


def test_baker_five_days_on_two_consecutive_off_needs_ceil_7n_over_5(tmp_path):
    scenario, n = _week(tmp_path)
    study = schedule_week(scenario, time_limit_s=30)
    _check_tours(study, n)
    assert study.weeks["agents"].agents == math.ceil(7 * n / 5)


@pytest.mark.parametrize("share", [0.5, None])
def test_a_weekend_rotation_rule_raises_the_workforce_to_2n(tmp_path, share):
    scenario, n = _week(tmp_path, share)
    study = schedule_week(scenario, time_limit_s=30)
    _check_tours(study, n)
    week = study.weeks["agents"]
    if share is None:  # the control: the rule is what costs the extra agents
        assert week.agents == math.ceil(7 * n / 5) < 2 * n
        return
    assert week.agents == 2 * n
    weekend_workers = [t for t in week.tours if {5, 6} & set(t.days_on)]
    assert len(weekend_workers) <= share * week.agents
