"""The IVR funnel: per menu and option, how many calls entered, chose, hung up, were contained
or misrouted, counted per replication over the calls that were really simulated.

The walks are pure functions of the random streams, so the funnel is counted after the day
from the call records, without the engine: the first calls' walks note their events in a
`Trace` as `draw_callers` draws them (or are drawn again: the same streams give the same
walks), callers the announcement satisfied are taken out, and every redial / repeat call is the pool row `ReturnCallPool` handed it (the pool hands
rows out in the order the calls are made, which is the records' order after the first calls;
a redial keeps its caller's intent, which the records give through `caller`). Unused pool rows
are never counted.

`expected_funnel` is the exact expectation per caller entering the menus, for tests, checks and
the menu diagram. The JSON form in kpis.json is presentation's (`presentation.funnel_output`).
"""
from __future__ import annotations

import numpy as np

from .callers import FIRST, ReturnCallPool, first_call_streams, ivr_paths, return_call_walks
from .funnel_trace import FunnelLayout, Trace, layout_of
from .intents import intent_routing, intent_shares
from .ivr import IvrPaths, expected_walk
from .scenario import Scenario


def funnel_layout(scenario: Scenario) -> FunnelLayout:
    return layout_of(scenario.ivr, len(scenario.queues))


def _intervals(scenario: Scenario, arrived_at_s: np.ndarray) -> np.ndarray:
    return np.minimum((arrived_at_s // scenario.interval_s).astype(np.int64), scenario.n_intervals - 1)


def _count(layout: FunnelLayout, trace: Trace, rows: np.ndarray, satisfied: np.ndarray, size: int) -> np.ndarray:
    """Counts over the events of walk rows `rows` (each once per use), without the satisfied ones."""
    callers, counters = trace.events()
    uses = np.bincount(rows[~satisfied], minlength=size)
    weight = uses[callers]
    counts = np.bincount(counters, weights=weight, minlength=len(layout)).astype(float)
    counts[layout.index[("entered",)]] += len(rows)
    counts[layout.index[("announcement",)]] += satisfied.sum()
    counts[layout.index[("contained",)]] += satisfied.sum()
    return counts


def replication_funnel(scenario: Scenario, seed: int, replication: int, records,
                       first: tuple[IvrPaths, Trace] | None = None) -> np.ndarray:
    """The funnel counters (see `funnel_layout`) of one simulated day, from its call records.
    `first`: the first calls' walks and the trace noted while drawing them (`draw_callers`
    with a trace), else they are drawn again from their streams (the same walks)."""
    layout = funnel_layout(scenario)
    ivr = scenario.ivr
    n_first = int((records.kind == FIRST).sum())
    # the first calls are the records' first rows, in arrival order, as they were drawn
    interval = _intervals(scenario, records.arrived_at_s[:n_first])
    if first is None:
        trace = Trace(layout)
        paths = ivr_paths(scenario, n_first, first_call_streams(seed, replication), interval, trace=trace)
    else:
        paths, trace = first
    satisfied = paths.announce_u < ivr.satisfied_share(interval)
    counts = _count(layout, trace, np.arange(n_first), satisfied, n_first)
    n_returns = len(records) - n_first
    size = ReturnCallPool.BATCH
    for b in range((n_returns + size - 1) // size):
        calls = np.arange(n_first + b * size, min(n_first + (b + 1) * size, len(records)))
        rows = calls - n_first - b * size
        trace = Trace(layout)
        batch = return_call_walks(scenario, seed, replication, b, trace)
        if scenario.intents:  # the row of the caller's intent
            rows = rows + size * paths.intent[records.caller[calls]].astype(np.int64)
        satisfied = batch.announce_u[rows] < ivr.satisfied_share(_intervals(scenario, records.arrived_at_s[calls]))
        counts += _count(layout, trace, rows, satisfied, len(batch.route))
    return counts


# --- the exact expectation ------------------------------------------------------------------


def expected_funnel(scenario: Scenario, interval: int = 0) -> np.ndarray:
    """Expected count of every funnel counter per call entering the menus (announcement not
    included; with intents, their shares in `interval`). Counters other than `replays` are 0/1
    per call (each menu is heard at most once: the menus form a DAG), so they are probabilities."""
    ivr = scenario.ivr
    layout = funnel_layout(scenario)
    if scenario.intents:
        shares = intent_shares(scenario.intents, scenario.n_intervals)[:, interval]
        expected, _ = intent_routing(ivr, scenario.intents, scenario.queues, shares, layout)
    else:
        expected = expected_walk(ivr, [q.name for q in scenario.queues], layout).expected
    expected[layout.index[("entered",)]] = 1.0
    return expected
