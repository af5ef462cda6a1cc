"""Random streams: one numpy Generator per source of randomness, never a global RNG.

Each stream is derived from the root seed, the replication index and a fixed stream id with
`SeedSequence(seed, spawn_key=(replication, stream))`. A replication's numbers therefore do
not depend on which process runs it or in what order, and adding a new source of randomness
(a new stream id) leaves every existing stream untouched. Stream ids are never renumbered.
"""
from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    ARRIVALS = 0
    BUSYNESS = 1
    ROUTING = 2
    TALK = 3
    ACW = 4
    PATIENCE = 5
    BALK = 6
    # ids 7 and up are reserved for the IVR, callbacks and redials.


def generator(seed: int, replication: int, stream: Stream) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, int(stream))))
