"""Reading scenario files: YAML in, a validated `Scenario` out, or one clear line of error.

Errors name the file, the line, the key path in the file (`queues[0].talk_time.cv`), what is
wrong and what to do. The YAML is composed node by node so that every key path keeps the line
it came from.
"""
from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from .errors import UserError
from .scenario import Scenario, ScenarioError


class ScenarioFileError(UserError):
    """A scenario that cannot be used; `str()` is one line meant for the user."""


def format_path(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _compose(text: str, source: str):
    """Return (data, lines) where lines maps key-path tuples to 1-based line numbers."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioFileError(
            f"{where}: YAML syntax error: {problem}; check indentation, colons and brackets there"
        ) from None
    if node is None:
        raise ScenarioFileError(
            f"{source}:1: the file is empty; start from scenarios/help_desk.yaml (see docs/scenarios.md)"
        )
    lines: dict[tuple, int] = {}

    def walk(n, path):
        lines.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for key_node, value_node in n.value:
                key = key_node.value
                lines[path + (key,)] = key_node.start_mark.line + 1
                walk(value_node, path + (key,))
        elif isinstance(n, yaml.SequenceNode):
            for index, item in enumerate(n.value):
                walk(item, path + (index,))

    walk(node, ())
    data = yaml.SafeLoader(text).get_single_data()
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


_TAG_LIKE = {
    "exponential", "fixed", "lognormal", "gamma", "weibull", "uniform", "empirical",
    "function-after", "function-before", "nullable", "tagged-union",
}


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


def _explain(error: dict, data) -> tuple[tuple, str]:
    loc = tuple(error["loc"])
    kind = error["type"]
    path = _data_path(loc, data)
    ctx = error.get("ctx", {}) or {}
    if kind == "extra_forbidden":
        model = _model_at(path[:-1], data)
        allowed = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed keys here: {', '.join(allowed)}"
        return path, f"unknown key '{path[-1]}'; {hint}"
    if kind == "missing":
        return path, "is required but missing; add it"
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return path, (
            "'dist' must be one of exponential, fixed, lognormal, gamma, weibull, uniform, empirical"
        )
    if kind in ("less_than_equal", "less_than", "greater_than", "greater_than_equal"):
        bound = next(iter(ctx.values()))
        words = {
            "less_than_equal": f"must be at most {bound}",
            "less_than": f"must be below {bound}",
            "greater_than": f"must be greater than {bound}",
            "greater_than_equal": f"must be at least {bound}",
        }[kind]
        got = error.get("input")
        return path, f"{words} (got {got}); change the value"
    if kind == "literal_error":
        return path, f"must be {ctx.get('expected')} (got {error.get('input')!r})"
    if kind in ("too_short",):
        return path, "must not be empty"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    return path, f"{message} (got {error.get('input')!r})" if kind.endswith("_type") or kind.endswith("_parsing") else message


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
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(f"{source}: cannot read the file ({exc.__class__.__name__}); is it a text YAML file?") from None
    return scenario_from_text(text, source)


def scenario_from_text(text: str, source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as YAML text (an uploaded file, say); errors name `source`
    and the line, exactly as `load_scenario` names a file's."""
    data, lines = _compose(text, source)
    if not isinstance(data, dict):
        raise ScenarioFileError(f"{source}:1: the file must be a mapping of keys (schema_version, name, arrivals, ...), not a {type(data).__name__}")
    return scenario_from_dict(data, source=source, lines=lines)


def scenario_from_dict(data: dict, source: str = "<scenario>", lines: dict | None = None) -> Scenario:
    """Validate a dict (e.g. parsed YAML) into a Scenario, with one-line errors."""
    lines = lines or {}
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        errors = _primary_errors(exc.errors())
        path, message = _explain(errors[0], data)
        more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    except ScenarioError as exc:
        path, message, more = exc.path, exc.message, ""
    line = _line_of(path, lines)
    where = f"{source}:{line}" if line else source
    raise ScenarioFileError(f"{where}: {format_path(path)}: {message}{more}")


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


def dump_scenario_yaml(scenario: Scenario) -> str:
    """The scenario as a YAML file `load_scenario` reads back to the same scenario: the keys the
    file gave (and any changed since), in the schema's order, whole numbers without '.0'."""
    data = _tidy(scenario.model_dump(mode="json", exclude_unset=True))
    data["schema_version"] = scenario.schema_version
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
