"""The callsim simulation engine: scenario schema, SimPy model, per-call records and KPIs.

Typical use from Python (the CLI is a thin layer over the same calls):

    from simulator import load_scenario, run_scenario
    scenario = load_scenario("scenarios/help_desk.yaml")
    result = run_scenario(scenario, replications=20, seed=1)
    result.day["service_level"]      # Estimate(mean=..., ci95=(lo, hi), n=20)
    result.interval_table()          # one dict of KPI means per interval
"""
from .engine import CallRecords, Callers, Outcome, ReplicationResult, draw_callers, simulate_callers, simulate_replication
from .kpis import DEFINITIONS, replication_kpis
from .loading import ScenarioFileError, load_scenario, scenario_from_dict
from .run import Estimate, RunResult, TargetCheck, check_conservation, run_scenario
from .scenario import Scenario, ScenarioError

__all__ = [
    "CallRecords", "Callers", "DEFINITIONS", "Estimate", "Outcome", "ReplicationResult", "RunResult",
    "Scenario", "ScenarioError", "ScenarioFileError", "TargetCheck", "check_conservation", "draw_callers",
    "load_scenario", "replication_kpis", "run_scenario", "scenario_from_dict", "simulate_callers",
    "simulate_replication",
]
