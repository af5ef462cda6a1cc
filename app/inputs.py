"""The calculator's inputs and answers, without any widget: checked as `callsim erlang` checks
its options (the same rules, the same one-line messages) and sized by the same calls
(`planner.staffing.required_agents` / `evaluate_agents` with `StaffingTargets`), so the page's
numbers are `callsim erlang`'s for the same inputs (tests/test_app.py runs both).

The option rules are written here with click's own range types rather than imported from
`cli.py` (the app sits below the command line in the layers); a test checks every message
against the command's.
"""
from __future__ import annotations

import math
import shlex
from dataclasses import dataclass, replace

import click

from planner.staffing import FLAG_DESCRIPTIONS, StaffingError, StaffingTargets, evaluate_agents, required_agents
from simulator.errors import UserError
from simulator.numbers import finite_or_none
from simulator.schema_base import MAX_DURATION_S

BINDING_TEXT = {
    "service_level": "the service level target",
    "asa": "the ASA target",
    "abandon_rate": "the maximum abandonment rate",
    "occupancy_cap": "the occupancy cap",
    "none": "no target (minimum staffing)",
    "given": "given",
}


class InputProblem(UserError):
    """An input the user can fix; `str()` is the line `callsim erlang` prints after 'error: '."""


# option name -> (click type, field of CalculatorInputs): the rules of `callsim erlang`'s options
_RULES = {
    "--calls": (click.FloatRange(min=0), "calls"),
    "--interval-minutes": (click.FloatRange(min=0, min_open=True), "interval_minutes"),
    "--aht": (click.FloatRange(min=0, min_open=True), "aht_s"),
    "--agents": (click.IntRange(min=0), "agents"),
    "--patience": (click.FloatRange(min=0, min_open=True, max=MAX_DURATION_S), "patience_s"),  # a scenario's limit
    "--sl": (click.FloatRange(0, 1), "sl_target"),
    "--sl-seconds": (click.FloatRange(min=0), "sl_seconds"),
    "--asa": (click.FloatRange(min=0), "asa_target_s"),
    "--max-abandon": (click.FloatRange(0, 1), "max_abandon"),
    "--shrinkage": (click.FloatRange(0, 1, max_open=True), "shrinkage"),
}


@dataclass(frozen=True)
class CalculatorInputs:
    """One interval, as `callsim erlang` takes it. `agents` None sizes; a number evaluates.
    `patience_s` None is Erlang C only (nobody hangs up)."""

    calls: float = 100.0
    interval_minutes: float = 30.0
    aht_s: float = 180.0
    patience_s: float | None = 180.0
    sl_target: float | None = 0.8
    sl_seconds: float = 20.0
    asa_target_s: float | None = None
    max_abandon: float | None = None
    occupancy_band: tuple[float, float] = (0.75, 0.85)
    shrinkage: float = 0.0
    agents: int | None = None

    @property
    def arrival_rate_per_s(self) -> float:
        return self.calls / (self.interval_minutes * 60.0)

    @property
    def offered_load_erlangs(self) -> float:
        return self.arrival_rate_per_s * self.aht_s


def check(inputs: CalculatorInputs) -> None:
    """Raise InputProblem with `callsim erlang`'s message for the first option it would refuse."""
    for option, (kind, name) in _RULES.items():
        value = getattr(inputs, name)
        if value is None:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise InputProblem(f"Invalid value for '{option}': {value!r} is not a finite number.")
        try:
            kind.convert(value, click.Option([option]), None)
        except click.BadParameter as exc:
            raise InputProblem(f"Invalid value for '{option}': {exc.message}") from None
    low, high = inputs.occupancy_band
    for value in (low, high):
        try:
            click.FloatRange(0, 1).convert(value, click.Option(["--occupancy"]), None)
        except click.BadParameter as exc:
            raise InputProblem(f"Invalid value for '--occupancy': {exc.message}") from None
    if inputs.max_abandon is not None and inputs.patience_s is None:
        raise InputProblem("--max-abandon needs --patience: Erlang C has no abandonment")


def cli_arguments(inputs: CalculatorInputs, model: str) -> list[str]:
    """The `callsim erlang` arguments that ask the same question of `model`."""
    args = ["--calls", f"{inputs.calls:g}", "--interval-minutes", f"{inputs.interval_minutes:g}",
            "--aht", f"{inputs.aht_s:g}", "--sl-seconds", f"{inputs.sl_seconds:g}",
            "--occupancy", f"{inputs.occupancy_band[0]:g}", f"{inputs.occupancy_band[1]:g}",
            "--shrinkage", f"{inputs.shrinkage:g}"]
    if inputs.sl_target is not None:
        args += ["--sl", f"{inputs.sl_target:g}"]
    if inputs.asa_target_s is not None:
        args += ["--asa", f"{inputs.asa_target_s:g}"]
    if model == "erlang_a":
        args += ["--patience", f"{inputs.patience_s:g}"]
        if inputs.max_abandon is not None:
            args += ["--max-abandon", f"{inputs.max_abandon:g}"]
    if inputs.agents is not None:
        args += ["--agents", str(inputs.agents)]
    return args


def cli_command(inputs: CalculatorInputs, model: str) -> str:
    return "callsim erlang " + shlex.join(cli_arguments(inputs, model))


def _for_model(inputs: CalculatorInputs, model: str) -> CalculatorInputs:
    """Erlang C asks the question without patience and without the abandonment target (the
    command refuses --max-abandon without --patience)."""
    return inputs if model == "erlang_a" else replace(inputs, patience_s=None, max_abandon=None)


def _targets(inputs: CalculatorInputs) -> StaffingTargets:
    sl = inputs.sl_target
    if sl is None and inputs.asa_target_s is None and inputs.max_abandon is None:
        sl = 0.8  # as the command: with no target at all, 80% within the threshold
    return StaffingTargets(service_level_target=sl, answer_time_threshold_s=inputs.sl_seconds,
                           asa_target_s=inputs.asa_target_s, max_abandon_rate=inputs.max_abandon,
                           occupancy_band=tuple(inputs.occupancy_band))


@dataclass(frozen=True)
class Answer:
    """One model's answer: `document` has exactly the keys and values of `callsim erlang --json`."""

    model: str
    command: str
    document: dict
    notes: tuple[str, ...]

    @property
    def binding_text(self) -> str:
        return BINDING_TEXT.get(self.document["binding_constraint"], self.document["binding_constraint"])


def answer(inputs: CalculatorInputs, model: str) -> Answer:
    """Size (or evaluate) one interval with `model`, as `callsim erlang` does."""
    inputs = _for_model(inputs, model)
    check(inputs)
    patience = inputs.patience_s if model == "erlang_a" else None
    try:
        targets = _targets(inputs)
        if inputs.agents is None:
            result = required_agents(inputs.arrival_rate_per_s, inputs.aht_s, targets, model, patience, inputs.shrinkage)
        else:
            result = evaluate_agents(inputs.agents, inputs.arrival_rate_per_s, inputs.aht_s, targets, model, patience,
                                     inputs.shrinkage)
    except StaffingError as exc:
        raise InputProblem(str(exc)) from None
    m = result.metrics
    document = {
        "agents": result.agents, "scheduled_agents": result.scheduled_agents,
        "offered_load_erlangs": m.offered_load_erlangs, "p_wait": m.p_wait, "asa": finite_or_none(m.asa_s),
        "service_level": m.service_level, "occupancy": m.occupancy, "p_abandon": m.p_abandon,
        "binding_constraint": result.binding_constraint, "flags": list(result.flags),
    }
    notes = tuple(FLAG_DESCRIPTIONS.get(flag, flag) for flag in result.flags)
    return Answer(model, cli_command(inputs, model), document, notes)


@dataclass(frozen=True)
class Curve:
    """KPIs against agents around the answer: the wait-vs-agents cliff."""

    model: str
    agents: tuple[int, ...]
    asa_s: tuple[float | None, ...]
    service_level: tuple[float, ...]
    occupancy: tuple[float, ...]
    p_abandon: tuple[float | None, ...]


def curve(inputs: CalculatorInputs, model: str, around: int) -> Curve:
    """Evaluate every agent count from just above the load (Erlang C) or from 1 (Erlang A) to
    well past `around`, so the cliff and the flat part both show."""
    inputs = _for_model(inputs, model)
    load = inputs.offered_load_erlangs
    first = max(1, math.floor(load) + 1 if model == "erlang_c" else math.floor(load * 0.7))
    last = max(around, first) + max(6, math.ceil(2 * math.sqrt(max(load, 1.0))))
    patience = inputs.patience_s if model == "erlang_a" else None
    targets = _targets(inputs)
    rows = [evaluate_agents(n, inputs.arrival_rate_per_s, inputs.aht_s, targets, model, patience).metrics
            for n in range(first, last + 1)]
    return Curve(model, tuple(m.agents for m in rows), tuple(finite_or_none(m.asa_s) for m in rows),
                 tuple(m.service_level for m in rows), tuple(m.occupancy for m in rows),
                 tuple(m.p_abandon for m in rows))


def occupancy_band_agents(inputs: CalculatorInputs) -> tuple[float, float]:
    """Agent counts whose Erlang C occupancy A/N is inside the band: N from A/high to A/low."""
    load = inputs.offered_load_erlangs
    low, high = inputs.occupancy_band
    return (load / high if high > 0 else math.inf), (load / low if low > 0 else math.inf)
