"""Replications on a Dask cluster, through the same `concurrent.futures.Executor` seam as the
process pool.

`dask_executor(address)` connects a `distributed.Client` to the scheduler at `address`
(`tcp://host:8786`, or `host:port`), or, for `local:N`, first starts a `LocalCluster` of N
single-threaded worker processes listening on 127.0.0.1 only, and yields
`client.get_executor(pure=False)`. `simulator.parallel.ordered_map` submits one task per job on
it and gathers the results in job order, as it does on a process pool, so the numbers are the
same as a local run with the same seed: replication r draws from the streams of (seed, r)
whichever worker runs it.

What travels: a task is `_replication_kpis((scenario, seed, r, keep_records, sample_day))`, the validated
`Scenario` (a frozen pydantic model) and three small values, pickled; the engine is built on
the worker. What comes back is the `_ReplicationOutput`: the KPI arrays (and the per-queue /
per-group breakdown); replication 0 also brings its call records back for the plots
(docs/scale-out.md gives the bytes).

Workers import callsim from their own install; on connecting, every worker's `simulator/`
source is checked against this one's (a hash), so a worker with other code is a `UserError`,
not a silently different result.

Failures: a worker that dies mid-task is noticed by the scheduler, which runs its tasks again
on another worker (Dask's `distributed.scheduler.allowed-failures`, 3 by default, before a task
is declared lost); the rerun draws the same streams, so the result is unchanged. A scheduler
that does not answer within `CONNECT_TIMEOUT_S` is a `UserError` naming the address (exit 2,
before anything is simulated or written). On Ctrl-C `ordered_map` cancels the futures it
submitted, which cancels the tasks on the cluster.

Dask is an optional extra (`pip install -e '.[dask]'`): it is imported only here, and only
when a scheduler is asked for.
"""
from __future__ import annotations

import contextlib
import logging
from concurrent.futures import Executor
from typing import Iterator

from .errors import UserError

CONNECT_TIMEOUT_S = 10.0
LOCAL_PREFIX = "local:"
MAX_LOCAL_WORKERS = 256


class SchedulerError(UserError):
    """The scheduler address is malformed or nothing answers there."""


def local_workers(address: str) -> int | None:
    """N for `local:N`, None for the address of a running scheduler."""
    if not address.startswith(LOCAL_PREFIX):
        return None
    text = address[len(LOCAL_PREFIX):]
    if not text.isdigit() or not 1 <= int(text) <= MAX_LOCAL_WORKERS:
        raise SchedulerError(f"--scheduler {address}: local:N needs a whole number of worker processes N from 1 to "
                             f"{MAX_LOCAL_WORKERS}, e.g. local:2")
    return int(text)


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise SchedulerError("--scheduler needs Dask, which is not installed: pip install -e '.[dask]' "
                             "(or pip install 'dask[distributed]')") from None
    return distributed


@contextlib.contextmanager
def dask_executor(address: str, timeout_s: float | None = None) -> Iterator[Executor]:
    """An executor whose tasks run on the Dask cluster at `address` (or on a LocalCluster of N
    processes on 127.0.0.1 for `local:N`), for a whole command; closed on the way out."""
    address = address.strip()
    if not address:
        raise SchedulerError("--scheduler is empty: give a scheduler address such as tcp://10.0.0.5:8786, or local:2")
    n_local = local_workers(address)
    distributed = _import_distributed()
    timeout_s = CONNECT_TIMEOUT_S if timeout_s is None else timeout_s
    with contextlib.ExitStack() as stack:
        if n_local is not None:
            # one thread per process: a replication is pure Python (SimPy) and holds the GIL
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=n_local, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, silence_logs=logging.ERROR))
            target = cluster
        else:
            _probe_scheduler(distributed, address, timeout_s)
            target = address
        client = distributed.Client(target, timeout=f"{timeout_s}s", set_as_default=False)
        stack.enter_context(client)
        _check_workers_run_this_code(client, address)
        executor = client.get_executor(pure=False)  # every job is its own task, never deduplicated
        try:
            yield executor
        except BaseException:
            executor.shutdown(wait=False)  # Ctrl-C or an error: cancel what is still queued on the cluster
            raise


def _probe_scheduler(distributed, address: str, timeout_s: float) -> None:
    """Ask `address` who it is (Dask's `identity` message) before making a Client: a Client
    that fails to connect leaves a half-made object whose clean-up waits and prints a
    traceback at exit, and a port where something else answers (the dashboard on 8787, say)
    makes it fail in ways that name nothing. Here each case is one line naming the address."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def identity() -> object:
        arguments = distributed.security.Security().get_connection_args("client")  # TLS from Dask's config
        comm = await distributed.comm.connect(address, timeout=timeout_s, **arguments)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await asyncio.wait_for(comm.read(), timeout_s)
        finally:
            comm.abort()

    fix = (f"start one with 'dask scheduler' and its workers with 'dask worker {address}', or check the address "
           "(also read from CALLSIM_SCHEDULER)")
    with ThreadPoolExecutor(1) as thread:  # a loop of its own, even when the caller runs one (a notebook)
        try:
            reply = thread.submit(asyncio.run, identity()).result()
        except ValueError as exc:  # not an address: unknown scheme, no port, ...
            raise SchedulerError(f"--scheduler {address}: not a scheduler address ({_first_line(exc)}); give "
                                 "tcp://HOST:PORT (8786 by default), or local:N") from None
        except (OSError, TimeoutError, asyncio.TimeoutError) as exc:
            raise SchedulerError(f"--scheduler {address}: no Dask scheduler answered within {timeout_s:g} s "
                                 f"({_first_line(exc)}); {fix}") from None
        except Exception as exc:  # something answered, but not in Dask's protocol
            reply = exc
    if not (isinstance(reply, dict) and reply.get("type") == "Scheduler"):
        raise SchedulerError(f"--scheduler {address}: something answered there, but not a Dask scheduler (a "
                             "scheduler listens on port 8786 by default, its dashboard on 8787); " + fix)


def code_fingerprint() -> str:
    """A hash of the model's source (`simulator/*.py`): what a task runs on a worker."""
    import hashlib
    from pathlib import Path

    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _local_fingerprint() -> str:
    return code_fingerprint()


def _check_workers_run_this_code(client, address: str) -> None:
    """A task names `simulator.run._replication_kpis` and the worker imports it from its own
    install: a worker with another callsim (or none) would fail, or worse, compute with other
    code. Asked of the workers connected now (later ones are not checked)."""
    from . import dask_executor as this_module

    expected = _local_fingerprint()
    try:
        found = client.run(this_module.code_fingerprint)  # worker address -> its fingerprint
    except Exception as exc:  # Dask re-raises a worker's ImportError as a plain Exception carrying its text
        raise SchedulerError(f"--scheduler {address}: the Dask workers cannot run callsim's tasks "
                             f"({_first_line(exc)}); install this callsim on every worker "
                             "(pip install -e '.[dask]' in the same checkout)") from None
    different = sorted(worker for worker, fingerprint in found.items() if fingerprint != expected)
    if different:
        raise SchedulerError(f"--scheduler {address}: {len(different)} of {len(found)} Dask workers run a different "
                             f"callsim ({different[0]}, ...): install this same callsim on every worker "
                             "(pip install -e '.[dask]' in the same checkout) and restart them")


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:160] + "...") if len(text) > 160 else (text or type(exc).__name__)
