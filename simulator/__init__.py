"""The callsim model: scenario schema, SimPy engine, per-call records and KPIs.

Typical use from Python (the CLI is a thin layer over the same calls):

    from simulator import load_scenario, run_scenario
    scenario = load_scenario("scenarios/help_desk.yaml")
    result = run_scenario(scenario, replications=20, seed=1)
    result.day["service_level"]      # Estimate(mean=..., ci95=(lo, hi), n=20)
    result.interval_table()          # one dict of KPI means per interval

The names below are imported when first used, so that reading a scenario file does not load
the engine (SimPy) or scipy.stats: commands that do not simulate start fast.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "CallRecords": "records", "Callers": "engine", "Outcome": "records", "ReplicationResult": "records",
    "draw_callers": "engine", "simulate_callers": "engine", "simulate_replication": "engine",
    "DEFINITIONS": "kpi_table", "KPIS": "kpi_table", "replication_kpis": "kpis",
    "ScenarioFileError": "loading", "load_scenario": "loading", "scenario_from_dict": "loading",
    "Estimate": "run", "RunResult": "run", "TargetCheck": "run", "check_conservation": "run", "run_scenario": "run",
    "run_scenarios": "batch", "executor_for": "parallel",
    "Scenario": "scenario", "ScenarioError": "scenario", "UserError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
