"""Staffing maths (Erlang B, C, A) and interval staffing plans. Pure: no I/O, imports nothing of ours."""
from .erlang import QueueMetrics, erlang_a_metrics, erlang_b, erlang_c, erlang_c_metrics
from .staffing import (
    FLAG_DESCRIPTIONS,
    StaffingResult,
    StaffingTargets,
    evaluate_agents,
    required_agents,
    scheduled_agents,
)

__all__ = [
    "FLAG_DESCRIPTIONS",
    "QueueMetrics",
    "StaffingResult",
    "StaffingTargets",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
    "evaluate_agents",
    "required_agents",
    "scheduled_agents",
]
