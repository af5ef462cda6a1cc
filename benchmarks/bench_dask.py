"""What a replication costs as a Dask task: bytes each way, per-task overhead on a LocalCluster,
and the projected wall time of 1,000 replications of large_centre on 1, 8 and 64 workers.

    python benchmarks/bench_dask.py [--workers 2] [--empty-tasks 200] [--real-tasks 6]

Needs the dask extra. Run by hand, never as a test; docs/scale-out.md quotes its output.

Measured:
- bytes sent per task: the pickle (protocol 5) of `(_replication_kpis, job)`, job = (the validated
  Scenario, seed, replication, keep_records, sample_day); bytes received: the pickle of the
  `_ReplicationOutput` (KPI arrays; replication 0 with and without its call records);
- t, the time of one large_centre replication in this process (no Dask);
- S, the time to start a LocalCluster of `--workers` processes on 127.0.0.1 and connect to it, and
  C, the time to connect one more client to that running scheduler;
- o, the per-task overhead: `--empty-tasks` tasks that ship a real large_centre job and send back
  as many bytes as a real replication's KPIs, but simulate nothing, mapped in order through
  `ordered_map` on the Dask executor: o = wall x workers / tasks (worker-seconds per task);
- a check with real tasks: `--real-tasks` large_centre replications on the cluster, against
  tasks x t / workers + tasks x o / workers.
"""
from __future__ import annotations

import argparse
import math
import pickle
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.dask_executor import dask_executor  # noqa: E402
from simulator.loading import load_scenario  # noqa: E402
from simulator.parallel import executor_for, ordered_map  # noqa: E402
from simulator.run import _replication_kpis, replication_jobs  # noqa: E402

SCENARIOS = ("help_desk", "large_centre")
PROJECTED_TASKS = 1000
PROJECTED_WORKERS = (1, 8, 64)


def _size(value) -> int:
    return len(pickle.dumps(value, protocol=5))


def _empty_task(job_and_reply):
    """Ship a real job, simulate nothing, send back a reply of a real task's size."""
    _job, reply_bytes = job_and_reply
    return bytes(reply_bytes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--empty-tasks", type=int, default=200)
    parser.add_argument("--real-tasks", type=int, default=6)
    args = parser.parse_args()

    print("bytes per task (pickle, protocol 5)")
    print(f"{'scenario':<14}{'sent':>8}{'back r=0 + records':>20}{'back r=0, no records':>22}{'back r>0':>10}{'calls':>9}")
    times_s = {}
    kpi_reply_bytes = {}
    for name in SCENARIOS:
        scenario = load_scenario(Path("scenarios") / f"{name}.yaml")
        with_day = replication_jobs(scenario, 1, 2, sample_day=True)
        without_day = replication_jobs(scenario, 1, 2, sample_day=False)
        started = time.perf_counter()
        first = _replication_kpis(with_day[0])
        t_first = time.perf_counter() - started
        started = time.perf_counter()
        second = _replication_kpis(with_day[1])
        t_second = time.perf_counter() - started
        bare = _replication_kpis(without_day[0])
        times_s[name] = (t_first + t_second) / 2
        kpi_reply_bytes[name] = _size(second)
        print(f"{name:<14}{_size((_replication_kpis, with_day[1])):>8}{_size(first):>20}{_size(bare):>22}"
              f"{_size(second):>10}{len(first.sample_day.records.outcome):>9}")
    big = load_scenario(Path("scenarios") / "large_centre.yaml")
    t = times_s["large_centre"]
    print(f"\nt, one large_centre replication in this process: {t:.2f} s (mean of 2)")

    started = time.perf_counter()
    with dask_executor(f"local:{args.workers}") as executor:
        client = executor._client  # only to wait for the workers before timing
        client.wait_for_workers(args.workers, timeout=120)
        start_s = time.perf_counter() - started
        job = replication_jobs(big, 1, 2, sample_day=False)[1]
        reply = kpi_reply_bytes["large_centre"]
        ordered_map(_empty_task, [(job, reply)] * 20, executor=executor)  # warm-up: imports, connections
        walls = []
        for _ in range(3):
            started = time.perf_counter()
            ordered_map(_empty_task, [(job, reply)] * args.empty_tasks, executor=executor)
            walls.append(time.perf_counter() - started)
        wall = statistics.median(walls)
        overhead_s = wall * args.workers / args.empty_tasks
        print(f"S, start a LocalCluster of {args.workers} and connect: {start_s:.2f} s")
        print(f"o, per-task overhead: {args.empty_tasks} empty tasks in {wall:.3f} s (median of 3: "
              f"{', '.join(f'{w:.3f}' for w in walls)}) on {args.workers} workers = {overhead_s * 1000:.1f} ms "
              f"worker-time per task ({args.empty_tasks / wall:.0f} tasks/s through the client)")

        from distributed import Client

        started = time.perf_counter()
        with Client(client.scheduler.address, set_as_default=False):
            connect_s = time.perf_counter() - started
        print(f"C, connect a client to a running scheduler: {connect_s:.2f} s")

        jobs = replication_jobs(big, 1, args.real_tasks, sample_day=False)
        started = time.perf_counter()
        on_dask = ordered_map(_replication_kpis, jobs, executor=executor)
        real_wall = time.perf_counter() - started
    # the same jobs on a process pool of as many workers, just after: what this (shared, busy)
    # machine gives two processes, without Dask; the difference is Dask's cost on real tasks
    with executor_for(args.workers) as pool:
        started = time.perf_counter()
        on_pool = ordered_map(_replication_kpis, jobs, executor=pool)
        pool_wall = time.perf_counter() - started
    same = all(all((a.kpis[k] == b.kpis[k]).all() for k in a.kpis) for a, b in zip(on_dask, on_pool))
    waves = math.ceil(args.real_tasks / args.workers)
    print(f"check: {args.real_tasks} large_centre replications on {args.workers} workers: Dask {real_wall:.1f} s, "
          f"process pool {pool_wall:.1f} s (KPIs identical: {same}); Dask's extra per task "
          f"{(real_wall - pool_wall) * args.workers / args.real_tasks * 1000:.0f} ms worker-time; "
          f"model tasks x (t + o) / workers = {args.real_tasks * (t + overhead_s) / args.workers:.1f} s "
          f"({waves} waves of t: {waves * t:.1f} s)")

    print(f"\nprojected wall time of {PROJECTED_TASKS} large_centre replications on a running cluster: "
          f"C + tasks x (t + o) / workers, t = {t:.2f} s, o = {overhead_s * 1000:.1f} ms, C = {connect_s:.2f} s "
          f"(local:N adds S - C = {start_s - connect_s:.1f} s to start its processes)")
    print(f"{'workers':>8}{'model':>12}{'in minutes':>12}{'of it Dask (C + tasks x o / workers)':>40}")
    for workers in PROJECTED_WORKERS:
        model_s = connect_s + PROJECTED_TASKS * (t + overhead_s) / workers
        dask_s = connect_s + PROJECTED_TASKS * overhead_s / workers
        print(f"{workers:>8}{model_s:>10.0f} s{model_s / 60:>12.1f}{dask_s:>38.1f} s")
    print(f"without Dask, one process: tasks x t = {PROJECTED_TASKS * t:.0f} s")


if __name__ == "__main__":
    main()
