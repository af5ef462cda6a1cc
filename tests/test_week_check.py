"""`callsim schedule --verify` and `--by-simulation` on a week (studies.week_check): the tours'
staffing per date, the week simulated on replications 0 .. R-1 and confirmed on fresh ones from
index 1,000,000, hits and misses per (date, interval), and the scheduled week reproducible by
`run`."""
from __future__ import annotations

import copy
import csv
import io
import json

import numpy as np
import pytest

from helpers import assert_user_error, run_cli
from simulator import load_scenario, scenario_from_dict
from simulator.batch import run_scenarios
from studies.optimize import CONFIRM_FIRST_REPLICATION
from studies.week import schedule_week
from studies.week_check import check_week, scheduled_week, week_staffing
from test_week import SMALL_WEEK, _write

REPLICATIONS = 6


@pytest.fixture(scope="module")
def small_week():
    return scenario_from_dict(SMALL_WEEK)


@pytest.fixture(scope="module")
def checked(small_week):
    return check_week(schedule_week(small_week), replications=REPLICATIONS)


def test_the_scheduled_week_staffs_each_date_with_what_its_tours_put_on_the_phones(small_week, checked):
    """Every open date's staffing is at least its requirement (the tours cover every slot), a
    closed date's is zero, and the timeline's staffing is exactly the dates' lists."""
    study = checked.study
    staffing = week_staffing(study)["agents"]
    per = small_week.interval_minutes // study.slot_minutes
    for d, day in enumerate(small_week.days):
        required = study.required["agents"][d]
        for k in range(small_week.n_intervals):
            assert staffing[d][k] >= max(required[k * per:(k + 1) * per]), (d, k)
        if day.closed:
            assert not any(staffing[d])
    line = checked.judged.result.timeline
    flat = checked.judged.result.scenario.agents[0].staffing
    for d, day in enumerate(line.days):
        assert [flat[k] for k in day.open_intervals] == list(staffing[d][:len(day.open_intervals)])
    assert scheduled_week(study).days[1].staffing == {"agents": staffing[1]}


def test_the_confirmation_is_out_of_sample_and_reproducible(small_week, checked):
    """The confirmation is the same week on replications 1,000,000 onwards: equal to
    run_scenarios with that first replication, and not the in-sample figures."""
    again, = run_scenarios([checked.scheduled], REPLICATIONS, small_week.simulation.seed,
                           first_replication=CONFIRM_FIRST_REPLICATION, sample_day=False)
    assert np.array_equal(again.per_replication["service_level"], checked.confirmation.result.per_replication[
        "service_level"], equal_nan=True)
    assert not np.array_equal(checked.judged.result.per_replication["offered"],
                              checked.confirmation.result.per_replication["offered"])
    shown = len(checked.judged.result.shown_intervals)
    assert shown == 6 * 8
    for judged in (checked.judged, checked.confirmation):
        assert judged.hits() + len(judged.missed_intervals) == shown


def test_schedule_verify_on_a_week_writes_dated_hits_and_misses(capsys, tmp_path):
    """The command: week_verify.csv dated on every row (each open interval once), week.json naming
    the seed and both blocks of replications, and `run` on the written scheduled week giving the
    verification's own figures (same seed, same replications)."""
    path = _write(tmp_path, SMALL_WEEK)
    out = tmp_path / "out"
    code, printed, err = run_cli(capsys, "schedule", path, "--verify", "-r", REPLICATIONS, "--no-plots", "-o", out)
    assert code == 0, err
    assert "Confirmed out of sample (replications 1,000,000 to 1,000,005" in printed, printed
    rows = list(csv.DictReader(io.StringIO((out / "week_verify.csv").read_text())))
    assert len(rows) == 48 and all(row["date"] and row["weekday"] for row in rows)
    assert {row["date"] for row in rows} == {f"2026-03-0{d}" for d in range(2, 8)}  # Sunday is closed
    document = json.loads((out / "week.json").read_text())["verification"]
    assert document["simulated"]["first_replication"] == 0
    assert document["confirmation"]["first_replication"] == CONFIRM_FIRST_REPLICATION
    assert document["simulated"]["seed"] == SMALL_WEEK.get("simulation", {}).get("seed", 20261123)
    missed = sum(bool(row["missed"]) for row in rows)
    assert document["simulated"]["misses"] == missed and document["simulated"]["hits"] == 48 - missed
    code, printed, err = run_cli(capsys, "run", out / "week.scheduled.yaml", "-r", REPLICATIONS, "--no-plots", "-o",
                                 tmp_path / "run")
    assert code == 0, err
    kpis = json.loads((tmp_path / "run" / "kpis.json").read_text())
    assert [d["offered"]["mean"] for d in kpis["days"]] == [d["offered"]["mean"] for d in document["simulated"]["days"]]
    assert kpis["day"]["service_level"] == document["simulated"]["week"]["service_level"]


def test_by_simulation_raises_the_requirement_where_the_week_misses(small_week):
    """A strict ASA target makes the analytic tours miss; each round requires one agent more on
    the phones where the simulated mean missed; the rounds end with nothing missed in sample (or
    at the round limit), and the misses never grow from the first round to the last."""
    strict = copy.deepcopy(SMALL_WEEK)
    strict["targets"]["asa"] = 8
    scenario = scenario_from_dict(strict)
    first = schedule_week(scenario)
    checked = check_week(first, replications=REPLICATIONS, by_simulation=True, max_rounds=4)
    assert checked.rounds[0].misses > 0 and checked.rounds[0].raised > 0
    assert checked.rounds[-1].misses <= checked.rounds[0].misses
    assert len(checked.rounds) >= 2
    cost = [r.cost for r in checked.rounds]
    assert cost == sorted(cost)  # more required, never cheaper
    assert checked.converged == (checked.rounds[-1].misses == 0)
    # the tours the check returns are the last round's
    assert checked.judged.result.per_replication["offered"].shape == (REPLICATIONS, 7 * 24 - 16 + 1)


def test_requirements_for_a_week_still_refused(capsys, tmp_path):
    path = _write(tmp_path, SMALL_WEEK)
    code, out, err = run_cli(capsys, "schedule", path, "--requirements", path, "-o", tmp_path / "x")
    assert_user_error(code, out, err, "--requirements", "week")
