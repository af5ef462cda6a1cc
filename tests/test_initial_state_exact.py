"""A day started from a state against exact theory (issue 25).

* An M/M/c+M queue started with n callers waiting and c agents busy must follow the exact
  transient law of its number in system, computed here by uniformisation (the CTMC's generator
  Q, P(t) = sum_k Poisson(k; L t) (I + Q/L)^k): the mean queue length and the probability that
  an arriving caller waits (all c agents busy, by PASTA) at 1, 5, 15 and 30 minutes ahead,
  within 4 standard errors over replications; the same with abandonment switched off (M/M/c);
  a power check (4 SE below the gap to the empty start's law) and a negative control (the
  empty start against the state's law must fail).
* Conditional patience for a non-exponential patience (where it matters): with no agent on
  shift, a caller who has waited w is still waiting t later with probability S(w + t) / S(w);
  drawing its patience afresh (unconditionally) must fail the same test.
* Residual busy time: an agent busy for an unknown time has on average E[X^2] / (2 E[X]) left
  (lognormal talk: mean (1 + cv^2) / 2); one busy for e seconds has E[X - e | X > e] left.
* The empty state at the start of the day reproduces today's day exactly, record for record.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

import simulator.starting_state as starting_state
from simulator.engine import simulate_replication
from simulator.initial_state import BusyAgents, InitialState
from simulator.loading import load_scenario, scenario_from_dict
from simulator.records import INITIAL, Outcome

C, MEAN_TALK_S, MEAN_PATIENCE_S = 5, 240.0, 180.0
ARRIVAL_RATE_PER_S = 1.1 * C / MEAN_TALK_S  # overloaded: a queue builds, abandonment holds it
N_WAITING = 8
AHEAD_S = (60.0, 300.0, 900.0, 1800.0)
AT_S = 1800.0  # 08:30 in a day from 08:00: the state cuts the first interval
REPLICATIONS = 1000


def mmc_scenario(patience: bool = True, state: InitialState | None = None):
    queue = {"name": "q", "talk_time": {"dist": "exponential", "mean": MEAN_TALK_S},
             "acw": {"dist": "fixed", "mean": 0}}
    if patience:
        queue["patience"] = {"dist": "exponential", "mean": MEAN_PATIENCE_S}
    scenario = scenario_from_dict({
        "schema_version": 1, "name": "M/M/c+M from a state", "interval_minutes": 60, "start": "08:00",
        "arrivals": {"calls": [ARRIVAL_RATE_PER_S * 3600] * 3}, "queues": [queue],
        "agents": [{"name": "a", "serves": ["q"], "staffing": [C] * 3}]})
    return scenario.model_copy(update={"initial_state": state})


def loaded_state(elapsed_known: bool = False) -> InitialState:
    """n callers waiting and all c agents talking; the elapsed waits and talk times do not change
    the Markov chain's law (memoryless), and with `elapsed_known` the talk times are given."""
    busy = (BusyAgents(talking_elapsed_s=(10.0, 200.0, 30.0, 400.0, 60.0)) if elapsed_known
            else BusyAgents(talking=C))
    return InitialState(at="08:30", waiting={"q": tuple(float(w) for w in np.linspace(5, 150, N_WAITING))},
                        busy={"a": busy})


def exact_transient(start_in_system: int, busy_start: int, patience: bool, times_s, size: int = 160):
    """(E[queue length], P(all agents busy)) at `times_s` after a start with `start_in_system`
    callers (c agents busy when at least c), by uniformisation of the birth-death chain of the
    number in system, truncated at `size` (the chance of reaching it is negligible)."""
    assert busy_start == min(start_in_system, C)
    n = np.arange(size + 1)
    birth = np.where(n < size, ARRIVAL_RATE_PER_S, 0.0)
    death = np.minimum(n, C) / MEAN_TALK_S + (np.maximum(n - C, 0) / MEAN_PATIENCE_S if patience else 0.0)
    q = np.diag(birth[:-1], 1) + np.diag(death[1:], -1)
    q -= np.diag(q.sum(axis=1))
    rate = float(-q.diagonal().min()) * 1.01
    step = np.eye(size + 1) + q / rate
    out = []
    for t in times_s:
        mean = rate * t
        kmax = int(mean + 12 * np.sqrt(mean) + 30)
        weights = stats.poisson.pmf(np.arange(kmax + 1), mean)
        p = np.zeros(size + 1)
        p[start_in_system] = 1.0
        law = np.zeros(size + 1)
        for k in range(kmax + 1):
            law += weights[k] * p
            p = p @ step
        out.append((float((np.maximum(n - C, 0) * law).sum()), float(law[n >= C].sum())))
    return np.array(out)


def in_system_at(result, moment_s: float) -> tuple[int, int]:
    """(callers waiting, agents busy) at `moment_s`, read from the day's records and busy spans."""
    records = result.records
    waited_in_line = records.wait_s > 0
    joined = records.arrived_at_s
    waiting = int(((joined <= moment_s) & (moment_s < joined + records.wait_s) & waited_in_line).sum())
    busy = int(((result.busy_start_s <= moment_s) & (moment_s < result.busy_end_s)).sum())
    return waiting, busy


def simulated(scenario, replications: int = REPLICATIONS, seed: int = 7):
    """Per replication and time ahead: (queue length, all agents busy)."""
    out = np.zeros((replications, len(AHEAD_S), 2))
    for r in range(replications):
        result = simulate_replication(scenario, seed, r)
        for j, ahead in enumerate(AHEAD_S):
            waiting, busy = in_system_at(result, AT_S + ahead)
            out[r, j] = waiting, busy >= C
    return out


def z_scores(samples, exact):
    """(mean - exact) / SE per time ahead and measure; the SE of a share is the binomial one at
    the exact share (a share near 1 may be 1 in every replication: its sample SE is 0)."""
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(len(samples))
    se[:, 1] = np.sqrt(exact[:, 1] * (1 - exact[:, 1]) / len(samples))
    with np.errstate(divide="ignore"):  # an exact share of 1 (to double precision) met exactly: z = nan, not a miss
        return (mean - exact) / se, se


@pytest.fixture(scope="module")
def from_state():
    return simulated(mmc_scenario(state=loaded_state()))


@pytest.mark.parametrize("patience", [True, False])
def test_mmc_from_a_state_follows_the_exact_transient_law(patience, from_state):
    samples = from_state if patience else simulated(mmc_scenario(patience=False, state=loaded_state(True)))
    exact = exact_transient(C + N_WAITING, C, patience, AHEAD_S)
    z, se = z_scores(samples, exact)
    assert np.all(np.abs(z) <= 4), (z, samples.mean(axis=0), exact)
    # power: 4 SE is well below the gap to the law of the empty start, at the first times ahead
    empty = exact_transient(0, 0, patience, AHEAD_S)
    assert np.all(4 * se[:2] < np.abs(exact - empty)[:2])


def test_the_empty_start_does_not_pass_for_the_loaded_one():
    """Negative control: the same test on a day started empty at 08:30 fails."""
    empty = simulated(mmc_scenario(state=InitialState(at="08:30")), replications=200)
    z, _ = z_scores(empty, exact_transient(C + N_WAITING, C, True, AHEAD_S))
    assert np.abs(z).max() > 4


WEIBULL = {"dist": "weibull", "shape": 3.0, "mean": 200.0}  # rising hazard: waited callers leave sooner
WAITED_S = (150.0, 250.0)


def patience_scenario(waits_per_caller: int = 400):
    scenario = scenario_from_dict({
        "schema_version": 1, "name": "nobody answers", "interval_minutes": 60, "start": "08:00",
        "arrivals": {"calls": [0.0, 0.0]},
        "queues": [{"name": "q", "talk_time": {"dist": "fixed", "mean": 60}, "patience": WEIBULL}],
        "agents": [{"name": "a", "serves": ["q"], "staffing": [1, 0]}]})
    waits = tuple(w for w in WAITED_S for _ in range(waits_per_caller))
    return scenario.model_copy(update={"initial_state": InitialState(at="09:00", waiting={"q": waits})})


def still_waiting_shares(scenario, ahead_s=(30.0, 90.0)) -> np.ndarray:
    """Per waited time and time ahead: the share of callers still waiting (one replication: the
    callers are independent)."""
    records = simulate_replication(scenario, 3, 0).records
    assert (records.outcome == Outcome.ABANDONED).all() and (records.flags & INITIAL).all()
    waited = 3600.0 - records.arrived_at_s  # 09:00 is 3600 s into the day
    return np.array([[np.mean(records.wait_s[np.isclose(waited, w)] > w + t) for t in ahead_s] for w in WAITED_S])


def weibull_survival(x):
    from simulator.distributions import Weibull
    scale = Weibull(**WEIBULL).scale_s
    return np.exp(-(np.asarray(x) / scale) ** WEIBULL["shape"])


def conditional_check(shares, n):
    exact = np.array([[weibull_survival(w + t) / weibull_survival(w) for t in (30.0, 90.0)] for w in WAITED_S])
    se = np.sqrt(exact * (1 - exact) / n)
    return np.abs(shares - exact) / se, exact


def test_patience_is_drawn_beyond_the_wait_so_far():
    n = 400
    z, exact = conditional_check(still_waiting_shares(patience_scenario(n)), n)
    assert np.all(z <= 4), z
    # power: the unconditional share S(t) is far outside 4 SE of the exact conditional one
    unconditional = np.array([[weibull_survival(t) for t in (30.0, 90.0)] for _ in WAITED_S])
    assert np.all(np.abs(unconditional - exact) > 4 * np.sqrt(exact * (1 - exact) / n))


def test_patience_drawn_afresh_is_caught(monkeypatch):
    """Negative control: a start that ignores the wait so far (patience drawn unconditionally, then
    at least the wait) fails the same check."""
    monkeypatch.setattr(starting_state, "conditional_ppf",
                        lambda dist, u, elapsed_s: np.maximum(dist.ppf(u), elapsed_s))
    n = 400
    z, _ = conditional_check(still_waiting_shares(patience_scenario(n)), n)
    assert z.max() > 4


def busy_scenario(busy: BusyAgents, agents: int):
    scenario = scenario_from_dict({
        "schema_version": 1, "name": "busy agents", "interval_minutes": 60, "start": "08:00",
        "arrivals": {"calls": [0.0]},
        "queues": [{"name": "q", "talk_time": {"dist": "lognormal", "mean": 240, "cv": 1.2},
                    "acw": {"dist": "fixed", "mean": 0}}],
        "agents": [{"name": "a", "serves": ["q"], "staffing": [agents]}]})
    return scenario.model_copy(update={"initial_state": InitialState(at="08:00", busy={"a": busy})})


def remaining_s(scenario) -> np.ndarray:
    result = simulate_replication(scenario, 5, 0)
    assert len(result.records) == 0
    return result.busy_end_s - result.busy_start_s


def test_busy_agents_of_unknown_elapsed_time_have_the_residual_time_left():
    left = remaining_s(busy_scenario(BusyAgents(talking=4000), 4000))
    exact = 240 * (1 + 1.2**2) / 2  # E[X^2] / (2 E[X]) for a lognormal
    se = left.std(ddof=1) / np.sqrt(len(left))
    assert abs(left.mean() - exact) <= 4 * se, (left.mean(), exact, se)
    assert abs(240 - exact) > 4 * se  # power: a fresh talk time (mean 240 s) would be caught


def test_busy_agents_of_known_elapsed_time_have_the_conditional_time_left():
    from simulator.distributions import LogNormal
    talk = LogNormal(dist="lognormal", mean=240, cv=1.2)
    elapsed = 1000.0  # lognormal: a long call has longer still to go (decreasing hazard)
    left = remaining_s(busy_scenario(BusyAgents(talking_elapsed_s=(elapsed,) * 4000), 4000))
    survival = lambda x: 1 - talk.cdf(x)  # noqa: E731
    exact = integrate.quad(survival, elapsed, np.inf)[0] / survival(elapsed)  # E[X - e | X > e]
    se = left.std(ddof=1) / np.sqrt(len(left))
    assert abs(left.mean() - exact) <= 4 * se, (left.mean(), exact, se)
    residual = 240 * (1 + 1.2**2) / 2
    assert abs(residual - exact) > 4 * se  # power: the unconditional residual would be caught


@pytest.mark.parametrize("path", ["scenarios/help_desk.yaml", "scenarios/two_queue_multiskill.yaml",
                                  "scenarios/callback_peak_on.yaml", "scenarios/ivr_deep_menu.yaml"])
def test_the_empty_state_at_the_start_reproduces_the_day_exactly(path):
    scenario = load_scenario(path)
    empty = scenario.model_copy(update={"initial_state": InitialState(at=scenario.start)})
    for r in range(2):
        today, from_state = simulate_replication(scenario, 11, r), simulate_replication(empty, 11, r)
        for name in today.records.__dataclass_fields__:
            assert np.array_equal(getattr(today.records, name), getattr(from_state.records, name), equal_nan=True), name
        for name in ("busy_group", "busy_start_s", "busy_end_s", "overtime_start_s", "overtime_end_s"):
            assert np.array_equal(getattr(today, name), getattr(from_state, name)), name


def micro_scenario(overflow: bool):
    queues = [{"name": "q", "talk_time": {"dist": "fixed", "mean": 100}, "acw": {"dist": "fixed", "mean": 10},
               "patience": {"dist": "fixed", "mean": 200}}]
    agents = [{"name": "a", "serves": ["q"], "staffing": [1, 1]}]
    arrivals = {"calls": [0.0, 0.0]}
    if overflow:
        queues[0]["overflow"] = {"after_s": 60, "to_groups": ["b"]}
        queues.append({"name": "r", "talk_time": {"dist": "fixed", "mean": 100}})
        agents.append({"name": "b", "serves": ["r"], "staffing": [1, 1]})
        arrivals["queue_shares"] = {"q": 1.0, "r": 0.0}
    scenario = scenario_from_dict({"schema_version": 1, "name": "micro", "interval_minutes": 60, "start": "08:00",
                                   "arrivals": arrivals, "queues": queues, "agents": agents})
    state = InitialState(at="08:10", waiting={"q": (30.0, 50.0)}, busy={"a": BusyAgents(talking_elapsed_s=(40.0,))})
    return scenario.model_copy(update={"initial_state": state})


def test_a_hand_computed_timeline_from_a_state():
    """At 600 s: agent a talking for 40 s of a fixed 100 (60 left, then 10 of ACW: free at 670);
    callers waiting 50 s (arrived 550) and 30 s (arrived 570), patience fixed 200 s. At 670 the
    agent takes the first (wait 120 s) until 780; the second hangs up at its deadline 770 (wait
    200 s, the time before 600 included)."""
    result = simulate_replication(micro_scenario(overflow=False), 1, 0)
    records = result.records
    assert records.arrived_at_s.tolist() == [550.0, 570.0]
    assert records.outcome.tolist() == [Outcome.ANSWERED, Outcome.ABANDONED]
    assert records.wait_s.tolist() == [120.0, 200.0]
    assert (records.flags & INITIAL).tolist() == [INITIAL, INITIAL]
    assert list(zip(result.busy_start_s, result.busy_end_s)) == [(600.0, 670.0), (670.0, 780.0)]


def test_a_waiting_caller_overflows_by_its_whole_wait():
    """With overflow to group b after 60 s: the caller who has waited 50 s overflows 10 s after
    the start (wait 60 s) to b's idle agent; the other (waited 30 s, would overflow at 630 s, b
    busy until 720 s) is taken by a at 670 s (wait 100 s). (Counting the 60 s from the start
    instead, the first would overflow at 660 s: wait 110 s.)"""
    records = simulate_replication(micro_scenario(overflow=True), 1, 0).records
    assert records.outcome.tolist() == [Outcome.ANSWERED, Outcome.ANSWERED]
    assert records.group.tolist() == [1, 0]
    assert records.wait_s.tolist() == [60.0, 100.0]
