"""What tox said of a project's config, remembered until anything it could depend on changes.

Reading a config through tox (``tox config``) starts a Python and tox each time, about a second.
An answer is kept in the harness's cache (``tox-config/``) under a key of everything it can
depend on, so an unchanged project is read once:

- the project's path, and the bytes of each config file tox may read there (``CONFIG_FILES``),
  of a config the command names (``-c``), of tox's user-level config, and of each file their
  ``-r``/``-c`` lines name;
- the tox command and its arguments, and the plan the harness's plugin reads;
- the environment (every variable: a config reads ``{env:NAME}``, tox reads ``TOX_*``), less
  the shell's own bookkeeping (``VOLATILE``: where it was started, which tox runs in the project);
- what is installed beside tox (its plugins: the distributions in this Python's site folders
  and the project's), the Python, and the harness's plugin.

Only an answer tox gave with exit 0 is kept; an entry is read back within bounds (it lies on
disk, where anything may change it) and one that does not read as written is not used.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import site
import sys
from pathlib import Path

from harness import __version__, bounded
from harness.errors import StorageError
from harness.files import write_atomic
from harness.store import cache_home

CONFIG_FILES = ("tox.ini", "tox.toml", "pyproject.toml", "setup.cfg")
VOLATILE = frozenset({"_", "PWD", "OLDPWD", "SHLVL", "PYTEST_CURRENT_TEST"})
FORMAT = 1
DISTRIBUTIONS = (".dist-info", ".egg-info")
KEPT = 256  # entries; the oldest go first
MAX_ENTRY_BYTES = 16 * 1024**2
_NAMED = re.compile(r"(?:^|[\s\"'=])-[rc]\s*([^\s\"',\]]+)", re.M)
_PLUGIN = Path(__file__).resolve().parent.parent / "tox_plugin.py"


def folder() -> Path:
    return cache_home() / "tox-config"


def _file(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "absent"


def _installed(project: Path) -> list:
    """The distributions importable beside tox, by name and version (their folders' names):
    those of the project's folder (tox runs there) and of this Python's site folders
    (``PYTHONPATH`` is in the environment), whichever way the harness itself was started."""
    found = []
    user = [site.getusersitepackages()] if site.ENABLE_USER_SITE else []
    for entry in [str(project), *site.getsitepackages(), *user]:
        try:
            names = sorted(n for n in os.listdir(entry or ".") if n.endswith(DISTRIBUTIONS))
        except OSError:
            continue
        if names:
            found.append([os.path.abspath(entry), names])
    return found


def user_config() -> Path:
    """tox's user-level config file (its defaults for every project), where tox looks for it."""
    given = os.environ.get("TOX_USER_CONFIG_FILE")
    if given:
        return Path(given)
    from platformdirs import user_config_dir  # tox's own dependency, and tox's own way

    return Path(user_config_dir("tox")) / "config.ini"


def key(project: Path, command: tuple, arguments: list, plan: dict = None) -> str:
    """The digest of everything ``tox`` run as ``command`` with ``arguments`` in ``project``
    could answer from (see the module's words)."""
    project = Path(project).resolve()
    named = [project / name for name in CONFIG_FILES]
    named += [Path(command[i + 1]) for i, word in enumerate(command[:-1]) if word == "-c"]
    named.append(user_config())
    files = {}
    for path in named:
        files[str(path)] = digest = _file(path)
        if digest != "absent":
            text = path.read_text(errors="replace")
            for include in _NAMED.findall(text):
                files.setdefault(str(path.parent / include), _file(path.parent / include))
    environment = sorted((k, v) for k, v in os.environ.items() if k not in VOLATILE)
    words = [FORMAT, __version__, sys.version, str(project), list(command), list(arguments),
             plan or {}, files, environment, _installed(project), _file(_PLUGIN)]  # fmt: skip
    return hashlib.sha256(json.dumps(words).encode()).hexdigest()


def recall(digest: str):
    """The answer kept under ``digest``, or None (none kept, or one that does not read back)."""
    path = folder() / f"{digest}.json"
    try:
        entry = bounded.load_json(path, MAX_ENTRY_BYTES)
    except (OSError, ValueError):
        return None
    if (
        not isinstance(entry, dict)
        or entry.get("format") != FORMAT
        or entry.get("key") != digest
        or not isinstance(entry.get("answer"), str)
    ):
        return None
    return entry["answer"]


def keep(digest: str, answer: str) -> None:
    """Keep ``answer`` under ``digest``, written whole; the oldest entries past ``KEPT`` go. A
    cache that cannot be written only costs the next run its reading."""
    home = folder()
    try:
        write_atomic(home / f"{digest}.json",
                     json.dumps({"format": FORMAT, "key": digest, "answer": answer}))  # fmt: skip
        entries = sorted(home.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-KEPT]:
            old.unlink(missing_ok=True)
    except (StorageError, OSError):
        pass
