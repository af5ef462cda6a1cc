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
    IVR = 7  # menu choices, prompt and self-service durations, misroutes
    CALLBACK = 8  # acceptance of a callback offer, scheduled delay
    RESOLUTION = 9  # whether an answered call resolves the issue (first-contact resolution)
    REDIAL = 10  # whether an abandoner calls again, and the delays before redials / repeat calls
    RETURN_CALLS = 11  # every attribute of redials and repeat calls, drawn in batches
    CALLBACK_ATTEMPTS = 12  # dial times and whether the caller answers, per callback attempt
    PRIORITY = 13  # which priority class of its queue a caller belongs to
    INTENT = 14  # with intents: each caller's intent, and the uniform of a misroute's transfer time
    IVR_VISITS = 15  # with intents: sub-stream k = the menu decisions of every caller's k-th prompt
    SELF_SERVICE = 16  # with intents: sub-stream j = duration and success of every caller's j-th self-service task
    AGENT_CHOICE = 17  # routing `random`: which idle agent answers a call that finds several groups free
    INITIAL_STATE = 18  # a day started from a state: its callers' attributes, their patience, busy agents' times


def generator_at(seed: int, replication: int, *key: int) -> np.random.Generator:
    """A generator for a sub-stream (e.g. batch b of RETURN_CALLS, stream s)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, *key)))


def generator(seed: int, replication: int, stream: Stream) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, int(stream))))
