"""Weekly tours with days off: an integer programme solved to a proven optimum (or a stated gap).

Pure, like `planner.shifts`: plain inputs (a requirement per day and time slot, contracts whose
shift types are `planner.shifts.ShiftRule`s), a frozen result, no I/O. The solver is HiGHS
through `scipy.optimize.milp`.

A *tour* is one agent's week: a contract, one shift type for the whole week, the days worked (a
*day-off pattern*), a start on each day worked, and the breaks of each of those shifts.

The model (days-off patterns explicit, start times and breaks implicit)
----------------------------------------------------------------------
Explicit tours explode: 20 starts a day, free within a 2-hour band, on 5 days of 6, with three
breaks of 8 possible starts each, are about 10^20 columns. So only the cheap part is explicit:

- x[c, t, b, p] >= 0, integer: agents of contract c working type t on the days of pattern p,
  each starting every day within the *band* [b, b + band] (b is an allowed start; band 0 = the
  same start all week);
- v[c, t, b, s, d] >= 0, integer: of those, how many start at s on day d (implicit start times,
  after Jacobs & Brusco 1996): sum_s v[c, t, b, s, d] = sum over patterns p working d of x[c, t, b, p];
- y[c, t, s, d, k, o] >= 0, integer: of the agents of c and t starting at s on day d, how many
  start break k at offset o (implicit breaks, Aykin 1996, as in `planner.shifts`):
  sum_o y[c, t, s, d, k, o] = sum_b v[c, t, b, s, d].

The days are independent given x, so any split of a day's agents over the starts of their band
is a valid week for every agent (the reading hands the k-th earliest start to the k-th agent),
and within a day any split over break offsets is (break windows are disjoint and ordered).

Rules, per contract: days on per week (min, max) and at least `consecutive_days_off` of the days
off in one run (the week is read as a cycle, so Saturday-Sunday and Sunday-Monday both count; a
closed day counts as a day off) filter the patterns; weekly paid hours (min, max) filter the
(type, pattern) pairs, since a tour works one type all week; `max_agents` and `max_share` (the
part-time cap) and `max_weekend_share` (at most this share of the contract's agents work on a
weekend day: the weekend rotation) are rows. Rest between shifts: with every shift inside one
calendar day and starts within a band, the shortest rest is 24 h - band - the longest shift, so
a (contract, type) whose band breaks `min_rest_minutes` is refused up front (`TourProblemError`)
rather than modelled row by row. Coverage per day and slot: (at a desk) >= ceil(required /
(1 - shrinkage)); seats: at a desk <= seats.

Objective: the sum of every shift's cost (a tour of 5 days of a type costs 5 x its cost).

Aggregate counts to branch on: per contract, its head count H_c = sum of its x and pool agents,
and its shifts per day S_c,d = sum of the x working d and pool shifts w[d], with S_c,d <= H_c;
the caps (max_agents, max_share, max_weekend_share) are written on H_c. Both are integer (sums of
integers), so nothing changes in what is feasible; but the LP's optimum has fractional head counts
and day totals exactly where a share cap binds (37.1 full-timers, 15.9 part-timers at 30%), and
HiGHS, which cannot branch on a sum, can branch and cut on these variables. (Written as bare
sums in one equality row, presolve would substitute them away; each sits in two rows.) Measured
(benchmarks/bench_tours.py, a loaded shared machine): on the issue's week HiGHS's root bound rose
from 54,883 to 55,200, the optimum (a proven optimum in 15 s in one run; 55,328 found, 0.23% gap,
in 60 s wall / 15 s CPU in a busier one, where the model without these stopped at 2.6%); on the
shipped week the bound after 60 s rose from 39,472 to 40,192.

When the week cannot be covered, the least total shortfall is solved for instead and
`TourProblemError` names the days and slots left short (`short`): the rules, not the solver,
are what must change.
"""
from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from planner.shifts import ShiftRule, paid_cost_by_slot

WEEKEND = (5, 6)  # Saturday, Sunday (Monday = 0, as datetime.date.weekday)


class TourProblemError(ValueError):
    """Rules that cannot make a covering week; `short` holds (day, slot, agents missing) when the
    reason is coverage."""

    def __init__(self, message: str, short: tuple[tuple[int, int, float], ...] = ()):
        super().__init__(message)
        self.short = short


@dataclass(frozen=True)
class Contract:
    name: str
    shift_types: tuple[ShiftRule, ...]
    days_on: tuple[int, int] = (5, 5)  # min, max days worked in the week
    consecutive_days_off: int = 0  # at least this many days off in one run (cyclic week); 0: no rule
    weekly_paid_slots: tuple[int, int | None] = (0, None)  # min, max paid slots in the week
    start_band_slots: int = 0  # each day's start within [b, b + band]: 0 = the same start all week
    max_agents: int | None = None
    max_share: float | None = None  # of all agents (every contract)
    max_weekend_share: float | None = None  # of this contract's agents, working a Saturday or Sunday


@dataclass(frozen=True)
class WeekProblem:
    """required[d][j]: agents on the phones on day d in slot j (every day the same slot grid, from
    the same clock time); weekdays[d]: 0 = Monday ... 6 = Sunday; open_days[d]: False = nobody
    works that day."""

    required: tuple[tuple[float, ...], ...]
    weekdays: tuple[int, ...]
    contracts: tuple[Contract, ...]
    slot_minutes: int
    open_days: tuple[bool, ...] | None = None
    min_rest_minutes: int = 11 * 60
    seats: int | None = None

    @property
    def n_days(self) -> int:
        return len(self.required)

    @property
    def n_slots(self) -> int:
        return len(self.required[0]) if self.required else 0

    def is_open(self, d: int) -> bool:
        return True if self.open_days is None else bool(self.open_days[d])


@dataclass(frozen=True)
class TourDay:
    """One day of a tour: slots [start_slot, end_slot) and breaks (name, start, end, paid)."""

    day: int
    start_slot: int
    end_slot: int
    breaks: tuple[tuple[str, int, int, bool], ...]


@dataclass(frozen=True)
class Tour:
    """One agent line's week."""

    contract: str
    shift_type: str
    days: tuple[TourDay, ...]  # the days worked, in order
    cost: float
    paid_slots: int

    @property
    def days_on(self) -> tuple[int, ...]:
        return tuple(day.day for day in self.days)


@dataclass(frozen=True)
class WeekSchedule:
    """solver_status: "optimal" (gap 0, proven), "gap_reached" (within the `mip_rel_gap` asked)
    or "time_limit" (best found); `mip_gap` is the proven relative distance to the optimum."""

    solver_status: str
    cost: float
    mip_gap: float
    dual_bound: float
    tours: tuple[Tour, ...]
    at_desk: tuple[tuple[int, ...], ...]  # per day and slot
    solve_time_s: float
    n_variables: int
    n_constraints: int
    n_patterns: int
    message: str = ""
    shrinkage: float = 0.0

    @property
    def agents(self) -> int:
        return len(self.tours)

    def paid_cost_by_slot(self) -> np.ndarray:
        """Per day and slot, what the tours are paid there (`planner.shifts.paid_cost_by_slot`: each
        day's shift cost over its paid slots, paid breaks included): sums to `cost`."""
        n_days, n_slots = len(self.at_desk), len(self.at_desk[0]) if self.at_desk else 0
        paid = np.zeros((n_days, n_slots))
        for tour in self.tours:
            for day in tour.days:
                paid[day.day] += paid_cost_by_slot(day.start_slot, day.end_slot, day.breaks,
                                                   tour.cost / len(tour.days), n_slots)
        return paid


def _need(required: float, shrinkage: float) -> int:
    return max(0, math.ceil(required / (1.0 - shrinkage) - 1e-9))


def day_off_patterns(n_days: int, open_days: tuple[bool, ...], days_on: tuple[int, int],
                     consecutive_days_off: int) -> list[tuple[int, ...]]:
    """Every set of days worked (sorted day indices) within the rules: only open days, between
    days_on[0] and days_on[1] of them, and (if asked) a run of at least `consecutive_days_off`
    days off, the week read as a cycle."""
    open_idx = [d for d in range(n_days) if open_days[d]]
    out = []
    for k in range(max(days_on[0], 1), min(days_on[1], len(open_idx)) + 1):
        for worked in itertools.combinations(open_idx, k):
            if consecutive_days_off and _longest_off_run(worked, n_days) < consecutive_days_off:
                continue
            out.append(worked)
    return out


def _longest_off_run(worked: tuple[int, ...], n_days: int) -> int:
    on = set(worked)
    if not on:
        return n_days
    best = run = 0
    for d in range(2 * n_days):  # twice round the cycle catches the run across the week's end
        run = 0 if d % n_days in on else run + 1
        best = max(best, run)
    return min(best, n_days - len(on))


def _check(problem: WeekProblem, shrinkage: float) -> None:
    if not 0.0 <= shrinkage < 1.0:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage}")
    if len(problem.weekdays) != problem.n_days or any(len(r) != problem.n_slots for r in problem.required):
        raise ValueError("required must have one row per day, all of the same length, and weekdays one per day")
    for contract in problem.contracts:
        for shift in contract.shift_types:
            band_minutes = contract.start_band_slots * problem.slot_minutes
            longest = shift.length_slots * problem.slot_minutes
            # every shift lies inside one day, so the shortest rest is 24 h less the band and the shift
            rest = 24 * 60 - band_minutes - longest
            if rest < problem.min_rest_minutes:
                raise TourProblemError(
                    f"contract '{contract.name}', shift type '{shift.name}': a {longest} min shift with starts "
                    f"within a {band_minutes} min band leaves {rest} min of rest between days, under the "
                    f"{problem.min_rest_minutes} min asked; narrow the band or shorten the shift")


@dataclass
class _Builder:
    cost: list = field(default_factory=list)
    upper: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    cols: list = field(default_factory=list)
    vals: list = field(default_factory=list)
    lb: list = field(default_factory=list)
    ub: list = field(default_factory=list)

    def variable(self, c: float, high: float = np.inf) -> int:
        self.cost.append(c)
        self.upper.append(high)
        return len(self.cost) - 1

    def row(self, entries: dict[int, float], low: float, high: float) -> None:
        r = len(self.lb)
        for col, val in entries.items():
            if val:
                self.rows.append(r)
                self.cols.append(col)
                self.vals.append(val)
        self.lb.append(low)
        self.ub.append(high)


def _share_row(b: _Builder, mine: list[int], every: list[int], share: float) -> None:
    """mine <= share x every, with whole coefficients (HiGHS cuts work better on integer rows)."""
    fraction = Fraction(share).limit_denominator(1000)
    entries = {x: -float(fraction.numerator) for x in every}
    for x in mine:
        entries[x] = entries.get(x, 0.0) + float(fraction.denominator)
    b.row(entries, -np.inf, 0.0)


def _implicit_days_off(contract: Contract) -> bool:
    """Days off need no patterns when nothing but their number is ruled (see `_pool`)."""
    return contract.start_band_slots == 0 and contract.consecutive_days_off <= 1 and contract.max_weekend_share is None


def _days_range(contract: Contract, shift: ShiftRule, n_open: int) -> tuple[int, int] | None:
    """Days a week an agent of this contract may work this type: days_on within the paid hours."""
    low_paid, high_paid = contract.weekly_paid_slots
    low = max(contract.days_on[0], 1, -(-low_paid // shift.paid_slots))
    high = min(contract.days_on[1], n_open, n_open if high_paid is None else high_paid // shift.paid_slots)
    return (low, high) if low <= high else None


def _pool(b: _Builder, problem: WeekProblem, c: int, t: int, s: int, shift: ShiftRule, days_range: tuple[int, int],
          high: float, pools: list, v_by_start_day: dict, mine_x: list) -> None:
    """Implicit days off (after Bailey 1985): agents a of (contract, type, start), shifts w[d] on
    each open day, w[d] <= a and low x a <= sum_d w[d] <= high x a. Exact: handing the day's shifts
    out cyclically over the a agents gives each floor or ceil(sum / a) days, all different since
    w[d] <= a, so every agent works between `low` and `high` days."""
    agents = b.variable(0.0, high)
    shifts = {}
    for d in range(problem.n_days):
        if problem.is_open(d):
            w = b.variable(shift.cost, high)
            shifts[d] = w
            v_by_start_day.setdefault((s, d), []).append(w)
            b.row({w: 1.0, agents: -1.0}, -np.inf, 0.0)
    b.row({**{w: 1.0 for w in shifts.values()}, agents: -float(days_range[0])}, 0.0, np.inf)
    b.row({**{w: 1.0 for w in shifts.values()}, agents: -float(days_range[1])}, -np.inf, 0.0)
    pools.append((agents, c, t, s, shifts))
    mine_x.append(agents)


def _build(problem: WeekProblem, shrinkage: float, with_shortfall: bool):
    b = _Builder()
    n_days, n = problem.n_days, problem.n_slots
    open_days = tuple(problem.is_open(d) for d in range(n_days))
    at_desk: list[list[dict[int, float]]] = [[{} for _ in range(n)] for _ in range(n_days)]
    tours = []  # (x, c, t, base, pattern)
    pools = []  # (agents variable, c, t, start, {day: shifts variable}): implicit days off
    starts_of = {}  # (c, t, base, d) -> [(v, s)]
    breaks_of = {}  # (c, t, s, d, k) -> [(y, absolute start)]
    all_x, x_of_contract, n_patterns = [], [], 0
    for c, contract in enumerate(problem.contracts):
        patterns = [] if _implicit_days_off(contract) else day_off_patterns(
            n_days, open_days, contract.days_on, contract.consecutive_days_off)
        n_patterns += len(patterns)
        mine_x = []
        weekend_x = []
        day_shifts: dict[int, list[int]] = {}  # day -> the variables counting the contract's shifts that day
        high = np.inf if contract.max_agents is None else contract.max_agents
        for t, shift in enumerate(contract.shift_types):
            low_paid, high_paid = contract.weekly_paid_slots
            ok = [p for p in patterns if len(p) * shift.paid_slots >= low_paid
                  and (high_paid is None or len(p) * shift.paid_slots <= high_paid)]
            starts = sorted(s for s in shift.start_slots if s + shift.length_slots <= n)
            v_by_start_day: dict[tuple[int, int], list[int]] = {}
            if _implicit_days_off(contract):
                days_range = _days_range(contract, shift, sum(open_days))
                for s in (starts if days_range else ()):
                    _pool(b, problem, c, t, s, shift, days_range, high, pools, v_by_start_day, mine_x)
                    for d, w in pools[-1][4].items():
                        day_shifts.setdefault(d, []).append(w)
                starts = ()  # no explicit patterns for this type
            previous_last = None
            for base in starts:
                band = [s for s in starts if base <= s <= base + contract.start_band_slots]
                if band[-1] == previous_last:
                    continue  # cut by the last allowed start: inside the previous band, which offers all it does
                previous_last = band[-1]
                xs = []
                for p in ok:
                    x = b.variable(shift.cost * len(p), high)
                    for d in p:
                        day_shifts.setdefault(d, []).append(x)
                    tours.append((x, c, t, base, p))
                    xs.append((x, p))
                    mine_x.append(x)
                    if any(problem.weekdays[d] in WEEKEND for d in p):
                        weekend_x.append(x)
                for d in range(n_days):
                    working = [x for x, p in xs if d in p]
                    if not working:
                        continue
                    vs = []
                    for s in band:
                        v = b.variable(0.0, high)
                        vs.append((v, s))
                        v_by_start_day.setdefault((s, d), []).append(v)
                    starts_of[(c, t, base, d)] = vs
                    b.row({**{x: -1.0 for x in working}, **{v: 1.0 for v, _ in vs}}, 0.0, 0.0)
            for (s, d), vs in v_by_start_day.items():
                for j in range(s, s + shift.length_slots):
                    for v in vs:
                        at_desk[d][j][v] = at_desk[d][j].get(v, 0.0) + 1.0
                for k, rule in enumerate(shift.breaks):
                    placements = []
                    for offset in range(rule.earliest_slot, rule.latest_slot + 1):
                        y = b.variable(0.0, high)
                        placements.append((y, s + offset))
                        for j in range(s + offset, min(s + offset + rule.slots, n)):
                            at_desk[d][j][y] = at_desk[d][j].get(y, 0.0) - 1.0
                    breaks_of[(c, t, s, d, k)] = placements
                    # at least one break each: a solution with spare breaks stays one once they are dropped
                    # (dropping a break only adds cover), and the inequality lets HiGHS find weeks sooner
                    b.row({**{v: -1.0 for v in vs}, **{y: 1.0 for y, _ in placements}}, 0.0,
                          np.inf if problem.seats is None else 0.0)  # with seats a break frees one: exactly one
        if not mine_x:
            x_of_contract.append([])
            continue
        # the contract's agents as one integer variable, used by the caps below: HiGHS can branch on
        # it (a fractional head count is where the LP is weakest when a share cap binds), and it
        # stays in the model since it is in more than one row
        head_count = b.variable(0.0, high)
        b.row({**{x: 1.0 for x in mine_x}, head_count: -1.0}, 0.0, 0.0)
        all_x.append(head_count)
        x_of_contract.append([head_count])
        for d, counted in sorted(day_shifts.items()):
            # the contract's shifts on day d as one integer variable too, at most one a head: with
            # the head count, what lifts the bound (the shipped week's root bound 39,468 -> 40,179)
            total = b.variable(0.0, high)
            b.row({**{x: 1.0 for x in counted}, total: -1.0}, 0.0, 0.0)
            b.row({total: 1.0, head_count: -1.0}, -np.inf, 0.0)
        if contract.max_agents is not None:
            b.row({head_count: 1.0}, -np.inf, float(contract.max_agents))
        if contract.max_weekend_share is not None and contract.max_weekend_share < 1.0 and weekend_x:
            _share_row(b, weekend_x, [head_count], contract.max_weekend_share)
    for c, contract in enumerate(problem.contracts):
        if contract.max_share is not None and contract.max_share < 1.0 and x_of_contract[c]:
            _share_row(b, x_of_contract[c], all_x, contract.max_share)
    shortfall = {}
    for d in range(n_days):
        for j in range(n):
            need = _need(problem.required[d][j], shrinkage)
            if need > 0:
                entries = dict(at_desk[d][j])
                if with_shortfall:
                    u = b.variable(0.0)
                    shortfall[(d, j)] = u
                    entries[u] = 1.0
                b.row(entries, float(need), np.inf)
            if problem.seats is not None and at_desk[d][j]:
                b.row(at_desk[d][j], -np.inf, float(problem.seats))
    a = coo_matrix((b.vals, (b.rows, b.cols)), shape=(len(b.lb), len(b.cost)))
    return b, a, (tours, pools), starts_of, breaks_of, shortfall, n_patterns


def _solve(c, a, b: _Builder, time_limit_s: float, gap: float, lower=None, extra=()):
    low = np.zeros(len(c)) if lower is None else lower
    return milp(c, integrality=np.ones(len(c)), bounds=Bounds(low, np.maximum(low, np.array(b.upper, dtype=float))),
                constraints=[LinearConstraint(a, np.array(b.lb, dtype=float), np.array(b.ub, dtype=float)), *extra],
                options={"time_limit": max(time_limit_s, 0.01), "mip_rel_gap": gap, "disp": False})


def _rounded_week(c, a, b: _Builder, tours, time_limit_s: float):
    """A first week fast (HiGHS alone can take minutes to find one on a large week): the LP's
    agents per tour and pool rounded up and held as a floor, the rest (starts, breaks, days of
    pools) solved as an integer programme. None when that fails (a cap broken by the rounding)."""
    started = time.perf_counter()
    relaxed = milp(c, integrality=np.zeros(len(c)), bounds=Bounds(np.zeros(len(c)), np.array(b.upper, dtype=float)),
                   constraints=[LinearConstraint(a, np.array(b.lb, dtype=float), np.array(b.ub, dtype=float))],
                   options={"time_limit": max(time_limit_s, 0.01)})
    if relaxed.x is None:
        return None
    lower = np.zeros(len(c))
    counts = [x for x, *_ in tours[0]] + [agents for agents, *_ in tours[1]]
    lower[counts] = np.ceil(relaxed.x[counts] - 1e-6)
    result = _solve(c, a, b, time_limit_s - (time.perf_counter() - started), 0.01, lower)
    return result.x if result.x is not None else None


def solve_week(problem: WeekProblem, shrinkage: float = 0.0, time_limit_s: float = 60.0,
               mip_rel_gap: float = 0.0) -> WeekSchedule:
    """The least-cost tours covering every day and slot (see the module docstring). Raises
    TourProblemError when the rules cannot cover the week (naming the short days and slots) or
    contradict the rest rule; RuntimeError when HiGHS finds no week within the time limit."""
    _check(problem, shrinkage)
    started = time.perf_counter()
    b, a, tours, starts_of, breaks_of, _, n_patterns = _build(problem, shrinkage, False)
    if not tours[0] and not tours[1]:
        raise TourProblemError("no tour fits the rules: check days_on against the open days, the consecutive days "
                               "off, and the weekly paid hours against the shift types' lengths")
    c = np.array(b.cost, dtype=float)

    def left() -> float:
        return time_limit_s - (time.perf_counter() - started)

    first = _rounded_week(c, a, b, tours, left() / 4)
    cutoff = []
    if first is not None:
        # the full search only for weeks cheaper than the first: "infeasible" then proves it optimal
        first_cost = float(c @ np.round(first))
        cutoff = [LinearConstraint(c.reshape(1, -1), -np.inf, first_cost - 1e-6 * max(1.0, first_cost))]
    result = _solve(c, a, b, left(), mip_rel_gap, extra=cutoff)
    if result.status == 2 and first is None:
        raise _shortfall_error(problem, shrinkage, left())
    overtime_note = ""
    if result.x is None and first is None:
        # No week at all within the limit (seen on a heavily loaded machine, where the limit is
        # wall-clock): a planner wants a week, so search on, up to twice the limit again, for the
        # first one with a 5% gap, and say that the limit was passed.
        result = _solve(c, a, b, 2 * time_limit_s, max(mip_rel_gap, 0.05))
        overtime_note = f"; no week was found within {time_limit_s:g} s, so the search went on past the limit"
    dual = getattr(result, "mip_dual_bound", None)
    bound = float(dual) if dual is not None and math.isfinite(dual) else -math.inf
    if result.x is not None:
        x, proven = result.x, result.status == 0
        message = str(result.message) + overtime_note
    elif first is not None:
        x, proven = first, result.status == 2
        message = "the first week (rounded LP) " + ("is optimal: no cheaper week exists" if proven else
                                                    f"is the best found; {result.message}")
    else:
        raise RuntimeError(f"HiGHS found no week within {3 * time_limit_s:g} s ({result.message}); raise the time limit")
    solution = np.round(x).astype(int)
    read = _read(problem, tours, starts_of, breaks_of, solution)
    at_desk = tuple(tuple(int(v) for v in row) for row in _at_desk(problem, read))
    cost = float(sum(tour.cost for tour in read))
    if proven:
        bound = cost if result.x is None else max(bound, -math.inf)
    gap = max(0.0, (cost - bound) / max(abs(cost), 1e-9)) if math.isfinite(bound) else 1.0
    status = "optimal" if proven and gap <= 1e-9 else ("gap_reached" if proven else "time_limit")
    return WeekSchedule(status, cost, 0.0 if status == "optimal" else gap, bound if math.isfinite(bound) else 0.0,
                        read, at_desk, time.perf_counter() - started, len(b.cost), len(b.lb), n_patterns, message,
                        shrinkage)


def _shortfall_error(problem: WeekProblem, shrinkage: float, time_left_s: float) -> TourProblemError:
    """The least total shortfall, and the slots it leaves short, as the error to show."""
    b, a, _, _, _, shortfall, _ = _build(problem, shrinkage, True)
    c = np.zeros(len(b.cost))
    c[list(shortfall.values())] = 1.0
    result = _solve(c, a, b, max(time_left_s, 1.0), 0.0)
    if result.x is None:
        return TourProblemError("the tour rules contradict each other (check max_agents, max_share and the seats)")
    short = tuple((d, j, float(round(result.x[u], 6))) for (d, j), u in sorted(shortfall.items())
                  if result.x[u] > 1e-6)
    return TourProblemError("the tour rules cannot cover the week", short)


def _read(problem, tours, starts_of, breaks_of, solution) -> tuple[Tour, ...]:
    """Agent lines from the counts: each (contract, type, band) group's agents take their pattern,
    then each day the k-th earliest start goes to the k-th agent working that day; each
    (contract, type, start, day)'s agents take the i-th earliest start of every break. A pool's
    (implicit days off) shifts go round its agents day by day."""
    explicit, pools = tours
    lines = []
    for x, c, t, base, p in explicit:
        lines.extend([(c, t, base, p)] * int(solution[x]))
    lines.sort(key=lambda line: (line[0], line[1], line[2], line[3]))
    days_of: list[dict[int, int]] = [dict() for _ in lines]  # line -> day -> start
    groups: dict[tuple, list[int]] = {}
    for i, (c, t, base, p) in enumerate(lines):
        groups.setdefault((c, t, base), []).append(i)
    for (c, t, base), members in groups.items():
        for d in range(problem.n_days):
            working = [i for i in members if d in lines[i][3]]
            if not working:
                continue
            starts = sorted(s for v, s in starts_of[(c, t, base, d)] for _ in range(int(solution[v])))
            for i, s in zip(working, starts):
                days_of[i][d] = s
    for agents, c, t, s, shifts in pools:
        n_agents = int(solution[agents])
        worked: list[list[int]] = [[] for _ in range(n_agents)]
        turn = 0
        for d, w in sorted(shifts.items()):
            for _ in range(int(solution[w])):
                worked[turn].append(d)
                turn = (turn + 1) % n_agents
        for days in worked:
            lines.append((c, t, s, tuple(days)))
            days_of.append({d: s for d in days})
    break_queue: dict[tuple, list[list[int]]] = {}
    for key, placements in breaks_of.items():
        break_queue[key] = sorted(pos for y, pos in placements for _ in range(int(solution[y])))
    taken: dict[tuple, int] = {}
    out = []
    for i, (c, t, base, p) in enumerate(lines):
        contract = problem.contracts[c]
        shift = contract.shift_types[t]
        days = []
        for d in p:
            s = days_of[i][d]
            rank = taken.get((c, t, s, d), 0)
            taken[(c, t, s, d)] = rank + 1
            breaks = []
            for k, rule in enumerate(shift.breaks):
                position = break_queue[(c, t, s, d, k)][rank]
                breaks.append((rule.name, position, position + rule.slots, rule.paid))
            days.append(TourDay(d, s, s + shift.length_slots, tuple(breaks)))
        out.append(Tour(contract.name, shift.name, tuple(days), shift.cost * len(p), shift.paid_slots * len(p)))
    return tuple(out)


def _at_desk(problem: WeekProblem, tours: tuple[Tour, ...]) -> np.ndarray:
    grid = np.zeros((problem.n_days, problem.n_slots), dtype=int)
    for tour in tours:
        for day in tour.days:
            grid[day.day, day.start_slot:day.end_slot] += 1
            for _, start, end, _ in day.breaks:
                grid[day.day, start:end] -= 1
    return grid
