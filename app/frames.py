"""The replay's states of the call centre, read from one simulated day's call records (no
widgets, no simulation): at each frame time, callers waiting per queue, agents talking / in
after-call work / idle per group, and abandonments and callbacks so far in the window.

Definitions (per call i, simulation seconds):
* waiting in queue q: `queue[i] == q` and queued_at <= t < queued_at + wait_s, with
  queued_at = arrived_at_s + ivr_s (every outcome: answered, abandoned, callback accepted...).
* talking in group g: answered or completed-callback calls of group g with
  talk_start <= t < talk_start + talk_s; talk_start = queued_at + wait_s (plus the callback
  delay for a callback). A transferred call's first agent is counted as busy (below), not talking.
* busy in group g: the engine's busy spans (talk + ACW, transfers, callback attempts); after-call
  work and other work = busy - talking.
* on shift: the group's staffing in t's interval (plus agents finishing past their shift);
  idle = on shift - busy, never below 0.
* abandoned / callbacks so far: events since the window's start (abandon at queued_at + wait_s;
  a callback accepted at queued_at + wait_s).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.records import CALLBACK_ACCEPTED, Outcome, ReplicationResult
from simulator.scenario import Scenario


@dataclass(frozen=True)
class Frames:
    times_s: np.ndarray  # (frames,)
    clocks: tuple[str, ...]
    waiting: dict[str, np.ndarray]  # queue name -> (frames,)
    talking: dict[str, np.ndarray]  # group name -> (frames,)
    after_call: dict[str, np.ndarray]
    idle: dict[str, np.ndarray]
    abandoned: np.ndarray  # cumulative in the window
    callbacks: np.ndarray  # callbacks accepted, cumulative in the window


def _count_active(starts: np.ndarray, ends: np.ndarray, times: np.ndarray) -> np.ndarray:
    """How many spans [start, end) contain each time (sorted searches, no loop over calls)."""
    s = np.sort(starts)
    e = np.sort(ends)
    return (np.searchsorted(s, times, side="right") - np.searchsorted(e, times, side="right")).astype(int)


def talk_start_s(day: ReplicationResult) -> np.ndarray:
    r = day.records
    start = r.arrived_at_s + r.ivr_s + r.wait_s
    delay = np.where(np.isfinite(r.callback_delay_s), r.callback_delay_s, 0.0)
    return np.where(r.outcome == Outcome.CALLBACK_COMPLETED, start + delay, start)


def replay_frames(day: ReplicationResult, scenario: Scenario, start_s: float, end_s: float, step_s: float) -> Frames:
    r = day.records
    times = np.arange(start_s, end_s + step_s / 2, step_s)
    queued_at = r.arrived_at_s + r.ivr_s
    waited = r.wait_s > 0
    waiting = {}
    for q, queue in enumerate(scenario.queues):
        mask = waited & (r.queue == q)
        waiting[queue.name] = _count_active(queued_at[mask], queued_at[mask] + r.wait_s[mask], times)
    served = (r.outcome == Outcome.ANSWERED) | (r.outcome == Outcome.CALLBACK_COMPLETED)
    talk_from = talk_start_s(day)
    interval = np.clip((times // scenario.interval_s).astype(int), 0, scenario.n_intervals - 1)
    after_day = times >= day.day_end_s
    talking, after_call, idle = {}, {}, {}
    for g, group in enumerate(scenario.agents):
        mask = served & (r.group == g)
        talk = _count_active(talk_from[mask], talk_from[mask] + r.talk_s[mask], times)
        spans = day.busy_group == g
        busy = _count_active(day.busy_start_s[spans], day.busy_end_s[spans], times)
        over = day.overtime_group == g
        overtime = _count_active(day.overtime_start_s[over], day.overtime_end_s[over], times)
        on_shift = np.where(after_day, 0, np.asarray(group.staffing)[interval]) + overtime
        talking[group.name] = np.minimum(talk, busy)
        after_call[group.name] = busy - talking[group.name]
        idle[group.name] = np.maximum(on_shift - busy, 0)
    ended_at = queued_at + r.wait_s
    abandoned = np.sort(ended_at[(r.outcome == Outcome.ABANDONED) & (ended_at >= start_s)])
    accepted = np.sort(ended_at[((r.flags & CALLBACK_ACCEPTED) != 0) & (ended_at >= start_s)])
    return Frames(
        times_s=times, clocks=tuple(scenario.clock_at(float(t)) for t in times), waiting=waiting,
        talking=talking, after_call=after_call, idle=idle,
        abandoned=np.searchsorted(abandoned, times, side="right"),
        callbacks=np.searchsorted(accepted, times, side="right"))


def calls_in_window(day: ReplicationResult, start_s: float, end_s: float, limit: int) -> np.ndarray:
    """Indices of the calls in the system during [start_s, end_s), by arrival, at most `limit`
    (spread evenly over the window when there are more)."""
    r = day.records
    finish = talk_start_s(day) + np.where(np.isfinite(r.talk_s), r.talk_s + r.acw_s, 0.0)
    finish = np.maximum(finish, r.arrived_at_s + r.ivr_s + r.wait_s)
    chosen = np.flatnonzero((r.arrived_at_s < end_s) & (finish >= start_s))
    chosen = chosen[np.argsort(r.arrived_at_s[chosen], kind="stable")]
    if len(chosen) > limit:
        chosen = chosen[np.linspace(0, len(chosen) - 1, limit).round().astype(int)]
    return chosen


def calls_at(day: ReplicationResult, at_s: float) -> np.ndarray:
    """Calls in the system (in the IVR, waiting, talking or in ACW) at `at_s`, by arrival."""
    r = day.records
    finish = talk_start_s(day) + r.talk_s + r.acw_s
    served = (r.outcome == Outcome.ANSWERED) | (r.outcome == Outcome.CALLBACK_COMPLETED)
    finish = np.where(served, finish, r.arrived_at_s + r.ivr_s + r.wait_s)
    chosen = np.flatnonzero((r.arrived_at_s <= at_s) & (finish > at_s))
    return chosen[np.argsort(r.arrived_at_s[chosen], kind="stable")]
