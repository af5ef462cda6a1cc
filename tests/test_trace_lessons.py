"""`callsim trace` (exact lines for deterministic calls) and `callsim lessons` (plots, explanations,
and the queueing facts each lesson teaches)."""
from __future__ import annotations

import math
import re
import struct

import numpy as np
import pytest

from conftest import REPO
from simulator import Callers, Outcome, scenario_from_dict, simulate_callers
from simulator.callers import FIRST, REDIAL, REPEAT
from simulator.records import (
    CALLBACK_ACCEPTED, CALLBACK_OFFERED, MISROUTED, RESOLVED, TRANSFERRED, ZERO_OUT, CallRecords,
)
from presentation import lessons_output
from presentation.trace import duration, trace_lines
from simulator.errors import UserError
from studies import lessons
from helpers import assert_user_error, run_cli

INF = math.inf


# --- trace ---------------------------------------------------------------------------------------


def test_durations():
    assert [duration(s) for s in (0, 0.4, 59.6, 61, 3599, 3600, 3725)] == [
        "0:00", "0:00", "1:00", "1:01", "59:59", "1:00:00", "1:02:05"]


def micro_scenario():
    return scenario_from_dict({
        "schema_version": 1, "name": "micro", "interval_minutes": 15, "start": "08:00",
        "arrivals": {"calls": [4]},
        "queues": [{"name": "help", "talk_time": {"dist": "fixed", "mean": 1}, "balk_probability": 0.3}],
        "agents": [{"name": "desk", "serves": ["help"], "staffing": [1]}],
    })


def test_trace_of_a_deterministic_micro_scenario():
    # one agent; caller 0 is answered at once (agent busy 0-35); caller 1 gives up after 20 s;
    # caller 2 is answered when the agent frees up at 35; caller 3 would wait and balks.
    callers = Callers(
        arrived_at_s=np.array([0.0, 10.0, 12.0, 20.0]),
        queue=np.zeros(4, dtype=np.int16),
        talk_s=np.array([30.0, 30.0, 65.0, 30.0]),
        acw_s=np.array([5.0, 0.0, 0.0, 0.0]),
        patience_s=np.array([INF, 20.0, INF, INF]),
        balk_u=np.array([0.5, 0.5, 0.5, 0.1]),
    )
    scenario = micro_scenario()
    records = simulate_callers(scenario, callers).records
    assert trace_lines(records, scenario) == [
        "08:00:00  caller 0  queue help; no wait; answered by agent 0 (desk); talk 0:30; ACW 0:05",
        "08:00:10  caller 1  queue help; abandoned after 0:20",
        "08:00:12  caller 2  queue help; waited 0:23; answered by agent 0 (desk); talk 1:05",
        "08:00:20  caller 3  queue help; hung up at once rather than wait (balked)",
    ]
    assert [line[:8] for line in trace_lines(records, scenario, calls=2, from_s=11)] == ["08:00:12", "08:00:20"]


def test_trace_of_ivr_callback_and_return_call_records():
    scenario = scenario_from_dict({
        "schema_version": 1, "name": "features", "interval_minutes": 60, "start": "09:00",
        "arrivals": {"calls": [10]},
        "ivr": {"menus": [{"name": "main", "prompt": {"dist": "fixed", "mean": 10},
                           "options": [{"key": "1", "share": 1.0, "to": "help"}]}]},
        "queues": [{"name": "help", "talk_time": {"dist": "fixed", "mean": 60},
                    "callback": {"offer_when_expected_wait_over": 30, "accept_probability": 0.5}},
                   {"name": "other", "talk_time": {"dist": "fixed", "mean": 60}}],
        "agents": [{"name": "desk", "serves": ["help", "other"], "staffing": [2]}],
        "return_calls": {"redial_probability": 0.5},
    })
    rows = [  # arrived, queue, outcome, wait, talk, acw, group, agent, ivr, menus, flags, callback delay, caller, kind
        (5, -1, Outcome.CONTAINED, 0, 0, 0, -1, -1, 70, 2, RESOLVED, math.nan, 0, FIRST),
        (6, -1, Outcome.CONTAINED, 0, 0, 0, -1, -1, 20, 0, RESOLVED, math.nan, 1, FIRST),
        (7, -1, Outcome.IVR_ABANDONED, 0, 0, 0, -1, -1, 15, 1, ZERO_OUT, math.nan, 2, FIRST),
        (300, 0, Outcome.ANSWERED, 65, 120, 30, 0, 3, 12, 1, RESOLVED, math.nan, 2, REDIAL),
        (600, 0, Outcome.CALLBACK_COMPLETED, 0, 60, 0, 0, 0, 12, 1, CALLBACK_OFFERED | CALLBACK_ACCEPTED,
         300, 4, FIRST),
        (700, 0, Outcome.CALLBACK_FAILED, 0, 60, 0, -1, -1, 12, 1, CALLBACK_OFFERED | CALLBACK_ACCEPTED,
         math.nan, 5, FIRST),
        (800, 0, Outcome.ABANDONED, 50, 60, 0, -1, -1, 12, 1, CALLBACK_OFFERED, math.nan, 6, FIRST),
        (900, 1, Outcome.ANSWERED, 100, 60, 0, 0, 1, 12, 1, MISROUTED | TRANSFERRED, math.nan, 7, REPEAT),
        (3500, 0, Outcome.UNSERVED, 400, 60, 0, -1, -1, 12, 1, 0, math.nan, 8, FIRST),
    ]
    columns = list(zip(*rows))
    dtypes = [np.float64, np.int16, np.int8, np.float64, np.float64, np.float64, np.int16, np.int32, np.float64,
              np.int8, np.uint8, np.float64, np.int32, np.int8, np.float64, np.float64]
    columns.append([65.0 if flags & TRANSFERRED else 0.0 for flags in columns[10]])  # transfer_s
    columns.append([0.0] * len(rows))  # priority_u: no classes
    records = CallRecords(*(np.array(c, dtype=d) for c, d in zip(columns, dtypes)))
    assert trace_lines(records, scenario) == [
        "09:00:05  caller 0  IVR 1:10 (2 menus) -> contained in the IVR (self-service completed)",
        "09:00:06  caller 1  IVR 0:20 (0 menus) -> contained in the IVR (satisfied by the announcement)",
        "09:00:07  caller 2  IVR 0:15 (1 menu, pressed 0) -> hung up in the IVR",
        "09:05:00  caller 2 (redial)  IVR 0:12 (1 menu) -> queue help; waited 1:05; answered by agent 3 (desk); "
        "talk 2:00; ACW 0:30; resolved",
        "09:10:00  caller 4  IVR 0:12 (1 menu) -> queue help; accepted a callback; called back, connected at "
        "09:15:12 (5:00 later) by agent 0 (desk); talk 1:00; not resolved",
        "09:11:40  caller 5  IVR 0:12 (1 menu) -> queue help; accepted a callback; never reached (attempts used up, "
        "or the day ended first)",
        "09:13:20  caller 6  IVR 0:12 (1 menu) -> queue help; declined a callback; abandoned after 0:50",
        "09:15:00  caller 7 (repeat call)  IVR 0:12 (1 menu) -> queue other (misrouted to another queue first, "
        "transferred by the agent there); waited 1:40; answered by agent 1 (desk); talk 1:00; not resolved",
        "09:58:20  caller 8  IVR 0:12 (1 menu) -> queue help; still waiting after 6:40 when the last agent went "
        "home (unserved)",
    ]


def test_clock_times_for_from():
    scenario = micro_scenario()
    assert scenario.offset_of_clock("08:10") == 600
    with pytest.raises(UserError, match="outside"):
        scenario.offset_of_clock("08:15")
    with pytest.raises(UserError, match="not a clock time"):
        scenario.offset_of_clock("8h10")


def test_trace_command_on_a_shipped_scenario(capsys):
    code, out, err = run_cli(capsys, "trace", REPO / "scenarios" / "ivr_deep_menu.yaml", "--calls", 7,
                             "--from", "11:30", "--seed", 5)
    assert code == 0, err
    header, *lines = out.strip().splitlines()
    assert "replication 0, seed 5" in header and len(lines) == 7
    times = [line[:8] for line in lines]
    assert times == sorted(times) and times[0] >= "11:30:00"
    assert all(re.match(r"\d\d:\d\d:\d\d  caller \d+", line) and " IVR " in line for line in lines)
    assert_user_error(*run_cli(capsys, "trace", REPO / "scenarios" / "help_desk.yaml", "--from", "23:00"),
                      "outside the scenario's day")


# --- lessons --------------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_lessons_command_writes_a_plot_and_an_explanation_each(tmp_path, capsys):
    out = tmp_path / "lessons"
    code, stdout, err = run_cli(capsys, "lessons", "-r", 4, "-o", out, "-w", 2, "-q")
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["cliff.png", "cliff.txt", "pooling.png", "pooling.txt",
                                                     "variability.png", "variability.txt"]
    for name in ("cliff", "pooling", "variability"):
        width, height = png_size((out / f"{name}.png").read_bytes())
        assert width >= 1000 and height >= 450
        text = (out / f"{name}.txt").read_text()
        assert text in stdout and len(text.splitlines()) >= 5 and re.search(r"\d+ s", text)


def test_lessons_can_be_picked_by_name(tmp_path, capsys):
    code, stdout, err = run_cli(capsys, "lessons", "pooling", "-r", 3, "-o", tmp_path, "-w", 1)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pooling.png", "pooling.txt"]


def test_pooling_lesson_shows_the_shared_team_answering_faster():
    lesson = lessons_output.pooling(lessons.pooling(replications=10))
    asa = re.search(r"Paired difference \(shared - separate\): ASA (-?[\d.]+) ± ([\d.]+) s \(significant\)", lesson.text)
    assert asa is not None, lesson.text
    assert float(asa[1]) + float(asa[2]) < 0  # the whole CI below 0


def test_variability_lesson_shows_waits_growing_with_the_spread():
    lesson = lessons_output.variability(lessons.variability(replications=20))
    numbers = re.search(r"exactly 5 minutes: ([\d.]+) ± [\d.]+ s; exponential \(cv 1\): ([\d.]+) ± [\d.]+ s; "
                        r"lognormal with cv 2: ([\d.]+) ± [\d.]+ s", lesson.text)
    assert numbers is not None, lesson.text
    fixed, exponential, spread = (float(v) for v in numbers.groups())
    assert fixed < exponential < spread
    assert "(paired 95% CI" in lesson.text and ", significant)" in lesson.text
