"""The SimPy model of one day: callers, queues and agent groups.

Design, in short:

* **Callers are drawn first, then simulated.** Arrival times (a Poisson process with a
  piecewise-constant rate) and every caller's attributes (queue, talk, ACW, patience, balk)
  are drawn up front, vectorised, each from its own random stream. Two scenarios run with the
  same seed thus meet the same callers (common random numbers), and the per-call work inside
  the event loop is only bookkeeping.
* **One SimPy process per caller**, racing the agent against its patience
  (`yield answered | env.timeout(patience)`), as in SimPy's bank-renege example. A caller who
  finds a free agent is answered at once without the race.
* **The agent pool is not a simpy.Resource.** Each group keeps a deque of idle agent ids and
  each queue a deque of waiting callers; taking an agent, joining a queue and abandoning are
  O(1) whatever the number of agents (abandoners are removed lazily, when they reach the
  head). A group that serves several queues takes the first non-empty one in its `serves`
  list, FCFS within a queue.
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
* **Records, not statistics.** Each call leaves a handful of numbers in compact arrays
  (`CallRecords`) and each agent job a busy span; every KPI is computed afterwards by pure
  functions in `simulator.kpis`.
"""
from __future__ import annotations

import math
from array import array
from collections import deque
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import simpy

from .callers import REDIAL, REPEAT, Callers, ReturnCallPool, draw_callers
from .ivr import CONTAINED
from .randomness import Stream, generator_at
from .scenario import Scenario


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


PENDING = -1  # inside the run only: the call has not ended yet
_NEVER = float("inf")  # patience of a caller who never abandons

# bits of CallRecords.flags
ZERO_OUT = 1  # chose "0" (ask for an agent) in the IVR
TRANSFERRED = 2  # misrouted: answered in the wrong queue, transferred to the right one
CALLBACK_OFFERED = 4
CALLBACK_ACCEPTED = 8
RESOLVED = 16  # the caller's issue was resolved by this call (set when return calls are modelled)
MISROUTED = 32  # the IVR sent the call to the wrong queue
CALLBACK_CONNECTED = 64  # an agent reached the caller of an accepted callback


@dataclass(frozen=True)
class CallRecords:
    """One entry per call, as parallel numpy arrays (a few bytes per call, no objects)."""

    arrived_at_s: np.ndarray  # float64: when the call started (IVR entry)
    queue: np.ndarray  # int16: queue where the call ended (the right one once transferred); negative if it ended in the IVR
    outcome: np.ndarray  # int8, an Outcome
    wait_s: np.ndarray  # float64: time waiting on the line in queues (0 if none; callbacks: before accepting)
    talk_s: np.ndarray  # float64: talk time (meaningful for answered calls and completed callbacks)
    acw_s: np.ndarray  # float64: after-call work (idem)
    group: np.ndarray  # int16: agent group that handled it, -1 if none
    agent: np.ndarray  # int32: agent id that handled it, -1 if none
    ivr_s: np.ndarray  # float64: time in the IVR
    menus: np.ndarray  # int8: IVR menu prompts heard
    flags: np.ndarray  # uint8 bits: ZERO_OUT, TRANSFERRED, CALLBACK_OFFERED, CALLBACK_ACCEPTED, RESOLVED, MISROUTED, CALLBACK_CONNECTED
    callback_delay_s: np.ndarray  # float64: acceptance to connection of a completed callback, else NaN
    caller: np.ndarray  # int32: the person calling (redials and repeat calls share it)
    kind: np.ndarray  # int8: callers.FIRST, callers.REDIAL or callers.REPEAT

    def __len__(self) -> int:
        return len(self.arrived_at_s)

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in self.__dataclass_fields__)


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


def _doubles(values) -> array:
    return array("d", np.ascontiguousarray(values, dtype=np.float64).tobytes())


def _ints(code: str, values) -> array:
    dtype = {"b": np.int8, "B": np.uint8, "h": np.int16, "i": np.int32}[code]
    return array(code, np.ascontiguousarray(values, dtype=dtype).tobytes())


def _numpy(values: array, dtype) -> np.ndarray:
    """A numpy view of an array.array (no copy: the array is not appended to any more)."""
    return np.frombuffer(values, dtype=dtype) if len(values) else np.zeros(0, dtype=dtype)


class _CallCentre:
    """The state of one simulated day. Hot paths avoid attribute lookups in loops."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, callers: Callers,
                 seed: int = 0, replication: int = 0):
        self.env = env
        self.scenario = scenario
        n = len(callers)
        n_queues = len(scenario.queues)
        n_groups = len(scenario.agents)
        self.day_end_s = scenario.n_intervals * scenario.interval_s
        # Per-call inputs as array.array: indexing one is ~2x faster than a numpy array, it
        # takes 8 bytes an entry (a list of floats takes 32) and redials can be appended.
        self.n_first = n
        self.arrived = _doubles(callers.arrived_at_s)
        self.route = _ints("h", callers.queue)
        self.talk = _doubles(callers.talk_s)
        self.acw = _doubles(callers.acw_s)
        self.patience = _doubles(callers.patience_s)
        self.balk_u = _doubles(callers.balk_u)
        self.balk_p = [q.balk_probability for q in scenario.queues]
        ivr = callers.ivr
        self.has_ivr = ivr is not None
        if ivr is not None:
            self.ivr_s = _doubles(ivr.ivr_s)
            self.menus = _ints("b", ivr.menus)
            self.true_queue = _ints("h", ivr.true_queue)  # the right queue of a misrouted call, else -1
            self.transfer_s = _doubles(ivr.transfer_s)
        # outputs (and per-call state)
        self.outcome = array("b", bytes([PENDING & 0xFF]) * n)
        self.wait = array("d", bytes(8 * n))
        self.group = _ints("h", np.full(n, -1))
        self.agent = _ints("i", np.full(n, -1))
        self.flags = _ints("B", (np.where(ivr.zero_out, ZERO_OUT, 0) | np.where(ivr.true_queue >= 0, MISROUTED, 0))
                           if ivr else np.zeros(n))
        self.queued_at = array("d", bytes(8 * n))  # when the call joined its (current) queue
        self.busy_group, self.busy_start, self.busy_end = array("h"), array("d"), array("d")
        self.overtime: list[tuple[int, float, float]] = []
        # callbacks
        self.callback = [q.callback for q in scenario.queues]
        self.has_callbacks = callers.callback_u is not None
        if self.has_callbacks:
            self.callback_u = _doubles(callers.callback_u)
            self.callback_wait = _doubles(callers.callback_wait_s)
            self.accepted_at = array("d", bytes(8 * n))
            self.callback_tries = array("b", bytes(n))
            self.callback_delay = _doubles(np.full(n, np.nan))
            self.attempt_rng = generator_at(seed, replication, int(Stream.CALLBACK_ATTEMPTS))
            self.mean_handle_s = [q.talk_time.mean_s + q.acw.mean_s for q in scenario.queues]
        # redials and repeat calls
        self.has_returns = callers.resolve_u is not None
        self.caller_id = _ints("i", np.arange(n))
        self.kind = array("b", bytes(n))
        if self.has_returns:
            self.returns = scenario.return_calls
            self.fcr = [q.first_contact_resolution for q in scenario.queues]
            self.resolve_u = _doubles(callers.resolve_u)
            self.redial_u = _doubles(callers.redial_u)
            self.redial_delay = _doubles(callers.redial_delay_s)
            self.repeat_delay = _doubles(callers.repeat_delay_s)
            self.calls_made = array("b", bytes([1]) * n)  # calls the caller has made so far, this one included
            self.pool = ReturnCallPool(scenario, seed, replication)
        # queues: deques of (call, event or None); abandoners stay until they reach the head
        self.waiting = [deque() for _ in range(n_queues)]
        self.n_waiting = [0] * n_queues
        # agent groups
        self.serves = [[scenario.queue_index(name) for name in g.serves] for g in scenario.agents]
        self.staffing = [list(g.staffing) for g in scenario.agents]
        self.idle = [deque() for _ in range(n_groups)]
        self.on_shift = [0] * n_groups  # agents present: idle + busy (including those owed a departure)
        self.owed_departures = [deque() for _ in range(n_groups)]  # boundary times, one per busy agent to leave
        self.spare_ids = [[] for _ in range(n_groups)]
        self.next_id = 0
        self.last_exit_s = 0.0  # when the last agent went home or waiting caller hung up, so far
        self.closing = False
        self.pending = 0  # calls on their way to a queue: in the IVR, in a transfer, due a scheduled callback
        # For each queue, the groups that can answer it: those for which it is the higher
        # priority first, then specialists (fewer queues) before generalists.
        self.groups_for = []
        for q in range(n_queues):
            candidates = [g for g in range(n_groups) if q in self.serves[g]]
            candidates.sort(key=lambda g: (self.serves[g].index(q), len(self.serves[g]), g))
            self.groups_for.append(candidates)

    # --- processes ---------------------------------------------------------------------

    def source(self):
        env = self.env
        process = env.process
        caller = self.caller
        timeout = env.timeout
        arrived = self.arrived
        for i in range(self.n_first):
            delay = arrived[i] - env.now
            if delay > 0:
                yield timeout(delay)
            process(caller(i))

    def caller(self, i: int):
        env = self.env
        q = self.route[i]
        if self.has_ivr:
            ivr_s = self.ivr_s[i]
            if ivr_s > 0:
                self.pending += 1
                yield env.timeout(ivr_s)
                self.pending -= 1
            if q < 0:  # the call ends in the IVR
                if q == CONTAINED:
                    self.outcome[i] = Outcome.CONTAINED
                    self.flags[i] |= RESOLVED
                else:
                    self.outcome[i] = Outcome.IVR_ABANDONED
                    self._maybe_redial(i)
                answered = None
            else:
                answered = self._join(i, q)
            if self.closing and not self.pending:
                self._release_idle()
        else:
            answered = self._join(i, q)
        if answered is None:
            return
        patience = self.patience[i]
        if patience == _NEVER:
            yield answered
        else:
            yield answered | env.timeout(patience)
            if not answered.triggered:  # the agent did not come first
                self.outcome[i] = Outcome.ABANDONED
                self.wait[i] = patience
                self.last_exit_s = env.now
                self.n_waiting[q] -= 1
                self._maybe_redial(i)

    def _join(self, i: int, q: int):
        """Call i reaches queue q: answered at once, called back, balks, or waits (returns the event)."""
        self.queued_at[i] = self.env.now
        idle = self.idle
        for g in self.groups_for[q]:
            if idle[g]:
                self._answer(i, g, idle[g].popleft())
                return None
        if self.has_callbacks and self.callback[q] is not None and self._offer_callback(i, q):
            return None
        if self.balk_u[i] < self.balk_p[q]:
            self.outcome[i] = Outcome.BALKED
            return None
        answered = self.env.event()
        self.waiting[q].append((i, answered))
        self.n_waiting[q] += 1
        return answered

    def shifts(self):
        """Apply each interval's staffing at its boundary, then close the day."""
        interval_s = self.scenario.interval_s
        for k in range(self.scenario.n_intervals):
            for g in range(len(self.staffing)):
                self._set_staff(g, self.staffing[g][k])
            yield self.env.timeout(interval_s)
        self.closing = True
        # idle agents go home (unless callers are still in the IVR, in a transfer or due a
        # scheduled callback); busy ones finish and keep answering until the queues empty
        if not self.pending:
            self._release_idle()

    def _release_idle(self) -> None:
        for g in range(len(self.staffing)):
            while self.idle[g]:
                self._go_home(g, self.idle[g].pop())

    def _go_home(self, g: int, agent: int) -> None:
        """After the close: the agent leaves; time past the end of the day is overtime."""
        now = self.env.now
        if now > self.day_end_s:
            self.overtime.append((g, self.day_end_s, now))
        self._leave(g, agent)

    # --- callbacks -----------------------------------------------------------------------

    def _expected_wait_s(self, q: int) -> float:
        """(callers ahead + 1) x mean handle time / agents on shift who serve the queue."""
        agents = sum(self.on_shift[g] - len(self.owed_departures[g]) for g in self.groups_for[q])
        if agents <= 0:
            return _NEVER
        return (self.n_waiting[q] + 1) * self.mean_handle_s[q] / agents

    def _offer_callback(self, i: int, q: int) -> bool:
        """Offer a callback if the expected wait is over the threshold; True if accepted."""
        policy = self.callback[q]
        if self._expected_wait_s(q) <= policy.offer_when_expected_wait_over:
            return False
        self.flags[i] |= CALLBACK_OFFERED
        if self.callback_u[i] >= policy.accept_probability:
            return False
        self.flags[i] |= CALLBACK_ACCEPTED
        self.accepted_at[i] = self.env.now
        if policy.mode == "keep_place":
            self.waiting[q].append((i, None))
            self.n_waiting[q] += 1
        else:
            self._queue_callback_later(i, q, self.callback_wait[i])
        return True

    def _queue_callback_later(self, i: int, q: int, delay_s: float) -> None:
        self.pending += 1
        later = self.env.timeout(delay_s, (i, q))
        later.callbacks.append(self._join_as_callback)

    def _join_as_callback(self, event) -> None:
        i, q = event._value
        self._enqueue_without_caller(i, q, at_front=False)

    def _enqueue_without_caller(self, i: int, q: int, at_front: bool) -> None:
        """A callback or a transferred call (pending until now) joins queue q."""
        self.pending -= 1
        for g in self.groups_for[q]:
            if self.idle[g]:
                self._answer(i, g, self.idle[g].popleft())
                break
        else:
            if at_front:
                self.waiting[q].appendleft((i, None))
            else:
                self.waiting[q].append((i, None))
            self.n_waiting[q] += 1
        if self.closing and not self.pending:
            self._release_idle()

    def _call_back(self, i: int, g: int, agent: int) -> None:
        """An agent dials an accepted callback: reached (talk + ACW) or retried later."""
        now = self.env.now
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
        if self.has_returns and self.redial_u[i] < self.returns.redial_probability:
            self._call_again(i, self.env.now + self.redial_delay[i], REDIAL)

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
        if self.calls_made[i] >= self.returns.max_calls or at_s >= self.day_end_s:
            return
        row = self.pool.take(at_s)
        j = len(self.arrived)
        self.arrived.append(at_s)
        self.route.append(int(row["queue"][0]))
        self.talk.append(float(row["talk_s"][0]))
        self.acw.append(float(row["acw_s"][0]))
        self.patience.append(float(row["patience_s"][0]))
        self.balk_u.append(float(row["balk_u"][0]))
        paths = row.get("ivr")
        if paths is not None:
            self.ivr_s.append(float(paths.ivr_s[0]))
            self.menus.append(int(paths.menus[0]))
            self.true_queue.append(int(paths.true_queue[0]))
            self.transfer_s.append(float(paths.transfer_s[0]))
            self.flags.append((ZERO_OUT if paths.zero_out[0] else 0) | (MISROUTED if paths.true_queue[0] >= 0 else 0))
        else:
            self.flags.append(0)
        self.outcome.append(PENDING)
        self.wait.append(0.0)
        self.group.append(-1)
        self.agent.append(-1)
        self.queued_at.append(0.0)
        if self.has_callbacks:
            self.callback_u.append(float(row["callback_u"][0]))
            self.callback_wait.append(float(row["callback_wait_s"][0]))
            self.accepted_at.append(0.0)
            self.callback_tries.append(0)
            self.callback_delay.append(math.nan)
        self.resolve_u.append(float(row["resolve_u"][0]))
        self.redial_u.append(float(row["redial_u"][0]))
        self.redial_delay.append(float(row["redial_delay_s"][0]))
        self.repeat_delay.append(float(row["repeat_delay_s"][0]))
        self.calls_made.append(self.calls_made[i] + 1)
        self.caller_id.append(self.caller_id[i])
        self.kind.append(kind)
        start = self.env.timeout(at_s - self.env.now, j)
        start.callbacks.append(self._start_call)

    def _start_call(self, event) -> None:
        self.env.process(self.caller(event._value))

    # --- agent bookkeeping ---------------------------------------------------------------

    def _busy(self, g: int, agent: int, duration_s: float) -> None:
        """Agent `agent` of group `g` is busy from now for `duration_s`, then free again."""
        now = self.env.now
        self.busy_group.append(g)
        self.busy_start.append(now)
        self.busy_end.append(now + duration_s)
        done = self.env.timeout(duration_s, (g, agent))
        done.callbacks.append(self._handled)

    def _answer(self, i: int, g: int, agent: int) -> None:
        """Agent `agent` of group `g` takes call `i` now (its wait is set by the caller of this)."""
        if self.has_callbacks and self.flags[i] & CALLBACK_ACCEPTED:
            if self.flags[i] & CALLBACK_CONNECTED:  # connected, transferred here: talk now
                self._handle(i, g, agent, Outcome.CALLBACK_COMPLETED, 0.0)
            else:
                self._call_back(i, g, agent)
            return
        if self.has_ivr and self.true_queue[i] >= 0 and not self.flags[i] & TRANSFERRED:
            # misrouted: this agent spends the transfer time, then the call re-queues
            self._transfer(i, g, agent, self.transfer_s[i])
            return
        self._handle(i, g, agent, Outcome.ANSWERED, 0.0)

    def _handle(self, i: int, g: int, agent: int, outcome: Outcome, lead_s: float) -> None:
        """Agent `agent` handles call i: `lead_s` (dialling), then talk and ACW."""
        self.outcome[i] = outcome
        self.group[i] = g
        self.agent[i] = agent
        talk_s = self.talk[i]
        self._busy(g, agent, lead_s + talk_s + self.acw[i])
        if self.has_returns:
            self._maybe_repeat(i, self.env.now + lead_s + talk_s)

    def _transfer(self, i: int, g: int, agent: int, busy_s: float) -> None:
        """The agent is busy `busy_s` (ending with the transfer), then the call joins its right queue."""
        self.pending += 1
        self._busy(g, agent, busy_s)
        back = self.env.timeout(busy_s, i)
        back.callbacks.append(self._requeue_transferred)

    def _requeue_transferred(self, event) -> None:
        """A transferred call joins the right queue at the front: it keeps its original arrival."""
        i = event._value
        self.flags[i] |= TRANSFERRED
        self.queued_at[i] = self.env.now
        self._enqueue_without_caller(i, self.true_queue[i], at_front=True)

    def _handled(self, event) -> None:
        """An agent finished a job: leave if owed, else take the next caller or idle."""
        g, agent = event._value
        owed = self.owed_departures[g]
        if owed:
            self.overtime.append((g, owed.popleft(), self.env.now))
            self._leave(g, agent)
            return
        self._available(g, agent)

    def _available(self, g: int, agent: int) -> None:
        outcome = self.outcome
        for q in self.serves[g]:
            if self.n_waiting[q]:
                line = self.waiting[q]
                i, answered = line.popleft()
                while outcome[i] != PENDING:  # abandoners left their place lazily
                    i, answered = line.popleft()
                self.n_waiting[q] -= 1
                if answered is not None or not self.flags[i] & CALLBACK_ACCEPTED:  # on the line (not a callback)
                    # max(): the clock reached the arrival time by float additions
                    self.wait[i] += max(self.env.now - self.queued_at[i], 0.0)
                self._answer(i, g, agent)
                if answered is not None:
                    answered.succeed()
                return
        if self.closing and not self.pending:
            self._go_home(g, agent)
        else:
            self.idle[g].append(agent)

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

    # --- results -------------------------------------------------------------------------

    def run_end_s(self) -> float:
        """When the last agent went home or the last waiting caller hung up (the end of the day
        if earlier); not env.now, which may be a patience timer left over from an answered call."""
        return max(self.last_exit_s, self.day_end_s)

    def records(self) -> CallRecords:
        outcome = _numpy(self.outcome, np.int8)
        wait = _numpy(self.wait, np.float64)
        flags = _numpy(self.flags, np.uint8)
        arrived = _numpy(self.arrived, np.float64)
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
        if self.has_ivr:
            # the queue where the call ended: a misrouted call reaches its right queue only once transferred
            transferred = (flags & TRANSFERRED) > 0
            queue = np.where(transferred, _numpy(self.true_queue, np.int16), route)
            ivr_s, menus = _numpy(self.ivr_s, np.float64), _numpy(self.menus, np.int8)
        else:
            queue, ivr_s, menus = route, np.zeros(n), np.zeros(n, dtype=np.int8)
        return CallRecords(
            arrived_at_s=arrived,
            queue=queue.astype(np.int16, copy=False),
            outcome=outcome,
            wait_s=wait,
            talk_s=_numpy(self.talk, np.float64),
            acw_s=_numpy(self.acw, np.float64),
            group=_numpy(self.group, np.int16),
            agent=_numpy(self.agent, np.int32),
            ivr_s=ivr_s,
            menus=menus,
            flags=flags,
            callback_delay_s=_numpy(self.callback_delay, np.float64) if self.has_callbacks else np.full(n, np.nan),
            caller=_numpy(self.caller_id, np.int32),
            kind=_numpy(self.kind, np.int8),
        )


def simulate_callers(scenario: Scenario, callers: Callers, replication: int = 0, seed: int = 0) -> ReplicationResult:
    """Run one day with the given first calls (useful for hand-built, deterministic callers)."""
    env = simpy.Environment()
    centre = _CallCentre(env, scenario, callers, seed, replication)
    env.process(centre.shifts())
    env.process(centre.source())
    env.run()
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
