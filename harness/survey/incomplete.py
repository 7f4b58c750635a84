"""Whether a control that passed no test fails because the sdist's tests are incomplete: each
module it could not import imports a helper of the tests (``from .utils import ...``, ``from
tests.helpers import ...``) that the sdist does not ship (torchio 0.19.1's ``tests/test_cli.py``
imports ``.utils``; neither ``tests/utils.py`` nor ``tests/__init__.py`` is in its sdist). No
setup can fix that, so the row says so (``incomplete-tests``).

Read from the recorded failures and the unpacked sdist's files (``ast``, bounded); nothing of
the project is run or imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

from harness import bounded

MAX_BYTES = 2_000_000
IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError")


def _shipped(root: Path, parts: list) -> bool:
    """Whether ``root/a/b`` is a module or package of the sdist (``a/b.py``, ``a/b/``)."""
    path = root.joinpath(*parts) if parts else root
    return path.with_suffix(".py").is_file() or path.is_dir()


def _missing(source: Path, module: Path) -> list:
    """The helpers ``module`` imports from beside it (relatively, or by its own folder's
    name) that are not in ``source``, as written (``.utils``, ``tests.helpers``)."""
    try:
        if module.is_symlink() or not module.is_file() or module.stat().st_size > MAX_BYTES:
            return []
        tree = bounded.python_source(module, MAX_BYTES)
    except (OSError, ValueError):
        return []
    top = module.relative_to(source).parts[0] if module.parent != source else ""
    missing = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        written = "." * node.level + (node.module or "")
        if node.level:
            base = module.parent
            for _ in range(node.level - 1):
                base = base.parent
            if not base.is_relative_to(source):
                continue
            parts = (node.module or "").split(".") if node.module else []
            wanted = [parts] if parts else [[alias.name] for alias in node.names]
            gone = [w for w in wanted if not _shipped(base, w)]
            missing += [written if parts else f"{written}{w[0]}" for w in gone]
        elif top and node.module and node.module.split(".")[0] == top and "." in node.module:
            if not _shipped(source, node.module.split(".")):
                missing.append(written)
    return list(dict.fromkeys(missing))


def incomplete(source: Path, failures: list) -> str:
    """ "" unless every failure (``model.Failure``) is a test module that could not be imported
    for want of a helper the sdist does not ship; then what imports what, in words."""
    importers = {}  # the helper, as written -> the modules that import it
    for failure in failures:
        words = f"{failure.evidence} {failure.detail}"
        if "::" in failure.test or not failure.test.endswith(".py"):
            return ""
        if not any(name in words for name in IMPORT_ERRORS):
            return ""
        path = (source / failure.test).resolve()
        if not path.is_relative_to(source.resolve()):
            return ""
        gone = _missing(source.resolve(), path)
        if not gone:
            return ""
        for helper in gone:
            importers.setdefault(helper, []).append(failure.test)
    said = [f"{' and '.join(modules)} import{'s' if len(modules) == 1 else ''} {helper}"
            for helper, modules in importers.items()]  # fmt: skip
    if not said:
        return ""
    return f"the sdist's tests are incomplete: {'; '.join(said)}, which the sdist does not ship"
