"""Ctrl-C while the pool does its own bookkeeping is held until that is done (a KeyboardInterrupt
raised inside the pool's locking could leave a lock taken and hang the exit)."""
from __future__ import annotations

import os
import signal

import pytest

from simulator.parallel import _interrupts_deferred


@pytest.fixture(autouse=True)
def ctrl_c_raises():
    """Python's own Ctrl-C handler for each test, however the suite was started (a shell's
    background job inherits SIGINT ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_ctrl_c_inside_the_block_is_raised_after_it():
    reached_the_end = False
    with pytest.raises(KeyboardInterrupt):
        with _interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # plenty of bytecode boundaries where it would otherwise be raised
                pass
            reached_the_end = True
    assert reached_the_end
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the usual handler is back


def test_without_a_ctrl_c_nothing_is_raised_and_the_handler_is_restored():
    with _interrupts_deferred():
        pass
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_control_a_ctrl_c_outside_the_block_interrupts_at_once():
    reached_the_end = False
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):
            pass
        reached_the_end = True
    assert not reached_the_end


# --- the command line under SIGTERM and Ctrl-C, in its own process group ---------------------

import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from concurrent.futures import InvalidStateError  # noqa: E402

from helpers import HELP_DESK, REPO  # noqa: E402
from simulator.parallel import _quiet_manager_thread  # noqa: E402

LONG_SWEEP = ["sweep", str(HELP_DESK), "--agents", "8:16", "-r", "3000", "-w", "2", "-q", "--max-calls", "100000000"]


def _terminal_defaults() -> None:
    """Ctrl-C and SIGTERM as a terminal's child gets them, however the suite was started (a
    shell's background job inherits SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cli", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, preexec_fn=_terminal_defaults)


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _ended_cleanly(process: subprocess.Popen, signum: int, to_group: bool) -> tuple[int, str]:
    """Send `signum` to the parent (or its whole group); return (exit code, stderr) once it has
    exited, after checking that no process of its group is alive 2 s later."""
    started = time.monotonic()
    (os.killpg if to_group else os.kill)(process.pid, signum)
    try:
        _, stderr = process.communicate(timeout=30)
    finally:
        took = time.monotonic() - started
    time.sleep(2.0)
    alive = _group_alive(process.pid)
    if alive:
        os.killpg(process.pid, signal.SIGKILL)
    assert not alive, "a process of the command's group was still running 2 s after it exited"
    assert took < 10, took
    return process.returncode, stderr.decode()


@pytest.mark.parametrize("signum, to_group, code, words", [
    (signal.SIGTERM, False, 143, "stopped (SIGTERM)"),  # kill PID: only the parent is told
    (signal.SIGTERM, True, 143, "stopped (SIGTERM)"),  # timeout, a CI cancel: the whole group
    (signal.SIGINT, True, 130, "interrupted"),  # Ctrl-C in a terminal: the whole foreground group
])
def test_a_signal_stops_the_workers_and_writes_nothing(tmp_path, signum, to_group, code, words):
    out = tmp_path / "never"
    process = _start([*LONG_SWEEP, "-o", str(out)])
    time.sleep(3.0)  # imports done, replications running in both workers
    assert process.poll() is None, process.communicate()
    returncode, stderr = _ended_cleanly(process, signum, to_group)
    assert returncode == code, stderr
    assert stderr.strip().splitlines() == [f"callsim: {words}; nothing half-written was kept."], stderr
    assert not out.exists()


def test_the_control_a_command_left_alone_finishes_and_writes(tmp_path):
    """Negative control of the test above: the same kind of sweep, not signalled, writes its files."""
    out = tmp_path / "written"
    process = _start([*LONG_SWEEP[:5], "8:9", "-r", "4", "-w", "2", "-q", "--no-plots", "-o", str(out)])
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr.decode()
    assert (out / "sweep.json").exists()


def test_the_pool_manager_threads_invalid_state_error_is_dropped_and_nothing_else():
    """Python 3.11-3.13 fail a cancelled future in the pool's manager thread when the workers are
    ended (InvalidStateError, a 12-line traceback after Ctrl-C): that one error is dropped, any
    other error of any thread is still reported."""
    previous = threading.excepthook
    reported: list[str] = []
    try:
        threading.excepthook = lambda args: reported.append(f"{args.exc_type.__name__}: {args.exc_value}")
        _quiet_manager_thread()

        def fail(error):
            def run():
                raise error
            return run

        manager = type("_ExecutorManagerThread", (threading.Thread,), {})
        for thread in (manager(target=fail(InvalidStateError("CANCELLED"))),
                       threading.Thread(target=fail(InvalidStateError("mine"))),
                       manager(target=fail(ValueError("a bug")))):
            thread.start()
            thread.join()
    finally:
        threading.excepthook = previous
    assert reported == ["InvalidStateError: mine", "ValueError: a bug"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_sigterm_on_the_app_stops_the_streamlit_server(tmp_path):
    pytest.importorskip("streamlit")
    port = _free_port()
    process = _start(["app", "--no-browser", "--port", str(port)])
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read().strip() == b"ok":
                break
        except OSError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.3)
    returncode, stderr = _ended_cleanly(process, signal.SIGTERM, to_group=False)
    assert returncode == 143 and "Traceback" not in stderr, stderr
