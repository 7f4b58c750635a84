"""What pytest is given to run a project's tests when the harness writes its tox config, read
from its files (never run, never imported; each read bounded):

- the pytest config's ``testpaths``, when it sets them: no folder is given, pytest reads them;
- else the ``tests``/``test`` folder at the root, else those inside its packages
  (``pkg/tests``, ``src/pkg/tests``);
- and every module there (or a ``tests.py``/``test.py`` at the root) whose name pytest's
  ``python_files`` (``test_*.py``, ``*_test.py`` unless the config says) would not collect but
  that holds a ``unittest.TestCase`` class: named in ``-o python_files=...`` (the defaults
  and its name; pytest 9 drops a file given by path under a folder it is also given), or given
  by its path at the root, pytest collects it and runs its classes, as ``python -m unittest``
  would (pwlf 2.5.2 keeps its suite in ``tests/tests.py``);
- with ``--doctest-modules`` in the config's ``addopts``, the project's packages too, where
  its doctests live.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
from pathlib import Path

from harness import bounded
from harness.stages import needs

DEFAULT_FILES = ("test_*.py", "*_test.py")
ROOTS = ("tests", "test")
MAX_DEPTH, MAX_FILES = 3, 3000
PLAIN = re.compile(r"[\w./-]+")
NOT_TESTS = {"conftest.py", "__init__.py", "setup.py", "__main__.py"}


def packages(folder: Path) -> list:
    """The top-level packages, as paths relative to ``folder`` (``pkg``, ``src/pkg``)."""
    found = []
    for base in (folder, folder / "src"):
        if base.is_dir():
            found += [p.relative_to(folder).as_posix() for p in sorted(base.iterdir())
                      if p.is_dir() and not p.is_symlink() and (p / "__init__.py").is_file()
                      and p.name not in ROOTS]  # fmt: skip
    return found


def _inside(folder: Path, package: str) -> list:
    """``tests``/``test`` folders inside a package, at most MAX_DEPTH down."""
    found, start = [], folder / package
    for root, dirs, _names in os.walk(start):
        here = Path(root)
        depth = len(here.relative_to(start).parts)
        dirs[:] = sorted(d for d in dirs if d not in needs.SKIPPED) if depth < MAX_DEPTH else []
        for name in [d for d in dirs if d in ROOTS]:
            found.append((here / name).relative_to(folder).as_posix())
            dirs.remove(name)
    return found


def _is_unittest(path: Path) -> bool:
    try:
        if path.is_symlink() or path.stat().st_size > needs.MAX_BYTES:
            return False
        tree = bounded.python_source(path, needs.MAX_BYTES)
    except (OSError, ValueError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
                if name.endswith("TestCase"):
                    return True
    return False


def _unmatched(folder: Path, roots: list, patterns: tuple) -> list:
    """The unittest modules under ``roots`` (or at the root) that ``patterns`` would not
    collect, as relative paths."""
    found, seen = [], 0
    places = [folder / r for r in roots] or [folder]
    for start in places:
        for root, dirs, names in os.walk(start):
            dirs[:] = sorted(d for d in dirs if d not in needs.SKIPPED) if roots else []
            for name in sorted(names):
                seen += 1
                if seen > MAX_FILES:
                    return found
                if (not name.endswith(".py") or name in NOT_TESTS
                        or any(fnmatch.fnmatch(name, p) for p in patterns)):  # fmt: skip
                    continue
                if not roots and name not in ("tests.py", "test.py"):
                    continue
                path = Path(root) / name
                if _is_unittest(path):
                    found.append(path.relative_to(folder).as_posix())
    return found


def targets(folder: Path) -> tuple:
    """``(words, why)``: what pytest is given (``()``: nothing, it finds its tests itself), and
    a few words saying where they came from. A module pytest's ``python_files`` miss under a
    folder it is given is named in ``-o python_files=...`` (pytest drops a file given by name
    under a folder it is also given), one at the root by its path."""
    where, config = needs.pytest_config(folder)
    configured = [p for p in needs._words(config.get("testpaths", "")) if PLAIN.fullmatch(p)]
    roots = [r for r in ROOTS if (folder / r).is_dir()] if "testpaths" not in config else []
    inside = [] if roots or "testpaths" in config else [
        t for p in packages(folder) for t in _inside(folder, p)
    ]  # fmt: skip
    patterns = tuple(needs._words(config.get("python_files", ""))) or DEFAULT_FILES
    searched = [p for p in configured if (folder / p).is_dir()] or roots or inside
    odd = _unmatched(folder, searched, patterns)
    dirs, why = [*(roots or inside)], [f"testpaths in {where}"] if "testpaths" in config else []
    if inside:
        why.append("tests inside the package")
    if odd:
        why.append(f"unittest modules pytest's python_files miss: {', '.join(odd[:3])}"
                   + (", ..." if len(odd) > 3 else ""))  # fmt: skip
    doctests = any(
        w.startswith("--doctest-modules") for w in needs._words(config.get("addopts", ""))
    )
    if doctests and dirs:
        own = packages(folder)
        dirs = [*own, *(d for d in dirs if not any(d.startswith(f"{o}/") for o in own))]
        why.append(f"doctests of its modules (--doctest-modules in {where})")
    words = [d for d in dirs if PLAIN.fullmatch(d)]
    if odd and searched:
        names = sorted({Path(o).name for o in odd} - set(patterns))
        words += ["-o", f"python_files={' '.join([*patterns, *names])}"]
    else:
        words += [o for o in odd if PLAIN.fullmatch(o)]  # at the root: given by its path
    return tuple(words), "; ".join(why)
