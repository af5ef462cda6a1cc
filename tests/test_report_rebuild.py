"""`callsim report RESULTS_DIR` rebuilds every page the folder holds the document for.

A folder with a schedule and an optimisation in it: both pages are deleted and rebuilt from
schedule.json and optimize.json with the PNGs beside them. The schedule page comes back byte for
byte; the optimisation page comes back with the same tables (its run plots exist only in memory,
and it says so). Negative controls: plots from an earlier run with another seed are left out with
a note, and a folder with no document is a one-line refusal.
"""
from __future__ import annotations

import base64
import re

from helpers import HELP_DESK, assert_user_error, run_cli
from test_schedule import write_scenario

# converged (a round limit is NOT CONVERGED, exit 3): help desk with 3 replications takes about 5 iterations
OPTIMIZE = ("optimize", HELP_DESK, "-r", "3", "-w", "1", "--max-iterations", "20", "-q")


def _section(page: str, anchor: str) -> str:
    match = re.search(rf'<section id="{anchor}".*?</section>', page, re.S)
    assert match, anchor
    return match.group(0)


def test_report_rebuilds_schedule_and_optimize_pages(tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "schedule", write_scenario(tmp_path), "-o", out, "--report")
    assert code == 0, err
    code, _, err = run_cli(capsys, *OPTIMIZE, "-o", out, "--report")
    assert code == 0, err
    schedule_page = (out / "schedule_report.html").read_text()
    optimize_page = (out / "optimize_report.html").read_text()
    (out / "schedule_report.html").unlink()
    (out / "optimize_report.html").unlink()

    code, stdout, err = run_cli(capsys, "report", out)
    assert code == 0, err
    assert stdout.count("written: ") == 2
    assert (out / "schedule_report.html").read_text() == schedule_page
    rebuilt = (out / "optimize_report.html").read_text()
    for anchor in ("summary", "staffing", "day"):
        assert _section(rebuilt, anchor) == _section(optimize_page, anchor), anchor
    for png in ("optimize_staffing.png", "optimize_kpis.png"):
        assert base64.b64encode((out / png).read_bytes()).decode("ascii") in rebuilt, png
    assert "Left out" not in rebuilt


def test_plots_of_an_earlier_optimisation_are_left_out(tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli(capsys, *OPTIMIZE, "-o", out)[0] == 0
    old_png = (out / "optimize_staffing.png").read_bytes()
    assert run_cli(capsys, *OPTIMIZE, "-o", out, "--no-plots", "--seed", "99")[0] == 0  # the PNGs stay behind
    assert run_cli(capsys, "report", out)[0] == 0
    page = (out / "optimize_report.html").read_text()
    assert "Left out, drawn for a different result than optimize.json: optimize_staffing.png" in page
    assert base64.b64encode(old_png).decode("ascii") not in page


def test_a_folder_without_documents_is_refused(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, out, err = run_cli(capsys, "report", tmp_path / "empty")
    assert_user_error(code, out, err, "no kpis.json, comparison.json, schedule.json or optimize.json")
    assert list((tmp_path / "empty").iterdir()) == []


def test_an_unreadable_document_does_not_stop_the_other_pages(tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli(capsys, "run", HELP_DESK, "-r", "2", "-w", "1", "--no-plots", "-q", "-o", out)[0] == 0
    (out / "optimize.json").write_text('{"scenario": "x"}')  # not an optimize.json callsim wrote
    code, stdout, err = run_cli(capsys, "report", out)
    assert code == 0 and stdout.startswith("written: ") and (out / "report.html").is_file()
    assert "warning: optimize_report.html not rebuilt:" in err and "not a callsim optimize.json" in err
    assert not (out / "optimize_report.html").exists()
    (out / "kpis.json").unlink()  # only the broken document left: a one-line refusal
    code, stdout, err = run_cli(capsys, "report", out)
    assert_user_error(code, stdout, err, "not a callsim optimize.json")
