"""The scenario schema: one frozen, typed description of a call-centre day.

Every default lives here and nowhere else. Unknown keys are rejected (a typo must not be
silently ignored), per-interval arrays must agree in length, names must resolve. Cross-field
problems raise `ScenarioError` with the path of the offending key, so the CLI can point at
the line in the file (see `simulator.loading`).
"""
from __future__ import annotations

import contextlib
import math
from typing import Annotated, Literal, Mapping, Sequence

import numpy as np
from pydantic import Field, ValidationError, field_validator, model_validator

from .distributions import Distribution, Exponential, Fixed
from .errors import UserError
from .error_words import explain_error, format_path
from .intents import Intent, check_intents, scenario_mean_handle_time_s
from .ivr import Ivr
from .routing import AGENT_SELECTION, CALL_SELECTION
from .schema_base import (parse_clock, two_clock_times, MAX_AGENTS, MAX_CALLS_PER_INTERVAL, MAX_INTERVALS, MAX_PARTS, Name, NonNegativeInt, Probability,
                          ScenarioError, _Frozen, revised)
from .days import MAX_DAYS, Day
from .shift_rules import ShiftRules
from .state_schema import InitialState, check_state, state_offset_s

SCHEMA_VERSION = 1

CLOCK_JSON_PATTERN = r"^([01]?\d|2[0-3]):[0-5]\d$"  # for editors: a quoted clock time


# a per-interval factor on a duration: positive and finite
Scale = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Arrivals(_Frozen):
    _omitted_when_none = ("handle_time_s",)
    calls: tuple[Annotated[float, Field(ge=0, le=MAX_CALLS_PER_INTERVAL)], ...] = Field(
        min_length=1,
        max_length=MAX_INTERVALS,
        description="expected calls offered in each interval (Poisson within the interval); in a file also "
        "{csv: FILE.csv, date: YYYY-MM-DD} (a callsim forecast: that date's rows by their start time, with its "
        "busyness_cv) or {csv: FILE.csv, column: NAME} (rows in order), read by the loader relative to the file; "
        "the number of intervals in the day follows from this list",
    )
    busyness_cv: float = Field(
        default=0.0,
        ge=0,
        le=2,
        description="day-to-day forecast error: each replication's volume is multiplied by a "
        "gamma factor with mean 1 and this coefficient of variation (0 = no uncertainty, else at least 0.001); "
        "plans staff for it",
    )

    @field_validator("busyness_cv")
    @classmethod
    def _busyness_cv(cls, cv: float) -> float:
        if 0 < cv < 0.001:  # a gamma shape of 1/cv^2 beyond 10^6 is no uncertainty, and overflows
            raise ValueError("must be 0 (no day-to-day variation) or at least 0.001")
        return cv
    queue_shares: dict[str, Probability] | None = Field(
        default=None,
        description="with several queues and no IVR: the share of calls that go to each queue "
        "(must sum to 1)",
    )
    handle_time_s: tuple[Scale, ...] | None = Field(
        default=None,
        description="mean handle time (talk + ACW) of the calls arriving in each interval, seconds: every "
        "queue's talk and ACW are scaled in each interval by this over the scenario's mean handle time; "
        "a forecast file's aht_s column fills it (absent = the queues' own durations all day)",
    )


class Callback(_Frozen):
    """Virtual hold. Offered when the caller's expected wait on entering the queue exceeds
    `offer_when_expected_wait_over` seconds; expected wait = (callers ahead + 1) x the queue's
    mean handle time / agents on shift who serve the queue. Optionally only between two clock
    times, and at most so many accepted per interval (a callback team's capacity)."""

    _omitted_when_none = ("offered_between", "max_per_interval")

    offer_when_expected_wait_over: float = Field(ge=0, description="threshold, seconds")
    accept_probability: Probability = Field(description="share of offered callers who accept (0.37 in a bank study)")
    mode: Literal["keep_place", "scheduled"] = Field(
        default="keep_place",
        description="keep_place: the caller keeps its place in line and an agent calls back when it "
        "reaches the front; scheduled: the callback joins the back of the queue after `delay`",
    )
    delay: Distribution | None = Field(default=None, description="scheduled mode: acceptance to callback, seconds")
    dial_time: Distribution = Field(
        default_factory=lambda: Fixed(dist="fixed", mean=20.0),
        description="agent time to dial and ring, seconds, per attempt",
    )
    answer_probability: Probability = Field(default=0.9, description="chance the caller answers a callback attempt")
    retry_delay: Distribution = Field(
        default_factory=lambda: Fixed(dist="fixed", mean=300.0),
        description="wait before retrying an unanswered callback, seconds",
    )
    max_attempts: int = Field(default=3, ge=1, le=20, description="callback attempts before it counts as failed")
    offered_between: tuple[str, str] | None = Field(
        default=None,
        description='offer callbacks only to callers who join the queue between these clock times, '
        '["HH:MM", "HH:MM"] (from inclusive, until exclusive; inside the day; default: the whole day)',
    )
    max_per_interval: Annotated[int, Field(ge=0, le=MAX_CALLS_PER_INTERVAL)] | tuple[
        Annotated[int, Field(ge=0, le=MAX_CALLS_PER_INTERVAL)], ...] | None = Field(
        default=None,
        description="at most this many accepted callbacks per interval (one number, or one per interval); "
        "once reached, no more offers until the next interval (default: no cap)",
    )

    @field_validator("offered_between", mode="before")
    @classmethod
    def _clock_times(cls, value):
        return two_clock_times(value, '["10:00", "16:00"]')

    @model_validator(mode="after")
    def _delay_for_scheduled(self):
        if self.mode == "scheduled" and self.delay is None:
            raise ValueError("mode 'scheduled' needs a 'delay' distribution (acceptance to callback, seconds)")
        return self


class ReturnCalls(_Frozen):
    """Callers who call again: abandoners who redial, and callers whose issue was not resolved."""

    _omitted_when_none = ("retrial",)

    redial_probability: Probability = Field(
        default=0.0, description="chance that a caller who abandoned (queue or IVR) calls again"
    )
    redial_delay: Distribution = Field(
        default_factory=lambda: Exponential(dist="exponential", mean=600.0),
        description="time from abandoning to the redial, seconds",
    )
    repeat_delay: Distribution = Field(
        default_factory=lambda: Exponential(dist="exponential", mean=3600.0),
        description="time from the end of an unresolved call to the repeat call, seconds",
    )
    max_calls: int = Field(default=3, ge=1, le=20, description="calls per caller at most, the first one included")
    retrial: Literal["new_caller", "same_contact"] | None = Field(
        default=None, description="what a redial (after abandoning, hanging up in the IVR or a busy signal) is: "
        "new_caller: a call with fresh patience, talk time and ACW (absent = this); same_contact: the same contact "
        "again, keeping its patience, talk time and ACW, and made after the close too (the centre serves it, or "
        "cuts it off where the queue disconnects); KPIs caller_wait and callers_served")


class PriorityClass(_Frozen):
    """A class of callers of one queue answered before every lower class (e.g. VIP callers)."""

    name: Name = Field(description="the class's name, e.g. vip")
    share: Probability = Field(description="share of the queue's calls in this class")


class Overflow(_Frozen):
    """Once a call has waited `after_s` seconds in this queue, agents of other groups may answer it."""

    after_s: float = Field(ge=0, description="wait in this queue after which the call overflows, seconds")
    to_groups: tuple[str, ...] = Field(
        min_length=1,
        description="agent groups that may then answer it, in the order they are tried; they take "
        "overflowed calls only when their own queues are empty, longest-waiting first",
    )



# what happens to callers still waiting when the last interval ends
OnClose = Literal["serve", "disconnect"]
ON_CLOSE_DOC = ("serve: agents stay until every waiting caller is answered or has hung up (overtime); disconnect: "
                "callers still waiting are cut off (outcome disconnected), as are those who reach the queue later, "
                "and callbacks not yet made are dropped (callbacks_failed)")


class MaxWait(_Frozen):
    """A maximum wait: a caller still waiting in the queue `after_s` seconds after joining it is
    sent to a message (voicemail, a callback request) and leaves the line with its own outcome,
    unless its patience runs out first."""

    after_s: float = Field(ge=0, description="wait in this queue after which a caller still waiting leaves a "
                           "message (outcome message), seconds; a caller whose patience runs out first abandons")
    call_back: bool = Field(default=False, description="true: the centre returns each message as a callback, through "
                            "the queue's callback section (keep_place: it keeps the caller's place in line; scheduled: "
                            "it joins after the callback delay), ending as callbacks_completed or callbacks_failed; "
                            "false: the message is the call's end")


class Queue(_Frozen):
    _omitted_when_none = ("priority_classes", "overflow", "transfer_time", "talk_time_scale", "acw_scale",
                          "patience_scale", "talk_time_by_interval", "acw_by_interval", "patience_by_interval",
                          "max_wait", "on_close")
    name: Name = Field(description="the queue's name; agent groups and IVR options refer to it")
    talk_time: Distribution = Field(description="talk (and hold) time of an answered call, seconds")
    acw: Distribution = Field(
        default_factory=lambda: Fixed(dist="fixed", mean=0.0),
        description="after-call work by the agent once the caller hangs up, seconds",
    )
    patience: Distribution | None = Field(
        default=None,
        description="how long a caller is willing to wait in the queue, seconds; "
        "absent = callers never abandon",
    )
    talk_time_scale: tuple[Scale, ...] | None = Field(
        default=None,
        description="one factor per interval multiplying the talk time of calls arriving in that interval "
        "(the same uniforms, scaled: paired comparisons stay paired); absent = 1 all day",
    )
    acw_scale: tuple[Scale, ...] | None = Field(
        default=None, description="one factor per interval multiplying the ACW of calls arriving in that interval")
    patience_scale: tuple[Scale, ...] | None = Field(
        default=None,
        description="one factor per interval multiplying the patience of callers arriving in that interval")
    talk_time_by_interval: tuple[Distribution, ...] | None = Field(
        default=None,
        description="one talk-time distribution per interval: a call arriving in interval k draws its talk "
        "from entry k (the same uniform as with talk_time: paired comparisons stay paired); talk_time stays the "
        "queue's talk time where one figure for the day is read; not with talk_time_scale",
    )
    acw_by_interval: tuple[Distribution, ...] | None = Field(
        default=None, description="one ACW distribution per interval, as talk_time_by_interval; not with acw_scale")
    patience_by_interval: tuple[Distribution, ...] | None = Field(
        default=None,
        description="one patience distribution per interval, as talk_time_by_interval (needs patience, the "
        "queue's patience for the day); not with patience_scale")
    balk_probability: Probability = Field(
        default=0.0,
        description="chance that a caller who would have to wait hangs up at once",
    )
    first_contact_resolution: Probability = Field(
        default=1.0,
        description="chance that an answered call resolves the caller's issue; the others call "
        "again (see return_calls)",
    )
    callback: Callback | None = Field(default=None, description="virtual hold: offer callers a callback")
    priority_classes: tuple[PriorityClass, ...] | None = Field(
        default=None,
        description="classes of callers answered ahead of the others, highest first, each a share of "
        "the queue's calls (the rest are ordinary callers, answered last); FCFS within a class",
    )
    overflow: Overflow | None = Field(
        default=None, description="let agents of other groups answer calls that have waited long"
    )
    max_wait: MaxWait | None = Field(
        default=None, description="send callers still waiting after so long to a message (voicemail); absent = "
        "callers wait until answered or their patience runs out")
    on_close: OnClose | None = Field(
        default=None, description="this queue's rule for callers still waiting when the last interval ends "
        "(overrides the scenario's on_close)")
    transfer_time: Distribution | None = Field(
        default=None, description="with intents: time an agent of this queue spends before transferring a "
        "misrouted caller, seconds (default 65 s fixed, the field guide's figure; an option's transfer_time "
        "overrides it)")

    @field_validator("priority_classes")
    @classmethod
    def _classes(cls, classes):
        if classes is None:
            return classes
        total = sum(c.share for c in classes)
        if total > 1 + 1e-9:
            raise ValueError(f"the shares of the priority classes sum to {total:g}; they must not exceed 1 "
                             "(the rest of the calls are ordinary callers)")
        return classes



class AgentGroup(_Frozen):
    _omitted_when_none = ("min_agents", "max_agents", "paid_cost")
    name: Name = Field(description="the group's name, used in results and by overflow")
    serves: tuple[str, ...] = Field(
        min_length=1,
        max_length=MAX_PARTS,
        description="queues this group answers, highest priority first",
    )
    staffing: tuple[Annotated[int, Field(ge=0, le=MAX_AGENTS)], ...] = Field(
        min_length=1, description="agents on shift in each interval; in a file, one whole number means that many "
        "all day; plan, optimize and schedule make it, so there it may be left out"
    )
    hourly_cost: float | None = Field(
        default=None, ge=0, description="cost of one agent-hour (for agent_cost, cost_per_call)"
    )
    paid_cost: tuple[Annotated[float, Field(ge=0)], ...] | None = Field(
        default=None, description="what the group's agents are paid in each interval (written by `callsim schedule`: "
        "its shifts' paid hours at their own rates, paid breaks included); absent = staffing x hourly_cost",
    )
    min_agents: NonNegativeInt | tuple[NonNegativeInt, ...] | None = Field(
        default=None, description="fewest agents `callsim optimize` may staff: one number for the day or one per "
        "interval (absent = 0)",
    )
    max_agents: NonNegativeInt | tuple[NonNegativeInt, ...] | None = Field(
        default=None, description="most agents (seats) `callsim optimize` may staff: one number for the day or one "
        "per interval (absent = no limit)",
    )

    def agent_limits(self, n_intervals: int) -> tuple[tuple[int, ...], tuple[int | None, ...]]:
        """(min, max) agents per interval; max None = no limit."""
        def per_interval(value, default):
            if value is None:
                return (default,) * n_intervals
            return tuple(value) if isinstance(value, tuple) else (value,) * n_intervals
        return per_interval(self.min_agents, 0), per_interval(self.max_agents, None)


# what a target is judged on: the calls of each interval, of each clock hour, or of the day (Targets.judged_per)
JUDGED_PER = ("interval", "hour", "day")


class ServiceLevelTarget(_Frozen):
    fraction: Probability = Field(description="e.g. 0.8 in 80/20")
    within: float = Field(ge=0, description="answer-time threshold in seconds, e.g. 20 in 80/20")


class Targets(_Frozen):
    service_level: ServiceLevelTarget = Field(
        default=ServiceLevelTarget(fraction=0.8, within=20),
        description="share of calls to answer within a threshold (80/20 unless given)",
    )
    asa: float | None = Field(default=None, gt=0, description="maximum ASA in seconds")
    abandon_rate: Probability | None = Field(default=None, description="maximum abandonment rate")
    occupancy: tuple[Probability, Probability] = Field(
        default=(0.75, 0.85), description="agent occupancy band [low, high]"
    )
    judged_per: Literal[tuple(JUDGED_PER)] = Field(
        default="interval", description="the calls each service level, ASA and abandonment target is judged on: "
        "each interval's, each clock hour's (its intervals' calls pooled) or the whole day's (the occupancy band "
        "stays per interval)")

    @field_validator("occupancy")
    @classmethod
    def _band_ordered(cls, band):
        if band[0] > band[1]:
            raise ValueError("the occupancy band must be [low, high] with low <= high")
        return band


MIN_REPLICATIONS, MAX_REPLICATIONS = 2, 10_000  # a confidence interval needs two days


def replication_count(replications: int | None, default: int) -> int:
    """The replications a study runs: `replications` when given, `default` (the scenario's, or
    the study's own) when it is None. 0 is refused, never read as "not given"."""
    if replications is None:
        return default
    if not 1 <= replications <= MAX_REPLICATIONS:  # one day is a library caller's to ask for; a file's is 2+
        raise UserError(f"replications {replications}: give 1 to {MAX_REPLICATIONS:,} independent days, or leave "
                        f"it out for {default}")
    return replications


def _rule_names(registry: dict) -> str:
    return "; ".join(f"{name}: {rule.doc}" for name, rule in registry.items())


AgentSelectionName = Literal[tuple(AGENT_SELECTION)]
CallSelectionName = Literal[tuple(CALL_SELECTION)]


class RoutingRules(_Frozen):
    """Which idle agent answers an arriving call, and which waiting call a free agent takes."""

    agent_selection: AgentSelectionName = Field(
        default="group_order", description="for every queue, which idle agent answers a call that finds several "
        f"free: {_rule_names(AGENT_SELECTION)}")
    call_selection: CallSelectionName = Field(
        default="queue_order", description="for every agent group, which waiting call a free agent takes: "
        f"{_rule_names(CALL_SELECTION)}")
    agent_selection_by_queue: dict[str, AgentSelectionName] = Field(
        default_factory=dict, description="a queue's own agent selection, by queue name (overrides agent_selection)")
    call_selection_by_group: dict[str, CallSelectionName] = Field(
        default_factory=dict, description="a group's own call selection, by group name (overrides call_selection)")


class Simulation(_Frozen):
    replications: int = Field(default=20, ge=MIN_REPLICATIONS, le=MAX_REPLICATIONS,
                              description="independent simulated days")
    seed: int = Field(default=20261123, ge=0, description="root random seed: the same seed gives the same results")


class Scenario(_Frozen):
    _omitted_when_none = ("shifts", "intents", "trunks", "days", "routing", "on_close", "initial_state")
    schema_version: Literal[1] = Field(description="version of this file format")
    name: str = Field(min_length=1, max_length=200, description="the scenario's title, shown on every result")
    description: str = Field(default="", description="what the scenario describes and where its figures come from")
    interval_minutes: Literal[15, 30, 60] = Field(description="length of each planning interval, minutes")
    start: str = Field(default="00:00", description='clock time of the first interval, in quotes: "08:00"',
                       json_schema_extra={"pattern": CLOCK_JSON_PATTERN})
    arrivals: Arrivals = Field(description="expected calls per interval and their day-to-day spread")
    queues: tuple[Queue, ...] = Field(min_length=1, max_length=MAX_PARTS, description="the queues callers wait in, each with its calls' "
                                      "talk time, after-call work and patience")
    agents: tuple[AgentGroup, ...] = Field(min_length=1, max_length=MAX_PARTS, description="agent groups: which queues each answers and "
                                           "how many agents are on shift per interval")
    ivr: Ivr | None = Field(default=None, description="the IVR menu tree callers pass before the queues")
    intents: tuple[Intent, ...] | None = Field(
        default=None, min_length=1, max_length=MAX_PARTS,
        description="why people call (optional; needs an ivr): each intent a share of the calls, the queue "
        "that resolves it and its own durations; menu options then list the intents they are meant for")
    return_calls: ReturnCalls | None = Field(default=None, description="redials and repeat calls")
    trunks: int | None = Field(
        default=None, ge=1, le=MAX_AGENTS * MAX_PARTS,
        description="telephone lines into the centre (optional; default: unlimited): a call holds a line from its "
                    "arrival (IVR included) until it hangs up or its talk ends (ACW needs no line); a caller who "
                    "finds every line busy hears a busy signal (blocked) and may redial like an abandoner")
    routing: RoutingRules | None = Field(default=None, description="ACD routing rules: which agent answers, which "
                                         "call a free agent takes (absent = queue and group order)")
    on_close: OnClose | None = Field(default=None, description="callers still waiting when the last interval ends, "
                                     f"for every queue without its own on_close: {ON_CLOSE_DOC} (absent = serve)")
    targets: Targets = Field(default=Targets(), description="service targets the results are checked against")
    simulation: Simulation = Field(default=Simulation(), description="replications and seed")
    shifts: ShiftRules | None = Field(default=None, description="shift rules for 'callsim schedule' (the simulator "
                                      "ignores them): shift types, breaks, costs, caps, seats, shrinkage")
    days: tuple[Day, ...] | None = Field(
        default=None, min_length=1, max_length=MAX_DAYS,
        description="the dates a multi-day scenario spans (a week): each a date, closed or not, and its own calls "
        "(default: arrivals.calls), opening hours and staffing; 'callsim run' simulates them as one timeline "
        "(simulator.timeline), 'callsim schedule' builds weekly tours for them")
    initial_state: InitialState | None = Field(
        default=None, description="the centre as it stands at a clock time `at` (callers waiting, agents busy, "
        "callbacks pending): the day is simulated from `at` to its end (absent = from the first interval, empty)")

    @field_validator("start")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        clock = parse_clock(value) if value == value.strip() else None
        if clock is None:
            raise ValueError("must be a clock time HH:MM, e.g. \"08:00\"")
        return clock

    @model_validator(mode="after")
    def _cross_checks(self):
        n = len(self.arrivals.calls)
        queue_names = [q.name for q in self.queues]
        for index, name in enumerate(queue_names):
            if name in queue_names[:index]:
                raise ScenarioError(("queues", index, "name"), f"queue name '{name}' is used twice; give each queue its own name")
        group_names = [g.name for g in self.agents]
        for index, name in enumerate(group_names):
            if name in group_names[:index]:
                raise ScenarioError(("agents", index, "name"), f"agent group name '{name}' is used twice; give each group its own name")
        for q_index, queue in enumerate(self.queues):
            for key in ("talk_time_scale", "acw_scale", "patience_scale"):
                value = getattr(queue, key)
                if value is not None and len(value) != n:
                    raise ScenarioError(("queues", q_index, key), f"has {len(value)} intervals but arrivals.calls has "
                                        f"{n}; give one factor per interval")
            _check_by_interval(queue, q_index, n)
        hts = self.arrivals.handle_time_s
        if hts is not None and len(hts) != n:
            raise ScenarioError(("arrivals", "handle_time_s"), f"has {len(hts)} intervals but arrivals.calls has {n}; "
                                "give one handle time per interval")
        served = set()
        for g_index, group in enumerate(self.agents):
            if len(group.staffing) != n:
                raise ScenarioError(
                    ("agents", g_index, "staffing"),
                    f"has {len(group.staffing)} intervals but arrivals.calls has {n}; give one number per interval",
                )
            if group.paid_cost is not None and len(group.paid_cost) != n:
                raise ScenarioError(
                    ("agents", g_index, "paid_cost"),
                    f"has {len(group.paid_cost)} intervals but arrivals.calls has {n}; give one number per interval",
                )
            for key in ("min_agents", "max_agents"):
                value = getattr(group, key)
                if isinstance(value, tuple) and len(value) != n:
                    raise ScenarioError(
                        ("agents", g_index, key),
                        f"has {len(value)} intervals but arrivals.calls has {n}; give one number for the day or one per interval",
                    )
            low, high = group.agent_limits(n)
            for k, (lo, hi) in enumerate(zip(low, high)):
                if hi is not None and lo > hi:
                    raise ScenarioError(
                        ("agents", g_index, "min_agents"),
                        f"min_agents {lo} is above max_agents {hi} (interval {k + 1}); lower min_agents or raise max_agents",
                    )
            for s_index, queue in enumerate(group.serves):
                if queue not in queue_names:
                    raise ScenarioError(
                        ("agents", g_index, "serves", s_index),
                        f"unknown queue '{queue}'; the queues are: {', '.join(queue_names)}",
                    )
                if queue in group.serves[:s_index]:
                    raise ScenarioError(("agents", g_index, "serves", s_index), f"queue '{queue}' is listed twice")
            served.update(group.serves)
        for q_index, queue in enumerate(self.queues):
            if queue.name not in served:
                raise ScenarioError(
                    ("queues", q_index, "name"),
                    f"no agent group serves queue '{queue.name}'; add it to some group's 'serves'",
                )
        for q_index, queue in enumerate(self.queues):
            names = [c.name for c in queue.priority_classes or ()]
            for c_index, name in enumerate(names):
                if name in names[:c_index]:
                    raise ScenarioError(("queues", q_index, "priority_classes", c_index, "name"),
                                        f"priority class '{name}' is listed twice; give each class its own name")
            if queue.overflow is None:
                continue
            for t_index, name in enumerate(queue.overflow.to_groups):
                where = ("queues", q_index, "overflow", "to_groups", t_index)
                if name not in group_names:
                    raise ScenarioError(where, f"unknown agent group '{name}'; the groups are: {', '.join(group_names)}")
                if name in queue.overflow.to_groups[:t_index]:
                    raise ScenarioError(where, f"group '{name}' is listed twice")
                if queue.name in self.agents[group_names.index(name)].serves:
                    raise ScenarioError(where, f"group '{name}' already serves queue '{queue.name}'; "
                                        "list only groups that do not")
        if self.routing is not None:
            for key, names, what in (("agent_selection_by_queue", queue_names, "queue"),
                                     ("call_selection_by_group", group_names, "agent group")):
                for name in getattr(self.routing, key):
                    if name not in names:
                        raise ScenarioError(("routing", key, name),
                                            f"unknown {what} '{name}'; the {what}s are: {', '.join(names)}")
        for q_index, queue in enumerate(self.queues):
            self._check_callback_limits(q_index, queue.callback, n)
            if queue.max_wait is not None and queue.max_wait.call_back and queue.callback is None:
                raise ScenarioError(("queues", q_index, "max_wait", "call_back"),
                                    f"queue '{queue.name}' has no callback section to return messages through; add "
                                    "one (how callbacks are dialled and answered) or set call_back: false")
        shares = self.arrivals.queue_shares
        if self.ivr is not None:
            if shares is not None:
                raise ScenarioError(("arrivals", "queue_shares"), "with an IVR the menus route calls; remove queue_shares")
            self.ivr.check_against(queue_names, n, self.intents or ())
        if self.intents is not None:
            check_intents(self.intents, self.ivr, queue_names, n)
        if self.ivr is None and len(self.queues) > 1 and shares is None:
            raise ScenarioError(
                ("arrivals",),
                "with several queues, say what share of calls goes to each (arrivals.queue_shares: {name: share, ...}) or add an ivr",
            )
        if shares is not None:
            for name in shares:
                if name not in queue_names:
                    raise ScenarioError(
                        ("arrivals", "queue_shares", name),
                        f"unknown queue '{name}'; the queues are: {', '.join(queue_names)}",
                    )
            total = sum(shares.values())
            if not math.isclose(total, 1.0, abs_tol=1e-6):
                raise ScenarioError(
                    ("arrivals", "queue_shares"),
                    f"shares sum to {total:g}, not 1; adjust them so they add up to 1",
                )
        if self.shifts is not None:
            self.shifts.check_against(int(self.start_s // 60), n, self.interval_minutes, group_names,
                                      self.arrivals.calls)
        self._check_days(n)
        if self.initial_state is not None:
            check_state(self.initial_state, self)
        return self

    def _check_days(self, n: int) -> None:
        if self.days is None:
            return
        seen = set()
        for d, day in enumerate(self.days):
            if day.date in seen:
                raise ScenarioError(("days", d, "date"), f"date {day.date} is listed twice; list each day once")
            seen.add(day.date)
            if day.calls is not None and len(day.calls) != n:
                raise ScenarioError(("days", d, "calls"), f"has {len(day.calls)} intervals but arrivals.calls has "
                                                          f"{n}; give one number per interval of the day")
            if d and day.date <= self.days[d - 1].date:
                raise ScenarioError(("days", d, "date"), f"{day.date} comes before {self.days[d - 1].date}; list the "
                                    "days in date order")
            self._check_day_open(d, day, n)
            group_names = [g.name for g in self.agents]
            for name, staffing in (day.staffing or {}).items():
                if name not in group_names:
                    raise ScenarioError(("days", d, "staffing", name), f"unknown agent group '{name}'; the groups "
                                        f"are: {', '.join(group_names)}")
                if isinstance(staffing, tuple) and len(staffing) != n:
                    raise ScenarioError(("days", d, "staffing", name), f"has {len(staffing)} intervals but "
                                        f"arrivals.calls has {n}; give one number per interval of the day, or one "
                                        "for the whole day")
        if n * self.interval_s > 86400:
            raise ScenarioError(("arrivals", "calls"), f"{n} intervals of {self.interval_minutes} minutes are more "
                                "than 24 hours: with days: each day's grid fits in a day; give at most "
                                f"{86400 // int(self.interval_s)} intervals")
        if all(day.closed for day in self.days):
            raise ScenarioError(("days",), "every day is closed; open at least one")
        if self.shifts is not None and self.shifts.contracts is not None:
            self.shifts.check_week([day.weekday for day in self.days], [not day.closed for day in self.days],
                                   self.interval_minutes * n)

    def _check_day_open(self, d: int, day: Day, n: int) -> None:
        """A day's opening hours lie on the interval grid, from before until."""
        if day.open is None:
            return
        day_s = n * self.interval_s
        until = self.clock_at(day_s)[:5]
        until = "24:00" if until == "00:00" else until + (" the next day" if self.start_s + day_s > 86400 else "")
        grid = f"{self.start} to {until} every {self.interval_minutes} minutes"
        offsets = []
        for k, clock in enumerate(day.open):
            offset = self._clock_offset_s(clock)
            if k == 1 and offset == 0:  # the clock time the grid ends at, one day on
                offset = 86400.0
            if offset > day_s or (k == 0 and offset == day_s) or offset % self.interval_s:
                raise ScenarioError(("days", d, "open", k), f"{clock} is not a boundary of the day's intervals "
                                    f"({grid}); give one of them")
            offsets.append(offset)
        if offsets[1] <= offsets[0]:
            raise ScenarioError(("days", d, "open"), f"{day.open[1]} is not after {day.open[0]}; give [from, until] "
                                "in that order")

    def _check_callback_limits(self, q_index: int, callback: "Callback | None", n: int) -> None:
        if callback is None:
            return
        where = ("queues", q_index, "callback")
        cap = callback.max_per_interval
        if isinstance(cap, tuple) and len(cap) != n:
            raise ScenarioError((*where, "max_per_interval"),
                                f"has {len(cap)} intervals but arrivals.calls has {n}; give one number for the day or one per interval")
        if callback.offered_between is not None:
            day_s = n * self.interval_s
            day = f"{self.start} to {self.clock_at(day_s)[:5]}"
            start_s, end_s = (self._clock_offset_s(t) for t in callback.offered_between)
            if start_s >= day_s:
                raise ScenarioError((*where, "offered_between", 0), f"{callback.offered_between[0]} is outside the day ({day}); "
                                    "give a time inside it")
            if end_s == 0:  # the clock time the day ends at, one day on
                end_s = 86400.0
            if end_s > day_s:
                raise ScenarioError((*where, "offered_between", 1), f"{callback.offered_between[1]} is outside the day ({day}); "
                                    "give a time inside it")
            if end_s <= start_s:
                raise ScenarioError((*where, "offered_between"), f"{callback.offered_between[1]} is not after "
                                    f"{callback.offered_between[0]}; give [from, until] in that order")

    def _clock_offset_s(self, hhmm: str) -> float:
        hours, minutes = hhmm.split(":")
        return float((int(hours) * 3600 + int(minutes) * 60 - self.start_s) % 86400)

    # --- derived facts, so nothing downstream re-derives them differently ---

    def callback_window_s(self, q: int) -> tuple[float, float]:
        """When queue q offers callbacks, as simulation seconds [from, until): the whole day, and
        after it, unless `offered_between` limits it."""
        callback = self.queues[q].callback
        if callback is None or callback.offered_between is None:
            return (0.0, math.inf)
        start_s, end_s = (self._clock_offset_s(t) for t in callback.offered_between)
        return (start_s, end_s if end_s > start_s else 86400.0)

    def callback_cap(self, q: int) -> list[float]:
        """Queue q's accepted callbacks allowed per interval (inf: no cap)."""
        cap = None if self.queues[q].callback is None else self.queues[q].callback.max_per_interval
        if cap is None:
            return [math.inf] * self.n_intervals
        return [float(v) for v in cap] if isinstance(cap, tuple) else [float(cap)] * self.n_intervals

    @property
    def n_intervals(self) -> int:
        return len(self.arrivals.calls)

    @property
    def interval_s(self) -> float:
        return self.interval_minutes * 60.0

    @property
    def state_at_s(self) -> float:
        """Simulation seconds the day is simulated from: the initial state's moment (0 without one)."""
        return 0.0 if self.initial_state is None else state_offset_s(self.initial_state, self.start_s)

    def interval_seconds_simulated(self) -> np.ndarray:
        """Seconds of each interval that are simulated: all of them, but those before the
        initial state's moment (none) and the one it cuts (the part from it on)."""
        ends = (np.arange(self.n_intervals) + 1) * self.interval_s
        return np.clip(ends - self.state_at_s, 0.0, self.interval_s)

    @property
    def start_s(self) -> float:
        """Clock time of the first interval, seconds after midnight (for labels only)."""
        hours, minutes = self.start.split(":")
        return int(hours) * 3600.0 + int(minutes) * 60.0

    def period_of_intervals(self) -> tuple[int, ...]:
        """The period each interval's calls are judged in (targets.judged_per), numbered from 0: the interval
        itself, its clock hour (by the interval's start; an hour the day starts or ends in part way is a period
        of its own intervals), or 0 for the whole day."""
        judged = self.targets.judged_per
        if judged == "interval":
            return tuple(range(self.n_intervals))
        if judged == "day":
            return (0,) * self.n_intervals
        hours = [int(self.start_s + k * self.interval_s) // 3600 for k in range(self.n_intervals)]
        return tuple(h - hours[0] for h in hours)

    def period_labels(self) -> list[str]:
        """A label per judging period: the interval's clock time, its hour's first interval, or "day"."""
        if self.targets.judged_per == "day":
            return ["day"]
        labels, periods = self.interval_labels(), self.period_of_intervals()
        return [labels[periods.index(p)] for p in range(periods[-1] + 1)] if periods else []

    def interval_labels(self) -> list[str]:
        labels = []
        for k in range(self.n_intervals):
            t = int(self.start_s + k * self.interval_s) // 60
            labels.append(f"{(t // 60) % 24:02d}:{t % 60:02d}")
        return labels

    def clock_at(self, at_s: float) -> str:
        """HH:MM:SS of the simulation time `at_s` (seconds after the start of the first interval)."""
        total = int(math.floor(self.start_s + at_s)) % 86400
        return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"

    def offset_of_clock(self, hhmm: str) -> float:
        """Simulation seconds of a clock time HH:MM on the scenario's day (ValueError if malformed
        or outside the day: a UserError)."""
        label = parse_clock(hhmm)
        if label is None:
            raise UserError(f"'{hhmm}' is not a clock time HH:MM")
        hours, minutes = label.split(":")
        offset = (int(hours) * 3600 + int(minutes) * 60 - self.start_s) % 86400
        day_s = self.n_intervals * self.interval_s
        if offset >= day_s:
            raise UserError(f"{hhmm} is outside the scenario's day ({self.start} to {self.clock_at(day_s)[:5]})")
        return float(offset)

    def queue_index(self, name: str) -> int:
        return [q.name for q in self.queues].index(name)

    def disconnects_at_close(self) -> tuple[bool, ...]:
        """Per queue: are its callers still waiting at the close cut off (on_close: disconnect, the
        queue's own or the scenario's; default serve)."""
        return tuple((q.on_close or self.on_close or "serve") == "disconnect" for q in self.queues)

    # --- variants: a new validated scenario without a file round trip ---

    def open_range(self, d: int) -> tuple[int, int]:
        """Intervals [from, until) day `d` of `days:` is open ((0, 0) when closed; checked on the grid)."""
        day, n = self.days[d], self.n_intervals
        if day.closed:
            return 0, 0
        if day.open is None:
            return 0, n
        start_s, end_s = (self._clock_offset_s(clock) for clock in day.open)
        end_s = 86400.0 if end_s == 0 else end_s
        return int(start_s // self.interval_s), min(n, int(end_s // self.interval_s))

    def on_day(self, d: int) -> "Scenario":
        """Day `d` of `days:` as a one-day scenario: that day's calls (none outside its opening
        hours) and staffing, no `days:`."""
        lo, hi = self.open_range(d)
        calls = tuple(c if lo <= k < hi else 0.0 for k, c in enumerate(self.days[d].day_calls(self.arrivals.calls)))
        day_staffing = self.days[d].staffing or {}
        agents = tuple(revised(g, staffing=_per_interval(day_staffing[g.name], len(calls)))
                       if g.name in day_staffing else g for g in self.agents)
        return revised(self, arrivals=revised(self.arrivals, calls=calls), agents=agents, days=None)

    def with_staffing(self, staffing: "Mapping[str, Sequence[int]]", what: str = "the new staffing",
                      advice: str = "ask for a smaller change") -> "Scenario":
        """This scenario with the named groups' staffing replaced (one number per interval); their
        paid_cost is dropped (it priced the old staffing's shifts): they are paid staffing x hourly_cost.
        A staffing past the schema's limits is a `VariantError` naming `what` changed it and
        ending in `advice`."""
        names = [g.name for g in self.agents]
        for name in staffing:
            if name not in names:
                raise VariantError(f"{what}: unknown agent group '{name}'; the groups are: {', '.join(names)}")
        with _variant(what, advice):
            agents = tuple(_revised_at(("agents", i), g, staffing=tuple(int(n) for n in staffing[g.name]),
                                      paid_cost=None)
                           if g.name in staffing else g for i, g in enumerate(self.agents))
            return revised(self, agents=agents)

    def with_volume(self, factor: float) -> "Scenario":
        """This scenario with every interval's expected calls times `factor`."""
        with _variant(f"calls times {factor:g}"):
            return revised(self, arrivals=_revised_at(("arrivals",), self.arrivals,
                                                      calls=tuple(c * factor for c in self.arrivals.calls)))

    def with_scaled_durations(self, what: str, factor: float) -> "Scenario":
        """Every queue's (and intent's) `what` distribution (talk_time, acw or patience) with its
        time parameters times `factor` (the CV stays); queues without one keep theirs."""
        with _variant(f"{what} times {factor:g}"):
            queues = tuple(_scaled_at(("queues", i), q, what, factor) if getattr(q, what) is not None else q
                           for i, q in enumerate(self.queues))
            if not self.intents:
                scaled = revised(self, queues=queues)
            else:
                # an intent's own durations scale with the queues' (those it leaves out follow its queue's)
                intents = tuple(_scaled_at(("intents", i), intent, what, factor) if getattr(intent, what) is not None
                                else intent for i, intent in enumerate(self.intents))
                scaled = revised(self, queues=queues, intents=intents)
            hts = self.arrivals.handle_time_s
            if hts is None or what == "patience":
                return scaled
            # handle_time_s is read relative to the scenario's mean handle time, which just moved: move
            # it too, so that every interval's talk (or ACW) is `factor` times what it was
            ratio = scenario_mean_handle_time_s(scaled) / scenario_mean_handle_time_s(self)
            arrivals = _revised_at(("arrivals",), self.arrivals, handle_time_s=tuple(h * ratio for h in hts))
            return revised(scaled, arrivals=arrivals)


def _per_interval(value: int | tuple[int, ...], n: int) -> tuple[int, ...]:
    """One number for the day, or one per interval, as one per interval."""
    return tuple(value) if isinstance(value, tuple) else (value,) * n


def _check_by_interval(queue: Queue, q_index: int, n: int) -> None:
    """A queue's durations per interval (`talk_time_by_interval`, ...): one per interval, not
    beside the same duration's `*_scale`, and patience per interval only where callers abandon."""
    for what in ("talk_time", "acw", "patience"):
        key = f"{what}_by_interval"
        value = getattr(queue, key)
        if value is None:
            continue
        if len(value) != n:
            raise ScenarioError(("queues", q_index, key), f"has {len(value)} intervals but arrivals.calls has {n}; "
                                "give one distribution per interval")
        if getattr(queue, f"{what}_scale") is not None:
            raise ScenarioError(("queues", q_index, key), f"is given with {what}_scale; give one of the two "
                                "(a distribution per interval, or a factor per interval on " + what + ")")
        if getattr(queue, what) is None:
            raise ScenarioError(("queues", q_index, key), f"needs {what} too (the queue's {what} for the day, "
                                "read where one figure is needed); add it")


class VariantError(UserError):
    """A variant of a valid scenario (more calls, longer talk times, a staffing) past one of the
    schema's limits; `str()` names the change and the first value at fault."""


class _At(Exception):
    """A validation error of a part of the scenario, with where that part is."""

    def __init__(self, prefix: tuple, error: Exception):
        super().__init__(str(error))
        self.prefix, self.error = prefix, error


@contextlib.contextmanager
def _at(prefix: tuple):
    """Errors of the part of the scenario at `prefix` (an agent group, a queue's talk time)."""
    try:
        yield
    except (ValidationError, ScenarioError) as exc:
        raise _At(prefix, exc) from None


def _revised_at(prefix: tuple, model, **changes):
    with _at(prefix):
        return revised(model, **changes)


def _scaled_at(prefix: tuple, model, what: str, factor: float):
    """`model` (a queue or an intent) with its `what` distribution scaled by `factor`."""
    with _at(prefix + (what,)):
        changes = {what: getattr(model, what).scaled(factor)}
    by_interval = getattr(model, f"{what}_by_interval", None)  # a queue's distributions per interval scale too
    if by_interval is not None:
        with _at(prefix + (f"{what}_by_interval",)):
            changes[f"{what}_by_interval"] = tuple(d.scaled(factor) for d in by_interval)
    return _revised_at(prefix, model, **changes)


@contextlib.contextmanager
def _variant(what: str, advice: str = "ask for a smaller change"):
    """Turn a validation error of a variant into one line: 'calls times 1e+05: arrivals.calls[0]:
    must be at most 1000000 (got 6000000.0)'."""
    try:
        yield
    except (_At, ValidationError, ScenarioError) as exc:
        prefix, error = (exc.prefix, exc.error) if isinstance(exc, _At) else ((), exc)
        if isinstance(error, ScenarioError):
            path, message = error.path, error.message
        else:
            path, message = explain_error(error.errors()[0])
        raise VariantError(f"{what}: {format_path(prefix + tuple(path))}: {message.split('; change the value')[0]}; "
                           f"{advice}") from None
