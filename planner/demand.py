"""Demand per queue: the expected calls and handle time each queue's agents must carry, and
which agent group each queue's requirement is planned on.

Expected calls per interval come from `arrivals.calls` (Poisson means). Without an IVR they are
split by `arrivals.queue_shares` (one queue: all of them). With an IVR the share reaching each
queue is the exact expectation of the menu walk (`simulator.ivr.routing_probabilities`: no
sampling, so the plan is deterministic); the announcement's `hang_up_satisfied` (per interval)
removes its share first. Time spent in the IVR (under a minute) is ignored: a call's queue
arrival is counted in the interval in which it called.

A misrouted call lands in the wrong queue W, costs the first agent there the transfer time and
then joins the right queue R at the front. So W's demand gains the call with the transfer time
as handle time, and R's demand gains it with R's own handle time. A queue's handle time is
therefore the call-weighted mean of its own AHT (mean talk + mean ACW of the queue's
distributions) and the transfer times it absorbs.

Durations that change through the day (simulator.durations: a queue's talk_time_scale,
acw_scale, patience_scale, and arrivals.handle_time_s) give a queue a handle time and a mean
patience per interval: the queue's own AHT in interval k is mean talk x talk factor + mean ACW x
ACW factor (with a distribution per interval, `talk_time_by_interval` ...: the mean of interval
k's distribution in place of the queue's mean), and misrouted calls' transfer times are weighted
in as above. (With intents the
queue's intent-mixed AHT is scaled by that same ratio of its own scaled to unscaled AHT.)

Queue requirements are mapped onto groups by the simulator's own rule for who answers a call
first (`simulator.routing.answer_order`): the group that ranks the queue highest in its
`serves` list; ties go to the group serving fewer queues (the specialist), then to the group
listed first.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.durations import duration_scales
from simulator.intents import scenario_routing
from simulator.routing import answer_order
from simulator.scenario import Scenario


@dataclass(frozen=True)
class QueueDemand:
    """What one queue's agents must handle, per interval.

    Attributes:
        queue: queue name.
        calls: expected calls needing this queue's agents per interval: calls routed here,
            calls misrouted here (handled for the transfer time) and calls transferred in.
        first_calls: expected calls whose first queue is this one (routed or misrouted here):
            the denominator of the simulator's service level and abandonment.
        arrival_rates_per_s: calls / interval length.
        mean_handle_time_s: call-weighted mean handle time (own AHT, transfer times).
        own_handle_time_s: mean talk + mean ACW of the queue.
        mean_patience_s: mean of the queue's patience distribution, None if callers never abandon.
        final_calls: expected calls whose final queue is this one (routed here, or transferred in):
            the calls the simulator's per-queue KPIs count (a misrouted caller who hangs up in the
            wrong queue is counted there; that small share is left out here).
        handle_time_by_interval_s: the handle time of each interval when it changes through the
            day (then mean_handle_time_s is their call-weighted mean); () when constant.
        patience_by_interval_s: the mean patience of each interval when it changes; () when constant.
    """

    queue: str
    calls: tuple[float, ...]
    first_calls: tuple[float, ...]
    arrival_rates_per_s: tuple[float, ...]
    mean_handle_time_s: float
    own_handle_time_s: float
    mean_patience_s: float | None
    final_calls: tuple[float, ...] = ()
    handle_time_by_interval_s: tuple[float, ...] = ()
    patience_by_interval_s: tuple[float, ...] = ()

    def handle_time_s(self, k: int) -> float:
        """The handle time of interval k."""
        return self.handle_time_by_interval_s[k] if self.handle_time_by_interval_s else self.mean_handle_time_s

    def patience_s(self, k: int) -> float | None:
        """The mean patience of interval k (None: callers never abandon)."""
        return self.patience_by_interval_s[k] if self.patience_by_interval_s else self.mean_patience_s


def _entering_calls(scenario: Scenario) -> np.ndarray:
    """Expected calls per interval that pass the announcement (all calls without an IVR)."""
    calls = np.asarray(scenario.arrivals.calls, dtype=float)
    if scenario.ivr is not None:
        calls = calls * (1.0 - scenario.ivr.satisfied_share(np.arange(scenario.n_intervals)))
    return calls


def queue_demand(scenario: Scenario) -> list[QueueDemand]:
    """Expected demand on every queue (see the module docstring for the routing)."""
    names = [q.name for q in scenario.queues]
    own_aht = {q.name: q.talk_time.mean_s + q.acw.mean_s for q in scenario.queues}
    direct = dict.fromkeys(names, 0.0)  # share of entering calls, by first queue, correctly routed
    missed_in = dict.fromkeys(names, 0.0)  # share arriving here by mistake
    missed_in_work = dict.fromkeys(names, 0.0)  # share x transfer time
    transferred_in = dict.fromkeys(names, 0.0)
    patience_s = {q.name: None if q.patience is None else float(q.patience.mean_s) for q in scenario.queues}
    if scenario.ivr is not None:
        routing = scenario_routing(scenario)
        if routing.handle_s is not None:  # with intents, the durations are the intents' (the callers')
            own_aht.update(routing.handle_s)
            patience_s.update(routing.patience_s)
        direct.update(routing.to_queue)
        for (wrong, right), p in routing.misroute.items():
            missed_in[wrong] += p
            missed_in_work[wrong] += p * routing.misroute_transfer_s[(wrong, right)]
            transferred_in[right] += p
    elif len(names) == 1:
        direct[names[0]] = 1.0
    else:
        shares = scenario.arrivals.queue_shares or {}
        direct.update({name: float(shares.get(name, 0.0)) for name in names})
    entering = _entering_calls(scenario)
    scales = duration_scales(scenario)
    demands = []
    for q, queue in enumerate(scenario.queues):
        name = queue.name
        share = direct[name] + missed_in[name] + transferred_in[name]
        calls = entering * share
        by_interval: tuple[float, ...] = ()
        patience_by_interval: tuple[float, ...] = ()
        if scales is None:
            own = own_aht[name]
        else:
            talk_s, acw_s = queue.talk_time.mean_s, queue.acw.mean_s
            unscaled = talk_s + acw_s
            scaled = scales.mean_s("talk", q, queue.talk_time) + scales.mean_s("acw", q, queue.acw)
            ratio = scaled / unscaled if unscaled > 0 else scales.talk[q]
            own = own_aht[name] * ratio  # one per interval
            if patience_s[name] is not None:
                patience_ratio = scales.patience[q]
                if scales.patience_by_interval[q] is not None and queue.patience.mean_s > 0:
                    patience_ratio = scales.mean_s("patience", q, queue.patience) / queue.patience.mean_s
                if not np.all(patience_ratio == 1.0):
                    patience_by_interval = tuple(float(patience_s[name] * f) for f in patience_ratio)
        work = (direct[name] + transferred_in[name]) * own + missed_in_work[name]
        aht = work / share if share > 0.0 else own
        if np.ndim(aht):
            if not np.all(aht == aht[0]):
                by_interval = tuple(float(a) for a in aht)
            weights = calls if calls.sum() > 0 else np.ones_like(calls)
            aht = float(np.average(aht, weights=weights))
            own = float(np.average(own, weights=weights))
        demands.append(QueueDemand(
            queue=name,
            calls=tuple(float(c) for c in calls),
            first_calls=tuple(float(c) for c in entering * (direct[name] + missed_in[name])),
            arrival_rates_per_s=tuple(float(c) / scenario.interval_s for c in calls),
            mean_handle_time_s=float(aht),
            own_handle_time_s=float(own),
            mean_patience_s=patience_s[name] if not patience_by_interval else float(
                np.average(patience_by_interval, weights=calls if calls.sum() > 0 else None)),
            final_calls=tuple(float(c) for c in entering * (direct[name] + transferred_in[name])),
            handle_time_by_interval_s=by_interval,
            patience_by_interval_s=patience_by_interval,
        ))
    return demands


def assign_queues_to_groups(scenario: Scenario) -> dict[str, str]:
    """queue -> the group its requirement is planned on: the first group the simulator tries for
    the queue's calls (`simulator.routing.answer_order`; see the module doc)."""
    order = answer_order(scenario)
    return {queue.name: scenario.agents[order[q][0]].name for q, queue in enumerate(scenario.queues)}


def makes_return_calls(scenario: Scenario) -> bool:
    """The simulation makes calls the plan does not: redials, or repeat calls of unresolved issues."""
    returns = scenario.return_calls
    return returns is not None and (returns.redial_probability > 0
                                    or any(q.first_contact_resolution < 1 for q in scenario.queues))


def is_multi_skill(scenario: Scenario) -> bool:
    """Some group serves several queues, or some queue is served by several groups."""
    served = [name for group in scenario.agents for name in group.serves]
    return len(served) != len(set(served)) or any(len(g.serves) > 1 for g in scenario.agents)


def carry_over_rates_per_s(rates_per_s, mean_handle_time_s, interval_s: float) -> tuple[float, ...]:
    """Arrival rates that give each interval the load agents actually carry (carry-over).

    Plain SIPP sizes each interval for its own arrivals as if it were in steady state. But work
    carries over: agents are still busy with calls from a busier interval, and a queue takes time
    to build when volume rises. The modified offered load m(t), the mean number of calls in
    service with unlimited agents, follows m' = lambda(t) - m / AHT (exponential handle times; the
    day starts empty), exactly solvable for piecewise-constant arrivals (Jennings, Mandelbaum,
    Massey & Whitt, "Server staffing to meet time-varying demand", Management Science 1996).
    Each interval is sized for the largest m(t) within it (m is monotone inside an interval:
    its end when load rises, its start when it falls), returned as a rate: m / AHT.
    `mean_handle_time_s` is one number or one per interval (handle times that change through the
    day: the calls in service at an interval's start are taken to finish at that interval's rate,
    an approximation where the AHT steps).
    """
    rates_per_s = list(rates_per_s)
    ahts = (list(mean_handle_time_s) if np.ndim(mean_handle_time_s) else [mean_handle_time_s] * len(rates_per_s))
    in_service = 0.0
    effective = []
    for rate, aht_s in zip(rates_per_s, ahts):
        steady = rate * aht_s
        end = steady + (in_service - steady) * math.exp(-interval_s / aht_s)
        effective.append(max(in_service, end) / aht_s)
        in_service = end
    return tuple(effective)
