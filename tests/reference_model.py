"""The reference model: the call centre as a textbook SimPy model, one process per caller.

This is the executable specification of `simulator.engine`. The engine is fast (callbacks on
the kernel's dues, abandonment found without an event, lazy agents, the arrival shortcut); this
is meant to be read. Each caller is a process that races its request for an agent against its
patience, SimPy's bank-renege idiom (docs/examples/code/bank_renege.py):

    results = yield request | env.timeout(patience)

tests/test_reference_model.py runs both on the same drawn callers and asserts that every call
ends the same way after the same wait. A new rule is written here first, then made fast in
the engine.

What it models (grown feature by feature; the rest of the engine is not specified here yet):

* one queue or several, served by agent groups (`serves`): an arriving caller is answered by
  an idle agent of the first group in the queue's answer order (`simulator.routing`'s
  `answer_order`: the groups for which the queue ranks highest, then specialists, then by
  index); a free agent takes the longest-waiting caller of the first non-empty queue in its
  group's `serves` list;
* routing rules (`routing`): an arriving caller who finds idle agents in several eligible groups
  is answered by the first group in answer order (`group_order`), by the agent idle longest
  (`longest_idle`; equal times: answer order), or by an idle agent drawn uniformly (`random`:
  one uniform from the AGENT_CHOICE stream per such caller, a group with probability its share
  of the idle agents); a free agent takes the first caller of its first non-empty queue
  (`queue_order`) or the longest-waiting caller at the head of any of its queues
  (`oldest_first`; without priority classes `priority_then_age` is the same);
* patience: a caller hangs up when it runs out before an agent comes (any distribution);
* balking: a caller who would have to wait hangs up at once with the queue's probability;
* talk and after-call work: the agent is busy for both;
* staffing changes at interval boundaries: new agents take waiting callers at once; when
  staffing drops idle agents leave first, busy ones when their job ends; after the last
  interval agents go home once nobody waits for them (and nobody is still in the IVR); a
  timeline's closed intervals (between days) close the same way, and the next open interval's
  staffing opens again;
* IVR time: the caller spends its drawn IVR time first, and its walk may end the call there
  (contained, or hung up in the IVR);
* a maximum wait (`queues[].max_wait`): a caller still waiting `after_s` after joining leaves
  the line with a message (outcome MESSAGE) unless its patience runs out first (equal: it
  abandons); a caller who never abandons gets its message too;
* closing (`on_close`, per queue or for the centre): with `disconnect`, callers still waiting
  when the last interval ends are cut off (outcome DISCONNECTED), and so is a caller who
  reaches such a queue later (from the IVR), at once;
* telephone lines (`trunks`): a `simpy.Resource` of lines; a caller takes one on arrival or,
  finding none free, is blocked (a busy signal); it holds it through the IVR and the wait until
  it hangs up (IVR ending, balk, abandonment) or its talk ends (the agent's ACW needs no line);
* callbacks (`Callbacks`): offered to a caller who would have to wait, by the expected-wait
  rule, window and cap of docs/scenarios.md; the caller hangs up and keeps its place in line
  (`keep_place`) or joins the back after its delay (`scheduled`); each agent's dial draws its
  time and answer from the CALLBACK_ATTEMPTS stream; unanswered, it rejoins the back after the
  retry delay, until `max_attempts` (then failed; failed too if still in line when the agents go);
* redials and repeat calls (`ReturnCalls`): a caller who abandons, hangs up in the IVR or is
  blocked may redial; an unresolved one calls again after its talk; each a new call (`Calls`
  grows) whose attributes are the next row of simulator.callers.ReturnCallPool, taken, as the
  engine takes it, when the return call is decided (the rows come in batches: taking them in
  another order would give other callers, not another rule);
* priority classes: each request has its class (from the caller's `priority_u` and the
  queue's shares); a free agent takes the first caller of the highest class (`queue_order`),
  the oldest of the heads of the class lines (`oldest_first`), or the highest class across its queues, then
  the oldest (`priority_then_age`);
* overflow (`Overflow`): a waiting request's own timer hands it to an idle overflow agent at
  `after_s`; a free overflow agent with nothing in its own queues takes the longest-waiting
  overflowed call, highest class first;
* misroutes and transfers: the agent who answers a misrouted call in the wrong queue spends
  its transfer time; the call then joins its right queue at the front of its class and waits
  there until answered, without a second patience (unserved if nobody is left to answer it;
  its waits in both queues add up); a misrouted caller who accepted a callback is transferred
  once reached (the agent spends the dial and the transfer time), then talks with the right
  queue's agent without a new dial.

* a start from the centre's state (`initial_state`, drawn by `simulator.starting_state`): the
  clock starts at its moment with that interval's staffing; each busy agent is busy for its
  remaining time (its caller holding a line until its talk ends); each waiting caller joins its
  line in order of arrival (it joined at its arrival, before the moment) and races its agent
  against the rest of its patience, without balking; then the day's callers from the moment on.

Not yet: callers who never abandon at all (a queue without `patience`) in a queue without a
maximum wait that serves at the close; with `on_close: disconnect`, callbacks and transfers still
on their way at the close (the engine drops them; the random days here have no callbacks or
transfers on days that disconnect); same-contact retrials (`return_calls.retrial`).
"""
from __future__ import annotations

from bisect import bisect_right
from collections import deque
from dataclasses import dataclass

import numpy as np
import simpy

from simulator.callers import FIRST, REDIAL, REPEAT, ReturnCallPool
from simulator.ivr import CONTAINED
from simulator.randomness import Stream, generator_at
from simulator.records import Outcome
from simulator.routing import agent_rules, answer_order, call_rules, class_bounds


class Request(simpy.Event):
    """A caller's request for an agent of queue q; its value is the group of the agent."""

    def __init__(self, env: simpy.Environment, q: int, cls: int = 0):
        super().__init__(env)
        self.q = q
        self.cls = cls  # priority class in its queue (0 highest; the queue's number of classes: ordinary)
        self.joined_s = env.now
        self.cancelled = False

    @property
    def waiting(self) -> bool:
        return not (self.triggered or self.cancelled)


class AgentPool:
    """A `simpy.Resource` for agent groups: requests per queue, capacity per group that changes
    at interval boundaries. Idle agents are the times they became idle (longest idle first);
    which agent of a group answers does not change any caller's outcome or wait."""

    def __init__(self, env: simpy.Environment, scenario, draw):
        self.env = env
        self.serves = [[scenario.queue_index(name) for name in g.serves] for g in scenario.agents]
        self.answer_order = answer_order(scenario)
        self.agent_rule = [rule.name for rule in agent_rules(scenario)]
        self.by_age = [rule.by_age for rule in call_rules(scenario)]
        self.draw = draw  # the AGENT_CHOICE stream's uniforms
        n_groups = len(scenario.agents)
        self.idle = [deque() for _ in range(n_groups)]  # per group: when each idle agent became idle
        self.busy = [0] * n_groups
        self.leaving = [0] * n_groups  # busy agents who leave when their job ends (staffing dropped)
        self.waiting = [deque() for _ in scenario.queues]  # requests, oldest first
        self.closed = False  # after the last interval
        self.closing = simpy.Event(env)  # succeeds at the close: callers of queues that disconnect are cut off
        self.in_ivr = 0  # callers on their way to a queue (in the IVR, a callback due): agents wait for them after the close
        self.last_exit_s = 0.0  # when an agent last went home or a waiting caller hung up
        self.bounds = [class_bounds(q) for q in scenario.queues]
        self.by_class = [rule.by_class for rule in call_rules(scenario)]
        self.overflow = Overflow(env, scenario, self)
        # an arriving call may be answered by its overflow groups too when it overflows at once
        self.answer_groups = [order + self.overflow.at_once(q) for q, order in enumerate(self.answer_order)]

    def request(self, q: int, priority_u: float = 0.0, at_front: bool = False) -> Request:
        """A call of queue q asks for an agent: answered at once, or in line (at the front of its
        class: a transferred call)."""
        request = Request(self.env, q, bisect_right(self.bounds[q], priority_u))
        chosen = self.pick(q, self.answer_groups[q])
        if chosen >= 0:
            self.idle[chosen].popleft()
            self._assign(request, chosen)
            return request
        if at_front:
            self.waiting[q].appendleft(request)
        else:
            self.waiting[q].append(request)
        self.overflow.watch(request)
        return request

    def pick(self, q: int, groups) -> int:
        """The group of `groups` whose idle agent answers a call of queue q now, by the queue's
        agent-selection rule; -1 if none is idle."""
        free = [g for g in groups if self.idle[g]]
        if not free:
            return -1
        rule = self.agent_rule[q]
        if rule == "longest_idle":
            return min(free, key=lambda g: self.idle[g][0])  # min keeps the first of equals
        if rule == "random" and len(free) > 1:
            weights = np.array([len(self.idle[g]) for g in free], dtype=float)
            k = self.draw() * weights.sum()
            return free[min(int(np.searchsorted(np.cumsum(weights), k, side="right")), len(free) - 1)]
        return free[0]

    def answer_now(self, request: Request, g: int) -> None:
        """An idle agent of group g takes `request` out of the middle of its line (overflow)."""
        self.waiting[request.q].remove(request)
        self.idle[g].popleft()
        self._assign(request, g)

    def waiting_now(self, q: int) -> int:
        """Callers waiting in queue q now (callbacks keeping their place included)."""
        return sum(request.waiting for request in self.waiting[q])

    def on_shift(self, groups) -> int:
        """Agents on shift in `groups` now (idle or busy, not those leaving when their job ends)."""
        return sum(len(self.idle[g]) + self.busy[g] - self.leaving[g] for g in groups)

    def cancel(self, request: Request) -> None:
        """The caller hung up: its request leaves the line."""
        request.cancelled = True

    def release(self, g: int) -> None:
        """An agent of group g finished a job."""
        self.busy[g] -= 1
        if self.leaving[g]:
            self.leaving[g] -= 1
            self.last_exit_s = self.env.now
        else:
            self._free(g)

    def set_staff(self, g: int, target: int) -> None:
        present = len(self.idle[g]) + self.busy[g] - self.leaving[g]
        if target > present:
            extra = target - present
            kept = min(extra, self.leaving[g])  # busy agents due to leave stay after all
            self.leaving[g] -= kept
            for _ in range(extra - kept):
                self._free(g)
        else:
            fewer = present - target
            gone = min(fewer, len(self.idle[g]))  # idle agents leave first, the last to become idle first
            for _ in range(gone):
                self.idle[g].pop()
            self.leaving[g] += fewer - gone

    def close(self) -> None:
        self.closed = True
        if not self.closing.triggered:  # (a timeline ending in closed hours is closed once)
            self.closing.succeed()
        self.send_idle_home()

    def reopen(self) -> None:
        """Open again after closed hours (a timeline of several days): a new close to come."""
        self.closed = False
        if self.closing.triggered:
            self.closing = simpy.Event(self.closing.env)

    def send_idle_home(self) -> None:
        if self.closed and not self.in_ivr:
            for idle in self.idle:
                if idle:
                    self.last_exit_s = self.env.now
                idle.clear()

    def _free(self, g: int) -> None:
        """An agent of group g is free: it takes the next caller, goes home, or waits."""
        heads = []  # per queue of the group's, in serves order: the caller it would take from it
        for q in self.serves[g]:
            line = self.waiting[q]
            while line and line[0].cancelled:
                line.popleft()
            if not line:
                continue
            class_heads = {}  # the first caller in line of each class (a transferred call is first of its class)
            for request in line:
                if not request.cancelled:
                    class_heads.setdefault(request.cls, request)
            if self.by_age[g] and not self.by_class[g]:  # the oldest of those heads, whatever the class
                heads.append((0, min(class_heads.values(), key=lambda r: r.joined_s)))
            else:  # the head of the highest class; ordinary callers rank below every class
                first = class_heads[min(class_heads)]
                heads.append((first.cls if first.cls < len(self.bounds[q]) else np.inf, first))
        if heads:
            if self.by_age[g]:
                _, request = min(heads, key=lambda head: (head[0], head[1].joined_s))  # ties: first in serves
            else:
                _, request = heads[0]
            self.waiting[request.q].remove(request)
            self._assign(request, g)
            return
        request = self.overflow.due_for(g)
        if request is not None:
            self.waiting[request.q].remove(request)
            self._assign(request, g)
            return
        if self.closed and not self.in_ivr:
            self.last_exit_s = self.env.now  # goes home
        else:
            self.idle[g].append(self.env.now)

    def _assign(self, request: Request, g: int) -> None:
        self.busy[g] += 1
        request.succeed(g)


class Overflow:
    """Overflow (`queues[].overflow`) as docs/scenarios.md words it: once a call has waited
    `after_s` in its queue, an idle agent of the listed groups answers it at once (chosen by the
    queue's agent-selection rule); a free agent of such a group whose own queues are all empty
    takes the overflowed call that has waited longest, highest priority class first (the queues
    it is an overflow group of in the order they are listed)."""

    def __init__(self, env: simpy.Environment, scenario, pool: "AgentPool"):
        self.env, self.pool = env, pool
        group_index = {g.name: k for k, g in enumerate(scenario.agents)}
        self.after_s = [q.overflow.after_s if q.overflow else None for q in scenario.queues]
        self.groups = [tuple(group_index[name] for name in q.overflow.to_groups) if q.overflow else ()
                       for q in scenario.queues]
        self.queues_of = [[q for q in range(len(scenario.queues)) if g in self.groups[q]]
                          for g in range(len(scenario.agents))]

    def at_once(self, q: int) -> tuple[int, ...]:
        return self.groups[q] if self.after_s[q] == 0 else ()

    def watch(self, request: Request) -> None:
        """`request` waits: at its overflow time it may go to an idle overflow agent."""
        if self.after_s[request.q] is not None:
            self.env.process(self._timer(request))

    def _timer(self, request: Request):
        yield self.env.timeout(self.after_s[request.q])
        if request.waiting:
            g = self.pool.pick(request.q, self.groups[request.q])
            if g >= 0:
                self.pool.answer_now(request, g)

    def due_for(self, g: int) -> Request | None:
        """The overflowed call a free agent of group g takes (its own queues are empty), or None."""
        for q in self.queues_of[g]:
            live = [request for request in self.pool.waiting[q] if request.waiting]
            for cls in sorted({request.cls for request in live}):
                longest = min((r for r in live if r.cls == cls), key=lambda r: r.joined_s)
                if longest.joined_s + self.after_s[q] <= self.env.now:
                    return longest
        return None


class Callbacks:
    """Virtual hold as docs/scenarios.md words it (`queues[].callback`): offered to a caller who
    would have to wait, inside the offer window and while the interval's cap of accepted
    callbacks is not reached, when (callers ahead + 1) x (mean talk + mean ACW) / agents on shift
    serving the queue is over the threshold; accepted with the caller's `callback_u`. The caller
    then hangs up: `keep_place` keeps its place in line, `scheduled` joins the back after its
    drawn delay. An agent who reaches it dials (dial time and answer from the CALLBACK_ATTEMPTS
    stream, in the order the dials happen); unanswered, it rejoins the back after the retry
    delay, until `max_attempts`."""

    def __init__(self, env: simpy.Environment, scenario, pool: AgentPool, callers, seed: int, replication: int):
        self.env, self.scenario, self.pool, self.callers = env, scenario, pool, callers
        self.policy = [q.callback for q in scenario.queues]
        self.attempts = generator_at(seed, replication, int(Stream.CALLBACK_ATTEMPTS))
        self.accepted_left = [scenario.callback_cap(q) for q in range(len(scenario.queues))]
        self.delay_s: dict[int, float] = {}  # acceptance to connection of completed callbacks
        self.accepted: set[int] = set()
        self.returns: ReturnCalls | None = None  # a completed callback may leave the issue unresolved

    def accepts(self, i: int, q: int) -> bool:
        """Caller i, who would have to wait in queue q (its request is last in line), is offered
        a callback and accepts it."""
        policy, now = self.policy[q], self.env.now
        if policy is None:
            return False
        window_from_s, window_until_s = self.scenario.callback_window_s(q)
        k = min(int(now // self.scenario.interval_s), self.scenario.n_intervals - 1)
        if not window_from_s <= now < window_until_s or self.accepted_left[q][k] <= 0:
            return False
        queue = self.scenario.queues[q]
        agents = self.pool.on_shift(self.pool.answer_order[q])
        ahead = self.pool.waiting_now(q) - 1
        expected_wait_s = (ahead + 1) * (queue.talk_time.mean_s + queue.acw.mean_s) / agents if agents > 0 else np.inf
        if expected_wait_s <= policy.offer_when_expected_wait_over or self.callers.callback_u[i] >= policy.accept_probability:
            return False
        self.accepted_left[q][k] -= 1
        self.accepted.add(i)
        return True

    def call_back(self, i: int, q: int, request: Request, outcome, group):
        """Caller i accepted with `request` in line: the agents call it back (a process)."""
        env, pool, policy = self.env, self.pool, self.policy[q]
        accepted_s = env.now
        if policy.mode == "scheduled":
            pool.cancel(request)
            yield from self._later(self.callers.callback_wait_s[i])
            request = pool.request(q, self.callers.priority(i))
        for attempt in range(1, policy.max_attempts + 1):
            g = yield request
            u = self.attempts.random(2)
            dial_s = float(policy.dial_time.ppf(u[:1])[0])
            if u[1] < policy.answer_probability:  # the caller answers: talk and ACW follow the dial
                self.delay_s[i] = env.now + dial_s - accepted_s
                if self.callers.true_queue[i] >= 0:  # called back from the wrong queue: connected, then transferred
                    yield from self._transferred(i, g, dial_s, outcome, group)
                    return
                outcome[i], group[i] = Outcome.CALLBACK_COMPLETED, g
                if self.returns is not None:
                    self.returns.answered(i, env.now + dial_s + self.callers.talk_s[i])
                yield env.timeout(dial_s + self.callers.talk_s[i] + self.callers.acw_s[i])
                pool.release(g)
                return
            if attempt == policy.max_attempts:
                outcome[i] = Outcome.CALLBACK_FAILED
                yield env.timeout(dial_s)
                pool.release(g)
                return
            retry_s = float(policy.retry_delay.ppf(self.attempts.random(1))[0])
            env.process(self._agent_dials(g, dial_s))
            yield from self._later(dial_s + retry_s)
            request = pool.request(q, self.callers.priority(i))

    def _transferred(self, i: int, g: int, dial_s: float, outcome, group):
        """A misrouted caller reached by a callback: the agent of group g spends the dial and the
        transfer time, then the connected call joins its right queue at the front (failed if
        nobody is left there to take it) and talks with the agent who takes it, no dial again."""
        env, pool, calls = self.env, self.pool, self.callers
        pool.in_ivr += 1
        yield env.timeout(dial_s + calls.transfer_s[i])
        pool.release(g)
        pool.in_ivr -= 1
        request = pool.request(calls.true_queue[i], calls.priority(i), at_front=True)
        if self.returns is not None:
            self.returns.when_answered(i, request)
        pool.send_idle_home()
        g = yield request
        outcome[i], group[i] = Outcome.CALLBACK_COMPLETED, g
        yield env.timeout(calls.talk_s[i] + calls.acw_s[i])
        pool.release(g)

    def _agent_dials(self, g: int, dial_s: float):
        yield self.env.timeout(dial_s)
        self.pool.release(g)

    def _later(self, delay_s: float):
        """The callback is due after `delay_s`: agents wait for it after the close."""
        self.pool.in_ivr += 1
        yield self.env.timeout(delay_s)
        self.pool.in_ivr -= 1


class Calls:
    """Every call of the day as lists, first calls then return calls in the order they are made:
    the drawn columns (a return call's from the row simulator.callers.ReturnCallPool hands out:
    its rows come in batches, so the reference takes them in the order the engine does, when a
    return call is decided) and how each call ended."""

    DRAWN = ("arrived_at_s", "queue", "talk_s", "acw_s", "patience_s", "balk_u", "callback_u", "callback_wait_s",
             "resolve_u", "redial_u", "redial_delay_s", "repeat_delay_s", "priority_u")

    def __init__(self, callers):
        n = len(callers)
        for name in self.DRAWN:
            values = getattr(callers, name)
            setattr(self, name, None if values is None else values.tolist())
        self.ivr = callers.ivr
        self.ivr_s = callers.ivr.ivr_s.tolist() if callers.ivr is not None else [0.0] * n
        self.intent = callers.ivr.intent.tolist() if callers.ivr is not None else [-1] * n
        self.true_queue = callers.ivr.true_queue.tolist() if callers.ivr is not None else [-1] * n
        self.transfer_s = callers.ivr.transfer_s.tolist() if callers.ivr is not None else [0.0] * n
        self.kind, self.caller, self.calls_made = [FIRST] * n, list(range(n)), [1] * n
        self.outcome, self.wait_s, self.group = [-1] * n, [0.0] * n, [-1] * n

    def __len__(self) -> int:
        return len(self.outcome)

    def priority(self, i: int) -> float:
        """The uniform that gives call i its priority class (0 on days without classes)."""
        return self.priority_u[i] if self.priority_u is not None else 0.0

    def append(self, row: dict, at_s: float, kind: int, of: int) -> int:
        """A return call by the caller of call `of`, with the pool's `row`; its index."""
        for name in self.DRAWN:
            values = getattr(self, name)
            if values is not None:
                values.append(at_s if name == "arrived_at_s" else row[name])
        self.ivr_s.append(row["ivr.ivr_s"] if self.ivr is not None else 0.0)
        self.intent.append(row["ivr.intent"] if self.ivr is not None else -1)
        self.true_queue.append(row["ivr.true_queue"] if self.ivr is not None else -1)
        self.transfer_s.append(row["ivr.transfer_s"] if self.ivr is not None else 0.0)
        self.kind.append(kind)
        self.caller.append(self.caller[of])
        self.calls_made.append(self.calls_made[of] + 1)
        self.outcome.append(-1)
        self.wait_s.append(0.0)
        self.group.append(-1)
        return len(self.outcome) - 1


class ReturnCalls:
    """Redials and repeat calls (`return_calls`), as docs/model.md words them: new calls by the
    same caller. A caller who abandons in the queue, hangs up in the IVR or is blocked redials
    (if its `redial_u` is under the redial probability) its redial delay later; an answered
    caller whose issue is not resolved (`resolve_u` not under the queue's first contact
    resolution) calls again its repeat delay after its talk ends. No call is made once the
    caller has made `max_calls`, nor at or after the end of the day. The new call keeps its
    caller's queue (without an IVR) or intent."""

    def __init__(self, env: simpy.Environment, scenario, calls: Calls, seed: int, replication: int, start):
        self.env, self.calls, self.start = env, calls, start
        self.returns = scenario.return_calls
        self.pool = ReturnCallPool(scenario, seed, replication)
        self.fcr = [q.first_contact_resolution for q in scenario.queues]
        self.day_end_s = scenario.n_intervals * scenario.interval_s
        self.has_ivr = scenario.ivr is not None

    def hung_up(self, i: int) -> None:
        """Call i was abandoned, hung up in the IVR or blocked: its caller may redial."""
        if self.calls.redial_u[i] < self.returns.redial_probability:
            self._again(i, self.env.now + self.calls.redial_delay_s[i], REDIAL)

    def when_answered(self, i: int, request: Request) -> None:
        """Decide call i's repeat call when an agent takes `request`: the moment the agent is
        assigned (the request's own event), not when the caller's process resumes, which for a
        caller racing its patience comes one event later (the condition's): two calls answered
        at one moment then take their rows in the order the agents took them, as in the engine."""
        request.callbacks.insert(0, lambda event: self.answered(i, self.env.now + self.calls.talk_s[i]))

    def answered(self, i: int, talk_end_s: float) -> None:
        """Call i is answered now, its talk ending at `talk_end_s`: unresolved, its caller calls again."""
        q = self.calls.true_queue[i] if self.calls.true_queue[i] >= 0 else self.calls.queue[i]  # transferred: the right one
        if self.calls.resolve_u[i] >= self.fcr[q]:
            self._again(i, talk_end_s + self.calls.repeat_delay_s[i], REPEAT)

    def _again(self, i: int, at_s: float, kind: int) -> None:
        calls = self.calls
        if calls.calls_made[i] >= self.returns.max_calls or at_s >= self.day_end_s:
            return
        row = self.pool.take(at_s, self.block(i))
        j = calls.append(row, at_s, kind, i)
        self.env.process(self._call(j, at_s - self.env.now))

    def block(self, i: int) -> int:
        """What the caller of call i keeps (the pool's block): its intent with an IVR, else its queue."""
        return self.calls.intent[i] if self.has_ivr else self.calls.queue[i]

    def _call(self, j: int, delay_s: float):
        yield self.env.timeout(delay_s)
        yield from self.start(j)


@dataclass
class ReferenceDay:
    outcome: np.ndarray  # int8, simulator.records.Outcome
    wait_s: np.ndarray  # float64
    group: np.ndarray  # int16, -1 if not answered
    callback_delay_s: np.ndarray | None = None  # float64, NaN unless a completed callback (days with callbacks)
    kind: np.ndarray | None = None  # int8, callers.FIRST/REDIAL/REPEAT (days with return calls)
    caller: np.ndarray | None = None  # int32, the first call of the caller (days with return calls)


def simulate(scenario, callers, replication: int = 0, seed: int = 0, start=None,
             closed: frozenset = frozenset()) -> ReferenceDay:
    """The day of `callers` (first calls, drawn by simulator.callers) in the reference model; with
    `start` (a simulator.starting_state.StartingState) from its moment, its callers first;
    `closed`: the intervals a timeline of several days is closed (simulator.timeline)."""
    env = simpy.Environment(start.at_s if start is not None else 0)
    n_waiting = start.n_waiting if start is not None else 0
    pool = AgentPool(env, scenario, generator_at(seed, replication, int(Stream.AGENT_CHOICE)).random)
    n = len(callers)
    callers = Calls(callers)  # the first calls, and the return calls as they are made
    outcome, wait_s, group = callers.outcome, callers.wait_s, callers.group
    balk_p = [q.balk_probability for q in scenario.queues]
    max_wait = [q.max_wait.after_s if q.max_wait is not None else np.inf for q in scenario.queues]
    disconnects = scenario.disconnects_at_close()
    ivr_s = callers.ivr_s
    lines = simpy.Resource(env, capacity=scenario.trunks) if scenario.trunks is not None else None
    callbacks = Callbacks(env, scenario, pool, callers, seed, replication) if callers.callback_u is not None else None
    transferred: dict[int, Request] = {}  # misrouted calls waiting in (or answered from) their right queue
    returns = ReturnCalls(env, scenario, callers, seed, replication, lambda j: caller(j)) \
        if callers.resolve_u is not None else None
    if callbacks is not None:
        callbacks.returns = returns

    def caller(i: int):
        if lines is None:
            yield from on_the_line(i, None)
            return
        line = lines.request()
        if not line.triggered:  # every line busy: a busy signal
            line.cancel()
            outcome[i] = Outcome.BLOCKED
            if returns is not None:
                returns.hung_up(i)
            return
        yield from on_the_line(i, line)

    def hang_up(line) -> None:
        if line is not None:
            lines.release(line)

    def on_the_line(i: int, line):
        if i < n_waiting:
            yield from waiting_since_before(i, line)
            return
        if callers.ivr is not None:
            pool.in_ivr += 1
            yield env.timeout(ivr_s[i])
            pool.in_ivr -= 1
        q = int(callers.queue[i])
        if q < 0:  # the walk ended in the IVR
            outcome[i] = Outcome.CONTAINED if q == CONTAINED else Outcome.IVR_ABANDONED
            hang_up(line)
            if q != CONTAINED and returns is not None:
                returns.hung_up(i)
            pool.send_idle_home()
            return
        if pool.closed and disconnects[q]:  # the queue closed before the caller reached it
            outcome[i] = Outcome.DISCONNECTED
            hang_up(line)
            pool.send_idle_home()
            return
        request = pool.request(q, callers.priority(i))
        joined_s = request.joined_s
        pool.send_idle_home()
        if not request.triggered and callbacks is not None and callbacks.accepts(i, q):
            hang_up(line)  # to be called back
            yield from callbacks.call_back(i, q, request, outcome, group)
            return
        if not request.triggered and callers.balk_u[i] < balk_p[q]:
            pool.cancel(request)
            outcome[i] = Outcome.BALKED
            hang_up(line)
            return
        yield from wait_then_talk(i, line, request, joined_s, callers.patience_s[i])

    def waiting_since_before(i: int, line):
        """A caller of the state: in line since its arrival, before the start; no balking."""
        joined_s = float(callers.arrived_at_s[i])
        request = pool.request(int(callers.queue[i]), callers.priority(i))
        request.joined_s = joined_s  # its place in line (for the rules by age)
        # its patience and the queue's maximum wait both count from its arrival
        yield from wait_then_talk(i, line, request, joined_s, joined_s + callers.patience_s[i] - env.now,
                                  joined_s + max_wait[request.q] - env.now)

    def wait_then_talk(i: int, line, request, joined_s: float, patience_left_s: float, max_wait_left_s=None):
        if returns is not None and callers.true_queue[i] < 0:  # (a misrouted call is answered in its right queue)
            returns.when_answered(i, request)
        # the caller waits until an agent comes, its patience runs out, the queue's maximum wait
        # sends it to a message (equal: it abandons), or the close cuts it off, whichever comes first
        q = request.q
        patience_s, max_wait_s = patience_left_s, max_wait[q] if max_wait_left_s is None else max_wait_left_s
        gives_up = env.timeout(min(patience_s, max_wait_s))
        results = yield simpy.AnyOf(env, [request, gives_up] + ([pool.closing] if disconnects[q] else []))
        wait_s[i] = env.now - joined_s
        if request not in results:
            pool.cancel(request)
            pool.last_exit_s = env.now
            hang_up(line)
            if gives_up not in results:
                outcome[i] = Outcome.DISCONNECTED
            elif max_wait_s < patience_s:  # a message: the caller expects a callback, it does not redial
                outcome[i] = Outcome.MESSAGE
            else:
                outcome[i] = Outcome.ABANDONED
                if returns is not None:
                    returns.hung_up(i)
            return
        if callers.true_queue[i] >= 0:  # misrouted: this agent transfers it to the right queue
            yield from transfer(i, request.value, line)
            return
        yield from talk(i, request.value, line)

    def transfer(i: int, g: int, line):
        """The agent of group g spends the transfer time; the call then joins its right queue at
        the front and waits there until answered (it does not abandon a second time)."""
        pool.in_ivr += 1  # on its way to a queue: agents wait for it after the close
        yield env.timeout(callers.transfer_s[i])
        pool.release(g)  # the agent first, then the call it transferred (as the job's end came first)
        pool.in_ivr -= 1
        request = pool.request(callers.true_queue[i], callers.priority(i), at_front=True)
        transferred[i] = request
        if returns is not None:
            returns.when_answered(i, request)
        pool.send_idle_home()
        yield request
        wait_s[i] += env.now - request.joined_s
        yield from talk(i, request.value, line)

    def talk(i: int, g: int, line):
        """An agent of group g answered call i: talk, then after-call work."""
        outcome[i] = Outcome.ANSWERED
        group[i] = g
        if line is not None:  # the caller hangs up when the talk ends; the agent goes on with ACW
            env.timeout(callers.talk_s[i]).callbacks.append(lambda _: hang_up(line))
        yield env.timeout(callers.talk_s[i] + callers.acw_s[i])
        pool.release(g)

    def source():
        first = start.n_initial if start is not None else 0
        for i, arrived_at_s in enumerate(callers.arrived_at_s[first:n], first):
            yield env.timeout(arrived_at_s - env.now)
            env.process(caller(i))

    def staffing():
        first = start.interval if start is not None else 0
        for k in range(first, scenario.n_intervals):
            if k not in closed:
                pool.reopen()
                for g, agents in enumerate(scenario.agents):
                    pool.set_staff(g, agents.staffing[k])
            elif not pool.closed:  # closed hours of a timeline: closed as after the last interval
                pool.close()
            yield env.timeout((k + 1) * scenario.interval_s - env.now if k == first else scenario.interval_s)
        pool.close()

    def busy_agent(g: int, busy_s: float, line_s: float):
        """An agent of the state: busy for the rest of a job begun before the start."""
        pool.idle[g].popleft()
        pool.busy[g] += 1
        if lines is not None and line_s > 0:
            line = lines.request()
            env.timeout(line_s).callbacks.append(lambda _: lines.release(line))
        yield env.timeout(busy_s)
        pool.release(g)

    env.process(staffing())
    if start is not None:
        for g, busy_s, line_s in zip(start.busy_group, start.busy_s, start.line_s):
            env.process(busy_agent(g, busy_s, line_s))
        for i in range(n_waiting):
            env.process(caller(i))
    env.process(source())
    env.run()
    if callbacks is not None:  # callbacks still in line when the last agent went home were never reached
        for i in callbacks.accepted:
            if outcome[i] < 0:
                outcome[i] = Outcome.CALLBACK_FAILED
    run_end_s = max(pool.last_exit_s, scenario.n_intervals * scenario.interval_s)
    for i, request in transferred.items():  # still in line when nobody was left to answer it
        if outcome[i] < 0:
            outcome[i] = Outcome.UNSERVED
            wait_s[i] += run_end_s - request.joined_s
    assert min(outcome) >= 0, "a caller never hung up: callers who never abandon are not modelled here"
    delay_s = None
    if callbacks is not None:
        delay_s = np.full(len(callers), np.nan)
        delay_s[list(callbacks.delay_s)] = list(callbacks.delay_s.values())
    return ReferenceDay(outcome=np.array(outcome, dtype=np.int8), wait_s=np.array(wait_s),
                        group=np.array(group, dtype=np.int16), callback_delay_s=delay_s,
                        kind=None if returns is None else np.array(callers.kind, dtype=np.int8),
                        caller=None if returns is None else np.array(callers.caller, dtype=np.int32))


def supported(scenario, callers) -> bool:
    """Whether the reference model covers this day (see the module doc's "Not yet")."""
    return all(np.isfinite(callers.patience_s[callers.queue == q]).all() or spec.max_wait is not None or disconnects
               for q, (spec, disconnects) in enumerate(zip(scenario.queues, scenario.disconnects_at_close())))
