"""The `days:` section of a scenario: the dates a multi-day scenario spans (a week, say).

A scenario without `days:` is one day, as before. With it, every listed date is a day of the
same interval grid (`start`, `interval_minutes`, as many intervals as `arrivals.calls`); a day
takes `arrivals.calls` unless it gives its own `calls` (a list, or `{csv: forecast.csv, date:
YYYY-MM-DD}` as `arrivals.calls` takes, read by the loader), scaled by its `volume`; a `closed`
day has no calls and nobody works it. Short days are calls of 0 in the intervals it is shut
(the planner then staffs none there). The weekday of each date is derived, never typed, so it
cannot disagree with the date.

`run` simulates the days as one timeline (`simulator.timeline`): a day may be open for part of the
grid (`open: ["08:00", "14:00"]`: closed outside, no calls and nobody on shift), and may staff
its own agents (`staffing: {group: [...]}`, one number per interval of the grid or one for the
day; default: the group's `staffing`). Between two days the centre is closed (the close rule
applies at each day's close) unless the grid fills 24 hours and the dates follow each other:
then the centre runs across midnight without a break (a 24/7 centre: `start: "00:00"`).
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, field_validator

from .schema_base import MAX_AGENTS, MAX_CALLS_PER_INTERVAL, MAX_INTERVALS, _Frozen, two_clock_times

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_DAYS = 31


class Day(_Frozen):
    _omitted_when_none = ("calls", "open", "staffing")
    date: str = Field(description='the date, "YYYY-MM-DD" (in quotes); its weekday follows from it')
    closed: bool = Field(default=False, description="the centre is closed all day: no calls, nobody works")
    calls: tuple[Annotated[float, Field(ge=0, le=MAX_CALLS_PER_INTERVAL)], ...] | None = Field(
        default=None, max_length=MAX_INTERVALS,
        description="this day's expected calls per interval (default: arrivals.calls); in a file also "
        "{csv: FILE.csv, date: YYYY-MM-DD}, a callsim forecast's rows of that date")
    volume: float = Field(default=1.0, ge=0, le=100, description="this day's calls are its calls times this factor")
    open: tuple[str, str] | None = Field(
        default=None, description='opening hours of a short day, ["HH:MM", "HH:MM"] (from, until) on the interval '
        "grid: no calls and nobody on shift outside them, and the close rule at the close (default: the whole grid)")
    staffing: dict[str, Annotated[int, Field(ge=0, le=MAX_AGENTS)] | tuple[
        Annotated[int, Field(ge=0, le=MAX_AGENTS)], ...]] | None = Field(
        default=None, description="this day's agents on shift per group: {group: [one number per interval]} or "
        "{group: N} for the whole day (default: the group's staffing)")

    @field_validator("open", mode="before")
    @classmethod
    def _clock_times(cls, value):
        return two_clock_times(value, '["08:00", "14:00"]')

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value):
        if isinstance(value, dt.date):  # YAML reads an unquoted 2026-03-02 as a date
            value = value.isoformat()
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(f'must be a date "YYYY-MM-DD", got {value!r}') from None

    @property
    def weekday(self) -> int:
        """0 = Monday ... 6 = Sunday."""
        return dt.date.fromisoformat(self.date).weekday()

    @property
    def weekday_name(self) -> str:
        return WEEKDAY_NAMES[self.weekday]

    def day_calls(self, default: tuple[float, ...]) -> tuple[float, ...]:
        """Expected calls per interval on this day."""
        base = default if self.calls is None else self.calls
        return tuple(0.0 for _ in base) if self.closed else tuple(c * self.volume for c in base)
