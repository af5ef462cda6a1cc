"""`callsim erlang`'s output: one interval sized (or evaluated) by the Erlang maths, as a JSON
object or as readable lines. Light on purpose (no numpy work, no plotting): the command
answers without loading SimPy, scipy.stats or matplotlib."""
from __future__ import annotations

import json

from planner.staffing import FLAG_DESCRIPTIONS, StaffingResult
from simulator.numbers import finite_or_none

BINDING_TEXT = {
    "service_level": "the service level target",
    "asa": "the ASA target",
    "abandon_rate": "the maximum abandonment rate",
    "occupancy_cap": "the occupancy cap",
    "none": "no target (minimum staffing)",
}


def erlang_json(result: StaffingResult) -> str:
    m = result.metrics
    document = {
        "agents": result.agents,
        "scheduled_agents": result.scheduled_agents,
        "offered_load_erlangs": m.offered_load_erlangs,
        "p_wait": m.p_wait,
        "asa": finite_or_none(m.asa_s),
        "service_level": m.service_level,
        "occupancy": m.occupancy,
        "p_abandon": m.p_abandon,
        "binding_constraint": result.binding_constraint,
        "flags": list(result.flags),
    }
    return json.dumps(document, sort_keys=True, allow_nan=False)


def format_erlang(result: StaffingResult, *, calls: float, interval_minutes: float, aht_s: float,
                  patience_s: float | None, sl: float | None, sl_seconds: float, asa_s: float | None,
                  max_abandon: float | None, occupancy: tuple[float, float], shrinkage: float, given: bool) -> str:
    """The lines `callsim erlang` prints; `given`: the agents were given (--agents), not sized."""
    m = result.metrics
    if patience_s is not None:
        title = f"Erlang A (M/M/N+M: callers abandon, mean patience {patience_s:g} s)"
    else:
        title = "Erlang C (M/M/N: nobody abandons)"
    asa_text = f"{m.asa_s:.1f} s" if finite_or_none(m.asa_s) is not None else "none (unbounded or no answered calls)"
    sl_target = f" (target {sl:.0%})" if sl is not None else ""
    lines = [
        title,
        f"  offered load      {m.offered_load_erlangs:.2f} Erlangs ({calls:g} calls in {interval_minutes:g} min, "
        f"AHT {aht_s:g} s)",
        f"  agents            {result.agents} "
        + ("(given)" if given else f"(required; set by {BINDING_TEXT[result.binding_constraint]})"),
        f"  scheduled agents  {result.scheduled_agents} (shrinkage {shrinkage:.0%})",
        f"  P(wait)           {m.p_wait:.1%}",
        f"  ASA               {asa_text}",
        f"  service level     {m.service_level:.1%} within {sl_seconds:g} s{sl_target}",
        f"  occupancy         {m.occupancy:.1%} (band {occupancy[0]:.0%} to {occupancy[1]:.0%})",
    ]
    if m.p_abandon is not None:
        lines.append(f"  P(abandon)        {m.p_abandon:.1%}")
    if asa_s is not None:
        lines.append(f"  ASA target        {asa_s:g} s")
    if max_abandon is not None:
        lines.append(f"  abandon target    at most {max_abandon:.1%}")
    for flag in result.flags:
        lines.append(f"  note: {FLAG_DESCRIPTIONS.get(flag, flag)}")
    return "\n".join(lines)
