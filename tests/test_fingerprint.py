"""Golden fingerprints: same scenario, same seed, same day, to the bit.

The sha256 of everything one simulated day leaves (every call record, every busy span and
overtime span, the end of the run) for three shipped scenarios, two seeds each: IVR with
redials and repeat calls (utility_outage), keep-place callbacks (callback_peak_on), and a
100,000-call day on lazy agents and the arrival shortcut (large_centre).

CHANGING A FINGERPRINT NEEDS A LINE IN THE SAME COMMIT SAYING WHY (the rule whose numbers
changed on purpose, or the library release that draws differently). A refactoring of the engine
must leave them alone: they were computed before the engine became a kernel plus rules, and
held through it. They also move if numpy's random streams or SimPy's event order change: then
say which release did it.
"""
from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from simulator import load_scenario, simulate_replication
from tests.helpers import SCENARIO_DIR

GOLDEN = {
    ("utility_outage", 20261123): "82e50a3e2c4c15601af32683c1c105ae330a46c7133d63dced606df0310f5a1b",
    ("utility_outage", 1): "2081d16a1105f7eb027d5310295ad30b5d0fc490c7b0b04069bfd705c2f834d5",
    ("callback_peak_on", 20261123): "b57d8d8c42e7bb61c16d2147105e1c01132fda6ba301e3c68b2bf5de8ced909a",
    ("callback_peak_on", 1): "00b297bd25a08ab8d490387a47e0fb0ff954d1e2e5dd0e5d94c5c484259323be",
    ("large_centre", 20261123): "68e82e37c8eeb306ed8b08407e962804045079541b98488373f42678f0b67621",
    ("large_centre", 1): "862fc7bdc1d7b3ce3476439c4c433a038b56a19f7ba28522347e32ef646fee71",
}


def fingerprint(result) -> str:
    """sha256 of a ReplicationResult: each array with its name, dtype and length, then the times."""
    digest = hashlib.sha256()
    arrays = [(f.name, getattr(result.records, f.name)) for f in dataclasses.fields(result.records)]
    arrays += [(name, getattr(result, name)) for name in ("busy_group", "busy_start_s", "busy_end_s",
                                                          "overtime_group", "overtime_start_s", "overtime_end_s")]
    for name, values in arrays:
        digest.update(f"{name}:{values.dtype.str}:{len(values)};".encode())
        digest.update(values.tobytes())
    digest.update(repr((result.day_end_s, result.run_end_s, result.busyness)).encode())
    return digest.hexdigest()


@pytest.mark.parametrize(("name", "seed"), sorted(GOLDEN))
def test_the_day_is_the_same_to_the_bit(name, seed):
    result = simulate_replication(load_scenario(SCENARIO_DIR / f"{name}.yaml"), seed, 0)
    assert fingerprint(result) == GOLDEN[name, seed], (
        f"{name}, seed {seed}: the simulated day changed. If on purpose, update GOLDEN and say why in the "
        "same commit (see the module doc)")


def test_the_fingerprint_sees_a_one_ulp_change():
    # power check: the smallest change to one wait of one call changes the fingerprint
    result = simulate_replication(load_scenario(SCENARIO_DIR / "callback_peak_on.yaml"), 1, 0)
    wait = result.records.wait_s.copy()
    k = int(wait.argmax())
    wait[k] = np.nextafter(wait[k], np.inf)
    changed = dataclasses.replace(result, records=dataclasses.replace(result.records, wait_s=wait))
    assert fingerprint(result) == GOLDEN["callback_peak_on", 1] != fingerprint(changed)
