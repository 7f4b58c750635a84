"""The tox a project is run with: the harness's own, or one provisioned for its ``requires``.

When the tox that runs lacks what ``[tox] requires`` names, tox provisions itself: it builds
``.tox/.tox`` and runs again inside it, where the harness's plugin is absent. The harness
provisions instead, the same way: a venv with the project's ``requires`` and the tox and
tox-uv it needs, plus its own plugin, kept in the harness's cache under a key of that
requirement set and shared by every project that asks for it. When uv proves the project's
``requires`` impossible beside the tox the harness needs, the error names the entries at fault.
Entries that cannot reach the envs uv builds (``UNREACHING``: a virtualenv bound, a tox 3 plugin
that picks envs in CI) are left out, tox told so (``-x tox.requires=``), and each result says so.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from harness import processes
from harness.errors import ConfigError, ToolError
from harness.files import exclusive
from harness.stages import generated, toxread
from harness.stages.lock import uv_binary
from harness.store import cache_home

NEEDED = ("tox>=4.29", "tox-uv>=1.36")  # constraints (4.28), tox_extend_envs (4.29)
PLUGIN = "harness_tox_plugin"
READY = ".harness-tox-host"  # written last: a host without it is half-built


def own_tox() -> tuple:
    return (sys.executable, "-m", "tox")


UNREACHING = {  # requires entries that cannot reach the envs the harness has uv build
    "virtualenv": "the harness builds envs with uv, so a virtualenv bound does not reach them",
    "tox-gh-actions": "a tox 3 plugin that picks envs in CI; the harness picks its own",
    "tox-travis": "a tox 3 plugin that picks envs in CI; the harness picks its own",
}


def tox_command(project: Path) -> tuple:
    """The command that runs tox for ``project``: ``(python, "-m", "tox", ...)``, and for a
    project without a tox config, the arguments that point tox at the one the harness wrote."""
    return (*_provisioned(project)[0], *generated.tox_arguments(project))


def force(project: Path, setup, text: str = "") -> None:
    """``generated.force``, and what was remembered of the project's tox forgotten."""
    if generated.force(project, setup, text):
        _provisioned.cache_clear()


def notices(project: Path) -> list:
    """One line per ``requires`` entry the run left out (``UNREACHING``), and why."""
    return _provisioned(project)[1]


@functools.lru_cache(maxsize=None)
def _provisioned(project: Path) -> tuple:
    missing = None if generated.tox_arguments(project) else missing_requires(project)
    if missing is None:
        return own_tox(), []
    kept = [entry for entry in missing if _unreaching(entry) is None]
    left_out = [f"[tox] requires {entry} left out: {_unreaching(entry)}"
                for entry in missing if _unreaching(entry) is not None]  # fmt: skip
    if not left_out:
        return (str(host(missing)), "-m", "tox"), []
    override = ("-x", "tox.requires=" + "\n".join(kept))  # tox reads its requires without them
    if missing_requires(project, override) is None:
        return (*own_tox(), *override), left_out
    return (str(host(kept)), "-m", "tox", *override), left_out


def _unreaching(entry: str):
    """Why ``entry`` cannot matter to the run, or None."""
    try:
        return UNREACHING.get(canonicalize_name(Requirement(entry).name))
    except InvalidRequirement:
        return None


def missing_requires(project: Path, override: tuple = ()):
    """The project's ``requires`` when the harness's tox lacks some of them, else None (an
    answer remembered while nothing it depends on changes: ``toxread``)."""
    digest = toxread.key(project, (*own_tox(), *override), ["--no-provision", "requires"])
    if toxread.recall(digest) == "":
        return None
    with tempfile.TemporaryDirectory(prefix="harness-requires-") as folder:
        answer = Path(folder) / "requires.json"
        command = [*own_tox(), *override, "--no-provision", str(answer),
                   "--workdir", str(Path(folder) / "w"), "config", "--core", "-k", "requires"]  # fmt: skip
        try:
            done = processes.run(command, timeout=300, cwd=project)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ToolError(f"cannot run tox: {exc}") from exc
        if done.returncode == 0:
            toxread.keep(digest, "")
        if done.returncode == 0 or not answer.is_file():
            return None  # nothing to provision, or a config error that reading it reports
        return list(json.loads(answer.read_text()).get("requires", []))


def host(requires: list) -> Path:
    """The Python of a venv holding ``requires``, the tox the harness needs, and its plugin."""
    wanted = sorted(set(requires) | set(NEEDED))
    key = hashlib.sha256(json.dumps([wanted, sys.version]).encode()).hexdigest()[:16]
    home = cache_home() / "tox-hosts" / key
    if (home / READY).is_file():
        return home / "bin" / "python"
    with exclusive(
        cache_home() / "locks" / f"tox-host-{key}.lock"
    ):  # another run building it: wait, then use it
        if not (home / READY).is_file():
            home.parent.mkdir(parents=True, exist_ok=True)
            building = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=home.parent))
            try:
                _build(building, wanted, requires)
                if home.is_symlink() or home.is_file():
                    home.unlink()
                elif home.exists():  # half-built by a killed run: no READY, so never used
                    shutil.rmtree(home)
                os.replace(building, home)  # a host with READY is never replaced or removed
            finally:
                shutil.rmtree(building, ignore_errors=True)
    return home / "bin" / "python"


def _build(folder: Path, wanted: list, requires: list) -> None:
    uv = uv_binary()
    python = folder / "bin" / "python"
    processes.run([uv, "venv", "--quiet", "--python", sys.executable, str(folder)], timeout=300)
    done = processes.run([uv, "pip", "install", "--python", str(python), *wanted], timeout=1200)
    if done.returncode != 0:
        if "No solution found" in done.stderr:
            raise ConfigError(_conflict(uv, requires, done.stderr))
        raise ToolError("cannot provision tox for [tox] requires: " + _last_line(done.stderr))
    _install_plugin(python)
    (folder / READY).write_text(json.dumps({"requires": wanted}) + "\n")


def _install_plugin(python: Path) -> None:
    """The harness's tox plugin, with the probe it installs, as a distribution of its own."""
    site = processes.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        timeout=60,
    ).stdout.strip()  # fmt: skip
    package = Path(site) / PLUGIN
    source = Path(__file__).parent.parent  # harness/
    package.mkdir()
    shutil.copyfile(source / "tox_plugin.py", package / "__init__.py")
    shutil.copytree(source / "_probe", package / "_probe",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    info = Path(site) / f"{PLUGIN}-1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PLUGIN}\nVersion: 1\n")
    (info / "entry_points.txt").write_text(f"[tox]\nharness = {PLUGIN}\n")


def _conflict(uv: str, requires: list, reason: str) -> str:
    """Which ``requires`` entries cannot stand beside the tox the harness needs."""
    at_fault = []
    for entry in requires:
        try:
            if (
                canonicalize_name(Requirement(entry).name) == "tox"
                and not Requirement(entry).specifier
            ):
                continue
        except InvalidRequirement:
            at_fault.append(entry)
            continue
        alone = processes.run([uv, "pip", "compile", "--quiet", "-"], timeout=300,
                              input="\n".join([entry, *NEEDED]) + "\n")  # fmt: skip
        if alone.returncode != 0:
            at_fault.append(entry)
    named = ", ".join(at_fault or requires)
    return (
        f"[tox] requires {named}: it cannot be installed beside {' and '.join(NEEDED)}, "
        f"which the harness runs ({_last_line(reason)}); relax that entry"
    )


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
