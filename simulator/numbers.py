"""Number conventions shared by every layer."""
from __future__ import annotations

import math


def finite_or_none(value: float | None) -> float | None:
    """`value` as a float, or None where it is absent, infinite or NaN (JSON has no inf/NaN:
    an unbounded wait or an empty interval is `null`)."""
    return float(value) if value is not None and math.isfinite(value) else None
