"""Staffing: the Erlang maths (`erlang`, `staffing`: pure, no I/O, import nothing of ours) and the plans
built on the simulator (`demand`, `plan`, `planned`, `verify`)."""
from .erlang import QueueMetrics, erlang_a_metrics, erlang_b, erlang_c, erlang_c_metrics
from .staffing import (
    FLAG_DESCRIPTIONS,
    IntervalPlan,
    StaffingResult,
    StaffingTargets,
    evaluate_agents,
    required_agents,
    required_agents_by_interval,
    scheduled_agents,
)

__all__ = [
    "FLAG_DESCRIPTIONS",
    "IntervalPlan",
    "QueueMetrics",
    "StaffingResult",
    "StaffingTargets",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
    "evaluate_agents",
    "required_agents",
    "required_agents_by_interval",
    "scheduled_agents",
]
