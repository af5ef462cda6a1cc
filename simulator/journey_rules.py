"""Two parts of the caller's journey, as the call centre's rules (`simulator.engine`) run them:
callbacks (offered when the expected wait is long, dialled by an agent when the call reaches
the front or after a delay) and return calls (abandoners who redial, unresolved callers who
call again). Each is a mixin of the engine's `_CallCentre`, kept apart so that the engine's
file holds the path every call takes; the methods read and write the day's working arrays
exactly as they did inside it.
"""
from __future__ import annotations

from functools import partial
from operator import itemgetter

from .callers import REDIAL, REPEAT, ReturnCallPool
from .kernel import callbacks
from .randomness import Stream, generator_at
from .records import (CALLBACK_ACCEPTED, CALLBACK_CONNECTED, CALLBACK_OFFERED, MISROUTED, RESOLVED, TRANSFERRED,
                      ZERO_OUT, Outcome)
from .scenario import Scenario

_NEVER = float("inf")


class CallbackRules:
    """Callbacks: the offer, the wait for the callback, the agent's dial."""

    def _setup_callbacks(self, scenario: Scenario, seed: int, replication: int) -> None:
        self.callback = [q.callback for q in scenario.queues]
        if self.has_callbacks:
            self.attempt_rng = generator_at(seed, replication, int(Stream.CALLBACK_ATTEMPTS))
            self.mean_handle_s = [q.talk_time.mean_s + q.acw.mean_s for q in scenario.queues]
            # per queue with a window or a cap: (from, until, accepted callbacks left per interval); else None
            self.callback_limits = [
                None if q.callback is None or (q.callback.offered_between is None and q.callback.max_per_interval is None)
                else (*scenario.callback_window_s(k), scenario.callback_cap(k))
                for k, q in enumerate(scenario.queues)
            ]
            self.interval_s = scenario.interval_s
            # per queue: the calls of scheduled callbacks not yet due (dropped at the close where the queue disconnects)
            self.callbacks_due = [set() for _ in scenario.queues]

    def _expected_wait_s(self, q: int) -> float:
        """(callers ahead + 1) x mean handle time / agents on shift who serve the queue."""
        agents = 0
        on_shift, owed = self.on_shift, self.owed_departures
        for g in self.routing.answer_order[q]:  # a loop, not sum() over a generator: once per offer
            agents += on_shift[g] - len(owed[g])
        if agents <= 0:
            return _NEVER
        return (self.routing.waiting_now(q, self.env.now) + 1) * self.mean_handle_s[q] / agents

    def _offer_callback(self, i: int, q: int) -> bool:
        """Offer a callback if the expected wait is over the threshold; True if accepted."""
        policy = self.callback[q]
        now = self.env.now
        limits = self.callback_limits[q]
        if limits is not None:
            window_from_s, window_until_s, left = limits
            if not window_from_s <= now < window_until_s:
                return False
            interval = min(int(now // self.interval_s), len(left) - 1)
            if left[interval] <= 0:  # this interval's callbacks are all taken
                return False
        if self._expected_wait_s(q) <= policy.offer_when_expected_wait_over:
            return False
        self.flags[i] |= CALLBACK_OFFERED
        if self.callback_u[i] >= policy.accept_probability:
            return False
        self.flags[i] |= CALLBACK_ACCEPTED
        if limits is not None:
            left[interval] -= 1
        self.accepted_at[i] = now
        if policy.mode == "keep_place":
            e = self.routing.join(i, q, now, self.priority_u[i] if self.has_priority else 0.0)
            if self.overflow_after_s[q] is not None:
                self.env.after(self.overflow_after_s[q], partial(self._overflow_due, q, e))
        else:
            self._queue_callback_later(i, q, self.callback_wait[i])
        return True

    def _queue_callback_later(self, i: int, q: int, delay_s: float) -> None:
        if self.closing and self.disconnects[q]:  # the queue has closed: the callback is not made
            self.outcome[i] = Outcome.CALLBACK_FAILED
            return
        self.pending += 1
        self.callbacks_due[q].add(i)
        self.env.after(delay_s, partial(self._join_as_callback, i, q))

    def _join_as_callback(self, i: int, q: int, event) -> None:
        due = self.callbacks_due[q]
        if i not in due:  # dropped at the close (its queue disconnects)
            return
        due.discard(i)
        self._enqueue_without_caller(i, q, at_front=False)

    def _drop_callbacks_due(self, q: int) -> None:
        """At the close of a queue that disconnects: its scheduled callbacks not yet due are not made."""
        for i in self.callbacks_due[q]:
            self.outcome[i] = Outcome.CALLBACK_FAILED
            self.pending -= 1
        self.callbacks_due[q].clear()

    def _enqueue_without_caller(self, i: int, q: int, at_front: bool) -> None:
        """A callback or a transferred call (pending until now) joins queue q (or, once a queue
        that disconnects has closed, is not made, or is cut off)."""
        self.pending -= 1
        if self.closing and self.disconnects[q]:
            if self.flags[i] & CALLBACK_ACCEPTED and not self.flags[i] & CALLBACK_CONNECTED:
                self.outcome[i] = Outcome.CALLBACK_FAILED
            else:
                self._cut_off(i, self.env.now)
            if not self.pending:
                self._release_idle()
            return
        g = self._idle_group(q, self.answer_groups[q])
        if g >= 0:
            self._answer(i, g, self.idle[g].popleft(), self.env.now)
        else:
            e = self.routing.join(i, q, self.env.now, self.priority_u[i] if self.has_priority else 0.0,
                                  at_front=at_front)
            if self.overflow_after_s[q] is not None:
                self.env.after(self.overflow_after_s[q], partial(self._overflow_due, q, e))
        if self.closing and not self.pending:
            self._release_idle()

    def _call_back(self, i: int, g: int, agent: int, now: float) -> None:
        """An agent dials an accepted callback: reached (talk + ACW) or retried later."""
        q = self.route[i]
        policy = self.callback[q]
        u = self.attempt_rng.random(2)
        dial_s = float(policy.dial_time.ppf(u[:1])[0])
        self.callback_tries[i] += 1
        if u[1] < policy.answer_probability:
            self.callback_delay[i] = now + dial_s - self.accepted_at[i]
            self.flags[i] |= CALLBACK_CONNECTED
            if self.has_ivr and self.true_queue[i] >= 0 and not self.flags[i] & TRANSFERRED:
                # a misrouted caller called back from the wrong queue: connected, then transferred
                self._transfer(i, g, agent, dial_s + self.transfer_s[i], now)
                return
            self._job(i, g, agent, now, Outcome.CALLBACK_COMPLETED, dial_s)
            return
        self._job(i, g, agent, now, busy_s=dial_s)
        if self.callback_tries[i] >= policy.max_attempts:
            self.outcome[i] = Outcome.CALLBACK_FAILED
        else:
            # retried a delay after this attempt rang out
            self._queue_callback_later(i, q, dial_s + float(policy.retry_delay.ppf(self.attempt_rng.random(1))[0]))



class ReturnCallRules:
    """Redials and repeat calls: new calls by the same caller, from the return-call pool."""

    def _setup_return_calls(self, scenario: Scenario, seed: int, replication: int) -> None:
        if self.has_returns:
            self.returns = scenario.return_calls
            self.redial_p = self.returns.redial_probability
            self.fcr = [q.first_contact_resolution for q in scenario.queues]
            self.pool = ReturnCallPool(scenario, seed, replication)
            self.max_calls = self.returns.max_calls
            # retrial: same_contact: a redial is the same contact again (its patience, talk and
            # ACW kept), made after the close too while every queue serves at the close (agents
            # wait for it, as for callers still in the IVR); where a queue disconnects, not then
            self.same_contact = self.returns.retrial == "same_contact"
            self.redials_after_close = self.same_contact and not any(scenario.disconnects_at_close())
            self._retrial_cbs = callbacks(self._retrial)
            # for _call_again, one entry more in every working array: the bound `append` of each
            # array with the key of the pool's row it takes, or the fill of a working column; the
            # columns _call_again sets itself are left out
            own = {"arrived", "flags", "calls_made", "caller_id", "kind"}
            drawn = [c for c in self.columns if c.drawn_as is not None and c.engine not in own]
            self.return_appends = [getattr(self, c.engine).append for c in drawn]
            self.return_values = itemgetter(*[c.drawn_as for c in drawn])  # the row's values, in that order
            self.return_filled = [(getattr(self, c.engine).append, c.fill) for c in self.columns
                                  if c.drawn_as is None and c.engine not in own]

    def _maybe_redial(self, i: int) -> None:
        if self.has_returns and self.redial_u[i] < self.redial_p:
            self._call_again(i, self.env.now + self.redial_delay[i], REDIAL)

    def _maybe_repeat(self, i: int, talk_end_s: float) -> None:
        q = self.route[i]
        if self.has_ivr and self.true_queue[i] >= 0:
            q = self.true_queue[i]
        if self.resolve_u[i] < self.fcr[q]:
            self.flags[i] |= RESOLVED
        else:
            self._call_again(i, talk_end_s + self.repeat_delay[i], REPEAT)

    def _call_again(self, i: int, at_s: float, kind: int) -> None:
        """The caller of call i makes another call at `at_s` (if the centre is still open; a
        same-contact redial after the close too, where every queue serves at the close)."""
        calls_made = self.calls_made
        retrial = kind == REDIAL and self.same_contact
        if calls_made[i] >= self.max_calls or (at_s >= self.day_end_s and not (retrial and self.redials_after_close)):
            return
        # a return call keeps its caller's intent (with an IVR) or queue (without one)
        row = self.pool.take(at_s, self.intent[i] if self.has_ivr else self.route[i])
        arrived = self.arrived
        j = len(arrived)
        for append, value in zip(self.return_appends, self.return_values(row)):  # one more entry in every array
            append(value)
        for append, fill in self.return_filled:
            append(fill)
        arrived.append(at_s)
        if self.has_ivr:
            self.flags.append((ZERO_OUT if row["ivr.zero_out"] else 0)
                              | (MISROUTED if row["ivr.true_queue"] >= 0 else 0))
        else:
            self.flags.append(0)
        calls_made.append(calls_made[i] + 1)
        self.caller_id.append(self.caller_id[i])
        self.kind.append(kind)
        if retrial:  # the same contact again: its patience and service need, not the pool row's
            self.patience[j], self.talk[j], self.acw[j] = self.patience[i], self.talk[i], self.acw[i]
            self.pending += 1  # agents still on shift after the close wait for it
            self.env.due(at_s - self.env.now, self._retrial_cbs).call = j
            return
        self.env.due(at_s - self.env.now, self._start_again_cbs).call = j

    def _start_again(self, event) -> None:
        """A redial or repeat call (`event.call`) starts."""
        self.start_call(event.call, self.env.now)

    def _retrial(self, event) -> None:
        """A same-contact redial (`event.call`) starts; after the close, idle agents go home once
        nothing else is on its way."""
        self.pending -= 1
        self.start_call(event.call, self.env.now)
        if self.closing and not self.pending:
            self._release_idle()
