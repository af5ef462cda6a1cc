"""Two staffing plans side by side: `callsim plan ... --baseline OTHER_PLAN_DIR`.

Both plans are read as `plan.csv` rows (the file every `callsim plan` writes), so a baseline
can be any earlier plan folder. Per queue and interval: the change in calls, required and
scheduled agents, agent-hours on the phones (required agents x interval length) and paid
agent-hours (scheduled agents x interval length), and the predicted KPIs (SL, ASA, P(abandon),
occupancy). For the day: agents at the peak interval, agent-hours summed; SL, ASA and P(abandon)
averaged over the intervals weighted by their calls (the day's value the Erlang maths implies
when every interval is independent); occupancy weighted by each interval's required agents.

Scheduled headcount is agents on the phones / (1 - shrinkage), so two plans made with different
shrinkage differ in headcount for a reason that has nothing to do with the calls (+10% volume
planned at 0% shrinkage against a baseline at 30% shows as fewer scheduled agent-hours). The
shrinkage each plan assumed is read from plan.csv's `shrinkage` column; where the two differ, or
the baseline does not record it, `PlanDiff.warnings` says so and the agents on the phones are the
figures to compare.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from simulator.errors import UserError
from simulator.input_files import readable_file, status_of

KPIS = ("service_level", "asa_s", "p_abandon", "occupancy")


class PlanDiffError(UserError):
    """A baseline that cannot be compared; one line naming the folder or the row."""


@dataclass(frozen=True)
class DiffRow:
    queue: str
    interval: str  # HH:MM or "day"
    base: dict  # calls, required, scheduled, agent_hours, and the KPIs (None where absent)
    new: dict

    def change(self, key: str) -> float | None:
        a, b = self.base.get(key), self.new.get(key)
        return None if a is None or b is None else b - a


@dataclass(frozen=True)
class PlanDiff:
    baseline: str
    rows: tuple[DiffRow, ...]  # per queue: its intervals, then its day
    shrinkage_baseline: float | None = None  # None: the baseline's plan.csv does not record it
    shrinkage_plan: float | None = None
    warnings: tuple[str, ...] = ()  # one sentence each: why the scheduled columns may mislead


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def parse_plan_csv(text: str, source: str) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(text)))
    needed = {"queue", "interval", "calls", "required_agents", "scheduled_agents", "offered_load_erlangs", *KPIS}
    if not rows or not needed <= set(rows[0]):
        missing = sorted(needed - set(rows[0])) if rows else ["(no rows)"]
        raise PlanDiffError(f"{source}: not a callsim plan.csv (missing {', '.join(missing)}); give a folder written "
                            "by callsim plan")
    return rows


def read_plan_rows(folder: str | Path) -> list[dict]:
    hint = "give a folder written by callsim plan (e.g. results/<name>)"
    path = Path(folder) / "plan.csv"
    try:
        if status_of(path, "a plan.csv") is None:
            raise PlanDiffError(f"{folder}: no plan.csv there; {hint}")
        readable_file(path, "a plan.csv", hint)
    except PlanDiffError:
        raise
    except UserError as exc:
        raise PlanDiffError(str(exc)) from None
    return parse_plan_csv(path.read_text(encoding="utf-8"), str(path))


def _values(row: dict, interval_h: float) -> dict:
    scheduled = _number(row["scheduled_agents"]) or 0.0
    required = _number(row["required_agents"]) or 0.0
    return {"calls": _number(row["calls"]) or 0.0, "required": required, "scheduled": scheduled,
            "phone_hours": required * interval_h, "agent_hours": scheduled * interval_h,
            "load": _number(row["offered_load_erlangs"]) or 0.0, **{k: _number(row[k]) for k in KPIS}}


def _day(values: list[dict]) -> dict:
    day = {key: sum(v[key] for v in values)
           for key in ("calls", "required", "scheduled", "phone_hours", "agent_hours", "load")}
    for kpi in ("service_level", "asa_s", "p_abandon"):
        known = [v for v in values if v[kpi] is not None]
        weight = sum(v["calls"] for v in known)
        day[kpi] = sum(v[kpi] * v["calls"] for v in known) / weight if known and weight > 0 else None
    # busy agents over agents: each interval's occupancy weighted by its agents
    known = [v for v in values if v["occupancy"] is not None]
    agents = sum(v["required"] for v in known)
    day["occupancy"] = sum(v["occupancy"] * v["required"] for v in known) / agents if agents > 0 else None
    # agents for the day: the peak interval (agent-hours carry the total)
    day["scheduled"] = max((v["scheduled"] for v in values), default=0.0)
    day["required"] = max((v["required"] for v in values), default=0.0)
    return day


def diff_plans(current: list[dict], baseline: list[dict], interval_minutes: int, baseline_name: str) -> PlanDiff:
    """Per queue and interval, the baseline's plan beside the current one (see the module docstring)."""
    interval_h = interval_minutes / 60.0
    key = lambda r: (r["queue"], r["interval"])  # noqa: E731
    base = {key(r): r for r in baseline}
    if set(base) != {key(r) for r in current}:
        only_new = sorted({key(r) for r in current} - set(base))
        only_base = sorted(set(base) - {key(r) for r in current})
        example = (only_new or only_base)[0]
        raise PlanDiffError(f"{baseline_name}: the baseline plans other queues or intervals (e.g. queue '{example[0]}' "
                            f"at {example[1]} is in only one plan); compare plans of the same day and queues")
    rows = []
    queues = list(dict.fromkeys(r["queue"] for r in current))
    for queue in queues:
        mine = [r for r in current if r["queue"] == queue]
        old = [_values(base[key(r)], interval_h) for r in mine]
        new = [_values(r, interval_h) for r in mine]
        rows += [DiffRow(queue, r["interval"], o, n) for r, o, n in zip(mine, old, new)]
        rows.append(DiffRow(queue, "day", _day(old), _day(new)))
    shrinkage_base, shrinkage_new = plan_shrinkage(baseline), plan_shrinkage(current)
    return PlanDiff(baseline=baseline_name, rows=tuple(rows), shrinkage_baseline=shrinkage_base,
                    shrinkage_plan=shrinkage_new,
                    warnings=shrinkage_warnings(shrinkage_base, shrinkage_new, baseline_name))


def plan_shrinkage(rows: list[dict]) -> float | None:
    """The shrinkage a plan.csv was made with (one value for the whole plan), None if not recorded."""
    values = {_number(r.get("shrinkage")) for r in rows}
    return values.pop() if len(values) == 1 else None


def shrinkage_warnings(base: float | None, new: float | None, baseline_name: str) -> tuple[str, ...]:
    if base is None:
        return (f"the baseline {baseline_name} does not record the shrinkage it was planned with (a plan.csv "
                "from an older callsim): scheduled agents and paid agent-hours may differ for that reason alone; "
                "compare the agents on the phones",)
    if new is not None and abs(base - new) > 1e-9:
        return (f"the two plans assume different shrinkage (baseline {base:.0%}, this plan {new:.0%}): scheduled "
                "agents and paid agent-hours differ for that reason too; compare the agents on the phones, or plan "
                f"again with --shrinkage {base:g}",)
    return ()
