"""The centre as it stands at a clock time: the schema of a scenario's `initial_state:` section.

A day simulated from `at` starts with callers already waiting (and how long each has waited),
agents already talking or in after-call work, and callbacks already promised. This module holds
the schema and its checks against the scenario (`check_state`); the scenario imports it.
Reading a separate STATE.yaml is `simulator.initial_state.load_state`; drawing what the state
leaves open (remaining talk, patience beyond the wait so far) is `simulator.starting_state`.
"""
from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from .schema_base import MAX_AGENTS, MAX_CALLS_PER_INTERVAL, MAX_DURATION_S, NonNegativeInt, ScenarioError, _Frozen

# a time already spent (waiting, talking, in ACW): 0 or more seconds, at most a week
ElapsedS = Annotated[float, Field(ge=0, le=MAX_DURATION_S)]
AgentCount = Annotated[int, Field(ge=0, le=MAX_AGENTS)]


class BusyAgents(_Frozen):
    """One group's agents busy at `at`: counts (remaining time unknown: drawn from the residual,
    equilibrium, distribution) or the elapsed time of each (remaining time drawn given it)."""

    _omitted_when_none = ("talking", "acw", "talking_elapsed_s", "acw_elapsed_s")
    talking: AgentCount | None = Field(default=None, description="agents in a call now (elapsed time unknown)")
    acw: AgentCount | None = Field(default=None, description="agents in after-call work now (elapsed time unknown)")
    talking_elapsed_s: tuple[ElapsedS, ...] | None = Field(
        default=None, max_length=MAX_AGENTS,
        description="instead of `talking`: for each agent in a call, how long the call has lasted so far, seconds")
    acw_elapsed_s: tuple[ElapsedS, ...] | None = Field(
        default=None, max_length=MAX_AGENTS,
        description="instead of `acw`: for each agent in after-call work, how long it has lasted so far, seconds")

    @model_validator(mode="after")
    def _count_or_list(self):
        for count, elapsed in (("talking", "talking_elapsed_s"), ("acw", "acw_elapsed_s")):
            if getattr(self, count) is not None and getattr(self, elapsed) is not None:
                raise ValueError(f"give either '{count}' (a count) or '{elapsed}' (one elapsed time per agent), "
                                 "not both")
        return self

    @property
    def n_talking(self) -> int:
        return self.talking if self.talking is not None else len(self.talking_elapsed_s or ())

    @property
    def n_acw(self) -> int:
        return self.acw if self.acw is not None else len(self.acw_elapsed_s or ())


class InitialState(_Frozen):
    """The centre at clock time `at`: the day is simulated from then to its end."""

    _omitted_when_none = ()
    at: str = Field(description='clock time the state is taken at, in quotes: "10:30" (inside the day)')
    waiting: dict[str, tuple[ElapsedS, ...]] = Field(
        default_factory=dict,
        description="per queue: how long each caller now waiting has waited so far, seconds (their patience is "
        "drawn beyond it; they keep their place in line)")
    busy: dict[str, BusyAgents] = Field(
        default_factory=dict, description="per agent group: agents now in a call or in after-call work")
    callbacks_pending: dict[str, Annotated[int, Field(ge=0, le=MAX_CALLS_PER_INTERVAL)]] = Field(
        default_factory=dict,
        description="per queue (with a callback section): callbacks promised and not yet made; made as the queue's "
        "callback rules say, from `at` on")

    @field_validator("at", mode="before")
    @classmethod
    def _clock_time(cls, value):
        if isinstance(value, int) and not isinstance(value, bool) and 60 <= value < 24 * 60:
            # YAML 1.1 reads an unquoted 10:30 as the base-60 number 630
            raise ValueError(f'must be a clock time in quotes, e.g. at: "{value // 60:02d}:{value % 60:02d}"')
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", value) if isinstance(value, str) else None
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValueError(f'must be a clock time HH:MM in quotes, e.g. "10:30" (got {value!r})')
        return f"{int(match[1]):02d}:{match[2]}"

    def is_empty(self) -> bool:
        """Nobody waiting, nobody busy, no callback owed."""
        return (not any(self.waiting.values()) and not self.callbacks_pending
                and not any(b.n_talking or b.n_acw for b in self.busy.values()))


def state_offset_s(state: InitialState, start_s: float) -> float:
    """Simulation seconds (after the start of the first interval, `start_s` seconds after
    midnight) of the state's clock time; the day may run past midnight."""
    hours, minutes = state.at.split(":")
    return float((int(hours) * 3600 + int(minutes) * 60 - start_s) % 86400)


def check_state(state: InitialState, scenario) -> None:
    """The state against its scenario: `at` inside the day, every queue and group named exists,
    no more busy agents than on shift at `at`, callbacks pending only where the queue offers
    callbacks. Raises ScenarioError with the path under `initial_state`."""
    where = ("initial_state",)
    day_s = scenario.n_intervals * scenario.interval_s
    at_s = state_offset_s(state, scenario.start_s)
    if at_s >= day_s:
        raise ScenarioError((*where, "at"), f"{state.at} is outside the scenario's day ({scenario.start} to "
                            f"{scenario.clock_at(day_s)[:5]}); give a time inside it")
    queues = [q.name for q in scenario.queues]
    groups = [g.name for g in scenario.agents]
    for key, names, what in (("waiting", queues, "queue"), ("busy", groups, "agent group"),
                             ("callbacks_pending", queues, "queue")):
        for name in getattr(state, key):
            if name not in names:
                raise ScenarioError((*where, key, name), f"unknown {what} '{name}'; the {what}s are: {', '.join(names)}")
    k = int(at_s // scenario.interval_s)
    for name, busy in state.busy.items():
        on_shift = scenario.agents[groups.index(name)].staffing[k]
        if busy.n_talking + busy.n_acw > on_shift:
            raise ScenarioError((*where, "busy", name), f"{busy.n_talking + busy.n_acw} agents busy but the group has "
                                f"{on_shift} on shift at {state.at}; give at most {on_shift} (or raise its staffing)")
    for name, waits in state.waiting.items():
        max_wait = scenario.queues[queues.index(name)].max_wait
        late = [w for w in waits if max_wait is not None and w >= max_wait.after_s]
        if late:  # such a caller would have left its message already
            raise ScenarioError((*where, "waiting", name),
                                f"a wait of {late[0]:g} s is past queue '{name}''s max_wait ({max_wait.after_s:g} s): "
                                "that caller has left a message already; give only the callers still waiting")
    on_lines = sum(len(waits) for waits in state.waiting.values()) + sum(b.n_talking for b in state.busy.values())
    if scenario.trunks is not None and on_lines > scenario.trunks:
        raise ScenarioError((*where, "waiting"), f"{on_lines} callers on the line (waiting and talking) but the centre has "
                            f"{scenario.trunks} trunks; give at most {scenario.trunks}, or raise trunks")
    for name, count in state.callbacks_pending.items():
        if count and scenario.queues[queues.index(name)].callback is None:
            raise ScenarioError((*where, "callbacks_pending", name),
                                f"queue '{name}' offers no callbacks (no callback section); remove the count or "
                                "add a callback section to the queue")
