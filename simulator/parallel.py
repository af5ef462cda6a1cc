"""Independent jobs run in worker processes, results in job order, Ctrl-C handled cleanly.

`ordered_map(function, jobs, workers, on_done)` is `[function(job) for job in jobs]`, run in
`workers` processes. Results come back in job order whichever worker finished first, so any
number of workers gives identical results (each replication carries its own random streams).

Ctrl-C: in a terminal SIGINT goes to every process of the foreground group, workers included.
Workers ignore it (set when each worker starts), so none of them prints a traceback or breaks
the pool; the parent gets the KeyboardInterrupt, drops the jobs not yet started, terminates the
workers (never waits for a running replication, so a second Ctrl-C finds nothing to hang on)
and re-raises. A Ctrl-C while the pool submits, cancels or shuts down is held until that is
done (`_interrupts_deferred`): raised inside the pool's locking it could leave a lock taken
and hang the exit. The command line turns that into
one line on stderr and exit code 130; nothing has been written by then, because results are
rendered in memory and written atomically only after every job is done.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from concurrent.futures import Executor, InvalidStateError, ProcessPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

J = TypeVar("J")
R = TypeVar("R")


class Terminated(KeyboardInterrupt):
    """SIGTERM (what `kill`, `timeout` and a cancelled CI job send), handled as Ctrl-C is: the
    workers are stopped and nothing is written; the command line exits with 143."""


_terminated = threading.Event()


def _raise_terminated(signum, frame) -> None:
    _terminated.set()
    raise Terminated


def was_terminated() -> bool:
    """Whether SIGTERM arrived during the current `sigterm_as_interrupt` block."""
    return _terminated.is_set()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises `Terminated` (a KeyboardInterrupt) in the main thread during the block,
    so every clean-up written for Ctrl-C (workers stopped, nothing written) runs for it too."""
    _terminated.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _ignore_interrupts() -> None:
    """In each worker: Ctrl-C is the parent's to handle; SIGTERM (the parent ending a worker)
    ends it at once, whatever handler the parent had when the worker was forked."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """A Ctrl-C (or SIGTERM) during the block is raised when the block is done. The pool's own
    bookkeeping (submitting, cancelling, shutting down) takes locks its manager thread also
    takes; a KeyboardInterrupt raised between taking such a lock and the code that releases it
    leaves it taken, and the exit then waits for that thread forever (seen: a Ctrl-C while a
    sweep was submitting thousands of replications)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals
        return
    pressed: list[int] = []

    def note(signum, frame) -> None:
        pressed.append(signum)
        if signum == signal.SIGTERM:
            # noted at once: if the block ends in an error instead (a worker ended by the same
            # SIGTERM breaks the pool), the command line must still know it was terminated
            _terminated.set()

    previous = {number: signal.signal(number, note) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if signal.SIGTERM in pressed:
        _terminated.set()
        raise Terminated
    if pressed:
        raise KeyboardInterrupt


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` processes that ignore Ctrl-C (the parent handles it)."""
    # from the start, not only on Ctrl-C: a SIGTERM to the whole group ends the workers too, and
    # the manager thread then trips over the jobs the parent cancels in the same way
    _quiet_manager_thread()
    return ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupts)


@contextlib.contextmanager
def executor_for(workers: int = 1, scheduler: str | None = None) -> Iterator[Executor | None]:
    """One pool for a whole command (every sweep point, compared scenario, plan iteration),
    or None for one worker (everything runs in this process). Closed on the way out; on an
    error, jobs not started are cancelled and running ones finish; on Ctrl-C the workers are
    ended at once (`stop_now`).

    With `scheduler` (a Dask scheduler address, or `local:N`) the jobs run as Dask tasks on
    that cluster instead (`simulator.dask_executor`) and `workers` is not used."""
    if scheduler:
        from .dask_executor import dask_executor  # dask is an optional extra: loaded only when asked for

        with dask_executor(scheduler) as executor:
            yield executor
        return
    if workers <= 1:
        yield None
        return
    pool = process_pool(workers)
    try:
        yield pool
    except KeyboardInterrupt:
        with _interrupts_deferred():  # a second Ctrl-C must not break the ending off
            stop_now(pool)
        raise
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def stop_now(pool: ProcessPoolExecutor) -> None:
    """Ctrl-C: drop every job and end the workers at once. Waiting for the running jobs (a
    replication can take minutes) is what made a second Ctrl-C hang, so the workers are
    terminated, not joined; nothing has been written yet (results are written at the end)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
        return
    _quiet_manager_thread()
    # 3.11-3.13 have no public way; the processes must be taken before shutdown() forgets them
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()


def _quiet_manager_thread() -> None:
    """Python 3.11-3.13: when the workers are ended, the pool's manager thread marks every job
    it still holds as failed, including those the parent has just cancelled; setting a result on
    a cancelled future raises InvalidStateError in that thread, which printed a 12-line traceback
    after a Ctrl-C (5 times in 17). The thread has nothing left to do: that error is dropped,
    any other exception of any thread is reported as before."""
    if getattr(threading.excepthook, "_callsim_quiet", False):
        return
    previous = threading.excepthook

    def hook(args) -> None:
        if args.exc_type is InvalidStateError and type(args.thread).__name__ == "_ExecutorManagerThread":
            return
        previous(args)

    hook._callsim_quiet = True
    threading.excepthook = hook


def ordered_map(function: Callable[[J], R], jobs: Iterable[J], workers: int = 1,
                on_done: Callable[[int, int], None] | None = None, executor: Executor | None = None) -> list[R]:
    """`[function(job) for job in jobs]`, results in job order; `on_done(done, total)` after
    each result. On `executor` (any concurrent.futures.Executor: a process pool, a thread pool,
    a Dask client's) when one is given, which stays open for the caller's next map; else in up
    to `workers` processes of a pool made for this call. `function` must be picklable (a
    module-level function) for a process pool."""
    jobs = list(jobs)
    total = len(jobs)
    results: list[R] = []
    if executor is None and (workers <= 1 or total <= 1):
        for job in jobs:
            results.append(function(job))
            if on_done:
                on_done(len(results), total)
        return results
    if executor is None:
        with executor_for(min(workers, total)) as pool:
            return ordered_map(function, jobs, on_done=on_done, executor=pool)
    futures: list = []
    try:
        with _interrupts_deferred():
            futures.extend(executor.submit(function, job) for job in jobs)
        for future in futures:
            results.append(future.result())
            if on_done:
                on_done(len(results), total)
    except BaseException:
        with _interrupts_deferred():
            for future in futures:  # a reused executor stays open: drop this map's jobs not yet started
                future.cancel()
        raise
    return results
