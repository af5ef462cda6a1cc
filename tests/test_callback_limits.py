"""Callback offers limited to a time window and capped per interval: exact timelines, the
per-interval KPIs on a whole day, and the errors for a bad window or cap."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_user_error, run_cli
from simulator import Callers, Outcome, run_scenario, scenario_from_dict, simulate_callers
from test_ivr_callbacks_returns import FIXED, scenario_text

# Every caller who would wait is offered a callback and accepts (threshold 0, acceptance 1);
# one agent, talk 1,000 s, 15-minute intervals from 09:00: a caller arriving while the agent is busy would wait.


def one_agent_day(**callback) -> dict:
    return {
        "schema_version": 1, "name": "limits", "interval_minutes": 15, "start": "09:00",
        "arrivals": {"calls": [10, 10, 10]},
        "queues": [{"name": "q", "talk_time": FIXED(1000), "patience": FIXED(10_000),
                    "callback": {"offer_when_expected_wait_over": 0, "accept_probability": 1.0,
                                 "dial_time": FIXED(20), "answer_probability": 1.0, **callback}}],
        "agents": [{"name": "one", "serves": ["q"], "staffing": [1, 1, 1]}],
    }


def callers_at(arrived_s) -> Callers:
    n = len(arrived_s)
    return Callers(arrived_at_s=np.asarray(arrived_s, dtype=float), queue=np.zeros(n, dtype=np.int16),
                   talk_s=np.full(n, 1000.0), acw_s=np.zeros(n), patience_s=np.full(n, 10_000.0),
                   balk_u=np.full(n, 0.5), callback_u=np.zeros(n), callback_wait_s=np.zeros(n))


def outcomes(scenario: dict, arrived_s) -> list[int]:
    return simulate_callers(scenario_from_dict(scenario), callers_at(arrived_s)).records.outcome.tolist()


# caller 0 at 0 s is answered at once; the others arrive while the agent is busy
ARRIVALS_S = [0.0, 10.0, 950.0, 1850.0]


def test_without_limits_every_waiting_caller_takes_a_callback():
    assert outcomes(one_agent_day(), ARRIVALS_S) == [Outcome.ANSWERED] + [Outcome.CALLBACK_COMPLETED] * 3


def test_window_offers_only_to_callers_who_join_inside_it():
    # the window 09:15-09:30 is [900 s, 1800 s): only the caller at 950 s is offered one
    got = outcomes(one_agent_day(offered_between=["09:15", "09:30"]), ARRIVALS_S)
    assert got == [Outcome.ANSWERED, Outcome.ANSWERED, Outcome.CALLBACK_COMPLETED, Outcome.ANSWERED]


def test_window_from_is_inclusive_and_until_exclusive():
    got = outcomes(one_agent_day(offered_between=["09:15", "09:30"]), [0.0, 900.0, 1799.0, 1800.0])
    # 900 (from) and 1799 are inside; 1800 (until) is not, and the agent is still busy then
    assert got == [Outcome.ANSWERED, Outcome.CALLBACK_COMPLETED, Outcome.CALLBACK_COMPLETED, Outcome.ANSWERED]


def test_window_until_the_end_of_the_day_is_allowed():
    got = outcomes(one_agent_day(offered_between=["09:30", "09:45"]), ARRIVALS_S)
    assert got == [Outcome.ANSWERED, Outcome.ANSWERED, Outcome.ANSWERED, Outcome.CALLBACK_COMPLETED]


def test_cap_counts_accepted_callbacks_per_interval():
    # cap 1 per interval: at 10 s and 20 s two callers would accept in interval 0; only the first may
    arrived = [0.0, 10.0, 20.0, 950.0]
    got = outcomes(one_agent_day(max_per_interval=1), arrived)
    assert got == [Outcome.ANSWERED, Outcome.CALLBACK_COMPLETED, Outcome.ANSWERED, Outcome.CALLBACK_COMPLETED]
    uncapped = outcomes(one_agent_day(), arrived)
    assert uncapped == [Outcome.ANSWERED] + [Outcome.CALLBACK_COMPLETED] * 3  # the control: the cap made the difference


def test_cap_per_interval_list_and_zero():
    arrived = [0.0, 10.0, 20.0, 950.0]
    got = outcomes(one_agent_day(max_per_interval=[2, 0, 5]), arrived)
    assert got == [Outcome.ANSWERED, Outcome.CALLBACK_COMPLETED, Outcome.CALLBACK_COMPLETED, Outcome.ANSWERED]


def test_whole_day_window_and_cap_hold_per_interval():
    data = scenario_text("callback_peak_on.yaml")
    n = len(data["arrivals"]["calls"])
    base = run_scenario(scenario_from_dict(data), replications=3, seed=4)
    accepted = base.per_replication["callbacks_accepted"][:, :-1]
    busiest = int(np.argmax(accepted.sum(axis=0)))
    assert accepted[:, busiest].min() >= 3  # the cap below binds there
    limited = scenario_from_dict(data)
    start_s = limited.start_s
    window_from = busiest  # offer only from the busiest interval on, at most 2 per interval

    def clock(k):
        minutes = (start_s // 60 + k * limited.interval_minutes) % 1440
        return f"{int(minutes // 60):02d}:{int(minutes % 60):02d}"

    data["queues"][0]["callback"].update(offered_between=[clock(window_from), clock(n)], max_per_interval=2)
    result = run_scenario(scenario_from_dict(data), replications=3, seed=4)
    got = result.per_replication["callbacks_accepted"][:, :-1]
    offered = result.per_replication["callbacks_offered"][:, :-1]
    assert np.all(got[:, :window_from] == 0) and np.all(offered[:, :window_from] == 0)
    assert got.max() <= 2 and got[:, busiest].min() == 2
    # the control: without the window, callbacks were accepted before it
    assert base.per_replication["callbacks_accepted"][:, :window_from].sum() > 0  # the control offered there


@pytest.mark.parametrize("callback, fragments", [
    ({"offered_between": ["08:00", "10:00"]}, ("queues[0].callback.offered_between[0]", "outside the day", "09:00 to 09:45")),
    ({"offered_between": ["09:10", "10:00"]}, ("queues[0].callback.offered_between[1]", "outside the day")),
    ({"offered_between": ["09:20", "09:10"]}, ("queues[0].callback.offered_between", "not after")),
    ({"offered_between": ["9h10", "09:20"]}, ("queues[0].callback.offered_between", "not a clock time")),
    ({"offered_between": ["09:10"]}, ("queues[0].callback.offered_between",)),
    ({"max_per_interval": [1, 2]}, ("queues[0].callback.max_per_interval", "has 2 intervals", "3")),
    ({"max_per_interval": -1}, ("queues[0].callback.max_per_interval",)),
])
def test_bad_window_or_cap_is_a_one_line_error(tmp_path, capsys, callback, fragments):
    import yaml

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(one_agent_day(**callback), sort_keys=False))
    code, out, err = run_cli(capsys, "validate", path)
    assert_user_error(code, out, err, *fragments)
