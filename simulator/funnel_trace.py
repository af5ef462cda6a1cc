"""What the IVR walks note for the funnel: one counter per menu, option, self-service and queue.

The walks (`simulator.ivr.walk`, `simulator.intents.intent_walk`) are vectorised menu by menu,
so they note *events* as (callers, counter) pairs while they go; the funnel of a replication is
then a bincount over the events of the calls that were really simulated (`simulator.funnel`).
Nothing here draws random numbers: noting the walk leaves every stream exactly as it was.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

MENU_COUNTS = ("entered", "replays", "hung_up", "timed_out")
OPTION_COUNTS = ("chose", "contained", "misrouted")
SERVICE_COUNTS = ("entered", "contained", "failed")


@dataclass(frozen=True)
class FunnelLayout:
    """The funnel's counters, numbered: `index[key]` for keys like ("menu", m, "entered"),
    ("option", m, o, "chose"), ("self_service", s, "failed"), ("queue", q), ("entered",),
    ("announcement",), ("contained",), ("hung_up",), ("misrouted",)."""

    n_options: tuple[int, ...]  # per menu
    n_services: int
    n_queues: int

    @cached_property
    def keys(self) -> tuple[tuple, ...]:
        keys: list[tuple] = [("entered",), ("announcement",), ("contained",), ("hung_up",), ("misrouted",)]
        for m, n in enumerate(self.n_options):
            keys += [("menu", m, what) for what in MENU_COUNTS]
            keys += [("option", m, o, what) for o in range(n) for what in OPTION_COUNTS]
        keys += [("self_service", s, what) for s in range(self.n_services) for what in SERVICE_COUNTS]
        keys += [("queue", q) for q in range(self.n_queues)]
        return tuple(keys)

    @cached_property
    def index(self) -> dict[tuple, int]:
        return {key: i for i, key in enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self.keys)


def layout_of(ivr, n_queues: int) -> FunnelLayout:
    return FunnelLayout(tuple(len(m.options) for m in ivr.menus), len(ivr.self_service), n_queues)


class Trace:
    """Events noted during one walk of `n` callers: `note(callers, key)`; `events()` gives
    (caller index, counter index) arrays, sorted by caller."""

    def __init__(self, layout: FunnelLayout):
        self.layout = layout
        self._callers: list[np.ndarray] = []
        self._counters: list[int] = []

    def note(self, callers: np.ndarray, key: tuple) -> None:
        if len(callers):
            self._callers.append(np.asarray(callers, dtype=np.int64))
            self._counters.append(self.layout.index[key])

    def events(self) -> tuple[np.ndarray, np.ndarray]:
        if not self._callers:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        callers = np.concatenate(self._callers)
        counters = np.repeat(np.asarray(self._counters, dtype=np.int32), [len(c) for c in self._callers])
        order = np.argsort(callers, kind="stable")
        return callers[order], counters[order]
