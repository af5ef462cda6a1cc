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


# --- the Erlang plan judged per period ---------------------------------------------------------

PEAK_CALLS = [20.0, 60.0, 120.0, 90.0, 40.0, 20.0]  # 30-minute intervals from 08:00: a morning peak
TALK_S = 240.0


def peak_day(judged_per):
    """Erlang C (no patience), 80/20, no occupancy cap: the service level alone sets the staffing."""
    return scenario_from_dict({
        "schema_version": 1, "name": "peak", "interval_minutes": 30, "start": "08:00",
        "arrivals": {"calls": PEAK_CALLS},
        "queues": [{"name": "q", "talk_time": {"dist": "exponential", "mean": TALK_S}}],
        "agents": [{"name": "a", "serves": ["q"], "staffing": [1] * len(PEAK_CALLS)}],
        "targets": {"service_level": {"fraction": 0.8, "within": 20}, "occupancy": [0.0, 1.0],
                    "judged_per": judged_per},
    })


def pooled_sl(agents, ks) -> float:
    """A period's Erlang C service level from the textbook formula: its intervals' SL weighted by calls."""
    from planner.erlang import erlang_c_metrics

    sls = [erlang_c_metrics(agents[k], PEAK_CALLS[k] / 1800.0, TALK_S, 20.0).service_level
           if agents[k] > PEAK_CALLS[k] / 1800.0 * TALK_S else 0.0 for k in ks]  # unstable: nobody within 20 s
    return sum(PEAK_CALLS[k] * sl for k, sl in zip(ks, sls)) / sum(PEAK_CALLS[k] for k in ks)


def test_plan_judged_per_day_is_cheaper_meets_every_period_and_one_agent_fewer_anywhere_breaks_one():
    from planner.plan import plan_scenario

    plans = {per: plan_scenario(peak_day(per)).groups[0].agents for per in ("interval", "hour", "day")}
    hours = {per: sum(agents) / 2 for per, agents in plans.items()}
    assert hours["day"] < hours["interval"] and hours["hour"] <= hours["interval"], hours
    for per, agents in plans.items():
        periods = peak_day(per).period_of_intervals()
        for p in set(periods):
            ks = [k for k, q in enumerate(periods) if q == p]
            assert pooled_sl(agents, ks) >= 0.8, (per, p)
    # a quiet interval runs below 80% on its own in the day's plan: what judging per day buys
    assert min(pooled_sl(plans["day"], [k]) for k in range(len(PEAK_CALLS))) < 0.8
    # the control: one agent fewer in any interval breaks the day (the plan is not merely feasible)
    whole = range(len(PEAK_CALLS))
    for k in whole:
        fewer = list(plans["day"])
        fewer[k] -= 1
        assert pooled_sl(fewer, whole) < 0.8, k
    # and the per-interval plan, judged per day, has agents to spare (so the saving is real, not a rounding)
    spare = list(plans["interval"])
    spare[0] -= 1
    assert pooled_sl(spare, whole) >= 0.8


def test_plan_output_says_the_targets_are_judged_per_hour_and_shows_each_hour(tmp_path, capsys):
    from helpers import run_cli

    from simulator.loading import dump_scenario_yaml

    path = tmp_path / "peak.yaml"
    path.write_text(dump_scenario_yaml(peak_day("hour")))
    code, out, err = run_cli(capsys, "plan", path, "-o", tmp_path / "out", "--no-plots")
    assert code == 0, err
    assert "service level 80% within 20 s, judged per hour" in out
    assert "judged per hour (the period's calls pooled" in out and "08:00" in out and "meets" in out
    import json

    document = json.loads(run_cli(capsys, "plan", path, "-o", tmp_path / "out2", "--json", "--no-plots")[1])
    assert document["targets"]["judged_per"] == "hour"
    assert [p["period"] for p in document["queues"][0]["periods"]] == ["08:00", "09:00", "10:00"]
    assert all(p["meets"] for p in document["queues"][0]["periods"])


# --- the optimiser judged per period -----------------------------------------------------------


def test_optimize_judged_per_day_judges_the_pooled_day_out_of_sample_and_costs_no_more():
    from scipy import stats

    from studies.optimize import optimize_staffing

    per_day = optimize_staffing(peak_day("day"), replications=6, seed=3, confirm_replications=12)
    per_interval = optimize_staffing(peak_day("interval"), replications=6, seed=3, confirm_replications=12)
    assert per_day.holds and per_day.converged
    assert per_day.final.agent_hours <= per_interval.final.agent_hours
    confirmation = per_day.confirmation
    assert {c.period for c in confirmation.checks} == {"day"}
    # the day's pooled service level is the day column of the interval KPIs (same calls, same definition) ...
    pooled = confirmation.result.per_period["all"]["service_level"]
    assert np.array_equal(pooled[:, 0], confirmation.result.per_replication["service_level"][:, -1])
    # ... and "holds" is its one-sided 95% t bound against 80%, recomputed by hand
    sample = pooled[:, 0]
    bound = sample.mean() - stats.t.ppf(0.95, len(sample) - 1) * sample.std(ddof=1) / np.sqrt(len(sample))
    assert confirmation.checks[0].values["service_level"].bound == pytest.approx(bound) and bound >= 0.8
    # the control: the same days judged per interval miss somewhere (the day's pooling is what it relies on)
    by_interval = confirmation.result.per_replication["service_level"][:, :len(PEAK_CALLS)]
    assert min(by_interval.mean(axis=0)) < 0.8 <= bound


def test_schedule_by_simulation_misses_are_the_periods_pooled_calls():
    """An interval counts as missing for --by-simulation when its period's pooled calls miss: with the
    day's agents judged per day nothing misses, judged per interval the quiet intervals below 80% do."""
    from simulator.run import run_scenario
    from studies.schedule import missed_targets

    agents = [5, 13, 21, 17, 8, 5]  # thin after the peak (08:00 to 09:30 carry the day), as per-day judging allows
    for per, expect_misses in (("day", False), ("interval", True)):
        scenario = peak_day(per).with_staffing({"a": agents})
        missed = missed_targets(run_scenario(scenario, replications=20, seed=5))
        assert bool(missed) == expect_misses, (per, missed)


def test_plan_verify_reports_hits_and_misses_per_period():
    from planner.period_staffing import period_figures
    from planner.plan import plan_scenario
    from planner.planned import planned_scenario
    from planner.verify import verify_plan

    plan = plan_scenario(peak_day("hour"))
    verification = verify_plan(plan, replications=10, seed=2)
    (rows,) = verification.periods.values()
    assert [r.interval for r in rows] == ["08:00", "09:00", "10:00", "day"]
    planned = period_figures(plan.queues[0].plan, peak_day("hour").period_of_intervals())
    pooled = verification.result.per_period["all"]["service_level"]
    for p, row in enumerate(rows[:-1]):
        assert row.checks["service_level"].planned == planned[p]["service_level"]
        assert row.checks["service_level"].simulated.mean == pytest.approx(pooled[:, p].mean())
    assert not any(r.missed for r in rows)  # Erlang C without abandonment: the plan holds in simulation
    # the control: the same plan verified on a staffing two agents short everywhere misses in its periods
    short = planned_scenario(plan).with_staffing({"a": [max(a - 2, 1) for a in plan.groups[0].agents]})
    (rows,) = verify_plan(plan, scenario=short, replications=10, seed=2).periods.values()
    assert any("service_level" in r.missed for r in rows[:-1])
    assert "judged_per" not in json_of_verification(verify_plan(plan_scenario(peak_day("interval")), replications=4))


def json_of_verification(verification):
    from presentation.plan_output import verification_document

    return verification_document(verification)


def test_schedule_verify_shows_each_period_of_both_staffings():
    from presentation.schedule_output import format_verification, verification_document
    from simulator.run import run_scenario
    from studies.schedule import ScheduleVerification

    def staffed(agents):
        return run_scenario(peak_day("hour").with_staffing({"a": agents}), replications=6, seed=1)

    verification = ScheduleVerification(staffed([5, 11, 20, 16, 8, 5]), staffed([3, 9, 18, 14, 6, 3]))
    document = verification_document(verification)
    assert document["judged_per"] == "hour" and [p["period"] for p in document["periods"]] == ["08:00", "09:00", "10:00"]
    first = document["periods"][0]["service_level"]
    assert first["scheduled"]["mean"] == pytest.approx(verification.scheduled.per_period["all"]["service_level"][:, 0].mean())
    assert first["scheduled"]["mean"] < first["required"]["mean"]  # two agents short everywhere: a worse hour
    assert "missed" in {p["service_level"]["status"] for p in document["periods"]}
    assert "Targets judged per hour (all calls of the period pooled):" in format_verification(verification)
