"""The words for a pydantic validation error of a scenario: the path the user wrote (without
pydantic's own parts) and what is wrong there, in one line. Shared by the file reader
(`simulator.loading`, which adds the line in the file) and the in-code variants of a valid
scenario (`Scenario.with_volume` and friends): here, so that `simulator.scenario` need not import
the reader that imports it."""
from __future__ import annotations

import datetime
import difflib
from typing import Callable

from .distributions import DIST_NAMES

_TAG_LIKE = {*DIST_NAMES, "function-after", "function-before", "nullable", "tagged-union"}


def format_path(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def data_path(loc: tuple, data) -> tuple:
    """Keep only the parts of a pydantic error location that are keys in the data.

    pydantic inserts the tag of a discriminated union ('lognormal') and the type name of
    a nullable field into the location; the user never wrote those.
    """
    path, node = [], data
    for part in loc:
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and not isinstance(part, int) and part not in _TAG_LIKE:
            # a missing key or an unknown key: the error is about this key
            path.append(part)
            break
    return tuple(path)


def _percent_hint(value) -> str:
    """'; write 0.05 for 5%' when a share was written as a percentage."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            number = float(value.strip()[:-1])
        except ValueError:
            return ""
        return f"; write {number / 100:g} for {value.strip()}"
    if isinstance(value, (int, float)) and 2 <= value <= 100:  # 80 is a percentage; 1.3 may be anything
        return f"; shares and rates are fractions: write {value / 100:g} for {value:g}%"
    return ""


_NAMES_OF_TYPES = {"dict": "a mapping of keys", "list": "a list", "tuple": "a list", "str": "a text",
                   "int": "a whole number", "float": "a number", "bool": "true/false"}


def shown(value) -> str:
    """A value the user wrote, as the user would write it, cut short: YAML's null is 'nothing',
    an unquoted date is the date, a long list shows its first items."""
    if value is None:
        return "an empty value"
    if isinstance(value, (datetime.date, datetime.time)):
        return f"the date {value.isoformat()} (YAML reads an unquoted date as a date)"
    if isinstance(value, (list, tuple)):
        items = ", ".join(shown(v) if not isinstance(v, (list, tuple, dict)) else "..." for v in value[:3])
        return f"a list of {len(value):,} item{'s' if len(value) != 1 else ''}: [{items}{', ...' if len(value) > 3 else ''}]"
    if isinstance(value, dict):
        keys = ", ".join(str(k) for k in list(value)[:3])
        return f"a mapping with keys {keys}{', ...' if len(value) > 3 else ''}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _expected(kind: str, message: str) -> str:
    """'a mapping of keys' for pydantic's 'Input should be a valid dictionary or instance of X'."""
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "a mapping of keys"
    if kind in ("list_type", "tuple_type", "iterable_type", "set_type", "frozen_set_type"):
        return "a list"
    if kind.startswith("string"):
        return "a text (a name)"
    if kind.startswith("int"):
        return "a whole number"
    if kind.startswith("float") or kind.startswith("decimal"):
        return "a number"
    if kind.startswith("bool"):
        return "true or false"
    return message[0].lower() + message[1:] if message else "something else"


def explain(error: dict, data, model_at: Callable | None = None) -> tuple[tuple, str]:
    """(path in `data`, words) for one pydantic error; `model_at(path, data)` is the model class at a
    path (for the keys allowed beside an unknown one)."""
    loc = tuple(error["loc"])
    kind = error["type"]
    path = data_path(loc, data)
    ctx = error.get("ctx", {}) or {}
    got = error.get("input")
    if kind == "extra_forbidden":
        model = model_at(path[:-1], data) if model_at is not None else None
        allowed = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed keys here: {', '.join(allowed)}"
        return path, f"unknown key '{path[-1]}'; {hint}"
    if kind == "missing":
        if path and path[-1] == "staffing":
            return path, ("is required to simulate but missing; give the agents on the phones in each interval, or "
                          "let 'callsim plan' make it (it writes a runnable <name>.planned.yaml)")
        return path, "is required but missing; add it"
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return path, f"'dist' must be one of {', '.join(DIST_NAMES)}"
    if kind == "finite_number":
        return path, (f"must be a finite number (got {shown(got)}); write a number, or leave the key out where "
                      "'never' or 'none' is meant (no patience: callers never hang up)")
    if kind in ("less_than_equal", "less_than", "greater_than", "greater_than_equal"):
        bound = next(iter(ctx.values()))
        bound = int(bound) if isinstance(bound, float) and bound.is_integer() else bound
        words = {
            "less_than_equal": f"must be at most {bound}",
            "less_than": f"must be below {bound}",
            "greater_than": f"must be greater than {bound}",
            "greater_than_equal": f"must be at least {bound}",
        }[kind]
        hint = _percent_hint(got) if kind == "less_than_equal" and bound == 1 else ""
        return path, f"{words} (got {shown(got)}); change the value{hint}"
    if kind == "literal_error":
        return path, f"must be {ctx.get('expected')} (got {shown(got)})"
    if kind in ("too_short",):
        return path, "must not be empty"
    if kind == "too_long":
        return path, (f"has {ctx.get('actual_length', len(got) if hasattr(got, '__len__') else '?'):,} items; at most "
                      f"{ctx.get('max_length'):,} are allowed: shorten the list")
    if kind == "string_type" and isinstance(got, int) and path and path[-1] == "start":
        if 60 <= got < 24 * 60:  # YAML 1.1 reads 8:00 as the base-60 number 480
            return path, (f"must be a clock time in quotes, e.g. start: \"{got // 60:02d}:{got % 60:02d}\" "
                          f"(unquoted, YAML reads {got // 60}:{got % 60:02d} as the number {got})")
        return path, f"must be a clock time in quotes, e.g. start: \"08:00\" (got the number {got})"
    if kind == "float_parsing":
        hint = _percent_hint(got)
        if hint:
            return path, f"must be a number (got {got!r}){hint}"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return path, f"must be {_expected(kind, message)} (got {shown(got)})"
    return path, message


def explain_error(error: dict) -> tuple[tuple, str]:
    """(path, words) for one pydantic error of a model made in code, not read from a file:
    the path is the error's location without pydantic's own parts (union tags)."""
    path = tuple(part for part in error["loc"] if part not in _TAG_LIKE)
    return path, explain(error, None)[1]
