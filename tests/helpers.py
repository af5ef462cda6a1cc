"""Shared by the CLI tests: run `callsim` in-process and the shipped scenarios' paths."""
from __future__ import annotations

from pathlib import Path

from cli import main

REPO = Path(__file__).resolve().parent.parent
SCENARIO_DIR = REPO / "scenarios"
SHIPPED_SCENARIOS = sorted(SCENARIO_DIR.glob("*.yaml"))
HELP_DESK = SCENARIO_DIR / "help_desk.yaml"


def run_cli(capsys, *args):
    """Run `callsim ARGS...`; return (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err
IVR_DEEP = SCENARIO_DIR / "ivr_deep_menu.yaml"
IVR_BROAD = SCENARIO_DIR / "ivr_broad_menu.yaml"


def assert_user_error(code: int, out: str, err: str, *fragments: str) -> str:
    """A user error as callsim promises it: exit 2, nothing on stdout, one line on stderr
    containing every fragment, no traceback. Returns that line."""
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert out == "", out
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def answered_talk_by_interval(scenario, seed: int, replications: int):
    """The talk times of every answered call over `replications` days, and each one's arrival
    interval (for checks of durations that change through the day)."""
    import numpy as np

    from simulator import Outcome, simulate_replication

    talk, interval = [], []
    for replication in range(replications):
        rec = simulate_replication(scenario, seed=seed, replication=replication).records
        answered = rec.outcome == Outcome.ANSWERED
        talk.append(rec.talk_s[answered])
        interval.append(np.minimum((rec.arrived_at_s[answered] // scenario.interval_s).astype(int),
                                   scenario.n_intervals - 1))
    return np.concatenate(talk), np.concatenate(interval)


def one_queue_file(tmp_path, queue_lines: str) -> Path:
    """A scenario file of three hourly intervals and one queue 'q' (fixed 100 s talk) whose
    further keys are `queue_lines` (YAML, indented as the queue's keys); line 9 is its first."""
    path = tmp_path / "s.yaml"
    path.write_text(f"""schema_version: 1
name: bad
interval_minutes: 60
arrivals:
  calls: [10, 10, 10]
queues:
  - name: q
    talk_time: {{dist: fixed, mean: 100}}
    {queue_lines}
agents:
  - name: g
    serves: [q]
    staffing: [5, 5, 5]
""")
    return path


def assert_return_calls_use_their_own_interval(scenario) -> None:
    """Two hourly intervals, queue A unstaffed (its callers abandon after 60 s, then 30 s, and
    redial), B staffed with talk 200 s then 400 s and ACW 7 s then 21 s (its unresolved callers
    call again): every return call's durations are those of the interval it is made in."""
    import numpy as np

    from simulator import Outcome, simulate_replication

    rec = simulate_replication(scenario, seed=2, replication=0).records
    k = np.minimum((rec.arrived_at_s // 3600).astype(int), 1)
    answered_b = (rec.queue == 1) & (rec.outcome == Outcome.ANSWERED)
    assert np.array_equal(rec.talk_s[answered_b], np.array([200.0, 400.0])[k[answered_b]])
    assert np.array_equal(rec.acw_s[answered_b], np.array([7.0, 21.0])[k[answered_b]])
    abandoned_a = (rec.queue == 0) & (rec.outcome == Outcome.ABANDONED)
    assert np.allclose(rec.wait_s[abandoned_a], np.array([60.0, 30.0])[k[abandoned_a]])
    # the check can tell the call's own interval from its caller's first call's: some return
    # calls of each queue are made in interval 2 by callers who first called in interval 1
    first_interval = {c: i for c, i, kind in zip(rec.caller, k, rec.kind) if kind == 0}
    crossed = [q for c, q, i, kind in zip(rec.caller, rec.queue, k, rec.kind)
               if kind > 0 and i == 1 and first_interval[c] == 0]
    assert set(crossed) == {0, 1} and len(crossed) > 20


def assert_run_refuses(tmp_path: Path, capsys, scenario_text: str, *fragments: str) -> str:
    """`callsim run` on a scenario file holding `scenario_text`: a user error naming the file
    and every fragment (see assert_user_error), and no results folder. Returns the line."""
    path = tmp_path / "refused.yaml"
    path.write_text(scenario_text)
    out_dir = tmp_path / "out"
    message = assert_user_error(*run_cli(capsys, "run", path, "-o", out_dir, "-q"), f"{path}:", *fragments)
    assert not out_dir.exists()
    return message
