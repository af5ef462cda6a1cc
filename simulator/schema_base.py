"""Building blocks shared by every part of the scenario schema."""
from __future__ import annotations

import re
import unicodedata
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_serializer

Probability = Annotated[float, Field(ge=0, le=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]

# Upper bounds no real call centre reaches but memory and the number formats hold: far above
# the largest centres (a few thousand agents, tens of thousands of calls an hour), far below
# what would exhaust memory or overflow a record (64 bytes a call; 2^31 agents).
MAX_CALLS_PER_INTERVAL = 1_000_000
MAX_AGENTS = 100_000  # per group and interval
MAX_INTERVALS = 366 * 96  # a year of 15-minute intervals
MAX_DURATION_S = 7 * 86_400.0  # any time parameter: a week
MAX_CV = 10.0  # coefficient of variation of a duration; talk times run 0.5 to 3
MAX_PARTS = 200  # queues, agent groups, menu options, ...: a real centre has tens


CLOCK_PATTERN = r"(\d{1,2}):(\d{2})"


def parse_clock(text: str) -> str | None:
    """'8:05' or '08:05' -> '08:05'; None if `text` is not a clock time HH:MM."""
    match = re.fullmatch(CLOCK_PATTERN, text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return f"{int(match[1]):02d}:{match[2]}"


def two_clock_times(value, example: str):
    """A [from, until] pair of clock times HH:MM, normalised ('8:00' -> '08:00'); None stays None.
    `example` is the pair a message suggests, e.g. '["08:00", "14:00"]'."""
    if value is None:
        return value
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"give two clock times [from, until], e.g. {example}")
    for text in value:
        if not isinstance(text, str) or text != text.strip() or parse_clock(text) is None:
            raise ValueError(f"{text!r} is not a clock time HH:MM; give two, e.g. {example}")
    return tuple(parse_clock(text) for text in value)


def _printable_name(value: str) -> str:
    if value != value.strip():
        raise ValueError("a name may not start or end with spaces")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise ValueError("a name may not hold line breaks, tabs or other control characters; use letters, digits, "
                         "spaces and punctuation")
    return value


# the name of a queue, an agent group, a menu, ...: printed in one-line messages and written
# back into planned scenario files, so it is one printable line
Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable_name)]


class ScenarioError(Exception):
    """A scenario problem with the path of the key at fault, e.g. ("agents", 0, "serves", 1).

    Deliberately not a ValueError: pydantic lets it through unchanged, keeping the path.
    """

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = tuple(path)
        self.message = message


# Every number in a scenario is finite: `inf` or `nan` would pass a bound check and then break
# the run (a fixed talk time of inf s). "Never" is said by leaving a key out (no patience).
SCHEMA_CONFIG = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class _Frozen(BaseModel):
    model_config = SCHEMA_CONFIG
    # optional keys added after results were first written, left out of the JSON form when not
    # used: a scenario that does not use them dumps (kpis.json, run ids) exactly as before
    _omitted_when_none: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _omit_unused(self, handler):
        data = handler(self)
        for key in self._omitted_when_none:
            if key in data and data[key] is None:
                del data[key]
        return data


def revised(model: BaseModel, **changes) -> BaseModel:
    """`model` with some fields changed, validated again (its validators included), keeping
    which fields the file set, so a dump with exclude_unset still writes only those. Nested
    models are passed through as they are: they were validated when they were made."""
    return type(model).model_validate({name: getattr(model, name) for name in model.model_fields_set} | changes)
