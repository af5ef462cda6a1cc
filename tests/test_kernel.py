"""The event kernel (simulator/kernel.py): the SimPy contract it relies on, its refusals, and its
facilities (dues, deferred events, the stream of moments) against plain SimPy."""
from __future__ import annotations

import itertools

import pytest
import simpy
import simpy.core
import simpy.events

from simulator.kernel import Due, Kernel, Moments, callbacks


def test_simpy_contract():
    """Everything simulator.kernel reads or writes in SimPy's insides. A SimPy release that
    changes any of it fails here, by name, before any engine test does."""
    env = simpy.Environment()
    # the clock is `_now`, `now` reads it; the queue `_queue` is a list used as a heap; the
    # sequence numbers come from the counter `_eid`
    assert env._now == 0 and env.now == 0
    assert env._queue == [] and isinstance(env._eid, itertools.count)
    # an entry is (time, priority, eid, event): a timeout is NORMAL, later than URGENT
    assert simpy.events.URGENT < simpy.events.NORMAL == 1
    first = env.timeout(5)
    second = env.timeout(5)
    early = env.timeout(2)
    assert sorted(env._queue) == [(2, simpy.events.NORMAL, 2, early), (5, simpy.events.NORMAL, 0, first),
                                  (5, simpy.events.NORMAL, 1, second)]
    assert env._queue[0] == min(env._queue)  # a heap
    assert next(env._eid) == 3  # the next sequence number, drawn by whoever schedules next
    # a timeout's fields, as the kernel's dues set them
    assert (first._delay, first._value, first._ok, first.env) == (5, None, True, env)
    assert isinstance(first.callbacks, list)
    # step(): pops the smallest entry, sets _now, sets callbacks to None, then calls them with the event
    seen = []
    early.callbacks.append(lambda event: seen.append((env._now, event is early, event.callbacks)))
    env.step()
    assert seen == [(2, True, None)] and early.processed
    # simultaneous events run in the order they were scheduled (eid)
    order = []
    first.callbacks.append(lambda event: order.append("first"))
    second.callbacks.append(lambda event: order.append("second"))
    env.run()
    assert order == ["first", "second"]
    with pytest.raises(simpy.core.EmptySchedule):
        env.step()
    # processes and conditions wait on an event by appending to its callbacks (the kernel's
    # refusal hangs on that); Event.__and__ / __or__ build a Condition
    env = simpy.Environment()
    timeout = env.timeout(1)
    appended = []

    class Watched(list):
        def append(self, callback):
            appended.append(type(getattr(callback, "__self__", None)).__name__)
            super().append(callback)

    timeout.callbacks = Watched(timeout.callbacks)

    def waiter():
        yield timeout

    env.process(waiter())
    env.step()  # the process starts and waits on the timeout
    assert timeout & env.timeout(2) is not None
    assert appended == ["Process", "Condition"]
    # StopSimulation lives in simpy.core (the kernel's step handles it as SimPy's does)
    assert issubclass(simpy.core.StopSimulation, Exception)


def test_a_due_refuses_to_be_yielded_from_a_process():
    env = Kernel()
    due = env.after(5, lambda event: None)

    def waiter():
        yield due

    env.process(waiter())
    with pytest.raises(RuntimeError, match="cannot be waited on"):
        env.run()


def test_a_due_refuses_to_be_combined():
    env = Kernel()
    due = env.after(5, lambda event: None)
    for combine in (lambda: due & env.timeout(1), lambda: due | env.timeout(1), lambda: env.timeout(1) & due,
                    lambda: env.timeout(1) | due, lambda: env.all_of([due]), lambda: env.any_of([due])):
        with pytest.raises(RuntimeError, match="cannot be waited on"):
            combine()


def test_a_fired_due_refuses_too_since_it_is_reused():
    env = Kernel()
    fired = []
    env.after(1, fired.append)
    env.run_dry()
    assert env.spare == fired  # back in the pool, for the next due

    def waiter():
        yield fired[0]

    env.process(waiter())
    with pytest.raises(RuntimeError, match="cannot be waited on"):
        env.run_dry()


def test_a_process_waits_on_simpys_own_timeouts_beside_dues():
    # the negative control of the refusals: what a model should do instead works
    env = Kernel()
    log = []

    def waiter():
        yield env.timeout(3)
        log.append(("process", env.now))

    env.process(waiter())
    env.after(2, lambda event: log.append(("due", env.now)))
    env.run_dry()
    assert log == [("due", 2), ("process", 3)]


def timeline(run) -> list:
    """Dues, SimPy timeouts and a process at tied and untied times; the order they ran in."""
    env = Kernel()
    log = []
    note = callbacks(lambda due: log.append((env.now, due.name)))
    for delay_s, name in [(5, "a"), (2, "b"), (5, "c"), (0, "d"), (2, "e")]:
        env.due(delay_s, note).name = name

    def process():
        yield env.timeout(2)
        log.append((env.now, "process"))
        env.due(3, note).name = "f"  # at 5, after a and c

    env.process(process())
    run(env)
    return log


def test_run_dry_runs_events_as_simpys_run_does():
    expected = [(0, "d"), (2, "b"), (2, "e"), (2, "process"), (5, "a"), (5, "c"), (5, "f")]
    assert timeline(Kernel.run_dry) == expected
    assert timeline(simpy.Environment.run) == expected  # SimPy's loop through the kernel's step()


def test_dues_are_reused_once_fired():
    env = Kernel()
    made = set()
    for step in range(5):
        made.add(id(env.after(1, lambda event: None)))
        env.run_dry()
    assert len(made) == 1 and len(env.spare) == 1


def test_a_deferred_event_runs_where_its_due_would_have():
    # a at 10 (eid 0), the deferred d at 10 (eid 1), b at 10 (eid 2): d comes after a, before b
    env = Kernel()
    heap, released, log = [], [], []
    env.due(10, callbacks(lambda due: (env.release_deferred([(heap, released)], due.eid),
                                       log.append(("a", list(released))))))
    env.defer(heap, 10, "d")
    env.due(10, callbacks(lambda due: (env.release_deferred([(heap, released)], due.eid),
                                       log.append(("b", list(released))))))
    env.run_dry()
    assert log == [("a", []), ("b", ["d"])] and heap == []
    # woken instead, it becomes that very due: it runs between a and b
    env = Kernel()
    heap, log = [], []
    env.due(10, callbacks(lambda due: log.append("a")))
    env.defer(heap, 10, "d")
    env.due(10, callbacks(lambda due: log.append("b")))
    env.wake(heap, {"d": callbacks(lambda due: log.append("d"))})
    env.run_dry()
    assert log == ["a", "d", "b"] and heap == []


@pytest.mark.parametrize("shortcut", [True, False])
def test_moments_start_in_order_and_interleave_with_other_dues_as_a_chain_of_dues_would(shortcut):
    # moments at 1, 3, 3 (a tie: both start together), 4 and 4 - 1e-12 rounding aside; a due
    # made at time 0 for 3 comes before the moment at 3, whose due is made at 1
    env = Kernel()
    log = []
    env.due(3, callbacks(lambda due: log.append(("due", env.now))))
    times = [1.0, 3.0, 3.0, 4.0]
    Moments(env, times, len(times), lambda i, now: log.append((i, now)), shortcut=shortcut).begin()
    env.run_dry()
    assert log == [(0, 1.0), ("due", 3.0), (1, 3.0), (2, 3.0), (3, 4.0)]


def test_moments_that_are_the_next_event_need_no_due():
    counted = {}
    for shortcut in (True, False):
        env = Kernel()
        started = []
        times = [float(t) for t in range(1, 11)]
        Moments(env, times, len(times), lambda i, now: started.append(now), shortcut=shortcut).begin()
        steps = 0
        while env._queue:  # noqa: SLF001 (counting events in a test)
            env.step()
            steps += 1
        assert started == times
        counted[shortcut] = steps
    # with nothing else scheduled every moment is the next event: all start without a due
    assert counted == {True: 0, False: 10}


def test_due_has_the_key_simpy_would_give_it():
    env = Kernel()
    due = env.due(4.5, callbacks(lambda event: None))
    assert isinstance(due, Due) and isinstance(due, simpy.events.Timeout)
    assert env._queue == [(4.5, simpy.events.NORMAL, due.eid, due)]  # noqa: SLF001
    assert env.timeout(1) is not None and next(env._eid) == due.eid + 2  # noqa: SLF001


def test_reading_results_does_not_load_simpy():
    # the records live apart from the engine: KPIs, runs' results, plots, the trace and the call
    # log read them without SimPy; the engine itself does load it (the power check)
    import subprocess
    import sys

    from conftest import REPO

    def loads_simpy(modules: str) -> bool:
        code = f"import sys, {modules}; print('simpy' in sys.modules)"
        out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
        return out.stdout.strip() == "True"

    assert not loads_simpy("simulator.records, simulator.kpis, simulator.run, presentation.trace, "
                           "presentation.calls_csv, presentation.run_plots")
    assert loads_simpy("simulator.engine")
