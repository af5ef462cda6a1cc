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
    ("utility_outage", 20261123): "9bd575d3c3b4b9d8738bb944b74370b74b449599a67711af5a4d033ab0344239",
    ("utility_outage", 1): "5be3a81f56e7fba0f5d262bbfed4d794036ed8ad95ca9716fbfb1411355d0361",
    ("callback_peak_on", 20261123): "4f0aaa863aa029b4d4916870c19fabbfd78a732b905b65ef9d355b38e6df2b10",
    ("callback_peak_on", 1): "c8e7a83a2c56240348741e392532c1b71e83284db7e55b9fa5d3756fd7754f76",
    ("large_centre", 20261123): "3d951769a510fe3e1aa5f4e080549d81d1fac1cbd035664aaadc140f76161046",
    ("large_centre", 1): "74da5e069d18f84641d2ff77aafd56f007e9698ed0ac87d43be4152dd39e824f",
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
