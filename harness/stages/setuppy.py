"""The test requirements an sdist's ``setup.py`` names where its metadata does not: an old-style
``tests_require`` (setuptools never writes it into PKG-INFO), and a test-like extra of an
``extras_require`` that setuptools dropped, such as one misspelt ``extras_requires``.

Read statically: the file is parsed (``ast``, bounded), never run; only literal values count
(``ast.literal_eval`` of the keyword's node, or of the one module-level assignment a bare name
refers to), anything computed is ignored; each requirement is parsed with ``packaging`` and an
invalid one is left out.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from harness import bounded

MAX_BYTES = 1_000_000
EXTRAS = {"extras_require": "", "extras_requires": " (misspelled; setuptools ignores it)"}


@dataclass(frozen=True)
class FromSetupPy:
    """Test requirements read from setup.py, and where (``setup.py tests_require``, ...)."""

    requirements: tuple = ()
    sources: tuple = ()

    @property
    def source(self) -> str:
        return " and ".join(self.sources)


def _setup_call(tree: ast.Module) -> ast.Call | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name == "setup":
                return node
    return None


def _literal(node: ast.AST, names: dict) -> object:
    if isinstance(node, ast.Name):
        node = names.get(node.id)
    try:
        return ast.literal_eval(node) if node is not None else None
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _requirements(value) -> list:
    lines = [value] if isinstance(value, str) else value if isinstance(value, (list, tuple)) else []
    found = []
    for line in lines:
        if not isinstance(line, str):
            continue
        try:
            found.append(str(Requirement(line.strip())))
        except InvalidRequirement:
            continue
    return found


def declared(folder: Path, wanted: tuple) -> FromSetupPy:
    """``tests_require``, and the first of the ``wanted`` extras (``test``, ``tests``, ...) an
    ``extras_require``/``extras_requires`` of ``folder/setup.py``'s ``setup()`` call names."""
    path = folder / "setup.py"
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_BYTES:
            return FromSetupPy()
        tree = bounded.python_source(path, MAX_BYTES)
    except (OSError, ValueError):
        return FromSetupPy()
    call = _setup_call(tree)
    if call is None:
        return FromSetupPy()
    names = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign)
             for t in n.targets if isinstance(t, ast.Name)}  # fmt: skip
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    requirements, sources = [], []
    tests = (
        _requirements(_literal(keywords["tests_require"], names))
        if "tests_require" in keywords
        else []
    )
    if tests:
        requirements += tests
        sources.append("setup.py tests_require")
    for keyword, note in EXTRAS.items():
        extras = _literal(keywords[keyword], names) if keyword in keywords else None
        if not isinstance(extras, dict):
            continue
        by_name = {canonicalize_name(k): (k, v) for k, v in extras.items() if isinstance(k, str)}
        for name in wanted:
            if name in by_name and (found := _requirements(by_name[name][1])):
                requirements += [r for r in found if r not in requirements]
                sources.append(f"setup.py {keyword}[{by_name[name][0]!r}]{note}")
                break
        if len(sources) > bool(tests):
            break
    return FromSetupPy(tuple(requirements), tuple(sources))
