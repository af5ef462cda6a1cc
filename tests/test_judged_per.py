"""Targets judged per interval, per clock hour or per day (`targets.judged_per`): the periods, and
a period's KPI as the KPI's own definition over the period's pooled calls (never the mean of its
intervals' figures), on hand-built records."""
from __future__ import annotations

import numpy as np
import pytest

from simulator import scenario_from_dict
from simulator.errors import UserError
from simulator.kpis import period_kpis, replication_kpis
from test_service_levels import A, X, result_of


def day(judged_per="hour", minutes=30, start="08:00", calls=(8.0, 2.0, 5.0)):
    return scenario_from_dict({
        "schema_version": 1, "name": "periods", "interval_minutes": minutes, "start": start,
        "arrivals": {"calls": list(calls)},
        "queues": [{"name": "q", "talk_time": {"dist": "fixed", "mean": 60}}],
        "agents": [{"name": "team", "serves": ["q"], "staffing": [1] * len(calls)}],
        "targets": {"service_level": {"fraction": 0.8, "within": 20}, "judged_per": judged_per},
    })


def test_periods_are_the_intervals_the_clock_hours_or_the_day():
    assert day("interval").period_of_intervals() == (0, 1, 2)
    assert day("hour").period_of_intervals() == (0, 0, 1) and day("hour").period_labels() == ["08:00", "09:00"]
    # a day from 08:30 in quarter hours: 08:30 and 08:45 are the first hour's part, then whole hours
    late = day("hour", minutes=15, start="08:30", calls=[1.0] * 7)
    assert late.period_of_intervals() == (0, 0, 1, 1, 1, 1, 2)
    assert late.period_labels() == ["08:30", "09:00", "10:00"]
    assert day("day").period_of_intervals() == (0, 0, 0) and day("day").period_labels() == ["day"]


def test_an_unknown_judging_period_is_refused():
    with pytest.raises(UserError, match="judged_per"):
        day("week")


# 08:00-08:30, busy: 8 calls, 4 answered within 20 s (SL 50%), waits 0, 10, 10, 0 | 40, 40, 40; one abandons.
# 08:30-09:00, quiet: 2 calls, both answered at once (SL 100%). 09:00-09:30: 1 call answered after 30 s.
CALLS = [(10.0, A, 0.0), (20.0, A, 10.0), (30.0, A, 10.0), (40.0, A, 0.0), (50.0, A, 40.0), (60.0, A, 40.0),
         (70.0, A, 40.0), (80.0, X, 30.0),
         (2000.0, A, 0.0), (2100.0, A, 0.0),
         (3700.0, A, 30.0)]


def test_the_hour_pools_its_calls_and_the_mean_of_the_intervals_is_not_used():
    scenario = day("hour")
    by_interval = replication_kpis(result_of(CALLS), scenario)
    assert by_interval["service_level"][:3].tolist() == [4 / 8, 2 / 2, 0 / 1]
    periods = period_kpis(result_of(CALLS), scenario)["all"]
    # the hour 08:00: 6 of its 10 calls answered within 20 s, not (50% + 100%) / 2 = 75%
    assert periods["service_level"].tolist() == [6 / 10, 0 / 1, 6 / 11]
    assert periods["service_level"][0] != by_interval["service_level"][:2].mean()
    # ASA: waits of the 9 answered calls of the hour (140 s) / 9, not the mean of 140/7 and 0
    assert periods["asa"][0] == pytest.approx(140 / 9) and periods["asa"][0] != pytest.approx(10.0)
    assert periods["abandon_rate"].tolist() == [1 / 10, 0.0, 1 / 11]
    assert periods["offered"].tolist() == [10, 1, 11]
    # the day is the day, whatever the periods
    for name in ("service_level", "asa", "abandon_rate", "offered"):
        assert periods[name][-1] == by_interval[name][-1]
    # the whole day as one period: its one value is the day's
    whole = period_kpis(result_of(CALLS), day("day"))["all"]
    assert whole["service_level"].tolist() == [6 / 11, 6 / 11]


def test_per_interval_judging_adds_nothing():
    assert period_kpis(result_of(CALLS), day("interval")) is None
