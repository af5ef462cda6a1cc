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
        self.entry_joined = array("d")  # kept only when some queue overflows
        self.any_overflow = any(after_s is not None for after_s in self.overflow_after_s)
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
        if self.any_overflow:  # only overflow reads when an entry joined
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
        for q in self.overflow_from[g]:
            if n_waiting[q]:
                after_s = self.overflow_after_s[q]
                for line in self.by_join[q]:
                    while line:
                        e = line[0]
                        if not live[e]:
                            line.popleft()
                        elif deadline[e] < now:
                            line.popleft()
                            self._abandoned(e, q)
                        elif self.entry_joined[e] + after_s <= now:  # as the engine's timer computes it
                            line.popleft()
                            live[e] = 0
                            n_waiting[q] -= 1
                            return self.entry_call[e]
                        else:
                            break  # the longest-waiting of its class is not due: none after it is
        return -1

    def remaining(self) -> Iterator[tuple[int, float]]:
        """(call, deadline) of every entry still waiting, once the day is over."""
        for lines in self.lines:
            for line in lines:
                for e in line:
                    if self.entry_live[e]:
                        yield self.entry_call[e], self.entry_deadline[e]
