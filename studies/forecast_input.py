"""Reading call history for `callsim forecast`: a CSV in, calls per day and interval out.

Two formats, told apart by the header:

- interval counts, `datetime,calls[,aht_s]`: one row per interval of any length that divides
  the target interval (6-minute counts summed into half hours, say); rows may be missing (a
  missing interval of a day that has rows counts 0 calls, as exports leave out empty intervals;
  a day without any row is unknown, not closed);
- a call log as `callsim run --calls-csv` writes and `callsim fit` reads (`arrival`, `outcome`,
  ...): each call counts in the interval it arrived in; handled calls give the handle time.

Closed periods (`--closed`): whole days, ranges of days and parts of days. In the history they
are left out of every average (a holiday must not pull the weekday's profile down); in the
horizon they are forecast at 0 calls.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator.csv_files import extra_cells, nonnegative, read_csv_rows
from simulator.errors import UserError

from .fit_input import HANDLED, parse_timestamp, read_call_log

MAX_HISTORY_BYTES = 512 * 2**20
MIN_HISTORY_DAYS = 14
MAX_HORIZON_DAYS = 366


class ForecastInputError(UserError):
    """History, closed days or options the forecast cannot use; one line naming the row or option."""


@dataclass(frozen=True)
class History:
    """Calls per day and interval over consecutive days (NaN: not observed, or closed)."""

    source: str
    first_day: dt.date
    interval_minutes: int
    calls: np.ndarray  # (days, intervals of the day); NaN where unknown or closed
    handle_s: np.ndarray | None  # summed handle seconds of the calls with a known handle time; None: none known
    timed_calls: np.ndarray | None  # how many calls `handle_s` sums
    source_minutes: int  # the history's own interval length (0 for a call log)

    @property
    def n_days(self) -> int:
        return self.calls.shape[0]

    @property
    def per_day(self) -> int:
        return self.calls.shape[1]

    def day(self, index: int) -> dt.date:
        return self.first_day + dt.timedelta(days=index)


def check_interval(minutes: int) -> int:
    if minutes < 1 or 1440 % minutes:
        raise ForecastInputError(f"--interval-minutes {minutes}: must divide the day (1440 minutes), e.g. 15, 30 or 60")
    return minutes


def check_horizon(days: int) -> int:
    if not 1 <= days <= MAX_HORIZON_DAYS:
        raise ForecastInputError(f"--horizon {days}: forecast 1 to {MAX_HORIZON_DAYS} days ahead (a year at most: "
                                 "beyond it the weekly pattern says nothing about the level)")
    return days


def _number(path, row_number: int, column: str, text: str, what: str) -> float:
    value = nonnegative(text)
    if value is None:
        raise ForecastInputError(f"{path}:{row_number}: column '{column}': '{text}' is not {what} (0 or more); fix "
                                 "the cell or remove the row")
    return value


def read_history(path: str | Path, interval_minutes: int) -> History:
    """The history at `path`, as calls per day and `interval_minutes` interval."""
    check_interval(interval_minutes)
    rows = read_csv_rows(path, MAX_HISTORY_BYTES, "give interval counts (datetime,calls[,aht_s]) or a call log")
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ForecastInputError(f"{path}: the file is empty; it needs a header (datetime,calls[,aht_s]) and rows")
    header = [cell.strip() for cell in rows[0]]
    if "arrival" in header and "outcome" in header:
        return _from_call_log(path, interval_minutes)
    if "datetime" not in header or "calls" not in header:
        raise ForecastInputError(f"{path}:1: the header has {', '.join(header)}; interval counts need the columns "
                                 "datetime and calls (and aht_s if known), a call log arrival and outcome")
    wide = extra_cells(rows, len(header))
    if wide is not None:
        raise ForecastInputError(f"{path}:{wide}: more cells than the header's {len(header)} columns (a thousands "
                                 "separator such as 1,276? write 1276, or quote the cell)")
    at, count_at = header.index("datetime"), header.index("calls")
    aht_at = header.index("aht_s") if "aht_s" in header else None
    stamps: list[dt.datetime] = []
    counts: list[float] = []
    ahts: list[float] = []
    numbers: list[int] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = row + [""] * (len(header) - len(row))
        stamp = parse_timestamp(cells[at])
        if stamp is None or stamp.second or stamp.microsecond or stamp.tzinfo is not None:
            raise ForecastInputError(f"{path}:{number}: column 'datetime': '{cells[at].strip()}' is not the start of an "
                                     "interval; use YYYY-MM-DD HH:MM (local time, no seconds)")
        stamps.append(stamp)
        counts.append(_number(path, number, "calls", cells[count_at].strip(), "a number of calls"))
        text = cells[aht_at].strip() if aht_at is not None else ""
        ahts.append(_number(path, number, "aht_s", text, "a handle time in seconds") if text else math.nan)
        numbers.append(number)
    if not stamps:
        raise ForecastInputError(f"{path}: has a header but no data rows")
    minutes = np.array([s.hour * 60 + s.minute for s in stamps])
    source_minutes = math.gcd(1440, *minutes.tolist())
    if interval_minutes % source_minutes:
        raise ForecastInputError(f"--interval-minutes {interval_minutes}: the history's intervals are {source_minutes} "
                                 f"minutes, which does not divide {interval_minutes}; give a multiple of {source_minutes}")
    days = np.array([s.date().toordinal() for s in stamps])
    slot_key = days * 1440 + minutes
    order = np.argsort(slot_key, kind="stable")
    repeated = np.flatnonzero(np.diff(slot_key[order]) == 0)
    if len(repeated):
        first, second = sorted((order[repeated[0]], order[repeated[0] + 1]))
        raise ForecastInputError(f"{path}:{numbers[second]}: the same datetime as row {numbers[first]} "
                                 f"({stamps[second]:%Y-%m-%d %H:%M}); keep one row per interval")
    return _grid(str(path), days, minutes, np.array(counts), np.array(ahts), interval_minutes, source_minutes)


def _from_call_log(path, interval_minutes: int) -> History:
    log = read_call_log(path)
    days = log.day.astype("datetime64[D]").astype(int) + dt.date(1970, 1, 1).toordinal()
    minutes = np.floor(log.time_of_day_s / 60.0).astype(int)
    handled = np.isin(log.outcome, HANDLED)
    handle = np.where(handled, log.talk_s + np.nan_to_num(log.acw_s), math.nan)
    return _grid(str(path), days, minutes, np.ones(len(days)), handle, interval_minutes, 0)


def _grid(source: str, days: np.ndarray, minutes: np.ndarray, calls: np.ndarray, handle_each_s: np.ndarray,
          interval_minutes: int, source_minutes: int) -> History:
    """Sum rows into (day, interval) cells; `handle_each_s` is each row's mean handle time (NaN: unknown)."""
    first = int(days.min())
    n_days = int(days.max()) - first + 1
    per_day = 1440 // interval_minutes
    cell = (days - first) * per_day + minutes // interval_minutes
    total = np.bincount(cell, weights=calls, minlength=n_days * per_day).reshape(n_days, per_day)
    seen = np.zeros(n_days, dtype=bool)
    seen[days - first] = True
    total[~seen] = math.nan
    handle = timed = None
    known = np.isfinite(handle_each_s)
    if known.any():
        handle = np.bincount(cell[known], weights=(handle_each_s * calls)[known],
                             minlength=n_days * per_day).reshape(n_days, per_day)
        timed = np.bincount(cell[known], weights=calls[known], minlength=n_days * per_day).reshape(n_days, per_day)
    if n_days < MIN_HISTORY_DAYS:
        raise ForecastInputError(f"{source}: the history covers {n_days} days; a forecast needs at least "
                                 f"{MIN_HISTORY_DAYS} (two weeks) to see the weekly pattern")
    return History(source, dt.date.fromordinal(first), interval_minutes, total, handle, timed, source_minutes)


# --- closed periods -----------------------------------------------------------------------------

_DAY = r"\d{4}-\d{2}-\d{2}"
_ENTRY = re.compile(rf"({_DAY})(?:\s*:\s*({_DAY}))?(?:\s+(\d{{1,2}}:\d{{2}})\s*-\s*(\d{{1,2}}:\d{{2}}))?")


@dataclass(frozen=True)
class Closed:
    """Closed periods: whole days (first, last inclusive) and parts of days [from, until) in minutes."""

    entries: tuple[tuple[dt.date, dt.date, int, int], ...] = ()

    def mask(self, first_day: dt.date, n_days: int, interval_minutes: int) -> np.ndarray:
        """(n_days, intervals) True where closed; an interval counts as closed if it overlaps a closed period."""
        per_day = 1440 // interval_minutes
        closed = np.zeros((n_days, per_day), dtype=bool)
        starts = np.arange(per_day) * interval_minutes
        for first, last, since, until in self.entries:
            lo = max((first - first_day).days, 0)
            hi = min((last - first_day).days, n_days - 1)
            if lo > hi:
                continue
            closed[lo:hi + 1] |= (starts < until) & (starts + interval_minutes > since)
        return closed


def _clock_minutes(text: str) -> int | None:
    hours, minutes = (int(p) for p in text.split(":"))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def _closed_entry(text: str, where: str) -> tuple[dt.date, dt.date, int, int]:
    match = _ENTRY.fullmatch(text.strip())
    problem = "is not a closed day"
    if match:
        try:
            first = dt.date.fromisoformat(match[1])
            last = dt.date.fromisoformat(match[2]) if match[2] else first
        except ValueError:
            first = last = None
        since = _clock_minutes(match[3]) if match[3] else 0
        until = _clock_minutes(match[4]) if match[4] else 1440
        if first is None:
            problem = "has a date that does not exist"
        elif last < first:
            problem = "ends before it starts"
        elif since is None or until is None or since >= until:
            problem = "has hours that are not a period of the day (HH:MM-HH:MM, from before until)"
        else:
            return first, last, since, until
    raise ForecastInputError(f"{where}: '{text.strip()}' {problem}; write YYYY-MM-DD, a range "
                             "YYYY-MM-DD:YYYY-MM-DD, or part of a day 'YYYY-MM-DD HH:MM-HH:MM'")


def read_closed(value: str | None) -> Closed:
    """`--closed`: a comma-separated list of entries, or the path of a file with one entry per
    line (the first cell of each CSV row; a header row 'date' and '#' comments are skipped)."""
    if not value or not value.strip():
        return Closed()
    if Path(value).exists():
        rows = read_csv_rows(value, 16 * 2**20, "give closed days as a list or a file of one per line")
        entries = []
        for number, row in enumerate(rows, start=1):
            cell = row[0].strip() if row else ""
            if not cell or cell.startswith("#") or (number == 1 and not cell[:1].isdigit()):
                continue
            entries.append(_closed_entry(cell, f"{value}:{number}"))
        return Closed(tuple(entries))
    return Closed(tuple(_closed_entry(part, "--closed") for part in value.split(",") if part.strip()))
