"""Replications as Dask tasks (`--scheduler`): the same bytes as a local run, a killed worker
changes nothing, an unreachable scheduler is one line and exit 2, Ctrl-C cancels the tasks.

Every cluster here is a LocalCluster on 127.0.0.1 (loopback only) with two single-threaded
worker processes. The tests need the `dask` extra, which the `test` extra includes (CI runs
them); without Dask they are skipped, except the one that checks the message saying so.
"""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import threading
import time

import pytest

from helpers import HELP_DESK, SCENARIO_DIR, assert_user_error, run_cli

HAVE_DASK = importlib.util.find_spec("distributed") is not None
needs_dask = pytest.mark.skipif(not HAVE_DASK, reason="dask is not installed (pip install -e '.[dask]')")
REPLICATIONS = 6  # small scenario, few replications: the tests stay fast


def _kpis_without_versions(folder) -> dict:
    document = json.loads((folder / "kpis.json").read_text())
    document.pop("versions", None)
    return document


@pytest.fixture(scope="module")
def local_kpis(tmp_path_factory):
    """kpis.json of help_desk run in this process (one worker): the reference."""
    from cli import main

    folder = tmp_path_factory.mktemp("local")
    assert main(["run", str(HELP_DESK), "-r", str(REPLICATIONS), "-s", "11", "-w", "1", "--no-plots", "-q",
                 "-o", str(folder)]) == 0
    return (folder / "kpis.json").read_bytes()


@pytest.fixture(scope="module")
def cluster():
    """One LocalCluster for the tests that connect by address (as to a real scheduler)."""
    import logging

    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                      silence_logs=logging.CRITICAL) as local_cluster, Client(local_cluster) as client:
        client.wait_for_workers(2, timeout=60)
        yield local_cluster, client


def _same_apart_from_versions(a: bytes, b: bytes) -> bool:
    first, second = json.loads(a), json.loads(b)
    first.pop("versions", None)
    second.pop("versions", None)
    return first == second


@needs_dask
def test_local_cluster_gives_byte_identical_kpis_json(local_kpis, tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", HELP_DESK, "-r", REPLICATIONS, "-s", 11, "--scheduler", "local:2",
                             "--no-plots", "-q", "-o", tmp_path)
    assert code == 0, err
    on_dask = (tmp_path / "kpis.json").read_bytes()
    # byte for byte apart from the version fields (the same interpreter here: all of it)
    local_doc, dask_doc = json.loads(local_kpis), json.loads(on_dask)
    assert set(local_doc["versions"]) == set(dask_doc["versions"])
    assert _same_apart_from_versions(local_kpis, on_dask)
    assert on_dask == local_kpis
    # a control: another seed must give different bytes, or the comparison proves nothing
    code, _, err = run_cli(capsys, "run", HELP_DESK, "-r", REPLICATIONS, "-s", 12, "-w", "1", "--no-plots", "-q",
                           "-o", tmp_path / "other")
    assert code == 0, err
    assert not _same_apart_from_versions((tmp_path / "other" / "kpis.json").read_bytes(), local_kpis)


def _killer(client, stop: threading.Event, killed: list):
    """Kill (SIGKILL) the first worker process seen running one of our replication tasks."""
    pids = client.run(os.getpid)  # worker address -> pid
    while not stop.is_set():
        for address, keys in client.processing().items():
            if any("_replication_kpis" in str(key) for key in keys) and address in pids:
                os.kill(pids[address], signal.SIGKILL)
                killed.append((address, pids[address], len(keys)))
                return
        time.sleep(0.005)


@needs_dask
def test_a_worker_killed_mid_run_still_gives_the_identical_result(cluster, local_kpis, tmp_path, capsys,
                                                                 monkeypatch):
    local_cluster, client = cluster
    # through the environment variable, to a scheduler given by address
    monkeypatch.setenv("CALLSIM_SCHEDULER", local_cluster.scheduler_address)
    stop, killed = threading.Event(), []
    killer = threading.Thread(target=_killer, args=(client, stop, killed), daemon=True)
    killer.start()
    try:
        code, out, err = run_cli(capsys, "run", HELP_DESK, "-r", REPLICATIONS, "-s", 11, "--no-plots", "-q",
                                 "-o", tmp_path)
    finally:
        stop.set()
        killer.join(timeout=10)
    assert code == 0, err
    assert killed, "no worker was killed while our tasks ran: the test proved nothing"
    address, pid, tasks_on_it = killed[0]
    assert tasks_on_it >= 1
    with pytest.raises(ProcessLookupError):  # the process really is gone; Dask reran its tasks elsewhere
        os.kill(pid, 0)
    assert (tmp_path / "kpis.json").read_bytes() == local_kpis
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker for the next test


@needs_dask
def test_compare_and_sweep_on_a_cluster_equal_their_local_runs(cluster, tmp_path, capsys):
    local_cluster, _ = cluster
    address = local_cluster.scheduler_address
    for command, name, extra in (
        ("compare", "comparison.json", [SCENARIO_DIR / "callback_peak_off.yaml", SCENARIO_DIR / "callback_peak_on.yaml"]),
        ("sweep", "sweep.json", [HELP_DESK, "--agents", "6:8"]),
    ):
        outputs = []
        for where in (["-w", "1"], ["--scheduler", address]):
            folder = tmp_path / f"{command}-{len(outputs)}"
            code, _, err = run_cli(capsys, command, *extra, "-r", 3, "-s", 5, "--no-plots", "-q", *where,
                                   "-o", folder)
            assert code == 0, err
            outputs.append(json.loads((folder / name).read_text()))
        for document in outputs:
            document.pop("versions", None)
        assert outputs[0] == outputs[1], command


@needs_dask
def test_ctrl_c_cancels_the_tasks_on_the_cluster(cluster):
    from simulator.dask_executor import dask_executor
    from simulator.parallel import ordered_map

    local_cluster, client = cluster

    def interrupt(done, total):
        raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with dask_executor(local_cluster.scheduler_address) as executor:
            # 40 tasks of 0.5 s on 2 workers would take 10 s; the interrupt comes after the first
            ordered_map(time.sleep, [0.5] * 40, on_done=interrupt, executor=executor)
    deadline = time.monotonic() + 5
    while client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)) == 0
    assert time.monotonic() - started < 8  # far less than the 10 s the tasks would take


@needs_dask
def test_unreachable_scheduler_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, monkeypatch):
    import simulator.dask_executor

    monkeypatch.setattr(simulator.dask_executor, "CONNECT_TIMEOUT_S", 1.0)
    address = "tcp://127.0.0.1:9"  # the discard port: nothing listens there
    out_dir = tmp_path / "out"
    code, out, err = run_cli(capsys, "run", HELP_DESK, "-r", 2, "--scheduler", address, "-o", out_dir)
    assert_user_error(code, out, err, address, "dask scheduler")
    assert not out_dir.exists()
    monkeypatch.setenv("CALLSIM_SCHEDULER", address)  # the same from the environment, on plan --verify
    code, out, err = run_cli(capsys, "plan", HELP_DESK, "--verify", "-r", 2, "-o", out_dir)
    assert_user_error(code, out, err, address)
    assert not out_dir.exists()


@pytest.mark.parametrize("address", ["local:0", "local:two", "local:"])
def test_a_malformed_local_cluster_is_one_line_exit_2(address, tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", HELP_DESK, "-r", 2, "--scheduler", address, "-o", tmp_path / "out")
    assert_user_error(code, out, err, address, "local:N")
    assert not (tmp_path / "out").exists()


def test_without_dask_the_scheduler_option_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now fails, as without the extra
    code, out, err = run_cli(capsys, "run", HELP_DESK, "-r", 2, "--scheduler", "local:2", "-o", tmp_path / "out")
    assert_user_error(code, out, err, "pip install -e '.[dask]'")
    assert not (tmp_path / "out").exists()


def test_a_task_ships_the_scenario_and_sends_back_only_kpis():
    """What travels: the validated scenario and four small values out (no engine); KPIs back,
    call records only when a sample day is asked for (replication 0, for the plots)."""
    import pickle

    from simulator.loading import load_scenario
    from simulator.run import _replication_kpis, replication_jobs

    large = load_scenario(SCENARIO_DIR / "large_centre.yaml")
    job = replication_jobs(large, 1, 1)[0]
    sent = pickle.dumps((_replication_kpis, job), protocol=5)
    assert len(sent) < 10_000  # about 2 kB: the scenario, not 100,000 callers or a SimPy environment
    assert pickle.loads(sent)[1] == (large, 1, 0, False, True)

    help_desk = load_scenario(HELP_DESK)
    bare = _replication_kpis(replication_jobs(help_desk, 1, 1, sample_day=False)[0])
    with_day = _replication_kpis(replication_jobs(help_desk, 1, 1, sample_day=True)[0])
    assert bare.sample_day is None and with_day.sample_day is not None  # the control: records when asked
    assert len(pickle.dumps(bare, protocol=5)) < 10_000 < len(pickle.dumps(with_day, protocol=5))
    assert all((bare.kpis[k] == with_day.kpis[k]).all() for k in bare.kpis)  # the same KPIs either way


@needs_dask
def test_workers_with_other_callsim_code_are_refused(cluster, tmp_path, capsys, monkeypatch):
    """A worker imports callsim from its own install: if its simulator/ differs from ours, the
    command stops before simulating (one line, exit 2) instead of computing with other code."""
    import simulator.dask_executor

    local_cluster, _ = cluster
    monkeypatch.setattr(simulator.dask_executor, "_local_fingerprint", lambda: "not-the-workers-code")
    code, out, err = run_cli(capsys, "run", HELP_DESK, "-r", 2, "--scheduler", local_cluster.scheduler_address,
                             "-o", tmp_path / "out")
    assert_user_error(code, out, err, local_cluster.scheduler_address, "different callsim")
    assert not (tmp_path / "out").exists()


@needs_dask
def test_something_else_at_the_address_is_one_line_exit_2(tmp_path, capsys):
    """A port where another service answers (a web server, the Dask dashboard) or an address
    that is not one: one line naming the address, exit 2, nothing written."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def answer_like_a_web_server():
        connection, _ = server.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" * 4)
        connection.close()

    thread = threading.Thread(target=answer_like_a_web_server, daemon=True)
    thread.start()
    try:
        address = f"tcp://127.0.0.1:{port}"
        code, out, err = run_cli(capsys, "run", HELP_DESK, "-r", 2, "--scheduler", address, "-o", tmp_path / "out")
        assert_user_error(code, out, err, address, "not a Dask scheduler")
    finally:
        server.close()
    for address, words in (("nonsense://x", "not a scheduler address"), ("tcp://127.0.0.1", "missing port")):
        code, out, err = run_cli(capsys, "run", HELP_DESK, "-r", 2, "--scheduler", address, "-o", tmp_path / "out")
        assert_user_error(code, out, err, address, words)
    assert not (tmp_path / "out").exists()
