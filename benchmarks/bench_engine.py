"""Engine speed and memory, side by side with a plain SimPy model of the same system.

Run by hand (never a test):

    python benchmarks/bench_engine.py            # speed: callsim vs plain SimPy, 100 and 2,000 agents
    python benchmarks/bench_engine.py --memory   # bytes per call and peak memory of a 1,000,000-call day

The system: one queue, exponential arrivals, talk 240 s (exponential), ACW 60 s (fixed),
patience exponential 180 s, offered load set so agent occupancy is about 89%. The plain
model is the textbook SimPy one: a `simpy.Resource`, one process per caller, and the
`request | timeout(patience)` race. Both draw their random numbers with numpy up front, so
the comparison is of the simulation itself; both keep per-call results.

A last line times the whole caller journey on scenarios/utility_outage.yaml.

Targets (issue 2): callsim at least as fast as the plain model; callsim's cost per call at
2,000 agents within 1.2x of its cost at 100 agents.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

import simpy

from simulator import scenario_from_dict, simulate_replication
from simulator.engine import draw_callers

TALK_S, ACW_S, PATIENCE_S = 240.0, 60.0, 180.0
OFFERED_PER_AGENT = 0.92  # Erlangs per agent; with ~3% abandoning, occupancy is about 0.89


def scenario_for(agents: int, calls: int):
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


def plain_simpy(agents: int, arrived_at_s, talk_s, acw_s, patience_s) -> tuple[int, int]:
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


def time_callsim(scenario, seed: int) -> tuple[float, int, float]:
    started = time.perf_counter()
    result = simulate_replication(scenario, seed, 0)
    elapsed = time.perf_counter() - started
    records = result.records
    occupancy = float((records.talk_s + records.acw_s)[records.outcome == 0].sum()
                      / (scenario.agents[0].staffing[0] * scenario.n_intervals * scenario.interval_s))
    return elapsed, len(records), occupancy


def time_plain(scenario, seed: int) -> tuple[float, int]:
    callers = draw_callers(scenario, seed, 0)  # same callers; drawing is not timed
    args = (callers.arrived_at_s.tolist(), callers.talk_s.tolist(), callers.acw_s.tolist(), callers.patience_s.tolist())
    started = time.perf_counter()
    n, _ = plain_simpy(scenario.agents[0].staffing[0], *args)
    return time.perf_counter() - started, n


def speed(repeats: int, calls: int) -> None:
    print(f"{calls:,} calls per run, {repeats} alternating repeats, median of each (callsim includes drawing its callers)")
    per_call = {}
    for agents in (100, 2000):
        scenario = scenario_for(agents, calls)
        ours, plain = [], []
        for r in range(repeats):
            t, n, occupancy = time_callsim(scenario, r)
            ours.append(n / t)
            t, n = time_plain(scenario, r)
            plain.append(n / t)
        ratios = [a / b for a, b in zip(ours, plain)]
        per_call[agents] = 1 / statistics.median(ours)
        print(f"  {agents:>5} agents (occupancy {occupancy:.1%}): callsim {statistics.median(ours):>9,.0f} calls/s, "
              f"plain SimPy {statistics.median(plain):>9,.0f} calls/s, callsim/plain {statistics.median(ratios):.2f}x "
              f"(min {min(ratios):.2f}, max {max(ratios):.2f})")
    print(f"  callsim cost per call, 2,000 vs 100 agents: {per_call[2000] / per_call[100]:.2f}x (target <= 1.2x)")
    journey(repeats)


def journey(repeats: int) -> None:
    """The whole caller journey: IVR with announcement, redials and repeat calls."""
    from pathlib import Path

    from simulator import load_scenario

    path = Path(__file__).resolve().parent.parent / "scenarios" / "utility_outage.yaml"
    scenario = load_scenario(path)
    rates = []
    for r in range(repeats):
        started = time.perf_counter()
        result = simulate_replication(scenario, r, 0)
        rates.append(len(result.records) / (time.perf_counter() - started))
    print(f"  {path.name} (IVR, announcement, redials, repeat calls; ~{len(result.records):,} calls a day): "
          f"callsim {statistics.median(rates):,.0f} calls/s (min {min(rates):,.0f}, max {max(rates):,.0f})")


def memory(calls: int) -> None:
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
    options = parser.parse_args()
    if options.memory:
        memory(options.calls or 1_000_000)
    else:
        speed(options.repeats, options.calls or 200_000)
    sys.exit(0)
