"""The per-call columns, declared once: name, type, feature and meaning of every per-call number.

A call is a row of parallel arrays. Three things are made from this one table:

* `Callers` (simulator.callers): the *drawn* columns, the random attributes of the first
  calls, drawn up front (`drawn_as` is the field name; "ivr.x" is field x of the IvrPaths).
* the engine's working arrays (simulator.engine): every column with an `engine` name, as an
  `array.array` (indexing one is about twice as fast as a numpy array, it takes 8 bytes an
  entry where a list of floats takes 32, and redials can be appended);
* `CallRecords` (simulator.records): the *recorded* columns (`record_as`), in table order.

A column whose `feature` the scenario does not use (no IVR, no callbacks, ...) is not made at
all in the engine; a recorded one is then filled with `absent` in the records.

Adding a per-call field is one row here (plus the code that gives it meaning).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, make_dataclass

import numpy as np

# array.array type code -> numpy dtype
DTYPES = {"b": np.int8, "B": np.uint8, "h": np.int16, "i": np.int32, "d": np.float64}

PENDING = -1  # outcome inside the run only: the call has not ended yet


@dataclass(frozen=True)
class Column:
    engine: str | None  # name of the engine's working array (None: not kept in the engine)
    code: str  # array.array type code, see DTYPES
    meaning: str
    feature: str | None = None  # None (always), "ivr", "callbacks", "returns" or "priority"
    drawn_as: str | None = None  # field of Callers it is drawn into ("ivr.x": field x of Callers.ivr)
    record_as: str | None = None  # field of CallRecords it is recorded as
    fill: float = 0  # initial value of a working (not drawn) column
    absent: float = 0  # value recorded when the feature is not used

    @property
    def dtype(self):
        return DTYPES[self.code]


# In CallRecords order for the recorded columns (the records are built in table order).
COLUMNS: tuple[Column, ...] = (
    Column("arrived", "d", "when the call started (IVR entry), seconds from the start of the day",
           drawn_as="arrived_at_s", record_as="arrived_at_s"),
    Column("route", "h", "queue the call is routed to (after the IVR), or a negative code when it ends in the "
           "IVR (ivr.CONTAINED, ivr.IVR_HANG_UP)", drawn_as="queue"),
    Column(None, "h", "queue where the call ended (the right one once transferred); negative if it ended in "
           "the IVR", record_as="queue"),
    Column("outcome", "b", "how the call ended, a records.Outcome (PENDING during the run)", record_as="outcome",
           fill=PENDING),
    Column("wait", "d", "time waiting on the line in queues (0 if none; callbacks: before accepting), seconds",
           record_as="wait_s"),
    Column("talk", "d", "talk (and hold) time if answered, seconds", drawn_as="talk_s", record_as="talk_s"),
    Column("acw", "d", "after-call work if answered, seconds", drawn_as="acw_s", record_as="acw_s"),
    Column("group", "h", "agent group that handled the call, -1 if none", record_as="group", fill=-1),
    Column("agent", "i", "agent id that handled the call, -1 if none", record_as="agent", fill=-1),
    Column("ivr_s", "d", "time in the IVR, seconds", feature="ivr", drawn_as="ivr.ivr_s", record_as="ivr_s"),
    Column("menus", "b", "IVR menu prompts heard", feature="ivr", drawn_as="ivr.menus", record_as="menus"),
    Column("flags", "B", "bits: ZERO_OUT, TRANSFERRED, CALLBACK_OFFERED, CALLBACK_ACCEPTED, RESOLVED, MISROUTED, "
           "CALLBACK_CONNECTED, INITIAL (engine)", record_as="flags"),
    Column("callback_delay", "d", "acceptance to connection of a completed callback, seconds, else NaN",
           feature="callbacks", record_as="callback_delay_s", fill=math.nan, absent=math.nan),
    Column("caller_id", "i", "the person calling (redials and repeat calls share it)", record_as="caller"),
    Column("kind", "b", "why the call was made: callers.FIRST, REDIAL or REPEAT", record_as="kind"),
    # drawn, not recorded
    Column("patience", "d", "how long the caller is willing to wait in the queue, seconds (inf: never abandons)",
           drawn_as="patience_s"),
    Column("balk_u", "d", "uniform: balks if below the queue's balk probability", drawn_as="balk_u"),
    Column("true_queue", "h", "the right queue of a misrouted call, else -1", feature="ivr",
           drawn_as="ivr.true_queue"),
    Column("transfer_s", "d", "first agent's time before transferring a misrouted call, seconds (drawn for every "
           "call; spent only on a call flagged TRANSFERRED)", feature="ivr", drawn_as="ivr.transfer_s",
           record_as="transfer_s"),
    Column("intent", "h", "the caller's intent (index in scenario.intents; -1 without intents): redials and repeat "
           "calls keep it", feature="ivr", drawn_as="ivr.intent"),
    Column("callback_u", "d", "uniform: accepts a callback offer if below the acceptance probability",
           feature="callbacks", drawn_as="callback_u"),
    Column("callback_wait", "d", "scheduled callbacks: acceptance to callback, seconds", feature="callbacks",
           drawn_as="callback_wait_s"),
    Column("resolve_u", "d", "uniform: an answered call resolves the issue if below the queue's FCR",
           feature="returns", drawn_as="resolve_u"),
    Column("redial_u", "d", "uniform: an abandoner calls again if below the redial probability", feature="returns",
           drawn_as="redial_u"),
    Column("redial_delay", "d", "abandoning to the redial, seconds", feature="returns", drawn_as="redial_delay_s"),
    Column("repeat_delay", "d", "end of an unresolved call to the repeat call, seconds", feature="returns",
           drawn_as="repeat_delay_s"),
    Column("priority_u", "d", "uniform: the caller's priority class in its queue (by the classes' shares; "
           "routing.class_bounds)", feature="priority", drawn_as="priority_u", record_as="priority_u"),
    # working state only
    Column("queued_at", "d", "when the call joined its (current) queue, seconds"),
    Column("accepted_at", "d", "when the caller accepted a callback, seconds", feature="callbacks"),
    Column("callback_tries", "b", "callback attempts made so far", feature="callbacks"),
    Column("calls_made", "b", "calls the caller has made so far, this one included", feature="returns", fill=1),
)

BY_ENGINE_NAME = {c.engine: c for c in COLUMNS if c.engine is not None}
RECORDED = tuple(c for c in COLUMNS if c.record_as is not None)
DRAWN = tuple(c for c in COLUMNS if c.drawn_as is not None)


def _field_comment(c: Column) -> str:
    return f"{c.drawn_as or c.record_as} ({DTYPES[c.code].__name__}): {c.meaning}"


def _records_len(self) -> int:
    return len(self.arrived_at_s)


def _records_nbytes(self) -> int:
    return sum(getattr(self, name).nbytes for name in self.__dataclass_fields__)


def make_records_class(module: str):
    """CallRecords: one numpy array per recorded column, in table order."""
    cls = make_dataclass(
        "CallRecords",
        [(c.record_as, np.ndarray) for c in RECORDED],
        frozen=True,
        namespace={
            "__len__": _records_len,
            "nbytes": property(_records_nbytes),
            "__doc__": "One entry per call, as parallel numpy arrays (a few bytes per call, no objects).\n\n"
            + "\n".join(_field_comment(c) for c in RECORDED),
        },
    )
    cls.__module__ = module  # so that records pickle (results come back from worker processes)
    return cls


def _callers_len(self) -> int:
    return len(self.arrived_at_s)


def make_callers_class(module: str):
    """Callers: the drawn columns always used first (required), then busyness and the IVR walk,
    then the drawn columns of optional features (None when the scenario does not use them)."""
    required = [(c.drawn_as, np.ndarray) for c in DRAWN if c.feature is None]
    optional = [(c.drawn_as, "np.ndarray | None", field(default=None))
                for c in DRAWN if c.feature is not None and not c.drawn_as.startswith("ivr.")]
    cls = make_dataclass(
        "Callers",
        required + [("busyness", float, field(default=1.0)), ("ivr", "IvrPaths | None", field(default=None))] + optional,
        frozen=True,
        namespace={
            "__len__": _callers_len,
            "__doc__": "Calls and their random attributes, as parallel arrays (one entry per call).\n\n"
            "Optional arrays are None when the scenario does not use the feature; busyness is this "
            "replication's day-to-day volume multiplier; ivr each caller's walk through the menus.\n\n"
            + "\n".join(_field_comment(c) for c in DRAWN),
        },
    )
    cls.__module__ = module
    return cls


def drawn_values(callers, column: Column):
    """The drawn array of `column` in `callers` (None if the feature is not drawn)."""
    name = column.drawn_as
    if name.startswith("ivr."):
        return None if callers.ivr is None else getattr(callers.ivr, name[4:])
    return getattr(callers, name)
