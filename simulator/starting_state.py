"""What a day started from a state (`Scenario.initial_state`) draws before it runs.

The state says how long each waiting caller has waited and, for busy agents, either how long
their call (or ACW) has lasted or only that they are busy. The rest is drawn here, each from
the INITIAL_STATE stream (sub-streams below), so the day's other streams are untouched:

* **The day's own callers** are the full day's draw (`draw_callers`), kept from `at` on: an
  interval cut by `at` keeps the calls of its remaining share, and a scenario started from a
  state meets the same callers after `at` as the whole day does (common random numbers).
* **A caller already waiting w seconds** keeps its place (it arrived at `at - w`) and has
  patience drawn given patience > w: U uniform in (F(w), 1), patience = F^-1(U) (for the
  exponential that is w plus a fresh exponential: memoryless). Its talk and ACW are drawn as
  any caller's of its queue in the interval holding `at`.
* **A busy agent with elapsed time e** has remaining time X - e with X drawn given X > e, the
  same way; **a busy agent with no elapsed time** has the residual (equilibrium) time, of
  density S(x) / mean: the time left of a job seen at a random moment. Talking agents then do
  their ACW, drawn as usual. A group's busy agents take the durations of the first queue the
  group serves.
* **A promised callback** is a call of its queue (talk, ACW drawn as usual) that is dialled as
  the queue's callback mode says, counted from `at`.

`StartingState` is what the engine needs (`simulator.engine` and `simulator.state_rules`):
the moment, its interval, how many rows at the front of the callers are the state's callers,
and the busy agents' remaining times.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import lru_cache

import numpy as np

from .callers import Callers, draw_attributes, draw_callers
from .durations import duration_scales
from .errors import UserError
from .randomness import Stream, generator_at
from .schema_base import ScenarioError
from .error_words import format_path
from .state_schema import check_state, state_offset_s

# sub-streams of Stream.INITIAL_STATE (never renumbered)
_ATTRIBUTES, _DURATIONS, _BUSY = 0, 1, 2  # the callers' attributes; their talk, ACW, patience; busy agents
_TOP_U = float(np.nextafter(1.0, 0.0))  # the largest uniform below 1: ppf(1) may be inf
_GRID = 1 << 14  # quantiles of a duration the residual distribution is computed on


@dataclass(frozen=True)
class StartingState:
    """The engine's view of the state: rows [0, n_waiting) of the callers wait in line (in order
    of arrival), rows [n_waiting, n_initial) are promised callbacks; busy agents per entry."""

    at_s: float  # simulation seconds of `at`
    interval: int  # the interval holding `at`
    n_waiting: int
    n_initial: int
    busy_group: tuple[int, ...]  # one entry per busy agent
    busy_s: tuple[float, ...]  # its remaining time from `at`: rest of the talk + ACW, or rest of the ACW
    line_s: tuple[float, ...]  # its remaining talk (the caller holds a line until then); 0 in ACW


def conditional_ppf(dist, u: np.ndarray, elapsed_s: np.ndarray) -> np.ndarray:
    """Durations X of `dist` drawn given X > elapsed_s, by inverse transform of uniforms `u`:
    X = F^-1(F(e) + u (1 - F(e))), never below e (a time past the distribution's support, or
    rounding, gives e itself)."""
    elapsed_s = np.asarray(elapsed_s, dtype=float)
    below = np.asarray(dist.cdf(elapsed_s), dtype=float)
    return np.maximum(dist.ppf(np.minimum(below + np.asarray(u) * (1.0 - below), _TOP_U)), elapsed_s)


@lru_cache(maxsize=64)
def _residual_table(dist) -> tuple[np.ndarray, np.ndarray] | None:
    """(C, x): C(x) = E[min(X, x)] / E[X] at the breakpoints x of X's quantile grid, the
    equilibrium CDF of a grid distribution (piecewise linear between breakpoints, so np.interp
    inverts it exactly); None when X is always 0."""
    values = np.sort(dist.ppf((np.arange(_GRID) + 0.5) / _GRID))
    total = values.sum()
    if total <= 0:
        return None
    # E[min(X, v_k)] * N = sum of the values below v_k + v_k * (number of values from k on)
    below = np.concatenate(([0.0], np.cumsum(values)[:-1]))
    at_break = below + values * (_GRID - np.arange(_GRID))
    return np.concatenate(([0.0], at_break / total)), np.concatenate(([0.0], values))


def residual_ppf(dist, u: np.ndarray) -> np.ndarray:
    """Residual (equilibrium) times of `dist`, density S(x) / mean, for uniforms `u`: the time
    left of a job seen at a random moment (for the exponential, the exponential itself)."""
    table = _residual_table(dist)
    if table is None:
        return np.zeros(np.shape(u))
    share, x = table
    return np.interp(u, share, x)


def check_against_scenario(scenario) -> None:
    """The scenario's state checked again (a scenario made by model_copy was never validated):
    a UserError naming the key."""
    try:
        check_state(scenario.initial_state, scenario)
    except ScenarioError as exc:
        raise UserError(f"{format_path(exc.path)}: {exc.message}") from None


def _select(callers: Callers, keep: np.ndarray) -> dict:
    """The fields of `callers` (arrays cut to `keep`), as keyword arguments of Callers."""
    out = {}
    for f in fields(callers):
        value = getattr(callers, f.name)
        if isinstance(value, np.ndarray):
            value = value[keep]
        elif value is not None and f.name == "ivr":
            value = replace(value, **{g.name: getattr(value, g.name)[keep] for g in fields(value)})
        out[f.name] = value
    return out


def _joined(front: dict, back: dict) -> dict:
    out = dict(back)
    for name, value in back.items():
        if isinstance(value, np.ndarray):
            out[name] = np.concatenate((np.asarray(front[name], dtype=value.dtype), value))
        elif name == "ivr" and value is not None:
            out[name] = replace(value, **{g.name: np.concatenate((getattr(front[name], g.name).astype(
                getattr(value, g.name).dtype), getattr(value, g.name))) for g in fields(value)})
    return out


def _state_rows(scenario, seed: int, replication: int, at_s: float, k: int) -> tuple[dict, int, int]:
    """The attributes of the state's callers: the waiting ones (in order of arrival), then the
    promised callbacks; (attributes, n_waiting, n_initial)."""
    state = scenario.initial_state
    names = [q.name for q in scenario.queues]
    waits = [(-w, names.index(name)) for name, ws in state.waiting.items() for w in ws]
    waits.sort(key=lambda pair: pair[0])  # longest waiting first (stable: file order on ties)
    elapsed = np.array([-w for w, _ in waits], dtype=float)
    queue = [q for _, q in waits] + [names.index(name) for name, count in state.callbacks_pending.items()
                                     for _ in range(count)]
    n = len(queue)
    queue = np.array(queue, dtype=np.int16)
    interval = np.full(n, k, dtype=np.int64)
    rows = draw_attributes(scenario, n, lambda stream, *sub: generator_at(seed, replication, int(Stream.INITIAL_STATE),
                                                                          _ATTRIBUTES, int(stream), *sub),
                           interval, queue=queue)
    rows.pop("talk_owner", None)
    rows.pop("patience_owner", None)
    scales = duration_scales(scenario)
    u = generator_at(seed, replication, int(Stream.INITIAL_STATE), _DURATIONS).random((3, n))  # talk, ACW, patience
    talk, acw, patience = np.zeros(n), np.zeros(n), np.full(n, np.inf)
    for q, spec in enumerate(scenario.queues):
        mask = queue == q
        talk_scale = scales.talk[q, k] if scales is not None else 1.0
        acw_scale = scales.acw[q, k] if scales is not None else 1.0
        patience_scale = scales.patience[q, k] if scales is not None else 1.0
        talk[mask] = spec.talk_time.ppf(u[0][mask]) * talk_scale
        acw[mask] = spec.acw.ppf(u[1][mask]) * acw_scale
        waiting = mask.copy()
        waiting[len(elapsed):] = False
        if spec.patience is not None and waiting.any():
            # patience scaled by s exceeds w exactly when the unscaled one exceeds w / s
            patience[waiting] = conditional_ppf(spec.patience, u[2][waiting],
                                                elapsed[waiting[:len(elapsed)]] / patience_scale) * patience_scale
    rows.update(talk_s=talk, acw_s=acw, patience_s=patience, queue=queue)
    if rows.get("ivr") is not None:  # already in their queue: past the IVR, rightly routed
        paths = rows["ivr"]
        rows["ivr"] = replace(paths, ivr_s=np.zeros(n), route=queue, true_queue=np.full(n, -1, dtype=np.int16),
                              menus=np.zeros(n, dtype=paths.menus.dtype), zero_out=np.zeros(n, dtype=bool))
    rows["arrived_at_s"] = np.concatenate((at_s - elapsed, np.full(n - len(elapsed), at_s)))
    return rows, len(elapsed), n


def _busy_agents(scenario, seed: int, replication: int, k: int) -> tuple[tuple, tuple, tuple]:
    """(group, remaining busy time, remaining talk) of each busy agent, groups in scenario order."""
    rng = generator_at(seed, replication, int(Stream.INITIAL_STATE), _BUSY)
    scales = duration_scales(scenario)
    groups, busy_s, line_s = [], [], []
    for g, group in enumerate(scenario.agents):
        busy = scenario.initial_state.busy.get(group.name)
        if busy is None:
            continue
        q = scenario.queue_index(group.serves[0])
        talk_dist, acw_dist = scenario.queues[q].talk_time, scenario.queues[q].acw
        talk_scale = scales.talk[q, k] if scales is not None else 1.0
        acw_scale = scales.acw[q, k] if scales is not None else 1.0
        u = rng.random((2, busy.n_talking + busy.n_acw))  # the rest of the job; the ACW after a call
        n_talk = busy.n_talking
        if busy.talking_elapsed_s is not None:
            e = np.array(busy.talking_elapsed_s) / talk_scale
            talk_left = (conditional_ppf(talk_dist, u[0][:n_talk], e) - e) * talk_scale
        else:
            talk_left = residual_ppf(talk_dist, u[0][:n_talk]) * talk_scale
        if busy.acw_elapsed_s is not None:
            e = np.array(busy.acw_elapsed_s) / acw_scale
            acw_left = (conditional_ppf(acw_dist, u[0][n_talk:], e) - e) * acw_scale
        else:
            acw_left = residual_ppf(acw_dist, u[0][n_talk:]) * acw_scale
        after_talk = acw_dist.ppf(u[1][:n_talk]) * acw_scale
        groups += [g] * (n_talk + busy.n_acw)
        busy_s += (talk_left + after_talk).tolist() + acw_left.tolist()
        line_s += talk_left.tolist() + [0.0] * busy.n_acw
    return tuple(groups), tuple(busy_s), tuple(line_s)


def callers_from_state(scenario, seed: int, replication: int) -> tuple[Callers, StartingState]:
    """The callers of a day started from the scenario's state (the state's callers first, then
    the day's own from `at` on) and what the engine needs of the state."""
    check_against_scenario(scenario)
    at_s = state_offset_s(scenario.initial_state, scenario.start_s)
    k = int(at_s // scenario.interval_s)
    day = draw_callers(scenario, seed, replication)
    later = _select(day, day.arrived_at_s >= at_s)
    rows, n_waiting, n_initial = _state_rows(scenario, seed, replication, at_s, k)
    callers = Callers(**_joined(rows, later)) if n_initial else Callers(**later)
    groups, busy_s, line_s = _busy_agents(scenario, seed, replication, k)
    return callers, StartingState(at_s, k, n_waiting, n_initial, groups, busy_s, line_s)
