"""What a simulated day leaves behind: one record per call, one busy span per agent job.

Read by the KPIs, the plots, the trace, the call log and the app; made by the engine
(`simulator.engine`). This module imports no SimPy, so reading results does not load the engine.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from .columns import PENDING, RECORDED, make_records_class

__all__ = ["CALLBACK_ACCEPTED", "CALLBACK_CONNECTED", "CALLBACK_OFFERED", "CallRecords", "INITIAL", "MISROUTED", "Outcome",
           "RESOLVED", "ReplicationResult", "TRANSFERRED", "ZERO_OUT", "day_records", "message_called_back"]


class Outcome(IntEnum):
    """How a call ended. Every call ends in exactly one of these."""

    ANSWERED = 0  # answered by an agent (live, possibly after a transfer)
    ABANDONED = 1  # hung up while waiting in the queue
    BALKED = 2  # hung up at once on hearing it would have to wait
    UNSERVED = 3  # still waiting when the last agent able to answer it went home
    CONTAINED = 4  # resolved in the IVR (self-service, or satisfied by an announcement)
    IVR_ABANDONED = 5  # hung up in the IVR
    CALLBACK_COMPLETED = 6  # accepted a callback and was reached by an agent
    CALLBACK_FAILED = 7  # accepted a callback but was never reached
    BLOCKED = 8  # found every line (trunk) busy: a busy signal, never entered the centre
    MESSAGE = 9  # still waiting at the queue's maximum wait (max_wait): sent to leave a message
    DISCONNECTED = 10  # still waiting when the last interval ended, in a queue that disconnects (on_close)


# bits of CallRecords.flags
ZERO_OUT = 1  # chose "0" (ask for an agent) in the IVR
TRANSFERRED = 2  # misrouted: answered in the wrong queue, transferred to the right one
CALLBACK_OFFERED = 4
CALLBACK_ACCEPTED = 8
RESOLVED = 16  # the caller's issue was resolved by this call (set when return calls are modelled)
MISROUTED = 32  # the IVR sent the call to the wrong queue
CALLBACK_CONNECTED = 64  # an agent reached the caller of an accepted callback
INITIAL = 128  # in the centre when a day started from a state: waiting then, or a callback promised before



def message_called_back(flags):
    """Calls that left a message at their queue's maximum wait returned as a callback
    (max_wait.call_back): a callback accepted without an offer (every offered one has
    CALLBACK_OFFERED). Works on one call's flags or on an array of them."""
    return (flags & (CALLBACK_ACCEPTED | CALLBACK_OFFERED)) == CALLBACK_ACCEPTED


# One entry per call, as parallel numpy arrays: the recorded columns of simulator.columns.
CallRecords = make_records_class(__name__)


@dataclass(frozen=True)
class ReplicationResult:
    """The outcome of simulating one day once."""

    replication: int
    busyness: float
    records: CallRecords
    busy_group: np.ndarray  # int16: one entry per agent job (talk + ACW, a transfer, a callback attempt)
    busy_start_s: np.ndarray  # float64
    busy_end_s: np.ndarray  # float64
    overtime_group: np.ndarray  # int16, one entry per span an agent worked past its shift
    overtime_start_s: np.ndarray  # float64
    overtime_end_s: np.ndarray  # float64
    day_end_s: float  # end of the last interval
    run_end_s: float  # when the last agent left or the last waiting caller hung up (>= day_end_s)


def day_records(arrays: dict, route: np.ndarray, true_queue: np.ndarray | None, queued_at_s: np.ndarray,
                run_end_s: float) -> CallRecords:
    """The records of a finished day from the engine's working arrays (`arrays`: by recorded
    name, those the day made; numpy views, changed in place). A call still waiting at the end
    (nobody left who can answer it) is unserved, or a failed callback, having waited until the
    end of the run; a misrouted call ended in its right queue only once transferred (`true_queue`,
    None without an IVR); a column whose feature the day did not use is filled with its `absent`."""
    outcome, wait, flags = arrays["outcome"], arrays["wait_s"], arrays["flags"]
    still_waiting = outcome == PENDING
    if still_waiting.any():
        callback = still_waiting & (flags & CALLBACK_ACCEPTED > 0)
        on_line = still_waiting & ~callback
        outcome[callback] = Outcome.CALLBACK_FAILED
        outcome[on_line] = Outcome.UNSERVED
        wait[on_line] += np.maximum(run_end_s - queued_at_s[on_line], 0.0)
    queue = route if true_queue is None else np.where((flags & TRANSFERRED) > 0, true_queue, route)
    values = {}
    for c in RECORDED:
        if c.record_as == "queue":
            values["queue"] = queue.astype(np.int16, copy=False)
        elif c.record_as in arrays:
            values[c.record_as] = arrays[c.record_as]
        else:
            values[c.record_as] = np.full(len(outcome), c.absent, dtype=c.dtype)
    return CallRecords(**values)
