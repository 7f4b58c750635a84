"""harness/_toml.py: TOML is read the same way on every Python the tool runs on. Python 3.10
has no ``tomllib``; a module that imports it directly breaks the tool there."""

import ast
from pathlib import Path

from harness._toml import tomllib

HARNESS = Path(__file__).resolve().parents[2] / "harness"


def test_toml_is_parsed():
    assert tomllib.loads('[project]\nname = "x"\n') == {"project": {"name": "x"}}


def test_no_module_imports_tomllib_but_the_one_that_falls_back_to_tomli():
    direct = []
    for path in sorted(HARNESS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if "tomllib" in names or (
                isinstance(node, ast.ImportFrom) and node.module == "tomllib"
            ):
                direct.append(f"{path.relative_to(HARNESS.parent)}:{node.lineno}")
    assert direct == ["harness/_toml.py:5"], (
        "use `from harness._toml import tomllib`: " + ", ".join(direct)
    )
