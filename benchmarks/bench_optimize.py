"""`callsim optimize`: speed on a large day, and the saving against `callsim plan` on shipped
scenarios, with an out-of-sample check of the optimised staffing.

Run by hand (never a test), from the repository root:

    python benchmarks/bench_optimize.py            # all cases
    python benchmarks/bench_optimize.py speed      # only the 24-interval day
    python benchmarks/bench_optimize.py saving     # only the shipped scenarios
    python benchmarks/bench_optimize.py times [--before OLD_CHECKOUT] [SCENARIO ...]

Cases:
1. speed: a 24-interval (30-minute, 08:00-20:00), 2-queue, 2-group day of about 20,000 calls
   (support 65% / sales 35%, a shared generalist group and a sales specialist group, the
   shape of two_queue_multiskill.yaml scaled up), optimised from the Erlang plan with 10
   replications on 2 worker processes. Target: under 60 s. Reports iterations, staffings
   simulated, simulated calls and time.
2. saving: two_queue_multiskill.yaml and the IVR pair ivr_deep_menu.yaml / ivr_broad_menu.yaml
   at their own replications (20) and seed: agent-hours of `plan` and of `optimize`, the saving
   in agent-hours and percent, whether every interval meets its targets; then the optimised
   staffing simulated again on a *different* seed (fresh callers: the search never saw them)
   to show how many intervals still meet their targets on the mean, and the same with
   `confidence=0.95`.
3. times: `callsim optimize SCENARIO -q --no-plots -w 2` with its defaults, as a user runs it, on
   every shipped scenario (or those named): wall time and exit code of the whole command in a
   child process; with `--before OLD_CHECKOUT` the same command in that checkout right after
   (given `--max-calls 10^9`, so that an older refusal does not hide its time), and the ratio.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator import load_scenario, scenario_from_dict  # noqa: E402
from simulator.parallel import executor_for  # noqa: E402
from simulator.run import run_scenario  # noqa: E402
from studies.optimize import check_intervals, optimize_staffing  # noqa: E402

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
# half-hour multipliers of a weekday: morning ramp, late-morning peak, lunch dip, afternoon shoulder, evening decline
PROFILE = [0.45, 0.7, 1.0, 1.25, 1.4, 1.45, 1.4, 1.3, 1.15, 1.1, 1.2, 1.3,
           1.3, 1.25, 1.2, 1.1, 1.0, 0.95, 0.85, 0.75, 0.65, 0.55, 0.5, 0.4]


def large_day() -> object:
    total = 20_000
    scale = total / sum(PROFILE)
    return scenario_from_dict({
        "schema_version": 1, "name": "Large two-group day (benchmark)", "interval_minutes": 30, "start": "08:00",
        "arrivals": {"calls": [round(m * scale, 1) for m in PROFILE], "queue_shares": {"support": 0.65, "sales": 0.35}},
        "queues": [
            {"name": "support", "talk_time": {"dist": "gamma", "mean": 420, "cv": 1.1},
             "acw": {"dist": "exponential", "mean": 90}, "patience": {"dist": "exponential", "mean": 240}},
            {"name": "sales", "talk_time": {"dist": "lognormal", "mean": 300, "cv": 0.9},
             "acw": {"dist": "fixed", "mean": 30}, "patience": {"dist": "exponential", "mean": 120}},
        ],
        "agents": [
            {"name": "generalists", "serves": ["support", "sales"], "staffing": [1] * 24, "hourly_cost": 26},
            {"name": "sales specialists", "serves": ["sales"], "staffing": [1] * 24, "hourly_cost": 32},
        ],
        "targets": {"service_level": {"fraction": 0.8, "within": 30}, "asa": 30, "abandon_rate": 0.05,
                    "occupancy": [0.75, 0.85]},
        "simulation": {"replications": 10, "seed": 1},
    })


def speed() -> None:
    scenario = large_day()
    started = time.perf_counter()
    with executor_for(2) as executor:
        result = optimize_staffing(scenario, replications=10, executor=executor)
    elapsed = time.perf_counter() - started
    print(f"speed: 24 intervals, 2 groups, {sum(scenario.arrivals.calls):,.0f} expected calls a day; "
          f"10 replications, 2 workers")
    print(f"  {elapsed:.1f} s (target < 60 s); stop: {result.stop_reason}; {result.iterations} iterations, "
          f"{len(result.evaluations)} staffings simulated, {result.simulated_calls:,.0f} calls simulated "
          f"({result.simulated_calls / elapsed:,.0f} calls/s)")
    print(f"  agent-hours: plan {result.plan_evaluation.agent_hours:,.1f}, optimised {result.final.agent_hours:,.1f}, "
          f"saving {result.saving_agent_hours:,.1f} ({result.saving_fraction:.1%}); every interval meets: "
          f"{result.final.met}")


def out_of_sample(result, seed: int) -> int:
    """Intervals of the optimised staffing that meet their targets (mean) on fresh callers."""
    fresh = run_scenario(result.optimized_scenario(), replications=result.replications, seed=seed)
    return sum(c.met for c in check_intervals(fresh, result.constraints))


def saving() -> None:
    for name in ("two_queue_multiskill", "ivr_deep_menu", "ivr_broad_menu"):
        scenario = load_scenario(SCENARIOS / f"{name}.yaml")
        for confidence in (None, 0.95):
            started = time.perf_counter()
            with executor_for(2) as executor:
                result = optimize_staffing(scenario, confidence=confidence, executor=executor)
            elapsed = time.perf_counter() - started
            n = scenario.n_intervals
            fresh = out_of_sample(result, seed=result.seed + 1)
            print(f"{name} ({'mean' if confidence is None else f'{confidence:.0%} bound'}): plan "
                  f"{result.plan_evaluation.agent_hours:,.1f} agent-hours (meets every target in simulation: "
                  f"{result.plan_evaluation.met}), optimised {result.final.agent_hours:,.1f}: saving "
                  f"{result.saving_agent_hours:,.1f} agent-hours ({result.saving_fraction:.1%}); every interval meets: "
                  f"{result.final.met}; {result.stop_reason}, {result.iterations} iterations, "
                  f"{len(result.evaluations)} staffings, {elapsed:.1f} s; on a fresh seed {fresh}/{n} intervals "
                  "meet on the mean")


def _timed_optimize(tree: Path, scenario: Path, extra: list[str]) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "cli", "optimize", str(scenario), "-q", "--no-plots", "-w", "2",
                               "-o", out, *extra], cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - started, done.returncode


def times(args: list[str]) -> None:
    before = None
    if "--before" in args:
        at = args.index("--before")
        before = Path(args[at + 1]).resolve()
        args = args[:at] + args[at + 2:]
    here = Path(__file__).resolve().parent.parent
    names = args or sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
    for name in names:
        scenario = SCENARIOS / f"{name}.yaml"
        now, code = _timed_optimize(here, scenario, [])
        line = f"{name}: {now:.1f} s (exit {code})"
        if before is not None:
            old, old_code = _timed_optimize(before, before / "scenarios" / f"{name}.yaml", ["--max-calls", "1000000000"])
            line += f"; before {old:.1f} s (exit {old_code}); ratio {now / old:.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["times"]:
        times(sys.argv[2:])
        sys.exit(0)
    chosen = sys.argv[1:] or ["speed", "saving"]
    if "speed" in chosen:
        speed()
    if "saving" in chosen:
        saving()
