"""What `callsim intraday` prints and writes: a short verdict first, then the re-forecast, the
remaining intervals against the targets, the actions against doing nothing and the suggested
overtime; intraday.json, intraday.csv and intraday.png (the day so far and the forecast rest)."""
from __future__ import annotations

import csv
import io
import json
import math

import numpy as np

from studies.intraday import IntradayResult, IntervalOutlook
from studies.intraday_actions import OVERTIME_FACTOR

from .figures import new_figure, png_bytes
from .text import format_difference, format_pm, format_value, table

COLOURS = {"actual": "#222222", "forecast": "#999999", "reforecast": "#0072B2", "band": "#9ecae1",
           "target": "#D55E00", "suggested": "#009E73"}
DAY_WORDS = {"service_level": "service level", "asa": "ASA", "abandon_rate": "abandonment"}


def cost_unit(result: IntradayResult) -> str:
    """What the costs are in: the scenario's money, or agent-hours where no group has an hourly_cost."""
    return "" if any(g.hourly_cost is not None for g in result.scenario.agents) else " agent-hours"


def _end_label(result: IntradayResult, k: int) -> str:
    """The clock time at which interval k ends."""
    s = result.scenario
    return s.clock_at((k + 1) * s.interval_s)[:5]


def _runs(indices) -> list[tuple[int, int]]:
    """[3, 4, 5, 8] -> [(3, 5), (8, 8)]: consecutive intervals together."""
    runs: list[tuple[int, int]] = []
    for k in indices:
        if runs and runs[-1][1] == k - 1:
            runs[-1] = (runs[-1][0], k)
        else:
            runs.append((k, k))
    return runs


def _miss_words(result: IntradayResult, rows: list[IntervalOutlook], first: int, last: int) -> str:
    span = [r for r in rows if first <= r.interval <= last]
    when = (f"the {result.labels[first]} interval" if first == last
            else f"the {result.labels[first]}–{_end_label(result, last)} intervals")
    short = max(r.service_level_short for r in span)
    others = list(dict.fromkeys(m for r in span for m in r.missed if not m.endswith("service level")))
    if short > 0:
        text = f"{when} miss the service level by up to {short * 100:.0f} points"
        return text + (f" (and {', '.join(others)})" if others else "")
    return f"{when} miss {', '.join(others)}"


def _overtime_words(result: IntradayResult) -> str:
    s = result.suggestion
    if not s.actions:
        return "no overtime is needed"
    counts = sorted({a.agents for a in s.actions})
    agents = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    groups = list(dict.fromkeys(a.group for a in s.actions))
    start = min(a.first for a in s.actions)
    where = f" in {', '.join(groups)}" if len(result.scenario.agents) > 1 else ""
    plural = "" if counts[-1] == 1 else "s"
    return f"{agents} agent{plural} of overtime{where} from {result.labels[start]}"


def verdict(result: IntradayResult) -> list[str]:
    """The first lines printed: will the rest of the day hold, and what fixes it."""
    f = result.forecast
    rate = f"calls x{f.volume_factor:.2f}, AHT x{f.aht_factor:.2f} of the forecast"
    rows = list(result.nothing.intervals)
    missing = [r.interval for r in rows if r.missed]
    if not missing:
        lines = [f"At the current rate ({rate}) every remaining interval meets its targets."]
    else:
        misses = "; ".join(_miss_words(result, rows, a, b) for a, b in _runs(missing))
        lines = [f"At the current rate ({rate}) {misses}."]
    s = result.suggestion
    if s is not None and missing:
        if s.holds:
            fix = "fixes" if max(a.agents for a in s.actions) == 1 else "fix"
            lines.append(f"{_overtime_words(result)[0].upper()}{_overtime_words(result)[1:]} {fix} it "
                         f"(cost {s.cost:,.2f}{cost_unit(result)}; holds on {s.confirm_replications} fresh replications).")
        elif s.infeasible:
            cannot = ", ".join(result.labels[k] for k in s.infeasible)
            lines.append(f"{_overtime_words(result)[0].upper()}{_overtime_words(result)[1:]} helps, but {cannot} "
                         "miss even so (within the groups' max_agents): overtime alone does not fix it.")
        else:
            lines.append(f"{_overtime_words(result)[0].upper()}{_overtime_words(result)[1:]} is the search's answer, "
                         "but it does not hold on fresh replications: treat it as a lower bound.")
    elif missing:
        lines.append("--suggest proposes the cheapest overtime that meets the targets.")
    for outcome in result.actions:
        still = len(outcome.missing)
        lines.append(f"With '{outcome.label}': " + (f"{still} of {len(rows)} remaining intervals still miss."
                                                    if still else "every remaining interval meets its targets."))
    return lines


def state_line(result: IntradayResult) -> str:
    state = result.rest.initial_state
    if result.state_source is None:
        return f"Started at {result.now.clock} with nobody waiting or busy (no --state: optimistic if callers are waiting)."
    waiting = sum(len(w) for w in state.waiting.values())
    busy = sum(b.n_talking + b.n_acw for b in state.busy.values())
    owed = sum(state.callbacks_pending.values())
    return (f"Started at {result.now.clock} from {result.state_source}: {waiting} callers waiting, {busy} agents busy"
            + (f", {owed} callbacks owed." if owed else "."))


def reforecast_lines(result: IntradayResult) -> list[str]:
    f = result.forecast
    ratio = "-" if not math.isfinite(f.volume_ratio) else f"{f.volume_ratio:.3f}"
    aht_ratio = "-" if not math.isfinite(f.aht_ratio) else f"{f.aht_ratio:.3f}"
    return [
        f"Re-forecast at {result.now.clock} from {result.actuals.source} ({f.method}):",
        f"  calls so far {f.actual_calls:,.0f} against {f.forecast_calls:,.1f} forecast: ratio {ratio}, "
        f"weight {f.volume_weight:.2f} (n = {f.observed_intervals:g}) -> rest of the day x{f.volume_factor:.3f}, "
        f"{sum(f.rest_calls):,.0f} calls from {result.now.clock}",
        f"  AHT so far {format_value('aht', f.actual_aht_s)} against {format_value('aht', f.forecast_aht_s)}: "
        f"ratio {aht_ratio}, weight {f.aht_weight:.2f} -> talk and ACW x{f.aht_factor:.3f}",
    ]


def _overtime_at(result: IntradayResult, k: int) -> int:
    s = result.suggestion
    return 0 if s is None else sum(extra[k] for extra in s.overtime.values())


def interval_table(result: IntradayResult) -> str:
    header = ["interval", "forecast", "re-forecast", "SL", "ASA", "abandoned", "occupancy", "misses"]
    if result.suggestion is not None:
        header.append("overtime")
    rows = []
    for r in result.nothing.intervals:
        row = [r.label, f"{r.forecast_calls:.1f}", f"{r.calls:.1f}"]
        row += [format_pm(name, r.kpis[name].mean, r.kpis[name].ci95) if name in r.kpis else "-"
                for name in ("service_level", "asa", "abandon_rate", "occupancy")]
        row.append(", ".join(r.missed) or "-")
        if result.suggestion is not None:
            row.append(str(_overtime_at(result, r.interval) or "-"))
        rows.append(row)
    return table(header, rows)


def _outcomes(result: IntradayResult):
    return [*result.actions, *([result.suggested] if result.suggested is not None else [])]


def actions_table(result: IntradayResult) -> str:
    header = ["action", "cost", "service level", "ASA", "abandonment", "intervals missing"]
    n = len(result.nothing.intervals)
    rows = [[result.nothing.label, "-",
             *(format_pm(name, result.nothing.day[name].mean, result.nothing.day[name].ci95) for name in DAY_WORDS),
             f"{len(result.nothing.missing)} of {n}"]]
    for o in _outcomes(result):
        cells = []
        for name in DAY_WORDS:
            d = o.difference.get(name)
            cells.append("-" if d is None else format_pm(name, d.mean, d.ci95, signed=True))
        rows.append([o.label, f"{o.cost:,.2f}", *cells, f"{len(o.missing)} of {n}"])
    return table(header, rows)


def format_intraday(result: IntradayResult) -> str:
    s = result.scenario
    lines = [*verdict(result), "", *reforecast_lines(result), state_line(result), "",
             f"The rest of the day, {result.replications} replications (seed {result.seed}); SL {s.targets.service_level.fraction:.0%} "
             f"within {s.targets.service_level.within:g} s" + (f", ASA <= {s.targets.asa:g} s" if s.targets.asa else "")
             + (f", abandonment <= {s.targets.abandon_rate:.0%}" if s.targets.abandon_rate is not None else "")
             + f", occupancy <= {s.targets.occupancy[1]:.0%}; mean ± 95% CI:",
             interval_table(result)]
    if _outcomes(result):
        lines += ["", "Actions against doing nothing, the rest of the day on the same callers (paired differences, "
                  "95% CI; cost" + (f" in{cost_unit(result)}" if cost_unit(result) else "") + ": overtime at the hourly cost x "
                  f"{OVERTIME_FACTOR:g}, VTO saves the plain rate):", actions_table(result)]
    if result.suggestion is not None:
        sug = result.suggestion
        lines += ["", "Suggested overtime (the optimiser on the remaining intervals, adding to the scheduled staffing):"]
        lines += [f"  --action '{a.text}'   cost {a.cost(result.rest):,.2f}{cost_unit(result)}"
                  for a in sug.actions] or ["  none needed"]
        lines.append(f"  total {sug.cost:,.2f}{cost_unit(result)}; " + ("holds" if sug.holds else "does NOT hold")
                     + f" on {sug.confirm_replications} replications from {sug.confirm_first_replication:,} the search never used")
    return "\n".join(lines)


# --- files ------------------------------------------------------------------------------------


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _interval_dicts(result: IntradayResult, rows) -> list[dict]:
    return [{"interval": r.label, "forecast_calls": round(r.forecast_calls, 4), "calls": round(r.calls, 4),
             "kpis": {name: e.to_dict() for name, e in r.kpis.items()}, "missed": list(r.missed)} for r in rows]


def _outcome_dict(result: IntradayResult, o) -> dict:
    return {"action": o.label, "kind": o.kind, "cost": round(o.cost, 4),
            "rest_of_day": {name: e.to_dict() for name, e in o.day.items()},
            "difference": {name: d.to_dict() for name, d in o.difference.items() if d is not None},
            "intervals_missing": [result.labels[k] for k in o.missing]}


def intraday_document(result: IntradayResult, versions: dict) -> str:
    f = result.forecast
    s = result.suggestion
    return json.dumps({
        "scenario": result.scenario.name, "now": result.now.clock, "actuals": result.actuals.source,
        "state": result.state_source, "started": state_line(result),
        "replications": result.replications, "seed": result.seed,
        "verdict": verdict(result),
        "reforecast": {"method": f.method, "prior_intervals": f.prior_intervals,
                       "observed_intervals": f.observed_intervals, "actual_calls": f.actual_calls,
                       "forecast_calls": round(f.forecast_calls, 4), "volume_ratio": _finite(f.volume_ratio),
                       "volume_weight": f.volume_weight, "volume_factor": f.volume_factor,
                       "actual_aht_s": _finite(f.actual_aht_s), "forecast_aht_s": _finite(f.forecast_aht_s),
                       "aht_ratio": _finite(f.aht_ratio), "aht_weight": f.aht_weight, "aht_factor": f.aht_factor},
        "intervals": _interval_dicts(result, result.nothing.intervals),
        "as_planned": _outcome_dict(result, result.nothing),
        "actions": [_outcome_dict(result, o) for o in result.actions],
        "suggestion": None if s is None else {
            "actions": [a.text for a in s.actions], "cost": round(s.cost, 4), "overtime_factor": OVERTIME_FACTOR,
            "overtime": {g: list(v) for g, v in s.overtime.items()}, "holds": s.holds, "converged": s.converged,
            "confirm_replications": s.confirm_replications,
            "confirm_first_replication": s.confirm_first_replication,
            "intervals_infeasible": [result.labels[k] for k in s.infeasible],
            "simulated": _outcome_dict(result, result.suggested)},
        "definitions": {
            "missed": "a target the interval's mean misses (service level, ASA, abandonment, occupancy above the band)",
            "difference": "action - as planned per replication on the same callers, mean and 95% t interval",
            "cost": f"overtime agent-hours x hourly_cost x {OVERTIME_FACTOR:g}; VTO -agent-hours x hourly_cost; "
                    "agent-hours where the scenario has no hourly_cost"},
        "versions": versions,
    }, indent=2) + "\n"


def intraday_csv(result: IntradayResult) -> str:
    actual = dict(zip(result.actuals.intervals, result.actuals.offered))
    outlook = {r.interval: r for r in result.nothing.intervals}
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["interval", "forecast_calls", "actual_offered", "reforecast_calls", "service_level",
                  "service_level_low", "service_level_high", "asa_s", "abandon_rate", "occupancy", "missed",
                  "suggested_overtime"])
    for k, label in enumerate(result.labels):
        r = outlook.get(k)
        sl = r.kpis["service_level"] if r else None
        low, high = sl.ci95 if sl is not None and sl.ci95 else ("", "")

        def cell(value, digits=4):
            return "" if value is None or (isinstance(value, float) and not math.isfinite(value)) else f"{value:.{digits}f}"
        out.writerow([label, cell(result.forecast.calls[k], 2), cell(actual.get(k), 0),
                      cell(result.forecast.rest_calls[k], 2) if r else "", cell(sl.mean) if sl else "",
                      cell(low) if low != "" else "", cell(high) if high != "" else "",
                      cell(r.kpis["asa"].mean, 2) if r else "", cell(r.kpis["abandon_rate"].mean) if r else "",
                      cell(r.kpis["occupancy"].mean) if r and "occupancy" in r.kpis else "",
                      "; ".join(r.missed) if r else "", _overtime_at(result, k) if r else ""])
    return buffer.getvalue()


def intraday_png(result: IntradayResult) -> bytes:
    """Top: calls per interval, the actuals so far, the forecast and the re-forecast rest. Bottom:
    the rest of the day's simulated service level with its 95% band, the target line and (with
    --suggest) the service level with the suggested overtime."""
    figure, (calls_ax, sl_ax) = new_figure(11, 7.5, rows=2, sharex=True)
    n = result.scenario.n_intervals
    x = np.arange(n)
    now_x = result.now.offset_s / result.scenario.interval_s - 0.5  # x of the now line, intervals centred on k
    calls_ax.stairs(result.forecast.calls, np.arange(n + 1) - 0.5, baseline=None, color=COLOURS["forecast"], ls="--", lw=1.2,
                    label="forecast")
    calls_ax.bar(list(result.actuals.intervals), result.actuals.offered, width=0.7, color=COLOURS["actual"], alpha=0.75,
                 label="actual offered")
    rest = [r.interval for r in result.nothing.intervals]
    full = [result.forecast.calls[k] * result.forecast.volume_factor for k in rest]
    calls_ax.plot(rest, full, color=COLOURS["reforecast"], lw=2, marker="o", ms=3,
                  label=f"re-forecast (x{result.forecast.volume_factor:.2f})")
    sl = [r.kpis["service_level"] for r in result.nothing.intervals]
    mean = np.array([e.mean for e in sl])
    low = np.array([e.ci95[0] if e.ci95 else e.mean for e in sl])
    high = np.array([e.ci95[1] if e.ci95 else e.mean for e in sl])
    sl_ax.fill_between(rest, low * 100, high * 100, color=COLOURS["band"], alpha=0.7, label="95% CI")
    sl_ax.plot(rest, mean * 100, color=COLOURS["reforecast"], lw=2, marker="o", ms=3, label="as planned")
    if result.suggested is not None:
        sug = np.array([r.kpis["service_level"].mean for r in result.suggested.intervals])
        sl_ax.plot(rest, sug * 100, color=COLOURS["suggested"], lw=1.6, marker="s", ms=3,
                   label=f"with the suggested overtime (cost {result.suggestion.cost:,.2f}{cost_unit(result)})")
    target = result.scenario.targets.service_level
    sl_ax.axhline(target.fraction * 100, color=COLOURS["target"], ls="--", lw=1.2,
                  label=f"target {target.fraction:.0%} in {target.within:g} s")
    for ax in (calls_ax, sl_ax):
        ax.axvline(now_x, color="#555555", lw=1, ls=":")
        ax.set_xlim(-0.6, n - 0.4)
    calls_ax.text(now_x, 0.98, f" now {result.now.clock}", transform=calls_ax.get_xaxis_transform(), va="top",
                  fontsize=9, color="#555555")
    calls_ax.set_ylabel(f"calls per {result.scenario.interval_minutes} min")
    calls_ax.set_ylim(bottom=0)
    calls_ax.set_title(f"{result.scenario.name}: the day so far and the re-forecast rest")
    calls_ax.legend(loc="lower right", fontsize=9, framealpha=0.9)
    sl_ax.set_ylabel("service level (%)")
    sl_ax.set_ylim(0, 102)
    sl_ax.set_title(f"Service level of the rest of the day, {result.replications} replications")
    sl_ax.legend(loc="lower left", fontsize=9)
    step = max(1, n // 12)
    sl_ax.set_xticks(x[::step] - 0.5, [result.labels[k] for k in x[::step]])  # clock times at the intervals' edges
    sl_ax.set_xlabel("clock time (each interval drawn after its start)")
    return png_bytes(figure, "intraday")


def intraday_files(result: IntradayResult, plots: bool = True) -> tuple[str, dict[str, str | bytes]]:
    """(intraday.json, {file name: content}) of `callsim intraday`."""
    from .documents import versions

    document = intraday_document(result, versions())
    files: dict[str, str | bytes] = {"intraday.json": document, "intraday.csv": intraday_csv(result)}
    if plots:
        files["intraday.png"] = intraday_png(result)
    return document, files
