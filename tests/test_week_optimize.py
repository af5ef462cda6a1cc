"""`callsim optimize` on a scenario with days: (a week): every open date optimised on its own, as
`optimize_staffing` optimises that date's one-day scenario with the same seed and replications (a
test ties them), the closed date left out, the optimised week written as a scenario `run` reads,
each date confirmed out of sample."""
from __future__ import annotations

import csv
import io
import json

import yaml

from helpers import run_cli
from simulator import load_scenario
from studies.optimize import optimize_staffing
from test_week import SMALL_WEEK, _write

WEEK = {**SMALL_WEEK, "days": SMALL_WEEK["days"][:2] + [{"date": "2026-03-04", "closed": True},
                                                       {"date": "2026-03-05", "volume": 1.5}]}
WEEK.pop("shifts")
OPTIONS = ["-r", "3", "--confirm-replications", "4", "-w", "1", "-q", "--seed", "11"]


def test_optimize_on_a_week_optimises_each_open_date_as_one_day_and_writes_the_week(tmp_path, capsys):
    path = _write(tmp_path, WEEK)
    code, out, err = run_cli(capsys, "optimize", path, *OPTIONS, "-o", tmp_path / "out")
    assert code == 0, err
    assert "2026-03-04  Wed       closed" in out and "holds out of sample" in out
    scenario = load_scenario(path)
    optimized = load_scenario(tmp_path / "out" / "week.optimized.yaml")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "optimize_week.csv").read_text())))
    assert {r["date"] for r in rows} == {"2026-03-02", "2026-03-03", "2026-03-05"}  # not the closed date
    for d in (0, 1, 3):  # each open date: exactly the one-day optimiser's answer on that date's scenario
        alone = optimize_staffing(scenario.on_day(d), replications=3, seed=11, confirm_replications=4)
        assert optimized.days[d].staffing == {"agents": alone.staffing["agents"]}
        assert [int(r["agents"]) for r in rows if r["date"] == scenario.days[d].date] == list(alone.staffing["agents"])
    # power: the busier date (x1.5) needs more agent-hours than the plain one
    document = json.loads((tmp_path / "out" / "optimize_week.json").read_text())
    hours = {day["date"]: day["optimize"]["agent_hours"]["optimized"] for day in document["dates"] if not day["closed"]}
    assert hours["2026-03-05"] > hours["2026-03-02"]
    assert document["dates"][2]["closed"] and "optimize" not in document["dates"][2]
    # the optimised week runs as one timeline
    code, out, err = run_cli(capsys, "run", tmp_path / "out" / "week.optimized.yaml", "-r", "2", "-q", "--no-plots",
                             "-o", tmp_path / "run")
    assert code == 0, err
    assert yaml.safe_load((tmp_path / "out" / "week.optimized.yaml").read_text())["days"][2]["closed"] is True


def test_optimize_on_a_week_refuses_report_in_one_line(tmp_path, capsys):
    code, out, err = run_cli(capsys, "optimize", _write(tmp_path, WEEK), *OPTIONS, "--report", "-o", tmp_path / "out")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--report" in err
    assert not (tmp_path / "out").exists()


def test_the_calls_guard_measures_the_busiest_date(tmp_path, capsys):
    """--max-calls guards one staffing's day: on a week, the busiest open date's (here the last,
    x1.5: 375 calls a day x 4 confirmation days = 1,500), not the first (1,000)."""
    path = _write(tmp_path, WEEK)
    code, out, err = run_cli(capsys, "optimize", path, *OPTIONS, "--max-calls", "1200", "-o", tmp_path / "out")
    assert code == 2 and "1,500 calls" in err and not (tmp_path / "out").exists()
    code, out, err = run_cli(capsys, "optimize", path, *OPTIONS, "--max-calls", "1600", "-o", tmp_path / "out")
    assert code == 0, err
