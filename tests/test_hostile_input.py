"""Input that must not break callsim: hostile YAML, non-finite numbers, names that would split
an error line, and output folders that cannot take a result. Each gives one line on stderr,
exit code 2, nothing written (and never a hang or a traceback)."""
from __future__ import annotations

import os
import time

import pytest

from helpers import HELP_DESK, assert_user_error, run_cli

MINIMAL = """schema_version: 1
name: x
interval_minutes: 30
arrivals: {calls: [10, 10]}
queues:
  - name: q
    talk_time: {dist: fixed, mean: 100}
agents:
  - {name: a, serves: [q], staffing: [2, 2]}
"""

LAUGHS = "a: &a [" + ",".join(['"x"'] * 9) + "]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))


@pytest.mark.parametrize("text, fragments", [
    (LAUGHS, ["expands to more than"]),
    ("x: " + "{a: " * 10000 + "1" + "}" * 10000 + "\n", ["nested too deeply"]),
    ("m: &m {a: *m}\n", ["refers to a value that contains it"]),
    ("? [a, b]\n: 1\n", [":1:", "plain name"]),
    ("schema_version: !!python/object:os.system 'echo hi'\n", [":1:", "tag not allowed"]),
    (MINIMAL.replace("mean: 100", "mean: .inf"), [":7:", "queues[0].talk_time.mean", "finite number"]),
    (MINIMAL + "targets: {asa: .nan}\n", [":10:", "targets.asa", "finite number"]),
    (MINIMAL.replace("name: q\n", 'name: "q\\u2028x"\n'), [":6:", "queues[0].name", "control characters"]),
    (MINIMAL.replace("- {name: a,", '- {name: "a\\0",'), [":9:", "agents[0].name", "control characters"]),
    (MINIMAL.replace("interval_minutes: 30\n", "interval_minutes: 30\nstart: 8:00\n"), [":4:", 'start: "08:00"', "480"]),
    (MINIMAL + "targets: {abandon_rate: 5%}\n", ["targets.abandon_rate", "write 0.05 for 5%"]),
    (MINIMAL + "targets: {service_level: {fraction: 80, within: 20}}\n", ["fraction", "write 0.8 for 80%"]),
])
def test_hostile_or_mistyped_files_are_one_line_errors(tmp_path, capsys, text, fragments):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    started = time.monotonic()
    for command in (["validate"], ["run", "-o", tmp_path / "out", "-r", "2"], ["plan", "-o", tmp_path / "out"]):
        assert_user_error(*run_cli(capsys, command[0], path, *command[1:]), *fragments)
    assert time.monotonic() - started < 20
    assert not (tmp_path / "out").exists()


def test_every_problem_of_a_file_is_on_the_one_line(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(MINIMAL.replace("mean: 100", "mean: -1").replace("staffing: [2, 2]", "staffing: [2, -2]"))
    line = assert_user_error(*run_cli(capsys, "validate", path), "talk_time.mean", "staffing[1]", "; also ")
    assert "more problem" not in line


def test_paths_that_are_not_regular_files_are_refused(tmp_path, capsys):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert_user_error(*run_cli(capsys, "validate", fifo), "not a regular file")
    assert_user_error(*run_cli(capsys, "validate", "/dev/zero"), "not a regular file")


@pytest.mark.parametrize("make_out, fragment", [
    (lambda tmp: tmp / "file.txt" / "sub", "is a file, not a folder"),
    (lambda tmp: "/dev/null", "is a file, not a folder"),
    (lambda tmp: tmp / ("a" * 300), "too long"),
    (lambda tmp: "", "is empty"),
])
def test_output_folders_that_cannot_take_a_result_fail_before_the_run(tmp_path, capsys, make_out, fragment):
    (tmp_path / "file.txt").write_text("not a folder")
    started = time.monotonic()
    for command in (["run", "-q"], ["plan", "--verify"], ["compare", HELP_DESK, "-q"], ["sweep", "--agents", "9:10", "-q"]):
        assert_user_error(*run_cli(capsys, command[0], HELP_DESK, *command[1:], "-o", make_out(tmp_path)), fragment)
    assert time.monotonic() - started < 5  # refused before simulating


def test_a_result_is_replaced_whole_or_not_at_all(tmp_path, capsys):
    """intervals.csv taken by a folder: kpis.json of the earlier run must not be replaced."""
    out = tmp_path / "out"
    code, _, _ = run_cli(capsys, "run", HELP_DESK, "-o", out, "-r", "2", "-q", "--no-plots")
    assert code == 0
    before = (out / "kpis.json").read_bytes()
    (out / "intervals.csv").unlink()
    (out / "intervals.csv").mkdir()
    assert_user_error(*run_cli(capsys, "run", HELP_DESK, "-o", out, "-r", "3", "-q", "--no-plots"),
                      "intervals.csv", "is a folder")
    assert (out / "kpis.json").read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_absurd_sizes_are_refused_at_once(tmp_path, capsys):
    """1e7 calls an interval, a day too big to simulate 20 times, 1e12 calls in the calculator: a
    one-line error that says what to check or how to override, within seconds."""
    path = tmp_path / "huge.yaml"
    path.write_text(MINIMAL.replace("calls: [10, 10]", "calls: [10000000, 10]"))
    assert_user_error(*run_cli(capsys, "validate", path), "arrivals.calls[0]", "at most 1000000")
    path.write_text(MINIMAL.replace("calls: [10, 10]", "calls: [900000, 900000]"))
    started = time.monotonic()
    line = assert_user_error(*run_cli(capsys, "run", path, "-o", tmp_path / "out", "-q"), "--max-calls")
    assert "36,000,000 calls" in line
    assert_user_error(*run_cli(capsys, "plan", path, "--verify", "-o", tmp_path / "out"), "--max-calls")
    assert_user_error(*run_cli(capsys, "erlang", "--calls", "1e12", "--aht", "180"), "beyond any call centre")
    assert_user_error(*run_cli(capsys, "erlang", "--calls", "100", "--aht", "180", "--interval-minutes", "1e-300"),
                      "beyond any call centre")
    assert time.monotonic() - started < 10
    assert not (tmp_path / "out").exists()


def test_the_json_schema_explains_every_key_to_an_editor(capsys):
    """`callsim schema` is a 2020-12 JSON Schema in which every property has a description and
    clock times carry a pattern (so an editor explains each key and flags 8:00 unquoted)."""
    import json
    import re

    code, out, _ = run_cli(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    undocumented = []

    def walk(node, path):
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if "description" not in prop:
                    undocumented.append(f"{path}.{name}")
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, path)

    walk(schema, "")
    assert undocumented == []
    pattern = schema["properties"]["start"]["pattern"]
    assert re.fullmatch(pattern, "08:00") and not re.fullmatch(pattern, "8h00") and not re.fullmatch(pattern, "25:00")
