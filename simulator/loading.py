"""Reading scenario files: YAML in, a validated `Scenario` out, or one clear line of error.

Errors name the file, the line, the key path in the file (`queues[0].talk_time.cv`), what is
wrong and what to do. The YAML is composed node by node so that every key path keeps the line
it came from.
"""
from __future__ import annotations

import difflib
import stat
import types
import typing
from pathlib import Path
from typing import Sequence

import yaml
from pydantic import BaseModel, ValidationError

from .distributions import DIST_NAMES
from .errors import UserError, one_line
from .scenario import Scenario, ScenarioError, parse_clock


class ScenarioFileError(UserError):
    """A scenario that cannot be used; `str()` is one line meant for the user."""


def format_path(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


# Limits on what a scenario file may be. A real scenario is a few KB with a dozen levels of
# nesting and a few hundred keys; these are far above that and far below what exhausts memory
# or the interpreter's stack (a "billion laughs" alias bomb, a 10,000-deep nesting).
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NESTING = 40
MAX_NODES = 200_000  # values in the file once aliases are expanded
MAX_PROBLEMS_SHOWN = 5


def _yaml_error(exc: yaml.YAMLError, source: str) -> ScenarioFileError:
    mark = getattr(exc, "problem_mark", None)
    where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if isinstance(exc, yaml.constructor.ConstructorError):
        return ScenarioFileError(f"{where}: YAML tag not allowed ({problem}); scenario files hold plain values only, "
                                 "remove the '!!' tag")
    return ScenarioFileError(f"{where}: YAML syntax error: {problem}; check indentation, colons and brackets there")


def _compose(text: str, source: str):
    """Return (data, lines) where lines maps key-path tuples to 1-based line numbers.

    Refuses, with one line each: nesting deeper than MAX_NESTING, aliases that expand past
    MAX_NODES values or refer to themselves, keys that are not plain names, and tags that would
    construct objects (the safe loader never executes them)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source) from None
    except RecursionError:
        raise ScenarioFileError(f"{source}: the YAML is nested too deeply (more than {MAX_NESTING} levels); "
                                "a scenario needs about ten") from None
    if node is None:
        raise ScenarioFileError(
            f"{source}:1: the file is empty; start from scenarios/help_desk.yaml (see docs/scenarios.md)"
        )
    lines: dict[tuple, int] = {}
    visited = 0

    def walk(n, path, ancestors):
        nonlocal visited
        visited += 1
        line = n.start_mark.line + 1
        if visited > MAX_NODES:
            raise ScenarioFileError(f"{source}:{line}: the file expands to more than {MAX_NODES:,} values (an alias "
                                    "used over and over?); write the values out, or use fewer aliases")
        if len(path) > MAX_NESTING:
            raise ScenarioFileError(f"{source}:{line}: the YAML is nested too deeply (more than {MAX_NESTING} "
                                    "levels); a scenario needs about ten")
        if id(n) in ancestors:
            raise ScenarioFileError(f"{source}:{line}: an alias refers to a value that contains it (a loop); "
                                    "write the value out instead")
        lines.setdefault(path, line)
        inside = ancestors | {id(n)}
        if isinstance(n, yaml.MappingNode):
            for key_node, value_node in n.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise ScenarioFileError(f"{source}:{key_node.start_mark.line + 1}: a key must be a plain name, "
                                            "not a list or a mapping (remove the '?' complex key)")
                key = key_node.value
                lines[path + (key,)] = key_node.start_mark.line + 1
                walk(value_node, path + (key,), inside)
        elif isinstance(n, yaml.SequenceNode):
            for index, item in enumerate(n.value):
                walk(item, path + (index,), inside)
        elif n.tag == "tag:yaml.org,2002:timestamp":  # PyYAML turns it into a date, and 2026-02-30 into a crash
            try:
                yaml.SafeLoader("").construct_yaml_timestamp(n)
            except ValueError:
                raise ScenarioFileError(f"{source}:{line}: {format_path(path)}: {n.value!r} is not a date that exists; "
                                        "write YYYY-MM-DD") from None

    walk(node, (), frozenset())
    try:
        data = yaml.SafeLoader(text).get_single_data()
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source) from None
    return data, lines


def _line_of(path: tuple, lines: dict) -> int | None:
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return None


def _data_path(loc: tuple, data) -> tuple:
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


_TAG_LIKE = {*DIST_NAMES, "function-after", "function-before", "nullable", "tagged-union"}


def _model_at(path: tuple, data) -> type[BaseModel] | None:
    """The pydantic model class that validates the mapping at `path` (for 'did you mean')."""
    from . import distributions

    model: typing.Any = Scenario
    node = data
    for part in path:
        if isinstance(part, int):
            model = _element(model)
        else:
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                return None
            field = model.model_fields.get(part)
            if field is None:
                return None
            model = field.annotation
        node = node[part] if isinstance(node, (dict, list)) and _has(node, part) else None
        model = _resolve(model, node, distributions)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _has(node, part) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


def _element(annotation):
    args = typing.get_args(annotation)
    return args[0] if args else None


def _resolve(annotation, node, distributions):
    """Unwrap Optional / Annotated / tagged unions down to a concrete class where possible."""
    for _ in range(5):
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) == 1:
                annotation = options[0]
                continue
            tag = node.get("dist") if isinstance(node, dict) else None
            for option in options:
                field = getattr(option, "model_fields", {}).get("dist")
                if field is not None and tag in typing.get_args(field.annotation):
                    return option
            return None
        else:
            return annotation
    return annotation


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


def _explain(error: dict, data) -> tuple[tuple, str]:
    loc = tuple(error["loc"])
    kind = error["type"]
    path = _data_path(loc, data)
    ctx = error.get("ctx", {}) or {}
    got = error.get("input")
    if kind == "extra_forbidden":
        model = _model_at(path[:-1], data)
        allowed = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed keys here: {', '.join(allowed)}"
        return path, f"unknown key '{path[-1]}'; {hint}"
    if kind == "missing":
        return path, "is required but missing; add it"
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return path, f"'dist' must be one of {', '.join(DIST_NAMES)}"
    if kind == "finite_number":
        return path, (f"must be a finite number (got {got!r}); write a number, or leave the key out where "
                      "'never' or 'none' is meant (no patience: callers never hang up)")
    if kind in ("less_than_equal", "less_than", "greater_than", "greater_than_equal"):
        bound = next(iter(ctx.values()))
        words = {
            "less_than_equal": f"must be at most {bound}",
            "less_than": f"must be below {bound}",
            "greater_than": f"must be greater than {bound}",
            "greater_than_equal": f"must be at least {bound}",
        }[kind]
        hint = _percent_hint(got) if kind == "less_than_equal" and bound == 1 else ""
        return path, f"{words} (got {got}); change the value{hint}"
    if kind == "literal_error":
        return path, f"must be {ctx.get('expected')} (got {got!r})"
    if kind in ("too_short",):
        return path, "must not be empty"
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
    return path, f"{message} (got {got!r})" if kind.endswith("_type") or kind.endswith("_parsing") else message


def _primary_errors(errors: list[dict]) -> list[dict]:
    """Drop follow-on errors and put typos first.

    A list whose item failed also reports itself as too short; an unknown key usually comes
    with a 'missing' for the key the user meant: the unknown key is the message that helps.
    """
    locs = [tuple(e["loc"]) for e in errors]
    kept = [
        e for e, loc in zip(errors, locs)
        if not any(other != loc and other[: len(loc)] == loc for other in locs)
    ]
    return sorted(kept, key=lambda e: e["type"] != "extra_forbidden")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file. Raises ScenarioFileError with one line of explanation."""
    source = str(path)
    file = Path(path)
    if not file.exists():
        raise ScenarioFileError(f"{source}: no such file; check the path (shipped scenarios are in scenarios/)")
    if file.is_dir():
        raise ScenarioFileError(f"{source}: is a folder, not a scenario file; give the path of a .yaml file")
    try:
        info = file.stat()
    except OSError as exc:
        raise ScenarioFileError(f"{source}: cannot read the file ({exc.__class__.__name__}); check the path") from None
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioFileError(f"{source}: is not a regular file (a device, a pipe, ...); give the path of a .yaml file")
    if info.st_size > MAX_FILE_BYTES:
        raise ScenarioFileError(f"{source}: the file is {info.st_size / 2**20:.1f} MiB; a scenario file is a few KB "
                                f"(at most {MAX_FILE_BYTES // 2**20} MiB): is this the right file?")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(f"{source}: cannot read the file ({exc.__class__.__name__}); is it a text YAML file?") from None
    return scenario_from_text(text, source, file.parent)


def scenario_from_text(text: str, source: str = "<scenario>", folder: Path | None = None) -> Scenario:
    """Validate a scenario given as YAML text (an uploaded file, say); errors name `source`
    and the line, exactly as `load_scenario` names a file's. A forecast CSV it names is read
    relative to `folder` (the scenario file's; the current folder if not given)."""
    data, lines = _compose(text, source)
    if not isinstance(data, dict):
        raise ScenarioFileError(f"{source}:1: the file must be a mapping of keys (schema_version, name, arrivals, ...), not a {type(data).__name__}")
    _calls_from_csv(data, lines, source, folder if folder is not None else Path.cwd())
    return scenario_from_dict(data, source=source, lines=lines)


def _calls_from_csv(data: dict, lines: dict, source: str, folder: Path) -> None:
    """`arrivals.calls: {csv: forecast.csv, ...}` -> the file's numbers, in place (and its
    busyness_cv, unless the scenario gives one); see `simulator.forecast_csv`. Errors name the
    scenario's line, and the CSV's row when a row is at fault."""
    arrivals = data.get("arrivals")
    calls = arrivals.get("calls") if isinstance(arrivals, dict) else None
    if not isinstance(calls, dict):
        return
    from .forecast_csv import ForecastCsvError, read_forecast_calls

    where = f"{source}:{_line_of(('arrivals', 'calls'), lines)}: arrivals.calls"
    start = data.get("start", Scenario.model_fields["start"].default)
    minutes = data.get("interval_minutes")
    if not isinstance(start, str) or parse_clock(start) is None or minutes not in (15, 30, 60):
        arrivals["calls"] = [0.0]  # rows are picked by time: the schema reports the bad start or interval first
        return
    try:
        values, busyness = read_forecast_calls(calls, folder, parse_clock(start), minutes)
    except ForecastCsvError as exc:
        raise ScenarioFileError(f"{where}{'.' + exc.key if exc.key else ''}: {exc}") from None
    except UserError as exc:  # the file itself (not a regular file, too big, not UTF-8)
        raise ScenarioFileError(f"{where}.csv: {exc}") from None
    arrivals["calls"] = values
    if busyness is not None and "busyness_cv" not in arrivals:
        arrivals["busyness_cv"] = busyness


def scenario_from_dict(data: dict, source: str = "<scenario>", lines: dict | None = None) -> Scenario:
    """Validate a dict (e.g. parsed YAML) into a Scenario, with one-line errors."""
    lines = lines or {}
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [_explain(error, data) for error in _primary_errors(exc.errors())]
    except ScenarioError as exc:
        problems = [(exc.path, exc.message)]

    def where(path: tuple) -> str:
        line = _line_of(path, lines)
        return f"{source}:{line}" if line else source

    # every problem (up to a handful) on one line, so a file is fixed in one go
    shown = [f"{where(path)}: {format_path(path)}: {message}" for path, message in problems[:MAX_PROBLEMS_SHOWN]]
    rest = len(problems) - len(shown)
    text = "; also ".join(shown) + (f" (and {rest} more problem{'s' if rest > 1 else ''})" if rest else "")
    raise ScenarioFileError(one_line(text))


# --- scenario files out ----------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block YAML, with short lists of numbers and small mappings of scalars in flow style."""


def _represent_list(dumper, data):
    flow = all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in data) and all(
        not isinstance(v, str) or len(v) < 40 for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper, data):
    flow = len(data) <= 4 and all(isinstance(v, (int, float, str)) and (not isinstance(v, str) or len(v) < 40)
                                  for v in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def _tidy(value):
    """Whole-number floats as ints (180.0 -> 180), recursively, for a readable file."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    return value


def dump_scenario_yaml(scenario: Scenario, header: Sequence[str] = ()) -> str:
    """The scenario as a YAML file `load_scenario` reads back to the same scenario: the keys the
    file gave (and any changed since), in the schema's order, whole numbers without '.0'; after
    the `header` lines (comments: what wrote the file and how)."""
    data = _tidy(scenario.model_dump(mode="json", exclude_unset=True))
    data["schema_version"] = scenario.schema_version
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return "".join(f"{line}\n" for line in header) + body
