"""The lessons with the class's own numbers (`callsim app`'s Lessons page): the scenario
builders take parameters, their defaults are the hand-outs' scenarios, and every sentence is
written from the numbers of the run (no canned 20 agents or 12 Erlangs)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from presentation import lessons_output
from presentation.lessons_output import _lognormal_facts
from studies import lessons


def test_the_defaults_are_the_handouts_scenarios():
    assert lessons.cliff_scenario().description == (
        "M/M/N: 180 calls an hour, exponential talk time of 4 minutes (12 Erlangs), nobody hangs up, 12 hours; "
        "swept from 20 agents down to 13.")
    separate, pooled = lessons.pooling_scenarios()
    assert (separate.name, pooled.name) == ("Two queues, two teams of 6", "One queue, one team of 12")
    assert separate.description.startswith("150 calls an hour split evenly between two queues (5 Erlangs each)")
    names = [s.name for s in lessons.variability_scenarios()]
    assert names == ["Talk exactly 5 minutes (cv 0)", "Talk exponential, mean 5 minutes (cv 1)",
                     "Talk lognormal, mean 5 minutes, cv 2"]


def test_lognormal_facts_of_the_variability_lesson_match_scipy():
    from scipy import integrate, stats

    mean, cv = 300.0, 2.0
    sigma = math.sqrt(math.log(1 + cv**2))
    distribution = stats.lognorm(s=sigma, scale=mean / math.sqrt(1 + cv**2))
    median, p99, top_share = _lognormal_facts(mean, cv)
    assert math.isclose(distribution.mean(), mean, rel_tol=1e-9)
    assert math.isclose(median, distribution.median(), rel_tol=1e-9)
    assert math.isclose(p99, distribution.ppf(0.99), rel_tol=1e-6)
    tail, _ = integrate.quad(lambda x: x * distribution.pdf(x), distribution.ppf(0.9), np.inf)
    assert math.isclose(top_share, tail / mean, rel_tol=1e-6)


def test_the_variability_lesson_explains_the_allen_cunneen_gap():
    study = lessons.variability(replications=20)
    text = lessons_output.variability(study).text
    approx = study.approximations_s[-1]
    assert math.isclose(approx, study.erlang_asa_s * 2.5)  # (1 + 2²)/2
    simulated = study.comparison.estimate(2, "asa")
    if simulated.ci95[1] < approx:
        assert f"for cv 2 the approximation says {approx:.0f} s" in text and "above the whole 95% CI" in text
        assert "half the calls are shorter than 134 s" in text  # 300 / sqrt(5)
        assert "Pollaczek-Khinchine" in text and "with 10 agents" in text
    else:
        assert "inside the simulated 95% CI" in text or "below the whole 95% CI" in text


def test_the_cliff_with_other_numbers_is_told_with_those_numbers():
    sweep = lessons.cliff(replications=3, calls_per_hour=120, talk_mean_s=300, hours=2, agents=(14, 9))
    assert [p.agents for p in sweep.points] == [14, 13, 12, 11, 10, 9]
    text = lessons_output.cliff(sweep).text
    assert "120 calls an hour, 5-minute calls: 10 Erlangs of work" in text
    assert "With 14 agents" in text and "Going from 10 to 9 agents (one person, 10% of the team)" in text
    assert "With 9 agents or fewer the work (10 Erlangs) exceeds the team" in text
    assert "12 Erlangs" not in text and "20 agents" not in text


@pytest.mark.parametrize("team, stable", [(7, True), (4, False)])
def test_pooling_with_other_numbers(team, stable):
    study = lessons.pooling(replications=3, calls_per_hour=120, team_size=team, talk_mean_s=240)
    text = lessons_output.pooling(study).text
    assert text.startswith(f"Pooling: two teams of {team} against one team of {2 * team}")
    assert f"The same 8 Erlangs of work and the same {2 * team} agents" in text
    assert ("Erlang C without abandonment says the same" in text) == stable
    assert ("Erlang C has no steady state here" in text) == (not stable)
