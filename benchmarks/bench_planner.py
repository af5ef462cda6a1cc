"""Erlang C sizing speed, side by side with pyworkforce's `ErlangC.required_positions`.

Run by hand (never a test):

    python benchmarks/bench_planner.py

pyworkforce is not a dependency of callsim. To get both sides, install it with callsim into a
separate virtual environment and run the script from there:

    python -m venv /tmp/bench-venv
    /tmp/bench-venv/bin/pip install pyworkforce -e .
    /tmp/bench-venv/bin/python benchmarks/bench_planner.py

Without pyworkforce only callsim's side is timed.

Cases (Erlang C, 80% of calls answered within 20 s, AHT 300 s, no shrinkage):
1. one interval at 5,000 Erlangs (30,000 calls per 30 minutes): `required_agents`;
2. a whole day: 96 fifteen-minute intervals of a weekday profile (night trickle, morning
   peak of ~1,300 calls per 15 minutes, lunch dip, afternoon shoulder, evening decline):
   `required_agents_by_interval` (also timed calling `required_agents` per interval).
Each is run twice to compare like with like: without an occupancy cap (pyworkforce
max_occupancy=1.0, callsim band (0, 1)) and with an 85% cap (max_occupancy=0.85, callsim band
(0, 0.85)). pyworkforce takes AHT and the answer-time threshold in minutes (its `asa` argument
is the service level threshold) and counts transactions per interval.

Target (brief): at least 20x faster than pyworkforce with identical agent counts.
"""
from __future__ import annotations

import math
import statistics
import sys
import time

from planner import StaffingTargets, required_agents, required_agents_by_interval

AHT_S = 300.0
THRESHOLD_S = 20.0
SL_TARGET = 0.8


def day_profile() -> list[int]:
    """Calls per 15-minute interval over 24 hours (96 intervals), a typical retail weekday."""
    calls = []
    for i in range(96):
        hour = i / 4 + 0.125  # interval midpoint
        level = (
            8.0
            + 1_250.0 * math.exp(-((hour - 10.5) / 1.6) ** 2)  # morning peak
            + 900.0 * math.exp(-((hour - 15.0) / 2.0) ** 2)  # afternoon shoulder
            + 350.0 * math.exp(-((hour - 19.5) / 1.5) ** 2)  # evening
            - 250.0 * math.exp(-((hour - 13.0) / 0.6) ** 2)  # lunch dip
        )
        calls.append(max(4, round(level)))
    return calls


def median_time(fn, repeats: int) -> tuple[float, object]:
    fn()  # warm-up
    times = []
    result = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def callsim_sizes(intervals: list[tuple[float, float]], max_occupancy: float) -> list[int]:
    """intervals: (calls, interval minutes). One interval: `required_agents`; a day:
    `required_agents_by_interval` (vectorised over the intervals)."""
    targets = StaffingTargets(SL_TARGET, THRESHOLD_S, occupancy_band=(0.0, max_occupancy))
    rates = [calls / (minutes * 60.0) for calls, minutes in intervals]
    if len(rates) == 1:
        return [required_agents(rates[0], AHT_S, targets).agents]
    return list(required_agents_by_interval(rates, AHT_S, targets).agents)


def callsim_sizes_one_by_one(intervals: list[tuple[float, float]], max_occupancy: float) -> list[int]:
    targets = StaffingTargets(SL_TARGET, THRESHOLD_S, occupancy_band=(0.0, max_occupancy))
    return [required_agents(calls / (minutes * 60.0), AHT_S, targets).agents for calls, minutes in intervals]


def pyworkforce_sizes(intervals: list[tuple[float, float]], max_occupancy: float) -> list[int]:
    from pyworkforce.queuing import ErlangC

    out = []
    for calls, minutes in intervals:
        erlang = ErlangC(transactions=calls, aht=AHT_S / 60.0, asa=THRESHOLD_S / 60.0, interval=minutes)
        out.append(erlang.required_positions(service_level=SL_TARGET, max_occupancy=max_occupancy)["raw_positions"])
    return out


def main() -> int:
    try:
        import pyworkforce  # noqa: F401

        have_pyworkforce = True
    except ImportError:
        have_pyworkforce = False
        print("pyworkforce is not importable here: timing callsim only. To compare, see the module docstring.\n")

    day = [(float(c), 15.0) for c in day_profile()]
    peak_erlangs = max(c for c, _ in day) * AHT_S / (15 * 60)
    cases = [
        ("5,000 Erlangs, one interval", [(30_000.0, 30.0)], 31),
        (f"96-interval day ({sum(c for c, _ in day):,.0f} calls, peak {peak_erlangs:.0f} Erlangs)", day, 7),
    ]
    print(f"Erlang C sizing, {SL_TARGET:.0%}/{THRESHOLD_S:g} s, AHT {AHT_S:g} s; median of repeats\n")
    print(f"{'case':<58} {'cap':>5} {'callsim':>11} {'pyworkforce':>12} {'ratio':>8}  agents")
    all_identical = True
    for name, intervals, repeats in cases:
        for cap in (1.0, 0.85):
            ours_s, ours = median_time(lambda: callsim_sizes(intervals, cap), repeats)
            if have_pyworkforce:
                theirs_s, theirs = median_time(lambda: pyworkforce_sizes(intervals, cap), repeats)
                identical = ours == theirs
                all_identical &= identical
                same = "identical" if identical else f"DIFFER in {sum(a != b for a, b in zip(ours, theirs))} intervals"
                print(f"{name:<58} {cap:>5.2f} {ours_s * 1e3:>8.3f} ms {theirs_s * 1e3:>9.3f} ms "
                      f"{theirs_s / ours_s:>7.1f}x  {same} (total {sum(ours):,})")
                if not identical:
                    for i, (a, b) in enumerate(zip(ours, theirs)):
                        if a != b:
                            print(f"    interval {i}: callsim {a}, pyworkforce {b}")
            else:
                print(f"{name:<58} {cap:>5.2f} {ours_s * 1e3:>8.3f} ms {'-':>12} {'-':>8}  total {sum(ours):,}")
    for cap in (1.0, 0.85):
        loop_s, loop = median_time(lambda: callsim_sizes_one_by_one(day, cap), 7)
        assert loop == callsim_sizes(day, cap)
        print(f"{'  same day, required_agents called per interval':<58} {cap:>5.2f} {loop_s * 1e3:>8.3f} ms")
    if have_pyworkforce:
        print("\nagent counts identical in every case" if all_identical else "\nagent counts DIFFER (see above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
