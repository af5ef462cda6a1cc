"""The `shifts:` section of a scenario: the rules `callsim schedule` builds shifts from.

Clock times are "HH:MM" strings (quoted in YAML: unquoted 8:00 reads as 480); lengths and
break windows are minutes, every one on a 5-minute grid so that the schedule's time grid stays
small. A break's window is where it may *start*, in minutes after the shift starts; the breaks
of a shift type are listed in the order they are taken and their windows must not overlap
(the first break ends, at the latest, before the second may start), which is what makes any
choice of one start per break a valid day for an agent.

The checks that need the rest of the scenario (the day's length, the groups, where the calls
are) live in `ShiftRules.check_against`, called by `Scenario`'s own cross-checks, and raise
`ScenarioError` with the key path so the error names the line in the file.
"""
from __future__ import annotations

import math
import re
from typing import Annotated, Sequence

from pydantic import Field, field_validator, model_validator

from .schema_base import Probability, ScenarioError, _Frozen

GRID_MINUTES = 5  # every time in the rules is a multiple of this
Minutes = Annotated[int, Field(ge=0, le=24 * 60)]


def clock_minutes(value: str) -> int:
    """"HH:MM" -> minutes after midnight (validated by the schema beforehand)."""
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def clock_text(minutes_after_midnight: int | float) -> str:
    total = int(round(minutes_after_midnight))
    return f"{(total // 60) % 24:02d}:{total % 60:02d}" if total % 1440 or total == 0 else "24:00"


def _clock(value: str) -> str:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(value))
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError('must be a clock time HH:MM in quotes, e.g. "08:00"')
    return f"{int(match[1]):02d}:{match[2]}"


class StartWindow(_Frozen):
    first: str = Field(description='earliest allowed start, "HH:MM"')
    last: str = Field(description='latest allowed start, "HH:MM" (included)')
    every_minutes: int = Field(default=30, ge=GRID_MINUTES, le=24 * 60,
                               description="step between allowed starts, minutes (15: the quarter hour)")

    _clocks = field_validator("first", "last")(classmethod(lambda cls, v: _clock(v)))


class Break(_Frozen):
    name: str = Field(default="break", min_length=1, description='e.g. "morning break", "lunch"')
    minutes: int = Field(gt=0, le=240, description="length of the break, minutes")
    paid: bool = Field(default=True, description="paid breaks count in paid hours (and cost); unpaid ones do not")
    starts_between_minutes: tuple[Minutes, Minutes] = Field(
        description="window for the break's start, minutes after the shift starts, both ends included: "
        "[180, 300] = the break starts 3 to 5 hours into the shift")

    @field_validator("starts_between_minutes")
    @classmethod
    def _ordered(cls, window):
        if window[0] > window[1]:
            raise ValueError("must be [earliest, latest] with earliest <= latest")
        return window


class ShiftType(_Frozen):
    name: str = Field(min_length=1, description='e.g. "full-time 8.5 h"')
    length_minutes: int = Field(gt=0, le=24 * 60, description="from start to end of the shift, breaks included, minutes")
    starts: tuple[str, ...] | StartWindow = Field(
        description='allowed start times: a list of "HH:MM", or {first, last, every_minutes}')
    breaks: tuple[Break, ...] = Field(default=(), description="breaks and lunch, in the order they are taken")
    cost_per_hour: float | None = Field(
        default=None, ge=0, description="cost of one paid hour (shift length less unpaid breaks); with neither cost "
        "given, the agent group's hourly_cost, or 1 (the schedule then minimises paid hours)")
    cost_per_shift: float | None = Field(default=None, ge=0, description="a fixed cost per shift worked, added to the hourly cost")
    min_agents: int = Field(default=0, ge=0, description="at least this many agents of this type per group")
    max_agents: int | None = Field(default=None, ge=0, description="at most this many agents of this type per group")
    max_share: Probability | None = Field(
        default=None, description="at most this share of a group's agents on this type, e.g. 0.3 for part-timers")
    groups: tuple[str, ...] | None = Field(default=None, description="agent groups that work this type (default: all)")

    @field_validator("starts", mode="before")
    @classmethod
    def _unquoted_clocks(cls, starts):
        # YAML 1.1 reads an unquoted 8:00 as the number 480: say so rather than "not a string"
        values = [starts.get("first"), starts.get("last")] if isinstance(starts, dict) else (
            starts if isinstance(starts, (list, tuple)) else [])
        for value in values:
            if isinstance(value, int) and not isinstance(value, bool):
                raise ValueError(f'YAML read an unquoted clock time as the number {value}; quote clock times, e.g. '
                                 f'"{value // 60:02d}:{value % 60:02d}"')
        return starts

    @field_validator("starts")
    @classmethod
    def _start_clocks(cls, starts):
        if isinstance(starts, tuple):
            if not starts:
                raise ValueError('give at least one start time, e.g. ["08:00", "09:00"]')
            return tuple(_clock(s) for s in starts)
        return starts

    @model_validator(mode="after")
    def _counts(self):
        if self.max_agents is not None and self.max_agents < self.min_agents:
            raise ValueError(f"max_agents ({self.max_agents}) is below min_agents ({self.min_agents})")
        return self

    @property
    def paid_minutes(self) -> int:
        return self.length_minutes - sum(b.minutes for b in self.breaks if not b.paid)

    def start_clocks(self) -> list[str]:
        """Every allowed start, "HH:MM", in order (a window crossing midnight wraps)."""
        if isinstance(self.starts, tuple):
            return list(self.starts)
        first, last = clock_minutes(self.starts.first), clock_minutes(self.starts.last)
        span = (last - first) % 1440
        return [clock_text((first + step) % 1440) for step in range(0, span + 1, self.starts.every_minutes)]


class Contract(_Frozen):
    """A weekly contract for multi-day scenarios (`days:`): what one agent's week may be."""

    name: str = Field(min_length=1, description='e.g. "full-time", "part-time 24 h"')
    types: tuple[str, ...] = Field(min_length=1, description="the shift types (by name) its agents work; one type "
                                   "all week per agent")
    days_per_week: tuple[Annotated[int, Field(ge=1, le=7)], Annotated[int, Field(ge=1, le=7)]] = Field(
        default=(5, 5), description="[min, max] days worked in a week")
    consecutive_days_off: int = Field(default=0, ge=0, le=6, description="at least this many of the days off in one "
                                      "run (Saturday-Sunday and Sunday-Monday both count; a closed day is a day off)")
    weekly_hours: tuple[Annotated[float, Field(ge=0, le=168)], Annotated[float, Field(ge=0, le=168)]] | None = Field(
        default=None, description="[min, max] paid hours a week (shift length less unpaid breaks, times days)")
    start_band_minutes: int = Field(default=0, ge=0, le=12 * 60, description="each day's start within this many "
                                    "minutes of the week's earliest (0: the same start every day)")
    max_agents: int | None = Field(default=None, ge=0, description="at most this many agents on this contract")
    max_share: Probability | None = Field(default=None, description="at most this share of all agents on this "
                                          "contract (the part-time cap)")
    max_weekend_share: Probability | None = Field(default=None, description="at most this share of the "
                                                  "contract's agents work on a Saturday or Sunday")

    @model_validator(mode="after")
    def _ranges(self):
        if self.days_per_week[0] > self.days_per_week[1]:
            raise ValueError("days_per_week must be [min, max] with min <= max")
        if self.weekly_hours is not None and self.weekly_hours[0] > self.weekly_hours[1]:
            raise ValueError("weekly_hours must be [min, max] with min <= max")
        return self


class ShiftRules(_Frozen):
    types: tuple[ShiftType, ...] = Field(min_length=1, description="the shift types agents can work")
    seats: dict[str, Annotated[int, Field(ge=0)]] | None = Field(
        default=None, description="per agent group, the desks: agents on shift and not on a break, at most (default: "
        "no limit)")
    shrinkage: Annotated[float, Field(ge=0, lt=1)] = Field(
        default=0.0, description="share of the time at a desk lost to anything but the breaks above (training, "
        "coaching, absence): on the phones = (on shift - on break) x (1 - shrinkage); --shrinkage overrides it")

    contracts: tuple[Contract, ...] | None = Field(
        default=None, min_length=1, description="weekly contracts (with days:): days on, days off, weekly hours, "
        "start band, caps; 'callsim schedule' then builds weekly tours")
    min_rest_hours: float = Field(default=11.0, ge=0, le=24, description="rest between two shifts, at least "
                                  "(EU Working Time Directive: 11)")

    def check_week(self, weekdays: Sequence[int], open_days: Sequence[bool], day_minutes: int) -> None:
        """The contracts against the days: types resolve, and some type's weekly hours fit."""
        names = [t.name for t in self.types]
        n_open = sum(open_days)
        for c, contract in enumerate(self.contracts or ()):
            path = ("shifts", "contracts", c)
            if contract.name in [k.name for k in self.contracts[:c]]:
                raise ScenarioError(path + ("name",), f"contract name '{contract.name}' is used twice")
            fits = False
            for k, name in enumerate(contract.types):
                if name not in names:
                    raise ScenarioError(path + ("types", k), f"unknown shift type '{name}'; the types are: "
                                                             f"{', '.join(names)}")
                shift = self.types[names.index(name)]
                band = contract.start_band_minutes
                if 24 * 60 - band - shift.length_minutes < self.min_rest_hours * 60:
                    raise ScenarioError(path + ("start_band_minutes",),
                                        f"a '{name}' shift ({shift.length_minutes} min) with starts within {band} min "
                                        f"leaves less than {self.min_rest_hours:g} h of rest between days; narrow "
                                        "the band")
                low, high = contract.weekly_hours or (0.0, 168.0)
                for days in range(contract.days_per_week[0], min(contract.days_per_week[1], n_open) + 1):
                    fits = fits or low - 1e-9 <= days * shift.paid_minutes / 60 <= high + 1e-9
            if not fits:
                paid = ", ".join(f"{name}: {self.types[names.index(name)].paid_minutes / 60:g} h paid a day"
                                 for name in contract.types)
                raise ScenarioError(path, f"contract '{contract.name}': no week of {contract.days_per_week[0]}-"
                                          f"{contract.days_per_week[1]} days on the {n_open} open days ({paid}) has "
                                          "paid hours within weekly_hours; widen the hours or the days")

    def types_of(self, group: str) -> list[int]:
        """Indices of the shift types a group works."""
        return [i for i, t in enumerate(self.types) if t.groups is None or group in t.groups]

    def check_against(self, day_start_min: int, n_intervals: int, interval_minutes: int, group_names: Sequence[str],
                      calls: Sequence[float]) -> None:
        """The rules against the scenario's day: each shift fits the day, each break window lies
        inside its shift, names resolve, and every interval with calls can be covered."""
        day_minutes = n_intervals * interval_minutes
        day_end = day_start_min + day_minutes
        names = list(group_names)
        type_names = [t.name for t in self.types]
        for i, shift in enumerate(self.types):
            path = ("shifts", "types", i)
            if shift.name in type_names[:i]:
                raise ScenarioError(path + ("name",), f"shift type name '{shift.name}' is used twice; give each its own")
            steps = [(("length_minutes",), shift.length_minutes)]
            if isinstance(shift.starts, StartWindow):
                steps.append((("starts", "every_minutes"), shift.starts.every_minutes))
            for keys, value in steps:
                if value % GRID_MINUTES:
                    raise ScenarioError(path + keys, f"{value} minutes is not on the {GRID_MINUTES}-minute grid; "
                                                     f"use a multiple of {GRID_MINUTES}")
            if shift.length_minutes > day_minutes:
                raise ScenarioError(path + ("length_minutes",),
                                    f"shift type '{shift.name}' lasts {_hours(shift.length_minutes)}, longer than the "
                                    f"day ({_hours(day_minutes)}, {clock_text(day_start_min)}-{clock_text(day_end)}); "
                                    "shorten it or add intervals to the day")
            latest_start = day_end - shift.length_minutes
            for s, clock in enumerate(shift.start_clocks()):
                start = day_start_min + (clock_minutes(clock) - day_start_min) % 1440
                where = path + (("starts", s) if isinstance(shift.starts, tuple) else ("starts",))
                if (start - day_start_min) % GRID_MINUTES:
                    raise ScenarioError(where, f"start {clock} is not on the {GRID_MINUTES}-minute grid")
                if start > latest_start:
                    raise ScenarioError(where, f"a '{shift.name}' shift starting at {clock} would end at "
                                               f"{clock_text(start + shift.length_minutes)}, outside the day "
                                               f"({clock_text(day_start_min)}-{clock_text(day_end)}); allowed starts "
                                               f"for it run from {clock_text(day_start_min)} to "
                                               f"{clock_text(latest_start)}")
            previous_end = 0
            for b, rest in enumerate(shift.breaks):
                bpath = path + ("breaks", b)
                earliest, latest = rest.starts_between_minutes
                for key, value in (("minutes", rest.minutes), ("starts_between_minutes", earliest),
                                   ("starts_between_minutes", latest)):
                    if value % GRID_MINUTES:
                        raise ScenarioError(bpath + (key,), f"{value} minutes is not on the {GRID_MINUTES}-minute "
                                                            f"grid; use a multiple of {GRID_MINUTES}")
                if latest + rest.minutes > shift.length_minutes:
                    raise ScenarioError(bpath + ("starts_between_minutes",),
                                        f"break '{rest.name}' may start {latest} min into the shift and last "
                                        f"{rest.minutes} min, ending after the {shift.length_minutes}-min shift "
                                        f"'{shift.name}'; its window must lie inside the shift")
                if earliest < previous_end:
                    raise ScenarioError(bpath + ("starts_between_minutes",),
                                        f"break '{rest.name}' may start {earliest} min into the shift, before the "
                                        f"previous break can have ended ({previous_end} min); list breaks in the "
                                        "order they are taken, with windows that do not overlap")
                previous_end = latest + rest.minutes
            if shift.paid_minutes <= 0:
                raise ScenarioError(path + ("breaks",), f"shift type '{shift.name}' has no paid time left")
            for g, name in enumerate(shift.groups or ()):
                if name not in names:
                    raise ScenarioError(path + ("groups", g),
                                        f"unknown agent group '{name}'; the groups are: {', '.join(names)}")
        for name in self.seats or {}:
            if name not in names:
                raise ScenarioError(("shifts", "seats", name),
                                    f"unknown agent group '{name}'; the groups are: {', '.join(names)}")
        for name in names:
            if not self.types_of(name):
                raise ScenarioError(("shifts", "types"), f"no shift type is open to agent group '{name}'; "
                                                         "add it to some type's 'groups' or drop 'groups'")
        covered = self.covered_intervals(day_start_min, n_intervals, interval_minutes)
        for k, c in enumerate(calls):
            if c > 0 and not covered[k]:
                clock = clock_text(day_start_min + k * interval_minutes)
                raise ScenarioError(("shifts", "types"),
                                    f"no shift type can cover the interval at {clock}, which has calls "
                                    f"({c:g} expected); allow a start (or a type) whose shift spans it")

    def covered_intervals(self, day_start_min: int, n_intervals: int, interval_minutes: int,
                          types: Sequence[int] | None = None) -> list[bool]:
        """Per interval: can some allowed shift (of `types`, default all) be on duty in it?"""
        covered = [False] * n_intervals
        for i in (range(len(self.types)) if types is None else types):
            shift = self.types[i]
            for clock in shift.start_clocks():
                start = (clock_minutes(clock) - day_start_min) % 1440
                first = start // interval_minutes
                last = math.ceil((start + shift.length_minutes) / interval_minutes)
                for k in range(first, min(last, n_intervals)):
                    covered[k] = True
        return covered


def _hours(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d} h"
