"""`callsim compare`: paired differences on common random numbers, checked against theory and
against independent implementations (scipy's t intervals)."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from scipy import stats

from conftest import REPO
from simulator import load_scenario
from simulator.scenario import RoutingRules
from presentation.compare_output import comparison_csv, comparison_document, explain, format_comparison
from studies.compare import compare_scenarios, differences_in, paired_difference, unique_labels, welch_ci95
from studies.sweep import point_scenario
from helpers import HELP_DESK, IVR_BROAD, IVR_DEEP, SCENARIO_DIR, assert_user_error, run_cli

SCENARIOS = SCENARIO_DIR
DEEP, BROAD = IVR_DEEP, IVR_BROAD


# --- statistics against scipy ------------------------------------------------------------------


def test_paired_and_welch_intervals_match_scipy():
    rng = np.random.default_rng(3)
    a = rng.normal(10, 2, 15)
    b = a + rng.normal(0.5, 0.3, 15)
    paired = paired_difference(a, b)
    expected = stats.ttest_rel(b, a).confidence_interval(0.95)
    assert paired.ci95 == pytest.approx((expected.low, expected.high), rel=1e-12)
    welch = welch_ci95(a, b)
    expected = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert welch == pytest.approx((expected.low, expected.high), rel=1e-9)
    assert paired.significant  # the pairing removes the N(10, 2) noise shared by a and b
    assert not (welch[0] > 0 or welch[1] < 0)  # ignoring it, the same data show nothing


def test_pairs_with_a_missing_value_are_dropped_not_zeroed():
    d = paired_difference(np.array([1.0, np.nan, 3.0]), np.array([2.0, 5.0, 5.0]))
    assert d.paired.n == 2 and d.mean == pytest.approx(1.5)


def test_unique_labels():
    assert unique_labels(["a", "b", "a", "a"]) == ("a", "b", "a#2", "a#3")


# --- the checks of the issue ---------------------------------------------------------------------


def test_identical_scenarios_give_differences_of_exactly_zero():
    scenario = load_scenario(HELP_DESK)
    c = compare_scenarios([scenario, scenario], ["a", "b"], replications=6, seed=9)
    assert c.differs_in(1) == ()
    for name in c.kpis:
        d = c.difference(1, name)
        assert d.mean == 0.0 and d.ci95 == (0.0, 0.0) and not d.significant, name
    # power: the KPIs do vary between replications, so exact zeros come from the pairing
    assert np.std(c.runs[0].per_replication["asa"][:, -1]) > 0
    assert "exactly 0" in explain(c, 1)[0]


def test_one_more_agent_in_every_interval_gives_a_significantly_lower_asa():
    base = load_scenario(HELP_DESK)
    more = point_scenario(base, agents=1, relative=True)
    assert [g.staffing for g in more.agents] == [tuple(n + 1 for n in base.agents[0].staffing)]
    c = compare_scenarios([base, more], ["base", "plus one"], replications=10, seed=4)
    asa = c.difference(1, "asa")
    assert asa.significant and asa.ci95[1] < 0
    sl = c.difference(1, "service_level")
    assert sl.significant and sl.ci95[0] > 0
    assert c.differs_in(1) == ("staffing",)
    text = " ".join(explain(c, 1))
    assert "differ only in staffing" in text and "44 agent-hours against 40 (+4)" in text


def test_paired_ci_is_narrower_than_the_unpaired_one_on_the_ivr_pair():
    c = compare_scenarios([load_scenario(DEEP), load_scenario(BROAD)], ["deep", "broad"], replications=20)
    assert c.differs_in(1) == ("IVR",)
    ratios = {}
    for name in ("asa", "service_level", "abandon_rate", "occupancy", "avg_wait"):
        d = c.difference(1, name)
        ratios[name] = (d.ci95[1] - d.ci95[0]) / (d.unpaired_ci95[1] - d.unpaired_ci95[0])
    print("paired / unpaired 95% CI width, deep vs broad IVR, 20 replications:",
          {k: round(v, 3) for k, v in ratios.items()})
    assert all(r < 0.9 for r in ratios.values()), ratios
    text = " ".join(explain(c, 1))
    assert "differ only in the IVR" in text and "IVR containment" in text and "Agent load shifted" in text


def test_what_differs_is_read_from_the_scenario_definitions():
    base = load_scenario(HELP_DESK)
    assert differences_in(base, point_scenario(base, vary="volume", factor=1.1)) == ("volume",)
    assert differences_in(base, point_scenario(base, vary="talk_time", factor=1.1)) == ("talk time",)
    assert differences_in(load_scenario(SCENARIOS / "callback_peak_off.yaml"),
                          load_scenario(SCENARIOS / "callback_peak_on.yaml")) == ("callbacks",)
    both = point_scenario(point_scenario(base, agents=12), vary="volume", factor=1.2)
    assert set(differences_in(base, both)) == {"volume", "staffing"}


def test_routing_rules_spelled_out_as_the_defaults_are_no_difference():
    base = load_scenario(SCENARIOS / "two_queue_multiskill.yaml")
    assert base.routing is None
    spelled = base.model_copy(update={"routing": RoutingRules(agent_selection="group_order", call_selection="queue_order")})
    assert differences_in(base, spelled) == ()
    # control: a rule that is not the default is a difference
    longest = base.model_copy(update={"routing": RoutingRules(agent_selection="longest_idle")})
    assert differences_in(base, longest) == ("routing rules",)
    assert differences_in(base, load_scenario(SCENARIOS / "two_queue_multiskill_longest_idle.yaml")) != ()


def test_closing_and_retrial_rules_spelled_out_as_the_defaults_are_no_difference():
    base = load_scenario(SCENARIOS / "utility_outage.yaml")
    assert base.on_close is None and base.return_calls.retrial is None
    returns = base.return_calls.model_copy(update={"retrial": "new_caller"})
    spelled = base.model_copy(update={"on_close": "serve", "return_calls": returns})
    assert differences_in(base, spelled) == ()
    # the centre's rule or every queue's own is the same centre
    per_queue = base.model_copy(update={"queues": tuple(q.model_copy(update={"on_close": "disconnect"})
                                                        for q in base.queues)})
    assert differences_in(per_queue, base.model_copy(update={"on_close": "disconnect"})) == ()
    # control: rules that are not the defaults are differences
    assert differences_in(base, per_queue) == ("closing rule",)
    same = base.model_copy(update={"return_calls": returns.model_copy(update={"retrial": "same_contact"})})
    assert differences_in(base, same) == ("return calls",)


def test_a_kpi_missing_in_one_scenario_is_absent_not_zero():
    c = compare_scenarios([load_scenario(HELP_DESK), load_scenario(BROAD)], ["desk", "bank"], replications=3, seed=2)
    assert "containment_rate" in c.kpis
    assert c.estimate(0, "containment_rate") is None and c.difference(1, "containment_rate") is None
    assert c.estimate(1, "containment_rate").mean > 0
    document = comparison_document(c)
    assert document["kpis"]["containment_rate"]["scenarios"]["desk"] is None
    assert document["kpis"]["containment_rate"]["differences"]["bank - desk"] is None
    row = next(r for r in csv.DictReader(io.StringIO(comparison_csv(c))) if r["kpi"] == "containment_rate")
    assert row["desk"] == "" and row["bank - desk"] == "" and float(row["bank"]) > 0
    line = next(l for l in format_comparison(c).splitlines() if l.startswith("containment_rate"))
    assert line.count("absent") == 2


# --- the command ------------------------------------------------------------------------------


def test_compare_command_writes_json_csv_and_plots(tmp_path, capsys):
    out = tmp_path / "cmp"
    code, stdout, err = run_cli(capsys, "compare", DEEP, BROAD, "-r", 4, "--seed", 3, "-o", out, "-w", 1, "-q")
    assert code == 0, err
    assert "What drives B - A" in stdout and "differ only in the IVR" in stdout
    # the per-queue and per-interval files (issue 13) came after the first two plots and the JSON and
    # CSV; with IVRs, both designs' menus
    assert sorted(p.name for p in out.iterdir()) == ["compare_differences.png", "compare_intervals.png",
                                                     "compare_kpis.png", "compare_queues.png", "comparison.csv",
                                                     "comparison.json", "differences_by_interval.csv",
                                                     "differences_by_queue.csv", "ivr_menu_A.png", "ivr_menu_B.png"]
    document = json.loads((out / "comparison.json").read_text())
    assert [s["label"] for s in document["scenarios"]] == ["ivr_deep_menu", "ivr_broad_menu"]
    asa = document["kpis"]["asa"]
    assert set(asa["scenarios"]) == {"ivr_deep_menu", "ivr_broad_menu"}
    diff = asa["differences"]["ivr_broad_menu - ivr_deep_menu"]
    assert set(diff) >= {"mean", "ci95", "significant"} and diff["ci95"][0] <= diff["mean"] <= diff["ci95"][1]
    assert {t["status"] for s in document["scenarios"] for t in s["targets"]} <= {"met", "missed", "uncertain"}
    for png in ("compare_kpis.png", "compare_differences.png", "compare_queues.png", "compare_intervals.png"):
        data = (out / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert not list(out.glob(".*.tmp"))


def test_default_folder_is_named_after_the_files(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run_cli(capsys, "compare", HELP_DESK, HELP_DESK, "-r", 2, "--no-plots", "-w", 1)
    assert code == 0, err
    folder = tmp_path / "results" / "compare-help_desk-help_desk"
    assert sorted(p.name for p in folder.iterdir()) == ["comparison.csv", "comparison.json",
                                                        "differences_by_interval.csv", "differences_by_queue.csv"]


def test_workers_1_and_2_give_identical_json(tmp_path, capsys):
    outputs = []
    for workers in (1, 2):
        code, stdout, err = run_cli(capsys, "compare", HELP_DESK, BROAD, "-r", 4, "--json", "--no-plots",
                                    "-w", workers, "-o", tmp_path / f"w{workers}")
        assert code == 0, err
        outputs.append(stdout)
    assert outputs[0] == outputs[1]
    assert (tmp_path / "w1" / "comparison.json").read_text() == outputs[0]


@pytest.mark.parametrize("args, message", [
    (["compare", HELP_DESK], "at least two"),
    (["compare", HELP_DESK, REPO / "nope.yaml"], "nope.yaml"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    assert_user_error(*run_cli(capsys, *args, "-o", tmp_path / "never"), message)
    assert not (tmp_path / "never").exists()


def _nested_model(annotation):
    """The pydantic model inside an annotation (Queue in tuple[Queue, ...], Ivr in Ivr | None), if any."""
    import typing

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def uncovered_fields(model, covered: set[str], ignored: set[str]) -> list[str]:
    """Schema fields that no aspect of `compare` looks at: a top-level field is covered by its
    own path or, for a nested model, by a path for each of its fields."""
    missing = []
    for name, info in model.model_fields.items():
        if name in covered or name in ignored:
            continue
        nested = _nested_model(info.annotation)
        if nested is None:
            missing.append(name)
        else:
            missing += [f"{name}.{sub}" for sub in nested.model_fields if f"{name}.{sub}" not in covered]
    return missing


def test_every_schema_field_is_an_aspect_compare_looks_at():
    """A scenario field outside every aspect would let two different centres 'describe the same
    call centre'. Control: a made-up model with one more field is caught."""
    from pydantic import BaseModel

    from simulator.scenario import Scenario
    from studies.compare import ASPECTS, NOT_COMPARED

    covered = {path.lstrip("#") for _, paths in ASPECTS for path in paths}
    assert uncovered_fields(Scenario, covered, set(NOT_COMPARED)) == []

    class Extra(BaseModel):
        name: str
        seats: int

    class Bigger(Scenario):
        new_section: Extra | None = None

    assert uncovered_fields(Bigger, covered, set(NOT_COMPARED)) == ["new_section.name", "new_section.seats"]
