"""The SimPy model of one day: callers, queues and agent groups.

Design, in short:

* **Callers are drawn first, then simulated.** Arrival times (a Poisson process with a
  piecewise-constant rate) and every caller's attributes (queue, talk, ACW, patience, balk)
  are drawn up front, vectorised, each from its own random stream. Two scenarios run with the
  same seed thus meet the same callers (common random numbers), and the per-call work inside
  the event loop is only bookkeeping. Every per-call number is declared once, in
  `simulator.columns`.
* **SimPy's event loop, driven by callbacks, not a process per caller.** Arrivals are a chain
  of timeouts (each schedules the next), the end of an IVR, an agent's job, a transfer and a
  scheduled callback are timeouts whose callbacks move the call on. A generator process per
  caller racing the agent against its patience (`answered | timeout(patience)`, SimPy's
  bank-renege idiom) costs four to five events a call; this costs about two.
* **Abandonment without an event, when nothing depends on its moment.** A waiting caller's
  deadline (join time + patience) is known when it joins. Most abandonments change nothing
  but the caller's own record and the end of the run, so the caller stays in line and is
  found to have left at its deadline when an agent reaches it (or when the day is over).
  Where the moment matters, a timeout watches it: the caller redials at that moment (a new
  call, whose attributes are handed out in order), or the queue offers callbacks (the offer
  depends on how many wait). A caller whose patience runs out exactly when an agent comes
  is answered, as before.
* **Lazy agents: no event at the end of a job that only makes the agent idle.** On the plain
  path (no IVR, callbacks, return calls or overflow) of a large centre, while no caller waits in a queue the
  group serves, no departure is owed and the day is not closing, a job's end is kept as
  (free_at_s, sequence number of the timeout it would have been, agent) in a heap per group;
  each event first moves the agents whose job ended before it to the idle ones, in timeout
  order, and a caller joining a line, an owed departure or the close turns the heap into those
  very timeouts (`_answer_lazy`, `_catch_up`, `_wake`). Same events, same order, same day.
* **No timeout for an arrival that is the very next event.** The next first call's sequence
  number is drawn where its timeout would have been made; once the current arrival's calls
  have started, if nothing in SimPy's queue comes before it, it is handled at once in the same
  callback (`_arrivals`, `ARRIVALS_WITHOUT_TIMEOUT`). Fired timeouts of the frequent kinds are
  reused (`spare`), and each kind shares one callback list: most of an event's cost was
  allocation.
* **The agent pool is not a simpy.Resource.** Each group keeps a deque of idle agent ids; the
  waiting lines and the rules choosing from them are a routing policy (`simulator.routing`):
  which free group answers an arriving call, which waiting call a free agent takes. Today's
  rules are the default (first non-empty queue in the group's `serves` list, FCFS); priority
  classes within a queue and overflow to other groups after a wait are per-queue options.
* **Staffing changes at interval boundaries.** Extra agents start at once; when staffing
  drops, idle agents leave first and busy ones finish their call and its ACW, then leave;
  that time past the boundary is recorded as an overtime span. After the last interval no
  one new arrives; the agents on shift stay until every waiting caller has been answered or
  has abandoned, and that time is overtime too.
* **The caller's journey.** A caller first spends its (pre-computed) IVR time, which may end
  the call (contained, IVR hang-up). In the queue it may be offered a callback (keep_place:
  its place is kept and an agent dials when it reaches the front; scheduled: it re-joins the
  back after a delay). A misrouted call costs the first agent a transfer time and then joins
  the right queue at the front. Abandoners may redial and unresolved callers call again
  (new calls by the same caller, while the centre is open).
* **Same order of events as the process model.** Simultaneous events run in the order they
  were scheduled; the callbacks schedule in the order the old processes did (at each arrival
  the next arrival first, then the caller's own timeouts), so the same seed gives the same
  day, to the bit.
* **Records, not statistics.** Each call leaves a handful of numbers in compact arrays
  (`CallRecords`) and each agent job a busy span; every KPI is computed afterwards by pure
  functions in `simulator.kpis`.
"""
from __future__ import annotations

from array import array
from collections import deque
from dataclasses import dataclass
from enum import IntEnum
from functools import partial
from heapq import heappop, heappush
from operator import itemgetter

import numpy as np
import simpy
from simpy.events import NORMAL, Timeout

from .callers import REDIAL, REPEAT, Callers, ReturnCallPool, draw_callers, uses_priority_classes
from .columns import COLUMNS, DTYPES, PENDING, RECORDED, drawn_values, make_records_class
from .ivr import CONTAINED
from .randomness import Stream, generator_at
from .routing import Routing
from .scenario import Scenario

__all__ = ["CallRecords", "Callers", "Outcome", "ReplicationResult", "draw_callers", "simulate_callers",
           "simulate_replication"]


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


_NEVER = float("inf")  # patience of a caller who never abandons
_ANSWERED, _ABANDONED = int(Outcome.ANSWERED), int(Outcome.ABANDONED)  # plain ints: faster in the hot paths
_CONTAINED, _IVR_ABANDONED = int(Outcome.CONTAINED), int(Outcome.IVR_ABANDONED)


class _Due(Timeout):
    """A SimPy timeout that carries the callback to run when it fires.

    The same initialisation as `simpy.events.Timeout.__init__` (which inlines Event's for speed),
    minus the negative-delay check (our delays are durations and times ahead) and with the
    callback list made at once: one timeout is made per arrival and per agent job. It keeps the
    sequence number SimPy orders simultaneous events by (`eid`): the lazy agents need it."""

    def __init__(self, env: simpy.Environment, delay_s: float, callback):
        self.env = env
        self.callbacks = [callback]
        self._value = None
        self._delay = delay_s
        self._ok = True
        # env.schedule(self, NORMAL, delay_s) written out, keeping the sequence number
        self.eid = eid = next(env._eid)
        heappush(env._queue, (env._now + delay_s, NORMAL, eid, self))


# Lazy agents pay off when many agents are busy while few callers wait (large centres); in a
# small centre callers wait often, most lazy job ends become timeouts after all and the
# bookkeeping costs more than it saves (measured: 0.9x at 10 agents, 1.0x at 100, 1.3x at
# 1,000, 1.6x at 5,000). Either way the day is the same to the bit.
LAZY_AGENTS_FROM = 250  # agents on shift at once in the busiest interval

# The next first call's arrival is handled without a timeout when it is the very next event
# (see _arrivals); the day is the same either way (tests/test_engine_fast_forward.py runs both).
ARRIVALS_WITHOUT_TIMEOUT = True

_new_due = object.__new__


def _fresh_due(env: simpy.Environment) -> _Due:
    """A new _Due for the hot places, which write the rest of its initialiser out (callbacks,
    delay, eid and the push onto the queue); fired ones are reused before a new one is made."""
    due = _new_due(_Due)
    due.env = env
    due._value = None
    due._ok = True
    return due

# bits of CallRecords.flags
ZERO_OUT = 1  # chose "0" (ask for an agent) in the IVR
TRANSFERRED = 2  # misrouted: answered in the wrong queue, transferred to the right one
CALLBACK_OFFERED = 4
CALLBACK_ACCEPTED = 8
RESOLVED = 16  # the caller's issue was resolved by this call (set when return calls are modelled)
MISROUTED = 32  # the IVR sent the call to the wrong queue
CALLBACK_CONNECTED = 64  # an agent reached the caller of an accepted callback

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


def _array(code: str, values) -> array:
    return array(code, np.ascontiguousarray(values, dtype=DTYPES[code]).tobytes())


def _numpy(values: array, dtype) -> np.ndarray:
    """A numpy view of an array.array (no copy: the array is not appended to any more)."""
    return np.frombuffer(values, dtype=dtype) if len(values) else np.zeros(0, dtype=dtype)


def _features(callers: Callers) -> set:
    used = {None}
    if callers.ivr is not None:
        used.add("ivr")
    if callers.callback_u is not None:
        used.add("callbacks")
    if callers.resolve_u is not None:
        used.add("returns")
    if callers.priority_u is not None:
        used.add("priority")
    return used


class _CallCentre:
    """The state of one simulated day. Hot paths avoid attribute lookups in loops."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, callers: Callers,
                 seed: int = 0, replication: int = 0):
        self.env = env
        self.scenario = scenario
        n = len(callers)
        n_groups = len(scenario.agents)
        self.day_end_s = scenario.n_intervals * scenario.interval_s
        self.n_first = n
        self.next_first = 0  # the next first call to arrive
        self.next_interval = 0
        ivr = callers.ivr
        self.has_ivr = ivr is not None
        self.has_callbacks = callers.callback_u is not None
        self.has_returns = callers.resolve_u is not None
        self.has_priority = callers.priority_u is not None
        if uses_priority_classes(scenario) and not self.has_priority:
            raise ValueError("the scenario has priority classes: the callers need priority_u")
        # the working arrays, one per column of simulator.columns whose feature is used
        used = _features(callers)
        self.columns = [c for c in COLUMNS if c.engine is not None and c.feature in used]
        for c in self.columns:
            if c.drawn_as is not None:
                values = drawn_values(callers, c)
            elif c.engine == "flags":
                values = ((np.where(ivr.zero_out, ZERO_OUT, 0) | np.where(ivr.true_queue >= 0, MISROUTED, 0))
                          if ivr is not None else np.zeros(n))
            elif c.engine == "caller_id":
                values = np.arange(n)
            else:
                values = np.full(n, c.fill)
            setattr(self, c.engine, _array(c.code, values))
        self.balk_p = [q.balk_probability for q in scenario.queues]
        self.busy_group, self.busy_start, self.busy_end = array("h"), array("d"), array("d")
        self.overtime: list[tuple[int, float, float]] = []
        # callbacks
        self.callback = [q.callback for q in scenario.queues]
        if self.has_callbacks:
            self.attempt_rng = generator_at(seed, replication, int(Stream.CALLBACK_ATTEMPTS))
            self.mean_handle_s = [q.talk_time.mean_s + q.acw.mean_s for q in scenario.queues]
            # per queue with a window or a cap: (from, until, accepted callbacks left per interval); else None
            self.callback_limits = [
                None if q.callback is None or (q.callback.offered_between is None and q.callback.max_per_interval is None)
                else (*scenario.callback_window_s(k), scenario.callback_cap(k))
                for k, q in enumerate(scenario.queues)
            ]
            self.interval_s = scenario.interval_s
        # redials and repeat calls
        if self.has_returns:
            self.returns = scenario.return_calls
            self.redial_p = self.returns.redial_probability
            self.fcr = [q.first_contact_resolution for q in scenario.queues]
            self.pool = ReturnCallPool(scenario, seed, replication)
            self.max_calls = self.returns.max_calls
            # for _call_again, one entry more in every working array: the bound `append` of each
            # array with the key of the pool's row it takes, or the fill of a working column; the
            # columns _call_again sets itself are left out
            own = {"arrived", "flags", "calls_made", "caller_id", "kind"}
            drawn = [c for c in self.columns if c.drawn_as is not None and c.engine not in own]
            self.return_appends = [getattr(self, c.engine).append for c in drawn]
            self.return_values = itemgetter(*[c.drawn_as for c in drawn])  # the row's values, in that order
            self.return_filled = [(getattr(self, c.engine).append, c.fill) for c in self.columns
                                  if c.drawn_as is None and c.engine not in own]
        # the waiting lines and the rules that pick from them; a callback offer depends on the
        # number waiting, so those queues count out callers whose patience ran out
        self.routing = Routing(scenario, self._abandoned_unnoticed, tuple(q.callback is not None for q in scenario.queues))
        self.answer_groups = self.routing.answer_groups
        self.overflow_after_s = self.routing.overflow_after_s
        # agent groups
        self.staffing = [list(g.staffing) for g in scenario.agents]
        self.idle = [deque() for _ in range(n_groups)]
        self.on_shift = [0] * n_groups  # agents present: idle + busy (including those owed a departure)
        self.owed_departures = [deque() for _ in range(n_groups)]  # boundary times, one per busy agent to leave
        self.spare_ids = [[] for _ in range(n_groups)]
        self.next_id = 0
        self.last_exit_s = 0.0  # when the last agent went home or waiting caller hung up, so far
        self.closing = False
        self.pending = 0  # calls on their way to a queue: in the IVR, in a transfer, due a scheduled callback
        # the hot paths, chosen once for the features the day uses
        # lazy agents (see _answer_lazy): on the plain path, without overflow (whose timer
        # reads the idle agents at moments of its own)
        self.lazy = None
        if not (self.has_ivr or self.has_callbacks or self.has_returns):
            self._answer = self._answer_plain
            most_on_shift = max(map(sum, zip(*self.staffing)), default=0)
            if most_on_shift >= LAZY_AGENTS_FROM and all(after_s is None for after_s in self.overflow_after_s):
                self._answer = self._answer_lazy
                self.lazy = [[] for _ in range(n_groups)]  # per group: heap of (free_at_s, eid, agent)
                self.served_by = self.routing.answer_order  # per queue: the groups that take its calls
                self.serves = self.routing.serves
                self.n_waiting = self.routing.n_waiting  # the routing's own list, read not copied
        # The callback lists of the hot timeouts, made once and shared by every timeout of a kind
        # (SimPy only reads an event's list and drops it when the event fires; nothing here
        # appends to one), and fired timeouts kept for reuse (`spare`): allocating them was a
        # good part of the cost of an event.
        self._arrivals_cbs = [self._arrivals]
        self.arrivals_without_timeout = ARRIVALS_WITHOUT_TIMEOUT
        self._ivr_ended_cbs = [self._ivr_ended]
        self._start_again_cbs = [self._start_again]
        self._patience_ran_out_cbs = [self._patience_ran_out]
        self.job_done_cbs = []  # per agent id: [its job_done]
        self.spare: list[_Due] = []  # fired hot timeouts, reused by the next ones made
        self._next_call = self.routing.take
        self.job_done = []  # per agent id: the callback run when its job ends (ids never change group)

    def _after(self, delay_s: float, callback) -> None:
        """Call `callback(event)` `delay_s` from now (a SimPy timeout)."""
        _Due(self.env, delay_s, callback)

    # --- the day: staffing boundaries and arrivals ------------------------------------------

    def start(self) -> None:
        """Time 0: the first interval's staffing, then the first arrivals."""
        self._boundary(None)
        self._arrivals(None)

    def _boundary(self, event) -> None:
        """Apply the next interval's staffing at its boundary, or close the day."""
        if self.lazy is not None and event is not None:
            self._catch_up(event)
        k = self.next_interval
        if k < len(self.scenario.arrivals.calls):
            for g in range(len(self.staffing)):
                self._set_staff(g, self.staffing[g][k])
            self.next_interval = k + 1
            self._after(self.scenario.interval_s, self._boundary)
            return
        self.closing = True
        if self.lazy is not None:  # from now on every job's end is an event
            for g in range(len(self.lazy)):
                self._wake(g)
        # idle agents go home (unless callers are still in the IVR, in a transfer or due a
        # scheduled callback); busy ones finish and keep answering until the queues empty
        if not self.pending:
            self._release_idle()

    def _arrivals(self, event) -> None:
        """The first call due now starts (and any others at the same time); the next is scheduled.

        The next arrival's timeout is only made when another event comes before it. When it
        would be the very next event SimPy runs (its key (time, NORMAL, eid) is below the head
        of the event queue once this arrival's own events are scheduled), it is handled here at
        once, at the same time, with the same sequence number drawn at the same point: the same
        events in the same order, one timeout, push and pop fewer. (The key is drawn before the
        calls start, as the timeout was; where it is pushed in the heap does not matter.)"""
        i = self.next_first
        n = self.n_first
        arrived = self.arrived
        env = self.env
        queue = env._queue
        lazy = self.lazy
        if event is None:  # time 0
            eid = -1
        else:
            i += 1  # the call this timeout was for starts whatever float rounding says
            eid = event.eid
            self.spare.append(event)  # fired: reused for the next timeout made
        while True:
            now = env._now
            first = self.next_first
            if lazy is not None and eid >= 0:  # self._catch_up(event), written out (hot)
                before = (now, eid)
                for g, heap in enumerate(lazy):
                    while heap and heap[0] < before:
                        self.idle[g].append(heappop(heap)[2])
            next_key = None
            while i < n:
                delay = arrived[i] - now
                if delay > 0:
                    next_key = (now + delay, NORMAL, next(env._eid))
                    break
                i += 1
            self.next_first = i
            if self.has_ivr:
                if i == first + 1:  # the usual case: one call
                    self._start_in_ivr(first)
                else:
                    for j in range(first, i):
                        self._start_in_ivr(j)
            elif i == first + 1:  # the usual case: one call
                self._join(first, self.route[first], now)
            else:
                route = self.route
                for j in range(first, i):
                    self._join(j, route[j], now)
            if next_key is None:
                return
            if (queue and queue[0] < next_key) or not self.arrivals_without_timeout:
                # something else comes first: the next arrival's timeout
                # _Due(env, delay, ...), its initialiser written out (hot)
                due = self.spare.pop() if self.spare else _fresh_due(env)
                due.callbacks = self._arrivals_cbs
                due._delay = delay
                due.eid = next_key[2]
                heappush(queue, next_key + (due,))
                return
            # the next arrival is the next event: it happens now, as SimPy would have run it
            env._now = next_key[0]
            eid = next_key[2]
            i += 1

    def _start_in_ivr(self, i: int) -> None:
        """Call i starts: the IVR, then its queue."""
        ivr_s = self.ivr_s[i]
        if ivr_s > 0:
            self.pending += 1
            # _Due(env, ivr_s, ...) written out (one a call), the call carried by the timeout
            # itself rather than by a partial: the same timeout, at the same time, same eid
            env = self.env
            due = self.spare.pop() if self.spare else _fresh_due(env)
            due.callbacks = self._ivr_ended_cbs
            due._delay = ivr_s
            due.call = i
            due.eid = eid = next(env._eid)
            heappush(env._queue, (env._now + ivr_s, NORMAL, eid, due))
            return
        self._after_ivr(i)

    def _ivr_ended(self, event) -> None:
        """The IVR time of the call the timeout carries (`event.call`) is over."""
        self.pending -= 1
        i = event.call
        self.spare.append(event)  # fired: reused for the next timeout made
        self._after_ivr(i)

    def _after_ivr(self, i: int) -> None:
        """Call i leaves the IVR now: it ends there (contained, hung up) or joins its queue."""
        q = self.route[i]
        if q >= 0:
            self._join(i, q, self.env._now)
        elif q == CONTAINED:  # the call ends in the IVR
            self.outcome[i] = _CONTAINED
            self.flags[i] |= RESOLVED
        else:
            self.outcome[i] = _IVR_ABANDONED
            self._maybe_redial(i)
        if self.closing and not self.pending:
            self._release_idle()

    def _join(self, i: int, q: int, now: float) -> None:
        """Call i reaches queue q on the line (now): answered at once, called back, balks, or waits."""
        self.queued_at[i] = now
        idle = self.idle
        for g in self.answer_groups[q]:
            if idle[g]:
                self._answer(i, g, idle[g].popleft())
                return
        if self.has_callbacks and self.callback[q] is not None and self._offer_callback(i, q):
            return
        if self.balk_u[i] < self.balk_p[q]:
            self.outcome[i] = Outcome.BALKED
            return
        patience = self.patience[i]
        u = self.priority_u[i] if self.has_priority else 0.0
        if patience == _NEVER:
            e = self.routing.join(i, q, now, u)
        elif self.has_returns and self.redial_u[i] < self.redial_p:  # it redials at the moment it hangs up
            e = self.routing.join(i, q, now, u)
            # self._after(patience, ...) written out, the call, queue and entry on the timeout
            env = self.env
            due = self.spare.pop() if self.spare else _fresh_due(env)
            due.callbacks = self._patience_ran_out_cbs
            due._delay = patience
            due.call, due.queue, due.entry = i, q, e
            due.eid = eid = next(env._eid)
            heappush(env._queue, (env._now + patience, NORMAL, eid, due))
        else:
            e = self.routing.join(i, q, now, u, now + patience)
        if self.lazy is not None:  # a caller waits: the end of every job that could take it matters
            for g in self.served_by[q]:
                if self.lazy[g]:
                    self._wake(g)
        elif self.overflow_after_s[q] is not None:
            self._after(self.overflow_after_s[q], partial(self._overflow_due, q, e))

    def _patience_ran_out(self, event) -> None:
        """A watched caller's patience ran out (`event.call`, waiting as `event.entry` in queue
        `event.queue`): it hangs up now unless an agent took it."""
        i, q, e = event.call, event.queue, event.entry
        self.spare.append(event)  # fired: reused for the next timeout made
        if self.routing.leave(e, q):
            self.outcome[i] = _ABANDONED
            self.wait[i] = self.patience[i]
            self.last_exit_s = self.env._now
            self._maybe_redial(i)

    def _abandoned_unnoticed(self, i: int, deadline_s: float) -> None:
        """Caller i hung up at `deadline_s` (found when an agent reached it, or at the end)."""
        self.outcome[i] = _ABANDONED
        self.wait[i] = self.patience[i]
        if deadline_s > self.last_exit_s:
            self.last_exit_s = deadline_s

    def _overflow_due(self, q: int, e: int, event) -> None:
        """Entry e has waited its queue's overflow time: an idle overflow agent may take it."""
        i = self.routing.waiting_call(e, q, self.env._now)
        if i < 0:
            return
        idle = self.idle
        for g in self.routing.overflow_groups[q]:
            if idle[g]:
                self.routing.leave(e, q)
                self._take(i, g, idle[g].popleft())
                return

    def _release_idle(self) -> None:
        for g in range(len(self.staffing)):
            while self.idle[g]:
                self._go_home(g, self.idle[g].pop())

    def _go_home(self, g: int, agent: int) -> None:
        """After the close: the agent leaves; time past the end of the day is overtime."""
        now = self.env._now
        if now > self.day_end_s:
            self.overtime.append((g, self.day_end_s, now))
        self._leave(g, agent)

    # --- callbacks -----------------------------------------------------------------------

    def _expected_wait_s(self, q: int) -> float:
        """(callers ahead + 1) x mean handle time / agents on shift who serve the queue."""
        agents = 0
        on_shift, owed = self.on_shift, self.owed_departures
        for g in self.routing.answer_order[q]:  # a loop, not sum() over a generator: once per offer
            agents += on_shift[g] - len(owed[g])
        if agents <= 0:
            return _NEVER
        return (self.routing.waiting_now(q, self.env._now) + 1) * self.mean_handle_s[q] / agents

    def _offer_callback(self, i: int, q: int) -> bool:
        """Offer a callback if the expected wait is over the threshold; True if accepted."""
        policy = self.callback[q]
        now = self.env._now
        limits = self.callback_limits[q]
        if limits is not None:
            window_from_s, window_until_s, left = limits
            if not window_from_s <= now < window_until_s:
                return False
            interval = min(int(now // self.interval_s), len(left) - 1)
            if left[interval] <= 0:  # this interval's callbacks are all taken
                return False
        if self._expected_wait_s(q) <= policy.offer_when_expected_wait_over:
            return False
        self.flags[i] |= CALLBACK_OFFERED
        if self.callback_u[i] >= policy.accept_probability:
            return False
        self.flags[i] |= CALLBACK_ACCEPTED
        if limits is not None:
            left[interval] -= 1
        self.accepted_at[i] = now
        if policy.mode == "keep_place":
            e = self.routing.join(i, q, now, self.priority_u[i] if self.has_priority else 0.0)
            if self.overflow_after_s[q] is not None:
                self._after(self.overflow_after_s[q], partial(self._overflow_due, q, e))
        else:
            self._queue_callback_later(i, q, self.callback_wait[i])
        return True

    def _queue_callback_later(self, i: int, q: int, delay_s: float) -> None:
        self.pending += 1
        self._after(delay_s, partial(self._join_as_callback, i, q))

    def _join_as_callback(self, i: int, q: int, event) -> None:
        self._enqueue_without_caller(i, q, at_front=False)

    def _enqueue_without_caller(self, i: int, q: int, at_front: bool) -> None:
        """A callback or a transferred call (pending until now) joins queue q."""
        self.pending -= 1
        for g in self.answer_groups[q]:
            if self.idle[g]:
                self._answer(i, g, self.idle[g].popleft())
                break
        else:
            e = self.routing.join(i, q, self.env._now, self.priority_u[i] if self.has_priority else 0.0,
                                  at_front=at_front)
            if self.overflow_after_s[q] is not None:
                self._after(self.overflow_after_s[q], partial(self._overflow_due, q, e))
        if self.closing and not self.pending:
            self._release_idle()

    def _call_back(self, i: int, g: int, agent: int) -> None:
        """An agent dials an accepted callback: reached (talk + ACW) or retried later."""
        now = self.env._now
        q = self.route[i]
        policy = self.callback[q]
        u = self.attempt_rng.random(2)
        dial_s = float(policy.dial_time.ppf(u[:1])[0])
        self.callback_tries[i] += 1
        if u[1] < policy.answer_probability:
            self.callback_delay[i] = now + dial_s - self.accepted_at[i]
            self.flags[i] |= CALLBACK_CONNECTED
            if self.has_ivr and self.true_queue[i] >= 0 and not self.flags[i] & TRANSFERRED:
                # a misrouted caller called back from the wrong queue: connected, then transferred
                self._transfer(i, g, agent, dial_s + self.transfer_s[i])
                return
            self._handle(i, g, agent, Outcome.CALLBACK_COMPLETED, dial_s)
            return
        self._busy(g, agent, dial_s)
        if self.callback_tries[i] >= policy.max_attempts:
            self.outcome[i] = Outcome.CALLBACK_FAILED
        else:
            # retried a delay after this attempt rang out
            self._queue_callback_later(i, q, dial_s + float(policy.retry_delay.ppf(self.attempt_rng.random(1))[0]))

    # --- redials and repeat calls --------------------------------------------------------

    def _maybe_redial(self, i: int) -> None:
        if self.has_returns and self.redial_u[i] < self.redial_p:
            self._call_again(i, self.env._now + self.redial_delay[i], REDIAL)

    def _maybe_repeat(self, i: int, talk_end_s: float) -> None:
        q = self.route[i]
        if self.has_ivr and self.true_queue[i] >= 0:
            q = self.true_queue[i]
        if self.resolve_u[i] < self.fcr[q]:
            self.flags[i] |= RESOLVED
        else:
            self._call_again(i, talk_end_s + self.repeat_delay[i], REPEAT)

    def _call_again(self, i: int, at_s: float, kind: int) -> None:
        """The caller of call i makes another call at `at_s` (if the centre is still open)."""
        calls_made = self.calls_made
        if calls_made[i] >= self.max_calls or at_s >= self.day_end_s:
            return
        # a return call keeps its caller's intent (with an IVR) or queue (without one)
        row = self.pool.take(at_s, self.intent[i] if self.has_ivr else self.route[i])
        arrived = self.arrived
        j = len(arrived)
        for append, value in zip(self.return_appends, self.return_values(row)):  # one more entry in every array
            append(value)
        for append, fill in self.return_filled:
            append(fill)
        arrived.append(at_s)
        if self.has_ivr:
            self.flags.append((ZERO_OUT if row["ivr.zero_out"] else 0)
                              | (MISROUTED if row["ivr.true_queue"] >= 0 else 0))
        else:
            self.flags.append(0)
        calls_made.append(calls_made[i] + 1)
        self.caller_id.append(self.caller_id[i])
        self.kind.append(kind)
        # _Due(env, at_s - now, ...) written out, the call carried by the timeout (as _start_in_ivr)
        env = self.env
        delay_s = at_s - env._now
        due = self.spare.pop() if self.spare else _fresh_due(env)
        due.callbacks = self._start_again_cbs
        due._delay = delay_s
        due.call = j
        due.eid = eid = next(env._eid)
        heappush(env._queue, (env._now + delay_s, NORMAL, eid, due))

    def _start_again(self, event) -> None:
        """A redial or repeat call (`event.call`) starts."""
        j = event.call
        self.spare.append(event)  # fired: reused for the next timeout made
        if self.has_ivr:
            self._start_in_ivr(j)
        else:
            self._join(j, self.route[j], self.env._now)

    # --- agent bookkeeping ---------------------------------------------------------------

    def _busy(self, g: int, agent: int, duration_s: float) -> None:
        """Agent `agent` of group `g` is busy from now for `duration_s`, then free again."""
        now = self.env._now
        self.busy_group.append(g)
        self.busy_start.append(now)
        self.busy_end.append(now + duration_s)
        _Due(self.env, duration_s, self.job_done[agent])

    def _answer_plain(self, i: int, g: int, agent: int) -> None:
        """_answer and _handle for a day without IVR, callbacks or return calls (the hot path)."""
        self.outcome[i] = _ANSWERED
        self.group[i] = g
        self.agent[i] = agent
        env = self.env
        now = env._now
        duration_s = self.talk[i] + self.acw[i]
        self.busy_group.append(g)
        self.busy_start.append(now)
        self.busy_end.append(now + duration_s)
        # _Due(env, duration_s, self.job_done[agent]), its initialiser written out (hot)
        due = self.spare.pop() if self.spare else _fresh_due(env)
        due.callbacks = self.job_done_cbs[agent]
        due._delay = duration_s
        due.eid = eid = next(env._eid)
        heappush(env._queue, (now + duration_s, NORMAL, eid, due))

    def _answer_lazy(self, i: int, g: int, agent: int) -> None:
        """_answer_plain with lazy agents: no event at the end of the job unless one is needed.

        At the end of a job, `_handled` only puts the agent back among the idle ones unless a
        caller waits in a queue the group serves, a departure is owed or the day is closing.
        While none of these holds, the job's end is kept in the group's heap `lazy[g]` as
        (free_at_s, eid, agent) with the sequence number its timeout would have had, and the
        agents whose job ended before the current event (`_catch_up`) join the idle ones in the
        order their timeouts would have run. Once one holds, `_wake` turns the group's heap
        into the very timeouts it stands for, so every event runs at the same time and in the
        same order as without lazy agents."""
        self.outcome[i] = _ANSWERED
        self.group[i] = g
        self.agent[i] = agent
        env = self.env
        now = env._now
        duration_s = self.talk[i] + self.acw[i]
        self.busy_group.append(g)
        self.busy_start.append(now)
        self.busy_end.append(now + duration_s)
        needed = self.closing or self.owed_departures[g]
        if not needed:
            n_waiting = self.n_waiting
            for q in self.serves[g]:
                if n_waiting[q]:
                    needed = True
                    break
        if not needed:
            heappush(self.lazy[g], (now + duration_s, next(env._eid), agent))
            return
        due = self.spare.pop() if self.spare else _fresh_due(env)
        due.callbacks = self.job_done_cbs[agent]
        due._delay = duration_s
        due.eid = eid = next(env._eid)
        heappush(env._queue, (now + duration_s, NORMAL, eid, due))

    def _catch_up(self, event) -> None:
        """Agents whose lazy job ended before `event` (at an earlier time, or at the same time
        and scheduled before it) are idle now, in the order their timeouts would have run."""
        before = (self.env._now, event.eid)
        idle = self.idle
        for g, heap in enumerate(self.lazy):
            while heap and heap[0] < before:
                idle[g].append(heappop(heap)[2])

    def _wake(self, g: int) -> None:
        """Group g's lazy jobs (all ending after the current event) get their timeouts."""
        heap = self.lazy[g]
        env = self.env
        queue = env._queue
        job_done_cbs = self.job_done_cbs
        for free_at_s, eid, agent in heap:
            due = self.spare.pop() if self.spare else _fresh_due(env)
            due.callbacks = job_done_cbs[agent]
            due._delay = free_at_s - env._now
            due.eid = eid
            heappush(queue, (free_at_s, NORMAL, eid, due))
        heap.clear()

    def _answer(self, i: int, g: int, agent: int) -> None:
        """Agent `agent` of group `g` takes call `i` now (its wait is set by the caller of this)."""
        flags = self.flags[i]
        if flags & CALLBACK_ACCEPTED:
            if flags & CALLBACK_CONNECTED:  # connected, transferred here: talk now
                self._handle(i, g, agent, Outcome.CALLBACK_COMPLETED, 0.0)
            else:
                self._call_back(i, g, agent)
            return
        if self.has_ivr and self.true_queue[i] >= 0 and not flags & TRANSFERRED:
            # misrouted: this agent spends the transfer time, then the call re-queues
            self._transfer(i, g, agent, self.transfer_s[i])
            return
        # answered live: _handle(i, g, agent, ANSWERED, 0.0) written out, the usual case
        self.outcome[i] = _ANSWERED
        self.group[i] = g
        self.agent[i] = agent
        now = self.env._now
        talk_s = self.talk[i]
        duration_s = talk_s + self.acw[i]
        self.busy_group.append(g)
        self.busy_start.append(now)
        self.busy_end.append(now + duration_s)
        # _Due(env, duration_s, self.job_done[agent]), its initialiser written out (hot)
        env = self.env
        due = self.spare.pop() if self.spare else _fresh_due(env)
        due.callbacks = self.job_done_cbs[agent]
        due._delay = duration_s
        due.eid = eid = next(env._eid)
        heappush(env._queue, (now + duration_s, NORMAL, eid, due))
        if self.has_returns:
            self._maybe_repeat(i, now + talk_s)

    def _handle(self, i: int, g: int, agent: int, outcome: Outcome, lead_s: float) -> None:
        """Agent `agent` handles call i: `lead_s` (dialling), then talk and ACW."""
        self.outcome[i] = outcome
        self.group[i] = g
        self.agent[i] = agent
        talk_s = self.talk[i]
        self._busy(g, agent, lead_s + talk_s + self.acw[i])
        if self.has_returns:
            self._maybe_repeat(i, self.env._now + lead_s + talk_s)

    def _transfer(self, i: int, g: int, agent: int, busy_s: float) -> None:
        """The agent is busy `busy_s` (ending with the transfer), then the call joins its right queue."""
        self.pending += 1
        self._busy(g, agent, busy_s)
        self._after(busy_s, partial(self._requeue_transferred, i))

    def _requeue_transferred(self, i: int, event) -> None:
        """A transferred call joins the right queue at the front: it keeps its original arrival."""
        self.flags[i] |= TRANSFERRED
        self.queued_at[i] = self.env._now
        self._enqueue_without_caller(i, self.true_queue[i], at_front=True)

    def _handled(self, g: int, agent: int, event) -> None:
        """An agent finished a job: leave if owed, else take the next caller or idle."""
        if self.lazy is not None:
            self._catch_up(event)
        self.spare.append(event)  # fired: reused for the next timeout made
        owed = self.owed_departures[g]
        now = self.env._now
        if owed:
            self.overtime.append((g, owed.popleft(), now))
            self._leave(g, agent)
            return
        i = self._next_call(g, now)
        if i >= 0:
            if not self.flags[i] & CALLBACK_ACCEPTED:  # as _take, written out
                waited_s = now - self.queued_at[i]
                if waited_s > 0.0:  # the clock reached the arrival time by float additions
                    self.wait[i] += waited_s
            self._answer(i, g, agent)
        elif self.closing and not self.pending:
            self._go_home(g, agent)
        else:
            self.idle[g].append(agent)

    def _available(self, g: int, agent: int) -> None:
        i = self.routing.take(g, self.env._now)
        if i >= 0:
            self._take(i, g, agent)
        elif self.closing and not self.pending:
            self._go_home(g, agent)
        else:
            self.idle[g].append(agent)

    def _take(self, i: int, g: int, agent: int) -> None:
        """A free agent takes waiting call i out of its line."""
        if not self.flags[i] & CALLBACK_ACCEPTED:  # on the line (not a callback): its wait ends
            waited_s = self.env._now - self.queued_at[i]
            if waited_s > 0.0:  # the clock reached the arrival time by float additions
                self.wait[i] += waited_s
        self._answer(i, g, agent)

    def _leave(self, g: int, agent: int) -> None:
        self.last_exit_s = self.env._now
        self.on_shift[g] -= 1
        self.spare_ids[g].append(agent)

    def _set_staff(self, g: int, target: int) -> None:
        owed = self.owed_departures[g]
        present = self.on_shift[g] - len(owed)
        if target > present:
            extra = target - present
            while owed and extra:  # cancel departures still owed before calling in new agents
                # the agent kept past its shift is back on it: the time between was overtime
                self.overtime.append((g, owed.pop(), self.env._now))
                extra -= 1
            for _ in range(extra):
                if self.spare_ids[g]:
                    agent = self.spare_ids[g].pop()
                else:
                    agent = self.next_id
                    self.next_id += 1
                    self.job_done.append(partial(self._handled, g, agent))
                    self.job_done_cbs.append([self.job_done[-1]])
                self.on_shift[g] += 1
                self._available(g, agent)
        elif target < present:
            fewer = present - target
            idle = self.idle[g]
            while idle and fewer:
                self._leave(g, idle.pop())
                fewer -= 1
            now = self.env._now
            owed.extend([now] * fewer)
            if fewer and self.lazy is not None and self.lazy[g]:  # they leave at the end of their job
                self._wake(g)

    # --- results -------------------------------------------------------------------------

    def finish(self) -> None:
        """The event loop ran dry: nobody can answer those still in line. Those with finite
        patience hung up at their deadline (unnoticed so far); the others stay unserved."""
        assert not self.lazy or not any(self.lazy), "a lazy job outlived the day"
        for i, deadline_s in list(self.routing.remaining()):
            if deadline_s < _NEVER:
                self._abandoned_unnoticed(i, deadline_s)

    def run_end_s(self) -> float:
        """When the last agent went home or the last waiting caller hung up (the end of the day
        if earlier)."""
        return max(self.last_exit_s, self.day_end_s)

    def records(self) -> CallRecords:
        outcome = _numpy(self.outcome, np.int8)
        wait = _numpy(self.wait, np.float64)
        flags = _numpy(self.flags, np.uint8)
        still_waiting = outcome == PENDING
        if still_waiting.any():
            # nobody left who can answer them: they waited until the last agent went home
            callback = still_waiting & (flags & CALLBACK_ACCEPTED > 0)
            on_line = still_waiting & ~callback
            outcome[callback] = Outcome.CALLBACK_FAILED
            outcome[on_line] = Outcome.UNSERVED
            queued_at = _numpy(self.queued_at, np.float64)
            # until the end of the run
            wait[on_line] += np.maximum(self.run_end_s() - queued_at[on_line], 0.0)
        route = _numpy(self.route, np.int16)
        n = len(outcome)
        made = {c.engine for c in self.columns}
        values = {}
        for c in RECORDED:
            if c.record_as == "queue":
                if self.has_ivr:
                    # the queue where the call ended: a misrouted call reaches its right queue only once transferred
                    transferred = (flags & TRANSFERRED) > 0
                    queue = np.where(transferred, _numpy(self.true_queue, np.int16), route)
                else:
                    queue = route
                values[c.record_as] = queue.astype(np.int16, copy=False)
            elif c.engine in made:
                values[c.record_as] = _numpy(getattr(self, c.engine), c.dtype)
            else:
                values[c.record_as] = np.full(n, c.absent, dtype=c.dtype)
        values.update(outcome=outcome, wait_s=wait, flags=flags)
        return CallRecords(**values)


def simulate_callers(scenario: Scenario, callers: Callers, replication: int = 0, seed: int = 0) -> ReplicationResult:
    """Run one day with the given first calls (useful for hand-built, deterministic callers)."""
    env = simpy.Environment()
    centre = _CallCentre(env, scenario, callers, seed, replication)
    centre.start()
    env.run()
    centre.finish()
    records = centre.records()
    overtime = np.array(centre.overtime, dtype=float).reshape(-1, 3)
    return ReplicationResult(
        replication=replication,
        busyness=callers.busyness,
        records=records,
        busy_group=_numpy(centre.busy_group, np.int16),
        busy_start_s=_numpy(centre.busy_start, np.float64),
        busy_end_s=_numpy(centre.busy_end, np.float64),
        overtime_group=overtime[:, 0].astype(np.int16),
        overtime_start_s=overtime[:, 1].copy(),
        overtime_end_s=overtime[:, 2].copy(),
        day_end_s=centre.day_end_s,
        run_end_s=centre.run_end_s(),
    )


def simulate_replication(scenario: Scenario, seed: int, replication: int) -> ReplicationResult:
    """Draw the callers of replication `replication` and simulate the day once."""
    return simulate_callers(scenario, draw_callers(scenario, seed, replication), replication, seed)
