"""A comparison in words and files: the headline, the plain-words explanation of what drives
each difference, comparison.json, comparison.csv, the long-format CSV files per queue and per
interval, and the printed table."""
from __future__ import annotations

import csv
import io
import math
from typing import Sequence

from simulator.kpi_table import DEFINITIONS, KPI
from simulator.run import Estimate
from simulator.scenario import Scenario
from studies.compare import HEADLINE_KPIS, MAIN_KPIS, Comparison, Finding, Pair

from .documents import csv_number, versions
from .text import format_difference, format_number, format_pm, format_value, readable, table, unit_form, unit_of


def _change(c: Comparison, index: int, kpi: str) -> str | None:
    """'ASA 41.2 s -> 55.0 s (+13.8 s, 95% CI +11.0 s to +16.6 s)', or None if absent."""
    diff = c.difference(index, kpi)
    before, after = c.estimate(0, kpi), c.estimate(index, kpi)
    if diff is None or before is None or after is None or not math.isfinite(diff.mean):
        return None
    if diff.ci95 is None:
        return f"{readable(kpi)} {format_value(kpi, before.mean)} -> {format_value(kpi, after.mean)}"
    low, high = diff.ci95
    interval = f"95% CI {format_difference(kpi, low)} to {format_difference(kpi, high)}"
    if diff.significant:
        return (f"{readable(kpi)} {format_value(kpi, before.mean)} -> {format_value(kpi, after.mean)} "
                f"({format_difference(kpi, diff.mean)}, {interval})")
    if diff.mean == 0 and diff.ci95 == (0.0, 0.0):
        return f"{readable(kpi)} identical ({format_value(kpi, before.mean)})"
    return f"{readable(kpi)} no significant change ({format_difference(kpi, diff.mean)}, {interval})"


def _changes(c: Comparison, index: int, kpis: Sequence[str]) -> str:
    parts = [text for kpi in kpis if (text := _change(c, index, kpi)) is not None]
    return "; ".join(parts)


def _outcome_kpis(c: Comparison, index: int) -> list[str]:
    kpis = list(MAIN_KPIS)
    present = set(c.runs[0].kpi_names) & set(c.runs[index].kpi_names)
    for extra in ("callback_delay", "cost_per_call"):
        if extra in present:
            kpis.append(extra)
    return kpis


def _agent_hours(scenario: Scenario) -> float:
    return sum(sum(g.staffing) for g in scenario.agents) * scenario.interval_minutes / 60.0


def _explain_ivr(c: Comparison, index: int) -> list[str]:
    a, b = c.labels[0], c.labels[index]
    lines = [f"{b} and {a} differ only in the IVR: the same callers meet different menus, and what changes "
             "is how many the IVR resolves, how long they spend in it and how many (and which) reach the agents."]
    lines.append("In the IVR: " + _changes(c, index, ["containment_rate", "ivr_time", "menus_visited", "ivr_abandoned",
                                                       "zero_outs"]) + ".")
    lines.append("Agent load shifted: " + _changes(c, index, ["reached_queue", "misroutes", "transfers"]) + ".")
    lines += _agent_work(c, index)
    lines.append("At the agents, with the same callers: " + _changes(c, index, _outcome_kpis(c, index)) + ".")
    return lines


def _agent_work(c: Comparison, index: int) -> list[str]:
    """The agents' work in agent-hours, transfers of misrouted calls included: fewer calls reaching
    the agents is not less work when more of them are misrouted (each costs a transfer first)."""
    work, transfers = c.difference(index, "busy_agent_seconds"), c.difference(index, "transfer_agent_seconds")
    if work is None or transfers is None:
        return []
    b = c.labels[index]
    handling = work.mean - transfers.mean  # talk + ACW of the calls answered (and callback dialling)
    lines = [f"Agent work, transfers counted: {_changes(c, index, ['busy_agent_seconds', 'transfer_agent_seconds'])}; "
             f"the rest, handling the calls answered, {format_difference('busy_agent_seconds', handling)}."]
    if work.significant:
        lines.append(f"In all, {b}'s menu gives the agents {'more' if work.mean > 0 else 'less'} work "
                     f"({format_difference('busy_agent_seconds', work.mean)} a day on the same staffing"
                     + (", transfers included" if transfers.significant else "") + ").")
    return lines


def _explain_staffing(c: Comparison, index: int) -> list[str]:
    a, b = c.labels[0], c.labels[index]
    first, other = c.runs[0].scenario, c.runs[index].scenario
    hours_a, hours_b = _agent_hours(first), _agent_hours(other)
    changed = [k for k in range(first.n_intervals)
               if any(ga.staffing[k] != gb.staffing[k] for ga, gb in zip(first.agents, other.agents))]
    labels = first.interval_labels()
    where = (f"in all {first.n_intervals} intervals" if len(changed) == first.n_intervals
             else f"in {len(changed)} of {first.n_intervals} intervals ({', '.join(labels[k] for k in changed[:6])}"
                  f"{', ...' if len(changed) > 6 else ''})")
    lines = [f"{b} and {a} differ only in staffing: {b} schedules {hours_b:g} agent-hours against {hours_a:g} "
             f"({hours_b - hours_a:+g}), {where}. The callers are the same, so every difference below is what the "
             "staffing change buys or costs."]
    lines.append("With the same callers: " + _changes(c, index, _outcome_kpis(c, index)) + ".")
    asa = c.difference(index, "asa")
    if asa is not None and asa.significant and hours_b != hours_a:
        lines.append(f"Over the day, each agent-hour {'added' if hours_b > hours_a else 'removed'} changes the ASA by "
                     f"{asa.mean / (hours_b - hours_a):+.1f} s on average (it buys most where the queue was busiest).")
    return lines


def _explain_volume(c: Comparison, index: int) -> list[str]:
    a, b = c.labels[0], c.labels[index]
    calls_a = sum(c.runs[0].scenario.arrivals.calls)
    calls_b = sum(c.runs[index].scenario.arrivals.calls)
    lines = [f"{b} and {a} differ only in call volume: {calls_b:,.0f} expected calls against {calls_a:,.0f} "
             f"({(calls_b - calls_a) / calls_a:+.1%}) on the same staffing. The extra (or missing) callers "
             "arrive among the same others, so the difference is the effect of the load alone."]
    lines.append("With the same staffing: " + _changes(c, index, ["offered", *_outcome_kpis(c, index)]) + ".")
    return lines


_CALLERS_CHANGE = {"day layout", "volume", "volume uncertainty", "call mix", "queues"}


def _explain_callbacks(c: Comparison, index: int) -> list[str]:
    """What the callback offer did, in whichever scenarios offer one."""
    lines = []
    for i in (0, index):
        run = c.runs[i]
        if "callbacks_offered" not in run.per_replication:
            continue
        day = run.day
        lines.append(
            f"In {c.labels[i]}, {day['callbacks_offered'].mean:,.0f} callers a day are offered a callback and "
            f"{day['callbacks_accepted'].mean:,.0f} accept ({day['callbacks_completed'].mean:,.0f} reached, "
            f"{day['callbacks_failed'].mean:,.0f} never reached); a reached caller is connected "
            f"{format_value('callback_delay', day['callback_delay'].mean)} after accepting on average. Callbacks "
            "leave the line: they are not in ASA or abandonment, the service level counts them as calls not "
            "answered live within the threshold, and an agent still spends the dialling and the call on each.")
    return lines


def _explain_other(c: Comparison, index: int, aspects: tuple[str, ...]) -> list[str]:
    a, b = c.labels[0], c.labels[index]
    same_callers = not set(aspects) & _CALLERS_CHANGE
    if len(aspects) == 1:
        head = (f"{b} differs from {a} only in {aspects[0]}"
                + ("; the callers are the same, so every significant difference below comes from that change."
                   if same_callers else "; every significant difference below comes from that change."))
    else:
        head = (f"{b} differs from {a} in {', '.join(aspects[:-1])} and {aspects[-1]}. Several things changed at "
                "once: the differences below are their combined effect and cannot be split between them.")
    lines = [head]
    if "callbacks" in aspects:
        lines += _explain_callbacks(c, index)
    lead = "With the same callers: " if same_callers else "Paired replication by replication (same random streams): "
    changes = _changes(c, index, _outcome_kpis(c, index))
    return lines + ([lead + changes + "."] if changes else [])


def explain(c: Comparison, index: int) -> list[str]:
    """Plain sentences on what differs between scenario `index` and the first, and its effect."""
    aspects = c.differs_in(index)
    if not aspects:
        return [f"{c.labels[index]} and {c.labels[0]} describe the same call centre (only names, descriptions or "
                "simulation settings differ): on the same callers every difference is exactly 0."]
    if aspects == ("IVR",):
        return _explain_ivr(c, index)
    if set(aspects) <= {"staffing", "agent cost"} and "staffing" in aspects:
        return _explain_staffing(c, index)
    if aspects == ("volume",) and sum(c.runs[0].scenario.arrivals.calls) > 0:
        return _explain_volume(c, index)
    return _explain_other(c, index, aspects)


# --- the headline ----------------------------------------------------------------------------


def in_words(kpi: str) -> str:
    """'service level (service_level)': the KPI in words with its key beside it."""
    return f"{readable(kpi)} ({kpi})"


def with_unit(kpi: str, value: float) -> str:
    """A value with its unit, counts included ('1,464 calls', '80.3%', '17.1 s')."""
    text = format_value(kpi, value)
    return text + " calls" if unit_of(kpi).suffix == "" and KPI.get(kpi) is not None and KPI[kpi].unit == "calls" else text


def _size(kpi: str, diff: float) -> str:
    """'4.1 points higher', '3.2 s shorter', '15 calls more', '0.50 agent-hours lower'."""
    scale, fmt, suffix = unit_form(kpi)
    amount = format_number(abs(diff) * scale, fmt)
    up = diff > 0
    if suffix == "%":
        return f"{amount} points {'higher' if up else 'lower'}"
    if suffix == " s":
        return f"{amount} s {'longer' if up else 'shorter'}"
    if KPI.get(kpi) is not None and KPI[kpi].unit == "calls":
        return f"{amount} calls {'more' if up else 'fewer'}"
    return f"{amount}{suffix} {'higher' if up else 'lower'}"


def _finding_text(finding: Finding) -> str:
    kpi = finding.kpi
    return (f"{in_words(kpi)} is {_size(kpi, finding.difference.mean)} "
            f"({with_unit(kpi, finding.later.mean)} vs {with_unit(kpi, finding.first.mean)})")


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _or(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _exactly_zero(diff) -> bool:
    return diff.paired.n > 0 and diff.mean == 0 and diff.ci95 == (0.0, 0.0)


def _elsewhere(c: Comparison, pair: Pair, most: int = 3) -> list[str]:
    """The first few significant differences among the other KPIs that have a better direction
    (what the scenarios change, when the main KPIs do not move)."""
    others = [k for k in c.kpis if k not in HEADLINE_KPIS and KPI[k].better is not None]
    return [_finding_text(f) for f in c.findings(pair, others)[:most]]


def _values_text(kpi: str, values: Sequence[float]) -> str:
    return " / ".join(format_value(kpi, v) for v in values)


def _target_verdict(c: Comparison, pair: Pair) -> str | None:
    """Which of the pair is better on the day's targets: more targets met, else significantly
    closer on more targeted KPIs; None when the scenarios share no target."""
    first, later = c.labels[pair.first], c.labels[pair.later]
    checks = [{t.kpi: t for t in c.runs[i].targets} for i in (pair.first, pair.later)]
    kpis = [k for k in checks[0] if k in checks[1]]
    if not kpis:
        return None
    met = [sum(checks[i][k].status == "met" for k in kpis) for i in (0, 1)]
    ranked = c.findings(pair, [k for k in kpis if KPI[k].better is not None])
    gains = [f.kpi for f in ranked if f.better]
    losses = [f.kpi for f in ranked if f.better is False]
    n = len(kpis)
    if met[0] != met[1]:
        winner, loser = (later, first) if met[1] > met[0] else (first, later)
        return f"Verdict: {winner} is better on the targets: it meets {max(met)} of {n} day targets, {loser} {min(met)}."
    if len(gains) != len(losses):
        winner = later if len(gains) > len(losses) else first
        closer = gains if winner == later else losses
        return (f"Verdict: {winner} is better on the targets: both meet {met[0]} of {n} day targets, and {winner} "
                f"is significantly better on {_and([readable(k) for k in closer])}.")
    return (f"Verdict: neither {later} nor {first} is better on the targets: both meet {met[0]} of {n} day targets "
            "and no targeted KPI differs significantly" + (" in one direction more than the other" if ranked else "")
            + ".")


def _cost_verdict(c: Comparison, pair: Pair) -> str:
    """What the later scenario costs against the first: staffing, the agents' work, money."""
    first, later = c.labels[pair.first], c.labels[pair.later]
    hours = [_agent_hours(c.runs[i].scenario) for i in (pair.first, pair.later)]
    if hours[0] == hours[1]:
        parts = [f"{later} schedules the same {hours[0]:,.1f} agent-hours"]
    else:
        parts = [f"{later} schedules {hours[1] - hours[0]:+,.1f} agent-hours ({hours[1]:,.1f} against {hours[0]:,.1f})"]
    work = c.pair_difference(pair, "busy_agent_seconds")
    transfers = c.pair_difference(pair, "transfer_agent_seconds")
    if work is not None:
        if work.significant:
            text = f"its agents work {format_difference('busy_agent_seconds', work.mean)} a day"
        else:
            text = f"its agents' work does not change significantly ({format_difference('busy_agent_seconds', work.mean)})"
        if transfers is not None and transfers.significant:
            text += (", of which" if work.significant else ", though") + " transfers of misrouted calls take " \
                + format_difference('transfer_agent_seconds', transfers.mean)
        parts.append(text)
    cost = c.pair_difference(pair, "agent_cost")
    if cost is not None and cost.significant:
        parts.append(f"agent cost {format_difference('agent_cost', cost.mean)} a day")
    return "Cost: " + "; ".join(parts) + "."


def _unfixed(c: Comparison, pair: Pair) -> str | None:
    """The targets both scenarios miss, for the day and per queue: what neither fixes."""
    indices = (pair.first, pair.later)
    checks = [{t.kpi: t for t in c.runs[i].targets} for i in indices]
    day = [f"{checks[0][k].label} ({_values_text(k, [checks[j][k].estimate.mean for j in (0, 1)])})"
           for k in checks[0] if k in checks[1] and all(checks[j][k].status == "missed" for j in (0, 1))]
    queues = []
    if all(len(c.runs[i].scenario.queues) > 1 for i in indices):
        for queue in c.queues():
            by_scenario = [{t.kpi: t for t in c.queue_targets(i, queue)} for i in indices]
            missed = [f"{readable(k)} {_values_text(k, [by_scenario[j][k].estimate.mean for j in (0, 1)])}"
                      for k in by_scenario[0] if k in by_scenario[1]
                      and all(by_scenario[j][k].status == "missed" for j in (0, 1))]
            if missed:
                queues.append(f"the {queue} queue ({_and(missed)})")
    if not day and not queues:
        return None
    parts = []
    if day:
        parts.append(f"neither meets {_or(day)}")
    if queues:
        parts.append(f"both leave {_and(queues[:3])} below the targets" + (" (and more queues)" if len(queues) > 3 else ""))
    text = "; ".join(parts)
    return f"What neither fixes: {text} (values: {c.labels[pair.first]} / {c.labels[pair.later]})."


def verdict(c: Comparison, pair: Pair) -> list[str]:
    """The sentences a headline opens with: which of the pair is better on the targets, what it
    costs, and which targets neither meets (for the day, and per queue)."""
    return [text for text in (_target_verdict(c, pair), _cost_verdict(c, pair), _unfixed(c, pair)) if text]


def headline(c: Comparison, pair: Pair) -> list[str]:
    """A few sentences a manager can forward: the verdict (better on the targets, at what cost,
    what neither fixes), then which scenario of the pair does better on what, significant
    differences only, with their size and units; honest when none is."""
    first, later = c.labels[pair.first], c.labels[pair.later]
    present = [k for k in HEADLINE_KPIS if c.pair_difference(pair, k) is not None]
    if present and all(_exactly_zero(c.pair_difference(pair, k)) for k in present):
        return [f"{later} and {first} give identical results on the same callers: every difference in "
                f"{_and([in_words(k) for k in present])} is exactly 0 (what differs between them does not change "
                "the simulated day)."]
    return verdict(c, pair) + _differences(c, pair, present)


def _differences(c: Comparison, pair: Pair, present: list[str]) -> list[str]:
    first, later = c.labels[pair.first], c.labels[pair.later]
    findings = c.findings(pair, present)
    found = {f.kpi for f in findings}
    same = [k for k in present if k not in found]
    if not findings:
        sentences = [f"{later} and {first} perform the same on {_and([in_words(k) for k in present])}: no difference "
                     f"is significant (every 95% confidence interval of the paired difference over {c.replications} "
                     "replications includes 0)."]
        elsewhere = _elsewhere(c, pair)
        if elsewhere:
            sentences.append(f"Where they do differ: {_and(elsewhere)}.")
        return sentences
    better = [f for f in findings if f.better is True]
    worse = [f for f in findings if f.better is False]
    neutral = [f for f in findings if f.better is None]
    parts = []
    if better:
        parts.append(f"does better: {_and([_finding_text(f) for f in better])}")
    if worse:
        parts.append(f"does worse: {_and([_finding_text(f) for f in worse])}")
    sentence = f"Against {first}, {later} " + "; it ".join(parts) if parts else ""
    sentences = [sentence + "."] if sentence else []
    rest = [_finding_text(f) for f in neutral]
    if same:
        verb = "is" if len(same) == 1 else "are"
        rest.append(f"{_and([in_words(k) for k in same])} {verb} the same within "
                    + ("its 95% confidence interval" if len(same) == 1 else "their 95% confidence intervals"))
    if rest:
        text = "; ".join(rest)
        sentences.append((f"{later} against {first}: " if not sentences else "") + text[0].upper() + text[1:] + ".")
    return sentences


# --- documents -----------------------------------------------------------------------------


def _estimate_dict(estimate: Estimate | None) -> dict | None:
    return None if estimate is None else estimate.to_dict()


def _diff_dict(diff) -> dict | None:
    return None if diff is None else diff.to_dict()


def _part_document(c: Comparison, **where) -> dict:
    """Every KPI of one queue or agent group: each scenario's day and intervals, and each pair's
    paired differences (day, and intervals when the pair's days are laid out alike)."""
    kpis = {}
    names = c.queue_kpis() if "queue" in where else ["occupancy"]
    for kpi in names:
        scenarios = {}
        for i, label in enumerate(c.labels):
            day = c.estimate(i, kpi, **where)
            scenarios[label] = None if day is None else {
                "day": day.to_dict(),
                "intervals": [_estimate_dict(c.estimate(i, kpi, interval=k, **where))
                              for k in range(c.runs[i].scenario.n_intervals)]}
        differences = {}
        for pair in c.pairs:
            day = c.pair_difference(pair, kpi, **where)
            n = c.runs[pair.first].scenario.n_intervals if c.same_day_layout(pair) else 0
            differences[c.pair_label(pair)] = None if day is None else {
                "day": day.to_dict(),
                "intervals": [_diff_dict(c.pair_difference(pair, kpi, interval=k, **where)) for k in range(n)]}
        kpis[kpi] = {"scenarios": scenarios, "differences": differences}
    return kpis


def by_queue_document(c: Comparison) -> dict:
    """{queue: {"kpis": {kpi: {...}}, "targets": {label: [checks]}}} for every queue."""
    return {
        queue: {
            "kpis": _part_document(c, queue=queue),
            "targets": {label: [_check_dict(check) for check in c.queue_targets(i, queue)]
                        for i, label in enumerate(c.labels)},
        }
        for queue in c.queues()
    }


def by_interval_document(c: Comparison) -> dict:
    """Every KPI of the whole centre per interval of the first scenario's day: each scenario's
    value (scenarios whose day is laid out otherwise: null) and each pair's paired difference
    (null for a pair whose two days are laid out otherwise)."""
    n = c.runs[0].scenario.n_intervals
    alike = [c.layout(i) == c.layout(0) for i in range(len(c.runs))]
    kpis = {}
    for kpi in c.kpis:
        kpis[kpi] = {
            "scenarios": {label: None if c.estimate(i, kpi) is None or not alike[i] else
                          [_estimate_dict(c.estimate(i, kpi, interval=k)) for k in range(n)]
                          for i, label in enumerate(c.labels)},
            "differences": {c.pair_label(pair): None if c.pair_difference(pair, kpi) is None
                            or not (alike[pair.first] and alike[pair.later]) else
                            [_diff_dict(c.pair_difference(pair, kpi, interval=k)) for k in range(n)]
                            for pair in c.pairs},
        }
    return {"intervals": c.interval_labels() if any(alike[p.first] and alike[p.later] for p in c.pairs) else [],
            "kpis": kpis}


def _check_dict(check) -> dict:
    return {"kpi": check.kpi, "target": check.label, "status": check.status, **check.estimate.to_dict()}


def comparison_document(c: Comparison, files: Sequence[str] | None = None) -> dict:
    """The comparison.json document."""
    kpis = {}
    for name in c.kpis:
        values = {}
        for i, label in enumerate(c.labels):
            estimate = c.estimate(i, name)
            values[label] = None if estimate is None else estimate.to_dict()
        differences = {}
        for pair in c.pairs:
            diff = c.pair_difference(pair, name)
            differences[c.pair_label(pair)] = None if diff is None else diff.to_dict()
        kpis[name] = {"definition": DEFINITIONS[name], "unit": KPI[name].unit, "words": KPI[name].label,
                      "better": KPI[name].better, "scenarios": values, "differences": differences}
    baseline = c.baseline
    return {
        "seed": c.seed,
        "replications": c.replications,
        "paired": "replication r of every scenario meets the same callers; differences are later - first, per replication",
        "baseline": None if baseline is None else c.labels[baseline],
        "pairs": [{"label": c.pair_label(pair), "first": c.labels[pair.first], "later": c.labels[pair.later],
                   "differs_in": list(c.differs_in(pair.later, pair.first))} for pair in c.pairs],
        "headline": {c.pair_label(pair): headline(c, pair) for pair in c.pairs},
        "scenarios": [
            {
                "label": label,
                **({"file": files[i]} if files else {}),
                "name": run.scenario.name,
                "differs_from_first_in": list(c.differs_in(i)) if i else [],
                "targets": [_check_dict(t) for t in run.targets],
                "scenario": run.scenario.model_dump(mode="json"),
            }
            for i, (label, run) in enumerate(zip(c.labels, c.runs))
        ],
        "explanation": {c.pair_label(pair): explain(c.pair_view(pair), 1) for pair in c.pairs},
        "kpis": kpis,
        "by_queue": by_queue_document(c),
        "by_agent_group": {group: {"kpis": _part_document(c, group=group)} for group in c.agent_groups()},
        "by_interval": by_interval_document(c),
        "versions": versions(),
    }


def comparison_csv(c: Comparison) -> str:
    """One row per KPI (day values): each scenario's mean and CI, then each paired difference."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["kpi"]
    for label in c.labels:
        header += [f"{label}", f"{label}_ci_low", f"{label}_ci_high"]
    for pair in c.pairs:
        d = c.pair_label(pair)
        header += [d, f"{d}_ci_low", f"{d}_ci_high", f"{d}_significant"]
    writer.writerow(header)
    for name in c.kpis:
        row = [name]
        for i in range(len(c.labels)):
            row += _csv_estimate(c.estimate(i, name))
        for pair in c.pairs:
            diff = c.pair_difference(pair, name)
            row += _csv_estimate(None if diff is None else diff.paired)
            row.append("" if diff is None else ("yes" if diff.significant else "no"))
        writer.writerow(row)
    return buffer.getvalue()


LONG_COLUMNS = ("pair", "first", "later", "kpi", "unit", "mean_first", "mean_later", "difference", "ci_low",
                "ci_high", "significant")


def _long_row(c: Comparison, pair: Pair, kpi: str, where: dict) -> list[str] | None:
    diff = c.pair_difference(pair, kpi, **where)
    if diff is None:
        return None
    first, later = c.estimate(pair.first, kpi, **where), c.estimate(pair.later, kpi, **where)
    low, high = diff.ci95 if diff.ci95 else (math.nan, math.nan)
    return [c.pair_label(pair), c.labels[pair.first], c.labels[pair.later], kpi, KPI[kpi].unit,
            *(csv_number(v) for v in (first.mean, later.mean, diff.mean, low, high)),
            "yes" if diff.significant else "no"]


def differences_by_queue_csv(c: Comparison) -> str:
    """Long format: one row per pair, queue (or agent group), day or interval, and KPI; the
    intervals of a pair whose two days are laid out alike, named by the first's clock."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["pair", "first", "later", "part", "name", "interval", *LONG_COLUMNS[3:]])
    parts = [("queue", q, {"queue": q}, c.queue_kpis()) for q in c.queues()]
    parts += [("agent group", g, {"group": g}, ["occupancy"]) for g in c.agent_groups()]
    for pair in c.pairs:
        labels = c.interval_labels(pair.first) if c.same_day_layout(pair) else []
        for part, name, where, kpis in parts:
            for interval in [None, *range(len(labels))]:
                for kpi in kpis:
                    row = _long_row(c, pair, kpi, {**where, "interval": interval})
                    if row is not None:
                        writer.writerow([*row[:3], part, name, "day" if interval is None else labels[interval], *row[3:]])
    return buffer.getvalue()


def differences_by_interval_csv(c: Comparison) -> str:
    """Long format: one row per pair, interval and KPI of the whole centre (pairs whose two days
    are laid out alike)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["pair", "first", "later", "interval", *LONG_COLUMNS[3:]])
    for pair in c.pairs:
        if not c.same_day_layout(pair):
            continue
        for k, label in enumerate(c.interval_labels(pair.first)):
            for kpi in c.kpis:
                row = _long_row(c, pair, kpi, {"interval": k})
                if row is not None:
                    writer.writerow([*row[:3], label, *row[3:]])
    return buffer.getvalue()


def _csv_estimate(estimate: Estimate | None) -> list[str]:
    if estimate is None:
        return ["", "", ""]
    low, high = estimate.ci95 if estimate.ci95 else (math.nan, math.nan)
    return [csv_number(v) for v in (estimate.mean, low, high)]


def _letter(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"S{i + 1}"


def pair_heading(c: Comparison, pair: Pair) -> str:
    """'B - A' in the letters of the printed table."""
    return f"{_letter(pair.later)} - {_letter(pair.first)}"


QUEUE_TABLE_KPIS = ("service_level", "abandon_rate", "asa", "answered")
_FLAG = {"missed": " !", "uncertain": " ?", "met": ""}


def _queue_rows(c: Comparison) -> list[list[str]]:
    """Per queue, the main KPIs of every scenario (flagged against its targets) and each pair's
    paired difference."""
    rows = []
    for queue in c.queues():
        for kpi in QUEUE_TABLE_KPIS:
            if kpi not in c.queue_kpis():
                continue
            row = [f"{queue}: {kpi}"]
            for i in range(len(c.labels)):
                estimate = c.estimate(i, kpi, queue=queue)
                status = {check.kpi: check.status for check in c.queue_targets(i, queue)}.get(kpi, "met")
                row.append("absent" if estimate is None else format_pm(kpi, estimate.mean, estimate.ci95) + _FLAG[status])
            for pair in c.pairs:
                diff = c.pair_difference(pair, kpi, queue=queue)
                row.append("absent  " if diff is None else
                           format_pm(kpi, diff.mean, diff.ci95, signed=True) + (" *" if diff.significant else "  "))
            rows.append(row)
    return rows


def _interval_lines(c: Comparison, kpis: Sequence[str] = ("service_level", "abandon_rate")) -> list[str]:
    """Per pair, the intervals whose service level or abandonment differ significantly."""
    lines = []
    for pair in c.pairs:
        if not c.same_day_layout(pair):
            continue
        labels = c.interval_labels(pair.first)
        for kpi in kpis:
            marked = []
            for k, label in enumerate(labels):
                diff = c.pair_difference(pair, kpi, interval=k)
                if diff is not None and diff.significant:
                    marked.append(f"{label} {format_difference(kpi, diff.mean)}")
            lines.append(f"{pair_heading(c, pair)} {readable(kpi)} per interval: "
                         + (", ".join(marked) if marked else "no interval differs significantly")
                         + f" (of {len(labels)}; about 1 in 20 is marked by chance alone)")
    return lines


def format_comparison(c: Comparison, width: int = 100) -> str:
    """The readable comparison: the headline, the KPI table with paired differences, the main
    KPIs per queue, targets, explanation."""
    import textwrap

    letters = [_letter(i) for i in range(len(c.labels))]
    lines = []
    for pair in c.pairs:
        for sentence in headline(c, pair):
            lines.append(textwrap.fill(sentence, width=width, subsequent_indent="  ", break_on_hyphens=False))
    lines.append("")
    lines.append(f"Comparing {len(c.labels)} scenarios on the same callers: {c.replications} replications, seed {c.seed}; "
                 "95% confidence intervals")
    for letter, label, run in zip(letters, c.labels, c.runs):
        lines.append(f"  {letter} = {label}: {run.scenario.name}")
    lines.append("")
    header = ["KPI (day)"] + letters + [pair_heading(c, pair) for pair in c.pairs]
    rows = []
    for name in c.kpis:
        row = [name]
        for i in range(len(c.labels)):
            estimate = c.estimate(i, name)
            row.append("absent" if estimate is None else format_pm(name, estimate.mean, estimate.ci95))
        for pair in c.pairs:
            diff = c.pair_difference(pair, name)
            if diff is None:
                row.append("absent  ")
            else:
                row.append(format_pm(name, diff.mean, diff.ci95, signed=True) + (" *" if diff.significant else "  "))
        rows.append(row)
    lines.append(table(header, rows))
    lines.append("")
    lines.append("mean ± half the 95% CI. * significant: the 95% CI of the paired difference (per replication, same")
    lines.append("callers) excludes 0. Rates differ in percentage points (pts). absent: the scenario does not report that KPI.")
    lines.append("")
    if len(c.queues()) > 1:
        lines.append(table(["per queue (day)"] + letters + [pair_heading(c, pair) for pair in c.pairs], _queue_rows(c)))
        lines.append("")
        lines.append("! misses the scenario's target, ? the 95% CI straddles it (the centre's targets, applied to each "
                     "queue). Per interval: differences_by_interval.csv, differences_by_queue.csv.")
        lines.append("")
    interval_lines = _interval_lines(c)
    if interval_lines:
        lines += interval_lines + [""]
    target_rows: dict[str, list[str]] = {}
    for i, run in enumerate(c.runs):
        for check in run.targets:
            target_rows.setdefault(check.label, ["-"] * len(c.runs))[i] = check.status
    lines.append(table(["target (day)"] + letters, [[label, *statuses] for label, statuses in target_rows.items()]))
    lines.append("")
    for pair in c.pairs:
        lines.append(f"What drives {pair_heading(c, pair)} ({c.pair_label(pair)}):")
        for sentence in explain(c.pair_view(pair), 1):
            lines.append(textwrap.fill(sentence, width=width, initial_indent="  ", subsequent_indent="    "))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
