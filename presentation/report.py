"""A self-contained HTML report of a run or a comparison: one file, no scripts, no network.

`render_report(document, images)` turns a kpis.json document (`output.result_document`) and the
plots (`plots.run_plots`, PNG bytes) into one HTML page: the scenario, the day's KPIs against
the targets, the per-interval table, the plots (embedded as base64 data URIs) and the KPI
definitions. CSS is inline; a Content-Security-Policy forbids anything but inline styles and
data: images, so the page renders identically offline, from a mail attachment or an archive.
Every piece of text from the document is escaped with `html.escape`.

`render_comparison_report(document, images)` does the same for a comparison.json document
(`compare.comparison_document`) and its plots: the scenarios and what differs between them, each
KPI per scenario with the paired differences and their significance, the targets each scenario
meets, the plain-words explanation, the plots and the definitions. Both pages are built from the
same shell (`_page`), CSS and pieces (plots, definitions, status badges).

`report_from_dir(folder)` does the same from what `callsim run` or `callsim compare` left in a
results folder (kpis.json or comparison.json; with both, the newer). A PNG whose stamp
(`callsim-run`, `callsim-comparison`) does not match the JSON (left over from an earlier run,
e.g. one with `--no-plots` or another seed) is left out, and the page says so.
"""
from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

from simulator.errors import UserError
from simulator.input_files import readable_folder
from simulator.kpi_table import KPI, service_level_note

from .compare_output import _letter
from .text import INTERVAL_COLUMNS, format_pm, format_value, readable

REPORT_FILE = "report.html"
COMPARISON_DIAGRAM_PREFIX = "ivr_menu_"  # as presentation.menu_diagram (not imported: it loads matplotlib)
COMPARISON_FILE = "comparison.json"

# file name -> (heading, what it shows)
PLOT_CAPTIONS: dict[str, tuple[str, str]] = {
    "volumes.png": ("Calls per interval",
                    "Offered, answered and abandoned calls per interval, and those that ended otherwise "
                    "(balked, unserved, in the IVR, ...) if any: mean over replications, error bars the 95% "
                    "confidence interval."),
    "service_level_asa.png": ("Service level and ASA",
                              "Service level and average speed of answer per interval with their 95% confidence "
                              "bands, each against its target (dashed)."),
    "occupancy.png": ("Occupancy",
                      "Agent occupancy per interval with its 95% confidence band; the target band is shaded."),
    "wait_distribution.png": ("Queue waits (one simulated day)",
                              "Time in queue of the callers who joined a queue on one simulated day (replication 0): "
                              "histogram by outcome, and the share still waiting after t seconds, with the service "
                              "level threshold marked."),
    "ivr_menu.png": ("IVR menu",
                     "The menus, options, self-service tasks and queues of the IVR, one arrow per route, with the "
                     "calls per day on each (mean over replications; expected from the menu's shares when the run "
                     "has no funnel) and their share of the calls entering the IVR."),
    "queue_length.png": ("Queue length (one simulated day)",
                         "Callers waiting through the clock day on one simulated day (replication 0), with the "
                         "time-weighted mean per interval over all replications."),
}
COMPARE_PLOT_CAPTIONS: dict[str, tuple[str, str]] = {
    "compare_kpis.png": ("KPIs by scenario",
                         "The main KPIs of the whole day for each scenario side by side: mean over replications, "
                         "error bars the 95% confidence interval; A\u2019s targets dashed, its occupancy band shaded."),
    "compare_differences.png": ("Paired differences",
                                "Each later scenario minus scenario A, replication by replication on the same "
                                "callers: the mean difference with its 95% confidence interval (filled: "
                                "significant, the interval excludes 0), beside the interval of two independent runs "
                                "(grey), which ignores the pairing."),
    "compare_queues.png": ("Per queue",
                           "Each queue’s service level, abandonment and ASA for the whole day in every scenario, "
                           "with 95% confidence intervals and A’s targets dashed: a queue far from its target "
                           "shows here even when the whole centre meets it."),
    "compare_intervals.png": ("Paired differences per interval",
                              "The whole centre’s paired difference per interval (later minus first, same callers): "
                              "the line is the mean difference, the band its 95% confidence interval; where the band "
                              "leaves the 0 line that interval really differs."),
}
STATUS_TEXT = {"met": "met", "missed": "missed", "uncertain": "uncertain"}
UNCERTAIN_NOTE = ("<span class=\"note\">\u201cuncertain\u201d: the 95% confidence interval straddles the target, "
                  "so more replications are needed to say.</span>")

CSS = """
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d1d1f;
       margin: 0; background: #f6f7f9; }
main { max-width: 1160px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 1.7em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #e4e6ea; }
h3 { font-size: 1.05em; margin: 22px 0 4px; }
p.lead { color: #444; max-width: 78ch; }
nav { font-size: 0.92em; margin: 6px 0 0; }
nav a { margin-right: 14px; color: #0b5cad; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 14px 0; }
dl.facts dt { font-weight: 600; color: #444; }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 8px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e4e6ea; text-align: right; vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; position: sticky; top: 0; }
th:first-child, td:first-child { text-align: left; }
td.text, th.text { text-align: left; }
tr.has-target td { background: #fbfbfd; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.92em; }
.status { display: inline-block; min-width: 6.5em; padding: 1px 8px; border-radius: 10px; font-weight: 600;
          text-align: center; border: 1px solid; }
.status.met { color: #11612c; background: #e3f4e8; border-color: #9fd5b0; }
.status.missed { color: #a0001c; background: #fde7ea; border-color: #f1a7b3; }
.status.uncertain { color: #7a4f00; background: #fff4d6; border-color: #ecc873; }
.status.other { color: #333; background: #eee; border-color: #ccc; }
.scroll { overflow-x: auto; }
figure { margin: 18px 0 28px; }
figure img { max-width: 100%; height: auto; border: 1px solid #e4e6ea; }
figcaption { color: #444; font-size: 0.93em; max-width: 90ch; margin-bottom: 6px; }
figcaption strong { color: #1d1d1f; font-size: 1.08em; }
.note { color: #555; font-size: 0.92em; }
.warning { color: #7a4f00; background: #fff4d6; padding: 6px 10px; border-radius: 4px; }
.absent { color: #888; font-style: italic; }
tr td.sig { font-weight: 700; background: #eaf2fb; }
p.headline { font-size: 1.12em; max-width: 90ch; border-left: 4px solid #0072B2; padding: 4px 10px; background: #f4f8fc; }
td .flag { color: #a40000; font-weight: 700; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 16px; margin: 12px 0; }
.card { border: 1px solid #e4e6ea; border-radius: 6px; padding: 4px 16px 8px; }
.card h3 { margin-top: 12px; }
.card dl.facts { margin: 8px 0; gap: 3px 14px; grid-template-columns: minmax(0, 10em) minmax(0, 1fr); }
.card dl.facts dd { overflow-wrap: anywhere; }
.card p.note { margin: 6px 0; }
.differs { background: #eaf2fb; padding: 4px 8px; border-radius: 4px; }
.mark { display: inline-block; width: 0.9em; text-align: left; }
th .label { display: block; font-weight: 400; font-size: 0.85em; color: #444; max-width: 16em; white-space: normal;
            overflow-wrap: anywhere; }
td .value { display: block; color: #444; font-size: 0.88em; }
section.explanation p { max-width: 90ch; margin: 6px 0; }
dl.definitions dt { font-weight: 600; margin-top: 8px; }
dl.definitions dd { margin: 2px 0 0 1.5em; color: #333; }
.diagrams { display: grid; gap: 16px; align-items: start; }
.diagrams figure { margin: 8px 0; }
footer { margin-top: 40px; color: #666; font-size: 0.85em; }
@media print { body { background: #fff; } main { padding: 0; } th { position: static; } figure { break-inside: avoid; } }
"""


class ResultsDirError(UserError):
    """A results folder that cannot be reported on (missing, or no usable kpis.json)."""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _number(value) -> float:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else math.nan


def _mean_text(name: str, estimate: dict | None) -> str:
    return format_value(name, _number((estimate or {}).get("mean")))


def _ci_text(name: str, estimate: dict | None) -> str:
    ci = (estimate or {}).get("ci95")
    if not ci or len(ci) != 2:
        return ""
    return f"[{format_value(name, _number(ci[0]))}, {format_value(name, _number(ci[1]))}]"


def _status_badge(status: str) -> str:
    css = status if status in STATUS_TEXT else "other"
    return f'<span class="status {_e(css)}">{_e(STATUS_TEXT.get(status, status))}</span>'


def _clock(minutes: float) -> str:
    minutes = int(round(minutes))
    return f"{(minutes // 60) % 24:02d}:{minutes % 60:02d}"


def _scenario_facts(scenario: dict, n: int) -> list[tuple[str, str]]:
    """(label, text) pairs describing a scenario's day, queues and agent groups; `n` intervals."""
    minutes = scenario.get("interval_minutes")
    start = scenario.get("start", "")
    facts: list[tuple[str, str]] = []
    if minutes and start:
        hours, mins = (int(part) for part in start.split(":"))
        end = _clock(hours * 60 + mins + n * minutes)
        facts.append(("Intervals", f"{n} \u00d7 {minutes} min, {start}\u2013{end}"))
    else:
        facts.append(("Intervals", str(n)))
    queues = [q.get("name", "?") for q in scenario.get("queues", [])]
    if queues:
        facts.append(("Queues", ", ".join(queues)))
    for group in scenario.get("agents", []):
        staffing = group.get("staffing") or [0]
        low, high = min(staffing), max(staffing)
        size = f"{low} agents" if low == high else f"{low}\u2013{high} agents"
        facts.append((f"Agent group \u201c{group.get('name', '?')}\u201d",
                      f"serves {', '.join(group.get('serves', []))}; {size} per interval"))
    return facts


def _facts(facts: list[tuple[str, str]]) -> str:
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    return f"<dl class=\"facts\">{rows}</dl>"


def _lead(text: str) -> str:
    return f'<p class="lead">{_e(text)}</p>' if text else ""


def _summary(document: dict) -> str:
    scenario = document.get("scenario", {})
    span = document.get("span")
    n = len(scenario.get("arrivals", {}).get("calls", ())) if span else len(document.get("intervals", []))
    facts = _scenario_facts(scenario, n)
    if span:  # a timeline of several days
        facts.insert(0, ("Days", f"{span.get('from')} to {span.get('to')} ({span.get('days')} days), simulated as one "
                                 "timeline; the intervals are each day's"))
    facts[1:1] = [("Replications", f"{document.get('replications', '?')} independent days; "
                                   "every estimate is their mean with a 95% t confidence interval"),
                  ("Seed", str(document.get("seed", "?")))]
    return _lead(scenario.get("description", "")) + _facts(facts)


def _day_table(document: dict) -> str:
    day = document.get("day", {})
    definitions = document.get("definitions", {})
    checks = {check.get("kpi"): check for check in document.get("targets", [])}
    rows = []
    for name, estimate in day.items():
        check = checks.get(name)
        target = _e(check.get("target", "")) if check else ""
        status = _status_badge(check.get("status", "")) if check else ""
        css = ' class="has-target"' if check else ""
        rows.append(
            f"<tr{css}><td><code title=\"{_e(definitions.get(name, ''))}\">{_e(name)}</code></td>"
            f"<td>{_e(_mean_text(name, estimate))}</td><td>{_e(_ci_text(name, estimate))}</td>"
            f"<td class=\"text\">{target}</td><td class=\"text\">{status}</td></tr>"
        )
    within_s = document.get("scenario", {}).get("targets", {}).get("service_level", {}).get("within")
    sl_note = f"<p class=\"note\">{_e(service_level_note(within_s))}</p>" if isinstance(within_s, (int, float)) else ""
    return (
        f"<p>Targets: {_tally(document.get('targets', []))}. {UNCERTAIN_NOTE}</p>{sl_note}"
        "<div class=\"scroll\"><table><thead><tr><th>KPI (whole day)</th><th>mean</th><th>95% CI</th>"
        "<th class=\"text\">target</th><th class=\"text\">status</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


BREAKDOWN_KPIS = ("offered", "answered", "abandon_rate", "service_level", "asa", "wait_p90", "aht")


def _breakdown(document: dict) -> str:
    """Day KPIs per queue and occupancy per agent group ('' with one queue and one group)."""
    parts = []
    for part, heading, words in (
            ("queues", "queue", "Each queue's calls, whichever group answered them (same definitions as the day's KPIs)."),
            ("priority_classes", "priority class", "Each priority class's calls in its queue (queue/class; 'ordinary': "
                                                   "the callers in no class), answered in class order.")):
        entries = document.get(part, {})
        if not entries:
            continue
        header = f"<th class=\"text\">{heading}</th>" + "".join(f"<th><code>{_e(k)}</code></th>" for k in BREAKDOWN_KPIS)
        rows = "".join(
            f"<tr><td class=\"text\">{_e(name)}</td>"
            + "".join(f"<td>{_e(_mean_text(k, entry.get('day', {}).get(k)))}</td>" for k in BREAKDOWN_KPIS) + "</tr>"
            for name, entry in entries.items())
        parts.append(f"<p>{_e(words)}</p>"
                     f"<div class=\"scroll\"><table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table></div>")
    groups = document.get("agent_groups", {})
    if groups:
        rows = "".join(
            f"<tr><td class=\"text\">{_e(name)}</td><td>{_e(_mean_text('occupancy', entry.get('day', {}).get('occupancy')))}</td>"
            f"<td>{_e(_ci_text('occupancy', entry.get('day', {}).get('occupancy')))}</td></tr>"
            for name, entry in groups.items())
        parts.append("<p>Each group's occupancy: its busy time / its time on shift, whichever queue the work came from.</p>"
                     "<div class=\"scroll\"><table><thead><tr><th class=\"text\">agent group</th><th>occupancy</th>"
                     f"<th>95% CI</th></tr></thead><tbody>{rows}</tbody></table></div>")
    return "".join(parts)


def _tally(checks: list[dict]) -> str:
    """'2 met, 1 missed' (escaped), or 'none'."""
    counts: dict[str, int] = {}
    for check in checks:
        counts[check.get("status")] = counts.get(check.get("status"), 0) + 1
    return ", ".join(f"{count} {_e(STATUS_TEXT.get(status, status))}" for status, count in counts.items()) or "none"


DAY_COLUMNS = (("offered", "calls"), ("service_level", "SL"), ("asa", "ASA"), ("abandon_rate", "abandoned"),
               ("occupancy", "occupancy"))


def _days_table(document: dict) -> str:
    """A timeline's KPIs per date ('' for one day)."""
    days = document.get("days")
    if not days:
        return ""
    header = "<th class=\"text\">date</th><th class=\"text\">day</th>" + "".join(
        f"<th title=\"{_e(name)}\">{_e(title)}</th>" for name, title in DAY_COLUMNS)
    rows = []
    for day in days:
        cells = (f"<td class=\"text\" colspan=\"{len(DAY_COLUMNS)}\">closed</td>" if day.get("closed") else "".join(
            f"<td title=\"95% CI {_e(_ci_text(name, day.get(name)))}\">{_e(_mean_text(name, day.get(name)))}</td>"
            for name, _ in DAY_COLUMNS))
        rows.append(f"<tr><td class=\"text\">{_e(day.get('date'))}</td><td class=\"text\">{_e(day.get('weekday'))}"
                    f"</td>{cells}</tr>")
    return ("<p class=\"note\">Each date's calls (by arrival, until the next date's first interval) and its agents' "
            "time; every KPI per date is in <code>kpis.json</code> (<code>days</code>) and <code>intervals.csv</code>."
            f"</p><div class=\"scroll\"><table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            "</div>")


def _interval_table(document: dict) -> str:
    intervals = document.get("intervals", [])
    if not intervals:
        return "<p>No intervals.</p>"
    columns = [(name, title) for name, title in INTERVAL_COLUMNS if name in intervals[0]]
    groups = document.get("scenario", {}).get("agents", [])
    dated = "date" in intervals[0]
    header = ("<th>date</th><th>day</th>" if dated else "") + "<th>interval</th><th>agents</th>" + "".join(
        f"<th title=\"{_e(name)}\">{_e(title)}</th>" for name, title in columns)
    rows = []
    for k, row in enumerate(intervals):
        agents = row["agents"] if dated else sum(g["staffing"][k] for g in groups if k < len(g.get("staffing", [])))
        when = f"<td>{_e(row.get('date'))}</td><td>{_e(row.get('weekday'))}</td>" if dated else ""
        cells = "".join(
            f"<td title=\"95% CI {_e(_ci_text(name, row.get(name)))}\">{_e(_mean_text(name, row.get(name)))}</td>"
            if _ci_text(name, row.get(name)) else f"<td>{_e(_mean_text(name, row.get(name)))}</td>"
            for name, _ in columns
        )
        rows.append(f"<tr>{when}<td>{_e(row.get('interval', k))}</td><td>{_e(agents)}</td>{cells}</tr>")
    return (
        "<p class=\"note\">Means over replications, by the interval in which calls arrived; hover a value for its "
        "95% confidence interval. Every KPI of every interval, with confidence bounds, is in "
        "<code>intervals.csv</code> and <code>kpis.json</code>.</p>"
        f"<div class=\"scroll\"><table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _plots(images: dict[str, bytes], captions: dict[str, tuple[str, str]], made_by: str) -> str:
    """Every image as a captioned figure (the order of `captions`, then any others by name)."""
    if not images:
        return f"<p class=\"note\">No plots (the {_e(made_by)} was made with <code>--no-plots</code>).</p>"
    side_by_side = {name for name in images if name.startswith(COMPARISON_DIAGRAM_PREFIX)}  # see _menu_diagrams
    ordered = [name for name in captions if name in images] + sorted(set(images) - set(captions) - side_by_side)
    figures = []
    for name in ordered:
        heading, caption = captions.get(name, (name, ""))
        data = base64.b64encode(images[name]).decode("ascii")
        figures.append(
            f"<figure id=\"plot-{_e(name.rsplit('.', 1)[0])}\">"
            f"<figcaption><strong>{_e(heading)}.</strong> {_e(caption)} <span class=\"note\">({_e(name)})</span>"
            f"</figcaption><img src=\"data:image/png;base64,{data}\" alt=\"{_e(heading)}\" width=\"1100\"></figure>"
        )
    return "".join(figures)


def _definitions(definitions: dict[str, str]) -> str:
    items = "".join(f"<dt><code>{_e(name)}</code></dt><dd>{_e(text)}</dd>" for name, text in definitions.items())
    return f"<dl class=\"definitions\">{items}</dl>"


def _section(anchor: str, heading: str, content: str, css: str = "") -> str:
    h2 = f"<h2>{_e(heading)}</h2>" if heading else ""
    css = f' class="{_e(css)}"' if css else ""
    return f"<section id=\"{_e(anchor)}\"{css}>{h2}{content}</section>\n"


def _page(title: str, nav: list[tuple[str, str]], sections: str, source: str, versions: dict,
          notes: list[str] | None) -> str:
    """The page shell both reports share: head (CSP, inline CSS), heading and navigation,
    warnings, the sections, and a footer naming the JSON file it was generated from."""
    version_text = ", ".join(f"{k} {v}" for k, v in versions.items())
    warnings = "".join(f"<p class=\"warning\">{_e(note)}</p>" for note in notes or [])
    links = "".join(f"<a href=\"#{_e(anchor)}\">{_e(text)}</a>" for anchor, text in nav)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="generator" content="callsim">
<title>{_e(title)} \u2013 callsim report</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header>
<h1>{_e(title)}</h1>
<nav>{links}</nav>
</header>
{warnings}
{sections}<footer>Generated by callsim from <code>{_e(source)}</code>. {_e(version_text)}</footer>
</main>
</body>
</html>
"""


MENU_DIAGRAM_FILE = "ivr_menu.png"  # as presentation.menu_diagram


def _calls(estimate, total: float) -> str:
    """'1,058 [1,020, 1,093] · 49%': calls per day, their 95% CI, their share of `total` (escaped)."""
    estimate = estimate if isinstance(estimate, dict) else {}
    mean = _number(estimate.get("mean"))
    if not math.isfinite(mean):
        return ABSENT
    count = (lambda v: f"{v:,.0f}" if abs(v) >= 10 or v == 0 else f"{v:.1f}")
    ci = estimate.get("ci95")
    if mean == 0 and (not ci or ci == [0, 0] or list(ci) == [0.0, 0.0]):
        return "0"  # never happened in any replication: no interval to show
    ci_text = (f" <span class=\"note\">[{_e(count(_number(ci[0])))}, {_e(count(_number(ci[1])))}]</span>"
               if isinstance(ci, (list, tuple)) and len(ci) == 2 else "")
    share = f" <span class=\"note\">{mean / total:.1%}</span>" if total > 0 else ""
    return f"{_e(count(mean))}{ci_text}{share}"


def _funnel_tables(document: dict, images: dict[str, bytes]) -> str:
    """The "funnel" of a kpis.json document as tables (per menu, per option, per self-service),
    with the menu diagram above them; '' when the document has no funnel."""
    funnel = document.get("funnel")
    if not isinstance(funnel, dict):
        return ""
    entered = funnel.get("entered")
    total = _number(entered.get("mean") if isinstance(entered, dict) else None)
    total = total if math.isfinite(total) else 0.0
    parts = [_lead("Calls per day through the IVR: mean over the replications, its 95% confidence interval in "
                   "brackets and its share of the calls entering the IVR (redials and repeat calls included).")]
    if MENU_DIAGRAM_FILE in images:
        data = base64.b64encode(images[MENU_DIAGRAM_FILE]).decode("ascii")
        heading, caption = PLOT_CAPTIONS[MENU_DIAGRAM_FILE]
        parts.append(f"<figure id=\"plot-ivr_menu\"><figcaption><strong>{_e(heading)}.</strong> {_e(caption)} "
                     f"<span class=\"note\">({MENU_DIAGRAM_FILE})</span></figcaption>"
                     f"<img src=\"data:image/png;base64,{data}\" alt=\"{_e(heading)}\" width=\"1100\"></figure>")
    ends = [("entered the IVR", funnel.get("entered"))]
    if isinstance(funnel.get("announcement"), dict):
        ends.append(("satisfied by the announcement", funnel["announcement"].get("satisfied")))
    ends += [("contained (resolved in the IVR)", funnel.get("contained")), ("hung up in the IVR", funnel.get("hung_up"))]
    queues = funnel.get("queues") if isinstance(funnel.get("queues"), dict) else {}
    ends += [(f"reached queue \u201c{name}\u201d", value) for name, value in queues.items()]
    parts.append("<h3>Where calls ended</h3><div class=\"scroll\"><table><thead><tr><th>calls</th><th>per day</th>"
                 "</tr></thead><tbody>" + "".join(f"<tr><td>{_e(what)}</td><td>{_calls(value, total)}</td></tr>"
                                                  for what, value in ends) + "</tbody></table></div>")
    menus = [m for m in funnel.get("menus") or [] if isinstance(m, dict)]
    if menus:
        rows = "".join(
            f"<tr><td>{_e(m.get('name', '?'))}</td><td>{_calls(m.get('entered'), total)}</td>"
            f"<td>{_calls(m.get('replays'), total)}</td><td>{_calls(m.get('hung_up'), total)}</td>"
            f"<td>{_calls(m.get('timed_out'), total)}</td><td class=\"text\">{_e(m.get('default') or '-')}</td></tr>"
            for m in menus)
        parts.append("<h3>Per menu</h3><p class=\"note\">Entered: callers who heard the menu at least once; "
                     "replays: the menu played again after no input (a caller replayed twice counts twice); timed "
                     "out: sent to the default route after the last replay.</p><div class=\"scroll\"><table><thead><tr>"
                     "<th>menu</th><th>entered</th><th>replays</th><th>hung up</th><th>timed out</th>"
                     f"<th class=\"text\">default route</th></tr></thead><tbody>{rows}</tbody></table></div>")
        rows = "".join(
            f"<tr><td>{_e(m.get('name', '?'))}</td><td class=\"text\"><code>{_e(o.get('key', '?'))}</code></td>"
            f"<td class=\"text\">{_e(o.get('label', ''))}</td><td class=\"text\">{_e(o.get('to', ''))}</td>"
            f"<td>{_calls(o.get('chose'), total)}</td><td class=\"text\">{'yes' if o.get('zero_out') else 'no'}</td>"
            f"<td>{_calls(o.get('contained'), total)}</td><td>{_calls(o.get('misrouted'), total)}</td></tr>"
            for m in menus for o in (m.get("options") if isinstance(m.get("options"), list) else []) if isinstance(o, dict))
        parts.append("<h3>Per option</h3><p class=\"note\">Chose: pressed this key; zero-out: the key asks for an "
                     "agent (0); contained: resolved in self-service right after this choice; misrouted: landed in "
                     "the wrong queue right after this choice.</p><div class=\"scroll\"><table><thead><tr><th>menu</th>"
                     "<th class=\"text\">key</th><th class=\"text\">option</th><th class=\"text\">leads to</th>"
                     "<th>chose</th><th class=\"text\">zero-out</th><th>contained</th><th>misrouted</th></tr></thead>"
                     f"<tbody>{rows}</tbody></table></div>")
    services = [s for s in funnel.get("self_service") or [] if isinstance(s, dict)]
    if services:
        rows = "".join(
            f"<tr><td>{_e(s.get('name', '?'))}</td><td>{_calls(s.get('entered'), total)}</td>"
            f"<td>{_calls(s.get('contained'), total)}</td><td>{_calls(s.get('failed'), total)}</td>"
            f"<td class=\"text\">{_e(s.get('on_failure', ''))}</td></tr>" for s in services)
        parts.append("<h3>Per self-service task</h3><div class=\"scroll\"><table><thead><tr><th>task</th>"
                     "<th>entered</th><th>contained</th><th>failed</th><th class=\"text\">failures go to</th></tr>"
                     f"</thead><tbody>{rows}</tbody></table></div>")
    return "".join(parts)


def _menu_diagrams(images: dict[str, bytes], labels: list[str]) -> str:
    """The comparison's IVR diagrams (ivr_menu_<letter>.png) side by side; '' if there are none."""
    cells = []
    for i, label in enumerate(labels):
        name = f"{COMPARISON_DIAGRAM_PREFIX}{_letter(i)}.png"
        if name in images:
            data = base64.b64encode(images[name]).decode("ascii")
            cells.append(f"<figure><figcaption><strong>{_e(_letter(i))}: {_e(label)}</strong> "
                         f"<span class=\"note\">({_e(name)})</span></figcaption>"
                         f"<img src=\"data:image/png;base64,{data}\" alt=\"IVR menu of {_e(label)}\"></figure>")
    if not cells:
        return ""
    return ("<p class=\"note\">Each design\u2019s menus, options and queues with the calls per day on every route "
            "(share of the calls entering the IVR in brackets).</p>"
            f"<div class=\"scroll\"><div class=\"diagrams\" style=\"grid-template-columns: repeat({len(cells)}, "
            f"minmax(560px, 1fr))\">{''.join(cells)}</div></div>")


def render_report(document: dict, images: dict[str, bytes], notes: list[str] | None = None) -> str:
    """The report page for a kpis.json `document` and its plots ({file name: PNG bytes}).

    `notes` are shown as warnings at the top (e.g. plots left out as stale).
    """
    name = document.get("scenario", {}).get("name", "callsim run")
    sections = (
        _section("scenario", "", _summary(document))
        + _section("day", "The day against the targets" if "span" not in document else
                   "All days against the targets", _day_table(document))
        + (_section("days", "Per day", days) if (days := _days_table(document)) else "")
        + (_section("breakdown", "Per queue and agent group", breakdown) if (breakdown := _breakdown(document)) else "")
        + (_section("funnel", "The IVR funnel", funnel) if (funnel := _funnel_tables(document, images)) else "")
        + _section("intervals", "Per interval", _interval_table(document))
        + _section("plots", "Plots", _plots({k: v for k, v in images.items() if k != MENU_DIAGRAM_FILE or not funnel},
                                            PLOT_CAPTIONS, "run"))
        + _section("definitions", "KPI definitions", _definitions(document.get("definitions", {})))
    )
    nav = [("day", "Day KPIs")] + ([("days", "Per day")] if days else []) + (
        [("breakdown", "Per queue")] if breakdown else []) + (
        [("funnel", "IVR funnel")] if funnel else []) + [
        ("intervals", "Per interval"), ("plots", "Plots"), ("definitions", "Definitions")]
    return _page(name, nav, sections, "kpis.json", document.get("versions", {}), notes)


# --- the comparison page ---------------------------------------------------------------------


def _pm(name: str, estimate: dict | None, signed: bool = False) -> str:
    """'17.5 ± 1.0 s' from a JSON estimate (mean ± half its 95% CI), as `callsim compare` prints it."""
    estimate = estimate or {}
    ci = estimate.get("ci95")
    ci = (_number(ci[0]), _number(ci[1])) if ci and len(ci) == 2 else None
    text = format_pm(name, _number(estimate.get("mean")), ci, signed=signed)
    return text + COUNT_UNITS.get(KPI[name].unit if name in KPI else "", "") if text != "-" else text


# units the number formats leave unnamed, named on the comparison page ("units on every number")
COUNT_UNITS = {"calls": " calls", "callers": " callers", "prompts": " prompts", "calls_per_caller": " calls per caller"}


ABSENT = "<span class=\"absent\">absent</span>"


def _compared_scenarios(document: dict) -> str:
    scenarios = document.get("scenarios", [])
    n = len(scenarios)
    labels = [entry.get("label", "?") for entry in scenarios]
    # documents written before --baseline and --all-pairs: every scenario against the first
    baseline = document.get("baseline", labels[0] if labels else None) if "pairs" in document else (
        labels[0] if labels else None)
    against = (f"each difference to {'the first scenario' if baseline == labels[0] else baseline}"
               if baseline is not None else "the difference of every pair")
    parts = [_lead(
        f"{n} scenarios simulated on the same callers: {document.get('replications', '?')} replications each, "
        f"seed {document.get('seed', '?')}. Replication r of every scenario meets the same callers (common random "
        f"numbers), so {against} is measured replication by replication and the day-to-day noise the scenarios "
        "share cancels out of it."
    )]
    differs: dict[str, list[tuple[str, list[str]]]] = {}
    if "pairs" in document:
        for pair in document.get("pairs", []):
            differs.setdefault(pair.get("later"), []).append((pair.get("first"), pair.get("differs_in", [])))
    else:
        for entry in scenarios[1:]:
            differs[entry.get("label")] = [(labels[0], entry.get("differs_from_first_in", []))]
    cards = []
    for i, entry in enumerate(scenarios):
        scenario = entry.get("scenario", {})
        facts = [("Scenario", entry.get("name", scenario.get("name", "?")))]
        if entry.get("file"):
            facts.append(("File", entry["file"]))
        facts += _scenario_facts(scenario, len(scenario.get("arrivals", {}).get("calls", [])))
        what = []
        if entry.get("label") == baseline:
            what.append("<strong>The baseline:</strong> every difference is another scenario minus this one")
        for first, aspects in differs.get(entry.get("label"), []):
            letter = _letter(labels.index(first)) if first in labels else "?"
            what.append(f"<strong>Differs from {_e(letter)} ({_e(first)}) in:</strong> {_e(', '.join(aspects))}"
                        if aspects else
                        f"<strong>Same call centre as {_e(letter)} ({_e(first)})</strong>: only names, descriptions or "
                        "simulation settings differ, so every difference is exactly 0")
        description = scenario.get("description", "")
        cards.append(f"<div class=\"card\"><h3>{_e(_letter(i))}: {_e(entry.get('label', '?'))}</h3>"
                     + "".join(f"<p class=\"differs\">{text}</p>" for text in what) + _facts(facts)
                     + (f"<p class=\"note\">{_e(description)}</p>" if description else "") + "</div>")
    return "".join(parts) + f"<div class=\"cards\">{''.join(cards)}</div>"


def _difference_key(labels: list[str], i: int) -> str:
    return f"{labels[i]} - {labels[0]}"  # as compare.Comparison.difference_label


def _pairs(document: dict) -> list[tuple[str, str, int, int]]:
    """(key, heading 'B − A', first index, later index) of each pair the document reports;
    a document written before pairs existed: every scenario against the first."""
    labels = [entry.get("label", "?") for entry in document.get("scenarios", [])]
    index = {label: i for i, label in enumerate(labels)}
    pairs = []
    for pair in document.get("pairs") or [{"label": _difference_key(labels, i), "first": labels[0], "later": labels[i]}
                                            for i in range(1, len(labels))]:
        first, later = index.get(pair.get("first"), 0), index.get(pair.get("later"), 0)
        pairs.append((pair.get("label", "?"), f"{_letter(later)} − {_letter(first)}", first, later))
    return pairs


def _kpi_cell(name: str, document: dict) -> str:
    """'service level <code>service_level</code>': the KPI in words with its key beside it."""
    kpi = document.get("kpis", {}).get(name, {})
    words = kpi.get("words") or readable(name)
    return (f"<td class=\"text\">{_e(words)} <code title=\"{_e(kpi.get('definition', ''))}\">{_e(name)}</code></td>")


def _difference_cell(name: str, diff: dict | None) -> str:
    if diff is None:
        return f"<td>{ABSENT}<span class=\"mark\"></span></td>"
    significant = diff.get("significant") is True
    unpaired = diff.get("unpaired_ci95")
    title = (f"paired 95% CI {_ci_text(name, diff)}"
             + (f"; two independent runs: {_ci_text(name, {'ci95': unpaired})}" if unpaired else ""))
    return (f"<td class=\"{'sig' if significant else 'diff'}\" title=\"{_e(title)}\">"
            f"{_e(_pm(name, diff, signed=True))}<span class=\"mark\">{'*' if significant else ''}</span></td>")


def _comparison_table(document: dict) -> str:
    scenarios = document.get("scenarios", [])
    labels = [entry.get("label", "?") for entry in scenarios]
    letters = [_letter(i) for i in range(len(labels))]
    pairs = _pairs(document)
    with_target = {check.get("kpi") for entry in scenarios for check in entry.get("targets", [])}
    header = "<th class=\"text\">KPI (whole day)</th>" + "".join(
        f"<th>{_e(letter)}<span class=\"label\">{_e(label)}</span></th>" for letter, label in zip(letters, labels)
    ) + "".join(f"<th>{_e(heading)}<span class=\"label\">paired difference</span></th>" for _, heading, _, _ in pairs)
    rows = []
    for name, kpi in document.get("kpis", {}).items():
        values = kpi.get("scenarios", {})
        cells = "".join(
            f"<td>{ABSENT}</td>" if values.get(label) is None else f"<td>{_e(_pm(name, values[label]))}</td>"
            for label in labels
        )
        cells += "".join(_difference_cell(name, kpi.get("differences", {}).get(key)) for key, _, _, _ in pairs)
        css = ' class="has-target"' if name in with_target else ""
        rows.append(f"<tr{css}>{_kpi_cell(name, document)}{cells}</tr>")
    return (
        "<p class=\"note\">Each scenario\u2019s mean \u00b1 half its 95% confidence interval (an interval cut to the "
        "values a KPI can take is shown as its bounds). The differences are later minus first, "
        "replication by replication on the same callers; <strong>*</strong> marks a significant one: its 95% "
        "interval excludes 0. Rates differ in percentage points (pts). <span class=\"absent\">absent</span>: the "
        "scenario does not report that KPI (not 0). Hover a difference for its interval beside the one two "
        "independent runs would give.</p>"
        f"<div class=\"scroll\"><table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _headline(document: dict) -> str:
    headline = document.get("headline", {})
    parts = []
    for key, heading, _, _ in _pairs(document):
        sentences = headline.get(key, [])
        if sentences:
            parts.append(f"<p class=\"headline\"><strong>{_e(heading)}.</strong> {_e(' '.join(sentences))}</p>")
    return "".join(parts)


QUEUE_REPORT_KPIS = ("service_level", "abandon_rate", "asa", "avg_wait", "wait_p90", "offered", "answered", "abandoned")


def _queue_flags(document: dict) -> list[str]:
    """Sentences naming every queue that misses a target in some scenario, with the values."""
    labels = [entry.get("label", "?") for entry in document.get("scenarios", [])]
    sentences = []
    for queue, entry in document.get("by_queue", {}).items():
        for i, label in enumerate(labels):
            missed = [check for check in entry.get("targets", {}).get(label, []) if check.get("status") == "missed"]
            if missed:
                what = ", ".join(f"{readable(check.get('kpi', ''))} {_mean_text(check.get('kpi', ''), check)} "
                                 f"(target {check.get('target', '?')})" for check in missed)
                sentences.append(f"{_letter(i)} ({label}): the {queue} queue misses its targets: {what}.")
    return sentences


def _per_queue(document: dict) -> str:
    by_queue = document.get("by_queue", {})
    if not by_queue:
        return "<p class=\"note\">No per-queue figures in this comparison.json (written by an older callsim).</p>"
    scenarios = document.get("scenarios", [])
    labels = [entry.get("label", "?") for entry in scenarios]
    pairs = _pairs(document)
    flags = _queue_flags(document)
    lead = ("<p class=\"warning\">" + " ".join(_e(sentence) for sentence in flags) + "</p>") if flags else (
        "<p>Every queue meets the centre\u2019s targets in every scenario, or is within its confidence interval of them.</p>")
    parts = [lead, "<p class=\"note\">The centre\u2019s targets applied to each queue: <span class=\"flag\">!</span> "
             "missed, <span class=\"flag\">?</span> the 95% interval straddles the target. Every KPI per queue and "
             "per interval, with its paired difference: <code>differences_by_queue.csv</code>.</p>"]
    header = "<th class=\"text\">KPI (whole day)</th>" + "".join(
        f"<th>{_e(_letter(i))}<span class=\"label\">{_e(label)}</span></th>" for i, label in enumerate(labels)
    ) + "".join(f"<th>{_e(heading)}<span class=\"label\">paired difference</span></th>" for _, heading, _, _ in pairs)
    for queue, entry in by_queue.items():
        statuses = {label: {check.get("kpi"): check.get("status") for check in checks}
                    for label, checks in entry.get("targets", {}).items()}
        rows = []
        for name in QUEUE_REPORT_KPIS:
            kpi = entry.get("kpis", {}).get(name)
            if kpi is None:
                continue
            cells = ""
            for label in labels:
                value = (kpi.get("scenarios", {}).get(label) or {}).get("day")
                status = statuses.get(label, {}).get(name)
                flag = {"missed": "!", "uncertain": "?"}.get(status, "")
                cells += (f"<td>{ABSENT}</td>" if value is None else
                          f"<td>{_e(_pm(name, value))}<span class=\"flag\">{flag}</span></td>")
            cells += "".join(_difference_cell(name, (kpi.get("differences", {}).get(key) or {}).get("day")
                                              if kpi.get("differences", {}).get(key) else None)
                             for key, _, _, _ in pairs)
            rows.append(f"<tr>{_kpi_cell(name, document)}{cells}</tr>")
        parts.append(f"<h3>Queue \u201c{_e(queue)}\u201d</h3><div class=\"scroll\"><table><thead><tr>{header}</tr>"
                     f"</thead><tbody>{''.join(rows)}</tbody></table></div>")
    groups = document.get("by_agent_group", {})
    if len(groups) > 1:
        rows = []
        for group, entry in groups.items():
            kpi = entry.get("kpis", {}).get("occupancy", {})
            cells = "".join(f"<td>{ABSENT}</td>" if not (kpi.get("scenarios", {}).get(label) or {}).get("day") else
                            f"<td>{_e(_pm('occupancy', kpi['scenarios'][label]['day']))}</td>" for label in labels)
            cells += "".join(_difference_cell("occupancy", (kpi.get("differences", {}).get(key) or {}).get("day")
                                              if kpi.get("differences", {}).get(key) else None)
                             for key, _, _, _ in pairs)
            rows.append(f"<tr><td class=\"text\">occupancy <code>occupancy</code> of \u201c{_e(group)}\u201d</td>{cells}</tr>")
        parts.append(f"<h3>Agent groups</h3><div class=\"scroll\"><table><thead><tr>{header}</tr></thead>"
                     f"<tbody>{''.join(rows)}</tbody></table></div>")
    return "".join(parts)


INTERVAL_REPORT_KPIS = ("service_level", "asa", "abandon_rate", "occupancy")


def _per_interval(document: dict) -> str:
    by_interval = document.get("by_interval", {})
    intervals = by_interval.get("intervals", [])
    if not intervals:
        return ("<p class=\"note\">No per-interval differences: the scenarios\u2019 days are laid out differently "
                "(or this comparison.json was written by an older callsim).</p>")
    pairs = _pairs(document)
    kpis = [k for k in INTERVAL_REPORT_KPIS if k in by_interval.get("kpis", {})]
    header = "<th class=\"text\">interval</th>" + "".join(
        f"<th>{_e(readable(k))}<span class=\"label\">{_e(heading)}</span></th>" for _, heading, _, _ in pairs for k in kpis)
    rows = []
    for n, interval in enumerate(intervals):
        cells = ""
        for key, _, _, _ in pairs:
            for k in kpis:
                diffs = by_interval["kpis"][k].get("differences", {}).get(key)
                cells += _difference_cell(k, diffs[n] if diffs and n < len(diffs) else None)
        rows.append(f"<tr><td class=\"text\">{_e(interval)}</td>{cells}</tr>")
    return ("<p class=\"note\">The whole centre\u2019s paired difference (later minus first) in each interval, by the "
            "interval the calls arrived in; <strong>*</strong>: significant. Every KPI per interval: "
            "<code>differences_by_interval.csv</code>. A change in one interval also moves the next ones (the queue "
            "it leaves behind), and calls that arrived just before it and were still waiting. Each cell is its own "
            f"95% interval: of {len(intervals)} intervals about {len(intervals) / 20:.1f} per KPI are marked by chance "
            "alone even when the scenarios do not differ, so read a run of marked intervals, not a single one.</p>"
            f"<div class=\"scroll\"><table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def _comparison_targets(document: dict) -> str:
    scenarios = document.get("scenarios", [])
    by_target: dict[str, list[dict | None]] = {}
    for i, entry in enumerate(scenarios):
        for check in entry.get("targets", []):
            by_target.setdefault(check.get("target", "?"), [None] * len(scenarios))[i] = check
    if not by_target:
        return "<p>None of the scenarios has targets.</p>"
    header = "<th class=\"text\">target (whole day)</th>" + "".join(
        f"<th class=\"text\">{_e(_letter(i))}<span class=\"label\">{_e(entry.get('label', '?'))}</span></th>"
        for i, entry in enumerate(scenarios))
    rows = []
    for target, checks in by_target.items():
        cells = "".join(
            "<td class=\"text\"><span class=\"note\">no such target</span></td>" if check is None else
            f"<td class=\"text\">{_status_badge(check.get('status', ''))}"
            f"<span class=\"value\">{_e(_pm(check.get('kpi', ''), check))}</span></td>"
            for check in checks)
        rows.append(f"<tr><td>{_e(target)}</td>{cells}</tr>")
    tallies = "; ".join(f"{_e(_letter(i))} {_tally(entry.get('targets', []))}" for i, entry in enumerate(scenarios))
    return (
        f"<p>Targets: {tallies}. {UNCERTAIN_NOTE}</p>"
        f"<div class=\"scroll\"><table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _explanation(document: dict) -> str:
    labels = [entry.get("label", "?") for entry in document.get("scenarios", [])]
    explanation = document.get("explanation", {})
    parts = []
    for key, heading, first, later in _pairs(document):
        sentences = explanation.get(key, [])
        parts.append(f"<h3>{_e(heading)}: {_e(labels[later])} minus {_e(labels[first])}</h3>"
                     + "".join(f"<p>{_e(sentence)}</p>" for sentence in sentences))
    return "".join(parts)


def render_comparison_report(document: dict, images: dict[str, bytes], notes: list[str] | None = None) -> str:
    """The report page for a comparison.json `document` (`compare.comparison_document`) and its
    plots ({file name: PNG bytes}, `compare_plots.comparison_plots`).

    `notes` are shown as warnings at the top (e.g. plots left out as stale).
    """
    labels = [entry.get("label", "?") for entry in document.get("scenarios", [])]
    definitions = {name: kpi.get("definition", "") for name, kpi in document.get("kpis", {}).items()}
    sections = (
        _section("headline", "", _headline(document))
        + _section("scenarios", "The scenarios compared", _compared_scenarios(document))
        + _section("kpis", "KPIs and paired differences", _comparison_table(document))
        + _section("targets", "Which scenario meets which target", _comparison_targets(document))
        + _section("queues", "Per queue", _per_queue(document))
        + _section("intervals", "Per interval", _per_interval(document))
        + _section("explanation", "What drives the difference", _explanation(document), css="explanation")
        + (_section("menus", "IVR menus side by side", menus) if (menus := _menu_diagrams(images, labels)) else "")
        + _section("plots", "Plots", _plots(images, COMPARE_PLOT_CAPTIONS, "comparison"))
        + _section("definitions", "KPI definitions", _definitions(definitions))
    )
    nav = [("scenarios", "Scenarios"), ("kpis", "KPIs"), ("targets", "Targets"), ("queues", "Per queue"),
           ("intervals", "Per interval"), ("explanation", "Explanation"),
           ("plots", "Plots"), ("definitions", "Definitions")]
    return _page("Comparison: " + " vs ".join(labels), nav, sections, COMPARISON_FILE, document.get("versions", {}),
                 notes)


# --- from a results folder ---------------------------------------------------------------------


def results_folder(results_dir) -> Path:
    """`results_dir` checked to be a folder (not a file, a name too long, nothing)."""
    try:
        return readable_folder(results_dir, "a results folder", "give the folder a callsim command wrote its results "
                               "to (results/<scenario name>/ unless -o said otherwise)")
    except UserError as exc:
        raise ResultsDirError(str(exc)) from None


def report_from_dir(results_dir) -> str:
    """The report page for a results folder: the run report from what `callsim run` left there
    (kpis.json and its PNGs), or the comparison report from what `callsim compare` left
    (comparison.json and its PNGs). A folder holding both gets the report of the newer."""
    folder = results_folder(results_dir)
    kpis, comparison = folder / "kpis.json", folder / COMPARISON_FILE
    if comparison.is_file() and (not kpis.is_file() or comparison.stat().st_mtime_ns >= kpis.stat().st_mtime_ns):
        return _comparison_report_from_dir(folder, comparison)
    if not kpis.is_file():
        raise ResultsDirError(f"{folder}: no kpis.json or {COMPARISON_FILE} in this folder; run 'callsim run SCENARIO "
                              f"-o {folder}' or 'callsim compare A.yaml B.yaml -o {folder}' first")
    return _run_report_from_dir(folder, kpis)


def _read_document(path: Path, required: tuple[str, ...]) -> dict:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsDirError(f"{path}: not a readable {path.name} ({exc})") from None
    missing = [key for key in required if key not in (document if isinstance(document, dict) else {})]
    if missing:
        raise ResultsDirError(f"{path}: not a callsim {path.name} (no {', '.join(missing)})")
    return document


def _matching_images(folder: Path, names, key: str, expected: str) -> tuple[dict[str, bytes], list[str]]:
    """The PNGs among `names` in `folder` stamped `key` = `expected`, and the names of the others."""
    from .run_plots import png_text

    images, stale = {}, []
    for name in names:
        path = folder / name
        if path.is_file():
            data = path.read_bytes()
            if png_text(data).get(key) == expected:
                images[name] = data
            else:
                stale.append(name)
    return images, stale


def _run_report_from_dir(folder: Path, kpis: Path) -> str:
    from .run_plots import PLOT_FILES, RUN_ID_KEY, run_id

    document = _read_document(kpis, ("scenario", "day", "intervals", "definitions", "targets"))
    expected = run_id(document["scenario"], document.get("seed"), document.get("replications"))
    images, stale = _matching_images(folder, (*PLOT_FILES, MENU_DIAGRAM_FILE), RUN_ID_KEY, expected)
    notes = [f"Left out, drawn for a different run than kpis.json: {', '.join(stale)}. "
             "Run 'callsim run' again without --no-plots to redraw them."] if stale else []
    return render_report(document, images, notes)


def _comparison_report_from_dir(folder: Path, path: Path) -> str:
    from .compare_plots import COMPARE_FILES, COMPARISON_ID_KEY, document_comparison_id

    document = _read_document(path, ("scenarios", "kpis", "explanation"))
    scenarios = document["scenarios"]
    if not (isinstance(scenarios, list) and len(scenarios) >= 2 and all(isinstance(s, dict) for s in scenarios)
            and isinstance(document["kpis"], dict) and isinstance(document["explanation"], dict)):
        raise ResultsDirError(f"{path}: not a callsim {path.name} (no list of the scenarios compared)")
    diagrams = [f"{COMPARISON_DIAGRAM_PREFIX}{_letter(i)}.png" for i in range(len(scenarios))]
    images, stale = _matching_images(folder, (*COMPARE_FILES, *diagrams), COMPARISON_ID_KEY,
                                     document_comparison_id(document))
    notes = [f"Left out, drawn for a different comparison than {COMPARISON_FILE}: {', '.join(stale)}. "
             "Run 'callsim compare' again without --no-plots to redraw them."] if stale else []
    return render_comparison_report(document, images, notes)
