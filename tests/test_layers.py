"""The layers point one way: model <- maths/planner <- studies <- presentation <- cli.

Read from the source with `ast` (every import statement, those inside functions included), so
a lazy import cannot slip past. See docs/architecture.md for the layer table.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# package -> its layer; a module may import only from its own layer or below
LAYERS = {"simulator": 0, "planner": 1, "studies": 2, "presentation": 3, "app": 3, "cli": 4}
OURS = set(LAYERS)
# the Erlang maths import nothing of ours (they are usable, and tested, on their own)
PURE = {"planner/erlang.py", "planner/staffing.py"}
# the model draws nothing: no plotting library below presentation
NO_PLOTTING_BELOW = 3


def _modules():
    for package in ("simulator", "planner", "studies", "presentation", "app"):
        yield from sorted((REPO / package).glob("*.py"))
    yield REPO / "cli.py"


def _imports(path: Path) -> list[tuple[str, int]]:
    """(top-level package imported, line) for every import in the file; relative imports are
    resolved against the file's own package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = path.parent.name if path.parent != REPO else None
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name.split(".")[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append((package, node.lineno))
            elif node.module:
                found.append((node.module.split(".")[0], node.lineno))
    return found


def _layer_of(path: Path) -> tuple[str, int]:
    name = "cli" if path.parent == REPO else path.parent.name
    return name, LAYERS[name]


def violations(path: Path, relative: str) -> list[str]:
    """Every import of `path` that breaks the layering rule, as 'file:line: what'."""
    name, layer = _layer_of(path)
    found = []
    for imported, line in _imports(path):
        if relative in PURE and imported in OURS and imported != "planner":
            found.append(f"{relative}:{line} imports {imported}: the Erlang maths import nothing of ours")
        if imported in OURS and LAYERS[imported] > layer:
            found.append(f"{relative}:{line} ({name}) imports {imported}, a layer above it")
        if imported == "matplotlib" and layer < NO_PLOTTING_BELOW:
            found.append(f"{relative}:{line} ({name}) imports matplotlib: plots are presentation")
    return found


@pytest.mark.parametrize("path", list(_modules()), ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_imports_from_a_layer_above_it(path):
    assert violations(path, str(path.relative_to(REPO))) == []


def test_the_pure_maths_import_only_each_other():
    for relative in PURE:
        own = [n.module for n in ast.walk(ast.parse((REPO / relative).read_text()))
               if isinstance(n, ast.ImportFrom) and n.level]
        assert set(own) <= {"erlang"}, (relative, own)  # staffing uses erlang; nothing else of ours


def test_the_rule_catches_upward_imports(tmp_path):
    """Control: an import from above is caught, also one made inside a function, and so is
    plotting in the model."""
    fake = tmp_path / "simulator" / "engine_like.py"
    fake.parent.mkdir()
    fake.write_text("import matplotlib\n\ndef f():\n    from presentation.text import table\n    return table\n")
    found = violations(fake, "simulator/engine_like.py")
    assert len(found) == 2 and "imports presentation, a layer above it" in found[1] and "matplotlib" in found[0]
    maths = tmp_path / "planner" / "erlang.py"
    maths.parent.mkdir()
    maths.write_text("from simulator.scenario import Scenario\n")
    assert violations(maths, "planner/erlang.py") == [
        "planner/erlang.py:1 imports simulator: the Erlang maths import nothing of ours"]


def test_nothing_imports_the_app():
    """The app is a leaf: `callsim app` starts it in its own process, nothing imports it."""
    found = [f"{path.relative_to(REPO)}:{line}" for path in _modules() if path.parent.name != "app"
             for imported, line in _imports(path) if imported == "app"]
    assert found == []
