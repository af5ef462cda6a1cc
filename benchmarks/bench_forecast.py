"""`callsim forecast` on a year of 6-minute history: whole-command time, and held-out accuracy.

Run by hand (never a test):

    python benchmarks/bench_forecast.py [--history ../shared/data/anonymous_bank_1999_6min.csv] [--runs 3]

1. Runs `python -m cli forecast HISTORY --horizon 28` in a child process --runs times (the whole
   command: interpreter start, imports, reading 87,600 rows, the backtest of every method at 4
   origins, the forecast, the CSV, JSON and plot), and prints each wall time, CPU time and the
   medians, with the load average (on this shared machine the wall time depends on it). Target:
   under 10 s.
2. Holds out the last 4 weeks, forecasts them 28 days ahead from the weeks before, and prints per
   half hour the chosen method's MAPE beside the mean of the last 4 same weekdays', and the share
   of held-out half hours inside the 80% interval. Target: MAPE no worse; coverage 70-90%.
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
sys.path.insert(0, str(ROOT))

from studies.forecast import holdout  # noqa: E402
from studies.forecast_input import read_history  # noqa: E402

DEFAULT = ROOT.parent.parent / "shared" / "data" / "anonymous_bank_1999_6min.csv"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=Path, default=DEFAULT if DEFAULT.exists() else
                        ROOT / "tests" / "data" / "anonymous_bank_1999_13weeks_6min.csv")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times, cpu = [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "cli", "forecast", str(args.history), "--horizon", "28", "-o", out],
                           cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    print(f"history {args.history}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("whole command, wall seconds: " + ", ".join(f"{t:.2f}" for t in times)
          + f"; median {statistics.median(times):.2f} (target < 10)")
    print("whole command, CPU seconds (user + system; what a quiet machine's wall time approaches): "
          + ", ".join(f"{t:.2f}" for t in cpu) + f"; median {statistics.median(cpu):.2f}")
    started = time.perf_counter()
    result = holdout(read_history(args.history, 30), 28)
    print(f"last 4 weeks held out, 28 days ahead, per half hour ({result.intervals} with calls; "
          f"{time.perf_counter() - started:.1f} s):")
    print(f"  chosen {result.chosen}: MAPE {result.mape:.2%}; mean of the last 4 same weekdays: "
          f"{result.baseline_mape:.2%} (target: no worse)")
    print(f"  80% interval covers {result.coverage:.1%} of the held-out half hours (target 70-90%)")


if __name__ == "__main__":
    main()
