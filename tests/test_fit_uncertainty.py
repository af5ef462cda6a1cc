"""`callsim fit` says when the data cannot choose the family, and when a day looks cut short.

The family rule on hand-built candidates (the issue's case: two patience families 0.13 apart in
AIC, means 571 s and 779 s, the chosen one's CI narrower than their gap), with negative controls
(a clear AIC winner; rivals whose means lie inside the chosen CI; a real exponential sample, where
the nested gamma and Weibull are always plausible but move the mean by nothing). The partial-day
check on a simulated log with the last day cut at 11:00, and the whole log as the control.
"""
from __future__ import annotations

import numpy as np

from helpers import HELP_DESK, run_cli
from studies.fit import partial_day_warnings, uncertain_family_warning
from studies.fit_mle import DurationFit, FamilyFit, fit_durations


def _family(name: str, aic: float, mean_s: float, mean_se_s: float) -> FamilyFit:
    return FamilyFit(family=name, params={}, log_likelihood=-aic / 2, aic=aic, mean_s=mean_s, mean_se_s=mean_se_s,
                     cv=1.0, cv_se=0.1, ks_distance=0.02)


def _fit(*families: FamilyFit) -> DurationFit:
    return DurationFit(candidates=families, observed_s=np.ones(3), censored_s=np.ones(3))


def test_two_families_that_tie_with_different_means_are_flagged():
    tie = _fit(_family("weibull", 1000.0, 571.0, 50.0), _family("gamma", 1000.13, 779.0, 70.0),
               _family("exponential", 1009.0, 900.0, 40.0))
    assert [c.family for c in tie.plausible] == ["weibull", "gamma"] and tie.uncertain_choice
    assert tie.plausible_means_s == (571.0, 779.0)  # the exponential, 9 AIC behind, is not plausible
    text = uncertain_family_warning("support", "patience", tie)
    assert "the patience family is uncertain: weibull (mean 571 s, 95% CI 473 to 669 s)" in text
    assert "gamma (AIC +0.13, mean 779 s)" in text and "anywhere from 571 to 779 s" in text


def test_a_clear_winner_or_a_rival_inside_the_ci_is_not_flagged():
    clear = _fit(_family("weibull", 1000.0, 571.0, 50.0), _family("gamma", 1002.5, 779.0, 70.0))
    assert clear.plausible == clear.candidates[:1] and not clear.uncertain_choice
    inside = _fit(_family("weibull", 1000.0, 571.0, 50.0), _family("gamma", 1000.13, 600.0, 70.0))
    assert len(inside.plausible) == 2 and not inside.uncertain_choice


def test_exponential_data_keep_the_nested_families_plausible_but_certain():
    sample = np.random.default_rng(3).exponential(46.0, 2000)
    fit = fit_durations(sample)
    assert not fit.uncertain_choice
    low, high = fit.plausible_means_s
    assert high - low < fit.best.mean_se_s  # the families agree on the mean


def _log(tmp_path, capsys):
    code, _, err = run_cli(capsys, "run", HELP_DESK, "-r", "4", "--calls-csv", "--no-plots", "-q", "-o",
                           tmp_path / "run")
    assert code == 0, err
    return (tmp_path / "run" / "calls.csv").read_text().splitlines()


def test_a_last_day_cut_short_is_warned_about(tmp_path, capsys):
    lines = _log(tmp_path, capsys)
    last_day = lines[-1].split(",")[3][:10]
    cut = [lines[0]] + [line for line in lines[1:]
                        if not (line.split(",")[3].startswith(last_day) and line.split(",")[3][11:16] >= "10:00")]
    (tmp_path / "cut.csv").write_text("\n".join(cut) + "\n")
    code, out, err = run_cli(capsys, "fit", tmp_path / "cut.csv", "-o", tmp_path / "cut.yaml")
    assert code == 0, err
    assert f"warning: the last day, {last_day}, has no calls from 10:00 on" in out
    assert "cut short" in (tmp_path / "cut.yaml").read_text()  # the warning is in the file too
    # negative control: the whole log
    code, out, err = run_cli(capsys, "fit", tmp_path / "run" / "calls.csv", "-o", tmp_path / "whole.yaml")
    assert code == 0, err
    assert "cut short" not in out


def test_partial_day_rule_on_counts():
    counts = np.full((3, 8), 60.0)
    assert partial_day_warnings(counts, ["d1", "d2", "d3"], 8 * 3600, 1800) == []
    counts[0, :2] = 0  # the first day starts at 09:00
    counts[2, -1] = 0  # the last day misses its final half hour
    warnings = partial_day_warnings(counts, ["d1", "d2", "d3"], 8 * 3600, 1800)
    assert warnings[0].startswith("the first day, d1, has no calls before 09:00, where the other days have 120")
    assert warnings[1].startswith("the last day, d3, has no calls from 11:30 on, where the other days have 60")
    quiet = np.full((3, 8), 1.0)
    quiet[2, -2:] = 0  # two quiet intervals: 2 calls expected, an empty end is no evidence
    assert partial_day_warnings(quiet, ["d1", "d2", "d3"], 8 * 3600, 1800) == []
