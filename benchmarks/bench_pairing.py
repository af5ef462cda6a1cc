"""How much pairing buys in `callsim compare`: paired / unpaired 95% CI width per KPI.

Run by hand from the repository root (two designs, 30 replications each, about a minute):

    python benchmarks/bench_pairing.py [-r 30] [-w 2]

For the share-based IVR pair (ivr_broad_menu vs ivr_deep_menu) and the intent-based pair
(ivr_broad_intents vs ivr_deep_intents) it prints, for service level, abandonment, occupancy
and IVR containment, the width of the paired difference's CI divided by the width of the
unpaired one (issue 13: 0.55-0.72 before intents, target <= 0.5 on the intent pair). A ratio
of 1 means the pairing gained nothing; the smaller, the more the common random numbers cancel.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator import load_scenario  # noqa: E402
from simulator.parallel import executor_for  # noqa: E402
from presentation.compare_output import comparison_document  # noqa: E402
from studies.compare import compare_scenarios  # noqa: E402

KPIS = ("service_level", "abandon_rate", "occupancy", "containment_rate")
PAIRS = {
    "share-based": ("scenarios/ivr_broad_menu.yaml", "scenarios/ivr_deep_menu.yaml"),
    "intents": ("scenarios/ivr_broad_intents.yaml", "scenarios/ivr_deep_intents.yaml"),
}


def width(ci) -> float:
    return ci[1] - ci[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-r", "--replications", type=int, default=30)
    parser.add_argument("-w", "--workers", type=int, default=2)
    parser.add_argument("-s", "--seed", type=int, default=None)
    args = parser.parse_args()
    print(f"paired / unpaired CI width, {args.replications} replications")
    print(f"{'pair':<12}" + "".join(f"{k:>18}" for k in KPIS) + f"{'seconds':>10}")
    with executor_for(args.workers) as executor:
        for label, paths in PAIRS.items():
            scenarios = [load_scenario(p) for p in paths]
            start = time.perf_counter()
            comparison = compare_scenarios(scenarios, replications=args.replications, seed=args.seed,
                                           executor=executor)
            seconds = time.perf_counter() - start
            document = comparison_document(comparison)
            ratios = []
            for kpi in KPIS:
                (difference,) = document["kpis"][kpi]["differences"].values()
                ratios.append(width(difference["ci95"]) / width(difference["unpaired_ci95"]))
            print(f"{label:<12}" + "".join(f"{r:>18.3f}" for r in ratios) + f"{seconds:>10.1f}")


if __name__ == "__main__":
    main()
