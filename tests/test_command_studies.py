"""The studies behind `callsim plan` and `callsim run` called as the app would call them: one
call each, data back, no files and no command line."""
from __future__ import annotations

import csv
import io

import pytest

from helpers import HELP_DESK
from presentation.plan_output import plan_csv
from simulator.loading import load_scenario
from studies.plan_diff import parse_plan_csv, plan_rows
from studies.plan_study import plan_study
from studies.run_study import run_study


def _never_opened():
    raise AssertionError("an executor was opened for a plan that is not simulated")


def test_a_plan_not_verified_opens_no_executor_and_simulates_nothing():
    study = plan_study(load_scenario(HELP_DESK), open_executor=_never_opened)
    assert study.verification is None and study.slack is None and study.diff is None
    assert study.planned.agents[0].staffing == tuple(study.plan.groups[0].agents)


def test_a_verified_plan_has_its_simulation_and_slack_and_a_diff_against_itself_is_zero():
    scenario = load_scenario(HELP_DESK)
    first = plan_study(scenario)
    study = plan_study(scenario, verify=True, replications=3, baseline_rows=plan_rows(first.plan),
                       baseline_name="itself")
    assert study.verification.result.replications == 3 and study.slack is not None
    changes = [row.change(key) for row in study.diff.rows for key in ("scheduled", "agent_hours", "service_level")]
    assert changes and all(change in (0, None) for change in changes)
    # the control: a plan with shrinkage differs from it in scheduled agents
    other = plan_study(scenario, shrinkage=0.3, baseline_rows=plan_rows(first.plan), baseline_name="no shrinkage")
    assert any(row.change("scheduled") for row in other.diff.rows)


def test_plan_rows_are_what_plan_csv_holds():
    """The diff reads the current plan at the file's precision: plan_rows is plan.csv read back."""
    plan = plan_study(load_scenario(HELP_DESK), shrinkage=0.25).plan
    text = plan_csv(plan)
    assert plan_rows(plan) == parse_plan_csv(text, "plan.csv")
    assert next(csv.reader(io.StringIO(text)))[0] == "queue"


@pytest.mark.parametrize("slack", [False, True])
def test_run_study_is_the_run_and_its_slack_when_asked(slack):
    study = run_study(load_scenario(HELP_DESK), replications=2, sample_day=False, slack=slack)
    assert study.result.replications == 2 and study.result.sample_day is None
    assert (study.slack is not None) == slack
