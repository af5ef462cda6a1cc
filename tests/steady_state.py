"""Helpers for checking the simulator against steady-state queueing theory.

A scenario with constant arrivals and staffing is simulated for a long day; calls arriving
in the first `warmup_s` (the system starts empty) are ignored. Each replication gives one
estimate of each quantity; replications are independent, so the standard error of their mean
is sd / sqrt(R), and the check is |mean - exact| <= 4 SE.

Calls arriving after the warm-up see the steady state; the end of the day does not bias them,
because under FCFS a caller's wait depends only on the callers ahead of it, and agents keep
answering until the queue is empty.
"""
from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from simulator import Outcome, scenario_from_dict, simulate_replication
from simulator.kpis import span_overlap


def mmn_scenario(agents: int, load_erlangs: float, aht_s: float, hours: int, patience_s: float | None = None,
                 balk_probability: float = 0.0, threshold_s: float = 20.0, trunks: int | None = None,
                 max_wait_s: float | None = None):
    calls_per_hour = load_erlangs / aht_s * 3600
    queue = {"name": "q", "talk_time": {"dist": "exponential", "mean": aht_s}}
    if patience_s is not None:
        queue["patience"] = {"dist": "exponential", "mean": patience_s}
    if balk_probability:
        queue["balk_probability"] = balk_probability
    if max_wait_s is not None:
        queue["max_wait"] = {"after_s": max_wait_s}
    lines = {} if trunks is None else {"trunks": trunks}
    return scenario_from_dict({
        **lines,
        "schema_version": 1,
        "name": f"M/M/{agents} at {load_erlangs} Erlangs",
        "interval_minutes": 60,
        "arrivals": {"calls": [calls_per_hour] * hours},
        "queues": [queue],
        "agents": [{"name": "all", "serves": ["q"], "staffing": [agents] * hours}],
        "targets": {"service_level": {"fraction": 0.8, "within": threshold_s}},
    })


@dataclass(frozen=True)
class SteadyEstimates:
    """name -> per-replication estimates (array of length R)."""

    values: dict[str, np.ndarray]

    def mean(self, name: str) -> float:
        return float(self.values[name].mean())

    def standard_error(self, name: str) -> float:
        v = self.values[name]
        return float(v.std(ddof=1) / math.sqrt(len(v)))

    def z(self, name: str, exact: float) -> float:
        return (self.mean(name) - exact) / self.standard_error(name)


def _one_replication(job) -> dict[str, float]:
    scenario, agents, warmup_s, seed, r = job
    threshold_s = scenario.targets.service_level.within
    day_end_s = scenario.n_intervals * scenario.interval_s
    rec = simulate_replication(scenario, seed, r).records
    keep = rec.arrived_at_s >= warmup_s
    outcome, wait = rec.outcome[keep], rec.wait_s[keep]
    answered = outcome == Outcome.ANSWERED
    # occupancy over the steady part of the day, from the records' busy spans
    all_answered = rec.outcome == Outcome.ANSWERED
    start = rec.arrived_at_s[all_answered] + rec.wait_s[all_answered]
    end = start + rec.talk_s[all_answered] + rec.acw_s[all_answered]
    busy = span_overlap(start, end, np.array([warmup_s, day_end_s]))[0]
    return {
        # waited = did not find a free agent on arrival (abandoners and balkers included)
        "p_wait": float(((wait > 0) | ~answered).mean()),
        "asa": float(wait[answered].mean()),
        "avg_wait": float(wait[outcome != Outcome.BALKED].mean()),
        "service_level": float((answered & (wait <= threshold_s)).mean()),
        "p_abandon": float((outcome == Outcome.ABANDONED).mean()),
        "p_balk": float((outcome == Outcome.BALKED).mean()),
        "p_blocked": float((outcome == Outcome.BLOCKED).mean()),
        "p_message": float((outcome == Outcome.MESSAGE).mean()),
        "occupancy": busy / (agents * (day_end_s - warmup_s)),
    }


def steady_estimates(scenario, agents: int, replications: int, warmup_s: float, seed: int = 7,
                     workers: int = 2) -> SteadyEstimates:
    jobs = [(scenario, agents, warmup_s, seed, r) for r in range(replications)]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            rows = list(pool.map(_one_replication, jobs))
    else:
        rows = [_one_replication(job) for job in jobs]
    return SteadyEstimates({k: np.array([row[k] for row in rows]) for k in rows[0]})
