"""Drawing callers: arrival times and every random attribute, before the simulation runs.

Each attribute comes from its own random stream (simulator.randomness), drawn vectorised by
inverse transform, so two scenarios run with the same seed meet the same callers (common
random numbers) and the event loop does no sampling for ordinary calls. Redials and repeat
calls are created during the run; their attributes come from batches drawn the same way from
the RETURN_CALLS stream, consumed in the order the calls are made.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Callable

import numpy as np

from .columns import make_callers_class
from .durations import draw_by_interval, duration_scales, interval_of
from .funnel_trace import Trace
from .intents import draw_intents, intent_walk
from .ivr import CONTAINED, IvrPaths, apply_announcement, walk
from .randomness import Stream, generator, generator_at
from .scenario import Scenario

# Call kinds: why a call was made
FIRST, REDIAL, REPEAT = 0, 1, 2


# Callers is made from the per-call column table (simulator.columns): its drawn columns.
Callers = make_callers_class(__name__)


def uses_callbacks(scenario: Scenario) -> bool:
    return any(q.callback is not None for q in scenario.queues)


def uses_return_calls(scenario: Scenario) -> bool:
    return scenario.return_calls is not None


def uses_priority_classes(scenario: Scenario) -> bool:
    return any(q.priority_classes for q in scenario.queues)


def ivr_paths(scenario: Scenario, n: int, rng: Callable[..., np.random.Generator], interval: np.ndarray | None = None,
              intent: np.ndarray | None = None, trace: Trace | None = None) -> IvrPaths:
    """The walks of `n` callers through the scenario's IVR (share-based, or by intent: each
    caller's intent drawn by the shares of its `interval`, unless `intent` gives it).
    `rng(stream, *sub)` is the generator of a stream (or of its sub-stream)."""
    queues = scenario.queues
    if not scenario.intents:
        return walk(scenario.ivr, [q.name for q in queues], n, rng(Stream.IVR), trace)
    u = rng(Stream.INTENT).random((2, n))
    if intent is None:
        interval = np.zeros(n, dtype=np.int64) if interval is None else interval
        intent = draw_intents(scenario.intents, scenario.n_intervals, interval, u[0])
    return intent_walk(scenario.ivr, scenario.intents, queues, np.asarray(intent, dtype=np.int16), u[1], rng(Stream.IVR),
                       lambda k: rng(Stream.IVR_VISITS, k), lambda j: rng(Stream.SELF_SERVICE, j), trace)


def _remapped_resolution(u: np.ndarray, wanted: np.ndarray, tested: np.ndarray) -> np.ndarray:
    """A uniform moved so that the engine's test `u' < tested` (the queue's FCR) holds exactly
    when `u < wanted` (the intent's FCR); monotone and piecewise linear, so u' stays uniform
    wherever the two agree. Below every FCR (-1) where the queue's FCR is 0."""
    below = u < wanted
    safe_wanted = np.where(wanted > 0, wanted, 1.0)
    safe_rest = np.where(wanted < 1, 1.0 - wanted, 1.0)
    low = np.where(tested > 0, u * tested / safe_wanted, -1.0)
    high = tested + (u - wanted) * (1.0 - tested) / safe_rest
    return np.where(below, low, np.maximum(high, tested))


def draw_attributes(scenario: Scenario, n: int, rng: Callable[..., np.random.Generator],
                    interval: np.ndarray | None = None, intent: np.ndarray | None = None,
                    trace: Trace | None = None, queue: np.ndarray | None = None) -> dict:
    """Every attribute of `n` calls except arrival times and busyness (see Callers).
    `interval` (each call's interval) picks the intent shares (see ivr_paths) and the
    durations' per-interval factors (simulator.durations); without it (return calls, whose
    arrival time is not known yet) the durations are left unscaled and, where factors exist,
    `talk_owner` and `patience_owner` name the queue whose factors ReturnCallPool.take applies;
    `queue`, without an IVR, fixes each call's queue instead of drawing it by the shares."""
    queues = scenario.queues
    out: dict = {}
    intents = scenario.intents
    if scenario.ivr is not None:
        paths = ivr_paths(scenario, n, rng, interval, intent, trace)
        out["ivr"] = paths
        # talk time, patience, ... belong to the queue that finally answers (with intents: to the intent)
        queue = np.where(paths.true_queue >= 0, paths.true_queue, paths.route).astype(np.int16)
        first_queue = paths.route
    else:
        if queue is not None:
            first_queue = np.asarray(queue, dtype=np.int16)
        elif len(queues) == 1:
            first_queue = np.zeros(n, dtype=np.int16)
        else:
            shares = scenario.arrivals.queue_shares or {}
            cumulative = np.cumsum([shares.get(q.name, 0.0) for q in queues])
            u_route = rng(Stream.ROUTING).random(n)
            first_queue = np.minimum(np.searchsorted(cumulative, u_route, side="right"), len(queues) - 1).astype(np.int16)
        queue = first_queue
    u_talk = rng(Stream.TALK).random(n)
    u_acw = rng(Stream.ACW).random(n)
    u_patience = rng(Stream.PATIENCE).random(n)
    talk = np.zeros(n)
    acw = np.zeros(n)
    patience = np.full(n, np.inf)
    if intents:
        # the caller's need, not the design, sets every duration: the same person in every design
        names = [q.name for q in queues]
        for index, spec in enumerate(intents):
            mask = paths.intent == index
            home = queues[names.index(spec.queue)]
            talk[mask] = (spec.talk_time or home.talk_time).ppf(u_talk[mask])
            acw[mask] = (spec.acw or home.acw).ppf(u_acw[mask])
            waits = spec.patience or home.patience
            if waits is not None:
                patience[mask] = waits.ppf(u_patience[mask])
    else:
        for index, spec in enumerate(queues):
            mask = queue == index
            talk[mask] = spec.talk_time.ppf(u_talk[mask])
            acw[mask] = spec.acw.ppf(u_acw[mask])
            joined = first_queue == index  # patience is the first queue's caller behaviour
            if spec.patience is not None:
                patience[joined] = spec.patience.ppf(u_patience[joined])
    scales = duration_scales(scenario)
    if scales is not None:
        if intents:
            names = [q.name for q in queues]
            home = np.array([names.index(spec.queue) for spec in intents])[paths.intent]
            talk_owner = patience_owner = home
        else:
            talk_owner, patience_owner = np.maximum(queue, 0), np.maximum(first_queue, 0)
        keep = _own_distributions(intents, paths.intent) if intents else dict.fromkeys(("talk", "acw", "patience"))
        if interval is None:
            out.update(talk_owner=talk_owner, patience_owner=patience_owner)
            if scales.by_interval:  # ReturnCallPool.take draws from the call's own interval's entry
                out.update(talk_u=u_talk, acw_u=u_acw, patience_u=u_patience,
                           **{f"{what}_kept": kept for what, kept in keep.items() if kept is not None})
        else:
            if scales.by_interval:
                talk = draw_by_interval(scales.talk_by_interval, talk_owner, interval, u_talk, talk, keep["talk"])
                acw = draw_by_interval(scales.acw_by_interval, talk_owner, interval, u_acw, acw, keep["acw"])
                patience = draw_by_interval(scales.patience_by_interval, patience_owner, interval, u_patience, patience,
                                            keep["patience"])
            talk = talk * scales.talk[talk_owner, interval]
            acw = acw * scales.acw[talk_owner, interval]
            patience = patience * scales.patience[patience_owner, interval]
    out.update(queue=first_queue, talk_s=talk, acw_s=acw, patience_s=patience, balk_u=rng(Stream.BALK).random(n))
    if uses_callbacks(scenario):
        u = rng(Stream.CALLBACK).random((2, n))
        out["callback_u"] = u[0]
        wait = np.zeros(n)
        for index, spec in enumerate(queues):
            if spec.callback is not None and spec.callback.delay is not None:
                mask = first_queue == index
                wait[mask] = spec.callback.delay.ppf(u[1][mask])
        out["callback_wait_s"] = wait
    if uses_return_calls(scenario):
        returns = scenario.return_calls
        out["resolve_u"] = rng(Stream.RESOLUTION).random(n)
        if intents:
            # the engine tests the answering queue's FCR (the intent's queue): move the uniform
            # so that the test gives the intent's own FCR
            names = [q.name for q in queues]
            home = [queues[names.index(i.queue)] for i in intents]
            wanted = np.array([i.first_contact_resolution if i.first_contact_resolution is not None
                               else q.first_contact_resolution for i, q in zip(intents, home)])[paths.intent]
            tested = np.array([q.first_contact_resolution for q in home])[paths.intent]
            out["resolve_u"] = _remapped_resolution(out["resolve_u"], wanted, tested)
        u = rng(Stream.REDIAL).random((3, n))
        out["redial_u"] = u[0]
        out["redial_delay_s"] = returns.redial_delay.ppf(u[1])
        out["repeat_delay_s"] = returns.repeat_delay.ppf(u[2])
    if uses_priority_classes(scenario):
        # one uniform per call; the class follows from the shares of the queue the call waits in
        out["priority_u"] = rng(Stream.PRIORITY).random(n)
    return out


def _own_distributions(intents, intent: np.ndarray) -> dict[str, np.ndarray]:
    """Per duration, the callers whose intent has its own distribution (kept whatever the
    interval: a queue's distributions per interval stand in for the queue's, not the intent's)."""
    return {what: np.array([getattr(spec, field) is not None for spec in intents])[intent]
            for what, field in (("talk", "talk_time"), ("acw", "acw"), ("patience", "patience"))}


def _decide_announcement(scenario: Scenario, attributes: dict, arrived_at_s: np.ndarray) -> None:
    if scenario.ivr is not None and scenario.ivr.announcement is not None:
        interval = np.minimum((arrived_at_s // scenario.interval_s).astype(np.int64), scenario.n_intervals - 1)
        paths = attributes["ivr"]
        satisfied = paths.announce_u < scenario.ivr.satisfied_share(interval)
        attributes["ivr"] = apply_announcement(paths, satisfied)
        attributes["queue"] = attributes["ivr"].route


def first_call_streams(seed: int, replication: int) -> Callable[..., np.random.Generator]:
    """rng(stream, *sub) for the first calls of a replication."""
    return lambda stream, *sub: generator_at(seed, replication, int(stream), *sub)


def return_call_streams(seed: int, replication: int, batch: int) -> Callable[..., np.random.Generator]:
    """rng(stream, *sub) for batch `batch` of a replication's redials and repeat calls."""
    return lambda stream, *sub: generator_at(seed, replication, int(Stream.RETURN_CALLS), batch, int(stream), *sub)


def _return_call_blocks(scenario: Scenario) -> dict[str, np.ndarray]:
    """How a batch of return calls is laid out: a return call is made by a caller who keeps
    what it called about, so a batch holds BATCH rows per intent (with intents: rows k*BATCH..
    are intent k) or, without an IVR and with several queues, BATCH rows per queue (rows
    k*BATCH.. call queue k). Empty (BATCH rows, nothing fixed) otherwise: a share-based IVR
    walks its menus again."""
    if scenario.intents:
        return {"intent": np.repeat(np.arange(len(scenario.intents), dtype=np.int16), ReturnCallPool.BATCH)}
    if scenario.ivr is None and len(scenario.queues) > 1:
        return {"queue": np.repeat(np.arange(len(scenario.queues), dtype=np.int16), ReturnCallPool.BATCH)}
    return {}


def return_call_batch(scenario: Scenario, seed: int, replication: int, batch: int) -> dict:
    """The attributes of batch `batch` of a replication's return calls (rows: see _return_call_blocks)."""
    blocks = _return_call_blocks(scenario)
    n = len(next(iter(blocks.values()))) if blocks else ReturnCallPool.BATCH
    return draw_attributes(scenario, n, return_call_streams(seed, replication, batch), **blocks)


def return_call_walks(scenario: Scenario, seed: int, replication: int, batch: int, trace: Trace) -> IvrPaths:
    """The IVR walks of batch `batch` of return calls, the same as `return_call_batch` draws,
    with their funnel events noted in `trace`."""
    intent = _return_call_blocks(scenario).get("intent")
    n = ReturnCallPool.BATCH if intent is None else len(intent)
    return ivr_paths(scenario, n, return_call_streams(seed, replication, batch), intent=intent, trace=trace)


def draw_callers(scenario: Scenario, seed: int, replication: int, trace: Trace | None = None) -> Callers:
    """Draw the day's first calls: Poisson arrivals per interval, then their attributes
    (`trace`, optional, notes their IVR walks' funnel events; it draws nothing)."""
    interval_s = scenario.interval_s
    expected = np.asarray(scenario.arrivals.calls, dtype=float)
    busyness = 1.0
    cv = scenario.arrivals.busyness_cv
    if cv > 0:
        shape = 1.0 / cv**2
        busyness = float(generator(seed, replication, Stream.BUSYNESS).gamma(shape, 1.0 / shape))
    arrivals_rng = generator(seed, replication, Stream.ARRIVALS)
    counts = arrivals_rng.poisson(expected * busyness)
    starts = np.arange(len(expected)) * interval_s
    # Given the count, Poisson arrival times in an interval are independent uniforms.
    arrived = np.repeat(starts, counts) + arrivals_rng.random(counts.sum()) * interval_s
    arrived.sort()
    interval = np.minimum((arrived // interval_s).astype(np.int64), scenario.n_intervals - 1)
    attributes = draw_attributes(scenario, len(arrived), first_call_streams(seed, replication), interval, trace=trace)
    _decide_announcement(scenario, attributes, arrived)
    return Callers(arrived_at_s=arrived, busyness=busyness, **attributes)


# what draw_attributes adds for ReturnCallPool.take when the durations change through the day
_OWN_KEYS = ("talk_owner", "patience_owner", "talk_u", "acw_u", "patience_u", "talk_kept", "acw_kept", "patience_kept")


class ReturnCallPool:
    """Attributes for redials and repeat calls, drawn in batches, handed out in order."""

    BATCH = 512

    def __init__(self, scenario: Scenario, seed: int, replication: int):
        self.scenario = scenario
        self.seed = seed
        self.replication = replication
        self.batch_number = -1
        self.batch: dict[str, list] = {}
        self.position = self.BATCH
        self.scales = duration_scales(scenario)
        self.owners: dict[str, list] = {}
        ivr = scenario.ivr
        self.announcement = ivr is not None and ivr.announcement is not None
        if self.announcement:
            share = ivr.announcement.hang_up_satisfied
            n = scenario.n_intervals
            self.satisfied_share = [float(v) for v in share] if isinstance(share, tuple) else [float(share)] * n

    def take(self, arrived_at_s: float, block: int = -1) -> dict:
        """One call's attributes as Python scalars, keyed by Callers field ("ivr.x": field x of the
        IVR walk), for a call starting at `arrived_at_s` by a caller whose block (see
        _return_call_blocks: its intent, or its queue without an IVR) is `block`; -1 where
        batches have no blocks."""
        if self.position >= self.BATCH:
            self.batch_number += 1
            b = self.batch_number
            drawn = return_call_batch(self.scenario, self.seed, self.replication, b)
            self.batch = {}
            self.owners = {key: drawn.pop(key).tolist() for key in _OWN_KEYS if key in drawn}
            for name, values in drawn.items():
                if isinstance(values, IvrPaths):
                    for f in fields(IvrPaths):
                        self.batch[f"ivr.{f.name}"] = getattr(values, f.name).tolist()
                else:
                    self.batch[name] = values.tolist()
            self.position = 0
        i = self.position + (self.BATCH * int(block) if block >= 0 else 0)
        self.position += 1
        row = {name: values[i] for name, values in self.batch.items()}
        if self.scales is not None:
            # the call's own interval: a redial at 11:10 talks as the 11:00 callers do
            k = int(interval_of(self.scenario, arrived_at_s))
            talk_owner, patience_owner = self.owners["talk_owner"][i], self.owners["patience_owner"][i]
            if self.scales.by_interval:
                self._draw_by_interval(row, i, k, talk_owner, patience_owner)
            row["talk_s"] *= float(self.scales.talk[talk_owner, k])
            row["acw_s"] *= float(self.scales.acw[talk_owner, k])
            row["patience_s"] *= float(self.scales.patience[patience_owner, k])
        if self.announcement:
            # as _decide_announcement does for the first calls, one call at a time
            interval = min(int(arrived_at_s // self.scenario.interval_s), self.scenario.n_intervals - 1)
            if row["ivr.announce_u"] < self.satisfied_share[interval]:
                row.update({"ivr.ivr_s": row["ivr.pre_menu_s"], "ivr.route": CONTAINED, "ivr.true_queue": -1,
                            "ivr.transfer_s": 0.0, "ivr.menus": 0, "ivr.zero_out": False, "queue": CONTAINED})
        return row

    def _draw_by_interval(self, row: dict, i: int, k: int, talk_owner: int, patience_owner: int) -> None:
        """Row i's durations from its queue's distributions for interval k, where the queue has
        them (as draw_attributes does for the first calls, one call at a time)."""
        for what, key, owner in (("talk", "talk_s", talk_owner), ("acw", "acw_s", talk_owner),
                                 ("patience", "patience_s", patience_owner)):
            dists = getattr(self.scales, f"{what}_by_interval")[owner]
            kept = self.owners.get(f"{what}_kept")
            if dists is not None and not (kept is not None and kept[i]):
                row[key] = float(dists[k].ppf(np.array([self.owners[f"{what}_u"][i]]))[0])
