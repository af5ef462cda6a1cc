"""Reading call logs and interval reports for `callsim fit`: CSV in, checked numpy arrays out.

Every problem a user can fix is a `FitInputError` naming the file, the row (1-based, the header
is row 1) and the column, and saying what to do; nothing is guessed silently. Timestamps are
ISO dates and times (`2026-01-05 08:00:26.628`, `2026-01-05T08:00:26`); durations are seconds
(`12.5`) or clock durations (`1:02:03`, `02:03`).
"""
from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator.errors import UserError
from simulator.input_files import readable_file
from simulator.schema_base import MAX_AGENTS, MAX_CALLS_PER_INTERVAL, MAX_DURATION_S


class FitInputError(UserError):
    """A call log or interval report that cannot be used; one line naming the row or column."""


# our name -> (the column's default header, required?)
LOG_COLUMNS = {
    "arrival": ("arrival", True),
    "queue": ("queue", True),
    "wait": ("wait_s", True),
    "outcome": ("outcome", True),
    "talk": ("talk_s", True),
    "acw": ("acw_s", False),
    "ivr": ("ivr_s", False),
    "agent_group": ("agent_group", False),
    "agent_id": ("agent_id", False),
    "caller": ("caller_id", False),
}
REPORT_COLUMNS = {
    "interval": ("interval", True),
    "offered": ("offered", True),
    "answered": ("answered", True),
    "abandoned": ("abandoned", True),
    "aht": ("aht_s", True),
    "asa": ("asa_s", True),
    "agents": ("agents", False),
    "queue": ("queue", False),
}
# outcome words -> callsim's outcome names (a few ACD spellings accepted)
OUTCOMES = {
    "answered": "answered", "handled": "answered", "abandoned": "abandoned", "abandon": "abandoned",
    "balked": "balked", "unserved": "unserved", "contained": "contained", "ivr_abandoned": "ivr_abandoned",
    "callback_completed": "callback_completed", "callback_failed": "callback_failed",
}
HANDLED = ("answered", "callback_completed")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class CallLog:
    """One entry per call (parallel arrays), days as dates, times of day in seconds."""

    source: str
    day: np.ndarray  # datetime64[D]
    time_of_day_s: np.ndarray  # float64, seconds after midnight
    queue: np.ndarray  # str; "" if the call ended before a queue
    outcome: np.ndarray  # str, callsim's outcome names
    wait_s: np.ndarray
    talk_s: np.ndarray  # NaN where not handled
    acw_s: np.ndarray  # NaN where not handled or not in the log
    ivr_s: np.ndarray  # 0 if not in the log
    agent_group: np.ndarray | None  # str, "" if none; None if the log has no such column
    agent_id: np.ndarray | None
    caller_id: np.ndarray | None = None  # str; redials and repeat calls share it

    def __len__(self) -> int:
        return len(self.day)


@dataclass(frozen=True)
class IntervalReport:
    source: str
    day: np.ndarray  # datetime64[D] (one dummy day if the report gives clock times only)
    time_of_day_s: np.ndarray
    offered: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    aht_s: np.ndarray
    asa_s: np.ndarray
    agents: np.ndarray | None
    queue: np.ndarray | None = None  # str per row; None: a report of one queue (or of the totals)


def parse_column_map(text: str | None, known: dict) -> dict[str, str]:
    """'arrival=Start Time,wait=QueueSec' -> {our name: header}; defaults for the rest."""
    mapping = {name: header for name, (header, _) in known.items()}
    if not text:
        return mapping
    for part in text.split(","):
        if "=" not in part:
            raise FitInputError(f"--columns: '{part}' is not NAME=HEADER; e.g. --columns arrival=Start,wait=QueueSec")
        name, header = (p.strip() for p in part.split("=", 1))
        if name not in known:
            raise FitInputError(f"--columns: unknown name '{name}'; the names are: {', '.join(known)}")
        mapping[name] = header
    return mapping


def _rows(path: str | Path) -> tuple[list[str], list[list[str]]]:
    try:
        file = readable_file(path, "a CSV file", "give the path of a CSV file")
    except UserError as exc:
        raise FitInputError(str(exc)) from None
    try:
        with open(file, newline="", encoding="utf-8-sig") as stream:
            rows = list(csv.reader(stream))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise FitInputError(f"{path}: cannot read it as a UTF-8 CSV file ({type(exc).__name__})") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise FitInputError(f"{path}: the file is empty; it needs a header row and one row per call")
    header = [cell.strip() for cell in rows[0]]
    body = [row for row in rows[1:] if any(cell.strip() for cell in row)]
    if not body:
        raise FitInputError(f"{path}: has a header but no data rows")
    return header, body


def _indices(path, header: list[str], mapping: dict, known: dict) -> dict[str, int | None]:
    found = {}
    for name, (_, required) in known.items():
        wanted = mapping[name]
        if wanted in header:
            found[name] = header.index(wanted)
        elif required:
            hint = f" (or map it: --columns {name}=YOUR_HEADER)"
            raise FitInputError(f"{path}:1: missing column '{wanted}'{hint}; the header has: {', '.join(header)}")
        else:
            found[name] = None
    return found


def parse_timestamp(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def parse_seconds(text: str) -> float | None:
    """'12.5' -> 12.5, '1:02:03' -> 3723, '02:03' -> 123; None if neither (or not finite)."""
    text = text.strip()
    try:
        value = float(text)
        return value if math.isfinite(value) else None
    except ValueError:
        pass
    parts = text.split(":")
    if 2 <= len(parts) <= 3:
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            return None
        value = 0.0
        for number in numbers:
            value = value * 60 + number
        return value if math.isfinite(value) else None
    return None


def _shown(text: str) -> str:
    """A cell as an error line shows it: cut short (a cell of 5,000 digits is not echoed whole)."""
    return text if len(text) <= 30 else text[:27] + "..."


def _cell(row, index):
    return row[index].strip() if index is not None and index < len(row) else ""


def _duration(path, row_number, row, index, column, required: bool, most: float = MAX_DURATION_S,
              unit: str = "s") -> float:
    text = _cell(row, index)
    if text == "":
        if required:
            raise FitInputError(f"{path}:{row_number}: column '{column}' is empty; give a duration in seconds")
        return math.nan
    value = parse_seconds(text)
    shown = _shown(text)
    if value is None:
        raise FitInputError(f"{path}:{row_number}: column '{column}': '{shown}' is not a duration (seconds, or h:mm:ss)")
    if value < 0:
        raise FitInputError(f"{path}:{row_number}: column '{column}': negative value {shown}; fix or remove the row")
    if value > most:  # a wait of 1e300 s overflowed the fits; no real record comes near a scenario's limits
        raise FitInputError(f"{path}:{row_number}: column '{column}': {shown} is more than {most:,.0f} {unit}, beyond "
                            "any call centre's record; fix or remove the row")
    return value


# an interval report's counts are checked against the scenario's limits, not a duration's
_REPORT_LIMITS = {name: {"most": MAX_CALLS_PER_INTERVAL, "unit": "calls"} for name in ("offered", "answered", "abandoned")}
_REPORT_LIMITS["agents"] = {"most": MAX_AGENTS, "unit": "agents"}


def read_call_log(path: str | Path, columns: str | None = None) -> CallLog:
    """Read a call-by-call log (callsim's calls.csv, or an ACD export mapped with `columns`)."""
    mapping = parse_column_map(columns, LOG_COLUMNS)
    header, body = _rows(path)
    at = _indices(path, header, mapping, LOG_COLUMNS)
    n = len(body)
    days = np.empty(n, dtype="datetime64[D]")
    tod = np.empty(n)
    queue = np.empty(n, dtype=object)
    outcome = np.empty(n, dtype=object)
    wait, talk, acw, ivr = (np.full(n, math.nan) for _ in range(4))
    group = np.empty(n, dtype=object) if at["agent_group"] is not None else None
    agent = np.empty(n, dtype=object) if at["agent_id"] is not None else None
    caller = np.empty(n, dtype=object) if at["caller"] is not None else None
    for i, row in enumerate(body):
        row_number = i + 2
        stamp_text = _cell(row, at["arrival"])
        stamp = parse_timestamp(stamp_text)
        if stamp is None:
            raise FitInputError(f"{path}:{row_number}: column '{mapping['arrival']}': '{stamp_text}' is not a "
                                "timestamp; use YYYY-MM-DD HH:MM:SS")
        days[i] = np.datetime64(stamp.date(), "D")
        tod[i] = stamp.hour * 3600 + stamp.minute * 60 + stamp.second + stamp.microsecond / 1e6
        word = _cell(row, at["outcome"]).lower()
        if word not in OUTCOMES:
            raise FitInputError(f"{path}:{row_number}: column '{mapping['outcome']}': unknown outcome '{word}'; "
                                f"use one of {', '.join(sorted(set(OUTCOMES.values())))}")
        outcome[i] = OUTCOMES[word]
        queue[i] = _cell(row, at["queue"])
        if queue[i] == "" and outcome[i] not in ("contained", "ivr_abandoned"):
            raise FitInputError(f"{path}:{row_number}: column '{mapping['queue']}' is empty for a call that "
                                f"reached a queue ({outcome[i]}); name its queue")
        wait[i] = _duration(path, row_number, row, at["wait"], mapping["wait"], required=queue[i] != "")
        if outcome[i] in HANDLED:
            talk[i] = _duration(path, row_number, row, at["talk"], mapping["talk"], required=True)
            acw[i] = _duration(path, row_number, row, at["acw"], mapping["acw"], required=False)
        ivr[i] = _duration(path, row_number, row, at["ivr"], mapping["ivr"], required=False)
        if group is not None:
            group[i] = _cell(row, at["agent_group"])
        if agent is not None:
            agent[i] = _cell(row, at["agent_id"])
        if caller is not None:
            caller[i] = _cell(row, at["caller"])
    ivr = np.nan_to_num(ivr, nan=0.0)
    wait = np.nan_to_num(wait, nan=0.0)
    return CallLog(source=str(path), day=days, time_of_day_s=tod, queue=queue.astype(str), outcome=outcome.astype(str),
                   wait_s=wait, talk_s=talk, acw_s=acw, ivr_s=ivr,
                   agent_group=None if group is None else group.astype(str),
                   agent_id=None if agent is None else agent.astype(str),
                   caller_id=None if caller is None else caller.astype(str))


def read_interval_report(path: str | Path, columns: str | None = None) -> IntervalReport:
    """Read an interval report: one row per interval (and day), offered/answered/abandoned, AHT, ASA."""
    mapping = parse_column_map(columns, REPORT_COLUMNS)
    header, body = _rows(path)
    at = _indices(path, header, mapping, REPORT_COLUMNS)
    n = len(body)
    days = np.empty(n, dtype="datetime64[D]")
    tod = np.empty(n)
    queue = np.full(n, "", dtype=object)
    values = {name: np.zeros(n) for name in ("offered", "answered", "abandoned", "aht", "asa", "agents")}
    for i, row in enumerate(body):
        row_number = i + 2
        text = _cell(row, at["interval"])
        stamp = parse_timestamp(text)
        if stamp is None:
            try:
                stamp = dt.datetime.combine(dt.date(2026, 1, 5), dt.time.fromisoformat(text))
            except ValueError:
                raise FitInputError(f"{path}:{row_number}: column '{mapping['interval']}': '{_shown(text)}' is not an interval "
                                    "start; use YYYY-MM-DD HH:MM or HH:MM") from None
        days[i] = np.datetime64(stamp.date(), "D")
        tod[i] = stamp.hour * 3600 + stamp.minute * 60 + stamp.second
        if at["queue"] is not None:
            queue[i] = _cell(row, at["queue"])
            if not queue[i]:
                raise FitInputError(f"{path}:{row_number}: column '{mapping['queue']}' is empty; name the queue")
        for name in values:
            if name == "agents" and at["agents"] is None:
                continue
            values[name][i] = _duration(path, row_number, row, at[name], mapping[name], required=True,
                                        **_REPORT_LIMITS.get(name, {}))
        if at["agents"] is not None and values["agents"][i] == 0 and values["answered"][i] > 0:
            raise FitInputError(f"{path}:{row_number}: {values['answered'][i]:g} calls answered with 0 agents; give "
                                "the agents who answered them, or leave the agents column out")
        if values["answered"][i] + values["abandoned"][i] > values["offered"][i] + 1e-9:
            raise FitInputError(f"{path}:{row_number}: answered + abandoned exceed offered; check the row")
    return IntervalReport(source=str(path), day=days, time_of_day_s=tod, offered=values["offered"],
                          answered=values["answered"], abandoned=values["abandoned"], aht_s=values["aht"],
                          asa_s=values["asa"], agents=values["agents"] if at["agents"] is not None else None,
                          queue=queue.astype(str) if at["queue"] is not None else None)


def day_filter(days: np.ndarray, chosen: str | None, weekdays: str | None, source: str) -> np.ndarray:
    """Which entries to keep: --days 2026-01-05:2026-01-09 or 2026-01-05,2026-01-07; --weekday mon[,tue]."""
    keep = np.ones(len(days), dtype=bool)
    if chosen:
        try:
            if ":" in chosen:
                first, last = (np.datetime64(dt.date.fromisoformat(p.strip()), "D") for p in chosen.split(":", 1))
                keep &= (days >= first) & (days <= last)
            else:
                wanted = [np.datetime64(dt.date.fromisoformat(p.strip()), "D") for p in chosen.split(",")]
                keep &= np.isin(days, wanted)
        except ValueError:
            raise FitInputError(f"--days: '{chosen}' is not FIRST:LAST or a list of dates YYYY-MM-DD,...") from None
    if weekdays:
        names = [w.strip().lower()[:3] for w in weekdays.split(",")]
        for name in names:
            if name not in WEEKDAYS:
                raise FitInputError(f"--weekday: '{name}' is not a weekday; use mon, tue, wed, thu, fri, sat or sun")
        # numpy: 1970-01-01 was a Thursday
        weekday = (days.astype("datetime64[D]").astype(np.int64) + 3) % 7
        keep &= np.isin(weekday, [WEEKDAYS.index(n) for n in names])
    if not keep.any():
        raise FitInputError(f"{source}: no rows on the chosen days ({chosen or 'all'}, {weekdays or 'any weekday'}); "
                            "check --days and --weekday")
    return keep
