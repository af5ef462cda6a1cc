"""The event kernel: SimPy's `Environment`, plus the few things a fast engine needs from its insides.

The engine (`simulator.engine`) holds the call centre's rules; every touch of SimPy's private
state (`_now`, `_queue`, `_eid`, a timeout's `_delay`) is here, in one subclass, as SimPy's own
`simpy.rt.RealtimeEnvironment` does it. What it offers:

* **Dues**: timeouts made without SimPy's per-event allocations (`due`, `after`). A fired due is
  kept in a spare pool and reused by the next one, and each kind of due shares one callback list
  (`callbacks`). That is only safe while nothing else waits on a due, so a due refuses loudly to
  be yielded from a process or combined with `&` / `|`: its callback list is sealed (SimPy adds
  a process or a condition to it with `append`, which raises) and `&` / `|` raise. A model that
  needs to wait on something uses `env.timeout()` as usual.
* **A stream of moments** (`Moments`, the arrivals of the first calls): a chain of dues at
  given times, each scheduling the next, except that a moment that is the very next event (no
  scheduled event's key (time, priority, sequence number) comes before its own) is handled at
  once, with the sequence number its due would have had, drawn where the due would have been
  made: the same events in the same order, one due fewer.
* **Deferred events** (`defer`, `release_deferred`, `wake`): an event that may never be needed
  (the end of a lazy agent's job) is kept as (time, sequence number, payload) in a heap of the
  caller's, with the sequence number its timeout would have had; released when the clock passes
  it, or turned into that very timeout, so the order of events is the same either way.
* **`run_dry`**: SimPy's `run()` until no event is left, with `step()` written out (one method
  call fewer per event) and fired dues put back in the pool.
* **`now` as a plain attribute**: SimPy's `now` is a property (a function call per read, and
  the engine reads the clock at every event); here it is an attribute that `step`, `run_dry`
  and `Moments` keep equal to SimPy's `_now`. (A fired due's `callbacks` is a sealed empty list,
  not None, so its `processed` says False: nothing here reads it.)

What this relies on in SimPy (4.x) is pinned by tests/test_kernel.py::test_simpy_contract: the
queue holds `(time, priority, eid, event)` in a heap, `eid` comes from the counter `_eid`, a
processed event's `callbacks` is None, and processes and conditions register with `append`.
"""
from __future__ import annotations

from heapq import heappop, heappush

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, EventPriority, Timeout

__all__ = ["Due", "Kernel", "SealedCallbacks", "Moments", "callbacks"]

_REFUSED = ("a callsim kernel due cannot be waited on (yielded from a process, or combined with & or |): "
            "it is reused once fired and shares its callback list; use env.timeout() instead")


class SealedCallbacks(list):
    """A due's callback list, made once and shared by every due of a kind: read, never added to.
    It holds exactly one function (`run_dry` calls that one)."""

    __slots__ = ()

    def append(self, callback) -> None:
        raise RuntimeError(_REFUSED)


_SPENT = SealedCallbacks()  # a fired due's callbacks: waiting on it is refused too


def callbacks(function) -> SealedCallbacks:
    """The callback list of a kind of due: `function(due)` is called when a due fires."""
    return SealedCallbacks((function,))


class Due(Timeout):
    """A timeout made by the kernel (`Kernel.due`); `eid` is the sequence number SimPy orders
    simultaneous events by. The engine may hang a payload on it (`due.call = i`)."""

    def __and__(self, other):
        raise RuntimeError(_REFUSED)

    __or__ = __rand__ = __ror__ = __and__


def _fresh(env: "Kernel") -> Due:
    """A new due (the spare pool was empty); `Kernel.due` sets the rest."""
    due = object.__new__(Due)
    due.env = env
    due._value = None
    due._ok = True
    return due


class Kernel(simpy.Environment):
    """A `simpy.Environment` with dues, deferred events and a look at the next event (module doc)."""

    now = 0.0  # shadows SimPy's property: an instance attribute, kept equal to `_now`

    def __init__(self, initial_time: float = 0):
        super().__init__(initial_time)
        self.now = self._now
        self.spare: list[Due] = []  # fired dues, reused by the next ones made

    def due(self, delay_s: float, callbacks: SealedCallbacks) -> Due:
        """A due `delay_s` from now: SimPy's `Timeout(env, delay_s)` with its initialiser written
        out, minus the negative-delay check (delays here are durations) and the allocations."""
        spare = self.spare
        due = spare.pop() if spare else _fresh(self)
        due.callbacks = callbacks
        due._delay = delay_s
        due.eid = eid = next(self._eid)
        heappush(self._queue, (self._now + delay_s, NORMAL, eid, due))
        return due

    def after(self, delay_s: float, callback) -> Due:
        """Call `callback(due)` `delay_s` from now (a one-off: the callback list is made for it)."""
        return self.due(delay_s, callbacks(callback))

    # --- deferred events -----------------------------------------------------------------

    def defer(self, heap: list, delay_s: float, payload) -> None:
        """An event `delay_s` from now that may never be needed: kept in `heap` as
        (time, sequence number, payload), the sequence number drawn as its due's would be."""
        heappush(heap, (self._now + delay_s, next(self._eid), payload))

    def release_deferred(self, deferred: list, eid: int) -> None:
        """Deferred events that come before the current event (the one with sequence number
        `eid`, at the current time) happened: `deferred` is a list of (heap, sink), and each
        heap's payloads are appended to its sink, in the order their dues would have run."""
        before = (self._now, eid)
        for heap, sink in deferred:
            while heap and heap[0] < before:
                sink.append(heappop(heap)[2])

    def wake(self, heap: list, callbacks_of) -> None:
        """The deferred events of `heap` (all still ahead) become the dues they stand for, with
        their own times and sequence numbers; `callbacks_of[payload]` is each one's list."""
        spare = self.spare
        queue = self._queue
        now = self._now
        for at_s, eid, payload in heap:
            due = spare.pop() if spare else _fresh(self)
            due.callbacks = callbacks_of[payload]
            due._delay = at_s - now
            due.eid = eid
            heappush(queue, (at_s, NORMAL, eid, due))
        heap.clear()

    # --- running -------------------------------------------------------------------------

    def step(self) -> None:
        """SimPy's `Environment.step`, keeping `now` (used when a model runs with `run()`)."""
        try:
            self._now, _, _, event = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        self.now = self._now
        functions, event.callbacks = event.callbacks, (_SPENT if event.__class__ is Due else None)
        try:
            for callback in functions:
                callback(event)
        except StopSimulation:
            # as SimPy: the remaining callbacks run when the simulation resumes
            event.callbacks = functions[functions.index(callback) + 1:]
            self.schedule(event, EventPriority(-1))
            raise
        self._crash_if_failed(event)

    def run_dry(self) -> None:
        """Run until no event is left: `step()` written out in a loop (one method call fewer per
        event), fired dues put back in the spare pool. Other events run as `step()` runs them."""
        queue = self._queue
        spare = self.spare
        while queue:
            self._now, _, _, event = heappop(queue)
            self.now = self._now
            functions = event.callbacks
            if event.__class__ is Due:
                event.callbacks = _SPENT
                functions[0](event)
                spare.append(event)
                continue
            event.callbacks = None
            for callback in functions:
                callback(event)
            self._crash_if_failed(event)

    @staticmethod
    def _crash_if_failed(event) -> None:
        """As SimPy: a failed event nobody handled crashes the run (a copy of its exception)."""
        if not event._ok and not hasattr(event, "_defused"):
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc


class Moments:
    """A chain of dues at the sorted `times[0..n)`: at each moment, `start(i, now)` for each
    entry i due then, in order (ties and moments that float rounding put at or before now start
    together). The next moment's key is drawn before `start` runs (the due a process
    would have scheduled first), and that moment is handled at once, without its due, when it
    is the very next event (unless `shortcut` is off). With `deferred` (a list of (heap, sink)),
    deferred events before each moment are released first (`Kernel.release_deferred`)."""

    def __init__(self, kernel: Kernel, times, n: int, start, deferred: list | None = None, shortcut: bool = True):
        self.kernel = kernel
        self.times = times
        self.n = n
        self.start = start
        self.deferred = deferred
        self.shortcut = shortcut
        self.next = 0  # the next entry to start
        self.callbacks = callbacks(self._fired)

    def begin(self) -> None:
        """The moments at time 0 (or before) start now; the chain is set going."""
        self._run(0, -1)

    def _fired(self, due: Due) -> None:
        self._run(self.next + 1, due.eid)  # the entry this due was for starts whatever float rounding says

    def _run(self, i: int, eid: int) -> None:
        kernel = self.kernel
        times, n, start = self.times, self.n, self.start
        queue = kernel._queue
        deferred = self.deferred
        while True:
            now = kernel._now
            first = self.next
            if deferred is not None and eid >= 0:
                before = (now, eid)  # kernel.release_deferred(deferred, eid), written out (once a moment)
                for heap, sink in deferred:
                    while heap and heap[0] < before:
                        sink.append(heappop(heap)[2])
            key = None
            while i < n:
                delay_s = times[i] - now
                if delay_s > 0:
                    key = (now + delay_s, NORMAL, next(kernel._eid))
                    break
                i += 1
            self.next = i
            if i == first + 1:  # the usual case: one entry
                start(first, now)
            else:
                for j in range(first, i):
                    start(j, now)
            if key is None:
                return
            if not self.shortcut or (queue and queue[0] < key):  # another event comes first: the due
                spare = kernel.spare
                due = spare.pop() if spare else _fresh(kernel)
                due.callbacks = self.callbacks
                due._delay = delay_s
                due.eid = key[2]
                heappush(queue, key + (due,))
                return
            kernel._now = kernel.now = key[0]  # the next moment is the next event: it happens now
            eid = key[2]
            i += 1
