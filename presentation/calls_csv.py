"""The call-log CSV: every simulated call, one row each, in the format `callsim fit` reads.

This is the documented exchange format between the simulator and the fitter (docs/scenarios.md,
"Call logs"), shaped like an ACD's call-by-call export so that a round trip (simulate, fit back)
exercises the same reader a real log goes through. Columns, in this order:

| column | meaning |
| --- | --- |
| `replication` | simulated day (0, 1, ...); a real log has no such column |
| `call_id` | unique within the file: `<replication>-<index of the call in the day>` |
| `caller_id` | the person calling (redials and repeat calls share it), unique within the file |
| `arrival` | timestamp `YYYY-MM-DD HH:MM:SS.fff`; replication r is dated `BASE_DATE + r days` |
| `queue` | the queue the call ended in; empty if it ended in the IVR |
| `ivr_s` | seconds in the IVR |
| `wait_s` | seconds waiting in queues (before accepting a callback, for callbacks) |
| `outcome` | answered, abandoned, balked, unserved, contained, ivr_abandoned, callback_completed, callback_failed |
| `talk_s` | talk seconds of a handled call, empty otherwise |
| `acw_s` | after-call-work seconds of a handled call, empty otherwise |
| `agent_group` | the group that handled the call, empty if none |
| `agent_id` | the agent who handled it (`<group>/<agent number>`), empty if none |

Durations are written with millisecond precision.
"""
from __future__ import annotations

import datetime as dt
import io

import numpy as np

from simulator.records import Outcome, ReplicationResult
from simulator.scenario import Scenario

BASE_DATE = dt.date(2026, 1, 5)  # a Monday: replication r is the day BASE_DATE + r days
COLUMNS = ("replication", "call_id", "caller_id", "arrival", "queue", "ivr_s", "wait_s", "outcome", "talk_s",
           "acw_s", "agent_group", "agent_id")
OUTCOME_NAMES = {outcome.value: outcome.name.lower() for outcome in Outcome}
HANDLED = (Outcome.ANSWERED, Outcome.CALLBACK_COMPLETED)


def _seconds(values: np.ndarray) -> list[str]:
    return [f"{v:.3f}" for v in values]


def _day_rows(day: ReplicationResult, scenario: Scenario) -> list[str]:
    records = day.records
    r = day.replication
    queues = [q.name for q in scenario.queues]
    groups = [g.name for g in scenario.agents]
    midnight = dt.datetime.combine(BASE_DATE + dt.timedelta(days=r), dt.time())
    # whole milliseconds since the day's midnight: timestamps and durations agree to the ms
    arrival_ms = np.round((scenario.start_s + records.arrived_at_s) * 1000.0).astype(np.int64)
    handled = np.isin(records.outcome, [int(o) for o in HANDLED])
    talk = _seconds(records.talk_s)
    acw = _seconds(records.acw_s)
    ivr = _seconds(records.ivr_s)
    wait = _seconds(records.wait_s)
    rows = []
    for i in range(len(records)):
        stamp = midnight + dt.timedelta(milliseconds=int(arrival_ms[i]))
        q = int(records.queue[i])
        g = int(records.group[i])
        group = groups[g] if g >= 0 else ""
        agent = f"{group}/{int(records.agent[i])}" if handled[i] and g >= 0 else ""
        fields = (str(r), f"{r}-{i}", f"{r}-{int(records.caller[i])}", stamp.isoformat(sep=" ", timespec="milliseconds"),
                  queues[q] if q >= 0 else "", ivr[i], wait[i], OUTCOME_NAMES[int(records.outcome[i])],
                  talk[i] if handled[i] else "", acw[i] if handled[i] else "", group, agent)
        rows.append(",".join(_quoted(f) for f in fields))
    return rows


def _quoted(field: str) -> str:
    if any(c in field for c in ',"\n\r'):
        return '"' + field.replace('"', '""') + '"'
    return field


def calls_csv(days: "tuple[ReplicationResult, ...] | list[ReplicationResult]", scenario: Scenario,
              first: int | None = None) -> str:
    """The call-log CSV of the simulated `days` (every one, or the first `first`), header first."""
    chosen = list(days) if first is None else list(days)[:first]
    out = io.StringIO()
    out.write(",".join(COLUMNS) + "\n")
    for day in chosen:
        rows = _day_rows(day, scenario)
        if rows:
            out.write("\n".join(rows) + "\n")
    return out.getvalue()
