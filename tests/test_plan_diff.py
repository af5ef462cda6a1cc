"""`callsim plan --baseline`: plans made with different shrinkage are flagged, agents on the phones diffed.

Scheduled headcount = agents on the phones / (1 - shrinkage), so a baseline planned at 30%
shrinkage beside a plan at 0% shows fewer scheduled agents even when the calls grew. The test
builds that case, checks the warning and that the on-the-phones change has the sign the calls
imply, and as a negative control checks that two plans at the same shrinkage raise no warning.
"""
from __future__ import annotations

import csv
import math

from helpers import HELP_DESK, run_cli
from studies.plan_diff import diff_plans, parse_plan_csv, plan_shrinkage


def _plan(capsys, folder, *args):
    code, out, err = run_cli(capsys, "plan", HELP_DESK, "--no-plots", "-o", folder, *args)
    assert code == 0, err
    return out


def _rows(path):
    with open(path, newline="") as stream:
        return list(csv.DictReader(stream))


def test_different_shrinkage_warns_and_the_phones_are_diffed(tmp_path, capsys):
    _plan(capsys, tmp_path / "base", "--shrinkage", "0.3")
    out = _plan(capsys, tmp_path / "more", "--volume", "1.1", "--baseline", tmp_path / "base")
    assert "\nwarning: the two plans assume different shrinkage (baseline 30%, this plan 0%)" in out
    base, more = _rows(tmp_path / "base" / "plan.csv"), _rows(tmp_path / "more" / "plan.csv")
    assert plan_shrinkage(base) == 0.3 and plan_shrinkage(more) == 0.0
    diff = _rows(tmp_path / "more" / "plan_diff.csv")
    day = diff[-1]
    # the trap the warning is for: 10% more calls, yet fewer paid agent-hours
    assert float(day["agent_hours_change"]) < 0
    # on the phones: each interval's required agents, exactly; 30-minute intervals
    required_change = [int(m["required_agents"]) - int(b["required_agents"]) for m, b in zip(more, base)]
    assert [float(r["required_change"]) for r in diff[:-1]] == required_change
    assert float(day["phone_hours_change"]) == 0.5 * sum(required_change)
    assert float(day["phone_hours_change"]) > 0  # more calls need more agents taking them
    assert all(c >= 0 for c in required_change)  # Erlang staffing never falls when only the volume rises


def test_same_shrinkage_no_warning(tmp_path, capsys):
    """Negative control: same shrinkage, no warning (so the warning is not printed always)."""
    _plan(capsys, tmp_path / "base", "--shrinkage", "0.3")
    out = _plan(capsys, tmp_path / "more", "--shrinkage", "0.3", "--volume", "1.1", "--baseline", tmp_path / "base")
    assert "Change against the baseline plan" in out and "\nwarning:" not in out
    day = _rows(tmp_path / "more" / "plan_diff.csv")[-1]
    assert float(day["agent_hours_change"]) > 0  # same shrinkage: headcount follows the calls


def test_a_baseline_without_shrinkage_column_is_flagged(tmp_path, capsys):
    """A plan.csv from before the column: the comparison still works and says what it cannot know."""
    _plan(capsys, tmp_path / "base")
    rows = _rows(tmp_path / "base" / "plan.csv")
    old = [{k: v for k, v in r.items() if k != "shrinkage"} for r in rows]
    text = "\n".join([",".join(old[0])] + [",".join(r.values()) for r in old]) + "\n"
    baseline = parse_plan_csv(text, "old/plan.csv")
    diff = diff_plans(rows, baseline, 30, "old")
    assert plan_shrinkage(baseline) is None
    assert len(diff.warnings) == 1 and "does not record the shrinkage" in diff.warnings[0]
    assert not diff_plans(rows, rows, 30, "same").warnings  # negative control
    assert all(math.isclose(r.change("phone_hours"), 0.0) for r in diff.rows)
