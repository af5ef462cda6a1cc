"""The call centre's rules for one day: callers, queues and agent groups.

The event mechanics (timeouts without allocations, the look at the next event, deferred events)
are the kernel's (`simulator.kernel`); callbacks and return calls are two mixins of the same
rules (`simulator.journey_rules`); the records this leaves are `simulator.records`; the
textbook SimPy model it must agree with, call for call, is tests/reference_model.py.

* **Callers are drawn first, then simulated.** Arrival times and every caller's attributes are
  drawn up front, vectorised, each from its own random stream (`simulator.callers`): two
  scenarios run with the same seed meet the same callers (common random numbers). Every per-call
  number is declared once, in `simulator.columns`.
* **Callbacks on the kernel's events, not a process per caller.** Arrivals are a chain of dues
  (each schedules the next); the end of an IVR, an agent's job, a transfer and a scheduled
  callback are dues whose callbacks move the call on: about two events a call, where the
  process model's `request | timeout(patience)` race costs four to five.
* **Abandonment without an event, when nothing depends on its moment.** A waiting caller's
  deadline is known when it joins; it stays in line and is found to have left at its deadline
  when an agent reaches it (or at the end). A due watches the moment only where it matters: the
  caller redials, or the queue offers callbacks (the offer depends on how many wait). A caller
  whose patience runs out exactly when an agent comes is answered.
* **One way a job starts** (`_job`): the busy span is recorded and the kernel is asked for the
  job's end. With lazy agents (the plain path of a large centre) the end is deferred while
  nothing depends on it (no caller waits for the group, no departure is owed, the day is not
  closing), and woken into its due once something does: same events, same order, same day.
* **No due for an arrival that is the very next event** (`_arrivals`, the kernel's
  `fast_forward`): it is handled at once, with the sequence number its due would have had.
* **The agent pool is not a simpy.Resource.** Each group keeps a deque of idle agent ids (the
  agent idle longest answers first); the waiting lines and the rules choosing from them are a
  routing policy (`simulator.routing`).
* **Staffing changes at interval boundaries.** Extra agents start at once; when staffing
  drops, idle agents leave first and busy ones finish their job, then leave (overtime). After
  the last interval no one new arrives; agents stay until every waiting caller has been
  answered or has abandoned, and that time is overtime too (on_close: serve), or the callers
  still waiting in a queue that disconnects are cut off (`_disconnect_at_close`). A timeline of
  several days (`simulator.timeline`) closes the same way at the first of its closed intervals
  (between two days) and opens again, with the interval's staffing, at the next open one.
* **The caller's journey.** IVR time (which may end the call), the queue (callback offers:
  keep_place or scheduled; a maximum wait ending in a message, found like an abandonment), a misrouted call costs the first agent a transfer time and re-joins
  the right queue at the front; abandoners may redial (a new caller, or the same contact
  with its draws kept: return_calls.retrial) and unresolved callers call again.
* **Same order of events as the process model.** Simultaneous events run in the order they
  were scheduled, and the callbacks schedule in the order the processes did (at each arrival
  the next arrival first, then the caller's own dues): the same seed gives the same day, to the bit.
"""
from __future__ import annotations

from array import array
from collections import deque
from functools import partial
from heapq import heappop, heappush

import numpy as np

from .callers import Callers, draw_callers, uses_priority_classes
from .columns import COLUMNS, DTYPES, RECORDED, drawn_values
from .ivr import CONTAINED
from .journey_rules import CallbackRules, ReturnCallRules
from .kernel import Kernel, Moments, callbacks
from .randomness import Stream, generator_at
from .records import (CALLBACK_ACCEPTED, CALLBACK_CONNECTED, MISROUTED, RESOLVED, TRANSFERRED,
                      ZERO_OUT, CallRecords, Outcome, ReplicationResult, day_records)
from .routing import GroupOrder, Routing, agent_rules, default_routing
from .scenario import Scenario
from .state_rules import StateRules

__all__ = ["CallRecords", "Callers", "Outcome", "ReplicationResult", "draw_callers", "simulate_callers",
           "simulate_replication"]

_NEVER = float("inf")  # patience of a caller who never abandons
_ANSWERED, _ABANDONED = int(Outcome.ANSWERED), int(Outcome.ABANDONED)  # plain ints: faster in the hot paths
_CONTAINED, _IVR_ABANDONED = int(Outcome.CONTAINED), int(Outcome.IVR_ABANDONED)
_BLOCKED, _MESSAGE, _DISCONNECTED = int(Outcome.BLOCKED), int(Outcome.MESSAGE), int(Outcome.DISCONNECTED)

# Lazy agents pay off when many agents are busy while few callers wait (large centres); in a
# small centre callers wait often, most lazy job ends become dues after all and the
# bookkeeping costs more than it saves (measured: 0.9x at 10 agents, 1.0x at 100, 1.3x at
# 1,000, 1.6x at 5,000). Either way the day is the same to the bit.
LAZY_AGENTS_FROM = 250  # agents on shift at once in the busiest interval

# The next first call's arrival is handled without a due when it is the very next event
# (see _arrivals); the day is the same either way (tests/test_engine_fast_forward.py runs both).
ARRIVALS_WITHOUT_TIMEOUT = True


def _array(code: str, values) -> array:
    return array(code, np.ascontiguousarray(values, dtype=DTYPES[code]).tobytes())


def _numpy(values: array, dtype) -> np.ndarray:
    """A numpy view of an array.array (no copy: the array is not appended to any more)."""
    return np.frombuffer(values, dtype=dtype) if len(values) else np.zeros(0, dtype=dtype)


def _uniforms(rng: np.random.Generator, batch: int = 1024):
    """The generator's uniforms one by one, drawn a batch at a time (the same numbers, in the
    same order, as one `rng.random()` per draw)."""
    while True:
        yield from rng.random(batch).tolist()


def _features(callers: Callers) -> set:
    """The optional features the callers were drawn with (simulator.columns' `feature` names)."""
    drawn = {"ivr": callers.ivr, "callbacks": callers.callback_u, "returns": callers.resolve_u,
             "priority": callers.priority_u}
    return {None} | {feature for feature, values in drawn.items() if values is not None}


class _CallCentre(CallbackRules, ReturnCallRules, StateRules):
    """The state of one simulated day. Hot paths avoid attribute lookups in loops."""

    def __init__(self, env: Kernel, scenario: Scenario, callers: Callers,
                 seed: int = 0, replication: int = 0, start_state=None, closed: frozenset[int] = frozenset()):
        self.env = env
        self.scenario = scenario
        self.start_state = start_state  # a starting_state.StartingState: the day begins at its moment
        n = len(callers)
        n_groups = len(scenario.agents)
        self.day_end_s = scenario.n_intervals * scenario.interval_s
        # intervals the centre is closed (between the days of a timeline, simulator.timeline)
        self.closed = closed
        self.closed_at_s = self.day_end_s  # the last close so far: overtime is counted from it
        self.n_first = n  # first calls (redials and repeat calls are appended after them)
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
        # a maximum wait per queue (inf: none): a caller still waiting then leaves with a message
        self.max_wait_s = [q.max_wait.after_s if q.max_wait is not None else _NEVER for q in scenario.queues]
        self.has_messages = any(after_s < _NEVER for after_s in self.max_wait_s)
        # per queue: its messages are returned as callbacks (max_wait.call_back; the queue has a callback section)
        self.message_call_back = [q.max_wait is not None and q.max_wait.call_back for q in scenario.queues]
        # per queue: are callers still waiting at the close cut off (on_close: disconnect)
        self.disconnects = scenario.disconnects_at_close()
        self.has_disconnect = any(self.disconnects)
        self.busy_group, self.busy_start, self.busy_end = array("h"), array("d"), array("d")
        self.overtime: list[tuple[int, float, float]] = []
        self._setup_callbacks(scenario, seed, replication)
        self._setup_return_calls(scenario, seed, replication)
        # the waiting lines and the rules that pick from them; a callback offer depends on the
        # number waiting, so those queues count out callers whose patience ran out
        self.routing = Routing(scenario, self._abandoned_unnoticed, tuple(q.callback is not None for q in scenario.queues))
        self.answer_groups = self.routing.answer_groups
        self.overflow_after_s = self.routing.overflow_after_s
        # which idle agent answers (routing.agent_selection): today's group order inline in _join,
        # another rule through its `pick`, reading when each agent became idle
        self.agent_rules = agent_rules(scenario)
        self.picks_agents = any(rule is not GroupOrder for rule in self.agent_rules)
        self.idle_since = []  # per agent id: when it last became idle (read by longest_idle)
        if self.picks_agents:
            self.draw_agent = partial(next, _uniforms(generator_at(seed, replication, int(Stream.AGENT_CHOICE))))
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
        # telephone lines (trunks): free lines, and the moments lines held now become free (a heap;
        # a line freed at the moment a call arrives is free for it)
        self.has_trunks = scenario.trunks is not None
        if self.has_trunks:
            self.lines_free = scenario.trunks
            self.line_frees_at: list[float] = []
        # a call starts (arrives, first or return call): the IVR or its queue, on a free line if lines are counted
        start = self._start_in_ivr if self.has_ivr else self._join
        self.start_call = partial(self._on_a_line, start) if self.has_trunks else start
        # a waiting caller's patience is watched by a due where its moment matters: it redials
        # (decided per caller in _join), or it frees a line
        self.watch_patience = self.has_trunks
        # the hot paths, chosen once for the features the day uses
        # an answer may be a callback's dial or a misrouted call's transfer (see _answer)
        self.special_answers = self.has_ivr or self.has_callbacks
        if not self.special_answers:
            self._answer = self._job
        # lazy agents (see _job): on the plain path, without overflow (whose timer reads the
        # idle agents at moments of its own) and with today's routing (longest_idle reads when
        # each agent became idle, which a deferred job end does not say)
        self.lazy = None
        if not (self.has_ivr or self.has_callbacks or self.has_returns or self.has_trunks) and default_routing(scenario):
            most_on_shift = max(map(sum, zip(*self.staffing)), default=0)
            if most_on_shift >= LAZY_AGENTS_FROM and all(after_s is None for after_s in self.overflow_after_s):
                self.lazy = [[] for _ in range(n_groups)]  # per group: the kernel's deferred job ends
                self.lazy_ends = list(zip(self.lazy, self.idle))  # released into the group's idle agents
                self.served_by = self.routing.answer_order  # per queue: the groups that take its calls
                self.serves = self.routing.serves
                self.n_waiting = self.routing.n_waiting  # the routing's own list, read not copied
        # the callback lists of the frequent dues, made once and shared by every due of a kind
        self._ivr_ended_cbs = callbacks(self._ivr_ended)
        self._start_again_cbs = callbacks(self._start_again)
        self._patience_ran_out_cbs = callbacks(self._patience_ran_out)
        self.job_done_cbs = []  # per agent id: the callbacks of its job's end (ids never change group)
        self._next_call = self.routing.take

    # --- the day: staffing boundaries and arrivals ------------------------------------------

    def start(self) -> None:
        """Time 0: the first interval's staffing, then the first arrivals (or, started from a
        state, its moment: `StateRules`)."""
        if self.start_state is not None:
            self._start_from_state(ARRIVALS_WITHOUT_TIMEOUT)
            return
        self._boundary(None)
        deferred = None if self.lazy is None else self.lazy_ends
        Moments(self.env, self.arrived, self.n_first, self.start_call, deferred, ARRIVALS_WITHOUT_TIMEOUT).begin()

    def _boundary(self, event) -> None:
        """Apply the next interval's staffing at its boundary, or close (the day, or closed hours)."""
        if self.lazy is not None and event is not None:
            self.env.release_deferred(self.lazy_ends, event.eid)
        k = self.next_interval
        if k < len(self.scenario.arrivals.calls):
            if k not in self.closed:
                self.closing = False  # open (again, on a timeline): the interval's staffing
                for g in range(len(self.staffing)):
                    self._set_staff(g, self.staffing[g][k])
            elif not self.closing:  # closed hours between the days of a timeline: the close rule
                self._close(self.env.now)
            self.next_interval = k + 1
            self.env.after(self.scenario.interval_s, self._boundary)
            return
        if not self.closing:
            self._close(self.day_end_s)

    def _close(self, now: float) -> None:
        """The centre closes (the end of the day, or of one day of a timeline): no one new comes."""
        self.closing = True
        self.closed_at_s = now
        if self.lazy is not None:  # from now on every job's end is an event
            for g in range(len(self.lazy)):
                self._wake(g)
        if self.has_disconnect:
            self._disconnect_at_close()
        # idle agents go home (unless callers are still in the IVR, in a transfer or due a
        # scheduled callback); busy ones finish and keep answering until the queues empty
        if not self.pending:
            self._release_idle()

    def _on_a_line(self, start, i: int, now: float) -> None:
        """Call i arrives (now) with lines counted: it takes a free line and starts, or finds
        every line busy and is blocked (a busy signal), and may redial as an abandoner does."""
        frees = self.line_frees_at
        while frees and frees[0] <= now:
            heappop(frees)
            self.lines_free += 1
        if not self.lines_free:
            self.outcome[i] = _BLOCKED
            self._maybe_redial(i)
            return
        self.lines_free -= 1
        start(i, now)

    def _hang_up(self, at_s: float) -> None:
        """A call leaves its line at `at_s` (now or later: the end of its talk)."""
        if self.has_trunks:
            heappush(self.line_frees_at, at_s)

    def _start_in_ivr(self, i: int, now: float) -> None:
        """Call i starts: the IVR, then its queue."""
        ivr_s = self.ivr_s[i]
        if ivr_s > 0:
            self.pending += 1
            self.env.due(ivr_s, self._ivr_ended_cbs).call = i  # the call rides on the due
            return
        self._after_ivr(i)

    def _ivr_ended(self, event) -> None:
        """The IVR time of the call the due carries (`event.call`) is over."""
        self.pending -= 1
        self._after_ivr(event.call)

    def _after_ivr(self, i: int) -> None:
        """Call i leaves the IVR now: it ends there (contained, hung up) or joins its queue."""
        q = self.route[i]
        if q >= 0:
            self._join(i, self.env.now)
        elif q == CONTAINED:  # the call ends in the IVR
            self.outcome[i] = _CONTAINED
            self.flags[i] |= RESOLVED
            self._hang_up(self.env.now)
        else:
            self.outcome[i] = _IVR_ABANDONED
            self._hang_up(self.env.now)
            self._maybe_redial(i)
        if self.closing and not self.pending:
            self._release_idle()

    def _join(self, i: int, now: float) -> None:
        """Call i reaches its queue on the line (now): answered at once, called back, balks, or waits."""
        q = self.route[i]
        self.queued_at[i] = now
        if self.closing and self.disconnects[q]:  # the queue closed before the caller reached it
            self._cut_off(i, now)
            return
        idle = self.idle
        if self.picks_agents:
            g = self._idle_group(q, self.answer_groups[q])
            if g >= 0:
                self._answer(i, g, idle[g].popleft(), now)
                return
        else:
            for g in self.answer_groups[q]:  # GroupOrder.pick, written out (once per call)
                if idle[g]:
                    self._answer(i, g, idle[g].popleft(), now)
                    return
        if self.has_callbacks and self.callback[q] is not None and self._offer_callback(i, q):
            self._hang_up(now)  # to be called back
            return
        if self.balk_u[i] < self.balk_p[q]:
            self.outcome[i] = Outcome.BALKED
            self._hang_up(now)
            return
        patience = self.patience[i]
        u = self.priority_u[i] if self.has_priority else 0.0
        if self.has_messages and self.max_wait_s[q] < patience:
            e = self._wait_for_message(i, q, now, u)
        elif patience == _NEVER:
            e = self.routing.join(i, q, now, u)
        elif self.watch_patience or (self.has_returns and self.redial_u[i] < self.redial_p):
            # its moment matters: it frees a line, or it redials at the moment it hangs up
            e = self.routing.join(i, q, now, u)
            due = self.env.due(patience, self._patience_ran_out_cbs)
            due.call, due.queue, due.entry = i, q, e
        else:
            e = self.routing.join(i, q, now, u, now + patience)
        self._waiting(q, e)

    def _waiting(self, q: int, e: int) -> None:
        """Entry e now waits in queue q: agents whose job end was deferred are woken, or the
        queue's overflow timer starts."""
        if self.lazy is not None:  # a caller waits: the end of every job that could take it matters
            for g in self.served_by[q]:
                if self.lazy[g]:
                    self._wake(g)
        elif self.overflow_after_s[q] is not None:
            self.env.after(self.overflow_after_s[q], partial(self._overflow_due, q, e))

    def _wait_for_message(self, i: int, q: int, now: float, u: float) -> int:
        """Call i waits in queue q whose maximum wait comes before its patience runs out: unless
        an agent takes it first, it leaves with a message then, found like an unnoticed
        abandonment (`_abandoned_unnoticed`), or watched by a due where lines are counted. A
        message is not followed by a redial: the caller expects to be called back. Returns its entry."""
        limit_s = self.max_wait_s[q]
        if self.watch_patience or self.message_call_back[q]:  # a callback starts at that moment
            e = self.routing.join(i, q, now, u)
            due = self.env.due(limit_s, self._patience_ran_out_cbs)
            due.call, due.queue, due.entry = i, q, e
        else:
            e = self.routing.join(i, q, now, u, now + limit_s)
        return e

    def _patience_ran_out(self, event) -> None:
        """A watched caller's patience ran out, or its queue's maximum wait came (`event.call`,
        waiting as `event.entry` in queue `event.queue`): it hangs up now unless an agent took it."""
        i, q, e = event.call, event.queue, event.entry
        if self.message_call_back[q] and self.max_wait_s[q] < self.patience[i]:
            self._message_to_callback(i, q, e)
        elif self.routing.leave(e, q) and self._left_the_line(i, self.env.now):
            self._maybe_redial(i)

    def _message_to_callback(self, i: int, q: int, e: int) -> None:
        """Caller i, still waiting as entry e of queue q at its maximum wait, leaves a message that
        the centre returns as a callback (max_wait.call_back): it hangs up now and the callback
        keeps its place in line (keep_place) or joins after the callback delay (scheduled)."""
        if not self.routing.is_waiting(e):  # an agent took it
            return
        now = self.env.now
        self.flags[i] |= CALLBACK_ACCEPTED  # accepted without an offer: records.message_called_back
        self.accepted_at[i] = now
        self.wait[i] = self.max_wait_s[q]
        self._hang_up(now)
        if self.callback[q].mode == "scheduled":
            self.routing.leave(e, q)
            self._queue_callback_later(i, q, self.callback_wait[i])

    def _left_the_line(self, i: int, at_s: float) -> bool:
        """Caller i left its queue's line unanswered at `at_s` (now, or earlier, found only now):
        abandoned when its patience ran out (True: it may redial), or sent to a message at the
        queue's maximum wait (False)."""
        if self.has_messages and self.max_wait_s[self.route[i]] < self.patience[i]:
            self.outcome[i] = _MESSAGE
            self.wait[i] = self.max_wait_s[self.route[i]]
            abandoned = False
        else:
            self.outcome[i] = _ABANDONED
            self.wait[i] = self.patience[i]
            abandoned = True
        if at_s > self.last_exit_s:
            self.last_exit_s = at_s
        self._hang_up(at_s)
        return abandoned

    # a caller whose patience ran out unnoticed (no due watched it) hung up at its deadline: found
    # when an agent reached it, or at the end; never one who redials (those are watched)
    _abandoned_unnoticed = _left_the_line

    def _disconnect_at_close(self) -> None:
        """The last interval ended: in the queues that disconnect, callers still waiting are cut
        off (those whose patience ran out unnoticed before now hung up then), callbacks keeping
        their place and those scheduled for later are not made (failed)."""
        now = self.env.now
        for q, disconnects in enumerate(self.disconnects):
            if not disconnects:
                continue
            for i, deadline_s in self.routing.drain(q):
                if deadline_s < now:
                    self._abandoned_unnoticed(i, deadline_s)
                elif self.flags[i] & CALLBACK_ACCEPTED:
                    self.outcome[i] = Outcome.CALLBACK_FAILED
                else:
                    self._cut_off(i, now)
            if self.has_callbacks:
                self._drop_callbacks_due(q)

    def _cut_off(self, i: int, now: float) -> None:
        """Caller i, on the line in a queue that disconnects at the close, is cut off now."""
        self.outcome[i] = _DISCONNECTED
        waited_s = now - self.queued_at[i]
        if waited_s > 0.0:
            self.wait[i] += waited_s
        self.last_exit_s = max(self.last_exit_s, now)
        self._hang_up(now)

    def _overflow_due(self, q: int, e: int, event) -> None:
        """Entry e has waited its queue's overflow time: an idle overflow agent may take it."""
        i = self.routing.waiting_call(e, q, self.env.now)
        if i < 0:
            return
        g = self._idle_group(q, self.routing.overflow_groups[q])
        if g >= 0:
            self.routing.leave(e, q)
            self._take(i, g, self.idle[g].popleft(), self.env.now)

    def _idle_group(self, q: int, groups: tuple[int, ...]) -> int:
        """The group (of `groups`) whose idle agent answers a call of queue q now, by the
        queue's agent-selection rule, or -1 if none is idle."""
        return self.agent_rules[q].pick(groups, self.idle, self.idle_since,
                                        self.draw_agent if self.picks_agents else None)

    def _release_idle(self) -> None:
        for g in range(len(self.staffing)):
            while self.idle[g]:
                self._go_home(g, self.idle[g].pop())

    def _go_home(self, g: int, agent: int) -> None:
        """After the close: the agent leaves; time past the end of the day is overtime."""
        now = self.env.now
        if now > self.closed_at_s:
            self.overtime.append((g, self.closed_at_s, now))
        self._leave(g, agent)

    # --- agent bookkeeping ---------------------------------------------------------------

    def _answer(self, i: int, g: int, agent: int, now: float) -> None:
        """Agent `agent` of group `g` takes call i now (its wait is set by the caller of this): an
        accepted callback is dialled, a misrouted call costs the transfer time, else it talks."""
        if self.special_answers:
            flags = self.flags[i]
            if flags & CALLBACK_ACCEPTED:
                if flags & CALLBACK_CONNECTED:  # connected, transferred here: talk now
                    self._job(i, g, agent, now, Outcome.CALLBACK_COMPLETED)
                else:
                    self._call_back(i, g, agent, now)
                return
            if self.has_ivr and self.true_queue[i] >= 0 and not flags & TRANSFERRED:
                # misrouted: this agent spends the transfer time, then the call re-queues
                self._transfer(i, g, agent, self.transfer_s[i], now)
                return
        self._job(i, g, agent, now)

    def _job(self, i: int, g: int, agent: int, now: float, outcome: int = _ANSWERED, lead_s: float = 0.0,
             busy_s: float = -1.0) -> None:
        """Every job starts here: agent `agent` of group `g` serves call i to its end (`outcome`
        after `lead_s` of dialling, talk and ACW) or, given `busy_s`, spends that long on it
        without ending it (a transfer, a dial nobody answers); then `_handled`.

        The kernel is asked for the job's end. With lazy agents it is deferred while nothing
        depends on its moment (no caller waits in a queue the group serves, no departure is
        owed, the day is not closing): the kernel releases the agent in due order at a later
        event, or `_wake` makes the due once something does. (On a day without IVR or callbacks
        every answer is a served call: `_answer` is then this.)"""
        ends_call = busy_s < 0.0
        if ends_call:
            self.outcome[i] = outcome
            self.group[i] = g
            self.agent[i] = agent
            talk_s = self.talk[i]
            busy_s = lead_s + talk_s + self.acw[i]
        self.busy_group.append(g)
        self.busy_start.append(now)
        self.busy_end.append(now + busy_s)
        lazy = self.lazy
        if lazy is not None and not (self.closing or self.owed_departures[g]):
            n_waiting = self.n_waiting
            for q in self.serves[g]:
                if n_waiting[q]:
                    break
            else:
                self.env.defer(lazy[g], busy_s, agent)  # (lazy agents: no return calls)
                return
        self.env.due(busy_s, self.job_done_cbs[agent])
        if ends_call:
            if self.has_trunks and outcome == _ANSWERED:  # a callback's caller left its line when it accepted
                self._hang_up(now + lead_s + talk_s)
            if self.has_returns:
                self._maybe_repeat(i, now + lead_s + talk_s)

    def _wake(self, g: int) -> None:
        """Group g's lazy jobs (all ending after the current event) get their dues."""
        self.env.wake(self.lazy[g], self.job_done_cbs)

    def _transfer(self, i: int, g: int, agent: int, busy_s: float, now: float) -> None:
        """The agent is busy `busy_s` (ending with the transfer), then the call joins its right queue."""
        self.pending += 1
        self._job(i, g, agent, now, busy_s=busy_s)
        self.env.after(busy_s, partial(self._requeue_transferred, i))

    def _requeue_transferred(self, i: int, event) -> None:
        """A transferred call joins the right queue at the front: it keeps its original arrival."""
        self.flags[i] |= TRANSFERRED
        self.queued_at[i] = self.env.now
        self._enqueue_without_caller(i, self.true_queue[i], at_front=True)

    def _handled(self, g: int, agent: int, event) -> None:
        """An agent finished a job: leave if owed, else take the next caller or idle."""
        if self.lazy is not None:  # agents whose lazy job ended before this event are idle now
            self.env.release_deferred(self.lazy_ends, event.eid)
        owed = self.owed_departures[g]
        now = self.env.now
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
            self._answer(i, g, agent, now)
        elif self.closing and not self.pending:
            self._go_home(g, agent)
        else:
            self.idle[g].append(agent)
            self.idle_since[agent] = now

    def _available(self, g: int, agent: int) -> None:
        now = self.env.now
        i = self.routing.take(g, now)
        if i >= 0:
            self._take(i, g, agent, now)
        elif self.closing and not self.pending:
            self._go_home(g, agent)
        else:
            self.idle[g].append(agent)
            self.idle_since[agent] = now

    def _take(self, i: int, g: int, agent: int, now: float) -> None:
        """A free agent takes waiting call i out of its line."""
        if not self.flags[i] & CALLBACK_ACCEPTED:  # on the line (not a callback): its wait ends
            waited_s = now - self.queued_at[i]
            if waited_s > 0.0:  # the clock reached the arrival time by float additions
                self.wait[i] += waited_s
        self._answer(i, g, agent, now)

    def _leave(self, g: int, agent: int) -> None:
        self.last_exit_s = self.env.now
        self.on_shift[g] -= 1
        self.spare_ids[g].append(agent)

    def _set_staff(self, g: int, target: int) -> None:
        owed = self.owed_departures[g]
        present = self.on_shift[g] - len(owed)
        if target > present:
            extra = target - present
            while owed and extra:  # cancel departures still owed before calling in new agents
                # the agent kept past its shift is back on it: the time between was overtime
                self.overtime.append((g, owed.pop(), self.env.now))
                extra -= 1
            for _ in range(extra):
                if self.spare_ids[g]:
                    agent = self.spare_ids[g].pop()
                else:
                    agent = self.next_id
                    self.next_id += 1
                    self.job_done_cbs.append(callbacks(partial(self._handled, g, agent)))
                    self.idle_since.append(0.0)
                self.on_shift[g] += 1
                self._available(g, agent)
        elif target < present:
            fewer = present - target
            idle = self.idle[g]
            while idle and fewer:
                self._leave(g, idle.pop())
                fewer -= 1
            now = self.env.now
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
        made = {c.engine for c in self.columns}
        arrays = {c.record_as: _numpy(getattr(self, c.engine), c.dtype) for c in RECORDED if c.engine in made}
        true_queue = _numpy(self.true_queue, np.int16) if self.has_ivr else None
        return day_records(arrays, _numpy(self.route, np.int16), true_queue, _numpy(self.queued_at, np.float64),
                           self.run_end_s())


def simulate_callers(scenario: Scenario, callers: Callers, replication: int = 0, seed: int = 0,
                     start_state=None, closed: frozenset[int] = frozenset()) -> ReplicationResult:
    """Run one day with the given first calls (useful for hand-built, deterministic callers);
    with `start_state` (simulator.starting_state) from its moment on, its callers first;
    `closed`: the intervals the centre is closed (a timeline of several days)."""
    env = Kernel(start_state.at_s if start_state is not None else 0)
    centre = _CallCentre(env, scenario, callers, seed, replication, start_state, closed)
    centre.start()
    env.run_dry()
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


def simulate_replication(scenario: Scenario, seed: int, replication: int,
                         closed: frozenset[int] = frozenset()) -> ReplicationResult:
    """Draw the callers of replication `replication` and simulate the day (or timeline) once
    (from the scenario's initial state, if it has one)."""
    if scenario.initial_state is not None:
        from .starting_state import callers_from_state

        callers, start_state = callers_from_state(scenario, seed, replication)
        return simulate_callers(scenario, callers, replication, seed, start_state, closed)
    return simulate_callers(scenario, draw_callers(scenario, seed, replication), replication, seed, closed=closed)
