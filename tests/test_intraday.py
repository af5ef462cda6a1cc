"""callsim intraday: a morning running 20% over forecast, end to end, against theory.

The day: one M/M/20 queue (exponential talk, mean 240 s, no ACW, nobody abandons), 120 calls per
half-hour from 08:00 to 16:00: A = 16 Erlangs, Erlang C gives 81.7% answered within 20 s with 20
agents, so the plan just meets 80/20. The actuals run exactly 20% over the forecast all morning.

- Re-forecast: the damped ratio is 1 + 0.2 n / (n + 4) exactly (n intervals observed), between
  1.0 and 1.2 and moving toward 1.2 as the day goes on; a cut interval counts as its share.
- Predicted misses: at 12:00 the rest of the day is 1.133 x the forecast (A = 18.1): Erlang C
  says 50.7% with 20 agents; every remaining interval but the first (which starts empty at
  12:00) must be reported as missing, and the simulated service level must lie far below 80%.
- Suggested overtime: the optimiser's overtime holds on its confirmation, and on replications
  from 2,000,000 (never seen by the search, whose days are 0.., nor by its confirmation, from
  1,000,000) every remaining interval's service level is not significantly below 80% (one-sided
  1% per interval), while the scheduled staffing on the same days is significantly below it
  (the negative control). The overtime is no larger than Erlang C asks at the re-forecast load
  plus 2 (a cheap answer, not a padded one), and its actions, read back, give its staffing.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from helpers import HELP_DESK, assert_user_error, run_cli
from planner.erlang import erlang_c_metrics
from simulator.loading import load_scenario
from studies.intraday import (ActionOutcome, IntradayError, intraday_study, overtime_actions, parse_now,
                              read_actuals, reforecast)
from studies.intraday_actions import OVERTIME_FACTOR, ActionError, parse_action

CALLS, AGENTS, TALK_S, THRESHOLD_S = 120.0, 20, 240.0, 20.0
N_INTERVALS = 16
DAY = f"""schema_version: 1
name: Flat M/M/20 day
interval_minutes: 30
start: "08:00"
arrivals:
  calls: {[CALLS] * N_INTERVALS}
queues:
  - name: service
    talk_time: {{dist: exponential, mean: {TALK_S}}}
    acw: {{dist: fixed, mean: 0}}
agents:
  - name: team
    serves: [service]
    staffing: {AGENTS}
    hourly_cost: 20
targets:
  service_level: {{fraction: 0.8, within: {THRESHOLD_S}}}
  occupancy: [0.5, 1.0]
simulation: {{replications: 20, seed: 7}}
"""
HEADER = "interval,offered,answered,abandoned,aht_s,asa_s,agents\n"


def _labels(n: int) -> list[str]:
    return [f"{8 + k // 2:02d}:{30 * (k % 2):02d}" for k in range(n)]


def _actuals(tmp_path, n: int, factor: float = 1.2, name: str = "actuals.csv", aht_s: float = TALK_S):
    rows = "".join(f"{label},{CALLS * factor:g},{CALLS * factor:g},0,{aht_s:g},30,{AGENTS}\n" for label in _labels(n))
    path = tmp_path / name
    path.write_text(HEADER + rows)
    return path


@pytest.fixture
def day(tmp_path):
    path = tmp_path / "day.yaml"
    path.write_text(DAY)
    return path


def test_reforecast_is_the_damped_ratio_and_moves_toward_the_actual_rate(day, tmp_path):
    scenario = load_scenario(day)
    factors = []
    for n in (1, 2, 4, 8, 12):
        now = parse_now(scenario, _labels(n + 1)[-1])
        f = reforecast(scenario, read_actuals(_actuals(tmp_path, n), scenario, now), now)
        assert f.volume_ratio == pytest.approx(1.2)
        assert f.volume_factor == pytest.approx(1 + 0.2 * n / (n + 4), abs=1e-12)
        assert 1.0 < f.volume_factor < 1.2
        assert f.aht_factor == pytest.approx(1.0)  # the AHT ran as forecast
        assert f.rest_calls[:n] == (0.0,) * n and f.rest_calls[n] == pytest.approx(CALLS * f.volume_factor)
        factors.append(f.volume_factor)
    assert factors == sorted(factors) and factors[-1] - factors[0] > 0.1
    # negative control: a morning on forecast is not re-forecast at all
    now = parse_now(scenario, "12:00")
    assert reforecast(scenario, read_actuals(_actuals(tmp_path, 8, 1.0, "flat.csv"), scenario, now), now).volume_factor == 1.0


def test_a_cut_interval_counts_as_its_share_and_keeps_the_rest_of_its_calls(day, tmp_path):
    scenario = load_scenario(day)
    now = parse_now(scenario, "09:15")  # 08:00, 08:30 whole, 09:00 half seen
    path = tmp_path / "cut.csv"
    path.write_text(HEADER + f"08:00,144,144,0,240,3,20\n08:30,144,144,0,300,3,20\n09:00,72,72,0,240,3,20\n")
    f = reforecast(scenario, read_actuals(path, scenario, now), now)
    assert (f.forecast_calls, f.actual_calls, f.observed_intervals) == (300.0, 360.0, 2.5)
    assert f.volume_factor == pytest.approx(1 + 0.2 * 2.5 / 6.5)
    assert f.rest_calls[2] == pytest.approx(60 * f.volume_factor)  # half of 09:00 is left
    # AHT: answered-weighted (144*240 + 144*300 + 72*240) / 360 = 264 s against 240 s
    assert f.actual_aht_s == pytest.approx(264.0) and f.aht_ratio == pytest.approx(1.1)
    assert f.aht_factor == pytest.approx(1 + 0.1 * 2.5 / 6.5)


@pytest.fixture(scope="module")
def morning(tmp_path_factory):
    """The 20%-over morning at 12:00, with one action and --suggest (simulated once for the module)."""
    folder = tmp_path_factory.mktemp("intraday")
    path = folder / "day.yaml"
    path.write_text(DAY)
    scenario = load_scenario(path)
    result = intraday_study(scenario, _actuals(folder, 8), "12:00", actions=["overtime 3 team 12:00-16:00"],
                            suggest=True, replications=30)
    return scenario, result


def test_the_misses_erlang_c_predicts_are_reported(morning):
    scenario, result = morning
    load = CALLS * result.forecast.volume_factor / 1800 * TALK_S
    assert load == pytest.approx(16 * (1 + 0.2 * 8 / 12))
    exact = erlang_c_metrics(AGENTS, load / TALK_S, TALK_S, THRESHOLD_S).service_level
    assert exact < 0.55  # the theory this test leans on: a clear miss
    rows = result.nothing.intervals
    assert [r.label for r in rows] == _labels(N_INTERVALS)[8:]
    for r in rows[1:]:  # the first starts empty at 12:00
        assert r.missed == ("service level",), r
    # from empty at 12:00 the queue relaxes to Erlang C's 50.7% over about AHT / (sqrt(N) - sqrt(A))^2
    # = 1.5 hours: from 13:30 on the whole 95% interval is below the target, by the end well below
    for r in rows[3:]:
        assert r.kpis["service_level"].ci95[1] < 0.8, r
    late = np.mean([r.kpis["service_level"].mean for r in rows[-4:]])
    assert late < exact + 0.15, late
    assert result.nothing.day["service_level"].ci95[1] < 0.75


def test_an_action_is_a_paired_difference_on_the_same_callers(morning):
    scenario, result = morning
    (overtime,) = result.actions
    assert isinstance(overtime, ActionOutcome)
    assert overtime.cost == pytest.approx(3 * 4.0 * 20 * OVERTIME_FACTOR)
    d = overtime.difference["service_level"]
    assert d.ci95[0] > 0.1  # three more agents help, clearly
    # the pairing narrows the interval: the paired CI is narrower than the unpaired one
    assert d.ci95[1] - d.ci95[0] < d.unpaired_ci95[1] - d.unpaired_ci95[0]


def test_the_suggested_overtime_holds_on_fresh_days_and_the_schedule_does_not(morning):
    from simulator.batch import run_scenarios

    scenario, result = morning
    s = result.suggestion
    assert s.holds and s.converged and not s.infeasible
    assert s.overtime["team"][:8] == (0,) * 8 and min(s.overtime["team"][8:]) >= 1
    load = CALLS * result.forecast.volume_factor / 1800 * TALK_S
    erlang = next(n for n in range(AGENTS, 60) if erlang_c_metrics(n, load / TALK_S, TALK_S, THRESHOLD_S).service_level >= 0.8)
    assert max(s.staffing["team"][8:]) <= erlang + 2, (s.staffing, erlang)
    # the actions, read back, give the suggested staffing
    rest = result.rest
    for text in (a.text for a in s.actions):
        rest = parse_action(text, scenario, 8).variant(rest)
    assert rest.agents[0].staffing == s.staffing["team"]
    assert s.cost == pytest.approx(sum(s.overtime["team"]) * 0.5 * 20 * OVERTIME_FACTOR)
    suggested, scheduled = run_scenarios([rest, result.rest], 40, result.seed, first_replication=2_000_000,
                                         sample_day=False)
    z = stats.norm.ppf(0.99)
    for k in range(8, N_INTERVALS):
        for run, holds in ((suggested, True), (scheduled, False)):
            v = run.per_replication["service_level"][:, k]
            v = v[np.isfinite(v)]
            upper = v.mean() + z * v.std(ddof=1) / math.sqrt(len(v))
            assert (upper >= 0.8) == holds or (not holds and k == 8), (k, holds, v.mean())


def test_overtime_actions_group_runs_of_the_same_extra_agents(day):
    scenario = load_scenario(day)
    actions = overtime_actions(scenario, {"team": (0,) * 8 + (2, 2, 3, 3, 3, 0, 1, 1)})
    assert [a.text for a in actions] == ["overtime 2 team 12:00-13:00", "overtime 3 team 13:00-14:30",
                                         "overtime 1 team 15:00-16:00"]


def test_actions_change_exactly_what_they_say(day):
    scenario = load_scenario(day)
    two = load_scenario(HELP_DESK)
    ot = parse_action("overtime 3 team 13:30-15:00", scenario, 8).variant(scenario)
    assert ot.agents[0].staffing == (20,) * 11 + (23,) * 3 + (20,) * 2
    vto = parse_action("vto 2 team 15:00", scenario, 8)
    assert vto.variant(scenario).agents[0].staffing == (20,) * 14 + (18,) * 2
    assert vto.cost(scenario) == pytest.approx(-2 * 1.0 * 20)
    quoted = parse_action('vto 1 "support team" 10:00-11:00', two, 0).variant(two)
    assert quoted.agents[0].staffing == (10, 10, 10, 10, 9, 9, 10, 10)


@pytest.mark.parametrize("text, fragment", [
    ("overtime 3 nobody 13:00", "unknown agent group 'nobody'"),
    ("overtime x team 13:00", "not a number of agents"),
    ("overtime 3 team 13:10", "not an interval start"),
    ("overtime 3 team 10:00", "before the interval of --now"),
    ("overtime 3 team 14:00-13:00", "not after it starts"),
    ("vto 21 team 13:00", "fewer than 21"),
    ("holiday 3 team", "unknown action 'holiday'"),
    ("callbacks on service", "no callback section"),
    ("announcement 0.2", "no IVR announcement"),
    ('overtime 3 "team 13:00', "close the quotes"),
])
def test_bad_actions_are_one_line_naming_the_action(day, text, fragment):
    scenario = load_scenario(day)
    with pytest.raises(ActionError) as caught:
        parse_action(text, scenario, 8).variant(scenario)
    message = str(caught.value)
    assert fragment in message and f"--action '{text}'" in message and "\n" not in message


def test_callbacks_and_the_announcement_switch(tmp_path):
    from helpers import SCENARIO_DIR

    on = load_scenario(SCENARIO_DIR / "callback_peak_on.yaml")
    off = parse_action(f"callbacks off {on.queues[0].name}", on, 0).variant(on)
    assert off.queues[0].callback is None
    outage = load_scenario(SCENARIO_DIR / "utility_outage.yaml")
    k = 6
    changed = parse_action(f"announcement 0.5 {outage.interval_labels()[k]}", outage, 2).variant(outage)
    shares = changed.ivr.announcement.hang_up_satisfied
    assert shares[k:] == (0.5,) * (outage.n_intervals - k)
    assert shares[:k] == tuple(outage.ivr.satisfied_share(np.arange(k)))


# --- bad input and the command line -------------------------------------------------------------


@pytest.mark.parametrize("rows, now, fragments", [
    ("08:00,144,144,0,240,3,20\n", "07:00", ("--now 07:00", "outside")),
    ("08:00,144,144,0,240,3,20\n", "16:00", ("--now 16:00", "outside")),
    ("08:00,144,144,0,240,3,20\n09:00,144,144,0,240,3,20\n", "09:00", ("actuals.csv:3", "at or after --now 09:00")),
    ("08:00,-5,0,0,240,3,20\n", "09:00", ("actuals.csv:2", "negative value")),
    ("08:10,144,144,0,240,3,20\n", "09:00", ("actuals.csv:2", "not an interval start")),
    ("08:00,144,144,0,240,3,20\n08:00,144,144,0,240,3,20\n", "09:00", ("actuals.csv:3", "a second row")),
])
def test_bad_actuals_and_now_exit_2_with_one_line(capsys, day, tmp_path, rows, now, fragments):
    path = tmp_path / "actuals.csv"
    path.write_text(HEADER + rows)
    code, out, err = run_cli(capsys, "intraday", day, "--actuals", path, "--now", now, "-o", tmp_path / "out", "-q")
    assert_user_error(code, out, err, *fragments)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("state, fragments", [
    ('at: "12:00"\nwaiting:\n  nowhere: [3]\n', ("state.yaml:3", "unknown queue 'nowhere'")),
    ('at: "12:00"\nbusy:\n  team:\n    talking: 25\n', ("state.yaml", "on shift at 12:00")),
    ('at: "11:30"\n', ("at 11:30 is not --now 12:00",)),
])
def test_a_bad_state_exits_2_with_one_line(capsys, day, tmp_path, state, fragments):
    path = tmp_path / "state.yaml"
    path.write_text(state)
    code, out, err = run_cli(capsys, "intraday", day, "--actuals", _actuals(tmp_path, 8), "--now", "12:00",
                             "--state", path, "-o", tmp_path / "out", "-q")
    assert_user_error(code, out, err, *fragments)


def test_the_command_prints_the_verdict_first_and_writes_the_same_for_any_workers(capsys, day, tmp_path):
    actuals = _actuals(tmp_path, 8)
    documents = []
    for workers in (1, 2):
        folder = tmp_path / f"w{workers}"
        code, out, err = run_cli(capsys, "intraday", day, "--actuals", actuals, "--now", "12:00", "-r", "4",
                                 "-w", workers, "-o", folder, "--action", "overtime 2 team 13:00-15:00")
        assert code == 0, err
        first = out.splitlines()[0]
        assert first.startswith("At the current rate (calls x1.13, AHT x1.00 of the forecast) the 12:"), out
        assert "–16:00 intervals miss the service level by up to" in first, out
        assert sorted(p.name for p in folder.iterdir()) == ["intraday.csv", "intraday.json", "intraday.png"]
        documents.append((folder / "intraday.json").read_text().replace(str(folder), ""))
    assert documents[0] == documents[1]
    document = json.loads(documents[0])
    assert document["now"] == "12:00" and document["actions"][0]["action"] == "overtime 2 team 13:00-15:00"
    assert len(document["intervals"]) == 8 and document["suggestion"] is None


def test_an_unknown_action_on_the_command_line_exits_2(capsys, day, tmp_path):
    code, out, err = run_cli(capsys, "intraday", day, "--actuals", _actuals(tmp_path, 8), "--now", "12:00",
                             "--action", "overtime 3 nobody 13:00", "-o", tmp_path / "out")
    assert_user_error(code, out, err, "--action 'overtime 3 nobody 13:00'", "unknown agent group")


def test_a_state_starts_the_rest_of_the_day_from_the_centre_as_it_stands(day, tmp_path):
    """Fifteen callers waiting and every agent busy at 12:00: the 12:00 interval offers exactly 15
    calls more than the empty start, the later intervals meet exactly the same callers (common
    random numbers: the state's callers are drawn on their own stream), and 12:00's service level
    collapses (no agent is free for the first of them; the empty start is the negative control)."""
    from simulator.batch import run_scenarios

    scenario = load_scenario(day)
    state = tmp_path / "state.yaml"
    state.write_text('at: "12:00"\nwaiting:\n  service: [' + ", ".join(["30"] * 15) + "]\nbusy:\n  team:\n    talking: 20\n")
    actuals = _actuals(tmp_path, 8)
    empty = intraday_study(scenario, actuals, "12:00", replications=10)
    full = intraday_study(scenario, actuals, "12:00", state_path=state, replications=10)
    a, b = run_scenarios([empty.rest, full.rest], 10, empty.seed, sample_day=False)
    offered_a, offered_b = a.per_replication["offered"], b.per_replication["offered"]
    assert (offered_b[:, 8] - offered_a[:, 8] == 15).all()
    assert (offered_b[:, 9:-1] == offered_a[:, 9:-1]).all()
    assert np.isnan(b.per_replication["service_level"][:, :8]).all()  # nothing before 12:00 is simulated
    first = full.nothing.intervals[0].kpis["service_level"]
    assert first.ci95[1] < empty.nothing.intervals[0].kpis["service_level"].ci95[0]


def test_actuals_of_several_queues_are_added_up_per_interval(tmp_path):
    scenario = load_scenario(HELP_DESK)
    path = tmp_path / "queues.csv"
    path.write_text("interval,queue,offered,answered,abandoned,aht_s,asa_s\n08:00,a,40,30,10,200,9\n"
                    "08:00,b,30,10,20,400,9\n08:30,a,70,70,0,300,9\n")
    now = parse_now(scenario, "9:00")
    actuals = read_actuals(path, scenario, now)
    assert now.clock == "09:00" and actuals.intervals == (0, 1)
    assert actuals.offered == (70.0, 70.0) and actuals.abandoned == (30.0, 0.0)
    assert actuals.aht_s == (pytest.approx((30 * 200 + 10 * 400) / 40), 300.0)  # answered-weighted
