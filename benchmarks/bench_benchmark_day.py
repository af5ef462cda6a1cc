"""The benchmark day (scenarios/benchmark_day.yaml), end to end as a planner would run it:
`callsim optimize` with its defaults, then `callsim schedule` on the optimised staffing, then the
scheduled day simulated on fresh seeds the optimiser never used (40 replications each); its cost
beside the published study's cheapest schedule that held on every seed (22,491) and the LP bound
of the shift problem (the integer programme with integrality relaxed). Run by hand (about a
minute): `python benchmarks/bench_benchmark_day.py [SEED ...]`.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from scipy.optimize import Bounds, LinearConstraint, milp  # noqa: E402

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


def lp_bound(scenario, requirement) -> float:
    """The shift programme's LP relaxation (planner.shifts' own model, integrality dropped)."""
    problems = _group_problems(scenario, scenario.shifts, requirement, slot_minutes(scenario, scenario.shifts), "")
    model = shifts._build(tuple(problems), scenario.shifts.shrinkage, False)
    result = milp(model.c, integrality=np.zeros_like(model.integrality), bounds=Bounds(0, model.upper),
                  constraints=[LinearConstraint(model.a, model.lb, model.ub)])
    return float(result.fun)


def main(seeds: tuple[int, ...]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        optimize_s = callsim("optimize", str(SCENARIO), "-o", str(out / "opt"), "--no-plots", "-q")
        optimized = out / "opt" / "benchmark_day.optimized.yaml"
        schedule_s = callsim("schedule", str(SCENARIO), "--requirements", str(optimized), "-o", str(out / "sched"),
                             "--no-plots")
        scheduled = load_scenario(out / "sched" / "benchmark_day.scheduled.yaml")
        scenario = load_scenario(SCENARIO)
        bound = lp_bound(scenario, requirement_from_file(optimized, scenario))
    paid = sum(scheduled.agents[0].paid_cost)
    print(f"optimize {optimize_s:.0f} s, schedule {schedule_s:.0f} s; agent-hours on the phones "
          f"{sum(scheduled.agents[0].staffing)}")
    print(f"schedule cost {paid:,.2f} (published cheapest that held: {PUBLISHED_CHEAPEST_THAT_HELD:,.0f}, "
          f"{paid / PUBLISHED_CHEAPEST_THAT_HELD - 1:+.1%}); LP bound of the shift problem {bound:,.2f} "
          f"(gap {paid / bound - 1:.2%})")
    target = scenario.targets.service_level.fraction
    for seed in seeds:
        result = run_scenario(scheduled, replications=40, seed=seed)
        sl = result.per_replication["service_level"][:, :-1]
        mean = np.nanmean(sl, axis=0)
        se = np.nanstd(sl, axis=0, ddof=1) / np.sqrt((~np.isnan(sl)).sum(axis=0))
        overtime = result.per_replication["overtime_cost"][:, -1].mean()
        print(f"seed {seed}: hours missing 80/20 on the mean {int((mean < target).sum())}, with the whole 95% CI "
              f"{int((mean + 1.96 * se < target).sum())}; worst hour {mean.min():.1%}; overtime {overtime:,.2f}")


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or FRESH_SEEDS)
