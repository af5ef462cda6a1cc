"""The service level's four definitions on hand-built records: each value computed by hand,
the headline named in the printed table and the report, and the nesting of the three shares."""
from __future__ import annotations

import numpy as np
import pytest

from simulator import scenario_from_dict
from simulator.columns import RECORDED
from simulator.kpis import replication_kpis
from simulator.records import CallRecords, Outcome, ReplicationResult

A, X, B, U = Outcome.ANSWERED, Outcome.ABANDONED, Outcome.BALKED, Outcome.UNSERVED


def two_intervals():
    return scenario_from_dict({
        "schema_version": 1, "name": "sl", "interval_minutes": 15,
        "arrivals": {"calls": [4.0, 2.0]},  # expected calls per interval: the denominators of service_level_expected
        "queues": [{"name": "q", "talk_time": {"dist": "fixed", "mean": 60}}],
        "agents": [{"name": "team", "serves": ["q"], "staffing": [1, 1]}],
        "targets": {"service_level": {"fraction": 0.8, "within": 20}},
    })


def result_of(calls):
    """A replication whose records are `calls`: (arrived_at_s, outcome, wait_s); no agent time."""
    arrived, outcome, wait = (np.array(c) for c in zip(*calls))
    n = len(calls)
    given = {"arrived_at_s": arrived, "outcome": outcome, "wait_s": wait, "caller": np.arange(n)}
    records = CallRecords(**{c.record_as: np.asarray(given.get(c.record_as, np.full(n, c.absent)), dtype=c.dtype)
                             for c in RECORDED})
    empty = np.zeros(0)
    return ReplicationResult(0, 1.0, records, empty.astype(np.int16), empty, empty, empty.astype(np.int16),
                             empty, empty, 1800.0, 1800.0)


# T = 20 s. Interval 0 (before 900 s): answered after 5, 20 (= T: within) and 30 s; abandoned after
# 10 s (short) and 25 s (after T); one balk. Interval 1: answered at once, unserved after 100 s,
# abandoned after exactly 20 s (not after T: a short abandon).
CALLS = [(10.0, A, 5.0), (20.0, A, 20.0), (30.0, A, 30.0), (40.0, X, 10.0), (50.0, X, 25.0), (60.0, B, 0.0),
         (1000.0, A, 0.0), (1100.0, U, 100.0), (1200.0, X, 20.0)]


def test_each_definition_by_hand():
    kpi = replication_kpis(result_of(CALLS), two_intervals())
    # answered within T: 2 | 1 | 3 (day)
    assert kpi["service_level"].tolist() == [2 / 6, 1 / 3, 3 / 9]  # / reached the queue (6 | 3 | 9)
    assert kpi["service_level_answered"].tolist() == [2 / 3, 1 / 1, 3 / 4]  # / answered (3 | 1 | 4)
    # / (answered + abandoned after T): 3 + 1 | 1 + 0 | 4 + 1
    assert kpi["service_level_short_abandons_excluded"].tolist() == [2 / 4, 1 / 1, 3 / 5]
    assert kpi["service_level_expected"].tolist() == [2 / 4, 1 / 2, 3 / 6]  # / arrivals.calls (4 | 2 | 6)


def test_negative_controls_the_boundaries_are_seen():
    """Moving one call across T changes exactly the definitions whose rule it crosses."""
    base = replication_kpis(result_of(CALLS), two_intervals())
    # the abandon at exactly T, moved just after T, becomes a late abandon: only that definition moves
    late = [c if c[0] != 1200.0 else (1200.0, X, 20.001) for c in CALLS]
    moved = replication_kpis(result_of(late), two_intervals())
    assert moved["service_level_short_abandons_excluded"][1] == 1 / 2 != base["service_level_short_abandons_excluded"][1]
    for same in ("service_level", "service_level_answered", "service_level_expected"):
        assert moved[same][1] == base[same][1]
    # the answer at exactly T, moved just after T, leaves the numerator of all four
    slower = [c if c[0] != 20.0 else (20.0, A, 20.001) for c in CALLS]
    moved = replication_kpis(result_of(slower), two_intervals())
    for name in ("service_level", "service_level_answered", "service_level_short_abandons_excluded",
                 "service_level_expected"):
        assert moved[name][0] < base[name][0], name


def test_expected_denominator_is_the_forecast_not_the_count():
    """service_level_expected is a ratio, not a share: more calls answered in time than expected
    is above 1, and its CI is not cut at 1 (its unit's bounds)."""
    from simulator.kpi_table import KPI

    busy = [(float(t), A, 0.0) for t in range(10, 70, 10)]  # 6 answered at once, 4 expected
    kpi = replication_kpis(result_of(busy), two_intervals())
    assert kpi["service_level_expected"][0] == 6 / 4
    assert kpi["service_level"][0] == 1.0
    assert KPI["service_level_expected"].bounds == (0.0, np.inf)
    assert KPI["service_level"].bounds == (0.0, 1.0)


def test_the_three_shares_are_nested_on_a_simulated_day():
    """service_level <= short_abandons_excluded <= answered in every interval of every replication
    (nested denominators over one numerator); and the control: the ordering is strict somewhere,
    so the check could fail."""
    from simulator import load_scenario, run_scenario
    from helpers import REPO

    result = run_scenario(load_scenario(REPO / "scenarios" / "help_desk.yaml"), replications=3, seed=5)
    kpi = result.per_replication
    sl, excl, ans = kpi["service_level"], kpi["service_level_short_abandons_excluded"], kpi["service_level_answered"]
    assert np.all(sl <= excl) and np.all(excl <= ans)
    assert np.any(sl < excl) and np.any(excl < ans)


def test_the_headline_is_named_in_the_table_and_the_report(tmp_path, capsys):
    from helpers import REPO, run_cli

    code, out, err = run_cli(capsys, "run", REPO / "scenarios" / "help_desk.yaml", "-r", "2", "-w", "1", "-q",
                             "--no-plots", "--report", "-o", tmp_path)
    assert code == 0, err
    headline = "SL = service_level = answered within 20 s / calls that reached the queue"
    assert headline in out
    for other in ("service_level_answered over answered calls",
                  "service_level_short_abandons_excluded over answered + abandoned after 20 s",
                  "service_level_expected over expected calls"):
        assert other in out
    assert headline in (tmp_path / "report.html").read_text()
