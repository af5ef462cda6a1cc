"""What a plan says about itself: notes as codes with their values, and one table of texts.

A plan keeps `Note(code, values)`; the words live only in NOTE_TEXTS (as the staffing flags'
words live in `planner.staffing.FLAG_DESCRIPTIONS`), so a report, a test or a translation
reads the code and the numbers, not a sentence.
"""
from __future__ import annotations

from typing import Callable, NamedTuple


class Note(NamedTuple):
    code: str  # a key of NOTE_TEXTS
    values: dict  # the figures the text quotes

    @property
    def text(self) -> str:
        return NOTE_TEXTS[self.code](**self.values)


def _rules(by_name: dict) -> str:
    return ", ".join(f"{name}: {rule}" for name, rule in by_name.items())


def _ivr_shares(contained: float, hang_up: float, announcement: bool, misrouted: float) -> str:
    return ("Calls per queue: exact expected shares through the IVR menus (no sampling): "
            f"{contained:.1%} contained in self-service, {hang_up:.1%} hang up in the menus"
            + (", announcement hang-ups per interval" if announcement else "")
            + (f"; {misrouted:.1%} misrouted: the transfer time counts in the wrong queue's load and the call in the "
               "right queue's." if misrouted > 0 else "."))


NOTE_TEXTS: dict[str, Callable[..., str]] = {
    "occupancy_cap": lambda queue, cap, intervals, extra_h, base_h: (
        f"queue '{queue}': the occupancy cap ({cap:.0%}) binds in {intervals} intervals and adds {extra_h:,.1f} "
        f"agent-hours ({extra_h / base_h:.0%}) to the {base_h:,.1f} the service targets alone need."),
    "erlang_c_abandon": lambda queue, patience_s: (
        f"queue '{queue}': Erlang C although its callers abandon (patience mean {patience_s:.0f} s): it ignores "
        "abandonment, so it staffs more than Erlang A and cannot size the abandonment target."),
    "patience_shape": lambda queue, dist, patience_s: (
        f"queue '{queue}': Erlang A assumes exponential patience; the queue's {dist} patience enters by its mean "
        f"({patience_s:.0f} s) only."),
    "ivr_shares": _ivr_shares,
    "multi_skill": lambda: (
        "Shared groups are planned per queue (an approximation; --verify checks it): each queue's requirement "
        "goes to the group that ranks it highest in 'serves' (ties: the group serving fewer queues), and a "
        "group's staffing is the sum of its queues' requirements. This ignores pooling (tends to overstaff) "
        "and the priority order (a group's lower-priority queue can wait longer than planned)."),
    "idle_groups": lambda groups: (
        f"Groups that are first choice for no queue are planned at 0 agents: {', '.join(groups)}."),
    "return_calls": lambda: "Redials and repeat calls are not in the planned load: the plan sizes first calls only.",
    "busyness": lambda cv, extra_h, base_h: (
        f"Forecast error staffed for: each day's volume varies by a gamma factor (busyness cv {cv:g}), so each "
        "interval has the fewest agents whose service level, ASA and abandonment averaged over equally likely days "
        f"meet the targets (a busy day loses more than a quiet day gains); this adds {extra_h:,.1f} agent-hours "
        f"({extra_h / base_h if base_h else 0:.0%}) to the {base_h:,.1f} the expected volume alone needs."),
    "balking": lambda: ("Balking is not modelled by Erlang C/A: balked calls count as service level failures in the "
                        "simulation."),
    "callbacks": lambda: "Callbacks are planned as ordinary calls (dial time and retries not in the load).",
    "priority_classes": lambda queues: (
        f"Priority classes are not planned for (queue{'s' * (len(queues) > 1)} {', '.join(queues)}): each queue is "
        "sized for its callers as one FCFS stream, so the queue's targets hold on average while the higher classes "
        "wait less and the ordinary callers longer than planned; --verify and the per-class KPIs of callsim run "
        "show by how much."),
    "overflow": lambda queues: (
        f"Overflow is not planned for (queue{'s' * (len(queues) > 1)} {', '.join(queues)}): every queue is staffed "
        "from its own first-choice group, as if no call overflowed; the help other groups give after the overflow "
        "wait (and the load they take on) shows only in --verify."),
    "routing": lambda agent_selection, call_selection: " ".join(
        ([f"Agent selection is not planned for ({_rules(agent_selection)}): each queue is staffed in its first-choice "
          "group, but its calls go to whichever eligible group the rule picks, so groups sharing a queue share its "
          "calls by the rule and a group's occupancy can differ from its plan either way."] if agent_selection else [])
        + ([f"Call selection by waiting time ({_rules(call_selection)}): a group takes the longest-waiting call "
            "across its queues, not its 'serves' order, so no queue is favoured or starved; the plan still sizes "
            "each queue alone."] if call_selection else [])),
    "shrinkage": lambda shrinkage: (
        f"Shrinkage {shrinkage:.0%}: scheduled = ceil(required / (1 - shrinkage)). The planned scenario's staffing "
        "is the agents on the phones (required): the simulator has no shrinkage."),
    "carry_over": lambda: (
        "Carry-over: each interval is sized for the largest load agents carry in it, calls still in progress from "
        "earlier intervals included (the modified offered load); the load column is that load, not the "
        "interval's own arrivals x AHT."),
    "judged_per": lambda per, hours, per_interval_h: (
        f"Targets judged per {per}: the service level, ASA and abandonment targets hold on each {per}'s calls pooled "
        "(its intervals' Erlang figures weighted by their calls; ASA by calls answered), so a quiet interval may run "
        "below target where a busy one runs above. Method: each interval starts at its floor (a stable queue, "
        "occupancy within the band), then one agent at a time goes where it cuts the period's shortfall most per "
        "agent-hour, until every period meets its targets; a period that would need more than the per-interval "
        f"plan keeps that plan. {hours:,.1f} agent-hours against {per_interval_h:,.1f} with every interval meeting "
        "every target."),
    "sipp": lambda: (
        "Targets apply to every interval (each interval is sized on its own arrivals, as SIPP planning does; "
        "--carry-over sizes for the work agents actually carry, which holds up when volume changes fast, above "
        "all after a peak)."),
}
