"""`callsim erlang`: sizing, the reverse calculation, JSON output and one-line errors."""
from __future__ import annotations

import json

import pytest

from cli import main

JSON_KEYS = {"agents", "scheduled_agents", "offered_load_erlangs", "p_wait", "asa", "service_level",
             "occupancy", "p_abandon", "binding_constraint", "flags"}


def run(capsys, *args):
    code = main(["erlang", *args])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *args):
    code, out, err = run(capsys, *args, "--json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert set(document) == JSON_KEYS
    return document


def test_sizes_the_call_centre_helper_example(capsys):
    # 100 calls / 30 min, AHT 180 s, default 80/20, 30% shrinkage -> 14 agents, 20 scheduled
    # (Call Centre Helper's Erlang C worked example).
    doc = run_json(capsys, "--calls", "100", "--interval-minutes", "30", "--aht", "180", "--shrinkage", "0.3")
    assert (doc["agents"], doc["scheduled_agents"], doc["binding_constraint"]) == (14, 20, "service_level")
    assert doc["offered_load_erlangs"] == pytest.approx(10.0)
    assert doc["service_level"] == pytest.approx(0.888, abs=5e-4)
    assert doc["p_abandon"] is None
    assert doc["flags"] == ["below_occupancy_floor"]


def test_human_output_is_a_readable_block(capsys):
    code, out, err = run(capsys, "--calls", "100", "--aht", "180", "--shrinkage", "0.3")
    assert (code, err) == (0, "")
    assert "Erlang C" in out
    assert "10.00 Erlangs" in out
    assert "14 (required; set by the service level target)" in out
    assert "20 (shrinkage 30%)" in out
    assert "88.8% within 20 s" in out
    assert "71.4%" in out
    assert "below the lower end of the occupancy band" in out
    assert "P(abandon)" not in out


def test_patience_switches_to_erlang_a(capsys):
    # Field guide: 1,000 Erlangs (6,000 calls / 30 min at AHT 300 s), 80/20, patience 180 s:
    # Erlang A 936 agents, Erlang C 1,015 (occupancy band disabled to compare the models).
    args = ["--calls", "6000", "--aht", "300", "--occupancy", "0", "1"]
    erlang_a = run_json(capsys, *args, "--patience", "180")
    erlang_c = run_json(capsys, *args)
    assert (erlang_a["agents"], erlang_c["agents"]) == (936, 1015)
    assert 0.0 < erlang_a["p_abandon"] < 0.1
    code, out, _ = run(capsys, *args, "--patience", "180")
    assert code == 0 and "Erlang A" in out and "P(abandon)" in out


def test_agents_evaluates_instead_of_sizing(capsys):
    doc = run_json(capsys, "--calls", "100", "--aht", "180", "--agents", "13")
    assert (doc["agents"], doc["binding_constraint"]) == (13, "given")
    assert "misses_service_level" in doc["flags"]
    assert doc["service_level"] < 0.8


def test_unstable_evaluation_prints_null_not_infinity(capsys):
    code, out, err = run(capsys, "--calls", "100", "--aht", "180", "--agents", "10", "--json")
    assert "Infinity" not in out and "NaN" not in out
    doc = json.loads(out)
    assert doc["asa"] is None and "unstable" in doc["flags"]


def test_asa_and_abandon_targets(capsys):
    doc = run_json(capsys, "--calls", "100", "--aht", "180", "--patience", "60", "--asa", "5",
                   "--max-abandon", "0.01", "--occupancy", "0", "1")
    assert doc["asa"] <= 5 and doc["p_abandon"] <= 0.01
    assert doc["binding_constraint"] in {"asa", "abandon_rate"}


def test_no_calls(capsys):
    doc = run_json(capsys, "--calls", "0", "--aht", "180")
    assert (doc["agents"], doc["flags"]) == (0, ["no_demand"])


@pytest.mark.parametrize("args", [
    ["--calls", "-5", "--aht", "180"],
    ["--calls", "100", "--aht", "0"],
    ["--calls", "100", "--aht", "abc"],
    ["--calls", "100", "--aht", "180", "--sl", "1.5"],
    ["--calls", "100", "--aht", "180", "--sl", "1"],  # unreachable
    ["--calls", "100", "--aht", "180", "--asa", "0"],  # unreachable
    ["--calls", "100", "--aht", "180", "--shrinkage", "1"],
    ["--calls", "100", "--aht", "180", "--agents", "-1"],
    ["--calls", "100", "--aht", "180", "--occupancy", "0.9", "0.8"],
    ["--calls", "100", "--aht", "180", "--max-abandon", "0.05"],  # needs --patience
    ["--calls", "nan", "--aht", "180"],
    ["--aht", "180"],  # --calls missing
])
def test_bad_input_exits_2_with_one_line(capsys, args):
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "error" in err
    assert "Traceback" not in err
