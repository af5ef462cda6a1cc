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
* **Records, not statistics.** Each call leaves a handful of numbers in preallocated numpy
  arrays (`CallRecords`); every KPI is computed afterwards by pure functions in
  `simulator.kpis`, which also derive busy-agent and queue-length levels from the records.
"""
from __future__ import annotations

from array import array
from collections import deque
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import simpy

from .randomness import Stream, generator
from .scenario import Scenario


class Outcome(IntEnum):
    """How a call ended. Every call ends in exactly one of these."""

    ANSWERED = 0
    ABANDONED = 1  # hung up while waiting in the queue
    BALKED = 2  # hung up at once on hearing it would have to wait
    UNSERVED = 3  # still waiting when the last agent able to answer it went home


PENDING = -1  # inside the run only: the call has not ended yet
_NEVER = float("inf")  # patience of a caller who never abandons


@dataclass(frozen=True)
class Callers:
    """Everything random about the day's callers, drawn before the simulation starts."""

    arrived_at_s: np.ndarray  # float64, sorted, seconds from the start of the first interval
    queue: np.ndarray  # int16 index into scenario.queues
    talk_s: np.ndarray  # float64
    acw_s: np.ndarray  # float64
    patience_s: np.ndarray  # float64, inf = never abandons
    balk_u: np.ndarray  # float64 uniform in [0, 1): balks if below the queue's balk probability
    busyness: float  # this replication's day-to-day volume multiplier

    def __len__(self) -> int:
        return len(self.arrived_at_s)


@dataclass(frozen=True)
class CallRecords:
    """One entry per call, as parallel numpy arrays (a few bytes per call, no objects)."""

    arrived_at_s: np.ndarray  # float64
    queue: np.ndarray  # int16
    outcome: np.ndarray  # int8, an Outcome
    wait_s: np.ndarray  # float64: queue wait until answer / abandon / close; 0 if balked
    talk_s: np.ndarray  # float64: talk time (meaningful for answered calls)
    acw_s: np.ndarray  # float64: after-call work (answered calls)
    group: np.ndarray  # int16: agent group that answered, -1 if none
    agent: np.ndarray  # int32: agent id that answered, -1 if none

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
    overtime_group: np.ndarray  # int16, one entry per span an agent worked past its shift
    overtime_start_s: np.ndarray  # float64
    overtime_end_s: np.ndarray  # float64
    day_end_s: float  # end of the last interval
    run_end_s: float  # when the last agent left (>= day_end_s)


def draw_callers(scenario: Scenario, seed: int, replication: int) -> Callers:
    """Draw the day's callers: Poisson arrivals per interval, then each caller's attributes."""
    interval_s = scenario.interval_s
    expected = np.asarray(scenario.arrivals.calls, dtype=float)
    busyness = 1.0
    cv = scenario.arrivals.busyness_cv
    if cv > 0:
        shape = 1.0 / cv**2
        busyness = float(generator(seed, replication, Stream.BUSYNESS).gamma(shape, 1.0 / shape))
    arrivals_rng = generator(seed, replication, Stream.ARRIVALS)
    counts = arrivals_rng.poisson(expected * busyness)
    starts = np.arange(len(expected)) * interval_s
    # Given the count, Poisson arrival times in an interval are independent uniforms.
    arrived = np.repeat(starts, counts) + arrivals_rng.random(counts.sum()) * interval_s
    arrived.sort()
    n = len(arrived)

    n_queues = len(scenario.queues)
    if n_queues == 1:
        queue = np.zeros(n, dtype=np.int16)
    else:
        shares = scenario.arrivals.queue_shares or {}
        cumulative = np.cumsum([shares.get(q.name, 0.0) for q in scenario.queues])
        u_route = generator(seed, replication, Stream.ROUTING).random(n)
        queue = np.minimum(np.searchsorted(cumulative, u_route, side="right"), n_queues - 1).astype(np.int16)

    u_talk = generator(seed, replication, Stream.TALK).random(n)
    u_acw = generator(seed, replication, Stream.ACW).random(n)
    u_patience = generator(seed, replication, Stream.PATIENCE).random(n)
    balk_u = generator(seed, replication, Stream.BALK).random(n)
    talk = np.empty(n)
    acw = np.empty(n)
    patience = np.full(n, np.inf)
    for index, spec in enumerate(scenario.queues):
        mask = queue == index
        talk[mask] = spec.talk_time.ppf(u_talk[mask])
        acw[mask] = spec.acw.ppf(u_acw[mask])
        if spec.patience is not None:
            patience[mask] = spec.patience.ppf(u_patience[mask])
    return Callers(arrived, queue, talk, acw, patience, balk_u, busyness)


def _doubles(values: np.ndarray) -> array:
    return array("d", np.ascontiguousarray(values, dtype=np.float64).tobytes())


class _CallCentre:
    """The state of one simulated day. Hot paths avoid attribute lookups in loops."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, callers: Callers):
        self.env = env
        self.scenario = scenario
        n = len(callers)
        n_queues = len(scenario.queues)
        n_groups = len(scenario.agents)
        # Caller attributes as array.array: indexing one is ~2x faster than a numpy array
        # and it takes 8 bytes an entry, where a list of floats takes 32.
        self.arrived = _doubles(callers.arrived_at_s)
        self.queue_of = array("h", callers.queue.astype(np.int16).tobytes())
        self.talk = _doubles(callers.talk_s)
        self.acw = _doubles(callers.acw_s)
        self.patience = _doubles(callers.patience_s)
        self.balk_u = _doubles(callers.balk_u)
        self.balk_p = [q.balk_probability for q in scenario.queues]
        # outputs
        self.outcome = np.full(n, PENDING, dtype=np.int8)
        self.wait = np.zeros(n)
        self.group = np.full(n, -1, dtype=np.int16)
        self.agent = np.full(n, -1, dtype=np.int32)
        self.overtime: list[tuple[int, float, float]] = []
        # queues: deques of (caller, event); abandoners stay until they reach the head
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
        self.closing = False
        self.day_end_s = scenario.n_intervals * scenario.interval_s
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
        for i, t in enumerate(self.arrived):
            delay = t - env.now
            if delay > 0:
                yield timeout(delay)
            process(caller(i))

    def caller(self, i: int):
        q = self.queue_of[i]
        idle = self.idle
        for g in self.groups_for[q]:
            if idle[g]:
                self._answer(i, g, idle[g].popleft())
                return
        if self.balk_u[i] < self.balk_p[q]:
            self.outcome[i] = Outcome.BALKED
            return
        env = self.env
        answered = env.event()
        self.waiting[q].append((i, answered))
        self.n_waiting[q] += 1
        patience = self.patience[i]
        if patience == _NEVER:
            yield answered
        else:
            yield answered | env.timeout(patience)
            if self.outcome[i] == PENDING:  # the agent did not come first: abandon
                self.outcome[i] = Outcome.ABANDONED
                self.wait[i] = patience
                self.n_waiting[q] -= 1

    def shifts(self):
        """Apply each interval's staffing at its boundary, then close the day."""
        interval_s = self.scenario.interval_s
        for k in range(self.scenario.n_intervals):
            for g in range(len(self.staffing)):
                self._set_staff(g, self.staffing[g][k])
            yield self.env.timeout(interval_s)
        self.closing = True
        for g in range(len(self.staffing)):
            # idle agents go home; busy ones finish and keep answering until the queues empty
            while self.idle[g]:
                self.spare_ids[g].append(self.idle[g].pop())
                self.on_shift[g] -= 1

    # --- agent bookkeeping ---------------------------------------------------------------

    def _answer(self, i: int, g: int, agent: int) -> None:
        """Agent `agent` of group `g` answers caller `i` now (wait stays 0 unless set)."""
        env = self.env
        self.outcome[i] = Outcome.ANSWERED
        self.group[i] = g
        self.agent[i] = agent
        done = env.timeout(self.talk[i] + self.acw[i], (g, agent))
        done.callbacks.append(self._handled)

    def _handled(self, event) -> None:
        """An agent finished talk + ACW: leave if owed, else take the next caller or idle."""
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
                # max(): the clock reached the arrival time by float additions
                self.wait[i] = max(self.env.now - self.arrived[i], 0.0)
                self._answer(i, g, agent)
                answered.succeed()
                return
        if self.closing:
            now = self.env.now
            if now > self.day_end_s:
                self.overtime.append((g, self.day_end_s, now))
            self._leave(g, agent)
        else:
            self.idle[g].append(agent)

    def _leave(self, g: int, agent: int) -> None:
        self.on_shift[g] -= 1
        self.spare_ids[g].append(agent)

    def _set_staff(self, g: int, target: int) -> None:
        owed = self.owed_departures[g]
        present = self.on_shift[g] - len(owed)
        if target > present:
            extra = target - present
            while owed and extra:  # cancel departures still owed before calling in new agents
                owed.pop()
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

    def records(self, callers: Callers) -> CallRecords:
        still_waiting = self.outcome == PENDING
        if still_waiting.any():
            # nobody left who can answer them: they waited until the last agent went home
            self.outcome[still_waiting] = Outcome.UNSERVED
            self.wait[still_waiting] = self.env.now - callers.arrived_at_s[still_waiting]
        return CallRecords(
            arrived_at_s=callers.arrived_at_s,
            queue=callers.queue,
            outcome=self.outcome,
            wait_s=self.wait,
            talk_s=callers.talk_s,
            acw_s=callers.acw_s,
            group=self.group,
            agent=self.agent,
        )


def simulate_callers(scenario: Scenario, callers: Callers, replication: int = 0) -> ReplicationResult:
    """Run one day with the given callers (useful for hand-built, deterministic callers)."""
    env = simpy.Environment()
    centre = _CallCentre(env, scenario, callers)
    env.process(centre.shifts())
    env.process(centre.source())
    env.run()
    records = centre.records(callers)
    overtime = np.array(centre.overtime, dtype=float).reshape(-1, 3)
    return ReplicationResult(
        replication=replication,
        busyness=callers.busyness,
        records=records,
        overtime_group=overtime[:, 0].astype(np.int16),
        overtime_start_s=overtime[:, 1].copy(),
        overtime_end_s=overtime[:, 2].copy(),
        day_end_s=centre.day_end_s,
        run_end_s=max(env.now, centre.day_end_s),
    )


def simulate_replication(scenario: Scenario, seed: int, replication: int) -> ReplicationResult:
    """Draw the callers of replication `replication` and simulate the day once."""
    return simulate_callers(scenario, draw_callers(scenario, seed, replication), replication)
