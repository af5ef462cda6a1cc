"""Weekly tours (planner.tours): known optima by hand, the MILP against brute force on tiny weeks,
and every rule checked on the tours it returns, with negative controls for the checks."""
from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest

from planner.shifts import BreakRule, ShiftRule
from planner.tours import Contract, TourProblemError, WeekProblem, day_off_patterns, solve_week

WEEK = tuple(range(7))  # Monday ... Sunday
ALL_DAY = ShiftRule("all day", 1, (0,), (), 1.0, 1)  # one slot a day: a day's shift covers the day


def _week(required_per_day, contracts, open_days=None, **kw):
    return WeekProblem(tuple(tuple(r) for r in required_per_day), WEEK[:len(required_per_day)], tuple(contracts), 60,
                       open_days, **kw)


# --- known optima, by hand -------------------------------------------------------------------


@pytest.mark.parametrize("per_day, agents", [(1, 2), (2, 3), (3, 5), (5, 7)])
def test_five_day_tours_with_two_days_off_need_the_textbook_workforce(per_day, agents):
    """Baker (1974): n a day, 7 days, 5-day tours with two consecutive days off: the least
    workforce is max(n, ceil(7n / 5)) (for constant n the consecutive rule costs nothing)."""
    contract = Contract("full-time", (ALL_DAY,), days_on=(5, 5), consecutive_days_off=2)
    week = solve_week(_week([[per_day]] * 7, [contract]))
    assert week.solver_status == "optimal" and week.mip_gap == 0.0
    assert week.agents == agents == max(per_day, -(-7 * per_day // 5))
    assert week.cost == 5 * agents


def test_one_agent_fewer_cannot_cover_and_the_error_names_the_short_days():
    contract = Contract("full-time", (ALL_DAY,), days_on=(5, 5), consecutive_days_off=2, max_agents=2)
    with pytest.raises(TourProblemError) as caught:
        solve_week(_week([[2]] * 7, [contract]))
    short = caught.value.short
    assert short and sum(missing for _, _, missing in short) == 14 - 10  # 2 agents give 10 of 14 agent-days
    assert {j for _, j, _ in short} == {0}


def test_sunday_closed_puts_everyone_off_on_sunday_and_one_next_day():
    """Mon-Sat 1 a day, Sunday closed: two 5-day agents, off Sat-Sun and Sun-Mon (2 x 5 = 10 >= 6,
    and one agent works at most 5 of the 6 open days)."""
    contract = Contract("full-time", (ALL_DAY,), days_on=(5, 5), consecutive_days_off=2)
    open_days = (True,) * 6 + (False,)
    week = solve_week(_week([[1]] * 6 + [[0]], [contract], open_days))
    assert week.agents == 2 and week.solver_status == "optimal"
    assert sorted(t.days_on for t in week.tours) == [(0, 1, 2, 3, 4), (1, 2, 3, 4, 5)]
    assert all(6 not in t.days_on for t in week.tours)


def test_a_cheaper_part_time_contract_is_used_where_it_fits_and_the_cap_binds():
    """Saturday peak: 1 a day Mon-Fri, 3 on Saturday, Sunday closed. Full-time 5 days costs 5 x 8;
    part-time 1 or 2 days costs 8 a day worked."""
    full = Contract("ft", (ShiftRule("d", 1, (0,), (), 8.0, 1),), days_on=(5, 5), consecutive_days_off=2)
    part = Contract("pt", (ShiftRule("d", 1, (0,), (), 8.0, 1),), days_on=(1, 2))
    open_days = (True,) * 6 + (False,)
    need = [[1]] * 5 + [[3]] + [[0]]
    week = solve_week(_week(need, [full, part], open_days))
    assert week.cost == 8 * 8  # 5 + 3 agent-days needed, each costs 8, and 2-day part-timers waste none
    capped = solve_week(_week(need, [full, Contract("pt", part.shift_types, days_on=(1, 2), max_agents=0)], open_days))
    # full-timers only: the 3 on Saturday must be off Sunday-Monday (two consecutive days off, Sunday
    # closed), so Monday needs a fourth, off Saturday-Sunday
    assert capped.cost == 8 * 5 * 4


def test_weekend_share_limits_who_works_the_weekend():
    """1 a day all week: 2 agents do it (one off Sat-Sun, one working both), half of them on the
    weekend; at most 40% on the weekend needs a third agent (1 of 3 works Sat and Sun)."""
    free = Contract("ft", (ALL_DAY,), days_on=(5, 5), consecutive_days_off=2)
    capped = Contract("ft", (ALL_DAY,), days_on=(5, 5), consecutive_days_off=2, max_weekend_share=0.4)
    assert solve_week(_week([[1]] * 7, [free])).agents == 2
    week = solve_week(_week([[1]] * 7, [capped]))
    working_weekend = sum(any(d in (5, 6) for d in t.days_on) for t in week.tours)
    assert week.agents == 3 and working_weekend == 1


def test_a_band_too_wide_for_the_rest_rule_is_refused():
    long_shift = ShiftRule("long", 26, tuple(range(0, 8)), (), 1.0, 26)  # 13 h in half-hours
    contract = Contract("ft", (long_shift,), start_band_slots=2)
    problem = WeekProblem(((1,) * 40,) * 7, WEEK, (contract,), 30, min_rest_minutes=11 * 60)
    with pytest.raises(TourProblemError, match="rest"):
        solve_week(problem)


# --- against brute force ----------------------------------------------------------------------


def _explicit_tours(problem: WeekProblem):
    """Every tour written out: a pattern, a start each day within the band, a start for every
    break each day; as (cost, coverage vector over (day, slot))."""
    n_days, n = problem.n_days, problem.n_slots
    tours = set()
    for contract in problem.contracts:
        patterns = day_off_patterns(n_days, tuple(problem.is_open(d) for d in range(n_days)), contract.days_on,
                                    contract.consecutive_days_off)
        for shift in contract.shift_types:
            starts = [s for s in shift.start_slots if s + shift.length_slots <= n]
            days = []
            for s in starts:  # a day's possible shifts: every start and every choice of break starts
                choices = [range(r.earliest_slot, r.latest_slot + 1) for r in shift.breaks]
                for offsets in itertools.product(*choices):
                    cover = np.zeros(n, dtype=int)
                    cover[s:s + shift.length_slots] = 1
                    for r, o in zip(shift.breaks, offsets):
                        cover[s + o:s + o + r.slots] = 0
                    days.append((s, tuple(cover)))
            for p in patterns:
                paid = len(p) * shift.paid_slots
                low, high = contract.weekly_paid_slots
                if paid < low or (high is not None and paid > high):
                    continue
                for base in starts:
                    mine = [(s, cov) for s, cov in days if base <= s <= base + contract.start_band_slots]
                    for week in itertools.product(mine, repeat=len(p)):
                        vector = np.zeros((n_days, n), dtype=int)
                        for d, (_, cov) in zip(p, week):
                            vector[d] = cov
                        tours.add((shift.cost * len(p), tuple(vector.ravel())))
    return sorted(tours)


def _brute_force(problem: WeekProblem) -> float:
    """Least-cost multiset of explicit tours covering every (day, slot): a search over the
    remaining requirement, always covering the first uncovered cell (exact, no MILP)."""
    tours = _explicit_tours(problem)
    need0 = tuple(int(v) for row in problem.required for v in row)

    @functools.lru_cache(maxsize=None)
    def best(need: tuple[int, ...]) -> float:
        first = next((i for i, v in enumerate(need) if v > 0), None)
        if first is None:
            return 0.0
        out = float("inf")
        for cost, cover in tours:
            if cover[first]:
                out = min(out, cost + best(tuple(max(0, a - b) for a, b in zip(need, cover))))
        return out

    return best(need0)


@pytest.mark.parametrize("seed", range(6))
def test_the_milp_optimum_equals_brute_force_on_tiny_weeks(seed):
    rng = np.random.default_rng(seed)
    n_days, n = 3, 5
    shift_a = ShiftRule("a", 3, (0, 1, 2), (BreakRule("b", 1, True, 1, 1),), 3.0, 3)
    shift_b = ShiftRule("b", 2, (0, 2, 3), (), 2.5, 2)
    contracts = (Contract("ft", (shift_a,), days_on=(2, 2), consecutive_days_off=1, start_band_slots=1),
                 Contract("pt", (shift_b,), days_on=(1, 3), weekly_paid_slots=(0, 4)))
    required = tuple(tuple(int(v) for v in rng.integers(0, 3, n)) for _ in range(n_days))
    problem = WeekProblem(required, (4, 5, 6), contracts, 60)
    expected = _brute_force(problem)
    week = solve_week(problem)
    assert week.solver_status == "optimal"
    assert week.cost == pytest.approx(expected)
    assert all((np.array(week.at_desk) >= np.array(required)).ravel())


# --- the rules, checked on the tours -----------------------------------------------------------


def rule_violations(problem: WeekProblem, tours, slot_minutes: int) -> list[str]:
    """Every broken rule of every tour, in words (an independent reading of the rules)."""
    out = []
    contracts = {c.name: c for c in problem.contracts}
    for i, tour in enumerate(tours):
        contract = contracts[tour.contract]
        shift = next(s for s in contract.shift_types if s.name == tour.shift_type)
        on = tour.days_on
        if not contract.days_on[0] <= len(on) <= contract.days_on[1]:
            out.append(f"{i}: {len(on)} days on")
        off = [d for d in range(problem.n_days) if d not in on]
        runs = [sum(1 for k in range(r) if (d + k) % problem.n_days in off) == r
                for d in off for r in [contract.consecutive_days_off]]
        if contract.consecutive_days_off and not any(runs):
            out.append(f"{i}: no {contract.consecutive_days_off} consecutive days off")
        if any(not problem.is_open(d) for d in on):
            out.append(f"{i}: works a closed day")
        low, high = contract.weekly_paid_slots
        if tour.paid_slots < low or (high is not None and tour.paid_slots > high):
            out.append(f"{i}: {tour.paid_slots} paid slots")
        starts = [day.start_slot for day in tour.days]
        if max(starts) - min(starts) > contract.start_band_slots:
            out.append(f"{i}: starts spread over {max(starts) - min(starts)} slots")
        ordered = sorted(tour.days, key=lambda day: day.day)
        for a, b in zip(ordered, ordered[1:] + ordered[:1]):
            gap_days = (b.day - a.day) % problem.n_days or problem.n_days
            rest = (gap_days * 24 * 60 + (b.start_slot - a.end_slot) * slot_minutes)
            if rest < problem.min_rest_minutes:
                out.append(f"{i}: {rest} min rest after day {a.day}")
        for day in tour.days:
            if day.end_slot - day.start_slot != shift.length_slots:
                out.append(f"{i}: day {day.day} lasts {day.end_slot - day.start_slot} slots")
            for rule, (_, start, end, _) in zip(shift.breaks, day.breaks):
                if not rule.earliest_slot <= start - day.start_slot <= rule.latest_slot or end - start != rule.slots:
                    out.append(f"{i}: break outside its window on day {day.day}")
    return out


def _realistic_week():
    """Mon-Sat 08:00-20:00 in half-hours, Sunday closed; full-time 8.5 h with lunch, part-time 4 h."""
    rng = np.random.default_rng(7)
    n = 24
    profile = 3 + 5 * np.sin(np.linspace(0.2, np.pi - 0.2, n))
    required = [tuple(int(v) for v in np.round(profile * f + rng.uniform(0, 1, n))) for f in
                (1.2, 1.0, 0.9, 0.9, 1.1, 0.8)] + [(0,) * n]
    full = ShiftRule("full 8.5 h", 17, tuple(range(0, 8)), (BreakRule("lunch", 1, False, 6, 10),), 8.0, 16)
    part = ShiftRule("part 4 h", 8, tuple(range(0, 17)), (), 4.4, 8)
    contracts = (Contract("full-time", (full,), days_on=(5, 5), consecutive_days_off=2, start_band_slots=2,
                          weekly_paid_slots=(80, 80), max_weekend_share=0.6),
                 Contract("part-time", (part,), days_on=(3, 5), weekly_paid_slots=(24, 32), max_share=0.3))
    return WeekProblem(tuple(required), WEEK, contracts, 30, (True,) * 6 + (False,))


@functools.lru_cache(maxsize=1)
def _realistic_solved():
    problem = _realistic_week()
    return problem, solve_week(problem, time_limit_s=60)


def test_every_tour_keeps_every_rule_and_the_week_is_covered():
    problem, week = _realistic_solved()
    assert week.solver_status == "optimal"
    assert rule_violations(problem, week.tours, 30) == []
    assert (np.array(week.at_desk) >= np.array(problem.required)).all()
    assert sum(t.contract == "part-time" for t in week.tours) <= 0.3 * week.agents
    full = [t for t in week.tours if t.contract == "full-time"]
    assert sum(any(d == 5 for d in t.days_on) for t in full) <= 0.6 * len(full)
    assert week.cost == pytest.approx(sum(t.cost for t in week.tours))


def test_the_rule_check_catches_broken_tours():
    """Negative controls: the checker above must see each kind of broken tour."""
    from dataclasses import replace

    problem, week = _realistic_solved()
    tour = next(t for t in week.tours if t.contract == "full-time")
    days = list(tour.days)
    six_days = replace(tour, days=tuple(days) + (replace(days[0], day=6),))
    assert any("days on" in v or "closed" in v for v in rule_violations(problem, [six_days], 30))
    spread = replace(tour, days=(replace(days[0], start_slot=days[0].start_slot + 5,
                                         end_slot=days[0].end_slot + 5),) + tuple(days[1:]))
    assert any("spread" in v for v in rule_violations(problem, [spread], 30))
    tight = WeekProblem(problem.required, problem.weekdays, problem.contracts, 30, problem.open_days,
                        min_rest_minutes=16 * 60)
    assert any("rest" in v for v in rule_violations(tight, [tour], 30))
    apart = [d for d in range(6) if d not in tour.days_on]
    scattered = replace(tour, days=tuple(replace(day, day=d) for day, d in zip(days, [0, 1, 2, 4, 6])))
    assert apart is not None and any("consecutive" in v or "closed" in v
                                     for v in rule_violations(problem, [scattered], 30))


def test_no_week_within_the_time_limit_searches_on_and_says_so(monkeypatch):
    """When HiGHS finds no week at all within the (wall-clock) limit, as on a heavily loaded
    machine, the search goes on past it for a first week and the message says the limit was
    passed; the week found is still the textbook optimum here. Control: without the
    continuation (every solve finds nothing) the error names three times the limit."""
    import planner.tours as tours

    real_solve, calls = tours._solve, []

    def first_solve_finds_nothing(c, a, b, time_limit_s, gap, lower=None, extra=()):
        calls.append(time_limit_s)
        result = real_solve(c, a, b, time_limit_s, gap, lower, extra)
        if len(calls) == 1:  # the full search within the limit: nothing found
            result.x, result.status = None, 1
        return result

    monkeypatch.setattr(tours, "_solve", first_solve_finds_nothing)
    monkeypatch.setattr(tours, "_rounded_week", lambda *args, **kw: None)  # and no rounded first week
    contract = Contract("full-time", (ALL_DAY,), days_on=(5, 5), consecutive_days_off=2)
    week = solve_week(_week([[3]] * 7, [contract]), time_limit_s=7.0)
    assert "past the limit" in week.message and week.agents == 5
    assert calls[-1] == 14.0  # the continuation: twice the limit again

    monkeypatch.setattr(tours, "_solve", lambda *args, **kw: type("R", (), {"x": None, "status": 1, "message": "no"})())
    monkeypatch.setattr(tours, "_rounded_week", lambda *args, **kw: None)
    with pytest.raises(RuntimeError, match="within 21 s"):
        solve_week(_week([[3]] * 7, [contract]), time_limit_s=7.0)
