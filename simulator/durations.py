"""Durations that change through the day: per-interval factors on talk time, ACW and patience.

A queue's `talk_time_scale`, `acw_scale` and `patience_scale` multiply the duration drawn for a
call by the factor of the interval in which the call arrives; `arrivals.handle_time_s` (what a
forecast's `aht_s` column fills) multiplies every queue's talk and ACW by
handle_time_s[k] / the scenario's mean handle time, so that the calls of interval k have that
mean handle time. Scaling keeps the drawn uniforms (a duration is ppf(u) x factor), so two
scenarios run with the same seed still meet the same callers, only slower or faster.

Whose factors: the queue whose distribution the duration was drawn from (with intents, the
intent's home queue); talk and ACW that of the answering queue, patience that of the first.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scenario import Scenario


@dataclass(frozen=True)
class DurationScales:
    """Factors per queue (rows) and interval (columns)."""

    talk: np.ndarray
    acw: np.ndarray
    patience: np.ndarray


def scenario_mean_handle_time_s(scenario: Scenario) -> float:
    """The mean handle time (talk + ACW) of a call reaching a queue, with the queues' own
    durations: weighted by `queue_shares` without an IVR, by the IVR's exact routing with one
    (with intents, the intents' own durations)."""
    queues = scenario.queues
    own = {q.name: q.talk_time.mean_s + q.acw.mean_s for q in queues}
    if scenario.ivr is not None:
        from .intents import scenario_routing

        routing = scenario_routing(scenario)
        if routing.handle_s is not None:
            own.update(routing.handle_s)
        weights = dict(routing.to_queue)
    elif len(queues) == 1:
        weights = {queues[0].name: 1.0}
    else:
        weights = dict(scenario.arrivals.queue_shares or {})
    total = sum(weights.get(q.name, 0.0) for q in queues)
    if total <= 0:
        return float(np.mean(list(own.values())))
    return float(sum(weights.get(q.name, 0.0) * own[q.name] for q in queues) / total)


def duration_scales(scenario: Scenario) -> DurationScales | None:
    """Every queue's factors per interval; None when every factor is 1 (today's durations)."""
    queues = scenario.queues
    n = scenario.n_intervals
    if scenario.arrivals.handle_time_s is None and not any(
            q.talk_time_scale or q.acw_scale or q.patience_scale for q in queues):
        return None

    def table(key: str) -> np.ndarray:
        return np.array([getattr(q, key) or (1.0,) * n for q in queues], dtype=float)

    talk, acw, patience = table("talk_time_scale"), table("acw_scale"), table("patience_scale")
    if scenario.arrivals.handle_time_s is not None:
        day = np.asarray(scenario.arrivals.handle_time_s, dtype=float) / scenario_mean_handle_time_s(scenario)
        talk, acw = talk * day, acw * day
    return DurationScales(talk=talk, acw=acw, patience=patience)


def interval_of(scenario: Scenario, arrived_at_s) -> np.ndarray:
    """The interval of each arrival time (a call after the last interval counts in the last)."""
    return np.minimum((np.asarray(arrived_at_s) // scenario.interval_s).astype(np.int64), scenario.n_intervals - 1)
