"""What a day of agents costs: one definition that `run` (agent_cost), `optimize` and `schedule`
all use, so the same day has the same price whichever command reports it.

A group is paid, per interval, either what the scenario says it is paid (`paid_cost`, written
by `callsim schedule`: its shifts' paid hours at their own rates, paid breaks included, unpaid
breaks not, a shift's fixed cost spread over its paid time), or, without it, its staffing x the
interval's hours x the group's hourly rate. Overtime (agents finishing a call after their shift)
is priced at the hourly rate on top and stated separately (the overtime_cost KPI): a schedule
or an optimiser cannot know it before the day is simulated.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def hourly_rates(scenario, default: float = 0.0) -> np.ndarray:
    """Each group's hourly_cost; `default` where the scenario gives none (optimize uses 1, so an
    uncosted scenario is priced in agent-hours)."""
    return np.array([default if g.hourly_cost is None else float(g.hourly_cost) for g in scenario.agents])


def staffing_paid_cost(rates: Sequence[float], staffing: Sequence[Sequence[float]], interval_s: float) -> np.ndarray:
    """Per group (rows) and interval: agents on shift x the interval's hours x the hourly rate."""
    return np.asarray(rates, dtype=float)[:, None] * np.asarray(staffing, dtype=float) * (interval_s / 3600.0)


def paid_cost(scenario, rates: Sequence[float] | None = None) -> np.ndarray:
    """Per group (rows) and interval: what the scenario's agents are paid (see the module
    docstring). `rates`: the hourly rates of groups without `paid_cost` (default hourly_rates)."""
    rates = hourly_rates(scenario) if rates is None else np.asarray(rates, dtype=float)
    by_staffing = staffing_paid_cost(rates, [g.staffing for g in scenario.agents], scenario.interval_s)
    return np.array([by_staffing[i] if g.paid_cost is None else np.asarray(g.paid_cost, dtype=float)
                     for i, g in enumerate(scenario.agents)]).reshape(by_staffing.shape)


def overtime_cost(scenario, overtime_s_by_group: np.ndarray) -> np.ndarray:
    """Per interval: overtime agent-seconds (groups x intervals) at each group's hourly rate."""
    return hourly_rates(scenario) @ np.asarray(overtime_s_by_group, dtype=float) / 3600.0
