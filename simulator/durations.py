"""Durations that change through the day: per-interval factors on talk time, ACW and patience.

A queue's `talk_time_scale`, `acw_scale` and `patience_scale` multiply the duration drawn for a
call by the factor of the interval in which the call arrives; `arrivals.handle_time_s` (what a
forecast's `aht_s` column fills) multiplies every queue's talk and ACW by
handle_time_s[k] / the scenario's mean handle time, so that the calls of interval k have that
mean handle time. Scaling keeps the drawn uniforms (a duration is ppf(u) x factor), so two
scenarios run with the same seed still meet the same callers, only slower or faster.

A queue's `talk_time_by_interval`, `acw_by_interval` and `patience_by_interval` go one step
further: one distribution per interval, a call arriving in interval k drawing from entry k with
the same uniform (ppf(u) of that entry; `arrivals.handle_time_s` still multiplies it). A queue
gives a duration one way or the other, never both (the schema refuses it), so its factor is 1
where it has distributions. With intents, a caller whose intent has its own distribution keeps
it; the others draw from their home queue's entry, as they would from its `talk_time`.

Whose factors: the queue whose distribution the duration was drawn from (with intents, the
intent's home queue); talk and ACW that of the answering queue, patience that of the first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .intents import scenario_mean_handle_time_s

if TYPE_CHECKING:
    from .scenario import Scenario


@dataclass(frozen=True)
class DurationScales:
    """Factors per queue (rows) and interval (columns)."""

    talk: np.ndarray
    acw: np.ndarray
    patience: np.ndarray
    # per queue: its distributions per interval (`talk_time_by_interval`, ...), or None
    talk_by_interval: tuple = ()
    acw_by_interval: tuple = ()
    patience_by_interval: tuple = ()

    @property
    def by_interval(self) -> bool:
        """Whether some queue draws a duration from a distribution per interval."""
        return any(d is not None for d in self.talk_by_interval + self.acw_by_interval + self.patience_by_interval)

    def mean_s(self, what: str, q: int, day) -> np.ndarray:
        """The mean `what` ("talk", "acw" or "patience") of queue q's calls in each interval, from
        its distribution per interval or `day` (its one distribution), times the factors."""
        dists = getattr(self, f"{what}_by_interval")[q] if getattr(self, f"{what}_by_interval") else None
        means = np.array([d.mean_s for d in dists], dtype=float) if dists is not None else float(day.mean_s)
        return means * getattr(self, what)[q]


def duration_scales(scenario: Scenario) -> DurationScales | None:
    """Every queue's factors per interval; None when every factor is 1 (today's durations)."""
    queues = scenario.queues
    n = scenario.n_intervals
    if scenario.arrivals.handle_time_s is None and not any(
            q.talk_time_scale or q.acw_scale or q.patience_scale
            or q.talk_time_by_interval or q.acw_by_interval or q.patience_by_interval for q in queues):
        return None

    def table(key: str) -> np.ndarray:
        return np.array([getattr(q, key) or (1.0,) * n for q in queues], dtype=float)

    talk, acw, patience = table("talk_time_scale"), table("acw_scale"), table("patience_scale")
    if scenario.arrivals.handle_time_s is not None:
        day = np.asarray(scenario.arrivals.handle_time_s, dtype=float) / scenario_mean_handle_time_s(scenario)
        talk, acw = talk * day, acw * day
    return DurationScales(talk=talk, acw=acw, patience=patience,
                          talk_by_interval=tuple(q.talk_time_by_interval for q in queues),
                          acw_by_interval=tuple(q.acw_by_interval for q in queues),
                          patience_by_interval=tuple(q.patience_by_interval for q in queues))


def draw_by_interval(dists_by_queue: tuple, owner: np.ndarray, interval: np.ndarray, u: np.ndarray,
                     drawn: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """`drawn` with the calls of queues that have a distribution per interval redrawn: call i
    (of queue owner[i], arriving in interval[i]) gets ppf(u[i]) of that queue's entry for its
    interval; `keep` marks calls left as drawn (an intent's own distribution)."""
    out = drawn.copy()
    for q, dists in enumerate(dists_by_queue):
        if dists is None:
            continue
        mine = owner == q
        if keep is not None:
            mine &= ~keep
        for k, dist in enumerate(dists):
            mask = mine & (interval == k)
            if mask.any():
                out[mask] = dist.ppf(u[mask])
    return out


def interval_of(scenario: Scenario, arrived_at_s) -> np.ndarray:
    """The interval of each arrival time (a call after the last interval counts in the last)."""
    return np.minimum((np.asarray(arrived_at_s) // scenario.interval_s).astype(np.int64), scenario.n_intervals - 1)
