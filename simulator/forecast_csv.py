"""`arrivals.calls: {csv: FILE.csv, ...}`: a scenario's calls per interval read from a forecast file.

Two shapes of file:

- with a time column (`start`, as `callsim forecast` writes, `time` or `interval`): rows are picked by their
  clock time, never by their order, and checked against the scenario's `start` and interval
  length: the day runs from `start` to the last row; every interval needs exactly one row; a row
  off the scenario's grid, or before its start with calls, is refused. With a `date` column the
  scenario names the day (`date: 2026-12-14`; needed when the file has several). A
  `busyness_cv` column (the forecast's day-to-day error) becomes `arrivals.busyness_cv` unless
  the scenario gives its own; an `aht_s` column (the forecast's handle time per interval) becomes
  `arrivals.handle_time_s` unless the scenario gives its own (an empty cell, written where the
  forecast has no calls, takes the day's call-weighted mean).
- without one: one number per data row in order (a spreadsheet column used as it is).

In both, a row with more cells than the header is refused (an unquoted thousands separator,
`08:30,1,276.0`, would otherwise read as 1 call), and the file must be a regular file.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from .csv_files import extra_cells, nonnegative, read_csv_rows
from .errors import UserError

MAX_FORECAST_BYTES = 64 * 2**20
KEYS = ("csv", "column", "date")
TIME_COLUMNS = ("start", "time", "interval")  # callsim forecast's, a spreadsheet's, an ACD report's


class ForecastCsvError(UserError):
    """A forecast file a scenario cannot use; the loader prefixes the scenario's file, line and
    `key` (arrivals.calls, or arrivals.calls.column when the key given is at fault)."""

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key


def _clock_minutes(text: str) -> int | None:
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    hours, minutes = int(parts[0]), int(parts[1])
    return hours * 60 + minutes if hours < 24 and minutes < 60 else None


def _calls(csv_path, number: int, column: str, cell: str) -> float:
    value = nonnegative(cell)
    if value is None:
        raise ForecastCsvError(f"{csv_path}:{number}: column '{column}': '{cell}' is not a number of calls (0 or "
                               "more); fix the cell")
    return value


def read_forecast_calls(spec: dict, folder: Path, start: str, interval_minutes
                        ) -> tuple[list[float], float | None, list[float] | None]:
    """(calls per interval, the file's busyness_cv or None, its aht_s per interval or None) for
    `spec` = {csv:, column:, date:}; aht_s is read only from a file with a time column."""
    unknown = sorted(set(spec) - set(KEYS))
    if unknown or "csv" not in spec:
        raise ForecastCsvError("a forecast file is written {csv: FILE.csv, column: NAME, date: YYYY-MM-DD} (column "
                               "default calls; date for a file of several days)"
                               + (f" (unknown key '{unknown[0]}')" if unknown else "") + "; or give a list of numbers")
    csv_path = folder / str(spec["csv"])
    column = str(spec.get("column", "calls"))
    rows = read_csv_rows(csv_path, MAX_FORECAST_BYTES, "the path is relative to the scenario file's folder")
    header = [cell.strip() for cell in rows[0]] if rows else []
    if column not in header:
        raise ForecastCsvError(f"{csv_path} has no column '{column}'; its columns are: "
                               f"{', '.join(header) or '(empty file)'}", key="column")
    wide = extra_cells(rows, len(header))
    if wide is not None:
        raise ForecastCsvError(f"{csv_path}:{wide}: more cells than the header's {len(header)} columns (a thousands "
                               "separator such as 1,276? write 1276, or quote the cell)")
    body = [(number, row + [""] * (len(header) - len(row))) for number, row in enumerate(rows[1:], start=2)
            if any(cell.strip() for cell in row)]
    index = header.index(column)
    time_column = next((name for name in TIME_COLUMNS if name in header), None)
    if time_column is None:
        if "date" in spec:
            raise ForecastCsvError(f"{csv_path} has no time column ({', '.join(TIME_COLUMNS)}) to pick the day's "
                                   "intervals by; leave date out to read the rows in order", key="date")
        values = [_calls(csv_path, number, column, row[index].strip()) for number, row in body]
        if not values:
            raise ForecastCsvError(f"{csv_path} has no data rows in column '{column}'")
        return values, None, None
    body = _rows_of_day(csv_path, header, body, spec.get("date"))
    return _by_time(csv_path, header, body, column, time_column, start, int(interval_minutes))


def _rows_of_day(csv_path, header: list[str], body: list, date) -> list:
    if "date" not in header:
        if date is not None:
            raise ForecastCsvError(f"{csv_path} has no date column; leave date out (the file is one day)", key="date")
        return body
    at = header.index("date")
    days = sorted({row[at].strip() for _, row in body})
    if date is None:
        if len(days) > 1:
            raise ForecastCsvError(f"{csv_path} has {len(days)} days ({days[0]} to {days[-1]}); name one: "
                                   f"{{csv: {csv_path.name}, date: {days[0]}}}")
        return body
    wanted = date.isoformat() if isinstance(date, dt.date) else str(date).strip()
    try:
        dt.date.fromisoformat(wanted)
    except ValueError:
        raise ForecastCsvError(f"'{wanted}' is not a date; write YYYY-MM-DD", key="date") from None
    picked = [(number, row) for number, row in body if row[at].strip() == wanted]
    if not picked:
        shown = f"{days[0]} to {days[-1]}" if days else "none"
        raise ForecastCsvError(f"{csv_path} has no rows for {wanted} (its days: {shown})", key="date")
    return picked


def _by_time(csv_path, header, body, column: str, time_column: str, start: str, interval_minutes: int):
    index, at = header.index(column), header.index(time_column)
    start_min = _clock_minutes(start)
    placed: dict[int, tuple[int, float]] = {}
    aht_at = header.index("aht_s") if "aht_s" in header else None
    aht: dict[int, float] = {}
    for number, row in body:
        text = row[at].strip()
        minutes = _clock_minutes(text)
        if minutes is None:
            raise ForecastCsvError(f"{csv_path}:{number}: column '{time_column}': '{text}' is not a clock time HH:MM")
        calls = _calls(csv_path, number, column, row[index].strip())
        if minutes < start_min:
            if calls > 0:
                raise ForecastCsvError(f"{csv_path}:{number}: {calls:g} calls at {text}, before the scenario's start "
                                       f"{start}; start the scenario earlier (start: \"{text}\") or remove the row")
            continue
        slot, off_grid = divmod(minutes - start_min, interval_minutes)
        if off_grid:
            raise ForecastCsvError(f"{csv_path}:{number}: {time_column} {text} is not on the scenario's "
                                   f"{interval_minutes}-minute grid from {start}; the forecast needs the scenario's "
                                   "interval length (callsim forecast --interval-minutes)")
        if slot in placed:
            raise ForecastCsvError(f"{csv_path}:{number}: a second row for {text} (row {placed[slot][0]} is the "
                                   "first); keep one row per interval")
        placed[slot] = (number, calls)
        if aht_at is not None and row[aht_at].strip():
            aht[slot] = _handle_time(csv_path, number, row[aht_at].strip())
    if not placed:
        raise ForecastCsvError(f"{csv_path} has no rows from the scenario's start {start} on")
    missing = [k for k in range(max(placed) + 1) if k not in placed]
    if missing:
        at_min = start_min + missing[0] * interval_minutes
        raise ForecastCsvError(f"{csv_path} has no row for {at_min // 60:02d}:{at_min % 60:02d}; the scenario's day runs "
                               f"from {start} in {interval_minutes}-minute intervals to the file's last row")
    busyness = None
    if "busyness_cv" in header:
        cv_at = header.index("busyness_cv")
        cells = {row[cv_at].strip() for _, row in body} - {""}
        try:
            values = {float(c) for c in cells}
        except ValueError:
            values = {math.nan}
        if len(values) > 1 or any(not (math.isfinite(v) and 0 <= v <= 2) for v in values):
            raise ForecastCsvError(f"{csv_path}: column 'busyness_cv' must be one number from 0 to 2 for the day "
                                   f"(found {', '.join(sorted(cells))})")
        busyness = values.pop() if values else None
        if busyness is not None and busyness < 0.001:
            busyness = 0.0  # the schema's smallest uncertainty: below it the gamma factor is 1 to 6 digits
    calls = [placed[k][1] for k in range(len(placed))]
    return calls, busyness, _handle_times(aht, calls)


def _handle_time(csv_path, number: int, cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ForecastCsvError(f"{csv_path}:{number}: column 'aht_s': '{cell}' is not a handle time in seconds "
                               "(above 0); fix the cell or leave it empty")
    return value


def _handle_times(aht: dict[int, float], calls: list[float]) -> list[float] | None:
    """Per-interval handle times; an interval without one (no calls forecast) takes the day's
    call-weighted mean, so only the intervals that have calls shape the day. None if none."""
    if not aht:
        return None
    weight = sum(calls[k] for k in aht)
    fill = (sum(aht[k] * calls[k] for k in aht) / weight if weight > 0
            else sum(aht.values()) / len(aht))
    return [aht.get(k, fill) for k in range(len(calls))]
