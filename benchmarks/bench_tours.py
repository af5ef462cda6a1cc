"""Weekly tours: time to a proven optimum on the issue's size, and the roster for named agents.

Run by hand (never a test):

    python benchmarks/bench_tours.py

The week: 7 days x 34 half-hours (07:00-24:00), every day open, on quarter-hour slots (68 a
day, since the breaks are 15 minutes). Requirement = Erlang C agents (80/20, AHT 300 s) of a
retail profile (morning peak, lunch dip, afternoon shoulder), days scaled Mon 1.25 ... Sun 0.6.
Three shift types with breaks (the field guide's): full-time 8.5 h (two paid 15-minute breaks,
an unpaid 30-minute lunch), part-time 6 h and 4 h (one paid 15-minute break). Contracts:
full-time 5 days with two consecutive days off, 40 paid hours, starts within a 1-hour band;
part-time 3-5 days, 16-30 paid hours, the same start all week, at most 30% of agents; at most
60% of full-timers on a weekend day. Targets: proven optimum in < 60 s; the roster of the
result's agents (about 60) in < 10 s more.
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.roster import AgentSpec, assign_roster  # noqa: E402
from planner.shifts import BreakRule, ShiftRule  # noqa: E402
from planner.staffing import StaffingTargets, required_agents_by_interval  # noqa: E402
from planner.tours import Contract, WeekProblem, solve_week  # noqa: E402

DAY_FACTORS = (1.25, 1.1, 1.0, 1.0, 1.05, 0.8, 0.6)


def requirement() -> tuple[tuple[int, ...], ...]:
    week = []
    for factor in DAY_FACTORS:
        calls = []
        for i in range(34):
            hour = 7 + i / 2 + 0.25
            level = (10 + 120 * math.exp(-((hour - 10.5) / 1.8) ** 2) + 90 * math.exp(-((hour - 15) / 2.2) ** 2)
                     + 40 * math.exp(-((hour - 19.5) / 1.6) ** 2) - 25 * math.exp(-((hour - 13) / 0.6) ** 2))
            calls.append(max(2.0, level) * factor)
        agents = required_agents_by_interval([c / 1800 for c in calls], 300.0,
                                             StaffingTargets(0.8, 20.0, occupancy_band=(0, 1))).agents
        week.append(tuple(int(a) for a in agents for _ in range(2)))  # half-hour -> two quarter-hour slots
    return tuple(week)


def problem() -> WeekProblem:
    n = 68
    full = ShiftRule("full-time 8.5 h", 34, tuple(range(0, n - 34 + 1, 2)),
                     (BreakRule("morning break", 1, True, 4, 11), BreakRule("lunch", 2, False, 12, 20),
                      BreakRule("afternoon break", 1, True, 22, 29)), 30.0 * 8, 32)
    six = ShiftRule("part-time 6 h", 24, tuple(range(0, n - 24 + 1, 2)), (BreakRule("break", 1, True, 4, 19),),
                    32.0 * 6, 24)
    four = ShiftRule("part-time 4 h", 16, tuple(range(0, n - 16 + 1, 2)), (BreakRule("break", 1, True, 4, 11),),
                     32.0 * 4, 16)
    contracts = (Contract("full-time", (full,), days_on=(5, 5), consecutive_days_off=2, weekly_paid_slots=(160, 160),
                          start_band_slots=4, max_weekend_share=0.6),
                 Contract("part-time", (six, four), days_on=(3, 5), weekly_paid_slots=(64, 120), max_share=0.3))
    return WeekProblem(requirement(), tuple(range(7)), contracts, 15)


def main() -> None:
    week_problem = problem()
    started = time.perf_counter()
    cpu = time.process_time()
    week = solve_week(week_problem, time_limit_s=60)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"tours: {week.solver_status}, gap {week.mip_gap:.4%}, cost {week.cost:,.0f} (bound {week.dual_bound:,.0f}), "
          f"{week.agents} agents, {week.n_variables:,} variables, {week.n_constraints:,} rows, "
          f"{week.n_patterns} day-off patterns: {wall:.1f} s wall, {cpu:.1f} s CPU (target < 60 s)")
    agents = [AgentSpec(f"agent {i:02d}", tour.contract, unavailable=(i % 7,) if i % 5 == 0 else (),
                        preferred_off=((i + 3) % 7,) if i % 3 == 0 else ())
              for i, tour in enumerate(sorted(week.tours, key=lambda t: t.contract))]
    started = time.perf_counter()
    roster = assign_roster(week.tours, agents, tuple(range(7)), 15)
    print(f"roster: {len(roster.lines)} agents in {time.perf_counter() - started:.2f} s (target < 10 s); "
          f"weekend days per agent {min(roster.weekend_days)}-{max(roster.weekend_days)}, "
          f"preferred days off met {roster.preferred_met}/{roster.preferred_asked}")


if __name__ == "__main__":
    main()
