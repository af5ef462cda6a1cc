"""Number conventions shared by every layer."""
from __future__ import annotations

import math


def finite_or_none(value: float | None) -> float | None:
    """`value` as a float, or None where it is absent, infinite or NaN (JSON has no inf/NaN:
    an unbounded wait or an empty interval is `null`)."""
    return float(value) if value is not None and math.isfinite(value) else None


def csv_number(value: float | int | None) -> str:
    """A number in a CSV cell: a whole number as it is, else 6 significant digits; empty when
    absent or not finite."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.6g}" if math.isfinite(value) else ""
