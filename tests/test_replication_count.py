"""`replications=0` is refused everywhere a study takes a number of replications; it used to be
read as "not given" (`replications or 20`), so a caller asking for none silently got 20 days."""
from __future__ import annotations

import pytest

from helpers import HELP_DESK
from simulator.errors import UserError
from simulator.loading import load_scenario
from simulator.scenario import replication_count


def test_none_means_the_default_and_a_number_is_honoured():
    assert replication_count(None, 20) == 20
    assert replication_count(1, 20) == 1 and replication_count(2, 20) == 2 and replication_count(10_000, 20) == 10_000


@pytest.mark.parametrize("replications", [0, -3, 10_001])
def test_too_few_or_too_many_are_refused_with_what_to_do(replications):
    with pytest.raises(UserError, match=rf"replications {replications}: give 1 to 10,000 .* or leave it out for 20"):
        replication_count(replications, 20)


def _studies():
    from simulator.run import run_scenario
    from studies.compare import compare_scenarios
    from studies.lessons import cliff, pooling, variability
    from studies.optimize import optimize_staffing
    from studies.sweep import run_sweep

    scenario = load_scenario(HELP_DESK)
    return {
        "run_scenario": lambda: run_scenario(scenario, replications=0),
        "compare_scenarios": lambda: compare_scenarios([scenario, scenario], ["a", "b"], replications=0),
        "run_sweep": lambda: run_sweep(scenario, [5, 6], False, None, None, None, None, replications=0),
        "optimize_staffing": lambda: optimize_staffing(scenario, replications=0),
        "cliff": lambda: cliff(0), "pooling": lambda: pooling(0), "variability": lambda: variability(0),
    }


@pytest.mark.parametrize("name", ["run_scenario", "compare_scenarios", "run_sweep", "optimize_staffing",
                                  "cliff", "pooling", "variability"])
def test_every_study_refuses_zero_before_simulating(name):
    with pytest.raises(UserError, match="replications 0: give 1"):
        _studies()[name]()
