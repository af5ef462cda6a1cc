"""Property-based fuzzing of scenario files: mutated shipped scenarios either run, with calls
conserved and every KPI in its range, or are refused with one line and exit code 2, nothing
written. Never a traceback, never a hang.

In CI the examples are derandomized (the 'ci' profile in conftest.py). A longer run by hand:
`python -m pytest tests/test_fuzz_scenarios.py --hypothesis-profile fuzz`.
"""
from __future__ import annotations

import contextlib
import copy
import json
import os
import signal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from helpers import HELP_DESK, SHIPPED_SCENARIOS, run_cli
from simulator.kpi_table import KPI

# the 100,000-call day is left out: each example simulates its scenario twice
SOURCES = [p for p in SHIPPED_SCENARIOS if p.stem != "large_centre"]
SECONDS_PER_EXAMPLE = 60  # a hang fails the test instead of stopping the suite

# numbers at the edges of float: the smallest subnormal and normal, the largest, and the tiny
# CVs that overflowed a gamma's shape to NaN talk times
FLOAT_EDGES = [5e-324, 2.2250738585072014e-308, 1e-300, 1e-170, 1e-160, 1e-100, 1.7976931348623157e308, -5e-324,
               -1.7976931348623157e308, 10**400, -(10**400)]

weird_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-10**12, max_value=10**12),
    st.sampled_from([0, 1, -1, 1.5, 100, 1e308, -0.0, "", "x", "8:00", "5%", None, True, [], {}, [1, 2], {"a": 1},
                     "\u2028", "a\nb", 2**31, 2**63, *FLOAT_EDGES]),
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
        action = draw(st.sampled_from(["replace", "replace", "replace", "scale", "delete", "add_key", "grow", "edge",
                                       "flood"]))
        if action == "replace":
            _set(document, path, copy.deepcopy(draw(weird_values)))  # [] and {} are shared constants
        # a 400-digit integer an earlier "replace" put there cannot be scaled by a float (OverflowError)
        elif action == "scale" and isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e300:
            _set(document, path, value * draw(st.sampled_from([0, -1, 0.5, 2, 10, 1e6])))
        elif action == "delete":
            _delete(document, path)
        elif action == "add_key" and isinstance(value, dict):
            value[draw(st.sampled_from(["extra", "mean", "cv", "dist", "name", "serves"]))] = copy.deepcopy(draw(weird_values))
        elif action == "grow" and isinstance(value, list) and value:
            value.append(copy.deepcopy(value[-1]))
        elif action == "edge" and isinstance(value, (int, float)) and not isinstance(value, bool):
            _set(document, path, draw(st.sampled_from(FLOAT_EDGES)))
        elif action == "flood" and isinstance(value, list):
            # a huge list of wrong-typed (or right-typed) items: refused in constant time per item
            item = draw(st.sampled_from([0, "x", None, [], 1.5, True]))
            _set(document, path, [item] * draw(st.sampled_from([1_000, 20_000, 120_000])))
    return source.stem, yaml.safe_dump(document, allow_unicode=True)


def _alarm(signum, frame):
    raise TimeoutError("an example ran past its time limit")


@contextlib.contextmanager
def _time_limit(seconds: int = SECONDS_PER_EXAMPLE):
    """A hang fails the example (TimeoutError) instead of stopping the suite."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


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
        with _time_limit():
            code, stdout, stderr = run_cli(capsys, "run", path, "-r", "2", "-w", "1", "-q", "--no-plots",
                                           "--max-calls", "60000", "-o", out)
        outcomes[code] = outcomes.get(code, 0) + 1
        _assert_run_or_refusal(code, stdout, stderr, out, text)  # conservation is checked in every replication

    one_file()
    # power: the mutations produce runs as well as refusals, so both halves of the promise are tested
    assert outcomes.get(0, 0) >= EXAMPLES // 10 and outcomes.get(2, 0) >= EXAMPLES // 10, outcomes


def _assert_run_or_refusal(code: int, stdout: str, stderr: str, out: Path, context) -> None:
    """The promise for any input: exit 2 with one line and nothing written, or exit 0 with every
    KPI written in its range, or exit 3 for optimize's "not converged" (its own code, its files written: a
    search stopped at --max-iterations); never exit 1, never a traceback."""
    assert "Traceback" not in stderr and "internal error" not in stderr, (context, stderr)
    if code == 2:
        assert stdout == "" and len(stderr.strip().splitlines()) == 1, (context, stderr)
        assert not out.exists(), context
        return
    if code == 3:  # optimize's documented "not converged" (NotConverged): its results are written all the same
        assert stderr.startswith("callsim: error: not converged: ") and len(stderr.strip().splitlines()) == 1, \
            (context, stderr)
        assert (out / "optimize.json").exists(), context
    else:
        assert code == 0, (code, stderr, context)
    for name in ("kpis.json", "sweep.json", "comparison.json"):
        if (out / name).exists():
            text = (out / name).read_text()
            assert "NaN" not in text and "Infinity" not in text, (context, name)
    if (out / "kpis.json").exists():
        document = json.loads((out / "kpis.json").read_text())
        for row in [document["day"], *document["intervals"]]:
            for name, estimate in row.items():
                if name != "interval" and estimate["mean"] is not None:
                    low, high = KPI[name].bounds
                    assert low <= estimate["mean"] <= high, (name, estimate, context)


OPTION_VALUES = ["0", "-1", "5e-324", "1e-300", "0.5", "1", "2", "1e5", "1e308", "nan", "inf", "1" + "0" * 400, "x"]
OPTION_CASES = st.one_of(
    st.tuples(st.sampled_from(["run", "plan", "compare", "optimize"]), st.sampled_from(["--volume", "--aht"]),
              st.sampled_from(OPTION_VALUES)),
    st.tuples(st.just("sweep"), st.just("--vary"),
              st.builds(lambda p, a, b: f"{p}={a}:{b}:{b}", st.sampled_from(["volume", "talk_time", "patience"]),
                        st.sampled_from(OPTION_VALUES), st.sampled_from(OPTION_VALUES))),
    st.tuples(st.just("sweep"), st.just("--agents"),
              st.builds(lambda a, b: f"{a}:{b}", st.sampled_from(["0", "1", "10", "99999", "100000", "100001",
                                                                   "-100001", "+3", "1" + "0" * 400]),
                        st.sampled_from(["1", "11", "100000", "100002", "+100001", "1" + "0" * 400]))),
)
OPTION_EXAMPLES = max(40, settings.default.max_examples // 10)


def test_option_values_past_the_limits_run_correctly_or_are_refused(tmp_path_factory, capsys):
    """--volume, --aht, sweep --vary and --agents at the edges of float and past the scenario's
    limits, on every command that takes them."""
    outcomes: dict[int, int] = {}

    # Both paths are always exercised, whatever the random draw (about one case in five runs, so 40
    # random cases alone gave fewer than 4 runs now and then): these run and are refused.
    @settings(max_examples=OPTION_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case=OPTION_CASES)
    @example(case=("run", "--volume", "0.5")).via("a run")
    @example(case=("plan", "--aht", "2")).via("a run")
    @example(case=("compare", "--volume", "1")).via("a run")
    @example(case=("sweep", "--vary", "volume=0.5:1:1")).via("a run")
    @example(case=("run", "--volume", "nan")).via("a refusal")
    @example(case=("sweep", "--agents", "1:100002")).via("a refusal")
    def one_command(case):
        command, option, value = case
        out = tmp_path_factory.mktemp("option") / "out"
        extra = [HELP_DESK] if command == "compare" else []
        extra += ["--max-iterations", "2"] if command == "optimize" else []
        with _time_limit():
            code, stdout, stderr = run_cli(capsys, command, HELP_DESK, *extra, option, value, "-r", "2", "-w", "1",
                                           "-q", "--no-plots", "--max-calls", "60000", "-o", out)
        outcomes[code] = outcomes.get(code, 0) + 1
        _assert_run_or_refusal(code, stdout, stderr, out, case)

    one_command()
    assert outcomes.get(0, 0) >= OPTION_EXAMPLES // 10 and outcomes.get(2, 0) >= OPTION_EXAMPLES // 10, outcomes


def _special_path(kind: str, folder: Path) -> str:
    """A path that is not a readable file: a FIFO (blocks a reader forever), a device that never
    ends, a folder, a name over 255 bytes, nothing at all."""
    if kind == "fifo":
        path = folder / "pipe.csv"
        os.mkfifo(path)
        return str(path)
    if kind == "folder":
        (folder / "dir.csv").mkdir()
        return str(folder / "dir.csv")
    return {"zero": "/dev/zero", "null": "/dev/null", "long": str(folder / ("n" * 300 + ".csv")),
            "missing": str(folder / "missing.csv")}[kind]


def _command_reading(place: str, path: str, folder: Path) -> list:
    """The command line that reads `path` as its `place`."""
    if place == "forecast":
        scenario = folder / "forecast.yaml"
        scenario.write_text(HELP_DESK.read_text().replace("calls: [60, 60, 60, 60, 60, 60, 60, 60]",
                                                          f"calls: {{csv: {json.dumps(path)}, column: calls}}"))
        return ["run", scenario, "-r", "2", "-q", "--no-plots"]
    return {"scenario": ["run", path, "-r", "2", "-q", "--no-plots"], "log": ["fit", path],
            "report": ["fit", "--intervals", path], "baseline": ["plan", HELP_DESK, "--baseline", path, "--no-plots"],
            "requirement": ["schedule", SHIFTS, "--requirements", path, "--no-plots"],
            "results": ["report", path]}[place]


SHIFTS = Path(__file__).resolve().parent.parent / "scenarios" / "retail_bank_shifts.yaml"


def test_special_files_anywhere_a_path_is_read_are_one_line(tmp_path_factory, capsys):
    """Every kind of path that is not a readable file, at every place a command reads one: one
    line and exit 2, nothing written, within seconds (a FIFO used to block forever)."""
    outcomes: dict[int, int] = {}

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(kind=st.sampled_from(["fifo", "zero", "null", "folder", "long", "missing"]),
           place=st.sampled_from(["scenario", "forecast", "log", "report", "baseline", "requirement", "results"]))
    def one_path(kind, place):
        folder = tmp_path_factory.mktemp("special")
        out = folder / "out"
        command = _command_reading(place, _special_path(kind, folder), folder)
        if place != "results":
            command += ["-o", out / "x.yaml" if command[0] == "fit" else out]
        with _time_limit(20):
            code, stdout, stderr = run_cli(capsys, *command)
        outcomes[code] = outcomes.get(code, 0) + 1
        assert code == 2, (kind, place, code, stderr)
        _assert_run_or_refusal(code, stdout, stderr, out, (kind, place))

    one_path()
    # the control: the same places given the real files they expect are read (exit 0)
    folder = tmp_path_factory.mktemp("control")
    csv_path = folder / "forecast.csv"
    csv_path.write_text("calls\n" + "60\n" * 8)
    code, _, err = run_cli(capsys, *_command_reading("forecast", str(csv_path), folder), "-o", folder / "out")
    assert code == 0, err
    code, _, err = run_cli(capsys, "report", folder / "out")
    assert code == 0, err
