"""Reading a CSV file a user names, safely: a regular file of bounded size, UTF-8, rows as lists.

A path to a FIFO would block forever and `/dev/zero` would fill memory, so anything that is not
a regular file is refused before it is opened, and so is a file larger than the caller allows.
Rows with more cells than the header are the caller's to refuse (an unquoted thousands
separator, `08:30,1,276.0`, splits one number in two): `extra_cells` finds the first.
"""
from __future__ import annotations

import csv
import io
import math
import os
import stat
from pathlib import Path

from .errors import UserError


class CsvFileError(UserError):
    """A CSV file that cannot be read; one line naming the file (and the row)."""


def read_csv_rows(path: str | Path, max_bytes: int, hint: str = "check the path") -> list[list[str]]:
    """Every row of the CSV at `path` (the header first), after checking that it is a regular
    file of at most `max_bytes`. Raises CsvFileError: "<path>: <what is wrong>; <hint>"."""
    file = Path(path)
    try:
        info = os.stat(file)
    except FileNotFoundError:
        raise CsvFileError(f"{path}: no such file; {hint}") from None
    except OSError as exc:
        raise CsvFileError(f"{path}: cannot read it ({exc.__class__.__name__}); {hint}") from None
    if stat.S_ISDIR(info.st_mode):
        raise CsvFileError(f"{path}: is a folder, not a CSV file; {hint}")
    if not stat.S_ISREG(info.st_mode):
        raise CsvFileError(f"{path}: is not a regular file (a device, a pipe, ...); give the path of a CSV file")
    if info.st_size > max_bytes:
        raise CsvFileError(f"{path}: the file is {info.st_size / 2**20:,.1f} MiB, more than the {max_bytes / 2**20:,.0f} "
                           "MiB allowed here: is this the right file?")
    try:
        with open(file, "rb") as stream:
            data = stream.read(max_bytes + 1)  # the file may have grown since stat
        text = data[:max_bytes].decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text, newline="")))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CsvFileError(f"{path}: cannot read it as a UTF-8 CSV file ({type(exc).__name__})") from None


def extra_cells(rows: list[list[str]], header_width: int) -> int | None:
    """The 1-based row number of the first row with more non-empty cells than the header has
    columns, or None. (Trailing empty cells, as spreadsheets write them, are allowed.)"""
    for number, row in enumerate(rows, start=1):
        if len(row) > header_width and any(cell.strip() for cell in row[header_width:]):
            return number
    return None


def nonnegative(cell: str) -> float | None:
    """The cell as a finite number >= 0, or None (not a number, NaN, infinite or negative)."""
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None
