"""`callsim optimize` on a scenario with `days:` (a week): every open date optimised on its own
(its calls, opening hours and staffing, `Scenario.on_day`, then `studies.optimize.optimize_staffing`
with the same seed, replications and confirmation rule), and the optimised week (each date's
`staffing` its optimised agents) written as one scenario that `callsim run` simulates as one
timeline. A closed date is not optimised. Each date's answer is judged out of sample as one day's
is (replications from `CONFIRM_FIRST_REPLICATION`); callers carried over a close into the next
day's first hours are not searched over (the week's simulation shows them)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from simulator.scenario import Scenario
from simulator.schema_base import revised

from .optimize import OptimizeResult, optimize_staffing
from .week_plan import written_week


@dataclass(frozen=True)
class WeekOptimized:
    scenario: Scenario
    results: tuple[OptimizeResult | None, ...]  # per date; None when closed
    optimized_text: str  # <stem>.optimized.yaml: the week with each date's optimised staffing
    optimized: Scenario  # that text read back

    @property
    def converged(self) -> bool:
        return all(r.converged for r in self.results if r is not None)

    @property
    def infeasible(self) -> bool:
        return any(r.infeasible for r in self.results if r is not None)


def optimize_week(scenario: Scenario, source: str = "",
                  on_date: Callable[[int, str], None] | None = None, **optimize_options) -> WeekOptimized:
    """Optimise each open date of `scenario` (`optimize_options` as `optimize_staffing` takes
    them), then write and read back the optimised week. `on_date(d, date)` before each date."""
    results = []
    for d, day in enumerate(scenario.days):
        if day.closed:
            results.append(None)
            continue
        if on_date is not None:
            on_date(d, day.date)
        results.append(optimize_staffing(scenario.on_day(d), **optimize_options))
    days = tuple(day if result is None else revised(day, staffing=dict(result.staffing))
                 for day, result in zip(scenario.days, results))
    header = [f"# Optimised staffing for '{scenario.name}'" + (f" ({source})" if source else "") + ", per date",
              "# Written by 'callsim optimize': days[].staffing = each date's optimised agents per interval, each date "
              "confirmed on replications its search never used; 'callsim run' on this file simulates the week."]
    optimized_text, optimized = written_week(scenario, days, header, "optimised scenario")
    return WeekOptimized(scenario, tuple(results), optimized_text, optimized)
