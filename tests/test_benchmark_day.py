"""The benchmark day (scenarios/benchmark_day.yaml) against its published definition: the arrival
rate lambda(t) = 500 + 500 sin((3 pi t - 16 pi)/32) per hour over 16 h, talk Gamma(18, 1/180 h),
patience Gamma(4, 1/120 h), 18 an hour, 8.5-hour shifts with a lunch 3 to 4.5 hours in, and the
published cost of Erlang staffing on optimal shifts."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from helpers import SCENARIO_DIR
from simulator import load_scenario
from studies.schedule import requirement_from_plan, schedule_scenario

BENCHMARK = SCENARIO_DIR / "benchmark_day.yaml"


@pytest.fixture(scope="module")
def day():
    return load_scenario(BENCHMARK)


def test_calls_are_the_published_rate_integrated_over_each_hour(day):
    rate_per_h = lambda t: 500 + 500 * math.sin((3 * math.pi * t - 16 * math.pi) / 32)  # noqa: E731
    published = [integrate.quad(rate_per_h, k, k + 1)[0] for k in range(16)]
    assert day.interval_minutes == 60 and day.n_intervals == 16
    np.testing.assert_allclose(day.arrivals.calls, published, atol=0.05)  # written to 0.1 call


@pytest.mark.parametrize("what, shape, scale_h", [("talk_time", 18, 1 / 180), ("patience", 4, 1 / 120)])
def test_durations_are_the_published_gammas(day, what, shape, scale_h):
    u = np.linspace(0.001, 0.999, 41)
    ours = getattr(day.queues[0], what).ppf(u)
    np.testing.assert_allclose(ours, stats.gamma(shape, scale=scale_h * 3600).ppf(u), rtol=1e-5)


def test_shifts_and_cost_are_the_published_ones(day):
    (shift,) = day.shifts.types
    assert shift.length_minutes == 510 and day.agents[0].hourly_cost == 18
    (lunch,) = shift.breaks
    # a 30-minute lunch starting 3, 3.5, 4 or 4.5 hours in
    assert lunch.minutes == 30 and lunch.starts_between_minutes == (180, 270)
    assert day.targets.service_level.fraction == 0.8 and day.targets.service_level.within == 20


def test_erlang_staffing_on_optimal_shifts_costs_the_published_21114(day):
    schedule = schedule_scenario(day, requirement_from_plan(day))
    assert schedule.solution.solver_status == "optimal"
    assert schedule.solution.cost == pytest.approx(21_114.0)  # 138 shifts of 8.5 h at 18/h
    assert schedule.solution.cost == pytest.approx(schedule.solution.dual_bound)
