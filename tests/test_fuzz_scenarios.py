"""Property-based fuzzing of scenario files: mutated shipped scenarios either run, with calls
conserved and every KPI in its range, or are refused with one line and exit code 2, nothing
written. Never a traceback, never a hang.

In CI the examples are derandomized (the 'ci' profile in conftest.py). A longer run by hand:
`python -m pytest tests/test_fuzz_scenarios.py --hypothesis-profile fuzz`.
"""
from __future__ import annotations

import copy
import json
import signal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import SHIPPED_SCENARIOS, run_cli
from simulator.kpi_table import KPI

# the 100,000-call day is left out: each example simulates its scenario twice
SOURCES = [p for p in SHIPPED_SCENARIOS if p.stem != "large_centre"]
SECONDS_PER_EXAMPLE = 60  # a hang fails the test instead of stopping the suite

weird_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-10**12, max_value=10**12),
    st.sampled_from([0, 1, -1, 1.5, 100, 1e308, -0.0, "", "x", "8:00", "5%", None, True, [], {}, [1, 2], {"a": 1},
                     "\u2028", "a\nb", 2**31, 2**63]),
    st.text(max_size=5),
)


def _leaves(node, path=()):
    """Every (path, value) in a parsed YAML document, containers included."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, path + (index,))


def _set(document, path, value):
    node = document
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _delete(document, path):
    node = document
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]


@st.composite
def mutated_scenarios(draw):
    source = draw(st.sampled_from(SOURCES))
    document = yaml.safe_load(source.read_text())
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        places = [(p, v) for p, v in _leaves(document) if p]
        path, value = draw(st.sampled_from(places))
        action = draw(st.sampled_from(["replace", "replace", "replace", "scale", "delete", "add_key", "grow"]))
        if action == "replace":
            _set(document, path, copy.deepcopy(draw(weird_values)))  # [] and {} are shared constants
        elif action == "scale" and isinstance(value, (int, float)) and not isinstance(value, bool):
            _set(document, path, value * draw(st.sampled_from([0, -1, 0.5, 2, 10, 1e6])))
        elif action == "delete":
            _delete(document, path)
        elif action == "add_key" and isinstance(value, dict):
            value[draw(st.sampled_from(["extra", "mean", "cv", "dist", "name", "serves"]))] = copy.deepcopy(draw(weird_values))
        elif action == "grow" and isinstance(value, list) and value:
            value.append(copy.deepcopy(value[-1]))
    return source.stem, yaml.safe_dump(document, allow_unicode=True)


def _alarm(signum, frame):
    raise TimeoutError(f"an example ran past {SECONDS_PER_EXAMPLE} s")


# a few hundred examples in the suite; the 'fuzz' profile's count when it is larger
EXAMPLES = max(300, settings.default.max_examples)


def test_a_mutated_scenario_runs_correctly_or_is_refused_in_one_line(tmp_path_factory, capsys):
    outcomes: dict[int, int] = {}  # exit code -> examples

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.data_too_large])
    @given(case=mutated_scenarios())
    def one_file(case):
        stem, text = case
        folder = tmp_path_factory.mktemp(stem)
        path = folder / f"{stem}.yaml"
        path.write_text(text)
        out = folder / "out"
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(SECONDS_PER_EXAMPLE)
        try:
            code, stdout, stderr = run_cli(capsys, "run", path, "-r", "2", "-w", "1", "-q", "--no-plots",
                                           "--max-calls", "60000", "-o", out)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        outcomes[code] = outcomes.get(code, 0) + 1
        assert "Traceback" not in stderr and "internal error" not in stderr, (text, stderr)
        if code == 2:
            assert stdout == "" and len(stderr.strip().splitlines()) == 1, (text, stderr)
            assert not out.exists(), text
            return
        assert code == 0, (code, stderr, text)
        document = json.loads((out / "kpis.json").read_text())  # conservation is checked in every replication
        for row in [document["day"], *document["intervals"]]:
            for name, estimate in row.items():
                if name == "interval" or estimate["mean"] is None:
                    continue
                low, high = KPI[name].bounds
                assert low <= estimate["mean"] <= high, (name, estimate, text)

    one_file()
    # power: the mutations produce runs as well as refusals, so both halves of the promise are tested
    assert outcomes.get(0, 0) >= EXAMPLES // 10 and outcomes.get(2, 0) >= EXAMPLES // 10, outcomes
