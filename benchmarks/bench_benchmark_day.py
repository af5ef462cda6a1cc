"""The benchmark day (scenarios/benchmark_day.yaml), end to end as a planner would run it:
`callsim optimize` with its defaults, then `callsim schedule` on the optimised staffing, then the
scheduled day simulated on fresh seeds the optimiser never used (40 replications each); its cost
beside the published study's cheapest schedule that held on every seed (22,491) and the LP bound
of the shift problem (the integer programme with integrality relaxed); then the joint mode
(`schedule --requirements <optimised> --by-simulation`, confirmed out of sample) the same way.
Run by hand (a few minutes): `python benchmarks/bench_benchmark_day.py [SEED ...]`.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from planner import shifts  # noqa: E402
from simulator import load_scenario  # noqa: E402
from simulator.run import run_scenario  # noqa: E402
from studies.schedule import _group_problems, requirement_from_file, slot_minutes  # noqa: E402

PUBLISHED_CHEAPEST_THAT_HELD = 22_491.0
FRESH_SEEDS = (101, 202, 303)
SCENARIO = REPO / "scenarios" / "benchmark_day.yaml"


def callsim(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cli", *args], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def lp_bound_of(scenario, requirement) -> float:
    """The shift programme's LP relaxation (planner.shifts.lp_bound)."""
    problems = _group_problems(scenario, scenario.shifts, requirement, slot_minutes(scenario, scenario.shifts), "")
    return shifts.lp_bound(problems, scenario.shifts.shrinkage)


def fresh_seeds(scheduled, seeds, target) -> None:
    for seed in seeds:
        result = run_scenario(scheduled, replications=40, seed=seed)
        sl = result.per_replication["service_level"][:, :-1]
        mean = np.nanmean(sl, axis=0)
        se = np.nanstd(sl, axis=0, ddof=1) / np.sqrt((~np.isnan(sl)).sum(axis=0))
        overtime = result.per_replication["overtime_cost"][:, -1].mean()
        print(f"  seed {seed}: hours missing 80/20 on the mean {int((mean < target).sum())}, with the whole 95% CI "
              f"{int((mean + 1.96 * se < target).sum())}; worst hour {mean.min():.1%}; overtime {overtime:,.2f}")


def report(name: str, scheduled, bound: float, seeds, target) -> None:
    paid = sum(scheduled.agents[0].paid_cost)
    print(f"{name}: cost {paid:,.2f} (published cheapest that held: {PUBLISHED_CHEAPEST_THAT_HELD:,.0f}, "
          f"{paid / PUBLISHED_CHEAPEST_THAT_HELD - 1:+.1%}); LP bound of its shift problem {bound:,.2f} "
          f"(gap {paid / bound - 1:.2%}); agent-hours on the phones {sum(scheduled.agents[0].staffing) / 2:g}")
    fresh_seeds(scheduled, seeds, target)


def main(seeds: tuple[int, ...]) -> None:
    scenario = load_scenario(SCENARIO)
    target = scenario.targets.service_level.fraction
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        optimize_s = callsim("optimize", str(SCENARIO), "-o", str(out / "opt"), "--no-plots", "-q")
        optimized = out / "opt" / "benchmark_day.optimized.yaml"
        schedule_s = callsim("schedule", str(SCENARIO), "--requirements", str(optimized), "-o", str(out / "sched"),
                             "--no-plots")
        scheduled = load_scenario(out / "sched" / "benchmark_day.scheduled.yaml")
        bound = lp_bound_of(scenario, requirement_from_file(optimized, scenario))
        # joint staffing and shifts (issue 22): from the optimiser's staffing, by simulation, confirmed out of sample
        joint_s = callsim("schedule", str(SCENARIO), "--requirements", str(optimized), "--by-simulation",
                          "--max-calls", "20000000", "-o", str(out / "joint"), "--no-plots")
        joint = load_scenario(out / "joint" / "benchmark_day.scheduled.yaml")
        confirmation = json.loads((out / "joint" / "schedule.json").read_text())["by_simulation"]["confirmation"]
    print(f"optimize {optimize_s:.0f} s, schedule {schedule_s:.0f} s, schedule --by-simulation {joint_s:.0f} s")
    report("optimize then schedule", scheduled, bound, seeds, target)
    print(f"confirmation of the joint schedule: {confirmation['rule']}: "
          f"{'held' if confirmation['held'] else 'missed'} after {confirmation['repairs']} repairs")
    report("optimize then schedule --by-simulation (confirmed)", joint, confirmation["lp_bound"], seeds, target)


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or FRESH_SEEDS)
