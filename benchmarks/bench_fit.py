"""`callsim fit` on a large log: time per stage, and the round trip's accuracy.

Run by hand (never a test):

    python benchmarks/bench_fit.py [--days 20] [--calls-per-day 3000] [--seed 4242]

Simulates the round-trip scenario of tests/test_fit.py (lognormal talk, gamma ACW, Weibull
patience; the profile scaled to --calls-per-day) for --days days, writes the call log, then times
each stage of the fit: reading the CSV, fitting (arrivals, four families x three durations,
censored patience), the YAML, the plots. Prints each estimate beside the truth in standard errors.
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from presentation.calls_csv import calls_csv  # noqa: E402
from presentation.fit_output import fit_plots, fitted_yaml  # noqa: E402
from simulator.loading import scenario_from_dict  # noqa: E402
from simulator.run import run_scenario  # noqa: E402
from studies.fit import fit_call_log  # noqa: E402
from studies.fit_input import day_filter, read_call_log  # noqa: E402

PROFILE = [120, 150, 180, 210, 225, 225, 210, 195, 195, 210, 210, 195, 180, 165, 165, 165]
STAFFING = [15, 18, 21, 24, 25, 25, 24, 22, 22, 24, 24, 22, 21, 19, 19, 19]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--calls-per-day", type=float, default=3000)
    parser.add_argument("--seed", type=int, default=4242)
    args = parser.parse_args()
    scale = args.calls_per_day / sum(PROFILE)
    scenario = scenario_from_dict({
        "schema_version": 1, "name": "fit benchmark", "interval_minutes": 30, "start": "08:00",
        "arrivals": {"calls": [c * scale for c in PROFILE]},
        "queues": [{"name": "service", "talk_time": {"dist": "lognormal", "mean": 180, "cv": 0.9},
                    "acw": {"dist": "gamma", "mean": 30, "cv": 0.5},
                    "patience": {"dist": "weibull", "shape": 0.7, "mean": 200}}],
        "agents": [{"name": "team", "serves": ["service"], "staffing": [math.ceil(s * scale) for s in STAFFING]}],
    })
    started = time.perf_counter()
    result = run_scenario(scenario, replications=args.days, seed=args.seed, workers=2, keep_records=True)
    text = calls_csv(result.days, scenario)
    simulated = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calls.csv"
        path.write_text(text)
        t0 = time.perf_counter()
        log = read_call_log(path)
        t1 = time.perf_counter()
        fit = fit_call_log(log, day_filter(log.day, None, None, str(path)))
        t2 = time.perf_counter()
        fitted_yaml(fit)
        t3 = time.perf_counter()
        fit_plots(fit)
        t4 = time.perf_counter()
    print(f"{len(log):,} calls over {args.days} days ({len(text) / 1e6:.1f} MB CSV); "
          f"simulate + write {simulated:.1f} s")
    print(f"read {t1 - t0:.2f} s, fit {t2 - t1:.2f} s, yaml {t3 - t2:.3f} s, plots {t4 - t3:.2f} s")
    q = fit.queues[0]
    g1, g2 = math.gamma(1 + 1 / 0.7), math.gamma(1 + 2 / 0.7)
    for name, duration, mean, cv in (("talk", q.talk, 180, 0.9), ("acw", q.acw, 30, 0.5),
                                     ("patience", q.patience, 200, math.sqrt(g2 / g1**2 - 1))):
        b = duration.best
        print(f"{name:<9} {b.family:<11} mean {b.mean_s:7.2f} (truth {mean}, {(b.mean_s - mean) / b.mean_se_s:+.2f} SE)  "
              f"cv {b.cv:.3f} (truth {cv:.3f}, {(b.cv - cv) / b.cv_se:+.2f} SE)  KS {b.ks_distance:.4f}")
    print(f"naive patience (mean of abandoners' waits) {q.naive_patience_s:.1f} s "
          f"({(q.naive_patience_s - 200) / q.patience.best.mean_se_s:+.1f} SE)")
    truth = [c * scale for c in PROFILE]
    z = [(m - t) / math.sqrt(t / args.days) for m, t in zip(fit.arrivals.calls_mean, truth)]
    print(f"arrivals: largest |error| {max(abs(v) for v in z):.2f} SE over {len(z)} intervals; "
          f"busyness_cv {fit.arrivals.busyness_cv:.4f} (truth 0)")


if __name__ == "__main__":
    main()
