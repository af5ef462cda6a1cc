"""compare --equal-service: each design optimised on the same callers is exactly what `optimize`
gives it with the same seed, and the KPI differences are paired on the same confirmation days."""
from __future__ import annotations

import json

import numpy as np
import pytest

from helpers import SCENARIO_DIR, assert_user_error, run_cli
from simulator import load_scenario
from studies.optimize import optimize_staffing

DEEP, BROAD = SCENARIO_DIR / "ivr_deep_menu.yaml", SCENARIO_DIR / "ivr_broad_menu.yaml"


def test_equal_service_is_two_optimize_runs_on_the_same_seed_and_pairs_the_confirmation_days(tmp_path, capsys):
    code, out, err = run_cli(capsys, "compare", DEEP, BROAD, "--equal-service", "-r", "4", "-w", "1", "-q",
                             "-o", tmp_path / "eq")
    assert code == 0, err
    document = json.loads((tmp_path / "eq" / "equal_service.json").read_text())
    seed = load_scenario(DEEP).simulation.seed
    assert document["seed"] == seed and document["confirm_replications"] == 8
    runs = [optimize_staffing(load_scenario(path), replications=4, seed=seed) for path in (DEEP, BROAD)]
    for design, run in zip(document["designs"], runs):
        assert design["optimize"]["staffing"] == {name: list(s) for name, s in run.staffing.items()}
        assert design["agent_hours"] == run.final.agent_hours and design["cost"] == run.final.cost
    assert document["designs"][1]["agent_hours_vs_first"] == runs[1].final.agent_hours - runs[0].final.agent_hours
    # paired: the difference of the day's service level, replication by replication, on the same fresh days
    deep, broad = (r.confirmation.result.per_replication["service_level"][:, -1] for r in runs)
    difference = broad - deep
    assert document["kpi_differences"][0]["kpis"]["service_level"]["mean"] == pytest.approx(difference.mean())
    # pairing pays: the paired spread is smaller than the two samples' own (the same callers on both sides)
    assert difference.std(ddof=1) < np.hypot(deep.std(ddof=1), broad.std(ddof=1))
    assert "agent-hours" in out and "ivr_broad_menu" in out


def test_equal_service_refuses_all_pairs_in_one_line(tmp_path, capsys):
    code, out, err = run_cli(capsys, "compare", DEEP, BROAD, "--equal-service", "--all-pairs", "-o", tmp_path / "x")
    assert_user_error(code, out, err, "--all-pairs")
    assert not (tmp_path / "x").exists()
