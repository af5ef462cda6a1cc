"""Tours to named agents: a least-cost assignment (scipy's Hungarian method), fair over weeks.

Pure: plain inputs, a frozen result. Every agent of a contract gets at most one of that
contract's tours (`planner.tours`); an agent is never given a tour that works a day they are
unavailable (`RosterError` names them when no assignment avoids it). Among the assignments that
respect availability, the cost minimised is, per agent and tour:

- 1 for every day worked that the agent prefers off;
- the agent's weekends worked in past weeks x the tour's weekend days, and the same for late
  shifts (a shift ending in or after `late_from_slot`): weekend and late work goes to whoever
  had least of it, so it rotates over the weeks when each week's roster feeds the counts of the
  next (over one week alone, the tours already share them as the week's rules allow).

Preferences weigh 1 against history counts that grow by a day at a time: a preference can tip
a tie, never move a weekend onto someone who already works more of them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from planner.tours import WEEKEND, Tour

_FORBIDDEN = 1e9  # unavailable: larger than any sum of the costs above


class RosterError(ValueError):
    """No roster respects the agents' availability (or there are too few agents)."""


@dataclass(frozen=True)
class AgentSpec:
    name: str
    contract: str
    unavailable: tuple[int, ...] = ()  # day indices
    preferred_off: tuple[int, ...] = ()
    weekends_before: int = 0  # weekend days worked in recent weeks (the fairness history)
    late_before: int = 0  # late shifts worked in recent weeks


@dataclass(frozen=True)
class RosterLine:
    agent: str
    contract: str
    tour: Tour | None  # None: no tour this week (more agents than tours)
    weekend_days: int
    late_days: int
    preferred_days_worked: int


@dataclass(frozen=True)
class Roster:
    lines: tuple[RosterLine, ...]  # in the order of the agents given

    @property
    def weekend_days(self) -> tuple[int, ...]:
        return tuple(line.weekend_days for line in self.lines)

    @property
    def preferred_asked(self) -> int:
        return self._asked

    @property
    def preferred_met(self) -> int:
        return self._asked - sum(line.preferred_days_worked for line in self.lines)

    _asked: int = 0


def _weekend_days(tour: Tour, weekdays: tuple[int, ...]) -> int:
    return sum(weekdays[d] in WEEKEND for d in tour.days_on)


def _late_days(tour: Tour, late_from_slot: int | None) -> int:
    return 0 if late_from_slot is None else sum(day.end_slot >= late_from_slot for day in tour.days)


def assign_roster(tours: tuple[Tour, ...] | list[Tour], agents: list[AgentSpec] | tuple[AgentSpec, ...],
                  weekdays: tuple[int, ...], late_from_slot: int | None = None) -> Roster:
    """Each tour to one agent of its contract (see the module docstring). Raises RosterError when
    a contract has fewer agents than tours, or availability leaves some tour without an agent."""
    lines: dict[int, RosterLine] = {}
    for contract in sorted({t.contract for t in tours} | {a.contract for a in agents}):
        mine_t = [t for t in tours if t.contract == contract]
        mine_a = [i for i, a in enumerate(agents) if a.contract == contract]
        if len(mine_a) < len(mine_t):
            raise RosterError(f"the week needs {len(mine_t)} agents on contract '{contract}' and the agents file has "
                              f"{len(mine_a)}; add {len(mine_t) - len(mine_a)} or change the contracts")
        cost = np.zeros((len(mine_a), len(mine_t)))
        for r, i in enumerate(mine_a):
            agent = agents[i]
            for c, tour in enumerate(mine_t):
                on = set(tour.days_on)
                if on & set(agent.unavailable):
                    cost[r, c] = _FORBIDDEN
                    continue
                cost[r, c] = (len(on & set(agent.preferred_off))
                              + agent.weekends_before * _weekend_days(tour, weekdays)
                              + agent.late_before * _late_days(tour, late_from_slot))
        rows, cols = linear_sum_assignment(cost) if mine_t else ([], [])
        given = dict(zip(rows, cols))
        for r, i in enumerate(mine_a):
            if r in given and cost[r, given[r]] >= _FORBIDDEN:
                names = [agents[k].name for k in mine_a]
                raise RosterError(f"contract '{contract}': no roster keeps every agent off their unavailable days "
                                  f"(agent '{agents[i].name}' would work one); {len(mine_t)} tours for "
                                  f"{len(names)} agents: add agents or relax the unavailability")
            tour = mine_t[given[r]] if r in given else None
            lines[i] = RosterLine(
                agents[i].name, contract, tour,
                _weekend_days(tour, weekdays) if tour else 0, _late_days(tour, late_from_slot) if tour else 0,
                len(set(tour.days_on) & set(agents[i].preferred_off)) if tour else 0)
    asked = sum(len(a.preferred_off) for a in agents)
    return Roster(tuple(lines[i] for i in range(len(agents))), asked)
