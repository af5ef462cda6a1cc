"""A readable timeline of individual calls, for trainers: records in, lines of text out.

    10:03:12  caller 17  IVR 0:48 (3 menus, pressed 0) -> queue support; waited 0:42;
              answered by agent 7 (support team); talk 3:10; ACW 0:45

Pure: `trace_lines(records, scenario)` reads the call records of one simulated day (see
engine.CallRecords) and never simulates; durations are M:SS (H:MM:SS from an hour), clock
times are the scenario's start plus the simulation time. Calls are listed in the order they
started; "caller N" is the person (redials and repeat calls keep the number of the first
call, which is the N-th first call of the day, counted from 0).
"""
from __future__ import annotations

import math

import numpy as np

from simulator.callers import REDIAL, REPEAT
from simulator.records import (CALLBACK_ACCEPTED, CALLBACK_OFFERED, MISROUTED, RESOLVED, TRANSFERRED, ZERO_OUT,
                              CallRecords, Outcome, message_called_back)
from simulator.scenario import Scenario


def duration(seconds: float) -> str:
    """M:SS, or H:MM:SS from one hour, rounded to the second."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def clock(scenario: Scenario, at_s: float) -> str:
    """HH:MM:SS of the simulation time `at_s` (seconds after the start of the first interval)."""
    return scenario.clock_at(at_s)


def describe_call(records: CallRecords, i: int, scenario: Scenario) -> str:
    """One line for call i."""
    arrived = float(records.arrived_at_s[i])
    flags = int(records.flags[i])
    outcome = int(records.outcome[i])
    who = f"caller {int(records.caller[i])}"
    kind = int(records.kind[i])
    if kind == REDIAL:
        who += " (redial)"
    elif kind == REPEAT:
        who += " (repeat call)"
    if outcome == Outcome.BLOCKED:
        return f"{clock(scenario, arrived)}  {who}  every line busy: blocked (busy signal)"
    parts = []
    queue = int(records.queue[i])
    queue_name = scenario.queues[queue].name if 0 <= queue < len(scenario.queues) else None
    if scenario.ivr is not None:
        menus = int(records.menus[i])
        detail = f"{menus} menu{'' if menus == 1 else 's'}" + (", pressed 0" if flags & ZERO_OUT else "")
        ivr = f"IVR {duration(records.ivr_s[i])} ({detail})"
        if outcome == Outcome.CONTAINED:
            how = "self-service completed" if menus else "satisfied by the announcement"
            return f"{clock(scenario, arrived)}  {who}  {ivr} -> contained in the IVR ({how})"
        if outcome == Outcome.IVR_ABANDONED:
            return f"{clock(scenario, arrived)}  {who}  {ivr} -> hung up in the IVR"
        route = f"{ivr} -> queue {queue_name}"
    else:
        route = f"queue {queue_name}"
    if flags & MISROUTED:
        route += (" (misrouted to another queue first, transferred by the agent there)" if flags & TRANSFERRED
                  else " (misrouted to another queue)")
    parts.append(route)
    wait = float(records.wait_s[i])
    group = int(records.group[i])
    handled_by = (f"agent {int(records.agent[i])} ({scenario.agents[group].name})"
                  if 0 <= group < len(scenario.agents) else "an agent")
    if flags & CALLBACK_OFFERED and not flags & CALLBACK_ACCEPTED:
        parts.append("declined a callback")
    if outcome == Outcome.ANSWERED:
        parts.append(f"waited {duration(wait)}" if wait > 0 else "no wait")
        parts.append(f"answered by {handled_by}")
        parts += _handling(records, i)
    elif outcome == Outcome.ABANDONED:
        parts.append(f"abandoned after {duration(wait)}")
    elif outcome == Outcome.BALKED:
        parts.append("hung up at once rather than wait (balked)")
    elif outcome == Outcome.UNSERVED:
        parts.append(f"still waiting after {duration(wait)} when the last agent went home (unserved)")
    elif outcome == Outcome.MESSAGE:
        parts.append(f"still waiting after {duration(wait)}, the queue's maximum wait: left a message")
    elif outcome == Outcome.DISCONNECTED:
        parts.append(f"cut off by the close after waiting {duration(wait)} (disconnected)")
    elif outcome == Outcome.CALLBACK_COMPLETED:
        accepted = ("left a message, returned as a callback" if message_called_back(flags) else "accepted a callback") \
            + (f" after waiting {duration(wait)}" if wait > 0 else "")
        parts.append(accepted)
        delay = float(records.callback_delay_s[i])
        if math.isfinite(delay):
            connected = arrived + float(records.ivr_s[i]) + wait + delay
            parts.append(f"called back, connected at {clock(scenario, connected)} ({duration(delay)} later) by {handled_by}")
        else:
            parts.append(f"called back by {handled_by}")
        parts += _handling(records, i)
    elif outcome == Outcome.CALLBACK_FAILED:
        parts.append("accepted a callback; never reached (attempts used up, or the day ended first)")
    else:
        parts.append(f"outcome {outcome}")
    if scenario.return_calls is not None and outcome in (Outcome.ANSWERED, Outcome.CALLBACK_COMPLETED):
        parts.append("resolved" if flags & RESOLVED else "not resolved")
    return f"{clock(scenario, arrived)}  {who}  " + "; ".join(parts)


def _handling(records: CallRecords, i: int) -> list[str]:
    parts = [f"talk {duration(records.talk_s[i])}"]
    if records.acw_s[i] > 0:
        parts.append(f"ACW {duration(records.acw_s[i])}")
    return parts


def trace_lines(records: CallRecords, scenario: Scenario, calls: int = 20, from_s: float = 0.0) -> list[str]:
    """Lines for the first `calls` calls that started at or after `from_s` (simulation seconds)."""
    order = np.argsort(records.arrived_at_s, kind="stable")
    chosen = [int(i) for i in order if records.arrived_at_s[i] >= from_s][:calls]
    return [describe_call(records, i, scenario) for i in chosen]


def trace_text(records: CallRecords, scenario: Scenario, seed: int, calls: int = 20, from_s: float = 0.0,
               from_clock: str | None = None) -> str:
    """What `callsim trace` prints: a heading naming the day, then `trace_lines`."""
    lines = trace_lines(records, scenario, calls, from_s)
    heading = (f"{scenario.name}: one simulated day (replication 0, seed {seed}; {len(records):,} calls), "
               f"{len(lines)} call{'' if len(lines) == 1 else 's'} from {from_clock or scenario.start}")
    return heading + "\n" + ("\n".join(lines) if lines else "no call started after that time")
