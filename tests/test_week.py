"""A multi-day scenario (days: and shifts.contracts:) through `callsim schedule`: the roster's
rules checked row by row, every CSV row dated, and bad input as one line with exit code 2."""
from __future__ import annotations

import csv
import io
import json

import pytest
import yaml

from helpers import SCENARIO_DIR, assert_user_error, run_cli
from simulator import load_scenario
from simulator.loading import dump_scenario_yaml

SMALL_WEEK = {
    "schema_version": 1,
    "name": "Small week",
    "interval_minutes": 60,
    "start": "08:00",
    "arrivals": {"calls": [20, 40, 40, 30, 30, 40, 30, 20]},
    "queues": [{"name": "q", "talk_time": {"dist": "exponential", "mean": 240}}],
    "agents": [{"name": "agents", "serves": ["q"], "staffing": [3] * 8}],
    "targets": {"service_level": {"fraction": 0.8, "within": 20}},
    "days": [{"date": "2026-03-02"}, {"date": "2026-03-03"}, {"date": "2026-03-04", "volume": 0.8},
             {"date": "2026-03-05"}, {"date": "2026-03-06", "volume": 1.2}, {"date": "2026-03-07", "volume": 0.5},
             {"date": "2026-03-08", "closed": True}],
    "shifts": {
        "types": [{"name": "full", "length_minutes": 480, "starts": ["08:00"],
                   "breaks": [{"name": "lunch", "minutes": 60, "paid": False, "starts_between_minutes": [180, 300]}]},
                  {"name": "part", "length_minutes": 240, "starts": {"first": "08:00", "last": "12:00",
                                                                     "every_minutes": 60}}],
        "contracts": [{"name": "full-time", "types": ["full"], "days_per_week": [5, 5], "consecutive_days_off": 2,
                       "weekly_hours": [35, 35]},
                      {"name": "part-time", "types": ["part"], "days_per_week": [2, 4], "weekly_hours": [8, 16],
                       "max_share": 0.5}],
    },
}


def _write(tmp_path, data, name="week.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _agents(tmp_path, rows, header="name,contract,groups,unavailable,preferred_off,weekends_before"):
    path = tmp_path / "agents.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def _enough_agents():
    return ([f"F{i},full-time,agents,,sat,{i % 3}" for i in range(12)]
            + [f"P{i},part-time,agents,{'mon' if i == 0 else ''},,0" for i in range(10)])


def test_the_week_end_to_end_with_named_agents(tmp_path, capsys):
    scenario = _write(tmp_path, SMALL_WEEK)
    agents = _agents(tmp_path, _enough_agents())
    code, out, err = run_cli(capsys, "schedule", scenario, "--agents", agents, "-o", tmp_path / "out")
    assert code == 0, err
    assert "proven optimal" in out
    roster = _rows((tmp_path / "out" / "roster.csv").read_text())
    coverage = _rows((tmp_path / "out" / "coverage.csv").read_text())
    assert all(r["date"] and r["weekday"] for r in roster + coverage)
    by_agent: dict[str, list[dict]] = {}
    for r in roster:
        by_agent.setdefault(r["agent"], []).append(r)
    for name, days in by_agent.items():
        worked = [d for d in days if d["start"]]
        assert len(days) == 7
        if name.startswith("F") and worked:
            assert len(worked) == 5 and sum(float(d["paid_hours"]) for d in worked) == 35
            off = [d["weekday"] for d in days if not d["start"]]
            assert "Sun" in off and ("Sat" in off or "Mon" in off)  # two consecutive days off
        assert all(d["weekday"] != "Sun" for d in worked)  # closed
    assert all(not d["start"] for d in by_agent["P0"] if d["weekday"] == "Mon")  # unavailable on Monday
    assert all(int(r["at_desk"]) >= int(r["required_agents"]) for r in coverage)
    assert {r["weekday"] for r in coverage} == {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
    document = json.loads((tmp_path / "out" / "week.json").read_text())
    assert document["groups"]["agents"]["solver_status"] == "optimal"
    assert (tmp_path / "out" / "roster.png").read_bytes()[:4] == b"\x89PNG"


def test_the_roster_rotates_the_weekend_towards_who_had_least(tmp_path, capsys):
    """Negative control for the fairness cost: with the history reversed, the Saturday tours go
    to the other agents."""
    scenario = _write(tmp_path, SMALL_WEEK)
    rows = [f"F{i},full-time,agents,,,{i}" for i in range(12)] + [f"P{i},part-time,agents,,,0" for i in range(10)]
    code, _, err = run_cli(capsys, "schedule", scenario, "--agents", _agents(tmp_path, rows), "-o", tmp_path / "a",
                           "--no-plots")
    assert code == 0, err
    saturday = {r["agent"] for r in _rows((tmp_path / "a" / "roster.csv").read_text())
                if r["weekday"] == "Sat" and r["start"] and r["agent"].startswith("F")}
    full_time_rostered = {r["agent"] for r in _rows((tmp_path / "a" / "roster.csv").read_text())
                          if r["start"] and r["agent"].startswith("F")}
    assert saturday and saturday != full_time_rostered
    # those with the fewest weekends before work Saturday: every Saturday worker had no more than any other
    most_among_saturday = max(int(a[1:]) for a in saturday)
    least_among_others = min((int(a[1:]) for a in full_time_rostered - saturday), default=99)
    assert most_among_saturday <= least_among_others


@pytest.mark.parametrize("rows, fragments", [
    (["A,full-time,nosuchgroup,,,0"], ("agents.csv:2", "unknown agent group 'nosuchgroup'")),
    (["A,full-time,agents,,,0", "A,full-time,agents,,,0"], ("agents.csv:3", "listed twice")),
    (["A,zero-hours,agents,,,0"], ("agents.csv:2", "unknown contract 'zero-hours'")),
    (["A,full-time,agents,2026-04-01,,0"], ("agents.csv:2", "unavailable", "2026-04-01")),
    (["A,full-time,agents,,,0"], ("group 'agents'", "needs", "full-time")),
])
def test_a_bad_agents_file_is_one_line(tmp_path, capsys, rows, fragments):
    code, out, err = run_cli(capsys, "schedule", _write(tmp_path, SMALL_WEEK), "--agents", _agents(tmp_path, rows),
                             "-o", tmp_path / "out")
    assert_user_error(code, out, err, *fragments)
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_a_contract_whose_hours_cannot_fit_the_week_is_named(tmp_path, capsys):
    data = yaml.safe_load(yaml.safe_dump(SMALL_WEEK))
    data["shifts"]["contracts"][0]["weekly_hours"] = [50, 60]  # 5 x 7 h paid = 35
    code, out, err = run_cli(capsys, "schedule", _write(tmp_path, data))
    assert_user_error(code, out, err, "shifts.contracts[0]", "full-time", "weekly_hours", "7 h paid")


def test_rules_that_cannot_cover_the_week_name_the_day_and_intervals(tmp_path, capsys):
    data = yaml.safe_load(yaml.safe_dump(SMALL_WEEK))
    data["shifts"]["contracts"][0]["max_agents"] = 1
    data["shifts"]["contracts"][1]["max_agents"] = 1
    code, out, err = run_cli(capsys, "schedule", _write(tmp_path, data))
    line = assert_user_error(code, out, err, "cannot cover the week", "2026-03-02 (Mon)", "short at 08:00")
    assert "agent-slots" in line


def test_a_day_listed_twice_and_a_bad_date_are_named(tmp_path, capsys):
    data = yaml.safe_load(yaml.safe_dump(SMALL_WEEK))
    data["days"][1]["date"] = "2026-03-02"
    code, out, err = run_cli(capsys, "validate", _write(tmp_path, data))
    assert_user_error(code, out, err, "days[1].date", "listed twice")
    data["days"][1]["date"] = "2026-02-30"
    code, out, err = run_cli(capsys, "validate", _write(tmp_path, data))
    assert_user_error(code, out, err, "days[1].date", "YYYY-MM-DD")


def test_a_one_day_scenario_is_written_back_without_days():
    scenario = load_scenario(SCENARIO_DIR / "retail_bank_shifts.yaml")
    assert scenario.days is None and scenario.shifts.contracts is None
    assert "days" not in dump_scenario_yaml(scenario) and "contracts" not in dump_scenario_yaml(scenario)


def test_the_shipped_week_is_valid_with_its_agents():
    scenario = load_scenario(SCENARIO_DIR / "retail_bank_week.yaml")
    assert [d.weekday_name for d in scenario.days] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert scenario.days[-1].closed
    from studies.week import read_agents

    agents = read_agents(SCENARIO_DIR / "retail_bank_week_agents.csv", scenario)
    assert len(agents) >= 40


def test_a_day_reads_its_calls_from_a_forecast_by_date(tmp_path):
    from simulator.loading import load_scenario as load

    rows = ["date,start,calls"]
    for date, factor in (("2026-03-02", 1), ("2026-03-03", 2)):
        rows += [f"{date},{8 + k:02d}:00,{10 * factor + k}" for k in range(8)]
    (tmp_path / "forecast.csv").write_text("\n".join(rows) + "\n")
    data = yaml.safe_load(yaml.safe_dump(SMALL_WEEK))
    data["days"][1]["calls"] = {"csv": "forecast.csv", "date": "2026-03-03"}
    scenario = load(_write(tmp_path, data))
    assert scenario.days[1].calls == tuple(float(20 + k) for k in range(8))
    assert scenario.on_day(1).arrivals.calls == scenario.days[1].calls
    assert scenario.on_day(2).arrivals.calls == tuple(0.8 * c for c in SMALL_WEEK["arrivals"]["calls"])
    data["days"][1]["calls"] = {"csv": "forecast.csv", "date": "2026-03-09"}
    with pytest.raises(Exception, match=r"days\[1\]|days.1"):
        load(_write(tmp_path, data))


def test_run_on_a_week_simulates_the_week_without_a_warning(capsys, tmp_path):
    """`run` on a scenario with days: simulates every date (a table per date), with no warning that
    it reports one day; the control (a one-day scenario) has no per-date table."""
    from helpers import HELP_DESK, SCENARIO_DIR, run_cli

    code, out, err = run_cli(capsys, "run", SCENARIO_DIR / "retail_bank_week.yaml", "-r", 2, "--no-plots",
                             "-o", tmp_path / "week")
    assert code == 0 and "simulates one day" not in err and "warning" not in err, err
    assert "2026-03-07  Sat" in out and "2026-03-08  Sun   closed" in out, out
    assert any(line.startswith("date ") for line in out.splitlines()), out
    code, out, err = run_cli(capsys, "run", HELP_DESK, "-r", 2, "--no-plots", "-o", tmp_path / "day")
    assert code == 0 and "days:" not in err, err
    assert not any(line.startswith("date ") for line in out.splitlines()), out


def test_validate_on_a_week_names_its_dates_and_the_calls_of_every_day(capsys):
    """`validate` on a scenario with days: says which dates it spans and sums every open day's
    calls (not one day's); control: a one-day scenario says nothing of days."""
    code, out, _ = run_cli(capsys, "validate", SCENARIO_DIR / "retail_bank_week.yaml")
    scenario = load_scenario(SCENARIO_DIR / "retail_bank_week.yaml")
    week_calls = sum(sum(scenario.on_day(d).arrivals.calls) for d in range(len(scenario.days)))
    assert code == 0 and "2026-03-02 to 2026-03-08 (7 days, 6 open)" in out and f"{week_calls:g} calls" in out
    assert week_calls > 5 * sum(scenario.arrivals.calls)
    code, out, _ = run_cli(capsys, "validate", SCENARIO_DIR / "help_desk.yaml")
    assert code == 0 and "days" not in out
