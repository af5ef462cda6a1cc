"""Staffing maths (Erlang B, C, A) and interval staffing plans. Pure: no I/O, imports nothing of ours."""
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
