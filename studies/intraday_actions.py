"""What an operations manager can do for the rest of the day, as scenario variants: `callsim
intraday --action TEXT`.

An action is one line of words (quotes around a name with spaces, as in a shell):

    overtime N GROUP FROM[-UNTIL]      N more agents in GROUP from FROM (until UNTIL, else the end of the day)
    vto N GROUP FROM[-UNTIL]           N agents of GROUP sent home (voluntary time off)
    move N FROM_GROUP TO_GROUP FROM[-UNTIL]   N agents change group
    callbacks on|off QUEUE             the queue's callback offer all day / not at all (the queue needs a
                                       callback section)
    announcement SHARE [FROM]          the IVR announcement's hang-up-satisfied share from FROM (the scenario
                                       needs an announcement)

Times are interval starts (UNTIL may be the end of the day); staffing changes from the interval
that holds `now` at the earliest, since the day before it is over. Each action is a validated
variant of the rest-of-day scenario (`Scenario.with_staffing`, `revised`), so the study simulates it
on the same callers as doing nothing (common random numbers) and reports paired differences.

What an action costs (in the scenario's money, agent-hours where it has no hourly_cost):
overtime at the group's hourly cost x OVERTIME_FACTOR, VTO saves the hours at the plain rate
(negative cost), a move, callbacks and the announcement cost nothing the scenario prices.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Callable

from simulator.errors import UserError
from simulator.scenario import Scenario, parse_clock
from simulator.schema_base import revised

# time and a half: the common statutory/collective-agreement premium for hours beyond the contract
OVERTIME_FACTOR = 1.5


class ActionError(UserError):
    """An --action that cannot be read or applied; one line naming the action."""


@dataclass(frozen=True)
class Action:
    """One parsed action: `text` as given, its `kind`, and the variant it makes of a scenario."""

    text: str
    kind: str
    agents: int = 0
    group: str | None = None  # overtime, vto; move: from
    to_group: str | None = None  # move
    queue: str | None = None  # callbacks
    switch_on: bool | None = None  # callbacks
    share: float | None = None  # announcement
    first: int = 0  # first interval changed
    last: int = 0  # one past the last interval changed

    def variant(self, scenario: Scenario) -> Scenario:
        return KINDS[self.kind].apply(self, scenario)

    def cost(self, scenario: Scenario) -> float:
        """What the action costs (module docstring); negative is a saving."""
        rate = _hourly(scenario, self.group)
        hours = self.agents * (self.last - self.first) * scenario.interval_minutes / 60.0
        if self.kind == "overtime":
            return hours * rate * OVERTIME_FACTOR
        if self.kind == "vto":
            return -hours * rate
        return 0.0


@dataclass(frozen=True)
class Kind:
    grammar: str
    parse: Callable[[str, list[str], Scenario, int], Action]
    apply: Callable[[Action, Scenario], Scenario]


def _hourly(scenario: Scenario, group: str | None) -> float:
    for g in scenario.agents:
        if g.name == group:
            return 1.0 if g.hourly_cost is None else float(g.hourly_cost)
    return 0.0


def _fail(text: str, what: str) -> ActionError:
    return ActionError(f"--action '{text}': {what}")


def _count(text: str, word: str) -> int:
    try:
        n = int(word)
    except ValueError:
        raise _fail(text, f"'{word}' is not a number of agents; e.g. --action \"overtime 3 GROUP 13:30-17:00\"") from None
    if n < 1:
        raise _fail(text, f"the number of agents must be at least 1, got {n}")
    return n


def _group(text: str, name: str, scenario: Scenario) -> str:
    names = [g.name for g in scenario.agents]
    if name not in names:
        raise _fail(text, f"unknown agent group '{name}'; the groups are: {', '.join(names)}")
    return name


def _boundary(text: str, clock: str, scenario: Scenario, end_allowed: bool) -> int:
    """The interval index starting at `clock` (n_intervals for the end of the day when allowed)."""
    label = parse_clock(clock)
    if label is None:
        raise _fail(text, f"'{clock}' is not a clock time HH:MM")
    labels = scenario.interval_labels()
    if label in labels:
        return labels.index(label)
    end = scenario.clock_at(scenario.n_intervals * scenario.interval_s)[:5]
    if end_allowed and label == end:
        return scenario.n_intervals
    raise _fail(text, f"{label} is not an interval start ({labels[0]}, {labels[1] if len(labels) > 1 else end}, ... "
                f"{end}); staffing changes at interval starts")


def _span(text: str, word: str, scenario: Scenario, now_k: int) -> tuple[int, int]:
    first_text, _, last_text = word.partition("-")
    first = _boundary(text, first_text, scenario, end_allowed=False)
    last = _boundary(text, last_text, scenario, end_allowed=True) if last_text else scenario.n_intervals
    if first < now_k:
        raise _fail(text, f"starts at {first_text}, before the interval of --now ({scenario.interval_labels()[now_k]}); "
                    "an action changes the rest of the day")
    if last <= first:
        raise _fail(text, f"ends at {last_text}, not after it starts; give FROM-UNTIL in that order")
    return first, last


def _words(text: str, words: list[str], count: int, usage: str) -> None:
    if len(words) != count:
        raise _fail(text, f"expected '{usage}'")


def _parse_staffing(kind: str):
    def parse(text, words, scenario, now_k):
        _words(text, words, 3, KINDS[kind].grammar)
        first, last = _span(text, words[2], scenario, now_k)
        return Action(text, kind, agents=_count(text, words[0]), group=_group(text, words[1], scenario),
                      first=first, last=last)
    return parse


def _parse_move(text, words, scenario, now_k):
    _words(text, words, 4, KINDS["move"].grammar)
    source, target = _group(text, words[1], scenario), _group(text, words[2], scenario)
    if source == target:
        raise _fail(text, "moves agents to the group they are in; name two different groups")
    first, last = _span(text, words[3], scenario, now_k)
    return Action(text, "move", agents=_count(text, words[0]), group=source, to_group=target, first=first, last=last)


def _parse_callbacks(text, words, scenario, now_k):
    _words(text, words, 2, KINDS["callbacks"].grammar)
    switch, name = words
    if switch not in ("on", "off"):
        raise _fail(text, f"'{switch}' is neither on nor off")
    queues = {q.name: q for q in scenario.queues}
    if name not in queues:
        raise _fail(text, f"unknown queue '{name}'; the queues are: {', '.join(queues)}")
    callback = queues[name].callback
    if callback is None:
        raise _fail(text, f"queue '{name}' has no callback section to switch; add one to the scenario")
    if switch == "on" and callback.offered_between is None:
        raise _fail(text, f"queue '{name}' already offers callbacks all day")
    return Action(text, "callbacks", queue=name, switch_on=switch == "on", first=now_k, last=scenario.n_intervals)


def _parse_announcement(text, words, scenario, now_k):
    if len(words) not in (1, 2):
        raise _fail(text, f"expected '{KINDS['announcement'].grammar}'")
    if scenario.ivr is None or scenario.ivr.announcement is None:
        raise _fail(text, "the scenario has no IVR announcement to change")
    try:
        share = float(words[0])
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise _fail(text, f"'{words[0]}' is not a share between 0 and 1 of callers who hang up satisfied")
    first = _boundary(text, words[1], scenario, end_allowed=False) if len(words) == 2 else now_k
    if first < now_k:
        raise _fail(text, f"starts before the interval of --now ({scenario.interval_labels()[now_k]})")
    return Action(text, "announcement", share=share, first=first, last=scenario.n_intervals)


def _staffing_of(scenario: Scenario) -> dict[str, list[int]]:
    return {g.name: list(g.staffing) for g in scenario.agents}


def _with_change(action: Action, scenario: Scenario, changes: dict[str, int]) -> Scenario:
    staffing = _staffing_of(scenario)
    for name, delta in changes.items():
        row = staffing[name]
        for k in range(action.first, action.last):
            if row[k] + delta < 0:
                raise _fail(action.text, f"group '{name}' has {row[k]} agents at {scenario.interval_labels()[k]}, "
                            f"fewer than {-delta}; ask for fewer agents or a shorter time")
            row[k] += delta
    return scenario.with_staffing({name: staffing[name] for name in changes}, what=f"--action '{action.text}'")


def _apply_staffing(action: Action, scenario: Scenario) -> Scenario:
    sign = 1 if action.kind == "overtime" else -1
    return _with_change(action, scenario, {action.group: sign * action.agents})


def _apply_move(action: Action, scenario: Scenario) -> Scenario:
    return _with_change(action, scenario, {action.group: -action.agents, action.to_group: action.agents})


def _apply_callbacks(action: Action, scenario: Scenario) -> Scenario:
    queues = tuple(q if q.name != action.queue else
                   revised(q, callback=revised(q.callback, offered_between=None) if action.switch_on else None)
                   for q in scenario.queues)
    return revised(scenario, queues=queues)


def _apply_announcement(action: Action, scenario: Scenario) -> Scenario:
    announcement = scenario.ivr.announcement
    old = announcement.hang_up_satisfied
    shares = list(old) if isinstance(old, tuple) else [float(old)] * scenario.n_intervals
    shares[action.first:action.last] = [action.share] * (action.last - action.first)
    ivr = revised(scenario.ivr, announcement=revised(announcement, hang_up_satisfied=tuple(shares)))
    return revised(scenario, ivr=ivr)


# one registry: the parser, the error messages and the --help text read it
KINDS: dict[str, Kind] = {
    "overtime": Kind("overtime N GROUP FROM[-UNTIL]", _parse_staffing("overtime"), _apply_staffing),
    "vto": Kind("vto N GROUP FROM[-UNTIL]", _parse_staffing("vto"), _apply_staffing),
    "move": Kind("move N FROM_GROUP TO_GROUP FROM[-UNTIL]", _parse_move, _apply_move),
    "callbacks": Kind("callbacks on|off QUEUE", _parse_callbacks, _apply_callbacks),
    "announcement": Kind("announcement SHARE [FROM]", _parse_announcement, _apply_announcement),
}


def parse_action(text: str, scenario: Scenario, now_k: int) -> Action:
    """One --action, checked against the scenario (names, times, the interval of --now)."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise _fail(text, f"cannot split it into words ({exc}); close the quotes") from None
    if not words:
        raise _fail(text, "is empty; e.g. --action \"overtime 3 GROUP 13:30-17:00\"")
    kind = words[0].lower()
    if kind not in KINDS:
        raise _fail(text, f"unknown action '{words[0]}'; the actions are: " + "; ".join(k.grammar for k in KINDS.values()))
    return KINDS[kind].parse(text, words[1:], scenario, now_k)
