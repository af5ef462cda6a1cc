"""Shared by the CLI tests: run `callsim` in-process and the shipped scenarios' paths."""
from __future__ import annotations

from pathlib import Path

from cli import main

REPO = Path(__file__).resolve().parent.parent
SCENARIO_DIR = REPO / "scenarios"
SHIPPED_SCENARIOS = sorted(SCENARIO_DIR.glob("*.yaml"))
HELP_DESK = SCENARIO_DIR / "help_desk.yaml"


def run_cli(capsys, *args):
    """Run `callsim ARGS...`; return (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err
IVR_DEEP = SCENARIO_DIR / "ivr_deep_menu.yaml"
IVR_BROAD = SCENARIO_DIR / "ivr_broad_menu.yaml"


def assert_user_error(code: int, out: str, err: str, *fragments: str) -> str:
    """A user error as callsim promises it: exit 2, nothing on stdout, one line on stderr
    containing every fragment, no traceback. Returns that line."""
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert out == "", out
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def assert_run_refuses(tmp_path: Path, capsys, scenario_text: str, *fragments: str) -> str:
    """`callsim run` on a scenario file holding `scenario_text`: a user error naming the file
    and every fragment (see assert_user_error), and no results folder. Returns the line."""
    path = tmp_path / "refused.yaml"
    path.write_text(scenario_text)
    out_dir = tmp_path / "out"
    message = assert_user_error(*run_cli(capsys, "run", path, "-o", out_dir, "-q"), f"{path}:", *fragments)
    assert not out_dir.exists()
    return message
