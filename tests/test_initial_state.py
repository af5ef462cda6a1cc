"""The initial-state schema (issue 25): a scenario's `initial_state:` section and a separate
STATE.yaml read by `simulator.initial_state.load_state`, each refused in one line naming
file:line: key when it cannot be used."""
from __future__ import annotations

import numpy as np
import pytest

from simulator.errors import UserError
from simulator.initial_state import BusyAgents, InitialState, load_state
from simulator.loading import ScenarioFileError, scenario_from_text

SCENARIO = """schema_version: 1
name: x
interval_minutes: 30
start: "08:00"
arrivals: {calls: [10, 10, 10, 10]}
queues:
  - name: q
    talk_time: {dist: fixed, mean: 100}
  - name: r
    talk_time: {dist: fixed, mean: 100}
    callback: {offer_when_expected_wait_over: 60, accept_probability: 0.5}
arrivals: {calls: [10, 10, 10, 10], queue_shares: {q: 0.5, r: 0.5}}
agents:
  - {name: a, serves: [q, r], staffing: [2, 3, 4, 5]}
"""
SCENARIO = SCENARIO.replace("arrivals: {calls: [10, 10, 10, 10]}\n", "")

GOOD_STATE = """at: "08:45"
waiting:
  q: [12, 40, 95]
busy:
  a:
    talking: 2
    acw_elapsed_s: [5]
callbacks_pending: {r: 2}
"""


@pytest.fixture()
def scenario():
    return scenario_from_text(SCENARIO, "s.yaml")


def test_a_good_state_reads_and_goes_into_the_scenario(tmp_path, scenario):
    path = tmp_path / "state.yaml"
    path.write_text(GOOD_STATE)
    state = load_state(path, scenario)
    assert state == InitialState(at="08:45", waiting={"q": (12, 40, 95)},
                                 busy={"a": BusyAgents(talking=2, acw_elapsed_s=(5,))}, callbacks_pending={"r": 2})
    assert state.busy["a"].n_talking == 2 and state.busy["a"].n_acw == 1
    with_state = scenario.model_copy(update={"initial_state": state})
    assert with_state.initial_state is state
    # the same keys as a section of the scenario file
    inline = scenario_from_text(SCENARIO + "initial_state:\n" + "".join(f"  {line}\n" for line in GOOD_STATE.splitlines()))
    assert inline.initial_state == state


def test_a_scenario_without_a_state_dumps_as_before(scenario):
    assert scenario.initial_state is None
    assert "initial_state" not in scenario.model_dump(mode="json")


@pytest.mark.parametrize("text, fragments", [
    ('at: "07:30"\n', ["state.yaml:1: at:", "07:30 is outside the scenario's day (08:00 to 10:00)"]),
    ('at: "10:00"\n', ["state.yaml:1: at:", "outside"]),
    ("at: 10:30\n", ["state.yaml:1: at:", 'in quotes, e.g. at: "10:30"']),
    ('at: "25:00"\n', ["state.yaml:1: at:", "clock time HH:MM"]),
    ('at: "08:45"\nwaiting: {x: [1]}\n', ["state.yaml:2: waiting.x:", "unknown queue 'x'; the queues are: q, r"]),
    ('at: "08:45"\nbusy:\n  b: {talking: 1}\n', ["state.yaml:3: busy.b:", "unknown agent group 'b'"]),
    ('at: "08:45"\ncallbacks_pending: {z: 1}\n', ["callbacks_pending.z:", "unknown queue 'z'"]),
    ('at: "08:45"\ncallbacks_pending: {q: 1}\n', ["callbacks_pending.q:", "offers no callbacks"]),
    # 08:45 is in the second interval: 3 agents on shift, not 2 and not 4
    ('at: "08:45"\nbusy:\n  a: {talking: 3, acw: 1}\n', ["state.yaml:3: busy.a:", "4 agents busy", "3 on shift at 08:45"]),
    ('at: "08:45"\nwaiting: {q: [3, -1]}\n', ["state.yaml:2: waiting.q[1]:", "must be at least 0"]),
    ('at: "08:45"\nbusy:\n  a: {talking: -1}\n', ["state.yaml:3: busy.a.talking:", "must be at least 0"]),
    ('at: "08:45"\nbusy:\n  a:\n    acw_elapsed_s: [-5]\n', ["state.yaml:4: busy.a.acw_elapsed_s[0]:", "at least 0"]),
    ('at: "08:45"\ncallbacks_pending: {r: -2}\n', ["callbacks_pending.r:", "at least 0"]),
    ('at: "08:45"\nbusy:\n  a: {talking: 1, talking_elapsed_s: [3]}\n', ["busy.a:", "either 'talking'", "not both"]),
    ('at: "08:45"\nwating: {q: [1]}\n', ["state.yaml:2: wating:", "did you mean 'waiting'?"]),
    ("- 1\n", ["state.yaml:1:", "must be a mapping"]),
])
def test_bad_states_are_one_line_errors_naming_line_and_key(tmp_path, scenario, text, fragments):
    path = tmp_path / "state.yaml"
    path.write_text(text)
    with pytest.raises(UserError) as caught:
        load_state(path, scenario)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_a_bad_state_inside_a_scenario_names_the_scenario_line(scenario):
    text = SCENARIO + 'initial_state:\n  at: "08:45"\n  busy:\n    a: {talking: 9}\n'
    with pytest.raises(ScenarioFileError, match=r"s\.yaml:17: initial_state\.busy\.a: 9 agents busy"):
        scenario_from_text(text, "s.yaml")


def test_a_missing_state_file_is_one_line(tmp_path, scenario):
    with pytest.raises(UserError, match="no such file; give the path of a .yaml file with at"):
        load_state(tmp_path / "nothing.yaml", scenario)


def callback_scenario(mode: str):
    import yaml

    from helpers import SCENARIO_DIR
    from simulator.loading import scenario_from_dict

    data = yaml.safe_load((SCENARIO_DIR / "callback_peak_on.yaml").read_text())
    data["queues"][0]["callback"]["mode"] = mode
    if mode == "scheduled":
        data["queues"][0]["callback"]["delay"] = {"dist": "fixed", "mean": 600}
    data["initial_state"] = {"at": "12:10", "waiting": {"service": [30, 60, 90]},
                             "busy": {"agents": {"talking": 30, "acw": 5}}, "callbacks_pending": {"service": 4}}
    return scenario_from_dict(data)


@pytest.mark.parametrize("mode", ["keep_place", "scheduled"])
def test_promised_callbacks_are_made_as_the_queue_says(mode):
    from simulator.engine import simulate_replication
    from simulator.records import CALLBACK_ACCEPTED, INITIAL, Outcome
    from simulator.run import check_conservation

    scenario = callback_scenario(mode)
    at_s = 2 * 3600 + 600.0
    for r in range(3):
        result = simulate_replication(scenario, 1, r)
        check_conservation(result)
        records = result.records
        initial = (records.flags & INITIAL) > 0
        promised = initial & ((records.flags & CALLBACK_ACCEPTED) > 0)
        assert initial.sum() == 7 and promised.sum() == 4
        assert set(records.outcome[promised]) <= {Outcome.CALLBACK_COMPLETED, Outcome.CALLBACK_FAILED}
        assert (records.arrived_at_s[promised] == at_s).all() and (records.wait_s[promised] == 0).all()
        # the waiting callers are the day's callers who arrived before `at`, the others arrive from it on
        assert np.allclose(np.sort(at_s - records.arrived_at_s[initial & ~promised]), [30, 60, 90])
        assert (records.arrived_at_s[~initial] >= at_s).all()
        assert (result.busy_start_s >= at_s).all()
        completed = promised & (records.outcome == Outcome.CALLBACK_COMPLETED)
        if mode == "scheduled" and completed.any():  # dialled no sooner than the delay after `at`
            assert (records.callback_delay_s[completed] >= 600).all()


def test_run_says_it_starts_from_a_state_and_is_the_same_on_any_number_of_workers(tmp_path, capsys):
    from helpers import HELP_DESK, run_cli

    path = tmp_path / "state.yaml"
    path.write_text(HELP_DESK.read_text() + 'initial_state:\n  at: "10:30"\n  waiting: {support: [12, 40, 95]}\n'
                    '  busy:\n    support team: {talking: 8, acw_elapsed_s: [5]}\n')
    documents = []
    for workers in ("1", "2"):
        code, out, err = run_cli(capsys, "run", path, "-r", "4", "-w", workers, "-o", tmp_path / workers)
        assert code == 0, err
        assert "Starts from the centre's state at 10:30: 3 callers waiting, 9 agents busy" in "\n".join(out.splitlines()[:4])
        documents.append((tmp_path / workers / "kpis.json").read_text())
        # the intervals before 10:30 are reported empty: nothing offered
        rows = (tmp_path / workers / "intervals.csv").read_text().splitlines()
        assert [row.split(",")[:2] for row in rows[1:6]] == [["08:00", "0"], ["08:30", "0"], ["09:00", "0"],
                                                              ["09:30", "0"], ["10:00", "0"]]
        assert float(rows[6].split(",")[1]) > 0
    assert documents[0] == documents[1]
    assert '"initial_state"' in documents[0]  # the results carry the state they started from


def test_more_callers_on_the_line_than_trunks_is_refused(tmp_path):
    scenario = scenario_from_text(SCENARIO + "trunks: 3\n", "s.yaml")
    accepted = _refused_then_accepted(
        tmp_path, scenario, 'at: "08:45"\nwaiting: {q: [1, 2]}\nbusy:\n  a: {talking: 2, acw: 1}\n',
        r"state\.yaml:2: waiting: 4 callers on the line \(waiting and talking\) but the centre has 3 trunks",
        'at: "08:45"\nwaiting: {q: [1]}\nbusy:\n  a: {talking: 2, acw: 1}\n')
    assert accepted.busy["a"].n_acw == 1  # ACW holds no line


def _refused_then_accepted(tmp_path, scenario, refused: str, match: str, accepted: str):
    """The state file `refused` is one line matching `match`; the control `accepted` loads (returned)."""
    path = tmp_path / "state.yaml"
    path.write_text(refused)
    with pytest.raises(UserError, match=match):
        load_state(path, scenario)
    path.write_text(accepted)
    return load_state(path, scenario)


def test_a_state_put_in_by_model_copy_is_checked_when_it_runs(scenario):
    from simulator.engine import simulate_replication

    bad = scenario.model_copy(update={"initial_state": InitialState(at="08:45", busy={"a": BusyAgents(talking=7)})})
    with pytest.raises(UserError, match=r"^initial_state\.busy\.a: 7 agents busy but the group has 3 on shift"):
        simulate_replication(bad, 1, 0)


def test_a_caller_waiting_past_the_queues_maximum_wait_is_refused(tmp_path):
    """Such a caller has left its message already (queues[].max_wait counts from the arrival):
    one line naming the queue; a wait below the maximum is accepted (control)."""
    text = SCENARIO.replace("    talk_time: {dist: fixed, mean: 100}\n  - name: r",
                            "    talk_time: {dist: fixed, mean: 100}\n    max_wait: {after_s: 60}\n  - name: r", 1)
    accepted = _refused_then_accepted(
        tmp_path, scenario_from_text(text, "s.yaml"), 'at: "08:45"\nwaiting: {q: [10, 75]}\n',
        r"state\.yaml:2: waiting\.q: a wait of 75 s is past queue 'q''s max_wait \(60 s\)",
        'at: "08:45"\nwaiting: {q: [10, 59]}\n')
    assert accepted.waiting["q"] == (10.0, 59.0)
