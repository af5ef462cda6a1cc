"""`callsim compare` per queue, per agent group and per interval, with a chosen baseline or every
pair, and the headline (issue 13). Exact checks: a scenario against itself differs by exactly 0
everywhere; one more agent in one interval leaves every earlier interval identical per
replication (up to the calls still waiting when the change starts); sums over queues and over
intervals of count differences are the centre's and the day's; B - A is -(A - B)."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from scipy import stats

from simulator import load_scenario, scenario_from_dict
from simulator.errors import UserError
from simulator.kpi_table import KPIS, KPI
from presentation.compare_output import (comparison_document, differences_by_interval_csv, differences_by_queue_csv,
                                         format_comparison, headline, verdict)
from presentation.text import format_value
from studies.compare import Pair, choose_pairs, compare_scenarios
from helpers import HELP_DESK, IVR_BROAD, IVR_DEEP, SCENARIO_DIR, run_cli

TWO_QUEUES = SCENARIO_DIR / "two_queue_multiskill.yaml"


@pytest.fixture(scope="module")
def self_comparison():
    scenario = load_scenario(IVR_DEEP)  # four queues, two agent groups, an IVR
    return compare_scenarios([scenario, scenario], ["a", "b"], replications=5, seed=11)


def test_a_scenario_against_itself_differs_by_exactly_zero_per_queue_group_and_interval(self_comparison):
    c = self_comparison
    assert len(c.queues()) == 4 and len(c.agent_groups()) == 2
    n = c.runs[0].scenario.n_intervals
    checked = 0
    for interval in [None, *range(n)]:
        for kpi in c.kpis:
            for where in [{}, *({"queue": q} for q in c.queues()), *({"group": g} for g in c.agent_groups())]:
                d = c.difference(1, kpi, interval=interval, **where)
                if d is None:
                    continue
                if d.paired.n == 0:  # a KPI undefined in every replication (no call waited in that interval)
                    continue
                assert d.mean == 0.0 and d.ci95 == (0.0, 0.0) and not d.significant, (kpi, interval, where)
                checked += 1
    assert checked > 4 * 9 * (n + 1)  # every queue KPI of every queue in every interval was looked at
    # power: the values do vary between replications, so the zeros come from the pairing
    assert np.std(c.values(0, "service_level", queue="loans")[:, 3]) > 0
    assert np.std(c.values(0, "occupancy", group="lending agents")[:, 3]) > 0


def _patience_bounded(path, low_s: float, high_s: float):
    """The scenario with uniform patience in [low_s, high_s]: no caller waits longer than high_s."""
    data = load_scenario(path).model_dump(mode="json")
    for queue in data["queues"]:
        queue["patience"] = {"dist": "uniform", "low": low_s, "high": high_s}
    return scenario_from_dict(data)


@pytest.mark.parametrize("path", [HELP_DESK, TWO_QUEUES])
def test_one_more_agent_in_one_interval_moves_only_that_interval_and_later(path):
    base = _patience_bounded(path, 60, 600)  # waits end within 10 minutes, intervals are 30
    k = base.n_intervals // 2
    group = base.agents[0]
    staffing = list(group.staffing)
    staffing[k] += 1
    more = base.with_staffing({group.name: staffing})
    c = compare_scenarios([base, more], ["base", "more"], replications=8, seed=5)
    parts = [{}, *({"queue": q} for q in c.queues()), *({"group": g} for g in c.agent_groups())]
    for where in parts:
        for kpi in c.kpis:
            a, b = c.values(0, kpi, **where), c.values(1, kpi, **where)
            if a is None:
                continue
            # every caller of the intervals before k - 1 has left the queue (10 min at most) before
            # the change at the start of interval k: identical per replication, difference exactly 0
            for i in range(k - 1):
                assert np.array_equal(a[:, i], b[:, i], equal_nan=True), (kpi, i, where)
                d = c.difference(1, kpi, interval=i, **where)
                assert d.paired.n == 0 or (d.mean == 0.0 and d.ci95 == (0.0, 0.0)), (kpi, i, where)
            # the agents' time before the change is the same, whatever happens to the callers
            # still waiting at it (who arrived in interval k - 1 and are answered sooner)
            if kpi in ("occupancy", "avg_queue_length"):
                assert np.array_equal(a[:, k - 1], b[:, k - 1], equal_nan=True), (kpi, where)
    # the change itself is visible: occupancy drops in interval k in every replication
    occupancy = c.values(1, "occupancy")[:, k] - c.values(0, "occupancy")[:, k]
    assert (occupancy < 0).all()
    assert c.difference(1, "occupancy", interval=k).significant


def test_queue_and_interval_differences_add_up_to_the_centre_and_the_day():
    a = load_scenario(TWO_QUEUES)
    b = a.with_volume(1.1)
    c = compare_scenarios([a, b], ["a", "b"], replications=6, seed=2)
    centre = c.difference(1, "answered")
    by_queue = sum(c.difference(1, "answered", queue=q).mean for q in c.queues())
    assert by_queue == pytest.approx(centre.mean, rel=1e-12)  # no IVR: every answered call is in one queue
    by_interval = sum(c.difference(1, "offered", interval=k).mean for k in range(a.n_intervals))
    assert by_interval == pytest.approx(c.difference(1, "offered").mean, rel=1e-12)
    # the per-queue interval is the paired t interval of that queue's per-replication differences
    d = c.runs[1].breakdown_per_replication["queues"]["sales"]["asa"][:, 2] - \
        c.runs[0].breakdown_per_replication["queues"]["sales"]["asa"][:, 2]
    expected = stats.ttest_1samp(d, 0).confidence_interval(0.95)
    assert c.difference(1, "asa", queue="sales", interval=2).ci95 == pytest.approx((expected.low, expected.high),
                                                                                   rel=1e-12)


def test_a_single_queue_is_the_whole_centre():
    base = load_scenario(HELP_DESK)
    c = compare_scenarios([base, base.with_volume(1.2)], ["a", "b"], replications=4, seed=1)
    assert c.queues() == ["support"]
    for kpi in ("service_level", "asa", "offered"):
        assert c.difference(1, kpi, queue="support").mean == c.difference(1, kpi).mean
    assert c.difference(1, "occupancy", group="support team").mean == c.difference(1, "occupancy").mean
    assert c.difference(1, "customer_effort", queue="support") is None  # not a per-queue KPI


def test_the_other_way_round_is_exactly_the_negative():
    base = load_scenario(HELP_DESK)
    c = compare_scenarios([base, base.with_volume(1.2)], ["a", "b"], replications=5, seed=1, baseline="b")
    assert c.pairs == (Pair(1, 0),) and c.baseline == 1
    forward = compare_scenarios([base, base.with_volume(1.2)], ["a", "b"], replications=5, seed=1)
    for kpi in c.kpis:
        d, f = c.difference(0, kpi, base=1), forward.difference(1, kpi)
        assert d.mean == -f.mean and d.ci95 == (-f.ci95[1], -f.ci95[0]), kpi
    assert set(comparison_document(c)["kpis"]["asa"]["differences"]) == {"a - b"}


# --- choosing the pairs --------------------------------------------------------------------


def test_choose_pairs():
    labels = ("deep", "broad", "callbacks")
    assert choose_pairs(labels) == (Pair(0, 1), Pair(0, 2))
    assert choose_pairs(labels, baseline="broad") == (Pair(1, 0), Pair(1, 2))
    assert choose_pairs(labels, ["Deep menu", "Broad menu", "x"], baseline="Broad menu") == (Pair(1, 0), Pair(1, 2))
    assert choose_pairs(labels, all_pairs=True) == (Pair(0, 1), Pair(0, 2), Pair(1, 2))
    with pytest.raises(UserError, match=r"--baseline 'wide' is not one of the scenarios: give one of 'deep', 'broad', "
                                        r"'callbacks'"):
        choose_pairs(labels, baseline="wide")
    with pytest.raises(UserError, match="exclude each other"):
        choose_pairs(labels, baseline="deep", all_pairs=True)


def test_baseline_and_all_pairs_on_the_command_line(tmp_path, capsys):
    paths = [SCENARIO_DIR / "callback_peak_off.yaml", SCENARIO_DIR / "callback_peak_on.yaml", HELP_DESK]
    out = tmp_path / "all"
    code, stdout, err = run_cli(capsys, "compare", *paths, "-r", 3, "-s", 4, "-o", out, "-w", 1, "-q", "--all-pairs")
    assert code == 0, err
    document = json.loads((out / "comparison.json").read_text())
    keys = ["callback_peak_on - callback_peak_off", "help_desk - callback_peak_off", "help_desk - callback_peak_on"]
    assert [p["label"] for p in document["pairs"]] == keys and document["baseline"] is None
    assert list(document["kpis"]["asa"]["differences"]) == keys
    assert list(document["explanation"]) == keys and list(document["headline"]) == keys
    assert document["explanation"]["help_desk - callback_peak_on"][0].startswith("help_desk differs from callback_peak_on")
    rows = list(csv.DictReader(io.StringIO((out / "comparison.csv").read_text())))
    assert all(f"{key}_significant" in rows[0] for key in keys)
    assert "B - A" in stdout and "C - A" in stdout and "C - B" in stdout and "What drives C - B" in stdout
    # intervals are paired only between days laid out alike (10:00 x 12 against the desk's 08:00 x 8)
    asa = document["by_interval"]["kpis"]["asa"]
    assert len(asa["differences"][keys[0]]) == 12 and asa["differences"][keys[1]] is None
    assert asa["differences"][keys[2]] is None and asa["scenarios"]["help_desk"] is None
    pairs_by_interval = {r["pair"] for r in csv.DictReader(io.StringIO((out / "differences_by_interval.csv").read_text()))}
    assert pairs_by_interval == {keys[0]}
    by_queue = list(csv.DictReader(io.StringIO((out / "differences_by_queue.csv").read_text())))
    assert len({r["interval"] for r in by_queue if r["pair"] == keys[0]}) == 13  # the day and 12 intervals
    assert {r["interval"] for r in by_queue if r["pair"] != keys[0]} <= {"day"}
    assert (out / "compare_intervals.png").exists()

    out = tmp_path / "base"
    code, stdout, err = run_cli(capsys, "compare", *paths, "-r", 3, "-s", 4, "-o", out, "-w", 1, "-q",
                                "--baseline", "callback_peak_on")
    assert code == 0, err
    document = json.loads((out / "comparison.json").read_text())
    assert document["baseline"] == "callback_peak_on"
    assert [p["label"] for p in document["pairs"]] == ["callback_peak_off - callback_peak_on",
                                                       "help_desk - callback_peak_on"]
    assert "A - B" in stdout and "C - B" in stdout and "C - A" not in stdout


@pytest.mark.parametrize("args, message", [
    (("--baseline", "nowhere"), "--baseline 'nowhere' is not one of the scenarios: give one of 'help_desk', "
                                "'ivr_deep_menu'"),
    (("--baseline", "help_desk", "--all-pairs"), "--baseline and --all-pairs exclude each other"),
])
def test_a_bad_baseline_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, args, message):
    out = tmp_path / "never"
    code, stdout, err = run_cli(capsys, "compare", HELP_DESK, IVR_DEEP, "-r", 2, "-o", out, "-w", 1, *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


# --- the files -------------------------------------------------------------------------------


def test_long_csv_files_hold_every_pair_queue_interval_and_kpi(self_comparison):
    c = self_comparison
    n = c.runs[0].scenario.n_intervals
    rows = list(csv.DictReader(io.StringIO(differences_by_queue_csv(c))))
    queue_rows = [r for r in rows if r["part"] == "queue"]
    assert len(queue_rows) == len(c.queues()) * (n + 1) * len(c.queue_kpis())
    assert {r["name"] for r in rows if r["part"] == "agent group"} == set(c.agent_groups())
    assert {r["interval"] for r in rows} == {"day", *c.interval_labels()}
    row = next(r for r in rows if r["name"] == "loans" and r["interval"] == "day" and r["kpi"] == "service_level")
    assert row["pair"] == "b - a" and row["unit"] == "fraction" and row["significant"] == "no"
    assert float(row["difference"]) == 0.0 and float(row["mean_first"]) == float(row["mean_later"])
    assert float(row["mean_first"]) == pytest.approx(c.estimate(0, "service_level", queue="loans").mean)
    intervals = list(csv.DictReader(io.StringIO(differences_by_interval_csv(c))))
    assert len(intervals) == n * len(c.kpis)
    assert all(float(r["difference"]) == 0.0 for r in intervals if r["difference"])


def test_json_holds_each_queue_day_and_intervals_and_each_interval_of_the_centre(self_comparison):
    c = self_comparison
    document = json.loads(json.dumps(comparison_document(c)))
    loans = document["by_queue"]["loans"]
    sl = loans["kpis"]["service_level"]
    assert sl["scenarios"]["a"]["day"]["mean"] == pytest.approx(c.estimate(0, "service_level", queue="loans").mean)
    assert len(sl["scenarios"]["a"]["intervals"]) == c.runs[0].scenario.n_intervals
    assert sl["differences"]["b - a"]["day"]["mean"] == 0.0
    # the loans queue is far below the centre's 80/20 target: flagged per queue
    statuses = {check["kpi"]: check["status"] for check in loans["targets"]["a"]}
    assert statuses["service_level"] == "missed" and statuses["abandon_rate"] == "missed"
    by_interval = document["by_interval"]
    assert by_interval["intervals"] == c.interval_labels()
    assert len(by_interval["kpis"]["asa"]["differences"]["b - a"]) == len(c.interval_labels())
    assert document["by_agent_group"]["lending agents"]["kpis"]["occupancy"]["differences"]["b - a"]["day"]["mean"] == 0


# --- the headline ----------------------------------------------------------------------------


def test_every_kpi_says_which_way_is_better():
    assert all(k.better in (None, "higher", "lower") for k in KPIS)
    assert KPI["service_level"].better == "higher" and KPI["abandon_rate"].better == "lower"
    assert KPI["asa"].better == "lower" and KPI["occupancy"].better is None  # a band: neither way is better


def test_headline_names_significant_differences_in_their_direction_with_units():
    base = load_scenario(HELP_DESK)
    plus = base.with_staffing({"support team": [n + 2 for n in base.agents[0].staffing]})
    c = compare_scenarios([base, plus], ["ten agents", "twelve agents"], replications=10, seed=4)
    pair = c.pairs[0]
    sl, asa = c.difference(1, "service_level"), c.difference(1, "asa")
    assert sl.significant and sl.mean > 0 and asa.significant and asa.mean < 0
    sentences = headline(c, pair)
    assert sentences[0].startswith("Verdict: twelve agents is better on the targets")
    assert sentences[1].startswith("Cost: twelve agents schedules +8.0 agent-hours (48.0 against 40.0)")  # 8 x 2 x 0.5 h
    text = " ".join(sentences[len(verdict(c, pair)):])
    assert text.startswith("Against ten agents, twelve agents does better: service level (service_level) is ")
    assert f"{abs(sl.mean) * 100:.1f} points higher ({format_value('service_level', c.estimate(1, 'service_level').mean)} " \
           f"vs {format_value('service_level', c.estimate(0, 'service_level').mean)})" in text
    assert f"ASA (asa) is {abs(asa.mean):.1f} s shorter" in text
    assert "does worse" not in text
    # the other way round: the same sizes, worded as worse
    back = compare_scenarios([base, plus], ["ten agents", "twelve agents"], replications=10, seed=4,
                             baseline="twelve agents")
    text = " ".join(headline(back, back.pairs[0]))
    # the verdict names the same winner whichever scenario is the baseline (negative control of the wording)
    assert text.startswith("Verdict: twelve agents is better on the targets")
    assert "Cost: ten agents schedules -8.0 agent-hours" in text
    assert "ten agents does worse: service level (service_level) is" in text and "points lower" in text
    assert f"ASA (asa) is {abs(asa.mean):.1f} s longer" in text and "does better" not in text


def test_headline_is_honest_when_nothing_is_significant(self_comparison):
    text = headline(self_comparison, self_comparison.pairs[0])
    assert text == ["b and a give identical results on the same callers: every difference in service level "
                    "(service_level), abandonment (abandon_rate), ASA (asa), occupancy (occupancy), IVR containment "
                    "(containment_rate) and overtime (overtime_agent_seconds) is exactly 0 (what differs between "
                    "them does not change the simulated day)."]
    assert format_comparison(self_comparison).startswith("b and a give identical results")
    # two scenarios that differ, by too little to show in 4 replications: nothing significant, said so
    base = load_scenario(HELP_DESK)
    c = compare_scenarios([base, base.with_volume(1.002)], ["a", "b"], replications=4, seed=3)
    assert not any(c.difference(1, k).significant for k in ("service_level", "asa", "abandon_rate", "occupancy"))
    text = headline(c, c.pairs[0])
    assert text[0].startswith("Verdict: neither b nor a is better on the targets: both meet")
    text = text[len(verdict(c, c.pairs[0])):]
    assert text[0].startswith("b and a perform the same on service level (service_level), abandonment (abandon_rate)")
    assert "no difference is significant (every 95% confidence interval of the paired difference over 4 " \
           "replications includes 0)" in text[0]


# --- the report --------------------------------------------------------------------------------


def test_report_opens_with_the_headline_and_shows_the_bad_queue_and_the_intervals(tmp_path, capsys):
    import html

    out = tmp_path / "ivr"
    code, _, err = run_cli(capsys, "compare", IVR_DEEP, IVR_BROAD, "-r", 4, "-s", 3, "-o", out, "-w", 1, "-q", "--report")
    assert code == 0, err
    page = (out / "report.html").read_text()
    document = json.loads((out / "comparison.json").read_text())
    sentences = document["headline"]["ivr_broad_menu - ivr_deep_menu"]
    first_section = page.split("<section")[1]
    assert 'class="headline"' in first_section and html.escape(" ".join(sentences)) in first_section
    # the loans queue, far below 80/20 in both designs, is named at the top of the per-queue section
    queues = page.split('id="queues"')[1].split("</section>")[0]
    loans = document["by_queue"]["loans"]["kpis"]["service_level"]["scenarios"]["ivr_deep_menu"]["day"]["mean"]
    assert loans < 0.6
    assert f"the loans queue misses its targets: service level {loans:.1%}" in html.unescape(queues)
    assert queues.count("<h3>Queue") == 4 and '<span class="flag">!</span>' in queues
    # KPI names in words with their keys; counts with their unit
    assert "service level <code" in page and "abandonment <code" in page and " calls</td>" in page
    intervals = page.split('id="intervals"')[1].split("</section>")[0]
    assert intervals.count("<tr><td class=\"text\">") == 16  # 09:00 to 16:30
    assert 'id="plot-compare_intervals"' in page and 'id="plot-compare_queues"' in page


def test_report_follows_the_chosen_pairs(tmp_path, capsys):
    paths = [SCENARIO_DIR / "callback_peak_off.yaml", SCENARIO_DIR / "callback_peak_on.yaml", IVR_BROAD]
    out = tmp_path / "all"
    code, _, err = run_cli(capsys, "compare", *paths, "-r", 3, "-s", 4, "-o", out, "-w", 1, "-q", "--report",
                           "--all-pairs")
    assert code == 0, err
    page = (out / "report.html").read_text()
    for heading in ("B \u2212 A", "C \u2212 A", "C \u2212 B"):
        assert f"<strong>{heading}.</strong>" in page  # a headline per pair
        assert f"<h3>{heading}: " in page  # an explanation per pair
    assert "The baseline:" not in page and "the difference of every pair" in page
    out = tmp_path / "base"
    code, _, err = run_cli(capsys, "compare", *paths, "-r", 3, "-s", 4, "-o", out, "-w", 1, "-q", "--report",
                           "--baseline", "callback_peak_on")
    assert code == 0, err
    page = (out / "report.html").read_text()
    assert page.count("The baseline:") == 1 and page.count("Differs from B (callback_peak_on) in:") == 2
    assert "<strong>A \u2212 B.</strong>" in page and "<strong>C \u2212 B.</strong>" in page
