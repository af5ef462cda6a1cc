"""A self-contained HTML report of a run: one file, no scripts, no network.

`render_report(document, images)` turns a kpis.json document (`output.result_document`) and the
plots (`plots.run_plots`, PNG bytes) into one HTML page: the scenario, the day's KPIs against
the targets, the per-interval table, the plots (embedded as base64 data URIs) and the KPI
definitions. CSS is inline; a Content-Security-Policy forbids anything but inline styles and
data: images, so the page renders identically offline, from a mail attachment or an archive.
Every piece of text from the document is escaped with `html.escape`.

`report_from_dir(folder)` does the same from what `callsim run` left in a results folder. A PNG
whose `callsim-run` stamp does not match kpis.json (left over from an earlier run, e.g. one
with `--no-plots` or another seed) is left out, and the page says so.
"""
from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

from .output import INTERVAL_COLUMNS, format_value

REPORT_FILE = "report.html"

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
    "queue_length.png": ("Queue length (one simulated day)",
                         "Callers waiting through the clock day on one simulated day (replication 0), with the "
                         "time-weighted mean per interval over all replications."),
}
STATUS_TEXT = {"met": "met", "missed": "missed", "uncertain": "uncertain"}

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
dl.definitions dt { font-weight: 600; margin-top: 8px; }
dl.definitions dd { margin: 2px 0 0 1.5em; color: #333; }
footer { margin-top: 40px; color: #666; font-size: 0.85em; }
@media print { body { background: #fff; } main { padding: 0; } th { position: static; } figure { break-inside: avoid; } }
"""


class ResultsDirError(Exception):
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


def _summary(document: dict) -> str:
    scenario = document.get("scenario", {})
    intervals = document.get("intervals", [])
    n = len(intervals)
    minutes = scenario.get("interval_minutes")
    start = scenario.get("start", "")
    facts: list[tuple[str, str]] = []
    if minutes and start:
        hours, mins = (int(part) for part in start.split(":"))
        end = _clock(hours * 60 + mins + n * minutes)
        facts.append(("Intervals", f"{n} \u00d7 {minutes} min, {start}\u2013{end}"))
    else:
        facts.append(("Intervals", str(n)))
    facts.append(("Replications", f"{document.get('replications', '?')} independent days; "
                                  "every estimate is their mean with a 95% t confidence interval"))
    facts.append(("Seed", str(document.get("seed", "?"))))
    queues = [q.get("name", "?") for q in scenario.get("queues", [])]
    if queues:
        facts.append(("Queues", ", ".join(queues)))
    for group in scenario.get("agents", []):
        staffing = group.get("staffing") or [0]
        low, high = min(staffing), max(staffing)
        size = f"{low} agents" if low == high else f"{low}\u2013{high} agents"
        facts.append((f"Agent group \u201c{group.get('name', '?')}\u201d",
                      f"serves {', '.join(group.get('serves', []))}; {size} per interval"))
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    description = scenario.get("description", "")
    lead = f'<p class="lead">{_e(description)}</p>' if description else ""
    return f"{lead}<dl class=\"facts\">{rows}</dl>"


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
    counts = {}
    for check in document.get("targets", []):
        counts[check.get("status")] = counts.get(check.get("status"), 0) + 1
    tally = ", ".join(f"{count} {_e(STATUS_TEXT.get(status, status))}" for status, count in counts.items())
    return (
        f"<p>Targets: {tally or 'none'}. <span class=\"note\">\u201cuncertain\u201d: the 95% confidence interval "
        "straddles the target, so more replications are needed to say.</span></p>"
        "<div class=\"scroll\"><table><thead><tr><th>KPI (whole day)</th><th>mean</th><th>95% CI</th>"
        "<th class=\"text\">target</th><th class=\"text\">status</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _interval_table(document: dict) -> str:
    intervals = document.get("intervals", [])
    if not intervals:
        return "<p>No intervals.</p>"
    columns = [(name, title) for name, title in INTERVAL_COLUMNS if name in intervals[0]]
    groups = document.get("scenario", {}).get("agents", [])
    header = "<th>interval</th><th>agents</th>" + "".join(
        f"<th title=\"{_e(name)}\">{_e(title)}</th>" for name, title in columns)
    rows = []
    for k, row in enumerate(intervals):
        agents = sum(g["staffing"][k] for g in groups if k < len(g.get("staffing", [])))
        cells = "".join(
            f"<td title=\"95% CI {_e(_ci_text(name, row.get(name)))}\">{_e(_mean_text(name, row.get(name)))}</td>"
            if _ci_text(name, row.get(name)) else f"<td>{_e(_mean_text(name, row.get(name)))}</td>"
            for name, _ in columns
        )
        rows.append(f"<tr><td>{_e(row.get('interval', k))}</td><td>{_e(agents)}</td>{cells}</tr>")
    return (
        "<p class=\"note\">Means over replications, by the interval in which calls arrived; hover a value for its "
        "95% confidence interval. Every KPI of every interval, with confidence bounds, is in "
        "<code>intervals.csv</code> and <code>kpis.json</code>.</p>"
        f"<div class=\"scroll\"><table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _plots(images: dict[str, bytes]) -> str:
    if not images:
        return "<p class=\"note\">No plots (the run was made with <code>--no-plots</code>).</p>"
    ordered = [name for name in PLOT_CAPTIONS if name in images] + sorted(set(images) - set(PLOT_CAPTIONS))
    figures = []
    for name in ordered:
        heading, caption = PLOT_CAPTIONS.get(name, (name, ""))
        data = base64.b64encode(images[name]).decode("ascii")
        figures.append(
            f"<figure id=\"plot-{_e(name.rsplit('.', 1)[0])}\">"
            f"<figcaption><strong>{_e(heading)}.</strong> {_e(caption)} <span class=\"note\">({_e(name)})</span>"
            f"</figcaption><img src=\"data:image/png;base64,{data}\" alt=\"{_e(heading)}\" width=\"1100\"></figure>"
        )
    return "".join(figures)


def _definitions(document: dict) -> str:
    items = "".join(
        f"<dt><code>{_e(name)}</code></dt><dd>{_e(text)}</dd>" for name, text in document.get("definitions", {}).items()
    )
    return f"<dl class=\"definitions\">{items}</dl>"


def render_report(document: dict, images: dict[str, bytes], notes: list[str] | None = None) -> str:
    """The report page for a kpis.json `document` and its plots ({file name: PNG bytes}).

    `notes` are shown as warnings at the top (e.g. plots left out as stale).
    """
    scenario = document.get("scenario", {})
    name = scenario.get("name", "callsim run")
    versions = document.get("versions", {})
    version_text = ", ".join(f"{k} {v}" for k, v in versions.items())
    warnings = "".join(f"<p class=\"warning\">{_e(note)}</p>" for note in notes or [])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="generator" content="callsim">
<title>{_e(name)} \u2013 callsim report</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header>
<h1>{_e(name)}</h1>
<nav><a href="#day">Day KPIs</a><a href="#intervals">Per interval</a><a href="#plots">Plots</a><a href="#definitions">Definitions</a></nav>
</header>
{warnings}
<section id="scenario">{_summary(document)}</section>
<section id="day"><h2>The day against the targets</h2>{_day_table(document)}</section>
<section id="intervals"><h2>Per interval</h2>{_interval_table(document)}</section>
<section id="plots"><h2>Plots</h2>{_plots(images)}</section>
<section id="definitions"><h2>KPI definitions</h2>{_definitions(document)}</section>
<footer>Generated by callsim from <code>kpis.json</code>. {_e(version_text)}</footer>
</main>
</body>
</html>
"""


def report_from_dir(results_dir) -> str:
    """The report page for a results folder written by `callsim run` (kpis.json and its PNGs)."""
    from .plots import PLOT_FILES, RUN_ID_KEY, png_text, run_id

    folder = Path(results_dir)
    if not folder.is_dir():
        raise ResultsDirError(f"{folder}: no such results folder; run 'callsim run SCENARIO -o {folder}' first")
    kpis = folder / "kpis.json"
    if not kpis.is_file():
        raise ResultsDirError(f"{folder}: no kpis.json in this folder; run 'callsim run SCENARIO -o {folder}' first")
    try:
        document = json.loads(kpis.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsDirError(f"{kpis}: not a readable kpis.json ({exc})") from None
    missing = [key for key in ("scenario", "day", "intervals", "definitions", "targets") if key not in (
        document if isinstance(document, dict) else {})]
    if missing:
        raise ResultsDirError(f"{kpis}: not a callsim kpis.json (no {', '.join(missing)})")
    expected = run_id(document["scenario"], document.get("seed"), document.get("replications"))
    images, stale = {}, []
    for name in PLOT_FILES:
        path = folder / name
        if path.is_file():
            data = path.read_bytes()
            if png_text(data).get(RUN_ID_KEY) == expected:
                images[name] = data
            else:
                stale.append(name)
    notes = [f"Left out, drawn for a different run than kpis.json: {', '.join(stale)}. "
             "Run 'callsim run' again without --no-plots to redraw them."] if stale else []
    return render_report(document, images, notes)
