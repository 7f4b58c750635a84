"""The tree shows the architecture: the CLI above the commands, above the shared state, above
the gate and the reports, above the stages, above the model, storage and tools (the last
layer); no import cycles; small modules that say what they own; no two classes of one name."""

import ast
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "harness"
LAYERS = (
    "__main__",
    "cli",
    "commands",
    "state",
    "gate",
    "survey",
    "report",
    "stages",
)  # top to bottom
MAX_LINES = 300


def modules() -> dict:
    """``{dotted name: path}`` of every module of the harness, the probe's stdlib files aside."""
    found = {}
    for path in sorted(HARNESS.rglob("*.py")):
        if "_probe" in path.parts:
            continue
        parts = path.relative_to(HARNESS.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path) -> set:
    """The harness modules a module imports at its top level (function-level ones included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("harness"):
            found |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("harness")}
    known = modules()
    return {name for name in found if name in known}


def layer(module: str) -> int:
    """0 for the CLI, higher further down; the model, storage and tools are the last layer."""
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else ""
    return LAYERS.index(name) if name in LAYERS else len(LAYERS)


@pytest.mark.parametrize("module", sorted(modules()))
def test_a_module_imports_only_what_lies_below_it(module):
    path = modules()[module]
    for imported in imports(path):
        if imported == module or module.startswith(imported + ".") or imported == "harness":
            continue
        assert layer(imported) >= layer(module), f"{module} imports {imported}, a layer above it"


def test_there_is_no_import_cycle():
    graph = {name: imports(path) - {name} for name, path in modules().items()}
    graph = {
        name: {i for i in found if not name.startswith(i + ".")} for name, found in graph.items()
    }
    state = {}

    def visit(name, trail):
        if state.get(name) == "done":
            return
        assert state.get(name) != "open", " -> ".join([*trail, name])
        state[name] = "open"
        for child in sorted(graph.get(name, ())):
            visit(child, [*trail, name])
        state[name] = "done"

    for name in sorted(graph):
        visit(name, [])


@pytest.mark.parametrize("module", sorted(modules()))
def test_a_module_is_small_and_says_what_it_owns(module):
    path = modules()[module]
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_LINES, f"{module}: {len(text.splitlines())} lines"
    docstring = ast.get_docstring(ast.parse(text))
    assert path.name == "__main__.py" or docstring, f"{module} has no docstring"


def test_no_two_modules_define_a_class_of_one_name():
    seen = {}
    for name, path in modules().items():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                assert node.name not in seen, f"{node.name} in {seen.get(node.name)} and {name}"
                seen[node.name] = name
