"""Starting a day from the centre's current state: the Python API.

`InitialState` is the schema (`simulator.state_schema`; in a scenario as `initial_state:`);
`load_state(path, scenario)` reads a STATE.yaml holding the same keys (`at`, `waiting`, `busy`,
`callbacks_pending`) and checks it against the scenario, with one-line errors naming
file:line: key. A scenario with the state is `scenario.model_copy(update={"initial_state": state})`
(checked again when it runs: `simulator.starting_state`).
"""
from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from .error_words import explain, format_path
from .errors import UserError, one_line
from .input_files import readable_file
from .loading import MAX_PROBLEMS_SHOWN, _compose, _line_of, _model_at, _primary_errors
from .schema_base import ScenarioError
from .state_schema import BusyAgents, InitialState, check_state

__all__ = ["BusyAgents", "InitialState", "StateFileError", "load_state"]

MAX_STATE_FILE_BYTES = 5 * 1024 * 1024  # a state is a few lines; a long list of waits is still far below


class StateFileError(UserError):
    """A state file that cannot be used; `str()` is one line meant for the user."""


def _state_model_at(path: tuple, data):
    """The model class at `path` of a state file (for 'did you mean'): the scenario's, under initial_state."""
    return _model_at(("initial_state", *path), {"initial_state": data})


def load_state(path: str | Path, scenario) -> InitialState:
    """Read and validate a STATE.yaml against `scenario`; StateFileError (one line) if it cannot be used."""
    source = str(path)
    file = readable_file(path, "a state file", "give the path of a .yaml file with at, waiting, busy, "
                         "callbacks_pending (see docs/intraday-state.md)", max_bytes=MAX_STATE_FILE_BYTES)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StateFileError(f"{source}: cannot read the file ({exc.__class__.__name__}); is it a text YAML file?") from None
    try:
        data, lines = _compose(text, source)
    except UserError as exc:
        raise StateFileError(str(exc)) from None
    if not isinstance(data, dict):
        raise StateFileError(f"{source}:1: the file must be a mapping of keys (at, waiting, busy, callbacks_pending), "
                             f"not a {type(data).__name__}")
    try:
        state = InitialState.model_validate(data)
        check_state(state, scenario)
        return state
    except ValidationError as exc:
        problems = [explain(error, data, _state_model_at) for error in _primary_errors(exc.errors())]
    except ScenarioError as exc:
        problems = [(exc.path[1:], exc.message)]  # the file's keys are the section's: no 'initial_state.'
    shown = [f"{source}:{_line_of(p, lines) or 1}: {format_path(p)}: {message}"
             for p, message in problems[:MAX_PROBLEMS_SHOWN]]
    rest = len(problems) - len(shown)
    raise StateFileError(one_line("; also ".join(shown) + (f" (and {rest} more)" if rest else "")))
