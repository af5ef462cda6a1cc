"""IVR menu trees: the schema, and the walk of every caller through the menus.

An IVR has no capacity limit in callsim (every caller gets a port at once), so a caller's path
through it does not depend on the queues: the whole walk is computed before the simulation,
vectorised menu by menu, from the IVR's own random stream. The engine then only waits each
caller's IVR time and routes it. A walk ends in one of: contained (self-service success, or a
caller who hangs up satisfied by an announcement), IVR hang-up, or a queue (possibly the wrong
one: a misroute, transferred by the first agent who answers).

Per menu visit: the prompt plays (its duration is drawn); the caller hangs up with the menu's
`hang_up` probability; fails to choose with `no_input` probability (the menu replays, up to
`retries` replays, then the caller goes to `default`); otherwise chooses an option by `share`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pydantic import Field, model_validator

from .distributions import Distribution, Fixed
from .funnel_trace import Trace
from .schema_base import MAX_PARTS, Name, Probability, ScenarioError, _Frozen

# a real IVR has a handful of menus; with at most 9 replays each, a call hears fewer than 127
# prompts, which the records count in one byte
MAX_MENUS = 12

HANG_UP = "hang_up"  # reserved destination name


class Misroute(_Frozen):
    share: Probability = Field(description="share of callers choosing this option who land in the wrong queue")
    queue: str = Field(description="the wrong queue they land in")
    transfer_time: Distribution = Field(
        default_factory=lambda: Fixed(dist="fixed", mean=65.0),
        description="time the first agent spends before transferring, seconds (~65 s, field guide)",
    )


class Option(_Frozen):
    # the intent-mode keys are left out of the JSON form when unused: share-based scenarios dump as before
    _omitted_when_none = ("share", "intents", "clarity", "weight", "transfer_time")
    key: str = Field(description='the key pressed, e.g. "1"; key "0" counts as a zero-out (ask for an agent)')
    label: str = Field(default="", description="what the prompt says for this key, for the reader of the file")
    share: Probability | None = Field(default=None, description="share of callers (who make a choice) choosing this "
                                      "option (without intents; required there)")
    to: str = Field(description="where it leads: a menu, a queue, a self-service, or hang_up")
    misroute: Misroute | None = Field(default=None, description="callers of this option who land in the wrong queue "
                                      "(without intents; with intents misroutes follow from the callers' intents)")
    intents: tuple[str, ...] | None = Field(
        default=None, description="with intents: the intents this option is meant for (default: for an option "
        "leading to a menu, every intent that menu's options serve; else none, e.g. a zero-out)")
    clarity: Probability | None = Field(
        default=None, description="with intents: chance a caller whose intent this option serves picks it "
        "(default: the menu's clarity)")
    weight: float | None = Field(
        default=None, gt=0, le=1e6, description="with intents: how strongly callers who do not pick the option meant "
        "for them lean to this one (relative, default 1)")
    transfer_time: Distribution | None = Field(
        default=None, description="with intents: time the first agent spends transferring a caller this option "
        "misrouted, seconds (default: the landing queue's transfer_time)")


class Menu(_Frozen):
    name: Name = Field(description="the menu's name; options and defaults lead to it by name")
    prompt: Distribution = Field(description="time to hear the menu and choose, seconds")
    options: tuple[Option, ...] = Field(min_length=1, max_length=20, description="the keys callers can press")
    hang_up: Probability = Field(default=0.0, description="chance a caller gives up at this menu")
    no_input: Probability = Field(default=0.0, description="chance a caller fails to choose (no or invalid input)")
    retries: int = Field(default=2, ge=0, le=9, description="replays after no input before the default route (at most 9)")
    default: str | None = Field(default=None, description="where callers go after the last replay (a queue, usually)")
    clarity: Probability | None = Field(
        default=None, description="with intents: chance a caller whose intent one of the options serves picks that "
        "option (default 1; an option's clarity overrides it)")

    _omitted_when_none = ("clarity",)

    @model_validator(mode="after")
    def _probabilities(self):
        if self.hang_up + self.no_input > 1:
            raise ValueError("hang_up + no_input must not exceed 1")
        return self


class SelfService(_Frozen):
    name: Name = Field(description="the self-service task's name; options lead to it by name")
    duration: Distribution = Field(description="time spent in the self-service task, seconds")
    success: Probability | None = Field(default=None, description="chance the task is completed: the call is "
                                        "contained (without intents; with intents each intent's self_service says it)")
    on_failure: str = Field(description="queue (or menu) the caller is routed to when the task fails")


class Announcement(_Frozen):
    """A message played to every caller first (e.g. an outage notice)."""

    duration: Distribution = Field(description="how long the announcement plays, seconds")
    hang_up_satisfied: Probability | tuple[Probability, ...] = Field(
        default=0.0,
        description="share of callers who hang up satisfied after it (counted as contained); "
        "one number, or one per interval",
    )


class Ivr(_Frozen):
    greeting: Distribution | None = Field(default=None, description="greeting played to every caller, seconds")
    announcement: Announcement | None = Field(default=None, description="a message played to every caller first")
    start: str | None = Field(default=None, description="first menu (default: the first one listed)")
    menus: tuple[Menu, ...] = Field(min_length=1, max_length=MAX_MENUS, description="the menus, the first one "
                                    "heard first unless 'start' names another")
    self_service: tuple[SelfService, ...] = Field(default=(), max_length=MAX_PARTS, description="automated tasks that can resolve a call")

    def satisfied_share(self, interval: np.ndarray) -> np.ndarray:
        """The announcement's hang-up-satisfied share for calls starting in each `interval`."""
        if self.announcement is None:
            return np.zeros(np.shape(interval))
        share = self.announcement.hang_up_satisfied
        if isinstance(share, tuple):
            return np.asarray(share)[np.asarray(interval)]
        return np.full(np.shape(interval), float(share))

    def check_against(self, queue_names: list[str], n_intervals: int, intents: tuple = ()) -> None:
        """Names resolve, shares sum to 1 (or, with `intents`, options name declared intents and
        every intent is served somewhere: see simulator.intents), no menu leads back to itself."""
        names: dict[str, tuple] = {name: ("queues",) for name in queue_names}
        for kind, items in (("menus", self.menus), ("self_service", self.self_service)):
            for index, item in enumerate(items):
                if item.name in names or item.name == HANG_UP:
                    raise ScenarioError(("ivr", kind, index, "name"),
                                        f"name '{item.name}' is already used by a queue, menu or self-service; names must be unique")
                names[item.name] = (kind, index)
        menu_names = [m.name for m in self.menus]
        for m, menu in enumerate(self.menus):
            pressed: dict[str, int] = {}
            for o, option in enumerate(menu.options):
                if option.key in pressed:
                    raise ScenarioError(("ivr", "menus", m, "options", o, "key"),
                                        f"key '{option.key}' is already option {pressed[option.key] + 1} of menu "
                                        f"'{menu.name}'; a key leads one way: change or remove one of them")
                pressed[option.key] = o

        def resolve(path: tuple, target: str, queues_only: bool = False, or_menu: bool = False) -> None:
            if or_menu:
                allowed, what = [*queue_names, *menu_names], "a queue or a menu"
            else:
                allowed = queue_names if queues_only else [*names, HANG_UP]
                what = "a queue" if queues_only else "a menu, queue, self-service or hang_up"
            if target not in allowed:
                raise ScenarioError(path, f"'{target}' is not {what}; known: {', '.join(allowed)}")

        if self.start is not None and self.start not in menu_names:
            raise ScenarioError(("ivr", "start"), f"'{self.start}' is not a menu; menus: {', '.join(menu_names)}")
        for m, menu in enumerate(self.menus):
            if not intents:
                self._check_shares(m, menu)
            for o, option in enumerate(menu.options):
                resolve(("ivr", "menus", m, "options", o, "to"), option.to)
                if option.misroute is not None and not intents:
                    resolve(("ivr", "menus", m, "options", o, "to"), option.to, queues_only=True)
                    resolve(("ivr", "menus", m, "options", o, "misroute", "queue"), option.misroute.queue, queues_only=True)
            if menu.default is not None:
                resolve(("ivr", "menus", m, "default"), menu.default)
            elif menu.no_input > 0:
                raise ScenarioError(("ivr", "menus", m), f"menu '{menu.name}' has no_input > 0 but no 'default' route after the last replay")
        for s, service in enumerate(self.self_service):
            resolve(("ivr", "self_service", s, "on_failure"), service.on_failure, or_menu=True)
            if service.success is None and not intents:
                raise ScenarioError(("ivr", "self_service", s, "success"), "missing: give the chance the task "
                                    "completes a call, e.g. 0.7 (or declare intents and give each its self_service)")
            if service.success is not None and intents:
                raise ScenarioError(("ivr", "self_service", s, "success"), "with intents a task completes a call with "
                                    "the caller's intent's self_service suitability; remove 'success'")
        if self.announcement is not None and isinstance(self.announcement.hang_up_satisfied, tuple):
            if len(self.announcement.hang_up_satisfied) != n_intervals:
                raise ScenarioError(("ivr", "announcement", "hang_up_satisfied"),
                                    f"has {len(self.announcement.hang_up_satisfied)} intervals but arrivals.calls has {n_intervals}")
        self._check_acyclic(menu_names)

    def _check_shares(self, m: int, menu: "Menu") -> None:
        """Without intents: every option has a share, the shares sum to 1, no intent-mode keys."""
        for o, option in enumerate(menu.options):
            where = ("ivr", "menus", m, "options", o)
            if option.intents is not None:
                raise ScenarioError((*where, "intents"), "options name intents only when the scenario declares "
                                    "them (a top-level 'intents:' section); add it, or give this option a share")
            for key in ("clarity", "weight", "transfer_time"):
                if getattr(option, key) is not None:
                    raise ScenarioError((*where, key), f"'{key}' is used only with intents (a top-level 'intents:' "
                                        "section); remove it or declare intents")
            if option.share is None:
                raise ScenarioError((*where, "share"), "missing: give the share of callers choosing this option "
                                    "(or declare intents and list the option's intents)")
        if menu.clarity is not None:
            raise ScenarioError(("ivr", "menus", m, "clarity"), "'clarity' is used only with intents (a top-level "
                                "'intents:' section); remove it or declare intents")
        total = sum(o.share for o in menu.options)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ScenarioError(("ivr", "menus", m, "options"),
                                f"option shares of menu '{menu.name}' sum to {total:g}, not 1; adjust them")

    def _check_acyclic(self, menu_names: list[str]) -> None:
        # a self-service whose failures go to a menu is an edge too: menu -> task -> menu
        on_failure = {s.name: s.on_failure for s in self.self_service}

        def menus_after(target: str | None) -> list[str]:
            if target in on_failure:
                target = on_failure[target]
            return [target] if target in menu_names else []

        edges = {
            m: [t for target in [*(o.to for o in menu.options), menu.default] for t in menus_after(target)]
            for m, menu in zip(menu_names, self.menus)
        }
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(name: str, trail: list[str]) -> None:
            state[name] = 1
            for nxt in edges[name]:
                if state.get(nxt) == 1:
                    cycle = " -> ".join(trail[trail.index(nxt):] + [name, nxt]) if nxt in trail else f"{name} -> {nxt}"
                    raise ScenarioError(("ivr", "menus", menu_names.index(name)),
                                        f"menus form a cycle ({cycle}); callers could loop forever: route one of them elsewhere")
                if state.get(nxt) is None:
                    visit(nxt, trail + [name])
            state[name] = 2

        for name in menu_names:
            if state.get(name) is None:
                visit(name, [])


# --- the walk -----------------------------------------------------------------------------

CONTAINED = -1  # route code: resolved in the IVR
IVR_HANG_UP = -2  # route code: gave up in the IVR
_MENU, _QUEUE, _SELF, _HANG = 0, 1, 2, 3


@dataclass(frozen=True)
class IvrPaths:
    """Each caller's walk: parallel arrays."""

    ivr_s: np.ndarray  # float64, time in the IVR
    route: np.ndarray  # int16: queue index, CONTAINED or IVR_HANG_UP
    true_queue: np.ndarray  # int16: the right queue of a misrouted call, else -1
    transfer_s: np.ndarray  # float64: first agent's time before the transfer (misroutes)
    menus: np.ndarray  # int8: menu prompts heard (replays included)
    zero_out: np.ndarray  # bool: chose a key-"0" option
    pre_menu_s: np.ndarray  # float64: greeting + announcement, the IVR time of a caller satisfied by the announcement
    announce_u: np.ndarray  # float64: uniform; the caller hangs up satisfied if below the announcement's share
    intent: np.ndarray | None = None  # int16: the caller's intent (index in scenario.intents), -1 without intents

    def __post_init__(self):
        if self.intent is None:  # hand-built paths (tests) without intents
            object.__setattr__(self, "intent", np.full(len(self.route), -1, dtype=np.int16))


def apply_announcement(paths: IvrPaths, satisfied: np.ndarray) -> IvrPaths:
    """Callers satisfied by the announcement end there: contained, after greeting + announcement."""
    if not satisfied.any():
        return paths
    return IvrPaths(
        ivr_s=np.where(satisfied, paths.pre_menu_s, paths.ivr_s),
        route=np.where(satisfied, CONTAINED, paths.route).astype(np.int16),
        true_queue=np.where(satisfied, -1, paths.true_queue).astype(np.int16),
        transfer_s=np.where(satisfied, 0.0, paths.transfer_s),
        menus=np.where(satisfied, 0, paths.menus).astype(np.int8),
        zero_out=paths.zero_out & ~satisfied,
        pre_menu_s=paths.pre_menu_s,
        announce_u=paths.announce_u,
        intent=paths.intent,
    )


_UNIFORMS_PER_VISIT = 6  # prompt, choice, option, misroute, misroute transfer / service duration, service success


class WalkState:
    """A walk in progress, one entry per caller, and the steps both walks share (this one on
    option shares, `simulator.intents.intent_walk` on caller intents): the greeting and the
    announcement, hearing a menu once, pressing the chosen keys."""

    def __init__(self, ivr: Ivr, queue_names: list[str], n: int, rng: np.random.Generator, trace: Trace | None):
        self.note = trace.note if trace is not None else (lambda callers, key: None)
        self.trace = trace
        self.where = {name: (_QUEUE, i) for i, name in enumerate(queue_names)}
        self.where.update({m.name: (_MENU, i) for i, m in enumerate(ivr.menus)})
        self.where.update({s.name: (_SELF, i) for i, s in enumerate(ivr.self_service)})
        self.where[HANG_UP] = (_HANG, 0)
        self.ivr_s = np.zeros(n)
        self.route = np.full(n, IVR_HANG_UP, dtype=np.int16)
        self.true_queue = np.full(n, -1, dtype=np.int16)
        self.transfer_s = np.zeros(n)
        self.menus = np.zeros(n, dtype=np.int8)
        self.zero_out = np.zeros(n, dtype=bool)
        self.node = np.full(n, -1, dtype=np.int32)  # current menu; -1 = walk finished
        self.tries = np.zeros(n, dtype=np.int32)
        # the greeting and the announcement, from the IVR stream `rng`, then the first menu
        if ivr.greeting is not None:
            self.ivr_s += ivr.greeting.ppf(rng.random(n))
        start = [m.name for m in ivr.menus].index(ivr.start) if ivr.start else 0
        self.node[:] = start
        self.note(np.arange(n), ("menu", start, "entered"))
        self.announce_u = np.ones(n)  # 1 = never satisfied
        if ivr.announcement is not None:
            u = rng.random((2, n))
            self.ivr_s += ivr.announcement.duration.ppf(u[0])
            self.announce_u = u[1]
        self.pre_menu_s = self.ivr_s.copy()

    def visits(self, ivr: Ivr):
        """Round by round until every walk has ended, each menu with callers at it: (m, menu,
        their indices), the prompt counted in `menus` (at most 127)."""
        while (self.node >= 0).any():
            for m, menu in enumerate(ivr.menus):
                idx = np.flatnonzero(self.node == m)
                if len(idx):
                    self.menus[idx] = np.minimum(self.menus[idx].astype(np.int32) + 1, 127)
                    yield m, menu, idx

    def enter_menu(self, idx: np.ndarray, m: int) -> None:
        self.node[idx] = m
        self.tries[idx] = 0
        self.note(idx, ("menu", m, "entered"))

    def hang_up(self, idx: np.ndarray) -> None:
        self.route[idx] = IVR_HANG_UP
        self.note(idx, ("hung_up",))

    def hear(self, menu: "Menu", m: int, idx: np.ndarray, u_prompt: np.ndarray, u_answer: np.ndarray):
        """Callers `idx` hear menu m once (its prompt time added): some hang up (their walk
        ends), some fail to choose (a replay, or after the last one the default route), the rest
        choose. Returns the masks over `idx` of (chose, timed out: due at `menu.default`)."""
        self.ivr_s[idx] += menu.prompt.ppf(u_prompt)
        hang = u_answer < menu.hang_up
        no_input = ~hang & (u_answer < menu.hang_up + menu.no_input)
        self.route[idx[hang]] = IVR_HANG_UP
        self.node[idx[hang]] = -1
        self.note(idx[hang], ("menu", m, "hung_up"))
        self.note(idx[hang], ("hung_up",))
        timed_out = np.zeros(len(idx), dtype=bool)
        if no_input.any():
            self.tries[idx[no_input]] += 1
            timed_out = no_input & (self.tries[idx] > menu.retries)
            self.note(idx[no_input & ~timed_out], ("menu", m, "replays"))
            self.note(idx[timed_out], ("menu", m, "timed_out"))
        return ~hang & ~no_input, timed_out

    def after_task(self, idx: np.ndarray, s: int, success: np.ndarray, via: tuple) -> None:
        """Callers `idx` did self-service task s: the `success` ones are contained (`via`: the
        (menu, option) that led them there, if any); the caller sends the others on."""
        self.route[idx[success]] = CONTAINED
        self.note(idx, ("self_service", s, "entered"))
        self.note(idx[success], ("self_service", s, "contained"))
        self.note(idx[success], ("contained",))
        if via:
            self.note(idx[success], ("option", *via, "contained"))
        self.note(idx[~success], ("self_service", s, "failed"))

    def press(self, menu: "Menu", m: int, chosen: np.ndarray, pick: np.ndarray, go) -> None:
        """Callers `chosen` press option `pick` of menu m; `go(selected, o, option)` sends each
        option's callers (a mask over `chosen`) where it leads."""
        for o, option in enumerate(menu.options):
            sel = pick == o
            if sel.any():
                if option.key == "0":
                    self.zero_out[chosen[sel]] = True
                self.note(chosen[sel], ("option", m, o, "chose"))
                go(sel, o, option)

    def paths(self, intent: np.ndarray) -> "IvrPaths":
        return IvrPaths(self.ivr_s, self.route, self.true_queue, self.transfer_s, self.menus, self.zero_out,
                        self.pre_menu_s, self.announce_u, intent)


def walk(ivr: Ivr, queue_names: list[str], n: int, rng: np.random.Generator, trace: Trace | None = None) -> IvrPaths:
    """Walk `n` callers through the menus. Whether the announcement satisfies a caller depends
    on when it calls, so it is decided later from `announce_u` (see `apply_announcement`).
    `trace` (optional) notes the funnel's events; it draws nothing."""
    w = WalkState(ivr, queue_names, n, rng, trace)
    note = w.note

    def go(idx: np.ndarray, target: str, u: np.ndarray, misroute=None, via: tuple = ()) -> None:
        """Send callers `idx` to `target`; u = their uniforms (rows 3, 4, 5 used here); `via` =
        (menu, option) when they get there by choosing that option."""
        kind, index = w.where[target]
        w.node[idx] = -1
        if kind == _MENU:
            w.enter_menu(idx, index)
        elif kind == _QUEUE:
            w.route[idx] = index
            if misroute is not None:
                wrong = u[3] < misroute.share
                w.route[idx[wrong]] = queue_names.index(misroute.queue)
                w.true_queue[idx[wrong]] = index
                w.transfer_s[idx[wrong]] = misroute.transfer_time.ppf(u[4][wrong])
                note(idx[wrong], ("misrouted",))
                if via:
                    note(idx[wrong], ("option", *via, "misrouted"))
            if trace is not None:
                for q in np.unique(w.route[idx]):
                    note(idx[w.route[idx] == q], ("queue", int(q)))
        elif kind == _SELF:
            service = ivr.self_service[index]
            w.ivr_s[idx] += service.duration.ppf(u[4])
            success = u[5] < service.success
            w.after_task(idx, index, success, via)
            if (~success).any():
                # to a queue, or to a menu (then the next round of the walk picks them up)
                go(idx[~success], service.on_failure, u[:, ~success])
        else:
            w.hang_up(idx)

    for m, menu, idx in w.visits(ivr):
        u = rng.random((_UNIFORMS_PER_VISIT, len(idx)))
        chose, timed_out = w.hear(menu, m, idx, u[0], u[1])
        if timed_out.any():
            go(idx[timed_out], menu.default, u[:, timed_out])
        if chose.any():
            cumulative = np.cumsum([o.share for o in menu.options])
            pick = np.minimum(np.searchsorted(cumulative, u[2][chose], side="right"), len(menu.options) - 1)
            chosen_idx, chosen_u = idx[chose], u[:, chose]
            w.press(menu, m, chosen_idx, pick,
                    lambda sel, o, option: go(chosen_idx[sel], option.to, chosen_u[:, sel], option.misroute, (m, o)))
    return w.paths(np.full(n, -1, dtype=np.int16))


# --- exact routing shares (for planning) ------------------------------------------------


@dataclass(frozen=True)
class IvrRouting:
    """Where a call that enters the menus ends, as probabilities: exact, by walking the menu
    tree (a DAG) and multiplying the probabilities, the expectation of `walk` (a test compares
    the two). Per menu visit a caller hangs up (`hang_up`), fails to choose (`no_input`; after
    `retries` replays it goes to `default`) or picks an option by `share`, so a menu passes on
    `hang_up·S`, `(1 - hang_up - no_input)·S` and `no_input^(retries+1)` with S = sum of
    no_input^k for k = 0..retries. Self-service contains `success`, the rest go to its
    `on_failure` queue or menu. The announcement is not included. With intents, see
    `simulator.intents.intent_routing` (the same walk, per intent).

    Attributes:
        to_queue: queue -> probability of reaching it correctly routed.
        misroute: (wrong queue, right queue) -> probability.
        misroute_transfer_s: (wrong queue, right queue) -> mean transfer time, seconds.
        contained: probability of ending in self-service successfully.
        hang_up: probability of hanging up in the menus.
        handle_s: with intents, queue -> mean talk + ACW of the calls its agents finally handle
            (their intents' durations); None: each queue's own.
        patience_s: with intents, queue -> the patience of the callers who wait in it, as the
            mean of their abandonment rates 1/patience inverted (None in a queue nobody leaves;
            what Erlang A takes); None: each queue's own.
    """

    to_queue: dict[str, float]
    misroute: dict[tuple[str, str], float]
    misroute_transfer_s: dict[tuple[str, str], float]
    contained: float
    hang_up: float
    handle_s: dict[str, float] | None = None
    patience_s: dict[str, float | None] | None = None


def routing_probabilities(ivr: Ivr, queue_names: list[str]) -> IvrRouting:
    """Exact end-of-walk probabilities of the menu tree (announcement not included)."""
    menus = {m.name: m for m in ivr.menus}
    services = {s.name: s for s in ivr.self_service}
    to_queue = {name: 0.0 for name in queue_names}
    misroute: dict[tuple[str, str], float] = {}
    transfer_time: dict[tuple[str, str], float] = {}  # probability-weighted sum, divided below
    totals = {"contained": 0.0, "hang_up": 0.0}

    def reach(target: str, p: float, wrong=None) -> None:
        if p == 0.0:
            return
        if target in menus:
            visit(menus[target], p)
        elif target in services:
            service = services[target]
            totals["contained"] += p * service.success
            reach(service.on_failure, p * (1.0 - service.success))  # a queue, or a menu
        elif target == HANG_UP:
            totals["hang_up"] += p
        else:  # a queue
            share = wrong.share if wrong is not None else 0.0
            to_queue[target] += p * (1.0 - share)
            if share > 0.0:
                key = (wrong.queue, target)
                misroute[key] = misroute.get(key, 0.0) + p * share
                transfer_time[key] = transfer_time.get(key, 0.0) + p * share * wrong.transfer_time.mean_s

    def visit(menu, p: float) -> None:
        attempts = sum(menu.no_input ** k for k in range(menu.retries + 1))
        totals["hang_up"] += p * menu.hang_up * attempts
        chose = p * (1.0 - menu.hang_up - menu.no_input) * attempts
        for option in menu.options:
            reach(option.to, chose * option.share, option.misroute)
        if menu.no_input > 0.0:
            reach(menu.default, p * menu.no_input ** (menu.retries + 1))

    start = ivr.start or ivr.menus[0].name
    visit(menus[start], 1.0)
    return IvrRouting(
        to_queue=to_queue,
        misroute=misroute,
        misroute_transfer_s={key: transfer_time[key] / p for key, p in misroute.items()},
        contained=totals["contained"],
        hang_up=totals["hang_up"],
    )


# --- the routes of the menu (for the menu diagram) ------------------------------------

# route kinds: what a caller did to take the route
OPTION, MISROUTE, DEFAULT, HUNG_UP, SUCCESS, FAILURE = "option", "misroute", "default", "hang_up", "success", "failure"
CONTAINED_END = "contained"  # the end a successful self-service (or a satisfied announcement) leads to


def ivr_routes(ivr: Ivr) -> list[tuple[str, str, str, int | None]]:
    """Every route of the IVR as (source, kind, target, option index or None), in the order of
    the file. A route exists when callers can take it: every option (even at share 0), a misroute
    where an option has one, the default after the last replay when `no_input` > 0, hanging up
    when `hang_up` > 0, a self-service's success when `success` > 0 and its failure when < 1.
    Only the structure: the flows on them are the funnel's (`simulator.funnel`), simulated or
    expected."""
    routes = []
    for menu in ivr.menus:
        for o, option in enumerate(menu.options):
            routes.append((menu.name, OPTION, option.to, o))
            if option.misroute is not None:
                routes.append((menu.name, MISROUTE, option.misroute.queue, o))
        if menu.no_input > 0.0 and menu.default is not None:
            routes.append((menu.name, DEFAULT, menu.default, None))
        if menu.hang_up > 0.0:
            routes.append((menu.name, HUNG_UP, HANG_UP, None))
    for service in ivr.self_service:  # with intents (no task success) a task may do either
        if service.success is None or service.success > 0.0:
            routes.append((service.name, SUCCESS, CONTAINED_END, None))
        if service.success is None or service.success < 1.0:
            routes.append((service.name, FAILURE, service.on_failure, None))
    return routes
