"""Plots and the HTML report: every shipped scenario draws, the page holds everything and is
self-contained, `callsim report` handles bad folders, and a real headless Chromium renders it."""
from __future__ import annotations

import base64
import dataclasses
import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from browser import assert_real_png, screenshot_in_chromium
from simulator import load_scenario, run_scenario, scenario_from_dict
from presentation.documents import result_document
from presentation.report import render_report, report_from_dir
from presentation.run_plots import (PLOT_FILES, RUN_ID_KEY, png_text, queue_length_png, result_run_id, run_plots,
                                    wait_distribution_png)
from helpers import HELP_DESK, SHIPPED_SCENARIOS, assert_user_error, run_cli

SCENARIOS = SHIPPED_SCENARIOS
_RESULTS: dict[Path, object] = {}
_PLOTS: dict[Path, dict[str, bytes]] = {}


def result_of(path: Path):
    """A short run of a scenario (2 replications: enough for CIs), cached for the module."""
    if path not in _RESULTS:
        scenario = load_scenario(path)
        workers = 2 if sum(scenario.arrivals.calls) > 20_000 else 1  # large_centre: ~1 s per replication
        _RESULTS[path] = run_scenario(scenario, replications=2, seed=3, workers=workers)
    return _RESULTS[path]


def plots_of(path: Path) -> dict[str, bytes]:
    if path not in _PLOTS:
        _PLOTS[path] = run_plots(result_of(path))
    return _PLOTS[path]


def help_desk_dict() -> dict:
    return yaml.safe_load(HELP_DESK.read_text())


# --- plots -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_gets_every_plot(path):
    result = result_of(path)
    plots = plots_of(path)
    assert list(plots) == list(PLOT_FILES)
    for name, data in plots.items():
        assert_real_png(data)
        assert png_text(data)[RUN_ID_KEY] == result_run_id(result), name


def test_plots_survive_odd_days_and_unknown_outcome_codes():
    # a day where nobody waits (far too many agents), and one with no calls at all
    quiet = help_desk_dict() | {"name": "Costs $5 vs $6_a^b {x}"}
    quiet["agents"][0]["staffing"] = [60] * 8
    empty = help_desk_dict() | {"arrivals": {"calls": [0] * 8}}
    for data in (quiet, empty):
        result = run_scenario(scenario_from_dict(data), replications=2, seed=1)
        assert set(run_plots(result)) == set(PLOT_FILES)

    # outcome codes this module has never heard of are drawn generically, not dropped or fatal
    result = result_of(HELP_DESK)
    records = result.sample_day.records
    outcome = records.outcome.copy()
    waited = np.flatnonzero(records.wait_s > 0)
    outcome[waited[::3]] = 42
    odd_day = dataclasses.replace(result.sample_day, records=dataclasses.replace(records, outcome=outcome))
    odd_result = dataclasses.replace(result, sample_day=odd_day)
    assert_real_png(wait_distribution_png(odd_result))
    assert_real_png(queue_length_png(odd_result))

    # without a sample day, the per-interval plots are still drawn
    assert list(run_plots(dataclasses.replace(result, sample_day=None))) == list(PLOT_FILES[:3])


def test_interval_labels_are_thinned_to_whole_hours():
    from presentation.run_plots import _label_positions

    assert _label_positions(8 * 60, 30, 8) == list(range(8))  # few intervals: every one
    positions = _label_positions(7 * 60, 30, 34)  # the retail bank: 07:00-24:00
    assert len(positions) <= 14 and all((7 * 60 + 30 * k) % 60 == 0 for k in positions)
    positions = _label_positions(7 * 60 + 30, 30, 34)  # starting on the half hour
    assert positions[0] == 1 and len(positions) <= 14


# --- report ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_report_holds_kpis_targets_plots_and_definitions(path):
    result = result_of(path)
    document = result_document(result)
    images = plots_of(path)
    page = render_report(document, images)
    for name in result.kpi_names:
        assert f"<code>{name}</code>" in page or f">{name}</code>" in page, name
    for name, data in images.items():
        assert f'src="data:image/png;base64,{base64.b64encode(data).decode()}"' in page, name
    for text in document["definitions"].values():
        assert html.escape(text) in page
    for check in result.targets:
        assert html.escape(check.label) in page
        assert f'<span class="status {check.status}">{check.status}</span>' in page
    assert html.escape(result.scenario.name) in page
    for k in result.shown_intervals:  # a week's: each date's open intervals (not the closed hours between)
        assert f"<td>{result.interval_labels[k]}</td>" in page
    if result.timeline is not None:
        assert "<td>00:00</td>" not in page  # retail_bank_week opens at 07:00: its nights are left out
        for day in result.timeline.days:
            assert f'<td class="text">{day.date}</td>' in page
    # self-contained: no scripts, nothing fetched
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page)
    assert "url(" not in page and "@import" not in page


def test_report_escapes_scenario_text():
    data = help_desk_dict() | {"name": '<script>alert("x")</script> & Co', "description": "<b>bold</b> & <i>"}
    data["queues"][0]["name"] = "<q>"
    data["agents"][0]["serves"] = ["<q>"]
    result = run_scenario(scenario_from_dict(data), replications=2, seed=1)
    page = render_report(result_document(result), {})
    assert "<script>" not in page and "<b>bold</b>" not in page and "<q>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;" in page
    assert "No plots" in page


# --- command line ----------------------------------------------------------------------------


def test_run_writes_plots_by_default_and_report_on_request(tmp_path, capsys):
    out = tmp_path / "hd"
    code, stdout, err = run_cli(capsys, "run", HELP_DESK, "-r", 2, "-w", 1, "-o", out, "-q", "--report")
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == {"kpis.json", "intervals.csv", "report.html", *PLOT_FILES}
    assert "report.html" in stdout
    for name in PLOT_FILES:
        assert_real_png((out / name).read_bytes())
    written_by_run = (out / "report.html").read_text()
    assert report_from_dir(out) == written_by_run  # same page from the folder

    code, stdout, err = run_cli(capsys, "report", out)
    assert code == 0 and stdout.strip() == f"written: {out / 'report.html'}", err
    assert (out / "report.html").read_text() == written_by_run

    # --no-plots, another seed: the old PNGs no longer match kpis.json, and the report says so
    code, _, err = run_cli(capsys, "run", HELP_DESK, "-r", 2, "-w", 1, "-s", 11, "-o", out, "-q", "--no-plots")
    assert code == 0, err
    page = report_from_dir(out)
    assert "data:image/png" not in page and "drawn for a different run" in page

    fresh = tmp_path / "fresh"
    code, _, err = run_cli(capsys, "run", HELP_DESK, "-r", 2, "-w", 1, "-o", fresh, "-q", "--no-plots")
    assert code == 0, err
    assert {p.name for p in fresh.iterdir()} == {"kpis.json", "intervals.csv"}


@pytest.mark.parametrize("case", ["missing folder", "no kpis.json", "broken kpis.json", "not a kpis.json"])
def test_report_command_on_a_bad_folder_is_one_line_exit_2(case, tmp_path, capsys):
    folder = tmp_path / "results"
    if case != "missing folder":
        folder.mkdir()
    if case == "broken kpis.json":
        (folder / "kpis.json").write_text("{not json")
    if case == "not a kpis.json":
        (folder / "kpis.json").write_text(json.dumps({"hello": 1}))
    assert_user_error(*run_cli(capsys, "report", folder), "callsim: error: ", str(folder))
    assert not (folder / "report.html").exists()


# --- a real browser ----------------------------------------------------------------------------


def test_report_renders_in_headless_chromium_without_console_errors(tmp_path, capsys):
    out = tmp_path / "hd"
    code, _, err = run_cli(capsys, "run", HELP_DESK, "-r", 3, "-w", 1, "-o", out, "-q", "--report")
    assert code == 0, err
    screenshot_in_chromium(out / "report.html", tmp_path)
