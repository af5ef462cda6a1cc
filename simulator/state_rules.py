"""A day started from the centre's state at a clock time (`Scenario.initial_state`), as the call
centre's rules (`simulator.engine`) run it: a mixin of `_CallCentre`, like `journey_rules`.

At `at` (the kernel's clock starts there): the interval's staffing comes on, the busy agents
start the rest of their jobs, promised callbacks are queued as the queue's callback mode says,
the waiting callers join their lines in order of arrival (each with the deadline its
conditional patience gives, counted from its arrival), and the day's own arrivals follow.
What is drawn for them is `simulator.starting_state`.
"""
from __future__ import annotations

from .kernel import Moments
from .records import CALLBACK_ACCEPTED, CALLBACK_OFFERED, INITIAL

_NEVER = float("inf")


class StateRules:
    """The start of a day from a state (`self.start_state`, a starting_state.StartingState)."""

    def _start_from_state(self, arrivals_without_timeout: bool) -> None:
        state = self.start_state
        now = self.env.now  # the state's moment
        k = state.interval
        for g in range(len(self.staffing)):
            self._set_staff(g, self.staffing[g][k])
        self.next_interval = k + 1
        self.env.after((k + 1) * self.scenario.interval_s - now, self._boundary)
        for g, busy_s, line_s in zip(state.busy_group, state.busy_s, state.line_s):
            self._job(-1, g, self.idle[g].popleft(), now, busy_s=busy_s)  # the rest of a job begun before
            if self.has_trunks and line_s > 0:  # its caller holds a line until the talk ends
                self.lines_free -= 1
                self._hang_up(now + line_s)
        for i in range(state.n_initial):
            self.flags[i] |= INITIAL
        for i in range(state.n_waiting, state.n_initial):  # promised callbacks, older than any waiting caller
            self.flags[i] |= CALLBACK_OFFERED | CALLBACK_ACCEPTED
            self.accepted_at[i] = now
            q = self.route[i]
            if self.callback[q].mode == "keep_place":
                self.pending += 1
                self._enqueue_without_caller(i, q, at_front=False)
            else:
                self._queue_callback_later(i, q, self.callback_wait[i])
        for i in range(state.n_waiting):  # longest waiting first: the order of their arrivals
            self._rejoin(i, now)
        m = state.n_initial
        # the day's first calls only: return calls the state's callers have made by now (answered
        # at once above) are appended behind them and start by their own dues
        start, times = self.start_call, self.arrived[m:self.n_first]
        deferred = None if self.lazy is None else self.lazy_ends
        Moments(self.env, times, len(times), lambda j, at_s: start(j + m, at_s), deferred,
                arrivals_without_timeout).begin()

    def _rejoin(self, i: int, now: float) -> None:
        """Caller i, waiting since it arrived (`arrived[i]`, before now), is back in its line at
        the place its arrival gives it (or answered at once by an idle agent)."""
        q = self.route[i]
        joined_s = self.arrived[i]
        self.queued_at[i] = joined_s
        if self.has_trunks:
            self.lines_free -= 1
        g = self._idle_group(q, self.answer_groups[q])
        if g >= 0:
            self._take(i, g, self.idle[g].popleft(), now)
            return
        patience = self.patience[i]  # drawn beyond the wait so far: its deadline is still ahead
        u = self.priority_u[i] if self.has_priority else 0.0
        limit_s = self.max_wait_s[q]  # the queue's maximum wait, counted from the arrival as patience is
        if self.has_messages and limit_s < patience:  # (the state's waits are below it: still ahead)
            if self.watch_patience or self.message_call_back[q]:
                e = self.routing.join(i, q, joined_s, u)
                due = self.env.due(max(joined_s + limit_s - now, 0.0), self._patience_ran_out_cbs)
                due.call, due.queue, due.entry = i, q, e
            else:
                e = self.routing.join(i, q, joined_s, u, joined_s + limit_s)
        elif patience == _NEVER:
            e = self.routing.join(i, q, joined_s, u)
        elif self.watch_patience or (self.has_returns and self.redial_u[i] < self.redial_p):
            e = self.routing.join(i, q, joined_s, u)
            due = self.env.due(max(joined_s + patience - now, 0.0), self._patience_ran_out_cbs)
            due.call, due.queue, due.entry = i, q, e
        else:
            e = self.routing.join(i, q, joined_s, u, joined_s + patience)
        if self.lazy is not None:
            for g in self.served_by[q]:
                if self.lazy[g]:
                    self._wake(g)
        elif self.overflow_after_s[q] is not None:
            self.env.after(max(self.overflow_after_s[q] - (now - joined_s), 0.0),
                           lambda event: self._overflow_due(q, e, event))
