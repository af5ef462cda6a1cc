"""The comparison report: `callsim compare --report` and `callsim report` on a comparison folder
write one self-contained page holding every KPI per scenario, the paired differences with their
significance, the targets, the explanation and every plot; a real headless Chromium renders it."""
from __future__ import annotations

import base64
import html
import json
import os
import re

import pytest

from browser import screenshot_in_chromium
from simulator import load_scenario, scenario_from_dict
from presentation.compare_output import comparison_document, explain
from presentation.compare_plots import COMPARE_FILES, comparison_plots
from presentation.documents import to_json
from presentation.report import COUNT_UNITS, render_comparison_report, report_from_dir
from simulator.kpi_table import KPI
from presentation.text import format_pm
from studies.compare import compare_scenarios
from studies.sweep import point_scenario
from helpers import HELP_DESK, IVR_BROAD, IVR_DEEP, SCENARIO_DIR, assert_user_error, run_cli

DIFFERENCE_FILES = ("differences_by_interval.csv", "differences_by_queue.csv")

SCENARIOS = SCENARIO_DIR
DEEP, BROAD = IVR_DEEP, IVR_BROAD


@pytest.fixture(scope="module")
def comparison():
    """The help desk, the same with one more agent (a significant ASA drop), and a bank with an
    IVR (KPIs the help desk does not report: absent)."""
    base = load_scenario(HELP_DESK)
    c = compare_scenarios([base, point_scenario(base, agents=1, relative=True), load_scenario(BROAD)],
                          ["desk", "plus one", "bank"], replications=4, seed=5)
    document = json.loads(to_json(comparison_document(c, files=["desk.yaml", "plus_one.yaml", "bank.yaml"])))
    return c, document, comparison_plots(c)


def cell_text(page: str, css: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(rf'<td class="{css}"[^>]*>([^<]*)<span class="mark">', page)]


def test_page_holds_every_kpi_difference_target_plot_and_the_explanation(comparison):
    c, document, images = comparison
    page = render_comparison_report(document, images)
    assert c.difference(1, "asa").significant  # the test can see a significance mark

    for name in c.kpis:
        assert f">{name}</code>" in page, name
        for i in range(len(c.labels)):
            estimate = c.estimate(i, name)
            if estimate is not None:
                assert html.escape(format_pm(name, estimate.mean, estimate.ci95)) in page, (name, i)
    # every difference, in its cell, marked when significant (the KPI table of the whole day: the
    # per-queue and per-interval sections have cells of their own; counts carry their unit)
    kpi_section = page.split('id="kpis"')[1].split("</section>")[0]
    significant, plain, absent = [], [], 0
    for name in c.kpis:
        for i in range(1, len(c.labels)):
            diff = c.difference(i, name)
            if diff is None:
                absent += 1
                continue
            text = format_pm(name, diff.mean, diff.ci95, signed=True) + COUNT_UNITS.get(KPI[name].unit, "")
            (significant if diff.significant else plain).append(text)
    assert sorted(cell_text(kpi_section, "sig")) == sorted(significant) and significant
    assert sorted(cell_text(kpi_section, "diff")) == sorted(plain)
    assert kpi_section.count('<span class="mark">*</span>') == len(significant)
    # absent KPIs are shown as absent, never as 0
    missing_values = sum(c.estimate(i, name) is None for name in c.kpis for i in range(len(c.labels)))
    assert absent > 0 and missing_values > 0
    assert kpi_section.count('<span class="absent">absent</span>') == absent + missing_values + 1  # + the legend's

    for i, (label, run) in enumerate(zip(c.labels, c.runs)):
        assert html.escape(label) in page and html.escape(run.scenario.name) in page
        assert html.escape(run.scenario.description) in page
        assert html.escape(document["scenarios"][i]["file"]) in page
        for check in run.targets:
            assert html.escape(check.label) in page
    statuses = re.findall(r'<span class="status (\w+)">', page.split('id="targets"')[1].split("</section>")[0])
    assert sorted(statuses) == sorted(check.status for run in c.runs for check in run.targets)
    assert "Differs from A (desk) in:</strong> staffing" in page
    for i in (1, 2):
        for sentence in explain(c, i):
            assert f"<p>{html.escape(sentence)}</p>" in page
    for name, data in images.items():
        assert f'src="data:image/png;base64,{base64.b64encode(data).decode()}"' in page, name
    # the per-interval plot: the desk and plus one (the bank's day is laid out otherwise: not in it)
    assert list(images) == list(COMPARE_FILES)
    for name in c.kpis:
        assert html.escape(document["kpis"][name]["definition"]) in page
    # self-contained: no scripts, nothing fetched
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page)
    assert "url(" not in page and "@import" not in page


def test_comparison_page_escapes_labels_and_scenario_text():
    data = json.loads(to_json(load_scenario(HELP_DESK).model_dump(mode="json", exclude_none=True)))
    data |= {"name": '<script>alert("x")</script> & Co', "description": "<b>bold</b> & <i>"}
    data["queues"][0]["name"] = "<q>"
    data["agents"][0]["serves"] = ["<q>"]
    scenario = scenario_from_dict(data)
    c = compare_scenarios([scenario, scenario], ["<a&b>", "<img>"], replications=2, seed=1)
    page = render_comparison_report(comparison_document(c, files=['"quoted".yaml', "x.yaml"]), {})
    for raw in ("<script>", "<b>bold</b>", "<q>", "<a&b>", "<img>", '"quoted"'):
        assert raw not in page, raw
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page
    assert "&lt;a&amp;b&gt;" in page and "&lt;img&gt;" in page and "&quot;quoted&quot;.yaml" in page
    assert "No plots (the comparison was made with <code>--no-plots</code>)" in page
    assert "every difference is exactly 0" in page


# --- command line ----------------------------------------------------------------------------


def test_compare_writes_the_report_on_request_and_keeps_it_fresh(tmp_path, capsys):
    out = tmp_path / "cmp"
    code, stdout, err = run_cli(capsys, "compare", HELP_DESK, DEEP, "-r", 3, "-s", 2, "-o", out, "-w", 1, "-q",
                                "--report")
    assert code == 0, err
    assert "report.html" in stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["comparison.json", "comparison.csv", "report.html", *DIFFERENCE_FILES, "ivr_menu_B.png",  # B has an IVR
         *(name for name in COMPARE_FILES if name != "compare_intervals.png")])  # days laid out differently
    written = (out / "report.html").read_text()
    assert "Comparison: help_desk vs ivr_deep_menu" in written and "seed 2." in written
    assert report_from_dir(out) == written  # the same page from the folder

    code, stdout, err = run_cli(capsys, "report", out)
    assert code == 0 and stdout.strip() == f"written: {out / 'report.html'}", err
    assert (out / "report.html").read_text() == written

    # a new comparison into the folder regenerates the report, even without --report
    code, _, err = run_cli(capsys, "compare", HELP_DESK, DEEP, "-r", 3, "-s", 7, "-o", out, "-w", 1, "-q")
    assert code == 0, err
    fresh = (out / "report.html").read_text()
    assert "seed 7." in fresh and fresh == report_from_dir(out) and "data:image/png" in fresh

    # --no-plots and another seed: the old PNGs no longer match comparison.json, and the page says so
    code, _, err = run_cli(capsys, "compare", HELP_DESK, DEEP, "-r", 3, "-s", 8, "-o", out, "-w", 1, "-q",
                           "--no-plots")
    assert code == 0, err
    page = (out / "report.html").read_text()
    assert "data:image/png" not in page and "No plots" in page
    page = report_from_dir(out)
    assert "data:image/png" not in page and "drawn for a different comparison" in page

    plain = tmp_path / "plain"
    code, _, err = run_cli(capsys, "compare", HELP_DESK, HELP_DESK, "-r", 2, "-o", plain, "-w", 1, "-q", "--no-plots")
    assert code == 0, err
    assert sorted(p.name for p in plain.iterdir()) == ["comparison.csv", "comparison.json", *DIFFERENCE_FILES]


def test_a_folder_with_a_run_and_a_comparison_gets_the_report_of_the_newer(tmp_path, capsys):
    out = tmp_path / "both"
    assert run_cli(capsys, "compare", HELP_DESK, HELP_DESK, "-r", 2, "-o", out, "-w", 1, "-q", "--no-plots")[0] == 0
    assert run_cli(capsys, "run", HELP_DESK, "-r", 2, "-o", out, "-w", 1, "-q", "--no-plots")[0] == 0
    assert "The day against the targets" in report_from_dir(out)
    comparison = out / "comparison.json"
    later = (out / "kpis.json").stat().st_mtime_ns + 1_000_000_000
    os.utime(comparison, ns=(later, later))
    assert "KPIs and paired differences" in report_from_dir(out)


@pytest.mark.parametrize("case", ["broken", "not a comparison", "one scenario"])
def test_report_command_on_a_bad_comparison_is_one_line_exit_2(case, tmp_path, capsys):
    folder = tmp_path / "results"
    folder.mkdir()
    content = {"broken": "{not json",
               "not a comparison": json.dumps({"hello": 1}),
               "one scenario": json.dumps({"scenarios": [{"label": "a"}], "kpis": {}, "explanation": {}})}[case]
    (folder / "comparison.json").write_text(content)
    assert_user_error(*run_cli(capsys, "report", folder), "callsim: error: ", str(folder))
    assert not (folder / "report.html").exists()


# --- a real browser ----------------------------------------------------------------------------


def test_comparison_report_renders_in_headless_chromium_without_console_errors(tmp_path, capsys):
    out = tmp_path / "cmp"
    code, _, err = run_cli(capsys, "compare", HELP_DESK, BROAD, "-r", 3, "-o", out, "-w", 1, "-q", "--report")
    assert code == 0, err
    screenshot_in_chromium(out / "report.html", tmp_path)
