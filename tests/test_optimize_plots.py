"""optimize_kpis.png draws the figures the answer is judged on: the confirmation replications the
search never used, not the search's own (which sit at the edge of the targets by construction)."""
from __future__ import annotations

from helpers import SCENARIO_DIR
from presentation.optimize_plots import kpis_png, plotted_checks, sample_words
from simulator import load_scenario
from studies.optimize import optimize_staffing


def test_kpis_plot_is_drawn_from_the_confirmation_and_says_so():
    scenario = load_scenario(SCENARIO_DIR / "help_desk.yaml")
    result = optimize_staffing(scenario, replications=4, seed=4, confirm_replications=8)
    checks, confidence = plotted_checks(result)
    assert checks is result.confirmation.checks and confidence == result.confirm_confidence == 0.95
    # the control: the in-sample figures are other numbers (other days), so the choice is visible in the plot
    assert [c.values["service_level"].mean for c in checks] != [c.values["service_level"].mean
                                                               for c in result.final.checks]
    assert "out of sample" in sample_words(result) and "8 confirmation replications" in sample_words(result)
    assert kpis_png(result).startswith(b"\x89PNG")

    searched = optimize_staffing(scenario, replications=4, seed=4, confirm_replications=0)
    checks, confidence = plotted_checks(searched)
    assert checks is searched.final.checks and confidence is None
    assert "search's own 4 replications (no confirmation)" in sample_words(searched)
