"""Shifts with breaks from per-slot requirements: an integer programme solved to optimality.

Pure: plain inputs (a requirement per group and time slot, the shift rules in slots), a frozen
result, no I/O and nothing of ours imported (with `on_progress`, HiGHS's own log is read while it
solves, to show incumbent, bound and gap: the solve can take a minute). The solver is HiGHS through
`scipy.optimize.milp`, asked for a proven optimum (`mip_rel_gap` 0) within a time limit; the
result carries its status and the gap it proved.

The model (Dantzig's set covering with implicit breaks, after Aykin 1996)
-------------------------------------------------------------------------
A *shift* is a type (length, breaks, cost) and an allowed start slot. Variables:

- x[s] >= 0, integer: agents who work shift s;
- y[s, b, p] >= 0, integer: of those, how many start break b of the shift at offset p (every
  slot of the break's window).

Constraints, per group:

- each agent takes each break once: sum_p y[s, b, p] = x[s];
- coverage, every slot j with a requirement: at a desk(j) = sum_s x[s] [s on duty at j]
  - sum y[s, b, p] [break (s, b, p) covers j] >= ceil(required(j) / (1 - shrinkage));
- seats (if given), every slot: at a desk(j) <= seats;
- per shift type: min_agents <= sum x <= max_agents; sum x <= max_share x (all of the group's x).

Objective: sum of each shift's cost x[s].

Why Aykin's implicit breaks and not explicit shift-with-break columns: a shift with three breaks
of eight possible starts each is 512 explicit columns but 1 + 24 variables here, and the LP
stays as tight (Aykin 1996 proves the two formulations equivalent).

`formulation="bechtold_jacobs"` is the other implicit model (Bechtold & Jacobs 1990): one break
variable per type, break and *absolute* start, shared by all the type's shifts, with forward and
backward constraints (Hall's condition on runs of shifts) that guarantee each shift can be handed
breaks inside its window; its no-extraordinary-overlap condition holds by construction, since
all shifts of a type have the same window offsets. The breaks are handed back to the shifts
earliest-deadline-first. It has about a third of the variables, but measured here HiGHS proves
the optimum faster with Aykin's on the shipped day and the benchmark (2 to 4 times less CPU),
while one harder day (the shipped one with raised requirements) went the other way; so Aykin's
is the default and the tests check that both, and explicit shift-with-break columns on small
days, reach the same optimum. Because each is exact, they can also be combined: when the default
cannot prove its optimum in half the time limit, the other formulation gets the other half and
the result is the better incumbent with the higher of the two dual bounds (`portfolio`).

Every agent can be given one start per break consistently because the rules (see
`simulator.shift_rules`) make a type's break windows disjoint and ordered: agent i of shift s
takes the i-th earliest start of every break.

When the requirement cannot be covered (seats, caps), the penalised version is solved instead:
shortfall variables u(j) >= 0 join the coverage rows (at a desk + u >= need), solved
lexicographically: first the least total shortfall (agent-slots), then, among those, the least
worst slot (so breaks do not pile up where agents are already missing), then the least cost.
That is the penalty-per-missing-agent-slot model with penalties large enough never to trade
coverage for cost, without picking numbers for them.
"""
from __future__ import annotations

import math
import os
import sys
import threading
import time
from contextlib import contextmanager
from fractions import Fraction
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

FORMULATIONS = ("aykin", "bechtold_jacobs")  # the first is the default (see the module docstring)


class ShiftProblemError(ValueError):
    """The rules contradict each other (no schedule exists even with a shortfall)."""


@dataclass(frozen=True)
class BreakRule:
    name: str
    slots: int  # length, in slots
    paid: bool
    earliest_slot: int  # window of the break's start, slots after the shift starts (both included)
    latest_slot: int


@dataclass(frozen=True)
class ShiftRule:
    name: str
    length_slots: int
    start_slots: tuple[int, ...]  # allowed starts, slots after the day starts
    breaks: tuple[BreakRule, ...]
    cost: float  # of one agent working one shift of this type
    paid_slots: int
    min_agents: int = 0
    max_agents: int | None = None
    max_share: float | None = None


@dataclass(frozen=True)
class GroupProblem:
    name: str
    required: tuple[float, ...]  # agents needed on the phones, per slot
    shift_types: tuple[ShiftRule, ...]
    seats: int | None = None


@dataclass(frozen=True)
class ScheduledShift:
    """`count` agents of one group working one type from `start_slot` to `end_slot` (exclusive),
    each taking the breaks (name, start slot, end slot, paid) in order."""

    group: str
    shift_type: str
    start_slot: int
    end_slot: int
    breaks: tuple[tuple[str, int, int, bool], ...]
    count: int
    cost_each: float
    paid_slots_each: int


@dataclass(frozen=True)
class GroupCoverage:
    group: str
    required: tuple[float, ...]  # on the phones, per slot
    on_duty: tuple[int, ...]  # on shift (breaks included)
    on_break: tuple[int, ...]
    on_phones: tuple[float, ...]  # (on duty - on break) x (1 - shrinkage)

    @property
    def at_desk(self) -> tuple[int, ...]:
        return tuple(d - b for d, b in zip(self.on_duty, self.on_break))

    @property
    def shortfall(self) -> tuple[float, ...]:
        return tuple(max(0.0, r - p) if r - p > 1e-9 else 0.0 for r, p in zip(self.required, self.on_phones))


@dataclass(frozen=True)
class ShiftSchedule:
    """The solved schedule.

    solver_status: "optimal" (proven, gap 0) or "time_limit" (best found, `mip_gap` above 0).
    short: the requirement could not be covered: the penalised version was solved (least
    shortfall first, then least cost); `shortfall_agent_slots` is that least total.
    """

    solver_status: str
    short: bool
    cost: float
    mip_gap: float
    dual_bound: float
    shortfall_agent_slots: float
    shifts: tuple[ScheduledShift, ...]
    coverage: tuple[GroupCoverage, ...]
    shrinkage: float
    solve_time_s: float
    n_variables: int
    n_integer_variables: int
    n_constraints: int
    message: str
    formulation: str = "aykin"  # of the solution returned

    @property
    def paid_slots(self) -> int:
        return sum(s.count * s.paid_slots_each for s in self.shifts)

    @property
    def agents(self) -> int:
        return sum(s.count for s in self.shifts)


def paid_cost_by_slot(start_slot: int, end_slot: int, breaks, cost: float, n_slots: int) -> np.ndarray:
    """One shift's cost spread evenly over its paid slots (on duty and not on an unpaid break:
    `breaks` as (name, start, end, paid)) on a grid of `n_slots`: what `paid_cost` (the one price,
    simulator/cost.py) charges where. A shift running past the grid's end is paid in its last slot."""
    slots = np.zeros(max(n_slots, end_slot))
    slots[start_slot:end_slot] = 1.0
    for _, start, end, is_paid in breaks:
        if not is_paid:
            slots[start:end] = 0.0
    slots *= cost / slots.sum() if slots.sum() else 0.0
    slots[n_slots - 1] += slots[n_slots:].sum()
    return slots[:n_slots]


@dataclass(frozen=True)
class _Model:
    c: np.ndarray
    integrality: np.ndarray
    upper: np.ndarray
    a: coo_matrix
    lb: np.ndarray
    ub: np.ndarray
    shift_index: list[tuple[int, int, int, int]]  # (variable, group, type, start slot) of every shift
    # ("shift", x, b) -> [(variable, absolute start)] (Aykin) or ("type", g, t, b) -> the same (Bechtold-Jacobs)
    break_index: dict[tuple, list[tuple[int, int]]]
    shortfall_columns: list[int]  # the shortfall variable of every covered slot (penalised version)
    worst_column: int | None  # the largest shortfall of any slot (penalised version)


def _need(required: float, shrinkage: float) -> int:
    """Agents at a desk so that (1 - shrinkage) of them covers `required` (integer: a count)."""
    return max(0, math.ceil(required / (1.0 - shrinkage) - 1e-9))


def _aggregated_breaks(g: int, t: int, shift: ShiftRule, xs: list[int], n: int, at_desk: list[dict[int, float]],
                       variable, row, break_index: dict) -> None:
    """Bechtold & Jacobs: one variable per break and absolute start slot for the whole type, and
    the forward/backward constraints that let every shift be handed breaks inside its window.

    The type's shifts, in start order, have windows [start + earliest, start + latest] whose
    both ends rise with the start (no window strictly inside another: no "extraordinary
    overlap"), so breaks can be matched to shifts iff (Hall's condition on runs of shifts):
    as many breaks as agents; for every shift i, the breaks starting at or after i's earliest
    start are at least the agents of shifts i, i+1, ... (forward); and the breaks starting at
    or before its latest start at least the agents of shifts ..., i (backward)."""
    starts = list(shift.start_slots)
    order = sorted(range(len(starts)), key=lambda i: starts[i])
    high = np.inf if shift.max_agents is None else shift.max_agents
    for b, rest in enumerate(shift.breaks):
        positions = sorted({starts[i] + off for i in order for off in range(rest.earliest_slot, rest.latest_slot + 1)})
        breaks = {}
        for position in positions:
            z = variable(0.0, True, high)
            breaks[position] = z
            for j in range(position, min(position + rest.slots, n)):
                at_desk[j][z] = at_desk[j].get(z, 0.0) - 1.0
        break_index[("type", g, t, b)] = [(z, position) for position, z in breaks.items()]
        row({**{x: -1.0 for x in xs}, **{z: 1.0 for z in breaks.values()}}, 0.0, 0.0)
        for rank in range(1, len(order)):
            later = [xs[i] for i in order[rank:]]
            earliest = starts[order[rank]] + rest.earliest_slot
            row({**{x: -1.0 for x in later}, **{z: 1.0 for p, z in breaks.items() if p >= earliest}}, 0.0, np.inf)
        for rank in range(len(order) - 1):
            sooner = [xs[i] for i in order[:rank + 1]]
            latest = starts[order[rank]] + rest.latest_slot
            row({**{x: -1.0 for x in sooner}, **{z: 1.0 for p, z in breaks.items() if p <= latest}}, 0.0, np.inf)


def _build(groups: tuple[GroupProblem, ...], shrinkage: float, with_shortfall: bool,
           formulation: str = "aykin") -> _Model:
    if formulation not in FORMULATIONS:
        raise ValueError(f"formulation must be one of {', '.join(FORMULATIONS)}, got {formulation!r}")
    aggregated = formulation == "bechtold_jacobs"
    cost, integer, upper = [], [], []
    rows, cols, vals = [], [], []
    lb, ub = [], []
    shift_index, shortfall_columns = [], []
    break_index: dict[tuple, list[tuple[int, int]]] = {}

    def variable(c: float, is_integer: bool, high: float = np.inf) -> int:
        cost.append(c)
        integer.append(1 if is_integer else 0)
        upper.append(high)
        return len(cost) - 1

    def row(entries: dict[int, float], low: float, high: float) -> int:
        r = len(lb)
        for col, val in entries.items():
            if val != 0:
                rows.append(r)
                cols.append(col)
                vals.append(val)
        lb.append(low)
        ub.append(high)
        return r

    for g, group in enumerate(groups):
        n = len(group.required)
        at_desk: list[dict[int, float]] = [{} for _ in range(n)]
        by_type: list[list[int]] = [[] for _ in group.shift_types]
        for t, shift in enumerate(group.shift_types):
            high = np.inf if shift.max_agents is None else shift.max_agents
            for start in shift.start_slots:
                x = variable(shift.cost, True, high)
                shift_index.append((x, g, t, start))
                by_type[t].append(x)
                for j in range(start, min(start + shift.length_slots, n)):
                    at_desk[j][x] = at_desk[j].get(x, 0.0) + 1.0
                if aggregated:
                    continue
                for b, rest in enumerate(shift.breaks):  # Aykin: this shift's own break starts
                    placements = []
                    for offset in range(rest.earliest_slot, rest.latest_slot + 1):
                        y = variable(0.0, True, high)
                        placements.append((y, start + offset))
                        for j in range(start + offset, min(start + offset + rest.slots, n)):
                            at_desk[j][y] = at_desk[j].get(y, 0.0) - 1.0
                    break_index[("shift", x, b)] = placements
                    row({x: -1.0, **{y: 1.0 for y, _ in placements}}, 0.0, 0.0)
            if aggregated:
                _aggregated_breaks(g, t, shift, by_type[t], n, at_desk, variable, row, break_index)
        for j in range(n):
            need = _need(group.required[j], shrinkage)
            if need > 0:
                entries = dict(at_desk[j])
                if with_shortfall:
                    u = variable(0.0, False)
                    shortfall_columns.append(u)
                    entries[u] = 1.0
                row(entries, float(need), np.inf)
            if group.seats is not None and at_desk[j]:
                row(at_desk[j], -np.inf, float(group.seats))
        every = [x for xs in by_type for x in xs]
        for t, shift in enumerate(group.shift_types):
            mine = by_type[t]
            if shift.min_agents > 0 or shift.max_agents is not None:
                row({x: 1.0 for x in mine}, float(shift.min_agents),
                    np.inf if shift.max_agents is None else float(shift.max_agents))
            if shift.max_share is not None and shift.max_share < 1.0:
                # mine <= share x all, with whole coefficients (0.3 -> 10 mine <= 3 all): HiGHS's
                # cuts and bounds work better on integer rows
                share = Fraction(shift.max_share).limit_denominator(1000)
                entries = {x: -float(share.numerator) for x in every}
                for x in mine:
                    entries[x] = entries[x] + float(share.denominator)
                row(entries, -np.inf, 0.0)
    worst = None
    if with_shortfall:
        worst = variable(0.0, False)
        for u in shortfall_columns:
            row({u: 1.0, worst: -1.0}, -np.inf, 0.0)
    a = coo_matrix((vals, (rows, cols)), shape=(len(lb), len(cost)))
    return _Model(np.array(cost, dtype=float), np.array(integer), np.array(upper, dtype=float), a,
                  np.array(lb, dtype=float), np.array(ub, dtype=float), shift_index, break_index, shortfall_columns,
                  worst)


@dataclass(frozen=True)
class SolverProgress:
    """One line of HiGHS's branch-and-bound log: the best schedule's cost so far (None before the
    first), the proven lower bound (None before the first LP), the relative gap, seconds spent."""

    incumbent: float | None
    bound: float | None
    gap: float | None
    time_s: float


def parse_highs_line(line: str) -> SolverProgress | None:
    """A row of HiGHS's B&B table ("... BestBound BestSol Gap | Cuts InLp Confl. | LpIters Time"),
    else None. The gap is the last token ending in '%' (or 'Large'); the two before it are the
    bound and the incumbent; the time is the last token, '0.2s'."""
    tokens = line.split()
    if len(tokens) < 8 or not tokens[-1].endswith("s"):
        return None
    marks = [i for i, t in enumerate(tokens) if t.endswith("%") or t == "Large"]
    if len(marks) < 2 or marks[-1] < 2:
        return None
    at = marks[-1]
    try:
        time_s = float(tokens[-1][:-1])
        bound, incumbent = float(tokens[at - 2]), float(tokens[at - 1])
    except ValueError:
        return None
    gap = None if tokens[at] == "Large" else float(tokens[at][:-1]) / 100.0
    return SolverProgress(incumbent if math.isfinite(incumbent) else None, bound if math.isfinite(bound) else None,
                          gap, time_s)


@contextmanager
def _highs_log(on_progress):
    """While HiGHS solves, its log (written to the process's file descriptor 1 by C code, line by
    line) goes through a pipe to a thread that hands each B&B row to `on_progress`; the rest of
    the log is dropped. scipy's milp offers no callback: its log is the only live view."""
    if on_progress is None:
        yield False
        return
    sys.stdout.flush()
    read_end, write_end = os.pipe()
    saved = os.dup(1)

    def relay() -> None:
        with os.fdopen(read_end, "r", errors="replace") as log:
            for line in log:
                progress = parse_highs_line(line)
                if progress is not None:
                    on_progress(progress)

    reader = threading.Thread(target=relay, daemon=True)
    reader.start()
    os.dup2(write_end, 1)
    os.close(write_end)
    try:
        yield True
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)  # the pipe's last writer closes: the reader sees the end
        os.close(saved)
        reader.join(timeout=5)


def _solve(model: _Model, c: np.ndarray, time_limit_s: float, extra: list[LinearConstraint] = (), on_progress=None):
    constraints = [LinearConstraint(model.a, model.lb, model.ub), *extra]
    with _highs_log(on_progress) as display:
        return milp(c, integrality=model.integrality, bounds=Bounds(np.zeros(len(c)), model.upper),
                    constraints=constraints,
                    options={"time_limit": max(time_limit_s, 0.01), "mip_rel_gap": 0.0, "disp": display})


def _dual_bound(result) -> float:
    bound = getattr(result, "mip_dual_bound", None)
    return float(bound) if bound is not None and math.isfinite(bound) else -math.inf


@dataclass(frozen=True)
class _Combined:
    """Two solves of the same problem (two formulations) as one result."""

    x: np.ndarray | None
    status: int
    fun: float
    mip_gap: float
    mip_dual_bound: float
    message: str


def _combine(first, first_model: _Model, first_name: str, second, second_model: _Model, second_name: str):
    """The better incumbent, the higher bound; optimal when they meet."""
    candidates = [(r.fun, r, m, name) for r, m, name in ((first, first_model, first_name),
                                                         (second, second_model, second_name)) if r.x is not None]
    if not candidates:
        return second, second_model, second_name
    fun, best, model, name = min(candidates, key=lambda c: c[0])
    bound = max(_dual_bound(first), _dual_bound(second))
    if first.status == 0 or second.status == 0:
        bound = fun
    proven = bound >= fun - 1e-6 * max(1.0, abs(fun))
    gap = 0.0 if proven else (fun - bound) / max(abs(fun), 1e-9)
    message = f"{first_name}: {first.message}; {second_name}: {second.message}"
    return _Combined(best.x, 0 if proven else 1, fun, gap, bound, message), model, name


def solve_shifts(groups: tuple[GroupProblem, ...] | list[GroupProblem], shrinkage: float = 0.0,
                 time_limit_s: float = 60.0, formulation: str = "aykin", portfolio: bool = True,
                 on_progress=None) -> ShiftSchedule:
    """The least-cost shifts covering every group's requirement in every slot (see the module
    docstring); the penalised version when it cannot be covered. `formulation`: "aykin" or
    "bechtold_jacobs"; with `portfolio`, a solve that is not proven optimal in half the time limit
    is followed by the other formulation and the two combined. Raises ShiftProblemError when
    not even a penalised schedule exists (e.g. min_agents above the seats), RuntimeError when
    HiGHS finds no solution within the time limit. `on_progress(SolverProgress)` is called with
    every row of HiGHS's branch-and-bound log while it solves (incumbent, bound, gap, time)."""
    groups = tuple(groups)
    if not 0.0 <= shrinkage < 1.0:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage}")
    started = time.perf_counter()
    model = _build(groups, shrinkage, False, formulation)
    # half the time for the chosen formulation; if it cannot prove its optimum, the other one gets
    # the rest, and the two are combined (both are exact: the best incumbent of either is feasible,
    # the higher dual bound of either is valid)
    result = _solve(model, model.c, time_limit_s / 2 if portfolio else time_limit_s, on_progress=on_progress)
    used = formulation
    if portfolio and result.status == 1:
        other = next(f for f in FORMULATIONS if f != formulation)
        other_model = _build(groups, shrinkage, False, other)
        second = _solve(other_model, other_model.c, time_limit_s - (time.perf_counter() - started),
                        on_progress=on_progress)
        result, model, used = _combine(result, model, formulation, second, other_model, other)
    short = False
    shortfall_total = 0.0
    if result.status == 2:  # infeasible: least total shortfall, then the least worst slot, then least cost
        model = _build(groups, shrinkage, True, formulation)
        total = np.zeros(len(model.c))
        total[model.shortfall_columns] = 1.0
        worst = np.zeros(len(model.c))
        worst[model.worst_column] = 1.0

        def left() -> float:
            return time_limit_s - (time.perf_counter() - started)

        first = _solve(model, total, left())
        if first.x is None:
            raise ShiftProblemError("the shift rules contradict each other: no schedule exists even with agents "
                                    "missing (check min_agents against seats and max_agents)")
        shortfall_total = float(round(first.fun, 6))
        at_most_total = LinearConstraint(total.reshape(1, -1), -np.inf, shortfall_total + 1e-6)
        second = _solve(model, worst, left(), [at_most_total])
        fixed = [at_most_total]
        if second.x is not None:
            fixed.append(LinearConstraint(worst.reshape(1, -1), -np.inf, float(second.fun) + 1e-6))
        result = _solve(model, model.c, left(), fixed, on_progress=on_progress)
        if result.x is None:
            result = second if second.x is not None else first
        short = True
    if result.x is None:
        raise RuntimeError(f"HiGHS found no schedule within {time_limit_s:g} s ({result.message}); "
                           "raise the time limit")
    solve_time_s = time.perf_counter() - started
    solution = np.round(result.x).astype(int)
    shifts, coverage = _read(groups, model, solution, shrinkage)
    cost = float(sum(s.count * s.cost_each for s in shifts))
    gap = float(getattr(result, "mip_gap", 0.0) or 0.0)
    dual = getattr(result, "mip_dual_bound", None)
    status = "optimal" if result.status == 0 else "time_limit"
    return ShiftSchedule(
        solver_status=status, short=short, cost=cost, mip_gap=gap if status != "optimal" or gap > 0 else 0.0,
        dual_bound=float(dual) if dual is not None and math.isfinite(dual) else cost,
        shortfall_agent_slots=shortfall_total, shifts=shifts, coverage=coverage, shrinkage=shrinkage,
        solve_time_s=solve_time_s, n_variables=int(model.c.size), n_integer_variables=int(model.integrality.sum()),
        n_constraints=int(model.lb.size), message=str(result.message), formulation=used,
    )


def lp_bound(groups: tuple[GroupProblem, ...] | list[GroupProblem], shrinkage: float = 0.0) -> float:
    """The LP relaxation's optimum of the shift problem (every variable continuous): no schedule
    of these groups costs less, so cost / lp_bound - 1 is how far any schedule can be from the best."""
    model = _build(tuple(groups), shrinkage, False)
    result = milp(model.c, integrality=np.zeros(len(model.c)), bounds=Bounds(np.zeros(len(model.c)), model.upper),
                  constraints=[LinearConstraint(model.a, model.lb, model.ub)])
    if result.x is None:
        raise ShiftProblemError(f"the shift problem's LP relaxation has no solution ({result.message})")
    return float(result.fun)


def _break_starts(groups: tuple[GroupProblem, ...], model: _Model, solution: np.ndarray) -> dict:
    """(shift variable, break) -> the sorted absolute starts of that break for its agents.

    Aykin: read off the shift's own variables. Bechtold-Jacobs: hand the type's breaks to its
    shifts earliest-deadline-first: positions in rising order, each to the earliest-starting
    shift still short of breaks (windows rise with the start, so that shift has the earliest
    deadline); the forward/backward constraints guarantee it fits its window."""
    out: dict[tuple[int, int], list[int]] = {}
    for key, placements in model.break_index.items():
        if key[0] == "shift":
            _, x, b = key
            out[(x, b)] = sorted(p for y, p in placements for _ in range(int(solution[y])))
            continue
        _, g, t, b = key
        rule = groups[g].shift_types[t].breaks[b]
        shifts = sorted(((start, x) for x, gg, tt, start in model.shift_index if (gg, tt) == (g, t)))
        remaining = {x: int(solution[x]) for _, x in shifts}
        for _, x in shifts:
            out[(x, b)] = []
        positions = sorted(p for z, p in placements for _ in range(int(solution[z])))
        i = 0
        for position in positions:
            while i < len(shifts) and remaining[shifts[i][1]] == 0:
                i += 1
            if i == len(shifts):
                raise RuntimeError("break matching failed: more breaks than agents (a bug)")
            start, x = shifts[i]
            if not start + rule.earliest_slot <= position <= start + rule.latest_slot:
                raise RuntimeError("break matching failed: a break outside its window (a bug)")
            out[(x, b)].append(position)
            remaining[x] -= 1
    return out


def _read(groups: tuple[GroupProblem, ...], model: _Model, solution: np.ndarray, shrinkage: float):
    """Shifts with each agent's break times, and coverage per slot, from the integer solution."""
    break_starts = _break_starts(groups, model, solution)
    shifts: list[ScheduledShift] = []
    duty = [np.zeros(len(g.required), dtype=int) for g in groups]
    rest = [np.zeros(len(g.required), dtype=int) for g in groups]
    for x, g, t, start in model.shift_index:
        count = int(solution[x])
        if count <= 0:
            continue
        group, shift = groups[g], groups[g].shift_types[t]
        n = len(group.required)
        end = start + shift.length_slots
        duty[g][start:min(end, n)] += count
        # agent i takes the i-th earliest start of every break (windows are disjoint and ordered)
        starts_per_break = [break_starts[(x, b)] for b in range(len(shift.breaks))]
        combos: dict[tuple[int, ...], int] = {}
        for i in range(count):
            key = tuple(starts[i] for starts in starts_per_break)
            combos[key] = combos.get(key, 0) + 1
        for key, k in sorted(combos.items()):
            breaks = []
            for rule, b_start in zip(shift.breaks, key):
                breaks.append((rule.name, b_start, b_start + rule.slots, rule.paid))
                rest[g][b_start:min(b_start + rule.slots, n)] += k
            shifts.append(ScheduledShift(group.name, shift.name, start, end, tuple(breaks), k, shift.cost,
                                         shift.paid_slots))
    coverage = tuple(
        GroupCoverage(group.name, tuple(float(r) for r in group.required), tuple(int(v) for v in duty[g]),
                      tuple(int(v) for v in rest[g]),
                      tuple(float((d - b) * (1.0 - shrinkage)) for d, b in zip(duty[g], rest[g])))
        for g, group in enumerate(groups)
    )
    shifts.sort(key=lambda s: (s.group, s.start_slot, s.shift_type, s.breaks))
    return tuple(shifts), coverage
