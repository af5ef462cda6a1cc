"""Caller intents: why people call, and their walk through a menu designed for those reasons.

With an `intents:` section a scenario says what its callers want (each intent a share of the
calls, the queue whose agents resolve it, its own talk time, after-call work, patience,
first-contact resolution and self-service suitability), and the menus say which intents each
option is meant for. Misroutes, zero-outs and containment then follow from the callers and
the design together, instead of being typed per design.

The point is pairing: every draw of a caller comes from a stream that does not depend on the
menu design. The intent (and the misroute transfer uniform) from `Stream.INTENT`; talk, ACW,
patience, balk as without intents; the menu decisions of the caller's k-th prompt from
`Stream.IVR_VISITS` sub-stream k (the same uniforms at visit k in every design); the j-th
self-service attempt from `Stream.SELF_SERVICE` sub-stream j. So two designs run on the same
seed meet the same people with the same needs, and a caller who is unsure at their first
prompt is unsure at it in both designs.

At a menu prompt a caller hangs up (`hang_up`), fails to choose (`no_input`: replay, after
`retries` replays the `default`), or chooses: if some option serves the caller's intent (the
one with the largest weight among several, by a uniform), the caller picks it with that
option's `clarity` (default the menu's, default 1), else one of the *other* options spread by
`weight`; a caller whose intent no option serves spreads over all options by weight. A
self-service task completes the call with the intent's `self_service` suitability if the option
that led there serves the intent, else it fails (`on_failure`). A caller who lands in a queue
that is not the intent's queue is misrouted: the first agent who answers spends the transfer
time (the option's `transfer_time`, else the landing queue's, else 65 s) and transfers the call.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
from pydantic import Field

from .distributions import Distribution, Fixed
from .funnel_trace import Trace
from .ivr import ExpectedWalk, Ivr, IvrPaths, IvrRouting, WalkState, _MENU, _QUEUE, _SELF
from .schema_base import Name, Probability, ScenarioError, _Frozen

DEFAULT_TRANSFER = Fixed(dist="fixed", mean=65.0)  # a misrouted call costs ~65 s of the first agent (field guide)


class Intent(_Frozen):
    _omitted_when_none = ("talk_time", "acw", "patience", "first_contact_resolution")
    name: Name = Field(description="the reason for calling, e.g. 'check balance'; options list it by name")
    share: Probability | tuple[Probability, ...] = Field(
        description="share of calls with this intent: one number, or one per interval (the intents' shares sum "
        "to 1 in every interval)")
    queue: str = Field(description="the queue whose agents resolve this intent (landing elsewhere is a misroute)")
    talk_time: Distribution | None = Field(default=None, description="talk time of these calls, seconds (default: "
                                           "the queue's)")
    acw: Distribution | None = Field(default=None, description="after-call work of these calls, seconds (default: "
                                     "the queue's)")
    patience: Distribution | None = Field(default=None, description="how long these callers wait in a queue, "
                                          "seconds (default: the queue's)")
    first_contact_resolution: Probability | None = Field(
        default=None, description="chance an answered call resolves this intent (default: the queue's)")
    self_service: Probability = Field(
        default=0.0, description="suitability: chance a self-service task meant for this intent completes it")


# --- checks ------------------------------------------------------------------------------


def served_intents(ivr: Ivr, intent_names: list[str]) -> list[list[frozenset[int]]]:
    """Per menu, per option: the intents (indices) it is meant for. An option without
    `intents` that leads to a menu serves every intent that menu's options serve (transitively);
    any other option without `intents` serves none. Needs an acyclic menu graph."""
    menus = {m.name: i for i, m in enumerate(ivr.menus)}
    memo: dict[int, frozenset[int]] = {}

    def option_serves(option) -> frozenset[int]:
        if option.intents is not None:
            return frozenset(intent_names.index(name) for name in option.intents if name in intent_names)
        if option.to in menus:
            return menu_serves(menus[option.to])
        return frozenset()

    def menu_serves(m: int) -> frozenset[int]:
        if m not in memo:
            memo[m] = frozenset().union(*(option_serves(o) for o in ivr.menus[m].options))
        return memo[m]

    return [[option_serves(o) for o in menu.options] for menu in ivr.menus]


def check_intents(intents: tuple[Intent, ...], ivr: Ivr | None, queue_names: list[str], n_intervals: int) -> None:
    """Names unique, queues known, shares sum to 1 per interval; the menus name declared
    intents, use no share or misroute, and serve every intent somewhere."""
    if ivr is None:
        raise ScenarioError(("intents",), "intents need an ivr whose menus route them; add an 'ivr:' section or "
                            "remove 'intents:'")
    names = [i.name for i in intents]
    totals = np.zeros(n_intervals)
    for k, intent in enumerate(intents):
        if intent.name in names[:k]:
            raise ScenarioError(("intents", k, "name"), f"intent name '{intent.name}' is used twice; give each intent "
                                "its own name")
        if intent.queue not in queue_names:
            raise ScenarioError(("intents", k, "queue"), f"unknown queue '{intent.queue}'; the queues are: "
                                f"{', '.join(queue_names)}")
        if isinstance(intent.share, tuple) and len(intent.share) != n_intervals:
            raise ScenarioError(("intents", k, "share"), f"has {len(intent.share)} intervals but arrivals.calls has "
                                f"{n_intervals}; give one number for the day or one per interval")
        totals += np.asarray(intent.share, dtype=float)
    for k, total in enumerate(totals):
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            when = "" if all(not isinstance(i.share, tuple) for i in intents) else f" in interval {k + 1}"
            raise ScenarioError(("intents",), f"intent shares sum to {total:g}{when}, not 1; adjust them")
    for m, menu in enumerate(ivr.menus):
        for o, option in enumerate(menu.options):
            where = ("ivr", "menus", m, "options", o)
            if option.share is not None:
                raise ScenarioError((*where, "share"), "with intents an option lists the intents it is meant for "
                                    "('intents: [...]') instead of a share; remove the share")
            if option.misroute is not None:
                raise ScenarioError((*where, "misroute"), "with intents misroutes follow from the callers' intents; "
                                    "remove 'misroute' (an option's transfer_time sets the transfer)")
            for j, name in enumerate(option.intents or ()):
                if name not in names:
                    raise ScenarioError((*where, "intents", j), f"'{name}' is not a declared intent; intents: "
                                        f"{', '.join(names)}")
    served = set().union(*(s for menu in served_intents(ivr, names) for s in menu))
    for k, name in enumerate(names):
        if k not in served:
            raise ScenarioError(("intents", k, "name"), f"no menu option serves intent '{name}': its callers can "
                                "never reach their queue except by mistake; list it in some option's intents")


# --- the walk ----------------------------------------------------------------------------

_VISIT_UNIFORMS = 4  # prompt, hang-up / no-input, which option they mean (among several), clarity
# (the pick among the other options reuses the third uniform, rescaled: see _choose)


def intent_shares(intents: tuple[Intent, ...], n_intervals: int) -> np.ndarray:
    """(intents, intervals) array of shares."""
    return np.array([np.broadcast_to(np.asarray(i.share, dtype=float), (n_intervals,)) for i in intents])


def draw_intents(intents: tuple[Intent, ...], n_intervals: int, interval: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Each caller's intent from a uniform, by the shares of its interval."""
    cumulative = np.cumsum(intent_shares(intents, n_intervals), axis=0)[:, interval]
    return np.minimum((u[None, :] >= cumulative).sum(axis=0), len(intents) - 1).astype(np.int16)


class _MenuChoice:
    """One menu's choice rule, precomputed per intent."""

    def __init__(self, menu, served: list[frozenset[int]], n_intents: int):
        self.weights = np.array([o.weight or 1.0 for o in menu.options])
        self.clarity = np.array([o.clarity if o.clarity is not None else
                                 (menu.clarity if menu.clarity is not None else 1.0) for o in menu.options])
        # per intent: the options meant for it, by weight
        self.meant = [np.array([o for o, s in enumerate(served) if i in s], dtype=np.int64) for i in range(n_intents)]
        self.serves = np.array([[i in s for i in range(n_intents)] for s in served], dtype=bool).reshape(len(served), n_intents)

    def choose(self, intent: np.ndarray, u_which: np.ndarray, u_clear: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(option picked, whether it serves the caller's intent) for each caller."""
        pick = np.zeros(len(intent), dtype=np.int64)
        n_options = len(self.weights)
        for i in np.unique(intent):
            sel = np.flatnonzero(intent == i)
            meant = self.meant[i]
            if not len(meant):
                pick[sel] = _by_weight(self.weights, np.arange(n_options), u_which[sel])
                continue
            target = _by_weight(self.weights[meant], meant, u_which[sel])
            clear = u_clear[sel] < self.clarity[target]
            pick[sel] = target
            unsure = ~clear & (n_options > 1)
            for t in np.unique(target[unsure]):
                who = unsure & (target == t)
                others = np.delete(np.arange(n_options), t)
                # the uniform beyond the clarity threshold, rescaled to [0, 1): the caller's lean
                lean = (u_clear[sel][who] - self.clarity[t]) / (1.0 - self.clarity[t])
                pick[sel[who]] = _by_weight(self.weights[others], others, lean)
        return pick, self.serves[pick, intent]


def _by_weight(weights: np.ndarray, options: np.ndarray, u: np.ndarray) -> np.ndarray:
    cumulative = np.cumsum(weights) / weights.sum()
    return options[np.minimum(np.searchsorted(cumulative, u, side="right"), len(options) - 1)]


def intent_walk(ivr: Ivr, intents: tuple[Intent, ...], queues: tuple, intent: np.ndarray, u_transfer: np.ndarray,
                rng: np.random.Generator, visit_rng: Callable[[int], np.random.Generator],
                service_rng: Callable[[int], np.random.Generator], trace: Trace | None = None) -> IvrPaths:
    """Walk callers of the given intents through the menus. `rng` (the IVR stream) gives the
    greeting and announcement as without intents; `visit_rng(k)` the uniforms of every
    caller's k-th prompt, `service_rng(j)` of its j-th self-service attempt."""
    n = len(intent)
    queue_names = [q.name for q in queues]
    w = WalkState(ivr, queue_names, n, rng, trace)  # the greeting and announcement, as without intents
    note = w.note
    intent_queue = np.array([queue_names.index(i.queue) for i in intents], dtype=np.int16)
    served = served_intents(ivr, [i.name for i in intents])
    choices = [_MenuChoice(menu, served[m], len(intents)) for m, menu in enumerate(ivr.menus)]
    suitability = np.array([i.self_service for i in intents])
    services_used = np.zeros(n, dtype=np.int32)
    visit_u: dict[int, np.ndarray] = {}
    service_u: dict[int, np.ndarray] = {}

    def uniforms(table: dict, make: Callable[[int], np.random.Generator], rows: int, number: np.ndarray,
                 idx: np.ndarray) -> np.ndarray:
        """Rows of uniforms for callers `idx` at their visit `number` (one matrix per number)."""
        out = np.empty((rows, len(idx)))
        for k in np.unique(number):
            if k not in table:
                table[k] = make(int(k)).random((rows, n))
            sel = number == k
            out[:, sel] = table[k][:, idx[sel]]
        return out

    def to_queue(idx: np.ndarray, q: int, via: tuple, transfer: Distribution | None) -> None:
        w.route[idx] = q
        right = intent_queue[intent[idx]]
        wrong = right != q
        w.true_queue[idx[wrong]] = right[wrong]
        time = transfer or queues[q].transfer_time or DEFAULT_TRANSFER
        w.transfer_s[idx[wrong]] = time.ppf(u_transfer[idx[wrong]])
        note(idx, ("queue", q))
        note(idx[wrong], ("misrouted",))
        if via:
            note(idx[wrong], ("option", *via, "misrouted"))

    def go(idx: np.ndarray, target: str, via: tuple = (), serves: np.ndarray | None = None,
           transfer: Distribution | None = None) -> None:
        kind, index = w.where[target]
        w.node[idx] = -1
        if kind == _MENU:
            w.enter_menu(idx, index)
        elif kind == _QUEUE:
            to_queue(idx, index, via, transfer)
        elif kind == _SELF:
            service = ivr.self_service[index]
            services_used[idx] += 1
            u = uniforms(service_u, service_rng, 2, services_used[idx], idx)
            w.ivr_s[idx] += service.duration.ppf(u[0])
            meant = serves if serves is not None else np.zeros(len(idx), dtype=bool)
            success = meant & (u[1] < suitability[intent[idx]])
            w.after_task(idx, index, success, via)
            if (~success).any():
                go(idx[~success], service.on_failure)
        else:
            w.hang_up(idx)

    for m, menu, idx in w.visits(ivr):
        u = uniforms(visit_u, visit_rng, _VISIT_UNIFORMS, w.menus[idx].astype(np.int64), idx)  # by prompt number
        chose, timed_out = w.hear(menu, m, idx, u[0], u[1])
        if timed_out.any():
            go(idx[timed_out], menu.default)
        if chose.any():
            chosen = idx[chose]
            pick, serves = choices[m].choose(intent[chosen], u[2][chose], u[3][chose])
            w.press(menu, m, chosen, pick,
                    lambda sel, o, option: go(chosen[sel], option.to, (m, o), serves[sel], option.transfer_time))
    return w.paths(intent)


# --- exact expectations ------------------------------------------------------------------


def choice_probabilities(menu, served: list[frozenset[int]], intent: int) -> np.ndarray:
    """P(option | a caller of `intent` makes a choice at `menu`), exactly as `_MenuChoice.choose`."""
    rule = _MenuChoice(menu, served, intent + 1)
    weights, n_options = rule.weights, len(rule.weights)
    meant = rule.meant[intent]
    if not len(meant):
        return weights / weights.sum()
    p = np.zeros(n_options)
    for t in meant:
        p_target = weights[t] / weights[meant].sum()
        if n_options == 1:
            p[t] += p_target
            continue
        clarity = rule.clarity[t]
        p[t] += p_target * clarity
        others = np.delete(np.arange(n_options), t)
        p[others] += p_target * (1.0 - clarity) * weights[others] / weights[others].sum()
    return p


class _IntentRule:
    """The walk of one intent's callers (see `ivr.ExpectedWalk`), exactly as `intent_walk`
    decides: options by `choice_probabilities`, a task contains the caller with the intent's
    suitability if the option that led there serves the intent, a queue that is not the
    intent's is a misroute (the option's transfer time, else the queue's, else 65 s)."""

    def __init__(self, ivr: Ivr, intents: tuple[Intent, ...], queues: tuple, served, i: int):
        self.ivr, self.intents, self.queues, self.served, self.column = ivr, intents, queues, served, i
        self.queue_names = [q.name for q in queues]

    def option_shares(self, m: int, menu) -> np.ndarray:
        return choice_probabilities(menu, self.served[m], self.column)

    def serves(self, m: int, o: int) -> bool:
        return self.column in self.served[m][o]

    def success(self, service, meant: bool) -> float:
        return self.intents[self.column].self_service if meant else 0.0

    def land(self, target: str, option) -> list[tuple[str, str, float, float | None]]:
        right = self.intents[self.column].queue
        if right == target:
            return [(target, right, 1.0, None)]
        transfer = option.transfer_time if option is not None else None
        time = transfer or self.queues[self.queue_names.index(target)].transfer_time or DEFAULT_TRANSFER
        return [(target, right, 1.0, time.mean_s)]


def intent_routing(ivr: Ivr, intents: tuple[Intent, ...], queues: tuple, shares, layout) -> tuple[np.ndarray, IvrRouting]:
    """Exact expectations of the walk for intent `shares` (one per intent, summing to 1): the
    expected count of each funnel counter (`layout`) per caller entering the menus, and the
    routing as `ivr.routing_probabilities` gives it (announcement not included). The menu DAG
    walked once per intent by `ivr.ExpectedWalk`, the same recursion as without intents."""
    served = served_intents(ivr, [i.name for i in intents])
    walk = ExpectedWalk(ivr, [q.name for q in queues], layout, columns=len(intents))
    for i, share in enumerate(shares):
        walk.walk(float(share), _IntentRule(ivr, intents, queues, served, i))
    handle_s, patience_s = _queue_durations(intents, queues, walk.landed)  # landed: P(intent i waits in q first)
    return walk.expected, walk.routing(handle_s, patience_s)


def _queue_durations(intents: tuple[Intent, ...], queues: tuple, landed: np.ndarray):
    """Per queue, from P(intent i first waits in queue q) = landed[q, i]: the mean handle time
    of the calls its agents finally handle (every call is handled in its intent's queue, a
    misrouted one after its transfer) and the patience of the callers who wait in it, as
    callers.draw_attributes draws them (the intent's durations, else its queue's)."""
    names = [q.name for q in queues]
    home = [queues[names.index(i.queue)] for i in intents]
    handle = np.array([(i.talk_time or h.talk_time).mean_s + (i.acw or h.acw).mean_s for i, h in zip(intents, home)])
    waits = [i.patience or h.patience for i, h in zip(intents, home)]
    rate = np.array([0.0 if w is None else 1.0 / w.mean_s for w in waits])  # 1 / patience: abandonment rate
    reached = landed.sum(axis=0)  # P(intent i reaches the agents)
    handle_s, patience_s = {}, {}
    for q, queue in enumerate(queues):
        own = np.array([names.index(i.queue) == q for i in intents])
        weight = reached * own
        handle_s[queue.name] = (float(weight @ handle / weight.sum()) if weight.sum() > 0
                                else queue.talk_time.mean_s + queue.acw.mean_s)
        if landed[q].sum() > 0:
            mean_rate = float(landed[q] @ rate / landed[q].sum())
            patience_s[queue.name] = 1.0 / mean_rate if mean_rate > 0 else None
        else:
            patience_s[queue.name] = None if queue.patience is None else queue.patience.mean_s
    return handle_s, patience_s


def scenario_routing(scenario) -> IvrRouting:
    """The exact routing of a scenario's IVR (for planning): `ivr.routing_probabilities`
    without intents; with intents the intent walk's, for the day's intent mix (per-interval
    shares weighted by each interval's expected calls)."""
    from .funnel_trace import layout_of
    from .ivr import routing_probabilities

    queue_names = [q.name for q in scenario.queues]
    if not scenario.intents:
        return routing_probabilities(scenario.ivr, queue_names)
    calls = np.asarray(scenario.arrivals.calls, dtype=float)
    shares = intent_shares(scenario.intents, scenario.n_intervals)
    day_shares = shares @ calls / calls.sum() if calls.sum() > 0 else shares[:, 0]
    _, routing = intent_routing(scenario.ivr, scenario.intents, scenario.queues, day_shares,
                                layout_of(scenario.ivr, len(scenario.queues)))
    return routing


def scenario_mean_handle_time_s(scenario) -> float:
    """The mean handle time (talk + ACW) of a `simulator.scenario.Scenario` (which imports this module,
    hence here and not in `simulator.durations`) for a call reaching a queue, with the queues' own
    durations: weighted by `queue_shares` without an IVR, by the IVR's exact routing with one
    (with intents, the intents' own durations)."""
    queues = scenario.queues
    own = {q.name: q.talk_time.mean_s + q.acw.mean_s for q in queues}
    if scenario.ivr is not None:
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
