"""The layers point one way: model <- maths/planner <- studies <- presentation <- cli.

Read from the source with `ast` (every import statement, those inside functions included), so
a lazy import cannot slip past. See docs/architecture.md for the layer table. Each rule has a
negative control: the same checker run on a deliberately bad source must report it.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# package -> its layer; a module may import only from its own layer or below
LAYERS = {"simulator": 0, "planner": 1, "studies": 2, "presentation": 3, "app": 3, "commands": 4, "cli": 4}
PACKAGES = [name for name in LAYERS if name != "cli"]
OURS = set(LAYERS)
# the Erlang maths, the staffing search and the shift programme import nothing of ours but each
# other (they are usable, and tested, on their own)
PURE = {"planner/erlang.py", "planner/staffing.py", "planner/shifts.py", "planner/period_staffing.py"}
PURE_MODULES = {relative[:-3].replace("/", ".") for relative in PURE}
# the model draws nothing: no plotting library below presentation
NO_PLOTTING_BELOW = 3


def _modules():
    for package in PACKAGES:
        yield from sorted((REPO / package).glob("*.py"))
    yield REPO / "cli.py"


def _imports(source: str, package: str | None) -> list[tuple[str, int]]:
    """(dotted module imported, line) for every import in `source`, the file being in `package`
    (None: at the top); relative imports are resolved against it. `from P import name` gives
    `P.name` too, as name may be a module of P."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # ours: the file's own package (a deeper level would leave it)
                base = ".".join(part for part in (package, base) if part)
            found.append((base, node.lineno))
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def _file_imports(path: Path) -> list[tuple[str, int]]:
    return _imports(path.read_text(), path.parent.name if path.parent != REPO else None)


def _layer_of(relative: str) -> tuple[str, int]:
    name = relative.split("/")[0] if "/" in relative else "cli"
    return name, LAYERS[name]


def violations(source: str, relative: str) -> list[str]:
    """Every import of the file at `relative` (its text `source`) that breaks a layering rule,
    as 'file:line: what'."""
    name, layer = _layer_of(relative)
    found = []
    seen = set()
    for module, line in _imports(source, name if name != "cli" else None):
        top = module.split(".")[0]
        if (top, line) in seen:
            continue
        if relative in PURE and top in OURS and module not in PURE_MODULES and module != "planner":
            if not any(module.startswith(pure + ".") for pure in PURE_MODULES):  # a name from a pure module
                seen.add((top, line))
                found.append(f"{relative}:{line} imports {module}: the Erlang maths, the staffing search and the "
                             "shift programme import nothing of ours but each other")
                continue
        if top in OURS and LAYERS[top] > layer:
            seen.add((top, line))
            found.append(f"{relative}:{line} ({name}) imports {top}, a layer above it")
        if top == "matplotlib" and layer < NO_PLOTTING_BELOW:
            seen.add((top, line))
            found.append(f"{relative}:{line} ({name}) imports matplotlib: plots are presentation")
    return found


@pytest.mark.parametrize("path", list(_modules()), ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_imports_from_a_layer_above_it(path):
    assert violations(path.read_text(), str(path.relative_to(REPO))) == []


def test_the_rule_catches_upward_imports():
    """Control: an import from above is caught, also one made inside a function, and so is
    plotting in the model."""
    source = "import matplotlib\n\ndef f():\n    from presentation.text import table\n    return table\n"
    found = violations(source, "simulator/engine_like.py")
    assert len(found) == 2 and "imports presentation, a layer above it" in found[1] and "matplotlib" in found[0]


@pytest.mark.parametrize("source", [
    "from simulator.scenario import Scenario\n",
    "def f():\n    from planner.verify import verify_plan\n",  # absolute, of its own package, lazily
    "from .verify import verify_plan\n",
    "from . import plan\n",
    "import planner.demand\n",
])
@pytest.mark.parametrize("pure", sorted(PURE))
def test_the_pure_rule_catches_any_import_of_ours(pure, source):
    """Control: a pure module importing anything of ours but the pure modules is reported,
    whether the import is absolute or relative, at the top or in a function."""
    assert len(violations(source, pure)) == 1, violations(source, pure)


def test_the_pure_modules_may_import_each_other():
    source = "from .erlang import erlang_c\nfrom planner.erlang import erlang_b\nimport numpy as np\n"
    assert violations(source, "planner/staffing.py") == []


# --- no import circles inside a package -------------------------------------------------------


def import_graph(package: str, sources: dict[str, str]) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (anywhere in the file: a lazy
    import inside a function is a circle postponed, not avoided), from {module: source}."""
    graph = {}
    for module, source in sources.items():
        graph[module] = set()
        for imported, _ in _imports(source, package):
            parts = imported.split(".")
            if parts[0] == package and len(parts) > 1 and parts[1] in sources and parts[1] != module:
                graph[module].add(parts[1])
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_circles_inside_a_package(package):
    sources = {path.stem: path.read_text() for path in sorted((REPO / package).glob("*.py"))}
    assert circles(import_graph(package, sources)) == []


def test_the_circle_check_catches_a_lazy_circle():
    """Control: funnel -> run at the top and run -> funnel inside a function (what the funnel's
    JSON document used to do) is a circle; a one-way chain is not."""
    sources = {"funnel": "from .run import Estimate\n", "run": "def f():\n    from simulator.funnel import count\n",
               "kpis": "from . import run\n", "lone": "import numpy\n"}
    assert circles(import_graph("simulator", sources)) == [["funnel", "run"]]
    del sources["run"]
    assert circles(import_graph("simulator", sources)) == []


def test_nothing_imports_the_app():
    """The app is a leaf: `callsim app` starts it in its own process, nothing imports it."""
    found = [f"{path.relative_to(REPO)}:{line}" for path in _modules() if path.parent.name != "app"
             for imported, line in _file_imports(path) if imported.split(".")[0] == "app"]
    assert found == []


# --- the commands that do not simulate stay light ----------------------------------------------

HEAVY = ("simpy", "scipy.stats", "matplotlib")
_PROBE = """
import sys
{preamble}
import cli
try:
    cli.main({argv!r})
finally:
    print("LOADED " + " ".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


def heavy_modules_loaded(argv: list[str], preamble: str = "") -> list[str]:
    """The heavy modules loaded by `callsim ARGV` in a fresh interpreter (our worktree first)."""
    script = _PROBE.format(preamble=preamble, argv=argv, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("LOADED")]
    return line.split()[1:]


LIGHT_COMMANDS = [
    ["--help"],
    ["run", "--help"],
    ["plan", "--help"],
    ["validate", str(REPO / "scenarios" / "retail_bank_weekday.yaml")],
    ["validate", str(REPO / "scenarios" / "ivr_deep_intents.yaml")],
    ["schema"],
    ["erlang", "--calls", "100", "--aht", "240"],
    ["erlang", "--calls", "100", "--aht", "240", "--patience", "120", "--json"],
]


@pytest.mark.parametrize("argv", LIGHT_COMMANDS, ids=" ".join)
def test_light_commands_never_load_simpy_scipy_stats_or_matplotlib(argv):
    """The promise of docs/architecture.md: --help, validate, schema and erlang answer without
    loading the engine, scipy.stats or matplotlib (they take seconds to import)."""
    assert heavy_modules_loaded(argv) == []


def test_the_probe_sees_a_heavy_import():
    """Control: the same probe reports SimPy when something loads it."""
    assert heavy_modules_loaded(["--help"], preamble="import simpy") == ["simpy"]
