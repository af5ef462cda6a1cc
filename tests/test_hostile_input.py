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


# --- issue 26: silent misreads, crashes and hangs on bad input -------------------------------


@pytest.mark.parametrize("change, fragments", [
    # YAML would keep the last of two keys silently: both lines are named
    (lambda t: t.replace("interval_minutes: 30\n", "interval_minutes: 30\ninterval_minutes: 15\n"),
     [":4:", "interval_minutes", "lines 3 and 4"]),
    (lambda t: t.replace("{dist: fixed, mean: 100}", "{dist: fixed, mean: 100, mean: 50}"), [":7:", "'mean' is given twice"]),
    # yes/no/on/off are true/false to YAML, and pydantic read true as 1 s
    (lambda t: t + "targets: {asa: yes}\n", [":10:", "targets.asa", "'yes'", "true/false"]),
    (lambda t: t.replace("[10, 10]}", "[10, off]}"), [":4:", "arrivals.calls[1]", "'off'"]),
    # a number of 5,000 digits broke Python's int conversion (exit 1)
    (lambda t: t + "targets: {asa: " + "9" * 5000 + "}\n", [":10:", "targets.asa", "5,000 characters"]),
    (lambda t: t.replace("mean: 100", "mean: 0." + "1" * 5000), [":7:", "talk_time.mean", "characters"]),
    # every drawn duration finite and not negative: a gamma with cv 1e-160 gave NaN talk times,
    # cv below ~1e-162 divided by zero
    (lambda t: t.replace("{dist: fixed, mean: 100}", "{dist: gamma, mean: 100, cv: 1e-160}"),
     [":7:", "queues[0].talk_time", "not finite", "dist: fixed"]),
    (lambda t: t.replace("{dist: fixed, mean: 100}", "{dist: gamma, mean: 100, cv: 1e-170}"), [":7:", "not finite"]),
    (lambda t: t.replace("{dist: fixed, mean: 100}", "{dist: lognormal, mean: 100, cv: 1e-170}"), [":7:", "not finite"]),
    # pydantic's words in the user's
    (lambda t: t + "targets: 5\n", ["targets: must be a mapping of keys (got 5)"]),
    (lambda t: t + "targets:\n", ["targets: must be a mapping of keys (got an empty value)"]),
    (lambda t: t.replace("name: x\n", "name: 2026-01-05\n"), ["name: must be a text", "the date 2026-01-05"]),
    (lambda t: t.replace("[10, 10]}", "[" + ", ".join(["1"] * 40_000) + "]}"),
     ["arrivals.calls: has 40,000 items; at most 35,136"]),
])
def test_misread_values_are_refused_naming_the_line(tmp_path, capsys, change, fragments):
    path = tmp_path / "bad.yaml"
    path.write_text(change(MINIMAL))
    line = assert_user_error(*run_cli(capsys, "validate", path), *fragments)
    for python_words in ("instance of", "NoneType", "datetime", "Tuple should", "Input should"):
        assert python_words not in line, line
    assert len(line) < 600


def test_the_control_values_written_plainly_are_read(tmp_path, capsys):
    """Negative control of the test above: the same keys written once, as numbers, validate."""
    path = tmp_path / "good.yaml"
    path.write_text(MINIMAL.replace("{dist: fixed, mean: 100}", "{dist: gamma, mean: 100, cv: 1e-6}")
                    + "targets: {asa: 30}\n")
    code, out, err = run_cli(capsys, "validate", path)
    assert code == 0 and "OK" in out, err


def test_a_gamma_talk_time_with_a_tiny_cv_is_drawn_finite_or_refused():
    """Every distribution class at the edges of its parameters: each duration drawn at the ends
    of [0, 1) is a finite number of seconds, 0 or more, or the parameters are refused."""
    import numpy as np
    from pydantic import TypeAdapter, ValidationError

    from simulator.distributions import Distribution

    adapter = TypeAdapter(Distribution)
    u = np.array([0.0, 1e-300, 1e-9, 0.5, 1 - 1e-9, 1 - 2**-53])
    cases = [{"dist": d, "mean": m, "cv": cv} for d in ("gamma", "lognormal")
             for m in (1e-300, 1e-3, 100, 604800) for cv in (1e-320, 1e-170, 1e-160, 1e-100, 1e-8, 0.5, 10)]
    cases += [{"dist": "weibull", "shape": k, key: m} for k in (0.1, 1, 50) for key in ("mean", "scale")
              for m in (1e-300, 604800)]
    cases += [{"dist": "exponential", "mean": m} for m in (5e-324, 604800)]
    cases += [{"dist": "uniform", "low": 0, "high": 5e-324}, {"dist": "empirical", "values": [0, 5e-324]}]
    refused = 0
    for case in cases:
        try:
            dist = adapter.validate_python(case)
        except ValidationError:
            refused += 1
            continue
        drawn = dist.ppf(u)
        assert np.all(np.isfinite(drawn)) and np.all(drawn >= 0), (case, drawn)
    assert 0 < refused < len(cases)  # both outcomes occur


def test_a_duplicate_keypad_key_in_one_menu_is_refused(tmp_path, capsys):
    from helpers import IVR_DEEP

    text = IVR_DEEP.read_text()
    path = tmp_path / "keys.yaml"
    path.write_text(text.replace('key: "2"', 'key: "1"', 1))
    assert_user_error(*run_cli(capsys, "validate", path), "options[1].key", "key '1' is already option 1 of menu")
    path.write_text(text)
    assert run_cli(capsys, "validate", path)[0] == 0  # the control: the shipped menu


def test_a_long_list_of_wrong_items_is_refused_quickly_in_a_short_line(tmp_path, capsys):
    """`serves:` with 50,000 numbers took minutes (follow-on errors compared pairwise) and echoed
    the list in a 200 kB line; 150,000 empirical values were refused after 18-29 s."""
    path = tmp_path / "serves.yaml"
    path.write_text(MINIMAL.replace("serves: [q]", "serves: [" + ", ".join(str(i) for i in range(50_000)) + "]"))
    started = time.monotonic()
    line = assert_user_error(*run_cli(capsys, "validate", path), "agents[0].serves[0]", "must be a text", "more problems")
    assert len(line) < 1000
    path.write_text(MINIMAL.replace("{dist: fixed, mean: 100}", "{dist: empirical, values: ["
                                    + ", ".join(str(100 + i % 300) for i in range(150_000)) + "]}"))
    assert_user_error(*run_cli(capsys, "validate", path), "queues[0].talk_time.values", "150,000 items", "100,000")
    assert time.monotonic() - started < 30  # a guard against the minutes it took, not a speed target


def test_a_file_nested_too_deep_for_libyaml_is_read_by_the_python_parser(tmp_path, capsys):
    """libyaml recurses in C and crashes the interpreter past ~100,000 levels: such a text goes to
    PyYAML's parser, which stops at Python's recursion limit; one line either way."""
    path = tmp_path / "deep.yaml"
    path.write_text("x: " + "[" * 200_000 + "]" * 200_000 + "\n")
    assert_user_error(*run_cli(capsys, "validate", path), "nested too deeply")


def test_what_if_options_past_the_limits_are_one_line(tmp_path, capsys):
    """--volume, --aht, sweep --vary and --agents past the scenario's limits, and a plan needing more
    than 100,000 agents in a group: a pydantic dump and exit 1 before; one line and exit 2 now."""
    out = tmp_path / "out"
    started = time.monotonic()
    for command, fragments in [
        (["run", HELP_DESK, "--volume", "1e5"], ["calls times 100000", "arrivals.calls[0]", "at most 1000000"]),
        (["run", HELP_DESK, "--aht", "1e5"], ["talk_time times 100000", "queues[0].talk_time.mean", "at most 604800"]),
        (["plan", HELP_DESK, "--volume", "1e5"], ["calls times 100000"]),
        (["compare", HELP_DESK, HELP_DESK, "--aht", "1e4"], ["talk_time times 10000"]),
        (["optimize", HELP_DESK, "--volume", "1e9"], ["calls times 1e+09"]),
        (["sweep", HELP_DESK, "--agents", "100000:100001"], ["agents[0].staffing[0]", "at most 100000"]),
        (["sweep", HELP_DESK, "--vary", "volume=1:100000:50000"], ["calls times"]),
        (["sweep", HELP_DESK, "--vary", "talk_time=1:10000:5000"], ["talk_time times"]),
        (["plan", HELP_DESK, "--volume", "16000"], ["the plan: agents[0].staffing", "at most 100,000 agents"]),
    ]:
        line = assert_user_error(*run_cli(capsys, *command, "-o", out, "-q"), *fragments)
        assert "validation error" not in line and "pydantic" not in line, line
    assert time.monotonic() - started < 30
    assert not out.exists()


@pytest.mark.parametrize("args, fragments", [
    (["erlang", "--calls", "100", "--aht", "180", "--patience", "1e300"], ["--patience", "604800"]),
    (["erlang", "--calls", "100", "--aht", "180", "--patience", "1" + "0" * 5000], ["--patience"]),
    (["validate", "/tmp/" + "a" * 300 + ".yaml"], ["too long (over 255 bytes)"]),
    (["run", "/tmp/" + "a" * 300 + ".yaml"], ["too long (over 255 bytes)"]),
    (["fit", "/dev/zero"], ["not a regular file"]),
    (["report", HELP_DESK], ["is a file, not a results folder"]),
    (["report", "/tmp/" + "b" * 300], ["too long"]),
])
def test_edge_values_of_options_and_paths_are_one_line(capsys, args, fragments):
    line = assert_user_error(*run_cli(capsys, *args), *fragments)
    assert len(line) < 700


@pytest.mark.parametrize("option", ["-r", "-s", "-w", "--max-calls", "--volume"])
def test_an_option_value_of_5000_digits_is_not_echoed_whole(tmp_path, capsys, option):
    line = assert_user_error(*run_cli(capsys, "run", HELP_DESK, option, "1" + "0" * 5000, "-o", tmp_path / "o"),
                             option, "5,003 characters")  # with its quotes
    assert len(line) < 300
    assert not (tmp_path / "o").exists()


def test_erlang_a_at_the_edges_of_its_inputs_answers_without_warnings(capsys):
    """A patience of a week with a handle time of 1e-300 s overflowed the Stirling terms
    (RuntimeWarnings on stderr); the answer is the obvious one."""
    code, out, err = run_cli(capsys, "erlang", "--calls", "100", "--aht", "1e-300", "--patience", "604800", "--json")
    assert code == 0 and err == "", err
    import json

    answer = json.loads(out)
    assert answer["agents"] == 1 and answer["service_level"] == pytest.approx(1.0)


def test_callsim_report_does_not_advise_an_option_it_lacks(tmp_path, capsys):
    """`callsim report` writes into the folder it reads: its errors must not say 'choose another
    output folder with -o' (it has no -o)."""
    out = tmp_path / "run"
    assert run_cli(capsys, "run", HELP_DESK, "-r", "2", "-q", "--no-plots", "-o", out)[0] == 0
    (out / "report.html").mkdir()
    line = assert_user_error(*run_cli(capsys, "report", out), "report.html", "is a folder", "a folder you can write in")
    assert "with -o" not in line
    (out / "report.html").rmdir()
    assert run_cli(capsys, "report", out)[0] == 0  # the control


def test_output_to_a_full_device_writes_nothing(tmp_path):
    """`callsim run ... > /dev/full`: the results were written, then printing failed (exit 1). The
    files are held until what is printed has gone out: one line, exit 2, nothing written."""
    import subprocess
    import sys

    from helpers import REPO

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    out = tmp_path / "out" / "deeper"
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "cli", "run", str(HELP_DESK), "-r", "2", "-w", "1", "-q",
                               "--no-plots", "-o", str(out)], cwd=REPO, stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and "nothing was written" in done.stderr
    assert not (tmp_path / "out").exists()
    # the control: the same command to a pipe that takes it writes the results
    done = subprocess.run([sys.executable, "-m", "cli", "run", str(HELP_DESK), "-r", "2", "-w", "1", "-q",
                           "--no-plots", "-o", str(out)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and (out / "kpis.json").exists(), done.stderr


def test_plan_optimize_and_schedule_make_the_staffing_run_needs_it(tmp_path, capsys):
    from helpers import SCENARIO_DIR

    text = HELP_DESK.read_text().replace("    staffing: [10, 10, 10, 10, 10, 10, 10, 10]\n", "")
    assert "staffing" not in text
    path = tmp_path / "no_staffing.yaml"
    path.write_text(text)
    assert_user_error(*run_cli(capsys, "run", path, "-o", tmp_path / "r"), "agents[0].staffing",
                      "required to simulate", "callsim plan")
    code, _, err = run_cli(capsys, "plan", path, "-o", tmp_path / "p", "--no-plots", "-q")
    assert code == 0, err
    with_staffing = run_cli(capsys, "plan", HELP_DESK, "-o", tmp_path / "p2", "--no-plots", "-q")
    assert with_staffing[0] == 0
    assert (tmp_path / "p" / "plan.csv").read_text() == (tmp_path / "p2" / "plan.csv").read_text()  # staffing unused
    assert run_cli(capsys, "run", tmp_path / "p" / "no_staffing.planned.yaml", "-r", "2", "-q", "--no-plots",
                   "-o", tmp_path / "r")[0] == 0
    assert_user_error(*run_cli(capsys, "optimize", path, "--start", "scenario", "-o", tmp_path / "o"),
                      "agents[0].staffing")
    shifts = (SCENARIO_DIR / "retail_bank_shifts.yaml").read_text()
    import re

    path.write_text(re.sub(r"\n *staffing: \[[^\]]*\]", "", shifts))
    code, _, err = run_cli(capsys, "schedule", path, "-o", tmp_path / "s", "--no-plots", "-q")
    assert code == 0, err


def test_plan_and_fit_take_quiet(tmp_path, capsys):
    code, _, err = run_cli(capsys, "plan", HELP_DESK, "-q", "--no-plots", "-o", tmp_path / "p")
    assert code == 0, err
    code, out, err = run_cli(capsys, "fit", "--help")
    assert code == 0 and "-q, --quiet" in out


@pytest.mark.parametrize("cell, column, fragments", [
    ("1e300", "wait_s", [":6:", "'wait_s'", "more than 604,800 s"]),
    ("1e300", "talk_s", [":6:", "'talk_s'"]),
    ("1" + "0" * 5000, "wait_s", [":6:", "..."]),
])
def test_fit_refuses_impossible_durations_in_one_line(tmp_path, capsys, cell, column, fragments):
    import csv

    out = tmp_path / "log"
    assert run_cli(capsys, "run", HELP_DESK, "-r", "2", "-q", "--no-plots", "--calls-csv", "-o", out)[0] == 0
    rows = list(csv.reader((out / "calls.csv").open()))
    rows[5][rows[0].index(column)] = cell
    with (tmp_path / "bad.csv").open("w", newline="") as stream:
        csv.writer(stream).writerows(rows)
    line = assert_user_error(*run_cli(capsys, "fit", tmp_path / "bad.csv", "-o", tmp_path / "f" / "x.yaml"),
                             *fragments)
    assert len(line) < 400 and "Warning" not in line


def test_fit_interval_report_with_no_agents_is_refused_not_nan(tmp_path, capsys):
    report = tmp_path / "r.csv"
    report.write_text("interval,offered,answered,abandoned,aht_s,asa_s,agents\n08:00,40,35,5,100,5,0\n"
                      "08:30,40,35,5,100,5,0\n")
    assert_user_error(*run_cli(capsys, "fit", "--intervals", report, "-o", tmp_path / "f" / "x.yaml"),
                      "r.csv:2", "answered with 0 agents")
    assert not (tmp_path / "f").exists()


def test_a_year_of_empty_intervals_is_announced_before_the_work(tmp_path, capsys, monkeypatch):
    """35,136 empty intervals ran 45 s without a word: the time goes into the intervals' KPIs."""
    import cli

    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: True, raising=False)
    n = 35_136
    path = tmp_path / "year.yaml"
    path.write_text(MINIMAL.replace("interval_minutes: 30", "interval_minutes: 15")
                    .replace("[10, 10]", "[" + ", ".join(["0"] * n) + "]")
                    .replace("[2, 2]", "[" + ", ".join(["1"] * n) + "]"))
    scenario = cli._load(path)
    cli._check_size([scenario], 2, 3_000_000, quiet=False)
    err = capsys.readouterr().err
    assert "35,136 intervals" in err and "Ctrl-C" in err
    cli._check_size([scenario], 2, 3_000_000, quiet=True)
    assert capsys.readouterr().err == ""  # -q: nothing


def test_one_whole_number_of_agents_is_that_many_all_day(tmp_path, capsys):
    """`staffing: 7` is [7, 7, 7]: the same scenario to the last field; a negative or true/false
    one is refused with one line naming the key."""
    from simulator.loading import load_scenario

    text = ("schema_version: 1\nname: t\ninterval_minutes: 60\narrivals: {calls: [100, 120, 90]}\n"
            "queues: [{name: q, talk_time: {dist: exponential, mean: 180}}]\n"
            "agents: [{name: a, serves: [q], staffing: STAFF}]\n")
    scalar, listed = tmp_path / "scalar.yaml", tmp_path / "listed.yaml"
    scalar.write_text(text.replace("STAFF", "7"))
    listed.write_text(text.replace("STAFF", "[7, 7, 7]"))
    assert load_scenario(scalar) == load_scenario(listed)
    assert load_scenario(scalar).agents[0].staffing == (7, 7, 7)
    for bad in ("-3", "yes", "7.5"):
        scalar.write_text(text.replace("STAFF", bad))
        code, out, err = run_cli(capsys, "validate", scalar)
        assert_user_error(code, out, err, "agents[0].staffing")
