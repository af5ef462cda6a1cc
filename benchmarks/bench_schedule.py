"""Shift scheduling: time to a proven optimum, and side by side with pyworkforce.

Run by hand (never a test):

    python benchmarks/bench_schedule.py

pyworkforce is not a dependency of callsim. To get its side too, install it into a separate
virtual environment with the few packages `planner.shifts` needs, and run from the repository
root with that interpreter:

    python -m venv /tmp/bench-schedule-venv
    /tmp/bench-schedule-venv/bin/pip install pyworkforce scipy numpy
    /tmp/bench-schedule-venv/bin/python benchmarks/bench_schedule.py

Without pyworkforce only callsim's side is timed.

The day: 48 half-hour intervals (00:00-24:00), requirement = Erlang C agents (80/20, AHT 300 s)
for a retail weekday profile (night trickle, morning peak, lunch dip, afternoon shoulder,
evening), peak about 60 agents. Shift types, starts every 30 minutes wherever the shift fits
the day: full-time 8.5 h (cost 8 paid hours x 30), part-time 6 h (6 x 32), part-time 4 h
(4 x 32): 33 + 37 + 41 = 111 start/type combinations.

Cases:
1. no breaks, 48 periods: `planner.shifts.solve_shifts` (HiGHS) vs pyworkforce
   `MinRequiredResources` (OR-Tools CP-SAT), the same covering problem: costs must be equal
   (both claim optimality), times compared.
2. one 30-minute break per shift, starting 3.0-4.0 h into full-time shifts, 2.0-3.0 h into the
   6 h one, 1.5-2.5 h into the 4 h one (every 15 minutes: 5 starts), on 96 quarter-hour periods.
   pyworkforce has no break model: it gets every shift-with-break as its own column (Dantzig's
   explicit form, 111 x 5 = 555 columns); callsim's implicit-break model has 111 + 555 variables
   and the same optimum. Costs must be equal, times compared.
3. callsim only (the target): the field guide's rules: full-time with two paid 15-minute
   breaks and an unpaid 30-minute lunch (3-5 h in), part-timers with one paid 15-minute break,
   part-timers at most 30% of agents, on 96 quarter-hour periods: time to a proven optimum
   (target < 5 s). Explicit columns would be 33 x 8 x 9 x 8 + ... > 19,000 for the full-time
   type alone; pyworkforce is not run on it.
"""
from __future__ import annotations

import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.shifts import BreakRule, GroupProblem, ShiftRule, solve_shifts  # noqa: E402
from planner.staffing import StaffingTargets, required_agents_by_interval  # noqa: E402

TYPES = (  # name, length h, paid h, hourly cost
    ("full-time 8.5 h", 8.5, 8.0, 30),
    ("part-time 6 h", 6.0, 6.0, 32),
    ("part-time 4 h", 4.0, 4.0, 32),
)


def requirement_half_hours() -> list[int]:
    calls = []
    for i in range(48):
        hour = i / 2 + 0.25
        level = (4.0 + 330.0 * math.exp(-((hour - 10.5) / 1.8) ** 2) + 250.0 * math.exp(-((hour - 15.0) / 2.2) ** 2)
                 + 110.0 * math.exp(-((hour - 19.5) / 1.6) ** 2) - 70.0 * math.exp(-((hour - 13.0) / 0.6) ** 2))
        calls.append(max(2.0, level))
    rates = [c / 1800.0 for c in calls]
    return list(required_agents_by_interval(rates, 300.0, StaffingTargets(0.8, 20.0, occupancy_band=(0, 1))).agents)


def shift_rules(per_hour: int, breaks: str) -> tuple[ShiftRule, ...]:
    """per_hour: slots per hour (2 or 4); breaks: "none", "one" (case 2) or "field" (case 3)."""
    n = 24 * per_hour
    rules = []
    for name, length_h, paid_h, hourly in TYPES:
        length = int(length_h * per_hour)
        starts = tuple(range(0, n - length + 1, per_hour // 2))
        rests: tuple[BreakRule, ...] = ()
        if breaks == "one":
            first = {8.5: 3.0, 6.0: 2.0, 4.0: 1.5}[length_h]
            rests = (BreakRule("break", 2, True, int(first * per_hour), int((first + 1) * per_hour)),)
        elif breaks == "field" and length_h == 8.5:
            rests = (BreakRule("morning break", 1, True, 4, 11), BreakRule("lunch", 2, False, 12, 20),
                     BreakRule("afternoon break", 1, True, 22, 29))
        elif breaks == "field":
            rests = (BreakRule("break", 1, True, 4, length - 5),)
        paid = int(paid_h * per_hour) if breaks == "field" or length_h != 8.5 else length
        cost = hourly * paid_h
        share = 0.3 if breaks == "field" and length_h < 8 else None
        rules.append(ShiftRule(name, length, starts, rests, float(cost), paid, max_share=share))
    return tuple(rules)


def timed(fn, repeats: int):
    """Median wall time of `repeats` calls, and the last result. (This machine is shared: the
    process CPU time of callsim's side is printed too, it is less disturbed by other load.)"""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def cpu_timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.process_time()
        fn()
        times.append(time.process_time() - started)
    return statistics.median(times)


def explicit_columns(rules: tuple[ShiftRule, ...], n: int) -> tuple[dict, dict]:
    """Every shift-with-break as a 0/1 coverage column (one break per shift), for pyworkforce."""
    coverage, costs = {}, {}
    for rule in rules:
        for start in rule.start_slots:
            rest = rule.breaks[0] if rule.breaks else None
            offsets = range(rest.earliest_slot, rest.latest_slot + 1) if rest else [None]
            for offset in offsets:
                column = [0] * n
                for j in range(start, start + rule.length_slots):
                    column[j] = 1
                if offset is not None:
                    for j in range(start + offset, start + offset + rest.slots):
                        column[j] = 0
                key = f"{rule.name}@{start}" + (f"+{offset}" if offset is not None else "")
                coverage[key] = column
                costs[key] = int(rule.cost)
    return coverage, costs


def pyworkforce_cost(rules, required: list[int], time_limit_s: float = 120.0):
    from pyworkforce.scheduling import MinRequiredResources

    n = len(required)
    coverage, costs = explicit_columns(rules, n)
    problem = MinRequiredResources(num_days=1, periods=n, shifts_coverage=coverage, required_resources=[required],
                                   max_period_concurrency=10_000, max_shift_concurrency=1_000, cost_dict=costs,
                                   max_search_time=time_limit_s, num_search_workers=2)
    solution = problem.solve()
    return solution["status"], solution["cost"], len(coverage)


def main() -> int:
    try:
        import pyworkforce  # noqa: F401

        have_pyworkforce = True
    except ImportError:
        have_pyworkforce = False
        print("pyworkforce is not importable here: timing callsim only. To compare, see the module docstring.\n")
    half_hours = requirement_half_hours()
    quarter_hours = [r for r in half_hours for _ in range(2)]
    print(f"Requirement: 48 half-hour intervals, {sum(half_hours) / 2:,.1f} agent-hours, peak {max(half_hours)} agents")
    cases = [
        ("1. no breaks, 48 periods", shift_rules(2, "none"), half_hours, True),
        ("2. one 30-min break (5 starts), 96 periods", shift_rules(4, "one"), quarter_hours, True),
        ("3. field-guide rules (2 breaks + lunch, 30% part-time cap)", shift_rules(4, "field"), quarter_hours, False),
    ]
    all_equal = True
    for name, rules, required, compare in cases:
        combos = sum(len(r.start_slots) for r in rules)
        def solve():
            return solve_shifts([GroupProblem("g", tuple(float(v) for v in required), rules)], time_limit_s=60)

        ours_s, ours = timed(solve, 3)
        ours_cpu_s = cpu_timed(solve, 3)
        print(f"\n{name}: {combos} start/type combinations")
        print(f"  callsim (HiGHS)      {ours.solver_status:>8}  gap {ours.mip_gap:.2%}  cost {ours.cost:>10,.0f}  "
              f"{ours_s:7.3f} s (median of 3; CPU {ours_cpu_s:.3f} s)  {ours.n_variables:,} variables, "
              f"{ours.n_constraints:,} rows, {ours.agents} agents")
        if compare and have_pyworkforce:
            theirs_s, (status, cost, columns) = timed(lambda: pyworkforce_cost(rules, required), 3)
            same = math.isclose(cost, ours.cost)
            all_equal &= same
            print(f"  pyworkforce (CP-SAT) {status:>8}  cost {cost:>10,.0f}  {theirs_s:7.3f} s (median of 3)  "
                  f"{columns:,} explicit columns  -> {'same cost' if same else 'COSTS DIFFER'}, "
                  f"{theirs_s / ours_s:.1f}x callsim's time")
    if have_pyworkforce:
        print("\ncosts equal in every compared case" if all_equal else "\ncosts DIFFER (see above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
