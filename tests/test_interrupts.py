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
