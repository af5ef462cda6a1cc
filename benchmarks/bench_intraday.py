"""`callsim intraday` on a shipped scenario with 20 replications: the whole command's time.

Run by hand (never a test):

    python benchmarks/bench_intraday.py [--runs 3] [-w WORKERS]

Runs `python -m cli intraday scenarios/two_queue_multiskill.yaml --actuals
scenarios/intraday/two_queue_actuals.csv --now 12:00 -r 20` in a child process --runs times, four
ways: as planned only (empty at 12:00); the same from scenarios/intraday/two_queue_state.yaml;
with two --action (three days on the same callers); and with --suggest (the optimiser on the rest of the day, its confirmation on 40 fresh replications, then the
suggestion on the same callers). Prints each wall time, CPU time (user + system of the child and
its workers) and the medians, with the load average (on this shared machine the wall time
depends on it). Target: the first two under 10 s; the others reported.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMAND = ["intraday", "scenarios/two_queue_multiskill.yaml", "--actuals", "scenarios/intraday/two_queue_actuals.csv",
           "--now", "12:00", "-r", "20", "-q"]
WAYS = {
    "as planned": [],
    "from the state": ["--state", "scenarios/intraday/two_queue_state.yaml"],
    "two actions": ["--action", "overtime 3 generalists 12:00-17:00", "--action", 'move 2 "sales specialists" generalists 13:00'],
    "--suggest": ["--suggest"],
}


def timed(args: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-w", "--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.workers} workers")
    with tempfile.TemporaryDirectory() as out:
        for way, extra in WAYS.items():
            walls, cpus = zip(*(timed([*COMMAND, *extra, "-w", str(args.workers), "-o", out]) for _ in range(args.runs)))
            target = " (target < 10)" if way in ("as planned", "from the state") else ""
            print(f"{way}: wall " + ", ".join(f"{t:.2f}" for t in walls) + f" s, median {statistics.median(walls):.2f}"
                  f"{target}; CPU " + ", ".join(f"{t:.2f}" for t in cpus) + f" s, median {statistics.median(cpus):.2f}")


if __name__ == "__main__":
    main()
