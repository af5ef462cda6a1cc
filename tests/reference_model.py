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
  interval agents go home once nobody waits for them (and nobody is still in the IVR);
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
  it hangs up (IVR ending, balk, abandonment) or its talk ends (the agent's ACW needs no line).

Not yet: callbacks, redials and repeat calls (so neither blocked callers' redials), misroutes and transfers, priority classes,
overflow, callers who never abandon (unserved at the end) in a queue without a maximum wait that serves at the close.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import simpy

from simulator.ivr import CONTAINED
from simulator.randomness import Stream, generator_at
from simulator.records import Outcome
from simulator.routing import agent_rules, answer_order, call_rules


class Request(simpy.Event):
    """A caller's request for an agent of queue q; its value is the group of the agent."""

    def __init__(self, env: simpy.Environment, q: int):
        super().__init__(env)
        self.q = q
        self.joined_s = env.now
        self.cancelled = False


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
        self.in_ivr = 0  # callers still in the IVR: agents wait for them after the close

    def request(self, q: int) -> Request:
        request = Request(self.env, q)
        free = [g for g in self.answer_order[q] if self.idle[g]]
        if free:
            rule = self.agent_rule[q]
            if rule == "longest_idle":
                chosen = min(free, key=lambda g: self.idle[g][0])  # min keeps the first of equals
            elif rule == "random" and len(free) > 1:
                weights = np.array([len(self.idle[g]) for g in free], dtype=float)
                k = self.draw() * weights.sum()
                chosen = free[min(int(np.searchsorted(np.cumsum(weights), k, side="right")), len(free) - 1)]
            else:
                chosen = free[0]
            self.idle[chosen].popleft()
            self._assign(request, chosen)
            return request
        self.waiting[q].append(request)
        return request

    def cancel(self, request: Request) -> None:
        """The caller hung up: its request leaves the line."""
        request.cancelled = True

    def release(self, g: int) -> None:
        """An agent of group g finished a job."""
        self.busy[g] -= 1
        if self.leaving[g]:
            self.leaving[g] -= 1
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
        self.closing.succeed()
        self.send_idle_home()

    def send_idle_home(self) -> None:
        if self.closed and not self.in_ivr:
            for idle in self.idle:
                idle.clear()

    def _free(self, g: int) -> None:
        """An agent of group g is free: it takes the next caller, goes home, or waits."""
        heads = []  # the first caller still waiting in each of the group's queues, in serves order
        for q in self.serves[g]:
            line = self.waiting[q]
            while line and line[0].cancelled:
                line.popleft()
            if line:
                heads.append(line)
        if heads:
            line = min(heads, key=lambda line: line[0].joined_s) if self.by_age[g] else heads[0]
            self._assign(line.popleft(), g)
            return
        if not (self.closed and not self.in_ivr):
            self.idle[g].append(self.env.now)

    def _assign(self, request: Request, g: int) -> None:
        self.busy[g] += 1
        request.succeed(g)


@dataclass
class ReferenceDay:
    outcome: np.ndarray  # int8, simulator.records.Outcome
    wait_s: np.ndarray  # float64
    group: np.ndarray  # int16, -1 if not answered


def simulate(scenario, callers, replication: int = 0, seed: int = 0) -> ReferenceDay:
    """The day of `callers` (first calls, drawn by simulator.callers) in the reference model."""
    env = simpy.Environment()
    pool = AgentPool(env, scenario, generator_at(seed, replication, int(Stream.AGENT_CHOICE)).random)
    n = len(callers)
    outcome = np.full(n, -1, dtype=np.int8)
    wait_s = np.zeros(n)
    group = np.full(n, -1, dtype=np.int16)
    balk_p = [q.balk_probability for q in scenario.queues]
    max_wait = [q.max_wait.after_s if q.max_wait is not None else np.inf for q in scenario.queues]
    disconnects = scenario.disconnects_at_close()
    ivr_s = callers.ivr.ivr_s if callers.ivr is not None else np.zeros(n)
    lines = simpy.Resource(env, capacity=scenario.trunks) if scenario.trunks is not None else None

    def caller(i: int):
        if lines is None:
            yield from on_the_line(i, None)
            return
        line = lines.request()
        if not line.triggered:  # every line busy: a busy signal
            line.cancel()
            outcome[i] = Outcome.BLOCKED
            return
        yield from on_the_line(i, line)

    def hang_up(line) -> None:
        if line is not None:
            lines.release(line)

    def on_the_line(i: int, line):
        if callers.ivr is not None:
            pool.in_ivr += 1
            yield env.timeout(ivr_s[i])
            pool.in_ivr -= 1
        q = int(callers.queue[i])
        if q < 0:  # the walk ended in the IVR
            outcome[i] = Outcome.CONTAINED if q == CONTAINED else Outcome.IVR_ABANDONED
            hang_up(line)
            pool.send_idle_home()
            return
        if pool.closed and disconnects[q]:  # the queue closed before the caller reached it
            outcome[i] = Outcome.DISCONNECTED
            hang_up(line)
            pool.send_idle_home()
            return
        request = pool.request(q)
        joined_s = request.joined_s
        pool.send_idle_home()
        if not request.triggered and callers.balk_u[i] < balk_p[q]:
            pool.cancel(request)
            outcome[i] = Outcome.BALKED
            hang_up(line)
            return
        # the caller waits until an agent comes, its patience runs out, the queue's maximum wait
        # sends it to a message (equal: it abandons), or the close cuts it off, whichever comes first
        patience_s, max_wait_s = callers.patience_s[i], max_wait[q]
        gives_up = env.timeout(min(patience_s, max_wait_s))
        results = yield simpy.AnyOf(env, [request, gives_up] + ([pool.closing] if disconnects[q] else []))
        wait_s[i] = env.now - joined_s
        if request not in results:
            pool.cancel(request)
            if gives_up in results:
                outcome[i] = Outcome.MESSAGE if max_wait_s < patience_s else Outcome.ABANDONED
            else:
                outcome[i] = Outcome.DISCONNECTED
            hang_up(line)
            return
        outcome[i] = Outcome.ANSWERED
        group[i] = request.value
        if line is not None:  # the caller hangs up when the talk ends; the agent goes on with ACW
            env.timeout(callers.talk_s[i]).callbacks.append(lambda _: hang_up(line))
        yield env.timeout(callers.talk_s[i] + callers.acw_s[i])
        pool.release(request.value)

    def source():
        for i, arrived_at_s in enumerate(callers.arrived_at_s.tolist()):
            yield env.timeout(arrived_at_s - env.now)
            env.process(caller(i))

    def staffing():
        for k in range(scenario.n_intervals):
            for g, agents in enumerate(scenario.agents):
                pool.set_staff(g, agents.staffing[k])
            yield env.timeout(scenario.interval_s)
        pool.close()

    env.process(staffing())
    env.process(source())
    env.run()
    assert not (outcome < 0).any(), "a caller never hung up: callers who never abandon are not modelled here"
    return ReferenceDay(outcome=outcome, wait_s=wait_s, group=group)


def supported(scenario, callers) -> bool:
    """Whether the reference model covers this day (see the module doc's "Not yet")."""
    return (callers.callback_u is None and callers.resolve_u is None and callers.priority_u is None
            and all(q.overflow is None for q in scenario.queues)
            and (callers.ivr is None or not (callers.ivr.true_queue >= 0).any())
            and all(np.isfinite(callers.patience_s[callers.queue == q]).all() or spec.max_wait is not None
                    or disconnects for q, (spec, disconnects) in enumerate(zip(scenario.queues,
                                                                               scenario.disconnects_at_close()))))
