"""Routing: which free group answers an arriving call, and which waiting call a free agent takes.

The rules live here, apart from the event loop, as one small policy object (`Routing`) that owns
the waiting lines of every queue. The engine asks it two questions: `answer_groups[q]` (the
groups, in order, whose idle agents may answer a call arriving in queue q) and `take(g, now)`
(the waiting call a free agent of group g takes next, if any).

Today's rules are the default:

* an arriving call of queue q is answered by an idle agent of the groups for which q ranks
  highest in their `serves` list, then of specialists (groups serving fewer queues), then by
  group order (`answer_order`, which the planner uses too);
* a free agent takes the first non-empty queue in its group's `serves` list, first come first
  served within a queue.

Two rules users ask for are added beside them, per queue, in the scenario:

* **priority classes** (`queues[].priority_classes`): each class is a share of the queue's
  calls; a queue keeps one line per class and an agent takes the highest class first (FCFS
  within a class); the unlisted rest are ordinary callers, answered last;
* **overflow** (`queues[].overflow: {after_s, to_groups}`): once a call has waited `after_s`
  in the queue, idle agents of the listed groups may answer it. A free agent of such a group
  takes overflowed calls only when its own queues are empty, the longest-waiting first
  (highest priority class first).

Which agent answers and which call a free agent takes can be changed in the scenario's
`routing` section, each by a rule chosen by name from one registry (`AGENT_SELECTION`,
`CALL_SELECTION`; the schema, its error messages and the docs read them):

* **agent selection** (per queue: which idle agent answers a call that finds several free):
  `group_order` (today's rule above, the default), `longest_idle` (the agent idle longest
  across the eligible groups, ties in group order), `random` (a free eligible agent drawn
  uniformly, from the engine's own random stream);
* **call selection** (per group: which waiting call a free agent takes): `queue_order` (today's
  rule above, the default), `oldest_first` (the call that has waited longest across the queues
  the group serves, whatever its class), `priority_then_age` (the highest priority class across
  those queues, then the longest-waiting). Both compare the heads of the lines, so a queue's
  own order (a transferred call rejoins at the front) is kept; overflowed calls come after.

Waiting calls are entries (ids into parallel arrays), so a call can leave a line from its
middle (taken by an overflow agent, or abandoning) at O(1): its entry is marked dead and
dropped when it reaches the head. A caller whose patience ran out unnoticed (the engine
schedules no event for most abandonments; it knows the deadline) is found the same way, when an
agent reaches it: `on_abandon(call, deadline_s)` tells the engine it left at its deadline.
"""
from __future__ import annotations

from array import array
from bisect import bisect_right
from collections import deque
from heapq import heappop, heappush
from itertools import accumulate
from typing import Callable, Iterator

_NEVER = float("inf")


class GroupOrder:
    """Today's rule: the first eligible group (in answer order) with an idle agent."""

    name = "group_order"
    uses_idle_since = False
    doc = "the first group in the queue's answer order with an idle agent (the default)"

    @staticmethod
    def pick(groups, idle, idle_since, draw) -> int:
        for g in groups:
            if idle[g]:
                return g
        return -1


class LongestIdle:
    """The agent idle longest across the eligible groups (each group's idle agents are kept
    longest-idle first); equal idle times go to the group first in answer order."""

    name = "longest_idle"
    uses_idle_since = True
    doc = "the agent who has been idle longest across the eligible groups"

    @staticmethod
    def pick(groups, idle, idle_since, draw) -> int:
        best, best_since = -1, _NEVER
        for g in groups:
            if idle[g]:
                since = idle_since[idle[g][0]]
                if since < best_since:
                    best, best_since = g, since
        return best


class RandomAgent:
    """A free eligible agent drawn uniformly: a group with probability its share of the idle
    agents. One uniform is drawn only when two groups or more have idle agents."""

    name = "random"
    uses_idle_since = False
    doc = "a free eligible agent drawn at random (uniformly over the idle agents)"

    @staticmethod
    def pick(groups, idle, idle_since, draw) -> int:
        first, last, total = -1, -1, 0
        for g in groups:
            count = len(idle[g])
            if count:
                if first < 0:
                    first = g
                last = g
                total += count
        if first == last:  # none idle, or one group: nothing to draw
            return first
        k = draw() * total  # the k-th idle agent, counted group by group
        for g in groups:
            count = len(idle[g])
            if k < count:
                return g
            k -= count
        return last  # k rounded up to the total


class QueueOrder:
    """Today's rule: the first non-empty queue of the group's `serves` list."""

    name = "queue_order"
    by_age = by_class = False
    doc = "the first non-empty queue in the group's serves list, FCFS within it (the default)"


class OldestFirst:
    name = "oldest_first"
    by_age, by_class = True, False
    doc = "the call that has waited longest across the queues the group serves"


class PriorityThenAge:
    name = "priority_then_age"
    by_age, by_class = True, True
    doc = "the highest priority class across the queues the group serves, then the call that has waited longest"


# the registries: every name a scenario may use, and the rule it names (first = default)
AGENT_SELECTION = {rule.name: rule for rule in (GroupOrder, LongestIdle, RandomAgent)}
CALL_SELECTION = {rule.name: rule for rule in (QueueOrder, OldestFirst, PriorityThenAge)}


def _rules(parts, registry: dict, routing, key: str, by_part: str) -> list:
    """Each part's rule: the routing section's `by_part` override by name, else its `key`, else
    the registry's first (today's) rule."""
    if routing is None:
        return [next(iter(registry.values()))] * len(parts)
    overrides, chosen = getattr(routing, by_part), getattr(routing, key)
    return [registry[overrides.get(part.name, chosen)] for part in parts]


def agent_rules(scenario) -> list:
    """The agent-selection rule of every queue (`routing.agent_selection`, overridden per queue)."""
    return _rules(scenario.queues, AGENT_SELECTION, scenario.routing, "agent_selection", "agent_selection_by_queue")


def call_rules(scenario) -> list:
    """The call-selection rule of every group (`routing.call_selection`, overridden per group)."""
    return _rules(scenario.agents, CALL_SELECTION, scenario.routing, "call_selection", "call_selection_by_group")


def rules_that_matter(scenario) -> tuple[dict[str, str], dict[str, str]]:
    """Where a routing rule other than today's changes something: {queue: agent selection} for
    queues served by several groups, {group: call selection} for groups serving several queues
    (what the planner, whose Erlang view gives each queue one group, must say it cannot represent)."""
    serving = [[g for g in scenario.agents if q.name in g.serves] for q in scenario.queues]
    queues = {q.name: rule.name for q, rule, groups in zip(scenario.queues, agent_rules(scenario), serving)
              if rule is not GroupOrder and len(groups) > 1}
    groups = {g.name: rule.name for g, rule in zip(scenario.agents, call_rules(scenario))
              if rule is not QueueOrder and len(g.serves) > 1}
    return queues, groups


def default_routing(scenario) -> bool:
    """Whether every queue and group uses today's rules."""
    return (all(rule is GroupOrder for rule in agent_rules(scenario))
            and all(rule is QueueOrder for rule in call_rules(scenario)))


def answer_order(scenario) -> list[tuple[int, ...]]:
    """For each queue, the groups that answer it, in the order they are tried: those for which
    the queue ranks highest in `serves` first, then specialists (fewer queues), then by index."""
    serves = [[scenario.queue_index(name) for name in g.serves] for g in scenario.agents]
    order = []
    for q in range(len(scenario.queues)):
        candidates = [g for g in range(len(serves)) if q in serves[g]]
        candidates.sort(key=lambda g: (serves[g].index(q), len(serves[g]), g))
        order.append(tuple(candidates))
    return order


def class_bounds(queue) -> tuple[float, ...]:
    """Cumulative shares of a queue's priority classes: a caller with uniform u is in class
    bisect_right(bounds, u) (0 = highest; len(bounds) = ordinary callers)."""
    return tuple(accumulate(c.share for c in queue.priority_classes or ()))


class Routing:
    """The waiting lines of every queue and the rules that pick from them (see the module doc)."""

    def __init__(self, scenario, on_abandon: Callable[[int, float], None], counted: tuple[bool, ...] = ()):
        queues, groups = scenario.queues, scenario.agents
        group_index = {g.name: index for index, g in enumerate(groups)}
        self.on_abandon = on_abandon
        self.serves = [tuple(scenario.queue_index(name) for name in g.serves) for g in groups]
        self.answer_order = answer_order(scenario)
        self.bounds = [class_bounds(q) for q in queues]
        self.overflow_after_s = [q.overflow.after_s if q.overflow else None for q in queues]
        self.overflow_groups = [tuple(group_index[name] for name in q.overflow.to_groups) if q.overflow else ()
                                for q in queues]
        # groups tried for an arriving call; overflow groups too when calls overflow at once
        self.answer_groups = [order + (self.overflow_groups[q] if self.overflow_after_s[q] == 0 else ())
                              for q, order in enumerate(self.answer_order)]
        self.overflow_from = [tuple(q for q in range(len(queues)) if g in self.overflow_groups[q])
                              for g in range(len(groups))]
        # lines[q][c]: entries of class c waiting in queue q; overflow queues keep the same
        # entries a second time in order of joining (longest-waiting first), per class
        self.lines = [[deque() for _ in range(len(b) + 1)] for b in self.bounds]
        self.by_join = [[deque() for _ in range(len(b) + 1)] if q.overflow else None
                        for b, q in zip(self.bounds, queues)]
        self.n_waiting = [0] * len(queues)  # live entries (callers whose patience ran out unnoticed included)
        self.entry_call = array("i")
        self.entry_deadline = array("d")  # when the caller abandons if nobody takes it (inf: never, or the engine watches)
        self.entry_joined = array("d")  # kept only when some queue overflows or a group takes calls by age
        self.call_rules = call_rules(scenario)
        self.keeps_joined = (any(after_s is not None for after_s in self.overflow_after_s)
                             or any(rule.by_age for rule in self.call_rules))
        if any(rule.by_age for rule in self.call_rules):
            self.take = self._take_by_rule
        self.entry_live = bytearray()
        # queues whose exact number of waiting callers is asked for (`waiting_now`): their
        # deadlines are also kept in a heap, so callers whose patience ran out are counted out
        self.deadlines = [[] if counted and counted[q] else None for q in range(len(queues))]

    def line_of(self, q: int, priority_u: float) -> int:
        bounds = self.bounds[q]
        return bisect_right(bounds, priority_u) if bounds else 0

    def join(self, i: int, q: int, now: float, priority_u: float = 0.0, deadline_s: float = _NEVER,
             at_front: bool = False) -> int:
        """Call i joins queue q (at the back of its class, or the front); returns its entry."""
        e = len(self.entry_call)
        self.entry_call.append(i)
        self.entry_deadline.append(deadline_s)
        if self.keeps_joined:  # only overflow and the age rules read when an entry joined
            self.entry_joined.append(now)
        self.entry_live.append(1)
        bounds = self.bounds[q]  # self.line_of(q, priority_u), written out (once per waiting call)
        c = bisect_right(bounds, priority_u) if bounds else 0
        if at_front:
            self.lines[q][c].appendleft(e)
        else:
            self.lines[q][c].append(e)
        by_join = self.by_join[q]
        if by_join is not None:
            by_join[c].append(e)
        deadlines = self.deadlines[q]
        if deadlines is not None and deadline_s < _NEVER:
            heappush(deadlines, (deadline_s, e))
        self.n_waiting[q] += 1
        return e

    def waiting_now(self, q: int, now: float) -> int:
        """Callers waiting in queue q now (those whose patience ran out before now have left).
        Only for the queues given as `counted`."""
        deadlines = self.deadlines[q]
        while deadlines and deadlines[0][0] < now:
            _, e = heappop(deadlines)
            if self.entry_live[e]:
                self._abandoned(e, q)
        return self.n_waiting[q]

    def leave(self, e: int, q: int) -> bool:
        """Entry e leaves queue q now (abandons, or is taken by the caller of this); False if it had already."""
        if not self.entry_live[e]:
            return False
        self.entry_live[e] = 0
        self.n_waiting[q] -= 1
        return True

    def is_waiting(self, e: int) -> bool:
        """Whether entry e still waits (nobody took it, it did not leave)."""
        return bool(self.entry_live[e])

    def waiting_call(self, e: int, q: int, now: float) -> int:
        """The call of entry e if it still waits in queue q, else -1."""
        if not self.entry_live[e]:
            return -1
        if self.entry_deadline[e] < now:
            self._abandoned(e, q)
            return -1
        return self.entry_call[e]

    def _abandoned(self, e: int, q: int) -> None:
        self.entry_live[e] = 0
        self.n_waiting[q] -= 1
        self.on_abandon(self.entry_call[e], self.entry_deadline[e])

    def take(self, g: int, now: float) -> int:
        """The waiting call a free agent of group g takes now (removed from its line), or -1."""
        n_waiting = self.n_waiting
        live = self.entry_live
        deadline = self.entry_deadline
        for q in self.serves[g]:
            if n_waiting[q]:
                for line in self.lines[q]:
                    while line:
                        e = line.popleft()
                        if not live[e]:
                            continue
                        if deadline[e] < now:  # its patience ran out before an agent came: it left then
                            self._abandoned(e, q)
                            continue
                        live[e] = 0
                        n_waiting[q] -= 1
                        return self.entry_call[e]
        return self._take_overflowed(g, now) if self.overflow_from[g] else -1

    def _take_by_rule(self, g: int, now: float) -> int:
        """`take` when some group takes calls by age: each group by its own rule."""
        rule = self.call_rules[g]
        if not rule.by_age:
            return Routing.take(self, g, now)
        n_waiting, joined = self.n_waiting, self.entry_joined
        best_line, best_q, best_key = None, -1, None
        for q in self.serves[g]:
            if not n_waiting[q]:
                continue
            n_classes = len(self.bounds[q])
            for c, line in enumerate(self.lines[q]):
                e = self._head(line, q, now)
                if e < 0:
                    continue
                # ordinary callers (c == n_classes) rank below every class of every queue
                key = ((c if c < n_classes else _NEVER) if rule.by_class else 0.0, joined[e])
                if best_key is None or key < best_key:  # ties: the queue first in serves, the higher class
                    best_line, best_q, best_key = line, q, key
                if rule.by_class:
                    break  # this queue's best class is its first non-empty one
        if best_line is not None:
            e = best_line.popleft()
            self.entry_live[e] = 0
            n_waiting[best_q] -= 1
            return self.entry_call[e]
        return self._take_overflowed(g, now) if self.overflow_from[g] else -1

    def _head(self, line, q: int, now: float) -> int:
        """The first live entry of a line (dropping the dead, and callers whose patience ran
        out before now, who left then), or -1."""
        live, deadline = self.entry_live, self.entry_deadline
        while line:
            e = line[0]
            if not live[e]:
                line.popleft()
            elif deadline[e] < now:
                line.popleft()
                self._abandoned(e, q)
            else:
                return e
        return -1

    def _take_overflowed(self, g: int, now: float) -> int:
        """The overflowed call a free agent of group g takes when its own queues are empty, or -1."""
        n_waiting = self.n_waiting
        for q in self.overflow_from[g]:
            if n_waiting[q]:
                after_s = self.overflow_after_s[q]
                for line in self.by_join[q]:
                    # the longest-waiting of its class; if it is not due, none after it is
                    e = self._head(line, q, now)
                    if e >= 0 and self.entry_joined[e] + after_s <= now:  # as the engine's timer computes it
                        line.popleft()
                        self.entry_live[e] = 0
                        n_waiting[q] -= 1
                        return self.entry_call[e]
        return -1

    def drain(self, q: int) -> list[tuple[int, float]]:
        """Every call still waiting in queue q, taken out of its lines: (call, deadline), in line
        order, class by class (at the close of a queue that disconnects its callers)."""
        drained = []
        for line in self.lines[q]:
            while line:
                e = line.popleft()
                if self.entry_live[e]:
                    self.entry_live[e] = 0
                    self.n_waiting[q] -= 1
                    drained.append((self.entry_call[e], self.entry_deadline[e]))
        return drained

    def remaining(self) -> Iterator[tuple[int, float]]:
        """(call, deadline) of every entry still waiting, once the day is over."""
        for lines in self.lines:
            for line in lines:
                for e in line:
                    if self.entry_live[e]:
                        yield self.entry_call[e], self.entry_deadline[e]
