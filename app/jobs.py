"""Simulations off the UI thread: one background thread per job, progress as replications
finish, cancellable, and kept per input so that asking the same question again is instant.

Streamlit reruns the page script on every widget change; a simulation started from the script
would freeze the page until it ends. A `Job` runs `simulator.run.run_scenario` (or any function
taking an `on_replication_done(done, total)` callback) in a daemon thread; the page polls
`job.progress` and shows `job.result` or `job.error` when it is done. Cancelling sets a flag
the progress callback checks after each replication: the run stops at the next replication
boundary (at most one replication's time later) by raising `Cancelled` inside it.

`Jobs` is a small cache keyed by the question asked (the scenario's JSON, replications,
seed): the same key gives the same job, running or done. The numbers do not depend on
timing: each replication has its own random streams, so a job's result equals `callsim run`'s
for the same scenario, seed and replications.
"""
from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

from simulator.errors import UserError


_STARTED: "weakref.WeakSet[Job]" = None  # every job started in this process (set below)


class Cancelled(Exception):
    """Raised inside a cancelled job's progress callback to stop the run."""


@dataclass(eq=False)  # a job is itself, not its fields: hashable by identity
class Job:
    """One background computation. `work(on_done)` does it; `on_done(done, total)` reports."""

    work: Callable[[Callable[[int, int], None]], Any]
    done: int = 0
    total: int = 0
    result: Any = None
    error: str | None = None  # one line for the user (a UserError), or the internal error's line
    cancelled: bool = False
    started_at: float = field(default_factory=time.perf_counter)
    first_progress_s: float | None = None  # seconds from start to the first finished replication
    finished_at: float | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> "Job":
        self._thread = threading.Thread(target=self._run, name="callsim-job", daemon=True)
        _STARTED.add(self)
        self._thread.start()
        return self

    def _progress(self, done: int, total: int) -> None:
        if self.first_progress_s is None:
            self.first_progress_s = time.perf_counter() - self.started_at
        self.done, self.total = done, total
        if self._cancel.is_set():
            raise Cancelled

    def _run(self) -> None:
        try:
            self.result = self.work(self._progress)
        except Cancelled:
            self.cancelled = True
        except UserError as exc:
            self.error = " ".join(str(exc).split())
        except Exception as exc:  # a bug: shown as one line in the page, the app keeps running
            self.error = (f"internal error ({type(exc).__name__}: {' '.join(str(exc).split())[:300]}); this is a bug "
                          "in callsim: please report it")
        finally:
            self.finished_at = time.perf_counter()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def running(self) -> bool:
        return self.finished_at is None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    @property
    def elapsed_s(self) -> float:
        return (self.finished_at or time.perf_counter()) - self.started_at

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the job ends (for tests and benchmarks); True if it ended."""
        if self._thread is not None:
            self._thread.join(timeout_s)
        return not self.running


_STARTED = weakref.WeakSet()


def stop_all(timeout_s: float = 60.0) -> None:
    """Cancel every running job and wait for it (tests call this before the interpreter exits,
    so no thread is cut off in the middle of a replication)."""
    running = [job for job in list(_STARTED) if job.running]
    for job in running:
        job.cancel()
    for job in running:
        job.wait(timeout_s)


class Jobs:
    """The jobs of one app process, by key; finished ones kept (the oldest dropped beyond
    `keep`), cancelled or failed ones dropped when asked again so the question can be re-run."""

    def __init__(self, keep: int = 24):
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self.keep = keep

    def get(self, key: str) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def start(self, key: str, work: Callable) -> Job:
        """The job for `key`: the running or finished one, else a new one started now."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and not job.cancelled and job.error is None:
                self._jobs.move_to_end(key)
                return job
            job = Job(work).start()
            self._jobs[key] = job
            while len(self._jobs) > self.keep:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].running:
                    break
                del self._jobs[oldest]
            return job


def simulation_key(scenario, *parts) -> str:
    """The question a simulation answers: the scenario's full content and the run's settings."""
    return scenario.model_dump_json() + "|" + "|".join(str(part) for part in parts)


def run_job(jobs: Jobs, scenario, replications: int, seed: int | None, keep_records: bool = False) -> Job:
    """Start (or find) the simulation of `scenario`; in this process's background thread, so the
    numbers equal `callsim run -w 1`'s (which equal any worker count's)."""
    from simulator.run import run_scenario

    key = simulation_key(scenario, replications, seed, keep_records)
    return jobs.start(key, lambda on_done: run_scenario(scenario, replications=replications, seed=seed,
                                                         on_replication_done=on_done, keep_records=keep_records))
