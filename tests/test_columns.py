"""The per-call column table is the one declaration the callers, the engine and the records follow."""
from __future__ import annotations

import dataclasses
import pickle

import numpy as np

from simulator import Callers, load_scenario
from simulator.callers import draw_callers
from simulator.columns import COLUMNS, DRAWN, RECORDED
from simulator.engine import _CallCentre, simulate_replication
from simulator.kernel import Kernel
from simulator.records import CallRecords
from tests.helpers import SCENARIO_DIR


def test_records_have_exactly_the_recorded_columns_in_table_order_with_their_types():
    result = simulate_replication(load_scenario(SCENARIO_DIR / "utility_outage.yaml"), 3, 0)
    records = result.records
    assert [f.name for f in dataclasses.fields(CallRecords)] == [c.record_as for c in RECORDED]
    for column in RECORDED:
        values = getattr(records, column.record_as)
        assert values.dtype == column.dtype, column.record_as
        assert len(values) == len(records)
    # records travel back from worker processes
    again = pickle.loads(pickle.dumps(records))
    assert all(np.array_equal(getattr(again, c.record_as), getattr(records, c.record_as), equal_nan=True)
               for c in RECORDED)


def test_callers_have_the_drawn_columns_and_optional_features_default_to_none():
    names = [f.name for f in dataclasses.fields(Callers)]
    required = [c.drawn_as for c in DRAWN if c.feature is None]
    optional = [c.drawn_as for c in DRAWN if c.feature is not None and not c.drawn_as.startswith("ivr.")]
    assert names == required + ["busyness", "ivr"] + optional
    minimal = Callers(**{name: np.zeros(1) for name in required})
    assert minimal.busyness == 1.0 and minimal.ivr is None
    assert all(getattr(minimal, name) is None for name in optional)


def test_engine_makes_one_working_array_per_used_column_redials_included():
    scenario = load_scenario(SCENARIO_DIR / "utility_outage.yaml")  # IVR and return calls, no callbacks
    callers = draw_callers(scenario, 3, 0)
    env = Kernel()
    centre = _CallCentre(env, scenario, callers, 3, 0)
    centre.start()
    env.run_dry()
    n = len(centre.arrived)
    assert n > len(callers)  # redials and repeat calls were appended
    for column in COLUMNS:
        if column.engine is None:
            continue
        used = column.feature in (None, "ivr", "returns")
        assert hasattr(centre, column.engine) == used, column.engine
        if used:
            values = getattr(centre, column.engine)
            assert values.typecode == column.code and len(values) == n, column.engine
