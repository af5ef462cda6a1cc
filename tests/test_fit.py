"""callsim fit: call logs out and back in, interval reports, forecasts from CSV, what-ifs, plan diffs.

The round trip simulates a known scenario for 20 days (3,000 calls a day: lognormal talk,
gamma ACW, Weibull patience) with `run --calls-csv` and fits it back with `fit`; each estimate
must lie within 3 standard errors of the truth. The standard errors are derived, not measured
on the output: for arrivals the Poisson SE sqrt(lambda / days) of the truth; for durations the
maximum-likelihood SE from the observed information (the fit's `mean_se_s`, `cv_se`), checked
separately against a closed form (the censored exponential: mean / sqrt(events)). Power checks
(the SEs are small enough for the test to fail) and negative controls (the naive patience, a
scenario with the naive patience) go with them.
"""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from helpers import HELP_DESK, assert_user_error, run_cli

TRUE_CALLS = [120, 150, 180, 210, 225, 225, 210, 195, 195, 210, 210, 195, 180, 165, 165, 165]
TRUE_STAFFING = [15, 18, 21, 24, 25, 25, 24, 22, 22, 24, 24, 22, 21, 19, 19, 19]
WEIBULL_SHAPE, PATIENCE_MEAN = 0.7, 200.0
DAYS = 20

ROUND_TRIP = f"""schema_version: 1
name: Round trip, 3000 calls a day
interval_minutes: 30
start: "08:00"
arrivals:
  calls: {TRUE_CALLS}
queues:
  - name: service
    talk_time: {{dist: lognormal, mean: 180, cv: 0.9}}
    acw: {{dist: gamma, mean: 30, cv: 0.5}}
    patience: {{dist: weibull, shape: {WEIBULL_SHAPE}, mean: {PATIENCE_MEAN}}}
agents:
  - name: team
    serves: [service]
    staffing: {TRUE_STAFFING}
simulation: {{replications: {DAYS}, seed: 4242}}
"""


def _weibull_cv(shape: float) -> float:
    g1, g2 = math.gamma(1 + 1 / shape), math.gamma(1 + 2 / shape)
    return math.sqrt(g2 / g1**2 - 1)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    """Simulate 20 days with the call log out, then fit the log back (both through the CLI)."""
    folder = tmp_path_factory.mktemp("round_trip")
    scenario = folder / "truth.yaml"
    scenario.write_text(ROUND_TRIP)
    from cli import main

    assert main(["run", str(scenario), "--calls-csv", "--no-plots", "-o", str(folder / "run"), "-w", "1", "-q",
                 "--json"]) == 0
    assert main(["fit", str(folder / "run" / "calls.csv"), "-o", str(folder / "fit" / "fitted.yaml"),
                 "--report"]) == 0
    fit = json.loads((folder / "fit" / "fit.json").read_text())
    return folder, fit


def _best(duration: dict) -> dict:
    return duration["candidates"][0]


def test_calls_csv_is_the_documented_format(round_trip):
    folder, _ = round_trip
    from presentation.calls_csv import COLUMNS

    with open(folder / "run" / "calls.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    kpis = json.loads((folder / "run" / "kpis.json").read_text())
    assert tuple(rows[0]) == COLUMNS
    # conservation: one row per offered call of every replication
    assert len(rows) == round(kpis["day"]["offered"]["mean"] * DAYS)
    assert {r["replication"] for r in rows} == {str(r) for r in range(DAYS)}
    assert len({r["call_id"] for r in rows}) == len(rows)
    answered = [r for r in rows if r["outcome"] == "answered"]
    assert len(answered) == round(kpis["day"]["answered"]["mean"] * DAYS)
    assert all(r["talk_s"] and r["agent_id"] for r in answered)
    assert all(r["talk_s"] == "" and r["agent_id"] == "" for r in rows if r["outcome"] == "abandoned")
    assert rows[0]["arrival"].startswith("2026-01-05 08:")  # replication 0 on the base date, from the start


def test_round_trip_arrivals_within_3_se(round_trip):
    _, fit = round_trip
    means = np.array(fit["calls_mean"])
    truth = np.array(TRUE_CALLS, dtype=float)
    se = np.sqrt(truth / DAYS)  # Poisson counts, no busyness in the truth
    assert len(means) == len(truth) and fit["start"] == "08:00"
    assert np.all(np.abs(means - truth) <= 3 * se), (means - truth) / se
    assert np.all(se / truth < 0.03)  # power: a 10% error in any interval would fail
    assert fit["busyness_cv"] < 0.03  # truth 0; the moment estimate's noise over 20 days is ~0.01


def test_round_trip_durations_within_3_se_and_families(round_trip):
    _, fit = round_trip
    (queue,) = fit["queues"]
    checks = [
        (queue["talk_time"], "lognormal", 180.0, 0.9),
        (queue["acw"], "gamma", 30.0, 0.5),
        (queue["patience"], "weibull", PATIENCE_MEAN, _weibull_cv(WEIBULL_SHAPE)),
    ]
    for duration, family, mean, cv in checks:
        best = _best(duration)
        assert best["family"] == family, (family, [c["family"] for c in duration["candidates"]])
        assert abs(best["mean_s"] - mean) <= 3 * best["mean_se_s"], (family, best["mean_s"], best["mean_se_s"])
        assert abs(best["cv"] - cv) <= 3 * best["cv_se"], (family, best["cv"], best["cv_se"])
        assert best["mean_se_s"] / mean < 0.05  # power
        assert best["ks_distance"] < 0.05 and not duration["poor_fit"]
    # the answered callers' waits were used, censored
    assert queue["patience"]["n_censored"] > queue["patience"]["n_observed"] > 1000


def test_naive_patience_is_biased_and_censored_is_not(round_trip):
    _, fit = round_trip
    (queue,) = fit["queues"]
    best = _best(queue["patience"])
    naive = queue["naive_patience_s"]
    assert abs(best["mean_s"] - PATIENCE_MEAN) <= 3 * best["mean_se_s"]
    # negative control: the mean of abandoners' waits is far outside 3 SE (it is a mean of short waits)
    assert PATIENCE_MEAN - naive > 10 * best["mean_se_s"]
    assert naive < 0.25 * PATIENCE_MEAN


def test_fitted_file_has_a_comment_per_fitted_value_and_loads(round_trip):
    folder, fit = round_trip
    text = (folder / "fit" / "fitted.yaml").read_text()
    from simulator.loading import load_scenario

    scenario = load_scenario(folder / "fit" / "fitted.yaml")
    assert list(scenario.agents[0].staffing) == TRUE_STAFFING  # every agent answers calls at this load
    lines = text.splitlines()
    for key in ("calls:", "talk_time:", "acw:", "patience:", "staffing:"):
        index = next(i for i, line in enumerate(lines) if line.strip().startswith(key))
        comment_block = []
        for line in reversed(lines[:index]):
            if not line.strip().startswith("#"):
                break
            comment_block.append(line)
        assert comment_block, key
        assert "95% CI" in " ".join(comment_block) or key == "staffing:", (key, comment_block)
    assert "n = " in text and "censored" in text
    for name in ("fit_report.html", "fit_arrivals.png", "fit_durations_service.png", "fit_patience_service.png"):
        assert (folder / "fit" / name).stat().st_size > 1000
    assert "Kaplan-Meier" in (folder / "fit" / "fit_report.html").read_text()


def _day_kpis(path: Path) -> dict:
    return json.loads(path.read_text())["day"]


KPI_CHECKED = ("service_level", "asa", "abandon_rate", "occupancy")


def _se(estimate) -> float:
    """The standard error behind a 95% t interval (from kpis.json or an Estimate)."""
    from scipy import stats

    low, high = estimate["ci95"] if isinstance(estimate, dict) else estimate.ci95
    n = estimate["n"] if isinstance(estimate, dict) else estimate.n
    return (high - low) / 2 / stats.t.ppf(0.975, n - 1)


LONG_LOG_DAYS = 150  # the KPI check's log: see test_fitted_scenario_reproduces_the_kpis


@pytest.fixture(scope="module")
def long_log_fit(tmp_path_factory):
    """150 other days of the same truth (another seed: other callers), logged and fitted back."""
    folder = tmp_path_factory.mktemp("long_log")
    scenario = folder / "truth.yaml"
    scenario.write_text(ROUND_TRIP.replace(f"replications: {DAYS}, seed: 4242",
                                           f"replications: {LONG_LOG_DAYS}, seed: 4243"))
    assert f"replications: {LONG_LOG_DAYS}" in scenario.read_text()
    from cli import main

    assert main(["run", str(scenario), "--calls-csv", "--no-plots", "-o", str(folder / "run"), "-w", "1", "-q",
                 "--json"]) == 0
    assert main(["fit", str(folder / "run" / "calls.csv"), "-o", str(folder / "fit" / "fitted.yaml")]) == 0
    return folder


@pytest.mark.slow
def test_fitted_scenario_reproduces_the_kpis(round_trip, long_log_fit):
    """The issue's check as worded: the fitted scenario's simulated SL, ASA, abandonment and
    occupancy fall within the 95% CIs of the original scenario's (its 20 logged days, kpis.json).

    Design. The fitted scenario is simulated on the original's callers (seed 4242, 20
    replications: common random numbers, checked below by reproducing kpis.json exactly with the
    true scenario), so the difference to the original's mean is the fit's error and not two
    independent simulation errors. The fit comes from a separate log of the same truth (seed
    4243, other callers), so its error is independent of the original's days.

    Log length from the SE arithmetic, not from trying seeds. Each KPI's sensitivity to the
    fitted volume, AHT and patience mean is measured by central differences (+-2%, +-2%, +-10%,
    on the same callers); times the parameter's relative standard error it is the KPI's 1-SE
    fit effect. Fitted from 20 days, the root sum of squares over the three parameters was 0.55,
    0.60, 0.56 and 0.51 of the original CI's half-width (SL, ASA, abandonment, occupancy).
    Standard errors shrink as 1/sqrt(days), so for the fit's error to be a 4-SE event before it
    leaves the CI we need 0.60 * sqrt(20 / D) <= 1/4, D >= 20 * (4 * 0.60)^2 = 115; with a 10%
    margin for the 0.60 being itself an estimate, D >= 20 * (4 * 0.60 / 0.9)^2 = 142: 150 days.
    The test re-measures that 1-SE effect on the 150-day fit and asserts 4 of it fit inside each
    half-width, so the premise is checked, not assumed. (A first sizing from one-sided 1-SE
    moves, 80 then 100 days, failed that premise: moves that small are lost in the path noise of
    common random numbers, so the sensitivities are now taken from larger, two-sided steps.)

    Negative controls on the same callers must fail the same check: the naive patience
    (exponential, mean of the abandoners' waits) and a talk time 3% too long (power).
    Time: about 19 s (16 s for the 150-day log and its fit of 450,000 calls, 3 s for the check), hence `slow`."""
    from simulator.batch import run_scenarios
    from simulator.loading import load_scenario
    from simulator.scenario import Scenario

    folder, _ = round_trip
    original = _day_kpis(folder / "run" / "kpis.json")
    truth = load_scenario(folder / "truth.yaml")
    fitted = load_scenario(long_log_fit / "fit" / "fitted.yaml")
    fit = json.loads((long_log_fit / "fit" / "fit.json").read_text())
    (queue,) = fit["queues"]
    talk, acw, patience = (_best(queue[key]) for key in ("talk_time", "acw", "patience"))
    relative_se = {
        "volume": 1 / math.sqrt(sum(fit["calls_mean"]) * LONG_LOG_DAYS),  # Poisson: the day's total
        "aht": math.hypot(talk["mean_se_s"], acw["mean_se_s"]) / (talk["mean_s"] + acw["mean_s"]),
        "patience": patience["mean_se_s"] / patience["mean_s"],
    }
    steps = {"volume": 0.02, "aht": 0.02, "patience": 0.10}  # large enough to rise above path noise

    def moved(parameter: str, factor: float) -> Scenario:
        if parameter == "volume":
            return fitted.with_volume(factor)
        if parameter == "aht":
            return fitted.with_scaled_durations("talk_time", factor).with_scaled_durations("acw", factor)
        return fitted.with_scaled_durations("patience", factor)

    sensitivity_runs = [moved(p, 1 + sign * step) for p, step in steps.items() for sign in (1, -1)]
    naive = Scenario.model_validate(fitted.model_dump() | {"queues": [
        fitted.queues[0].model_dump() | {"patience": {"dist": "exponential", "mean": queue["naive_patience_s"]}}]})
    longer_talk = fitted.with_scaled_durations("talk_time", 1.03)  # power: a 3% talk-time error must show
    results = run_scenarios([truth, fitted, naive, longer_talk, *sensitivity_runs], replications=DAYS, seed=4242)
    same_callers, base, wrong, off, around = results[0], results[1], results[2], results[3], results[4:]

    def half_width(kpi: str) -> float:
        low, high = original[kpi]["ci95"]
        return (high - low) / 2

    def within_ci(result, kpi: str) -> bool:
        low, high = original[kpi]["ci95"]
        return low <= result.day[kpi].mean <= high

    for kpi in KPI_CHECKED:
        # common random numbers: the true scenario on seed 4242 is the original run, call for call
        assert same_callers.day[kpi].mean == pytest.approx(original[kpi]["mean"], rel=1e-12), kpi
        # the premise: the 150-day fit's 1-SE effect on the KPI is at most a quarter of the half-width
        fit_effect = math.sqrt(sum(
            ((around[2 * i].day[kpi].mean - around[2 * i + 1].day[kpi].mean) / (2 * step) * relative_se[p]) ** 2
            for i, (p, step) in enumerate(steps.items())))
        assert 4 * fit_effect <= half_width(kpi), (kpi, fit_effect, half_width(kpi))
        assert within_ci(base, kpi), (kpi, original[kpi], base.day[kpi].mean)
    assert not within_ci(wrong, "abandon_rate") and not within_ci(wrong, "service_level")  # negative control
    assert not within_ci(off, "service_level")  # power check


# --- the MLE on its own: standard errors against closed forms ----------------------------------


def test_censored_exponential_matches_closed_form():
    """Censored exponential MLE: mean = time at risk / events, SE = mean / sqrt(events)."""
    from studies.fit_mle import fit_family

    rng = np.random.default_rng(7)
    patience = rng.exponential(100.0, 5000)
    wait = rng.exponential(60.0, 5000)
    observed, censored = patience[patience < wait], wait[patience >= wait]
    fit = fit_family("exponential", observed, censored)
    mean = (observed.sum() + censored.sum()) / len(observed)
    assert fit.mean_s == pytest.approx(mean, rel=1e-12)
    assert fit.mean_se_s == pytest.approx(mean / math.sqrt(len(observed)), rel=0.01)
    # and the lognormal's SE of the mean agrees with the delta method on its closed-form MLE
    from studies.fit_mle import fit_family as fit_one

    x = rng.lognormal(5.0, 0.6, 4000)
    lognormal = fit_one("lognormal", x, np.array([]))
    mu, sigma = np.log(x).mean(), np.log(x).std()
    # Var(mu) = s^2/n, Var(sigma) = s^2/(2n); mean = exp(mu + s^2/2)
    m = math.exp(mu + sigma**2 / 2)
    se = m * math.sqrt(sigma**2 / len(x) + sigma**4 / (2 * len(x)))
    assert lognormal.mean_se_s == pytest.approx(se, rel=0.02)


@pytest.mark.slow
def test_censored_standard_errors_are_calibrated():
    """The observed-information SE the round trip's 3-SE tolerances rest on: over 120 censored
    Weibull samples the z-scores (estimate - truth) / SE have sd 1 (its own SE ~ 1/sqrt(240) =
    0.065: the band 0.8-1.2 is 3 of those) and mean 0 (SE 1/sqrt(120) = 0.09)."""
    from studies.fit_mle import fit_family

    rng = np.random.default_rng(11)
    scale = PATIENCE_MEAN / math.gamma(1 + 1 / WEIBULL_SHAPE)
    z = []
    for _ in range(120):
        patience = scale * rng.weibull(WEIBULL_SHAPE, 3000)
        wait = rng.exponential(60.0, 3000)
        fit = fit_family("weibull", patience[patience < wait], wait[patience >= wait])
        z.append((fit.mean_s - PATIENCE_MEAN) / fit.mean_se_s)
    z = np.array(z)
    assert 0.8 < z.std() < 1.2, z.std()
    assert abs(z.mean()) < 0.3, z.mean()


def test_poor_fit_is_written_with_a_warning(tmp_path, capsys):
    """A two-humped talk time (no candidate fits) is written, with a warning in the file and output."""
    rng = np.random.default_rng(3)
    rows = ["arrival,queue,wait_s,outcome,talk_s,acw_s"]
    for i in range(600):
        talk = rng.normal(60, 5) if i % 2 else rng.normal(600, 20)
        rows.append(f"2026-01-05 {8 + i // 300:02d}:{(i // 5) % 60:02d}:{i % 60:02d},q,0,answered,{talk:.1f},0")
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    code, out, err = run_cli(capsys, "fit", tmp_path / "log.csv", "-o", tmp_path / "out" / "f.yaml")
    assert code == 0, err
    assert "poor talk time fit" in out
    assert "WARNING: queue 'q': poor talk time fit" in (tmp_path / "out" / "f.yaml").read_text()
    assert "TODO staffing" in (tmp_path / "out" / "f.yaml").read_text()  # no agent ids: the marker


# --- bad input: one line naming the row or column, exit 2, nothing written --------------------

GOOD_HEADER = "arrival,queue,wait_s,outcome,talk_s,acw_s"


def _log(rows: list[str], header: str = GOOD_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _good_rows(n: int = 40) -> list[str]:
    return [f"2026-01-05 08:{i % 60:02d}:00,q,{i % 7},answered,{100 + i},10" for i in range(n)]


@pytest.mark.parametrize("text, fragments", [
    (_log(_good_rows()[:1] + ["yesterday at noon,q,0,answered,100,10"] + _good_rows()[1:]),
     ("log.csv:3", "'arrival'", "not a timestamp")),
    (_log(_good_rows()[:4] + ["2026-01-05 08:04:00,q,-3,answered,100,10"] + _good_rows()[5:]),
     ("log.csv:6", "'wait_s'", "negative")),
    (_log(_good_rows()[:2] + ["2026-01-05 08:04:00,q,3,answered,-100,10"]), ("log.csv:4", "'talk_s'", "negative")),
    (_log(_good_rows(), header="arrival,queue,wait,outcome,talk_s,acw_s"), ("log.csv:1", "missing column 'wait_s'")),
    ("", ("log.csv", "empty")),
    (_log([]), ("log.csv", "no data rows")),
    (_log(_good_rows(12)), ("queue 'q'", "only 12 handled calls", "at least 30")),
    (_log(_good_rows()[:3] + ["2026-01-05 08:04:00,q,3,hung up,100,10"]), ("log.csv:5", "unknown outcome")),
])
def test_bad_call_logs_are_one_line_exit_2_nothing_written(tmp_path, capsys, text, fragments):
    (tmp_path / "log.csv").write_text(text)
    code, out, err = run_cli(capsys, "fit", tmp_path / "log.csv", "-o", tmp_path / "out" / "f.yaml")
    assert_user_error(code, out, err, *fragments)
    assert not (tmp_path / "out").exists()


def test_column_mapping_reads_an_acd_export(tmp_path, capsys):
    rows = [f"05/01 ignored,2026-01-05T08:{i % 60:02d}:{i % 50:02d},Support,0:0{i % 9},handled,{3 + i % 4}:{i % 60:02d}"
            for i in range(60)]
    (tmp_path / "acd.csv").write_text(_log(rows, header="day,Start,Skill,Queue Time,Result,Talk"))
    code, out, err = run_cli(capsys, "fit", tmp_path / "acd.csv", "-o", tmp_path / "o" / "f.yaml", "--columns",
                             "arrival=Start,queue=Skill,wait=Queue Time,outcome=Result,talk=Talk")
    assert code == 0, err
    fit = json.loads((tmp_path / "o" / "fit.json").read_text())
    talks = [180 + i % 4 * 60 + i % 60 for i in range(60)]
    assert fit["queues"][0]["handled"] == 60
    assert _best(fit["queues"][0]["talk_time"])["mean_s"] == pytest.approx(np.mean(talks), rel=0.02)
    code, out, err = run_cli(capsys, "fit", tmp_path / "acd.csv", "--columns", "start=Start")
    assert_user_error(code, out, err, "--columns", "unknown name 'start'")


# --- interval reports ---------------------------------------------------------------------------


def _interval_report(calls_csv: Path, target: Path, agents: list[int]) -> dict:
    """Aggregate a call log into a 30-minute interval report (what an ACD prints)."""
    import datetime as dt

    totals: dict = {}
    with open(calls_csv, newline="") as stream:
        for r in csv.DictReader(stream):
            t = dt.datetime.fromisoformat(r["arrival"])
            key = t.replace(minute=t.minute // 30 * 30, second=0, microsecond=0)
            row = totals.setdefault(key, [0, 0, 0, 0.0, 0.0])
            row[0] += 1
            if r["outcome"] == "answered":
                row[1] += 1
                row[3] += float(r["talk_s"]) + float(r["acw_s"])
                row[4] += float(r["wait_s"])
            elif r["outcome"] == "abandoned":
                row[2] += 1
    lines = ["interval,offered,answered,abandoned,aht_s,asa_s,agents"]
    for key in sorted(totals):
        k = int((key - key.replace(hour=8, minute=0)).total_seconds() // 1800)
        o, an, ab, h, w = totals[key]
        lines.append(f"{key:%Y-%m-%d %H:%M},{o},{an},{ab},{h / an:.3f},{w / an:.3f},{agents[k]}")
    target.write_text("\n".join(lines) + "\n")
    return totals


def test_interval_report_arrivals_and_calibrated_patience(round_trip, tmp_path, capsys):
    folder, _ = round_trip
    totals = _interval_report(folder / "run" / "calls.csv", tmp_path / "report.csv", TRUE_STAFFING)
    code, out, err = run_cli(capsys, "fit", "--intervals", tmp_path / "report.csv", "-o", tmp_path / "o" / "r.yaml",
                             "-r", "6", "-w", "1", "--aht-cv", "0.8")
    assert code == 0, err
    fit = json.loads((tmp_path / "o" / "fit.json").read_text())
    offered = np.zeros((DAYS, 16))
    for key, row in totals.items():
        offered[key.day - 5, (key.hour - 8) * 2 + key.minute // 30] = row[0]
    assert fit["calls_mean"] == pytest.approx(offered.mean(axis=0).tolist(), rel=1e-12)  # exactly the mean offered
    calibration = fit["calibration"]
    answered = sum(r[1] for r in totals.values())
    abandoned = sum(r[2] for r in totals.values())
    assert calibration["target_abandon_rate"] == pytest.approx(abandoned / sum(r[0] for r in totals.values()))
    # Little's-law start, by hand: (answered + abandoned) x ASA / abandoned, summed over intervals
    little = sum((r[1] + r[2]) * round(r[4] / r[1], 3) for r in totals.values()) / abandoned
    assert calibration["little_estimate_s"] == pytest.approx(little, rel=1e-6)
    assert answered > 0
    # the bisection stopped where the simulated abandonment is within 2% (relative) of the report's
    assert abs(calibration["simulated_abandon_rate"] - calibration["target_abandon_rate"]) <= (
        0.02 * calibration["target_abandon_rate"] + 1e-12) or len(calibration["steps"]) == 12
    from simulator.loading import load_scenario

    scenario = load_scenario(tmp_path / "o" / "r.yaml")
    assert scenario.queues[0].patience.mean_s == pytest.approx(calibration["patience_mean_s"], rel=1e-3)
    assert list(scenario.agents[0].staffing) == TRUE_STAFFING


@pytest.mark.parametrize("rows, fragments", [
    ("08:00,10,12,0,100,5\n", ("r.csv:2", "exceed offered")),
    ("08:00,40,35,5,100,5\n08:30,40,35,5,100,5\n08:00,40,35,5,100,5\n", ("r.csv:4", "same day and interval as row 2")),
    ("08:00,40,35,5,100,5\n08:10,40,35,5,100,5\n", ("not on a 30-minute grid",)),
    ("8 o'clock,40,35,5,100,5\n", ("r.csv:2", "'interval'", "not an interval start")),
])
def test_interval_report_bad_rows(tmp_path, capsys, rows, fragments):
    (tmp_path / "r.csv").write_text("interval,offered,answered,abandoned,aht_s,asa_s\n" + rows)
    code, out, err = run_cli(capsys, "fit", "--intervals", tmp_path / "r.csv", "-o", tmp_path / "o" / "r.yaml")
    assert_user_error(code, out, err, *fragments)
    assert not (tmp_path / "o").exists()


# two queues, two days, four half-hours: (queue, offered, answered, abandoned, aht_s, asa_s, agents) per row
TWO_QUEUE_ROWS = [(q, o + 2 * k + 3 * day, o + 2 * k + 3 * day - ab, ab, aht + 10 * k, asa + k, agents + k // 2)
                  for day in range(2) for k in range(4)
                  for q, o, ab, aht, asa, agents in (("sales", 60, 5, 200, 20, 8), ("support", 40, 2, 300, 15, 8))]


def _two_queue_report(path: Path, rows=TWO_QUEUE_ROWS) -> None:
    lines = ["interval,queue,offered,answered,abandoned,aht_s,asa_s,agents"]
    for i, (q, o, an, ab, aht, asa, agents) in enumerate(rows):
        day, k = divmod(i // 2, 4)
        lines.append(f"2026-01-{5 + day:02d} {8 + k // 2:02d}:{k % 2 * 30:02d},{q},{o},{an},{ab},{aht},{asa},{agents}")
    path.write_text("\n".join(lines) + "\n")


def test_interval_report_with_several_queues(tmp_path, capsys):
    """A `queue` column: total arrivals and queue_shares, each queue's AHT, agents and patience.
    Expected values by hand from TWO_QUEUE_ROWS; each queue's patience calibrated to its own
    abandonment (within the bisection's 2% stopping tolerance, or all 12 steps used)."""
    _two_queue_report(tmp_path / "r.csv")
    code, out, err = run_cli(capsys, "fit", "--intervals", tmp_path / "r.csv", "-o", tmp_path / "o" / "r.yaml",
                             "-r", "6", "-w", "1")
    assert code == 0, err
    from simulator.loading import load_scenario

    scenario = load_scenario(tmp_path / "o" / "r.yaml")
    # arrivals: (60 + 40) + 2k + 2 x 3 x day per interval, mean over the two days: 103 + 4k
    assert scenario.arrivals.calls == pytest.approx([103 + 4 * k for k in range(4)])
    sales_total = sum(60 + 2 * k + 3 * day for day in range(2) for k in range(4))  # 516
    support_total = sum(40 + 2 * k + 3 * day for day in range(2) for k in range(4))  # 356
    assert scenario.arrivals.queue_shares["sales"] == pytest.approx(sales_total / (sales_total + support_total),
                                                                     abs=1e-4)
    queues = {q.name: q for q in scenario.queues}
    assert list(queues) == ["sales", "support"]
    for name, aht0, ab in (("sales", 200, 5), ("support", 300, 2)):
        answered = [o + 2 * k + 3 * day - ab for day in range(2) for k in range(4) for o in [60 if name == "sales"
                                                                                              else 40]]
        ahts = [aht0 + 10 * k for day in range(2) for k in range(4)]
        assert queues[name].talk_time.mean_s == pytest.approx(
            sum(a * h for a, h in zip(answered, ahts)) / sum(answered), rel=1e-4)  # answered-weighted AHT
    groups = {g.name: g for g in scenario.agents}
    assert {g: tuple(groups[g].serves) for g in groups} == {"sales agents": ("sales",), "support agents": ("support",)}
    assert list(groups["sales agents"].staffing) == [8, 8, 9, 9]
    fit = json.loads((tmp_path / "o" / "fit.json").read_text())
    assert fit["calibration"] is None
    for name, ab in (("sales", 5), ("support", 2)):
        c = fit["calibration_by_queue"][name]
        assert c["target_abandon_rate"] == pytest.approx(ab * 8 / (sales_total if name == "sales" else support_total))
        assert abs(c["simulated_abandon_rate"] - c["target_abandon_rate"]) <= 0.02 * c["target_abandon_rate"] or (
            len(c["steps"]) == 12)
        assert queues[name].patience.mean_s == pytest.approx(c["patience_mean_s"], rel=1e-3)
    # the calibration moved the patience: the two queues' means are their own, not one shared factor
    assert fit["calibration_by_queue"]["sales"]["patience_mean_s"] != pytest.approx(
        fit["calibration_by_queue"]["sales"]["little_estimate_s"], rel=1e-3)
    assert "sales" in out and "support" in out


def test_interval_report_repeated_queue_row(tmp_path, capsys):
    _two_queue_report(tmp_path / "r.csv")
    text = (tmp_path / "r.csv").read_text().splitlines()
    text[3] = text[1]  # row 4 repeats row 2: same day, interval and queue
    (tmp_path / "r.csv").write_text("\n".join(text) + "\n")
    code, out, err = run_cli(capsys, "fit", "--intervals", tmp_path / "r.csv", "-o", tmp_path / "o" / "r.yaml")
    assert_user_error(code, out, err, "r.csv:4", "same day, interval and queue as row 2")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("rows, fragments", [
    ("08:00,a,40,35,5,100,5\n08:00,b,10,9,1,100,5\n08:30,a,40,35,5,100,5\n", ("r.csv", "queue 'b'", "too few")),
    ("08:00,,40,35,5,100,5\n", ("r.csv:2", "'queue'", "empty")),
])
def test_interval_report_bad_queue_rows(tmp_path, capsys, rows, fragments):
    (tmp_path / "r.csv").write_text("interval,queue,offered,answered,abandoned,aht_s,asa_s\n" + rows)
    code, out, err = run_cli(capsys, "fit", "--intervals", tmp_path / "r.csv", "-o", tmp_path / "o" / "r.yaml")
    assert_user_error(code, out, err, *fragments)
    assert not (tmp_path / "o").exists()


def test_interval_report_several_queues_without_staffing(tmp_path, capsys):
    """No agents column: each queue's patience is its own Little's-law estimate, by hand."""
    rows = "".join(f"{8 + k // 2:02d}:{k % 2 * 30:02d},{q},{o + k},{o + k - ab},{ab},200,{asa}\n"
                   for k in range(4) for q, o, ab, asa in (("a", 40, 4, 10), ("b", 30, 2, 20)))
    (tmp_path / "r.csv").write_text("interval,queue,offered,answered,abandoned,aht_s,asa_s\n" + rows)
    code, out, err = run_cli(capsys, "fit", "--intervals", tmp_path / "r.csv", "-o", tmp_path / "o" / "r.yaml")
    assert code == 0, err
    from simulator.loading import load_scenario

    scenario = load_scenario(tmp_path / "o" / "r.yaml")
    assert scenario.arrivals.calls == (70, 72, 74, 76)
    patience = {q.name: q.patience.mean_s for q in scenario.queues}
    # (answered + abandoned) x ASA / abandoned, summed over the queue's intervals
    assert patience["a"] == pytest.approx(sum((40 + k) * 10 for k in range(4)) / 16, rel=1e-3)
    assert patience["b"] == pytest.approx(sum((30 + k) * 20 for k in range(4)) / 8, rel=1e-3)
    assert "TODO staffing" in (tmp_path / "o" / "r.yaml").read_text()


def test_interval_report_clock_times_without_staffing(tmp_path, capsys):
    """HH:MM rows, no agents column: arrivals as given, patience by Little's law, staffing marked."""
    rows = "".join(f"{8 + k // 2:02d}:{k % 2 * 30:02d},{40 + k},{36 + k},4,200,{10 + k}\n" for k in range(4))
    (tmp_path / "r.csv").write_text("interval,offered,answered,abandoned,aht_s,asa_s\n" + rows)
    code, out, err = run_cli(capsys, "fit", "--intervals", tmp_path / "r.csv", "-o", tmp_path / "o" / "r.yaml")
    assert code == 0, err
    from simulator.loading import load_scenario

    scenario = load_scenario(tmp_path / "o" / "r.yaml")
    assert scenario.arrivals.calls == (40, 41, 42, 43)
    little = sum((40 + k) * (10 + k) for k in range(4)) / 16  # (answered + abandoned) x ASA / abandoned
    assert scenario.queues[0].patience.mean_s == pytest.approx(little, rel=1e-3)
    assert "TODO staffing" in (tmp_path / "o" / "r.yaml").read_text()


# --- forecasts from CSV ------------------------------------------------------------------------


def _forecast_scenario(folder: Path, column: str) -> Path:
    text = HELP_DESK.read_text().replace("calls: [60, 60, 60, 60, 60, 60, 60, 60]",
                                         f"calls: {{csv: forecast.csv, column: {column}}}")
    assert "forecast.csv" in text
    (folder / "s.yaml").write_text(text)
    return folder / "s.yaml"


def test_arrivals_from_a_forecast_csv(tmp_path, capsys):
    from simulator.loading import load_scenario

    (tmp_path / "forecast.csv").write_text("interval,calls\n" + "".join(f"{8 + k // 2}:{k % 2 * 3}0,{50 + k}.5\n"
                                                                        for k in range(8)))
    scenario = load_scenario(_forecast_scenario(tmp_path, "calls"))
    assert scenario.arrivals.calls == tuple(50.5 + k for k in range(8))
    code, out, err = run_cli(capsys, "validate", _forecast_scenario(tmp_path, "volume"))
    assert_user_error(code, out, err, "s.yaml:", "arrivals.calls.column", "no column 'volume'", "interval, calls")
    (tmp_path / "forecast.csv").write_text("interval,calls\n8:00,50\n8:30,lots\n")
    code, out, err = run_cli(capsys, "validate", _forecast_scenario(tmp_path, "calls"))
    assert_user_error(code, out, err, "forecast.csv:3", "'lots'")


# --- what-ifs and plan diffs -----------------------------------------------------------------


def test_volume_and_aht_what_ifs_on_run(tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", HELP_DESK, "-r", "2", "--no-plots", "-w", "1", "--volume", "1.1", "--aht",
                             "1.05", "-o", tmp_path, "--json")
    assert code == 0, err
    scenario = json.loads(out)["scenario"]
    assert scenario["arrivals"]["calls"] == pytest.approx([66.0] * 8)
    assert scenario["queues"][0]["talk_time"]["mean"] == pytest.approx(252.0)
    assert scenario["queues"][0]["talk_time"]["cv"] == pytest.approx(0.8)  # the CV stays
    assert scenario["queues"][0]["acw"]["mean"] == pytest.approx(47.25)


def test_volume_what_if_on_compare(tmp_path, capsys):
    code, out, err = run_cli(capsys, "compare", HELP_DESK, HELP_DESK, "-r", "3", "--no-plots", "-w", "1", "--volume",
                             "2", "-o", tmp_path, "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["what_if"] == {"volume": 2.0, "aht": None}
    for label in ("help_desk", "help_desk#2"):  # the same what-if for every scenario compared
        mean = document["kpis"]["offered"]["scenarios"][label]["mean"]
        # 8 intervals x 60 calls x 2 = 960 expected; Poisson SE of a 3-day mean: sqrt(960 / 3)
        assert abs(mean - 960) <= 4 * math.sqrt(960 / 3), mean
        assert abs(mean - 480) > 4 * math.sqrt(480 / 3)  # negative control: not the unscaled volume


def test_plan_baseline_diff(tmp_path, capsys):
    code, _, err = run_cli(capsys, "plan", HELP_DESK, "--no-plots", "-o", tmp_path / "base")
    assert code == 0, err
    code, out, err = run_cli(capsys, "plan", HELP_DESK, "--no-plots", "--volume", "1.5", "-o", tmp_path / "more",
                             "--baseline", tmp_path / "base")
    assert code == 0, err
    assert "Change against the baseline plan" in out

    def scheduled(folder):
        with open(folder / "plan.csv", newline="") as stream:
            return [int(r["scheduled_agents"]) for r in csv.DictReader(stream)]

    base, more = scheduled(tmp_path / "base"), scheduled(tmp_path / "more")
    with open(tmp_path / "more" / "plan_diff.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [float(r["scheduled_change"]) for r in rows[:-1]] == [m - b for m, b in zip(more, base)]
    day = rows[-1]
    assert day["interval"] == "day"
    assert float(day["agent_hours_change"]) == pytest.approx(0.5 * (sum(more) - sum(base)))  # 30-minute intervals
    assert float(day["agent_hours_change"]) > 0  # 50% more calls need more agent time
    code, out, err = run_cli(capsys, "plan", HELP_DESK, "--no-plots", "-o", tmp_path / "x", "--baseline",
                             tmp_path / "nowhere")
    assert_user_error(code, out, err, "no plan.csv")
    assert not (tmp_path / "x").exists()


# --- balking, day selection, the Python API of the call log --------------------------------------


@pytest.fixture(scope="module")
def balking_log(tmp_path_factory):
    """Ten help-desk days with 20% balking, written through the Python API."""
    from presentation.calls_csv import calls_csv
    from simulator.loading import load_scenario
    from simulator.run import run_scenario
    from simulator.schema_base import revised

    scenario = load_scenario(HELP_DESK)
    scenario = revised(scenario, queues=(revised(scenario.queues[0], balk_probability=0.2),))
    result = run_scenario(scenario, replications=10, seed=5, keep_records=True)
    path = tmp_path_factory.mktemp("balking") / "calls.csv"
    path.write_text(calls_csv(result.days, scenario))
    first_two = calls_csv(result.days, scenario, first=2)
    assert first_two.count("\n") - 1 == len(result.days[0].records) + len(result.days[1].records)
    return path


def test_balking_and_staffing_from_the_log(balking_log):
    from studies.fit import fit_call_log
    from studies.fit_input import day_filter, read_call_log

    log = read_call_log(balking_log)
    fit = fit_call_log(log, day_filter(log.day, None, None, log.source))
    (queue,) = fit.queues
    n = queue.balked + queue.waited
    assert abs(queue.balk_probability - 0.2) <= 3 * math.sqrt(0.2 * 0.8 / n)  # binomial SE of the truth
    assert math.sqrt(0.2 * 0.8 / n) < 0.02  # power
    assert fit.scenario.queues[0].balk_probability == pytest.approx(queue.balk_probability, rel=1e-3)
    assert fit.staffing == {"support team": (10,) * 8}  # help desk: 10 agents, all busy every interval


def test_days_and_weekdays_select_the_calls(balking_log, capsys, tmp_path):
    from studies.fit_input import day_filter, read_call_log

    log = read_call_log(balking_log)
    # replication r is 2026-01-05 (a Monday) + r days
    assert len(np.unique(log.day[day_filter(log.day, "2026-01-05:2026-01-09", None, "x")])) == 5
    assert np.unique(log.day[day_filter(log.day, None, "mon", "x")]).astype(str).tolist() == ["2026-01-05",
                                                                                               "2026-01-12"]
    assert len(np.unique(log.day[day_filter(log.day, "2026-01-06,2026-01-08", "tue,thu", "x")])) == 2
    code, out, err = run_cli(capsys, "fit", balking_log, "--days", "2026-02-01:2026-02-03", "-o",
                             tmp_path / "o" / "f.yaml")
    assert_user_error(code, out, err, "no rows on the chosen days")
    code, out, err = run_cli(capsys, "fit", balking_log, "--weekday", "someday", "-o", tmp_path / "o" / "f.yaml")
    assert_user_error(code, out, err, "--weekday", "'som'")
    assert not (tmp_path / "o").exists()


def test_redials_are_named_in_a_warning(tmp_path, capsys):
    rows = [f"{row},c{i % 30}" for i, row in enumerate(_good_rows(40))]  # 40 calls from 30 callers
    (tmp_path / "log.csv").write_text(_log(rows, header=GOOD_HEADER + ",caller_id"))
    code, out, err = run_cli(capsys, "fit", tmp_path / "log.csv", "-o", tmp_path / "o" / "f.yaml")
    assert code == 0, err
    assert "warning: 10 calls are redials or repeat calls" in out
