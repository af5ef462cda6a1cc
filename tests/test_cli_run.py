"""`callsim run / validate / schema` as a user runs them: outputs, errors, reproducibility."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from conftest import REPO
from helpers import HELP_DESK, SHIPPED_SCENARIOS, assert_user_error, run_cli

SCENARIOS = SHIPPED_SCENARIOS

CANONICAL = """\
schema_version: 1
name: Help desk, steady morning
interval_minutes: 30
start: "08:00"
arrivals:
  calls: [60, 60, 60, 60, 60, 60, 60, 60]
queues:
  - name: support
    talk_time: {dist: lognormal, mean: 240, cv: 0.8}
    acw: {dist: exponential, mean: 45}
    patience: {dist: exponential, mean: 180}
agents:
  - name: support team
    serves: [support]
    staffing: [10, 10, 10, 10, 10, 10, 10, 10]
targets:
  service_level: {fraction: 0.8, within: 20}
  asa: 30
  abandon_rate: 0.05
  occupancy: [0.75, 0.85]
"""


def test_canonical_scenario_from_the_issue_runs_exactly_as_written(tmp_path, capsys):
    path = tmp_path / "canonical.yaml"
    path.write_text(CANONICAL)
    code, out, err = run_cli(capsys, "run", path, "-r", 3, "-o", tmp_path / "out")
    assert code == 0, err
    assert "service_level" in out and "met" in out or "missed" in out
    document = json.loads((tmp_path / "out" / "kpis.json").read_text())
    assert document["replications"] == 3
    assert len(document["intervals"]) == 8


def test_run_writes_kpis_json_and_csv_with_the_same_keys(tmp_path, capsys):
    out = tmp_path / "res"
    code, stdout, err = run_cli(capsys, "run", HELP_DESK, "-r", 4, "--seed", 5, "-o", out, "--json")
    assert code == 0, err
    document = json.loads(stdout)
    assert document == json.loads((out / "kpis.json").read_text())
    assert document["seed"] == 5 and document["replications"] == 4
    assert set(document["definitions"]) == set(document["day"])
    for name, value in document["day"].items():
        assert set(value) == {"mean", "ci95"}, name
    header = (out / "intervals.csv").read_text().splitlines()[0].split(",")
    assert set(header[1::3]) == set(document["day"])
    rows = (out / "intervals.csv").read_text().splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == [i["interval"] for i in document["intervals"]] + ["day"]
    assert document["versions"]["simpy"]
    assert document["scenario"]["name"] == "Help desk, steady morning"


def test_same_seed_same_results_and_workers_do_not_matter(tmp_path, capsys):
    docs = []
    for workers in (1, 2, 1):
        out = tmp_path / f"w{workers}-{len(docs)}"
        code, _, err = run_cli(capsys, "run", HELP_DESK, "-r", 4, "-w", workers, "-o", out, "-q")
        assert code == 0, err
        document = json.loads((out / "kpis.json").read_text())
        docs.append((document["day"], document["intervals"]))
    assert docs[0] == docs[1] == docs[2]
    code, _, _ = run_cli(capsys, "run", HELP_DESK, "-r", 4, "--seed", 99, "-o", tmp_path / "other", "-q")
    other = json.loads((tmp_path / "other" / "kpis.json").read_text())["day"]
    assert other != docs[0][0]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_validates_and_runs(path, tmp_path, capsys):
    code, out, err = run_cli(capsys, "validate", path)
    assert code == 0 and out.startswith(f"{path}: OK"), err
    from simulator import check_conservation, load_scenario, simulate_replication
    from simulator.kpis import replication_kpis

    scenario = load_scenario(path)
    assert scenario.description, "every shipped scenario says what it shows and where its numbers come from"
    # one replication of the full day, conservation and sanity of the KPIs
    result = simulate_replication(scenario, seed=1, replication=0)
    check_conservation(result)
    kpi = replication_kpis(result, scenario)
    day = {k: v[-1] for k, v in kpi.items()}
    outcomes = ("answered", "abandoned", "balked", "unserved", "ivr_contained", "ivr_abandoned",
                "callbacks_completed", "callbacks_failed", "blocked", "messages",
                "disconnected_at_close")
    assert day["offered"] == sum(day.get(name, 0) for name in outcomes)
    first_calls = day.get("unique_callers", day["offered"])  # redials and repeat calls come on top
    assert first_calls == pytest.approx(sum(scenario.arrivals.calls), rel=0.25)
    assert 0 < day["occupancy"] <= 1 and 0 <= day["service_level"] <= 1


def test_schema_command_prints_json_schema(capsys):
    code, out, _ = run_cli(capsys, "schema")
    schema = json.loads(out)
    assert code == 0 and "queues" in schema["properties"]


BASE = HELP_DESK.read_text()

BAD_INPUTS = {
    "unknown key": (BASE.replace("talk_time:", "talk_tme:"), r"queues\[0\]\.talk_tme: unknown key 'talk_tme'; did you mean 'talk_time'\?"),
    "negative mean": (BASE.replace("mean: 45", "mean: -45"), r"queues\[0\]\.acw\.mean: must be greater than 0"),
    "cv missing": (BASE.replace(", cv: 0.8", ""), r"queues\[0\]\.talk_time\.cv: is required"),
    "array lengths": (BASE.replace("staffing: [10, 10, 10, 10, 10, 10, 10, 10]", "staffing: [10, 10]"),
                      r"agents\[0\]\.staffing: has 2 intervals but arrivals\.calls has 8"),
    "staffing below zero": (BASE.replace("staffing: [10,", "staffing: [-3,"), r"agents\[0\]\.staffing\[0\]: must be at least 0"),
    "unknown queue in serves": (BASE.replace("serves: [support]", "serves: [suport]"),
                                r"agents\[0\]\.serves\[0\]: unknown queue 'suport'"),
    "probability above 1": (BASE.replace("abandon_rate: 0.05", "abandon_rate: 1.5"), r"targets\.abandon_rate: must be at most 1"),
    "empty file": ("", r"the file is empty"),
    "yaml syntax": (BASE.replace("serves: [support]", "serves: [support"), r"YAML syntax error"),
    "bad distribution": (BASE.replace("dist: exponential, mean: 45", "dist: expo, mean: 45"), r"queues\[0\]\.acw: 'dist' must be one of"),
    "shares not summing to 1": (
        BASE.replace("calls: [60, 60, 60, 60, 60, 60, 60, 60]", "calls: [60, 60, 60, 60, 60, 60, 60, 60]\n  queue_shares: {support: 0.7}"),
        r"arrivals\.queue_shares: shares sum to 0\.7, not 1"),
    "weibull scale and mean": (BASE.replace("dist: exponential, mean: 180", "dist: weibull, shape: 0.7, scale: 600, mean: 500"),
                               r"queues\[0\]\.patience: give exactly one of 'scale' or 'mean'"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
@pytest.mark.parametrize("command", ["run", "validate"])
def test_bad_input_gives_one_line_exit_2_and_writes_nothing(name, command, tmp_path, capsys, monkeypatch):
    text, expected = BAD_INPUTS[name]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    monkeypatch.chdir(tmp_path)
    line = assert_user_error(*run_cli(capsys, command, path), f"callsim: error: {path}:")
    assert re.search(r":\d+: ", line), "the line in the file is named"
    assert re.search(expected, line), line
    assert not (tmp_path / "results").exists()


def test_missing_file_and_bad_options(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_user_error(*run_cli(capsys, "run", tmp_path / "nope.yaml"), "no such file")
    assert_user_error(*run_cli(capsys, "run", HELP_DESK, "--replications", 1), "--replications")
    assert_user_error(*run_cli(capsys, "run", HELP_DESK, "--bogus"), "--bogus")
    assert not (tmp_path / "results").exists()


def test_every_kpi_is_documented():
    from simulator.kpis import DEFINITIONS

    model_doc = (REPO / "docs" / "model.md").read_text()
    for name in DEFINITIONS:
        assert f"`{name}`" in model_doc, name


def test_queues_and_groups_broken_down_add_up_to_the_totals(tmp_path, capsys):
    from simulator import load_scenario, run_scenario

    scenario = load_scenario(REPO / "scenarios" / "two_queue_multiskill.yaml")
    result = run_scenario(scenario, replications=3, seed=2)
    queues = result.breakdown_per_replication["queues"]
    assert set(queues) == {"support", "sales"}
    for kpi in ("offered", "answered", "abandoned"):
        np.testing.assert_array_equal(queues["support"][kpi] + queues["sales"][kpi], result.per_replication[kpi])
    # the day's service level is the call-weighted mix of the queues'
    within = sum(queues[q]["service_level"] * queues[q]["offered"] for q in queues)
    np.testing.assert_allclose(within / result.per_replication["offered"], result.per_replication["service_level"])
    # group occupancies bracket the centre's
    groups = result.breakdown_per_replication["agent_groups"]
    occupancy = np.array([groups[g]["occupancy"][:, -1] for g in groups])
    assert np.all(occupancy.min(axis=0) <= result.per_replication["occupancy"][:, -1] + 1e-12)
    assert np.all(occupancy.max(axis=0) >= result.per_replication["occupancy"][:, -1] - 1e-12)
    code, out, err = run_cli(capsys, "run", REPO / "scenarios" / "two_queue_multiskill.yaml", "-r", 2,
                             "--no-plots", "-o", tmp_path, "--json")
    document = json.loads(out)
    assert set(document["queues"]) == {"support", "sales"} and set(document["agent_groups"]) == {"generalists", "sales specialists"}
    assert len(document["queues"]["sales"]["intervals"]) == 8
    from presentation.report import render_report

    page = render_report(document, {})
    assert "Per queue and agent group" in page and "sales specialists" in page


def test_single_queue_scenarios_have_no_breakdown(capsys, tmp_path):
    code, out, err = run_cli(capsys, "run", HELP_DESK, "-r", 2, "--no-plots", "-o", tmp_path, "--json")
    assert "queues" not in json.loads(out)


def test_an_internal_error_is_one_line_and_exit_1_not_a_user_error(tmp_path, capsys, monkeypatch):
    """A bug (here a ValueError raised deep inside a run, which a bare `except ValueError` would
    have turned into a 'user error') exits 1 with one line asking for a report; nothing written.
    CALLSIM_DEBUG=1 shows the traceback."""
    import simulator.run

    def broken(*args, **kwargs):
        raise ValueError("an engine invariant broke\nsecond line")

    monkeypatch.setattr(simulator.run, "run_scenario", broken)
    monkeypatch.delenv("CALLSIM_DEBUG", raising=False)
    code, out, err = run_cli(capsys, "run", HELP_DESK, "-o", tmp_path / "out", "-q")
    lines = err.strip().splitlines()
    assert code == 1 and out == "" and len(lines) == 1, (code, err)
    assert "internal error" in lines[0] and "an engine invariant broke\\nsecond line" in lines[0]
    assert "Traceback" not in err and not (tmp_path / "out").exists()
    monkeypatch.setenv("CALLSIM_DEBUG", "1")
    code, _, err = run_cli(capsys, "run", HELP_DESK, "-o", tmp_path / "out", "-q")
    assert code == 1 and "Traceback" in err and "internal error" in err.strip().splitlines()[-1]
