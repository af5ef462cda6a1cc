"""Independent jobs run in worker processes, results in job order, Ctrl-C handled cleanly.

`ordered_map(function, jobs, workers, on_done)` is `[function(job) for job in jobs]`, run in
`workers` processes. Results come back in job order whichever worker finished first, so any
number of workers gives identical results (each replication carries its own random streams).

Ctrl-C: in a terminal SIGINT goes to every process of the foreground group, workers included.
Workers ignore it (set when each worker starts), so none of them prints a traceback or breaks
the pool; the parent gets the KeyboardInterrupt, drops the jobs not yet started, waits for the
ones running (at most one replication each) and re-raises. The command line turns that into
one line on stderr and exit code 130; nothing has been written by then, because results are
rendered in memory and written atomically only after every job is done.
"""
from __future__ import annotations

import signal
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, TypeVar

J = TypeVar("J")
R = TypeVar("R")


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def ordered_map(function: Callable[[J], R], jobs: Iterable[J], workers: int = 1,
                on_done: Callable[[int, int], None] | None = None) -> list[R]:
    """`[function(job) for job in jobs]` in up to `workers` processes; `on_done(done, total)`
    after each result (in order). `function` must be picklable (a module-level function)."""
    jobs = list(jobs)
    total = len(jobs)
    results: list[R] = []
    if workers <= 1 or total <= 1:
        for job in jobs:
            results.append(function(job))
            if on_done:
                on_done(len(results), total)
        return results
    pool = ProcessPoolExecutor(max_workers=min(workers, total), initializer=_ignore_interrupts)
    try:
        futures = [pool.submit(function, job) for job in jobs]
        for future in futures:
            results.append(future.result())
            if on_done:
                on_done(len(results), total)
    except BaseException:
        # Ctrl-C or a failed job: jobs not started are cancelled, running ones finish
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results
