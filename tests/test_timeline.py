"""A multi-day scenario simulated as one timeline (simulator.timeline): exact hand timelines
across midnight and across a close, the engine against the reference model on random timelines
(with a negative control), conservation and per-day sums, identical days against one-day runs
within their standard errors (with a power check and a negative control), dated outputs, and bad
input as one line with exit code 2."""
from __future__ import annotations

import dataclasses
import copy
import csv
import io
import json
import math

import numpy as np
import pytest
import yaml

import reference_model
from helpers import SCENARIO_DIR, assert_user_error, run_cli
from simulator import Callers, Outcome, draw_callers, load_scenario, scenario_from_dict, simulate_callers
from simulator.run import check_conservation, run_scenario
from simulator.timeline import timeline

INF = math.inf
HOUR = 3600.0


def _day_scenario(staffing, start="00:00", days=None, **extra):
    data = {"schema_version": 1, "name": "timeline", "interval_minutes": 60, "start": start,
            "arrivals": {"calls": [1.0] * len(staffing)},
            "queues": [{"name": "q", "talk_time": {"dist": "fixed", "mean": 1}}],
            "agents": [{"name": "team", "serves": ["q"], "staffing": list(staffing)}], **extra}
    if days is not None:
        data["days"] = days
    return scenario_from_dict(data)


def _callers(arrived, talk, patience=None):
    n = len(arrived)
    return Callers(arrived_at_s=np.array(arrived, dtype=float), queue=np.zeros(n, dtype=np.int16),
                   talk_s=np.array(talk, dtype=float), acw_s=np.zeros(n),
                   patience_s=np.array(patience or [INF] * n, dtype=float), balk_u=np.full(n, 0.5), busyness=1.0)


def _simulate(scenario, callers):
    line = timeline(scenario)
    return line, simulate_callers(line.scenario, callers, closed=line.closed)


def test_a_caller_waiting_at_2359_is_answered_after_midnight():
    """24/7 (00:00, 24 hours of intervals, consecutive dates): nobody on shift from 23:00 on the
    first day, one agent from 00:00 on the next. A caller arriving at 23:59 waits exactly 60 s and
    is answered at 00:00. Control: the same day without days: closes at midnight, and the caller
    is left unserved."""
    days = [{"date": "2026-03-02", "staffing": {"team": [1] * 23 + [0]}}, {"date": "2026-03-03"}]
    scenario = _day_scenario([1] * 24, days=days)
    line, result = _simulate(scenario, _callers([23 * HOUR + 59 * 60], talk=[100]))
    assert line.closed == frozenset() and line.scenario.n_intervals == 48  # no break at midnight
    assert result.records.outcome.tolist() == [Outcome.ANSWERED]
    assert result.records.wait_s.tolist() == [60.0]
    one_day = simulate_callers(_day_scenario([1] * 23 + [0]), _callers([23 * HOUR + 59 * 60], talk=[100]))
    assert one_day.records.outcome.tolist() == [Outcome.UNSERVED]


def test_a_shift_crossing_midnight_keeps_its_agent_on_the_phones():
    """One agent 23:00-01:00 across midnight (day 1's last interval, day 2's first). A call at
    23:30 talks an hour (to 00:30); a call at 00:10 waits for that same agent until 00:30 (1,200 s)
    and no agent works overtime: the shift goes on past midnight. Control: with day 2 staffing
    nobody at 00:00, the agent leaves when its call ends and the second caller is unserved."""
    day1 = {"date": "2026-03-02", "staffing": {"team": [0] * 23 + [1]}}
    day2 = {"date": "2026-03-03", "staffing": {"team": [1] + [0] * 23}}
    calls = _callers([23.5 * HOUR, 24 * HOUR + 600], talk=[HOUR, 60])
    _, result = _simulate(_day_scenario([0] * 24, days=[day1, day2]), calls)
    records = result.records
    assert records.outcome.tolist() == [Outcome.ANSWERED, Outcome.ANSWERED]
    assert records.wait_s.tolist() == [0.0, 1200.0]
    assert records.agent.tolist() == [0, 0]
    assert len(result.overtime_group) == 0
    day2_off = {"date": "2026-03-03", "staffing": {"team": 0}}
    _, control = _simulate(_day_scenario([0] * 24, days=[day1, day2_off]), calls)
    assert control.records.outcome.tolist() == [Outcome.ANSWERED, Outcome.UNSERVED]


def test_callers_waiting_at_a_close_are_served_and_the_next_day_starts_afresh():
    """A 08:00-10:00 centre on two dates, one agent. Calls at 0 s (talk 7,190 s), 10 s (talk
    100 s) and 7,199 s (talk 10 s, 1 s before the close): the agent answers the second at 7,190
    and the third at 7,290 (the close rule: agents on shift serve the callers still waiting), and
    goes home at 7,300, 100 s of overtime from the close. The next day opens at 86,400 s with a
    fresh agent: a call at 86,405 s waits 0. Day 1's KPIs hold the overtime, day 2's none."""
    scenario = _day_scenario([1, 1], start="08:00", days=[{"date": "2026-03-02"}, {"date": "2026-03-03"}])
    calls = _callers([0, 10, 7199, 24 * HOUR + 5], talk=[7190, 100, 10, 30])
    line, result = _simulate(scenario, calls)
    assert line.closed == frozenset(range(2, 24))
    records = result.records
    assert records.outcome.tolist() == [Outcome.ANSWERED] * 4
    assert records.wait_s.tolist() == [0.0, 7180.0, 91.0, 0.0]
    assert [(int(g), s, e) for g, s, e in zip(result.overtime_group, result.overtime_start_s,
                                              result.overtime_end_s)] == [(0, 7200.0, 7300.0)]
    from simulator.timeline import day_kpis

    per_day = day_kpis(result, line)
    assert per_day["offered"].tolist() == [3.0, 1.0]
    assert per_day["overtime_agent_seconds"].tolist() == [100.0, 0.0]
    assert per_day["asa"][0] == pytest.approx((0 + 7180 + 91) / 3)


def _random_timeline(rng) -> dict:
    """A random multi-queue day (tests/test_reference_model.random_scenario) on 2-3 dates, with
    short days, a closed day and a skipped date at random; patience long enough that callers
    are still waiting at the closes."""
    from test_reference_model import random_scenario

    data = random_scenario(rng)
    for queue in data["queues"]:
        queue["patience"] = {"dist": "exponential", "mean": float(rng.uniform(300, 1200))}
    n = len(data["arrivals"]["calls"])
    data["start"] = "22:00"  # 15-minute grid from 22:00: every close is near midnight
    dates = ["2026-03-02", "2026-03-03", "2026-03-05"][: int(rng.integers(2, 4))]
    days = []
    for date in dates:
        day = {"date": date, "volume": float(rng.uniform(0.5, 1.5))}
        if rng.random() < 0.3 and n > 2:
            day["open"] = ["22:15", f"22:{15 * (n - 1):02d}" if 15 * (n - 1) < 60 else f"23:{15 * (n - 1) - 60:02d}"]
        if rng.random() < 0.4:
            day["staffing"] = {g["name"]: [int(v) for v in rng.integers(0, 4, n)] for g in data["agents"]}
        days.append(day)
    if rng.random() < 0.2:
        days[1]["closed"] = True
    data["days"] = days
    return data


def _timeline_days(count: int, seed: int = 20261207):
    rng = np.random.default_rng(seed)
    for index in range(count):
        line = timeline(scenario_from_dict(_random_timeline(rng)))
        callers = draw_callers(line.scenario, index, 0)
        assert reference_model.supported(line.scenario, callers)
        yield index, line, callers


def _disagreements(line, callers, closed) -> int:
    engine = simulate_callers(line.scenario, callers, closed=closed).records
    reference = reference_model.simulate(line.scenario, callers, closed=line.closed)
    return int(((engine.outcome != reference.outcome) | (engine.group != reference.group)
                | (np.abs(engine.wait_s - reference.wait_s) > 1e-9)).sum())


def test_the_engine_agrees_with_the_reference_model_on_random_timelines():
    """Call for call, on 30 random timelines with closes between days, short days and closed
    days; power: callers were still waiting at some close. Negative control: an engine that
    ignores the closed hours (staffing drops to 0 there, so waiting callers are left to abandon)
    disagrees on some timeline."""
    waited_over_a_close = 0
    caught = 0
    for index, line, callers in _timeline_days(30):
        assert _disagreements(line, callers, line.closed) == 0, f"timeline {index}"
        result = simulate_callers(line.scenario, callers, closed=line.closed)
        check_conservation(result)
        waited_over_a_close += len(result.overtime_group) > 0
        caught += _disagreements(line, callers, frozenset()) > 0
    assert waited_over_a_close >= 5, waited_over_a_close
    assert caught >= 3, caught


SMALL = {"schema_version": 1, "name": "small", "interval_minutes": 30, "start": "08:00",
         "arrivals": {"calls": [30.0] * 8},
         "queues": [{"name": "q", "talk_time": {"dist": "exponential", "mean": 180},
                     "patience": {"dist": "exponential", "mean": 120}}],
         "agents": [{"name": "team", "serves": ["q"], "staffing": [4] * 8}],
         "simulation": {"replications": 40, "seed": 7}}


def _with_days(data, days):
    out = copy.deepcopy(data)
    out["days"] = days
    return scenario_from_dict(out)


def test_conservation_per_day_sums_and_closed_days_over_the_week():
    """Each replication's calls are conserved (checked in every job); every day's offered,
    answered and abandoned calls add up to the span's; the closed day and the short day's closed
    hours get no calls; every call arrived in an open interval."""
    days = [{"date": f"2026-03-0{d}"} for d in range(2, 9)]
    days[2]["open"] = ["09:00", "11:00"]
    days[6]["closed"] = True
    scenario = _with_days(SMALL, days)
    result = run_scenario(scenario, replications=6, keep_records=True)
    for name in ("offered", "answered", "abandoned", "busy_agent_seconds"):
        assert np.allclose(result.days_per_replication[name].sum(axis=1), result.per_replication[name][:, -1]), name
    assert (result.days_per_replication["offered"][:, 6] == 0).all()
    assert (result.days_per_replication["offered"][:, :6] > 0).all()
    line = result.timeline
    for day in result.days:
        arrival_interval = (day.records.arrived_at_s // scenario.interval_s).astype(int)
        assert not set(arrival_interval.tolist()) & line.closed
    assert len(line.days[2].open_intervals) == 4 and line.days[6].open_intervals == ()


def test_identical_days_agree_with_one_day_runs_within_their_standard_errors():
    """Seven identical dates: each date's service level and ASA agree with a one-day run of the
    same day within 4 combined standard errors (not byte-equal: the week draws its own callers
    and carries callers over at the close). Power: the combined SE is below a quarter of the
    difference one agent fewer makes. Negative control: against the one-day run with one agent
    fewer, the same test fails."""
    week = run_scenario(_with_days(SMALL, [{"date": f"2026-03-0{d}"} for d in range(2, 9)]))
    one_day = run_scenario(scenario_from_dict(SMALL))
    fewer = copy.deepcopy(SMALL)
    fewer["agents"][0]["staffing"] = [3] * 8
    short = run_scenario(scenario_from_dict(fewer))

    def se(values):
        return np.std(values, ddof=1) / np.sqrt(len(values))

    for name in ("service_level", "asa"):
        day_values = one_day.per_replication[name][:, -1]
        short_values = short.per_replication[name][:, -1]
        gap = abs(np.mean(day_values) - np.mean(short_values))
        for d in range(7):
            values = week.days_per_replication[name][:, d]
            combined = math.hypot(se(values), se(day_values))
            assert abs(np.mean(values) - np.mean(day_values)) <= 4 * combined, (name, d)
            assert 4 * combined < gap, (name, d, combined, gap)  # power
            control = math.hypot(se(values), se(short_values))
            assert abs(np.mean(values) - np.mean(short_values)) > 4 * control, (name, d)  # negative control


def test_every_output_of_a_week_is_dated(capsys, tmp_path):
    """intervals.csv starts with date and weekday on every row (each date's open intervals, a
    'day' row per date, the span); kpis.json has the KPIs per date and dated intervals."""
    out = tmp_path / "week"
    code, printed, err = run_cli(capsys, "run", SCENARIO_DIR / "retail_bank_week.yaml", "-r", 2, "--no-plots",
                                 "-o", out)
    assert code == 0, err
    rows = list(csv.reader(io.StringIO((out / "intervals.csv").read_text())))
    assert rows[0][:3] == ["date", "weekday", "interval"]
    assert all(row[0] and row[1] for row in rows[1:-1]) and rows[-1][:3] == ["", "", "span"]
    assert len(rows) == 1 + 6 * 34 + 7 + 1  # Mon-Sat's 34 intervals, a row per date, the span
    document = json.loads((out / "kpis.json").read_text())
    assert [(d["date"], d["weekday"], d["closed"]) for d in document["days"]][-2:] == [
        ("2026-03-07", "Sat", False), ("2026-03-08", "Sun", True)]
    assert sum(d["offered"]["mean"] for d in document["days"]) == pytest.approx(document["day"]["offered"]["mean"])
    assert document["intervals"][34]["date"] == "2026-03-03" and document["intervals"][34]["interval"] == "07:00"
    assert "days" in document["scenario"]  # the scenario as written, not its timeline


def _week_file(tmp_path, change):
    data = copy.deepcopy(SMALL)
    data["days"] = [{"date": "2026-03-02"}, {"date": "2026-03-03"}]
    change(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize("change, fragments", [
    (lambda d: d["days"][1].update(open=["07:00", "10:00"]), ("days[1].open[0]", "07:00", "08:00 to 12:00")),
    (lambda d: d["days"][1].update(open=["09:00", "09:45"]), ("days[1].open[1]", "09:45")),
    (lambda d: d["days"][0].update(open=["10:00", "09:00"]), ("days[0].open", "not after")),
    (lambda d: d["days"][1].update(staffing={"team": [3, 3]}), ("days[1].staffing.team", "has 2 intervals", "8")),
    (lambda d: d["days"][1].update(staffing={"teem": 3}), ("days[1].staffing.teem", "unknown agent group")),
    (lambda d: d["days"].reverse(), ("days[1].date", "date order")),
])
def test_bad_days_are_one_line_and_exit_2(capsys, tmp_path, change, fragments):
    path = _week_file(tmp_path, change)
    code, out, err = run_cli(capsys, "run", path, "-r", 2, "--no-plots", "-o", tmp_path / "out")
    assert_user_error(code, out, err, "bad.yaml:", *fragments)
    assert not (tmp_path / "out").exists()


def test_plan_on_a_week_is_dated_per_date_and_verified_as_one_week(capsys, tmp_path):
    """`plan` plans each open date (a short day only in its hours, a closed day not at all):
    plan.csv and verify.csv start with date and weekday on every row; the planned week's YAML
    runs, and its per-date calls are the verification's (same seed and replications)."""
    days = [{"date": "2026-03-02"}, {"date": "2026-03-03", "open": ["09:00", "11:00"]},
            {"date": "2026-03-04", "closed": True}, {"date": "2026-03-05", "volume": 1.5}]
    path = tmp_path / "week.yaml"
    path.write_text(yaml.safe_dump({**SMALL, "days": days}, sort_keys=False))
    out = tmp_path / "plan"
    code, printed, err = run_cli(capsys, "plan", path, "--verify", "-r", 3, "-o", out)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO((out / "plan.csv").read_text())))
    assert list(rows[0])[:2] == ["date", "weekday"]
    assert [sum(r["date"] == d for r in rows) for d in ("2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05")] == [
        8, 4, 0, 8]
    assert {r["interval"] for r in rows if r["date"] == "2026-03-03"} == {"09:00", "09:30", "10:00", "10:30"}
    assert float(next(r for r in rows if r["date"] == "2026-03-05")["calls"]) == pytest.approx(45.0)
    for png in ("plan_staffing.png", "plan_service_level.png"):
        assert (out / png).read_bytes().startswith(b"\x89PNG")
    verified = list(csv.DictReader(io.StringIO((out / "verify.csv").read_text())))
    assert len(verified) == 20 and all(r["date"] and r["weekday"] for r in verified)
    code, printed, err = run_cli(capsys, "run", out / "week.planned.yaml", "-r", 3, "--no-plots", "-o", tmp_path / "run")
    assert code == 0, err
    run_rows = list(csv.DictReader(io.StringIO((tmp_path / "run" / "intervals.csv").read_text())))
    assert [r["offered"] for r in run_rows[:20]] == [r["offered"] for r in verified]
    code, out_text, err = run_cli(capsys, "plan", path, "--baseline", out, "-o", tmp_path / "again")
    assert_user_error(code, out_text, err, "--baseline", "days:")


def test_the_one_day_optimiser_refuses_a_week_in_one_line():
    """optimize_staffing moves one day's staffing: given a week it says so rather than fail inside
    (`callsim optimize` on a week optimises each date: studies.week_optimize, tests/test_week_optimize.py)."""
    from studies.optimize import OptimizeError, optimize_staffing

    with pytest.raises(OptimizeError, match="days:"):
        optimize_staffing(load_scenario(SCENARIO_DIR / "retail_bank_week.yaml"), replications=2, max_iterations=2)


def test_durations_per_interval_repeat_each_day_and_judging_per_day_is_refused():
    """talk_time_by_interval (main's per-interval distributions) repeats on every date: the
    second interval's longer talk shows in each date's talk time alike (control: one date's
    first-interval-only calls talk shorter); targets judged per day would pool the whole span,
    so it is refused in one line."""
    data = copy.deepcopy(SMALL)
    data["queues"][0]["talk_time_by_interval"] = [{"dist": "fixed", "mean": 60}] * 4 + [{"dist": "fixed", "mean": 300}] * 4
    data["simulation"]["replications"] = 2
    result = run_scenario(_with_days(data, [{"date": "2026-03-02"}, {"date": "2026-03-03"},
                                            {"date": "2026-03-04", "open": ["08:00", "10:00"]}]))
    talk = [day["talk_time"].mean for day in result.by_day]
    assert 60 < talk[0] < 300 and 60 < talk[1] < 300 and talk[2] == 60.0
    data["targets"] = {"judged_per": "day"}
    with pytest.raises(Exception, match="judged_per"):
        run_scenario(_with_days(data, [{"date": "2026-03-02"}, {"date": "2026-03-03"}]))


def test_disconnect_at_each_close_of_a_timeline_agrees_with_the_reference_model():
    """on_close: disconnect on random timelines: callers still waiting at each day's close are
    cut off (not only at the end of the span), call for call as the reference model does it;
    power: some were cut off at a close that is not the span's last; control: with 'serve' the
    same callers are answered in overtime instead."""
    from simulator.records import Outcome

    cut_before_the_end = 0
    for index, line, _ in _timeline_days(30, seed=20261208):
        scenario = line.scenario.model_copy(update={"on_close": "disconnect"})
        cut = dataclasses.replace(line, scenario=scenario)
        callers = draw_callers(scenario, index, 0)
        assert _disagreements(cut, callers, cut.closed) == 0, f"timeline {index}"
        result = simulate_callers(scenario, callers, closed=cut.closed)
        check_conservation(result)
        records = result.records
        last_open_s = (max(k for k in range(scenario.n_intervals) if k not in cut.closed) + 1) * scenario.interval_s
        disconnected = records.outcome == Outcome.DISCONNECTED
        cut_before_the_end += int((disconnected & (records.arrived_at_s + records.wait_s < last_open_s)).sum())
        served = simulate_callers(line.scenario, callers, closed=line.closed).records
        assert not (served.outcome == Outcome.DISCONNECTED).any()
    assert cut_before_the_end >= 3, cut_before_the_end
