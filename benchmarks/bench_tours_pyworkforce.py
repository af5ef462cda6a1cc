"""Weekly tours beside pyworkforce's `MinHoursRoster` (CP-SAT), on a problem both can express.

pyworkforce is never a dependency of callsim: it lives in its own venv. Once:

    bash benchmarks/pyworkforce/setup.sh      # benchmarks/pyworkforce/venv, pinned requirements.txt

then, from the repository root:

    python benchmarks/bench_tours_pyworkforce.py

This process solves callsim's side (`planner.tours.solve_week`, HiGHS) and runs pyworkforce's
side in a child process with the venv's Python (this file, `--pyworkforce`, reading the problem as
JSON on stdin).

The common problem. A week of 7 days with two 8-hour shifts a day, Morning 07:00-15:00 and
Evening 15:00-23:00 (no breaks: MinHoursRoster has none), and a requirement per day and shift
(agents on that shift), weekdays busier than the weekend. Rules: every agent works at least 5
days (MinHoursRoster: max_resting = 2 days off at most; callsim: days_per_week [5, 7]) and at
least 40 hours (min_working_hours; weekly_hours [40, -]), at most one shift a day, and no Morning
the day after an Evening (MinHoursRoster's non_sequential_shifts; callsim's rest rule: 11 hours
between shifts). Both minimise the hours worked (callsim: the cost at 1 an hour).

What differs, by rule:
- MinHoursRoster rosters a fixed list of N resources (every one works at least 5 days); callsim
  chooses the head count. So pyworkforce is given callsim's optimal head count.
- A callsim tour works one shift type all week (its start fixed, or within a band); MinHoursRoster
  lets a resource work Morning one day and Evening another (never Evening then Morning). Any
  hours callsim needs beyond pyworkforce's come from that rule; the same problem with one shift
  type per resource, which pyworkforce cannot express, is what callsim solves.
- In callsim the requirement is per time slot (here the shift's hours); MinHoursRoster's is per
  day and shift. With two non-overlapping shifts they are the same thing.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV_PYTHON = HERE / "pyworkforce" / "venv" / "bin" / "python"
SHIFTS = ("Morning", "Evening")
SHIFT_HOURS = 8
# agents required per day (Mon..Sun) and shift
REQUIRED = {"Morning": [9, 8, 8, 8, 9, 5, 3], "Evening": [6, 6, 5, 6, 7, 4, 2]}


def callsim_side() -> dict:
    sys.path.insert(0, str(HERE.parent))
    from planner.shifts import ShiftRule
    from planner.tours import Contract, WeekProblem, solve_week

    # hour slots from 07:00: Morning is slots 0-7, Evening 8-15
    required = tuple(tuple([REQUIRED["Morning"][d]] * 8 + [REQUIRED["Evening"][d]] * 8) for d in range(7))
    types = (ShiftRule("Morning", 8, (0,), (), float(SHIFT_HOURS), 8), ShiftRule("Evening", 8, (8,), (), float(SHIFT_HOURS), 8))
    contract = Contract("agent", types, days_on=(5, 7), weekly_paid_slots=(40, None))
    problem = WeekProblem(required, tuple(range(7)), (contract,), 60, min_rest_minutes=11 * 60)
    started, cpu = time.perf_counter(), time.process_time()
    week = solve_week(problem, time_limit_s=60)
    return {"status": week.solver_status, "hours": week.cost, "agents": week.agents,
            "wall_s": time.perf_counter() - started, "cpu_s": time.process_time() - cpu,
            "shifts": {t: sum(len(tour.days) for tour in week.tours if tour.shift_type == t) for t in SHIFTS}}


def pyworkforce_side(problem: dict) -> dict:
    from pyworkforce.rostering.binary_programming import MinHoursRoster

    resources = [f"agent {i}" for i in range(problem["agents"])]
    roster = MinHoursRoster(num_days=7, resources=resources, shifts=list(SHIFTS), shifts_hours=[SHIFT_HOURS] * 2,
                            min_working_hours=40, banned_shifts=[], max_resting=2,
                            required_resources=problem["required"],
                            non_sequential_shifts=([{"origin": "Evening", "destination": "Morning"}]
                                                   if problem["rest_rule"] else None),
                            max_search_time=60, num_search_workers=2)
    started, cpu = time.perf_counter(), time.process_time()
    solution = roster.solve()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    shifts = {t: sum(1 for row in solution.get("resource_shifts", []) if row["shift"] == t) for t in SHIFTS}
    mixed = 0
    by_resource: dict[str, set] = {}
    for row in solution.get("resource_shifts", []):
        by_resource.setdefault(row["resource"], set()).add(row["shift"])
    mixed = sum(len(kinds) > 1 for kinds in by_resource.values())
    return {"status": solution["status"], "hours": solution.get("shifted_hours"), "wall_s": wall, "cpu_s": cpu,
            "shifts": shifts, "resources_working_both_shifts": mixed}


def main() -> None:
    ours = callsim_side()
    print(f"callsim tours (HiGHS): {ours['status']}, {ours['hours']:g} hours, {ours['agents']} agents, shifts "
          f"{ours['shifts']}; {ours['wall_s']:.2f} s wall, {ours['cpu_s']:.2f} s CPU")
    if not VENV_PYTHON.exists():
        print("pyworkforce's venv is missing: run bash benchmarks/pyworkforce/setup.sh first")
        return
    for agents, rest_rule in ((ours["agents"], True), (ours["agents"] + 8, True), (ours["agents"], False)):
        problem = json.dumps({"agents": agents, "required": REQUIRED, "rest_rule": rest_rule})
        done = subprocess.run([str(VENV_PYTHON), __file__, "--pyworkforce"], input=problem, capture_output=True,
                              text=True, check=True)
        theirs = json.loads(done.stdout.strip().splitlines()[-1])
        rule = "Evening->Morning banned" if rest_rule else "no rest rule"
        print(f"pyworkforce MinHoursRoster (CP-SAT, {agents} resources, {rule}): {theirs['status']}, "
              f"{theirs['hours']} hours, shifts {theirs['shifts']}, resources working both shifts "
              f"{theirs['resources_working_both_shifts']}; {theirs['wall_s']:.2f} s wall, {theirs['cpu_s']:.2f} s CPU "
              "(the child process, every thread)")
    print(f"required: {sum(map(sum, REQUIRED.values())) * SHIFT_HOURS} hours (every required shift, no surplus)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--pyworkforce"]:
        print(json.dumps(pyworkforce_side(json.loads(sys.stdin.read()))))
    else:
        main()
