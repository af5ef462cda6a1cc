"""`callsim forecast` and forecast files in scenarios: checked against the process that made the data.

Synthetic histories are Poisson counts (optionally times a gamma busyness factor per day) from a
known weekly profile, so every check has a standard error: a forecast that is a mean of k weeks
has variance lambda/k per interval, a week's total Lambda/k. Each check comes with a negative
control that the same tolerance must reject.
"""
from __future__ import annotations

import csv
import datetime as dt
import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import assert_user_error, run_cli
from studies.forecast import METHODS, calibrate_cv, forecast_history, holdout
from studies.forecast_input import read_closed, read_history

REAL = Path(__file__).parent / "data" / "anonymous_bank_1999_13weeks_6min.csv"
FIRST = dt.date(2026, 1, 5)  # a Monday
PER_DAY = 48  # half hours


def weekly_profile() -> np.ndarray:
    """(7, 48) expected calls per half hour: open 08:00-20:00 on weekdays with a midday peak,
    09:00-13:00 on Saturday, closed on Sunday."""
    clock = np.arange(PER_DAY) / 2.0
    day = np.where((clock >= 8) & (clock < 20), 30 + 40 * np.exp(-((clock - 11.5) / 2.5) ** 2), 0.0)
    rates = np.array([day * f for f in (1.25, 1.1, 1.0, 1.0, 0.9)] + [np.where((clock >= 9) & (clock < 13), 15.0, 0.0),
                                                                      np.zeros(PER_DAY)])
    return rates


def synthetic(weeks: int, seed: int, busyness_cv: float = 0.0, sub_slots: int = 3) -> np.ndarray:
    """(days, 48 * sub_slots) Poisson counts of the weekly profile, each day's volume times a gamma
    factor (mean 1, CV busyness_cv)."""
    rng = np.random.default_rng(seed)
    rates = np.repeat(weekly_profile(), sub_slots, axis=1) / sub_slots
    days = weeks * 7
    factor = rng.gamma(1 / busyness_cv**2, busyness_cv**2, size=days) if busyness_cv > 0 else np.ones(days)
    return rng.poisson(rates[np.arange(days) % 7] * factor[:, None]).astype(float)


def write_counts(path: Path, counts: np.ndarray, first: dt.date = FIRST, minutes: int = 10, drop_zero: bool = True):
    lines = ["datetime,calls"]
    for d, row in enumerate(counts):
        day = first + dt.timedelta(days=d)
        for k, calls in enumerate(row):
            if drop_zero and calls == 0 and k % 7:  # most empty intervals left out, as exports do
                continue
            lines.append(f"{day} {k * minutes // 60:02d}:{k * minutes % 60:02d},{calls:g}")
    path.write_text("\n".join(lines) + "\n")
    return path


# --- recovery of a known weekly profile ------------------------------------------------------------


def test_forecast_recovers_the_weekly_profile_within_poisson_noise(tmp_path):
    truth = weekly_profile()
    history = read_history(write_counts(tmp_path / "h.csv", synthetic(12, seed=1)), 30)
    f = forecast_history(history, 28)
    assert f.starts[0] == "08:00" and f.starts[-1] == "19:30"  # the opening window learned from the data
    window = slice(16, 40)
    expected = truth[[(d.weekday()) for d in f.days]][:, window]
    # every method averages at least 4 weeks (the naive one is never chosen on stationary data):
    # per interval the forecast's variance is at most lambda/4
    se = np.sqrt(np.maximum(expected, 1e-9) / 4)
    open_cells = expected > 0
    z2 = ((f.calls - expected)[open_cells] / se[open_cells]) ** 2
    assert f.backtest.chosen != "seasonal_naive"
    assert z2.mean() < 1.5, (f.backtest.chosen, z2.mean())  # about 1 (k = 4) or less (more weeks averaged)
    week = slice(0, 7)
    total, true_total = f.calls[week].sum(), expected[week].sum()
    assert abs(total - true_total) <= 4 * math.sqrt(true_total / 4)
    # negative controls: 10% more calls, or the profile shifted by one half hour, must be rejected
    assert abs(total - 1.1 * true_total) > 4 * math.sqrt(true_total / 4)
    shifted = np.roll(expected, 1, axis=1)
    assert ((((f.calls - shifted) / np.sqrt(np.maximum(shifted, 1) / 4)) ** 2)[open_cells]).mean() > 3
    assert (f.calls[[d.weekday() == 6 for d in f.days]] == 0).all()  # Sunday is closed
    assert f.opening[6] is None and f.opening[5] == ("09:00", "13:00") and f.opening[0] == ("08:00", "20:00")


def test_every_method_alone_is_unbiased_on_stationary_data(tmp_path):
    counts = synthetic(12, seed=2, sub_slots=1)
    expected = weekly_profile()[(np.arange(84, 112) + FIRST.weekday()) % 7]
    for name, method in METHODS.items():
        ahead = method.forecast(counts, FIRST.weekday(), 28)
        k = 1 if name == "seasonal_naive" else 4  # the least averaging among the others
        se = math.sqrt(expected[:7].sum() / k)
        assert abs(ahead[:7].sum() - expected[:7].sum()) <= 4 * se, name
        assert abs(ahead[:7].sum() - 1.1 * expected[:7].sum()) > 4 * se, name  # power: 10% off is seen


def test_a_closed_holiday_is_left_out_of_the_profile(tmp_path):
    counts = synthetic(10, seed=3)
    holiday = 9 * 7 + 2  # the last Wednesday of the history
    counts[holiday] = np.round(counts[holiday] * 0.1)
    path = write_counts(tmp_path / "h.csv", counts)
    day = FIRST + dt.timedelta(days=holiday)
    closed = forecast_history(read_history(path, 30), 14, read_closed(str(day)))
    ignored = forecast_history(read_history(path, 30), 14)
    wednesday = [d.weekday() == 2 for d in closed.days]
    truth = weekly_profile()[2].sum()
    se = math.sqrt(truth / 4)
    assert abs(closed.calls[wednesday][0].sum() - truth) <= 4 * se
    # negative control: the unmarked holiday pulls the Wednesday forecast below the truth
    assert ignored.calls[wednesday][0].sum() < truth - 4 * se
    # a closed day in the horizon, and a closed afternoon, are forecast at 0
    ahead = FIRST + dt.timedelta(days=70)
    part = forecast_history(read_history(path, 30), 7, read_closed(f"{ahead},{ahead + dt.timedelta(days=1)} 14:00-24:00"))
    assert part.calls[0].sum() == 0 and part.closed_days == 2  # the holiday and Sunday
    afternoon = [k for k, s in enumerate(part.starts) if s >= "14:00"]
    assert part.calls[1, afternoon].sum() == 0 and part.calls[1].sum() > 0


def test_interval_coverage_on_synthetic_busy_days(tmp_path):
    counts = synthetic(20, seed=4, busyness_cv=0.15)
    result = holdout(read_history(write_counts(tmp_path / "h.csv", counts), 30), 28)
    assert 0.70 <= result.coverage <= 0.90, result
    # negative control: Poisson noise alone (cv 0) is too narrow for these busy days
    history = read_history(tmp_path / "h.csv", 30)
    train = history.calls[:-28]
    forecast = METHODS["weekday_mean_8"].forecast(train, FIRST.weekday(), 28)
    actual = history.calls[-28:]
    cells = forecast > 0
    c, covered = calibrate_cv(forecast[cells], actual[cells])
    assert c > 0.05 and covered >= 0.8
    from studies.forecast import call_quantiles

    low, high = call_quantiles(forecast[cells], 0.0, (0.1, 0.9))
    assert np.mean((actual[cells] >= low) & (actual[cells] <= high)) < 0.70


def test_real_data_last_four_weeks_held_out():
    """The bank's last 4 weeks of 1999 forecast 28 days ahead from the 9 weeks before, per half hour."""
    result = holdout(read_history(REAL, 30), 28)
    assert result.mape <= result.baseline_mape + 1e-12, result
    assert 0.70 <= result.coverage <= 0.90, result
    assert result.intervals > 900


def test_a_call_log_is_counted_like_interval_counts(tmp_path):
    counts = synthetic(3, seed=5, sub_slots=1)
    rows = ["arrival,queue,wait_s,outcome,talk_s,acw_s"]
    for d, row in enumerate(counts):
        for k, calls in enumerate(row.astype(int).tolist()):
            for j in range(calls):
                stamp = dt.datetime.combine(FIRST + dt.timedelta(days=d), dt.time()) + dt.timedelta(
                    minutes=30 * k, seconds=(j * 1799) // max(calls, 1))
                rows.append(f"{stamp:%Y-%m-%d %H:%M:%S},q,0,answered,{100 + k},20")
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    log = read_history(tmp_path / "log.csv", 30)
    # a day without a call has no row in a log: unknown (NaN), like the Sundays here; the last one ends the history
    sundays = [d.weekday() == 6 for d in (FIRST + dt.timedelta(days=i) for i in range(20))]
    assert log.n_days == 20 and np.isnan(log.calls[sundays]).all()
    np.testing.assert_array_equal(log.calls[~np.array(sundays)], counts[:20][~np.array(sundays)])
    f = forecast_history(log, 7)
    k = f.starts.index("10:00")
    monday = [d.weekday() for d in f.days].index(0)
    assert f.aht_s[monday, k] == pytest.approx(100 + 20 + 20)  # talk 100 + k (k = 20 at 10:00) + ACW 20
    from presentation.forecast_output import format_forecast

    assert "a scenario reading this file takes aht_s as its handle time per interval" in format_forecast(f)


# --- the command --------------------------------------------------------------------------------


def test_handle_times_of_interval_counts_are_weighted_by_calls(tmp_path):
    counts = synthetic(3, seed=8, sub_slots=1)
    lines = ["datetime,calls,aht_s"]
    for d, row in enumerate(counts):
        for k, calls in enumerate(row):
            day = FIRST + dt.timedelta(days=d)
            # two half-hour rows as 15-minute rows: the first third of the calls at 200 s, the rest at 500 s
            first = calls // 3
            lines += [f"{day} {k // 2:02d}:{30 * (k % 2):02d},{first:g},200", f"{day} {k // 2:02d}:{30 * (k % 2) + 15:02d},"
                      f"{calls - first:g},500"]
    (tmp_path / "h.csv").write_text("\n".join(lines) + "\n")
    history = read_history(tmp_path / "h.csv", 30)
    np.testing.assert_array_equal(history.calls, counts)
    f = forecast_history(history, 7)
    k, monday = f.starts.index("11:00"), [d.weekday() for d in f.days].index(0)
    mondays = counts[[(FIRST + dt.timedelta(days=i)).weekday() == 0 for i in range(21)], 22]
    expected = sum(c // 3 * 200 + (c - c // 3) * 500 for c in mondays) / mondays.sum()
    assert f.aht_s[monday, k] == pytest.approx(expected)


def test_forecast_command_writes_everything(tmp_path, capsys):
    path = write_counts(tmp_path / "h.csv", synthetic(6, seed=6))
    code, out, err = run_cli(capsys, "forecast", path, "--horizon", 14, "-o", tmp_path / "out", "--report")
    assert code == 0, err
    assert "Chosen:" in out and "MAPE/interval" in out and "busyness_cv" in out
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["backtest.csv", "forecast.csv", "forecast.json", "forecast.png", "forecast_report.html"]
    rows = list(csv.DictReader((tmp_path / "out" / "forecast.csv").open()))
    assert len(rows) == 14 * 24 and rows[0]["date"] == "2026-02-16" and rows[0]["start"] == "08:00"
    assert all(float(r["calls_low"]) <= float(r["calls"]) <= float(r["calls_high"]) for r in rows if float(r["calls"]) > 3)
    backtest = list(csv.DictReader((tmp_path / "out" / "backtest.csv").open()))
    assert sum(r["chosen"] == "yes" for r in backtest) == 1


@pytest.mark.parametrize("edit, options, fragments", [
    (lambda t: t.replace("2026-01-07 10:00,", "2026-01-07 ten o'clock,", 1), (), ("h.csv:", "'datetime'", "not the start")),
    (lambda t: t.replace("2026-01-07 10:00,", "2026-01-07 10:00,-", 1), (), ("h.csv:", "'calls'", "0 or more")),
    (lambda t: t + "2026-01-07 10:00,5\n", (), ("h.csv:", "the same datetime as row")),
    (lambda t: t.replace("2026-01-07 10:00,", "2026-01-07 10:00,1,", 1), (), ("h.csv:", "more cells than the header")),
    (lambda t: "\n".join(t.splitlines()[:400]) + "\n", (), ("covers", "at least 14")),
    (lambda t: t, ("--horizon", "400"), ("--horizon 400", "a year")),
    (lambda t: t, ("--interval-minutes", "25"), ("--interval-minutes 25", "divide")),
    (lambda t: t, ("--interval-minutes", "45"), ("the history's intervals are 10", "multiple of 10")),
    (lambda t: t, ("--closed", "2026-02-30"), ("--closed", "does not exist")),
])
def test_bad_history_is_one_line_exit_2_nothing_written(tmp_path, capsys, edit, options, fragments):
    path = write_counts(tmp_path / "h.csv", synthetic(3, seed=7), drop_zero=False)
    path.write_text(edit(path.read_text()))
    args = ["--horizon", "7", *options]
    code, out, err = run_cli(capsys, "forecast", path, *args, "-o", tmp_path / "out")
    assert_user_error(code, out, err, *fragments)
    assert not (tmp_path / "out").exists()


def test_a_fifo_history_is_refused_not_read(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe.csv")
    code, out, err = run_cli(capsys, "forecast", tmp_path / "pipe.csv", "--horizon", 7, "-o", tmp_path / "out")
    assert_user_error(code, out, err, "pipe.csv", "not a regular file")


# --- a scenario reading the forecast --------------------------------------------------------------

SCENARIO = """schema_version: 1
name: from a forecast
interval_minutes: 30
start: "{start}"
arrivals:
  calls: {calls}
{busyness}queues:
  - name: q
    talk_time: {{dist: exponential, mean: 240}}
    patience: {{dist: exponential, mean: 300}}
agents:
  - name: a
    serves: [q]
    staffing: [{staffing}]
"""


def scenario_text(calls: str, n: int, start: str = "08:00", busyness: str = "") -> str:
    return SCENARIO.format(start=start, calls=calls, busyness=busyness, staffing=", ".join(["5"] * n))


FORECAST = """date,start,calls,calls_low,calls_high,aht_s,busyness_cv
2026-03-02,08:00,10.00,6,14,,0.1500
2026-03-02,08:30,20.00,14,26,,0.1500
2026-03-02,09:00,30.00,23,37,,0.1500
2026-03-03,08:00,11.00,7,15,,0.1500
2026-03-03,08:30,21.00,15,27,,0.1500
2026-03-03,09:00,31.00,24,38,,0.1500
"""


def load(tmp_path, text: str, forecast: str = FORECAST):
    from simulator.loading import load_scenario

    (tmp_path / "forecast.csv").write_text(forecast)
    (tmp_path / "s.yaml").write_text(text)
    return load_scenario(tmp_path / "s.yaml")


def test_a_scenario_picks_its_date_by_time_not_by_order(tmp_path):
    lines = FORECAST.splitlines()
    shuffled = "\n".join([lines[0]] + lines[:0:-1]) + "\n"  # rows in reverse order
    for forecast in (FORECAST, shuffled):
        s = load(tmp_path, scenario_text("{csv: forecast.csv, date: 2026-03-03}", 3), forecast)
        assert s.arrivals.calls == (11.0, 21.0, 31.0)
        assert s.arrivals.busyness_cv == 0.15  # the forecast's error comes with it
    quiet_morning = FORECAST.replace("2026-03-03,08:00,11.00", "2026-03-03,08:00,0.00")
    s = load(tmp_path, scenario_text("{csv: forecast.csv, date: 2026-03-03}", 2, start="08:30"), quiet_morning)
    assert s.arrivals.calls == (21.0, 31.0)  # a row before the start without calls is left out
    s = load(tmp_path, scenario_text("{csv: forecast.csv, date: 2026-03-03}", 3, busyness="  busyness_cv: 0\n"))
    assert s.arrivals.busyness_cv == 0.0  # the scenario's own value wins


@pytest.mark.parametrize("calls, forecast_edit, start, fragments", [
    ("{csv: forecast.csv}", None, "08:00", ("has 2 days", "date: 2026-03-02")),
    ("{csv: forecast.csv, date: 2026-03-09}", None, "08:00", ("no rows for 2026-03-09",)),
    ("{csv: forecast.csv, date: 2026-02-30}", None, "08:00", (".date: '2026-02-30' is not a date that exists",)),
    ("{csv: forecast.csv, date: 2026-03-02}", None, "08:15", ("forecast.csv:2", "10 calls at 08:00", "before the scenario's start")),
    ("{csv: forecast.csv, date: 2026-03-02}", lambda t: t.replace("2026-03-02,08:30", "2026-03-02,08:45"), "08:00",
     ("forecast.csv:3", "08:45 is not on the scenario's 30-minute grid")),
    ("{csv: forecast.csv, date: 2026-03-02}", lambda t: t.replace("2026-03-02,08:30", "2026-03-02,09:30"), "08:00",
     ("no row for 08:30",)),
    ("{csv: forecast.csv, date: 2026-03-02}", lambda t: t.replace("2026-03-02,08:30", "2026-03-02,08:00"), "08:00",
     ("forecast.csv:3", "a second row for 08:00")),
    ("{csv: forecast.csv, date: 2026-03-02}", lambda t: t.replace("08:30,20.00,", "08:30,1,276.0,"), "08:00",
     ("forecast.csv:3", "more cells than the header")),
    ("{csv: forecast.csv, column: calls}", lambda t: "start,calls\n08:00,5\n08:30,1,276.0\n", "08:00",
     ("forecast.csv:3", "more cells than the header")),
])
def test_bad_forecast_files_are_one_line_exit_2(tmp_path, capsys, calls, forecast_edit, start, fragments):
    (tmp_path / "forecast.csv").write_text(forecast_edit(FORECAST) if forecast_edit else FORECAST)
    (tmp_path / "s.yaml").write_text(scenario_text(calls, 3, start=start))
    code, out, err = run_cli(capsys, "validate", tmp_path / "s.yaml")
    assert_user_error(code, out, err, "s.yaml:6: arrivals.calls", *fragments)
    assert out == ""


def test_a_forecast_file_that_is_a_fifo_or_a_device_is_refused_at_once(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe.csv")
    for target in ("pipe.csv", "/dev/zero"):
        (tmp_path / "s.yaml").write_text(scenario_text(f"{{csv: {target}, column: calls}}", 3))
        code, out, err = run_cli(capsys, "validate", tmp_path / "s.yaml")
        assert_user_error(code, out, err, "arrivals.calls.csv", "not a regular file")


def test_a_plan_from_a_forecast_with_uncertainty_staffs_more_and_says_by_how_much(tmp_path):
    from planner.erlang import erlang_a_metrics
    from planner.plan import plan_scenario
    from planner.staffing import busyness_factors

    rows = ["date,start,calls,calls_low,calls_high,aht_s,busyness_cv"]
    rows += [f"2026-03-02,{8 + k // 2:02d}:{30 * (k % 2):02d},{60 + 10 * k},0,0,,0.2" for k in range(8)]
    forecast = "\n".join(rows) + "\n"
    uncertain = plan_scenario(load(tmp_path, scenario_text("{csv: forecast.csv, date: 2026-03-02}", 8), forecast))
    certain = plan_scenario(load(tmp_path, scenario_text("{csv: forecast.csv, date: 2026-03-02}", 8,
                                                         busyness="  busyness_cv: 0\n"), forecast))
    more, base = sum(uncertain.groups[0].agents), sum(certain.groups[0].agents)
    assert more > base
    note = next(n for n in uncertain.notes if n.code == "busyness")
    assert note.values["extra_h"] == pytest.approx((more - base) * 0.5)
    assert note.values["base_h"] == pytest.approx(base * 0.5)
    assert f"adds {(more - base) * 0.5:,.1f} agent-hours" in note.text
    # the definition, checked interval by interval with the Erlang A formulas: the service level
    # averaged over the equally likely busy days meets 80% at the planned agents, not at one fewer
    factors = busyness_factors(0.2)
    assert factors.mean() == pytest.approx(1.0) and factors.std() == pytest.approx(0.2, rel=0.1)
    q = uncertain.queues[0].plan
    for k, (n, rate) in enumerate(zip(q.agents, q.arrival_rates_per_s)):
        def mean_sl(agents):
            return np.mean([erlang_a_metrics(agents, rate * f, 240.0, 300.0, 20.0).service_level for f in factors])
        if q.binding_constraint[k] == "busyness":
            assert mean_sl(n) >= 0.8 > mean_sl(n - 1)
        assert n >= certain.queues[0].plan.agents[k]


# --- fuzzing the forecast file a scenario reads -----------------------------------------------------

cells = st.one_of(st.sampled_from(["", "08:00", "08:30", "09:00", "8:00", "24:00", "07:59", "2026-03-02", "2026-03-03",
                                   "2026-02-30", "10", "0", "-1", "1e400", "nan", "1,276", "0.15", "3", "x", "\u2028"]),
                  st.text(max_size=4))
forecast_rows = st.lists(st.lists(cells, min_size=0, max_size=9), min_size=0, max_size=12)
specs = st.sampled_from(["{csv: f.csv, date: 2026-03-02}", "{csv: f.csv}", "{csv: f.csv, column: calls}",
                         "{csv: f.csv, date: 2026-02-30}", "{csv: f.csv, date: [1]}", "{csv: f.csv, when: 1}",
                         "{csv: f.csv, column: nope}"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.sampled_from(["date,start,calls,calls_low,calls_high,aht_s,busyness_cv", "start,calls", "calls",
                               "time,calls,busyness_cv", "date,interval,calls"]),
       rows=forecast_rows, spec=specs)
def test_any_forecast_file_is_read_or_refused_in_one_line(tmp_path, header, rows, spec):
    """Whatever the file holds, loading gives a valid scenario or a one-line ScenarioFileError
    naming the scenario's line, never another exception."""
    from simulator.loading import ScenarioFileError, load_scenario

    folder = tmp_path / "fuzz"
    folder.mkdir(exist_ok=True)
    body = "\n".join([header] + [",".join(row) for row in rows]) + "\n"
    (folder / "f.csv").write_text(body)
    (folder / "s.yaml").write_text(scenario_text(spec, 3))
    try:
        scenario = load_scenario(folder / "s.yaml")
    except ScenarioFileError as exc:
        message = str(exc)
        assert "\n" not in message and "s.yaml:" in message, message
    else:
        assert all(math.isfinite(c) and c >= 0 for c in scenario.arrivals.calls)
        assert 0 <= scenario.arrivals.busyness_cv <= 2
