"""Engine speed and memory, side by side with the textbook SimPy model of the same system.

Run by hand (never a test), from the repository root:

    python benchmarks/bench_engine.py                  # callsim vs textbook SimPy, 10 to 5,000 agents
    python benchmarks/bench_engine.py --before ../old  # + whole days, this tree vs another checkout
    python benchmarks/bench_engine.py --memory         # bytes per call and peak memory, 1,000,000 calls

The system: one queue, Poisson arrivals, talk 240 s (exponential), ACW 60 s (fixed), patience
exponential 180 s (M/M/N+M with ACW), offered load 0.92 Erlangs per agent (occupancy about
89-92%). The textbook model is SimPy's own idiom: a `simpy.Resource`, one process per caller,
the `request | timeout(patience)` race. Both simulate the same callers (drawn by callsim with
numpy beforehand, not timed) and both keep each call's result; only the simulation is timed.

Times are CPU seconds of this process (`time.process_time`), runs alternate between the two
models and the median of the pairwise ratios is reported: the machine this runs on is shared,
and wall-clock times of one model measured minutes apart from the other's are not comparable.

Whole days (`--before`): scenarios/utility_outage.yaml (IVR, announcement, redials, repeat
calls), scenarios/callback_peak_on.yaml (keep-place callbacks) and the system above at 100
agents (the plain path) and 1,000 agents (lazy agents), 20,000 calls a day, drawing included
(`simulate_replication`), in two child processes that alternate, one importing this tree's
`simulator`, the other the checkout given.

Targets (issue 9): callsim >= 5x the textbook model at 100 agents; cost per call at 10 to
5,000 agents within 1.2x of 100 agents; whole days >= 2.5x the calls/s of the code before.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if __name__ == "__main__" and "--import-from" in sys.argv:
    sys.path.insert(0, sys.argv[sys.argv.index("--import-from") + 1])
else:
    sys.path.insert(0, str(HERE.parent))  # measure the tree this script is in, not an installed one

import simpy  # noqa: E402

TALK_S, ACW_S, PATIENCE_S = 240.0, 60.0, 180.0
OFFERED_PER_AGENT = 0.92  # Erlangs per agent; with ~3% abandoning, occupancy is about 0.89
DAYS = ("utility_outage", "callback_peak_on")
PLAIN_DAYS = {"plain, 100 agents": 100, "plain, 1,000 agents (lazy)": 1000}  # name: agents
PLAIN_CALLS = 20_000


def scenario_for(agents: int, calls: int):
    from simulator import scenario_from_dict

    rate_per_s = OFFERED_PER_AGENT * agents / (TALK_S + ACW_S)
    hours = max(1, round(calls / (rate_per_s * 3600)))
    return scenario_from_dict({
        "schema_version": 1,
        "name": f"benchmark, {agents} agents",
        "interval_minutes": 60,
        "arrivals": {"calls": [rate_per_s * 3600] * hours},
        "queues": [{
            "name": "q",
            "talk_time": {"dist": "exponential", "mean": TALK_S},
            "acw": {"dist": "fixed", "mean": ACW_S},
            "patience": {"dist": "exponential", "mean": PATIENCE_S},
        }],
        "agents": [{"name": "all", "serves": ["q"], "staffing": [agents] * hours}],
    })


def textbook_simpy(agents: int, arrived_at_s, talk_s, acw_s, patience_s) -> tuple[int, int]:
    """The textbook SimPy model, keeping each call's wait and outcome."""
    env = simpy.Environment()
    pool = simpy.Resource(env, capacity=agents)
    waits = [0.0] * len(arrived_at_s)
    answered = [False] * len(arrived_at_s)

    def caller(i):
        arrive = env.now
        with pool.request() as request:
            results = yield request | env.timeout(patience_s[i])
            waits[i] = env.now - arrive
            if request in results:
                answered[i] = True
                yield env.timeout(talk_s[i] + acw_s[i])

    def source():
        for i, t in enumerate(arrived_at_s):
            yield env.timeout(t - env.now)
            env.process(caller(i))

    env.process(source())
    env.run()
    return len(arrived_at_s), sum(answered)


def time_callsim(scenario, callers) -> tuple[float, int, float]:
    from simulator import simulate_callers

    started = time.process_time()
    result = simulate_callers(scenario, callers)
    elapsed = time.process_time() - started
    records = result.records
    occupancy = float((records.talk_s + records.acw_s)[records.outcome == 0].sum()
                      / (scenario.agents[0].staffing[0] * scenario.n_intervals * scenario.interval_s))
    return elapsed, len(records), occupancy


def time_textbook(scenario, callers) -> float:
    args = (callers.arrived_at_s.tolist(), callers.talk_s.tolist(), callers.acw_s.tolist(), callers.patience_s.tolist())
    started = time.process_time()
    textbook_simpy(scenario.agents[0].staffing[0], *args)
    return time.process_time() - started


def speed(repeats: int, calls: int) -> None:
    from simulator import draw_callers

    print(f"~{calls:,} calls per run, {repeats} alternating runs per size; CPU time, simulation only; "
          f"medians (ratio: median of the pairwise ratios)")
    cost_per_call_us = {}
    for agents in (10, 100, 1000, 5000):
        scenario = scenario_for(agents, calls)
        ours, textbook, ratios = [], [], []
        for r in range(repeats):
            callers = draw_callers(scenario, r, 0)
            t_ours, n, occupancy = time_callsim(scenario, callers)
            t_textbook = time_textbook(scenario, callers)
            ours.append(n / t_ours)
            textbook.append(n / t_textbook)
            ratios.append(t_textbook / t_ours)
        cost_per_call_us[agents] = 1e6 / statistics.median(ours)
        print(f"  {agents:>5} agents (occupancy {occupancy:.1%}): callsim {statistics.median(ours):>9,.0f} calls/s "
              f"({cost_per_call_us[agents]:.2f} us a call), textbook SimPy {statistics.median(textbook):>8,.0f} calls/s, "
              f"callsim/textbook {statistics.median(ratios):.2f}x (min {min(ratios):.2f}, max {max(ratios):.2f})")
    base = cost_per_call_us[100]
    print("  callsim cost per call relative to 100 agents: "
          + ", ".join(f"{a:,} agents {c / base:.2f}x" for a, c in cost_per_call_us.items()) + " (target <= 1.2x)")


def day_rates(days: int) -> dict:
    """Calls/s of whole days (drawing included) for this process's `simulator`, CPU time."""
    from simulator import load_scenario, simulate_replication

    rates = {}
    scenarios = {name: load_scenario(HERE.parent / "scenarios" / f"{name}.yaml") for name in DAYS}
    scenarios.update({name: scenario_for(agents, PLAIN_CALLS) for name, agents in PLAIN_DAYS.items()})
    for name, scenario in scenarios.items():
        simulate_replication(scenario, 0, 0)  # warm up (imports, caches)
        n, started = 0, time.process_time()
        for r in range(days):
            n += len(simulate_replication(scenario, r + 1, 0).records)
        rates[name] = n / (time.process_time() - started)
    return rates


def whole_days(before: str, rounds: int, days: int) -> None:
    script = str(Path(__file__).resolve())

    def child(tree: str) -> dict:
        out = subprocess.run([sys.executable, script, "--day-rates", str(days), "--import-from", tree],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out)

    after_tree = str(HERE.parent)
    pairs = [(child(after_tree), child(before)) for _ in range(rounds)]
    print(f"whole days, {rounds} alternating rounds of {days} days each (CPU time, drawing included); "
          f"after = {after_tree}, before = {before}")
    for name in (*DAYS, *PLAIN_DAYS):
        after_rates = [a[name] for a, _ in pairs]
        before_rates = [b[name] for _, b in pairs]
        ratios = [a[name] / b[name] for a, b in pairs]
        print(f"  {name}: after {statistics.median(after_rates):,.0f} calls/s, before "
              f"{statistics.median(before_rates):,.0f} calls/s, after/before {statistics.median(ratios):.2f}x "
              f"(min {min(ratios):.2f}, max {max(ratios):.2f}) (issue 20: >= 0.90x)")


def memory(calls: int) -> None:
    from simulator import simulate_replication

    scenario = scenario_for(1000, calls)
    started = time.perf_counter()
    result = simulate_replication(scenario, 1, 0)
    elapsed = time.perf_counter() - started
    records = result.records
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(records):,} calls in {elapsed:.1f} s ({len(records) / elapsed:,.0f} calls/s); "
          f"records {records.nbytes / len(records):.0f} bytes per call ({records.nbytes / 2**20:.0f} MiB); "
          f"peak resident memory of the process {peak_mib:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", action="store_true", help="measure a 1,000,000-call day instead")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--before", metavar="TREE", help="also time whole days against this checkout")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of whole days")
    parser.add_argument("--days", type=int, default=20, help="days per scenario per round")
    parser.add_argument("--day-rates", type=int, metavar="DAYS", help=argparse.SUPPRESS)
    parser.add_argument("--import-from", metavar="TREE", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.day_rates:
        print(json.dumps(day_rates(options.day_rates)))
    elif options.memory:
        memory(options.calls or 1_000_000)
    else:
        speed(options.repeats, options.calls or 200_000)
        if options.before:
            whole_days(options.before, options.rounds, options.days)
    sys.exit(0)
