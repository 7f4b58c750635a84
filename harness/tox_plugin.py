"""The harness's tox plugin: it configures each cell's env and installs the probe into it.

tox loads it through its ``tox`` entry point. It does nothing unless the harness started
tox with ``HARNESS_TOX_CELL`` naming a cell plan (JSON), so a plain ``tox`` run in the same
environment is unaffected. The plan gives:

- ``cells``: ``{env name: settings}``. ``base`` names the env an ad-hoc cell takes its
  settings from (tox is told the name exists); ``set`` replaces settings and ``add``
  appends to them, each as tox's own ``-x`` override would. The overrides are handed to
  tox under the env's own section, whichever the format (tox.ini, tox.toml,
  ``[tool.tox]``), so every format is configured alike and no path is split by a shell;
- ``sessions``: the folder the probe writes each pytest session's record into;
- ``watch``: packages whose installed versions each session records, besides the probe's own;
- ``past_collection_errors``: pytest runs the collected tests when a module fails to collect;
- ``by_name``: tox builds only the envs ``-e`` names (``build_only_named_envs``).

The probe is installed the way pytest looks for plugins: a ``pytest11`` entry point. Its
module and metadata go into ``{env_dir}/.harness-probe``, and a ``.pth`` file in the env's
site-packages puts that folder on ``sys.path`` while the env's commands run.

This module imports nothing of the harness: the harness copies it, with ``_probe/``, into a
tox it provisions for a project's ``requires``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pluggy

impl = pluggy.HookimplMarker("tox")  # tox.plugin's own marker, without importing all of tox

PLAN_VARIABLE = "HARNESS_TOX_CELL"
PROBE_SOURCE = Path(__file__).parent / "_probe" / "harness_probe.py"
STACK_CHECKS = Path(__file__).parent / "_probe" / "stack_checks.py"  # what `harness probe` runs
PTH_NAME = "_harness_probe.pth"
PROBE_HOME = ".harness-probe"  # in the env's folder: the probe, its metadata and its config
METADATA = "Metadata-Version: 2.1\nName: harness-probe\nVersion: 1\n"
ENTRY_POINTS = "[pytest11]\nharness_probe = harness_probe\n"


def _plan() -> dict:
    path = os.environ.get(PLAN_VARIABLE)
    if not path:
        return {}
    return json.loads(Path(path).read_text(encoding="utf-8"))


@impl
def tox_extend_envs() -> list:
    return [name for name, cell in _plan().get("cells", {}).items() if cell.get("base")]


def overrides(cell: dict, base_sections: list) -> list:
    """tox ``Override`` objects for one cell's settings (``base_sections``: where an ad-hoc
    cell's base env inherits from, as tox names them for this format)."""
    from tox.config.loader.api import Override

    found = []
    if cell.get("base"):
        found.append(Override("base=" + "\n".join([cell["base"], *base_sections])))
    found += [Override(f"{key}={value}") for key, value in cell.get("set", {}).items()]
    found += [Override(f"{key}+={value}") for key, values in cell.get("add", {}).items()
              for value in values]  # fmt: skip
    return found


def build_only_named_envs() -> bool:
    """Have ``tox run -e NAME`` build NAME's env (and its packaging envs) alone.

    To select the envs of ``-e``, tox builds every env env_list, the config's sections and
    ``labels`` name (105 in the harness's own matrix, 0.09 s), active or not, to tell which of
    them are another's packaging env. A cell is one env the harness selected by name from
    the run envs: the envs tox builds besides it change none of its settings and are never
    run. So, in a cell's tox, the names tox collects stop after those ``-e`` gives (checked
    as tox checks them). Only where tox's selector has the method this relies on (tox 4);
    returns whether it does."""
    try:
        from tox.session.env_select import EnvSelector
    except ImportError:
        return False
    collect = getattr(EnvSelector, "_collect_names", None)
    if collect is None or getattr(collect, "harness", False):
        return collect is not None

    def collect_names(self):
        for names, active in collect(self):
            yield names, active
            given = getattr(self, "_cli_envs", None)
            if names is given and given is not None and not given.is_all:
                return

    collect_names.harness = True
    EnvSelector._collect_names = collect_names
    return True


@impl
def tox_add_core_config(core_conf, state) -> None:
    plan = _plan()
    if plan.get("by_name"):
        build_only_named_envs()
    cells = plan.get("cells", {})
    if not cells:
        return
    source = getattr(state.conf, "_src", None)
    if source is None or not hasattr(source, "get_tox_env_section"):
        raise RuntimeError("the harness's tox plugin does not know this tox's config source")
    for name, cell in cells.items():
        section = source.get_tox_env_section(name)[0]
        base_sections = source.get_tox_env_section(cell["base"])[1] if cell.get("base") else []
        state.conf.overrides[section.key].extend(overrides(cell, base_sections))


def install_probe(env_dir: Path, site_packages: Path, sessions: Path, watch: list = (),
                  past_collection_errors: bool = False) -> Path:  # fmt: skip
    """Put the probe where pytest finds it in this env; returns the ``.pth`` file."""
    home = env_dir / PROBE_HOME
    shutil.rmtree(home, ignore_errors=True)
    info = home / "harness_probe-1.dist-info"
    info.mkdir(parents=True)
    shutil.copyfile(PROBE_SOURCE, home / PROBE_SOURCE.name)
    shutil.copyfile(STACK_CHECKS, home / STACK_CHECKS.name)
    (home / "pytest.ini").write_text(
        "[pytest]\n", encoding="utf-8"
    )  # the checks run with no config of the project
    (info / "METADATA").write_text(METADATA, encoding="utf-8")
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    config = {"sessions": str(sessions), "watch": list(watch),
              "past_collection_errors": past_collection_errors}  # fmt: skip
    (home / "harness-probe.json").write_text(json.dumps(config), encoding="utf-8")
    sessions.mkdir(parents=True, exist_ok=True)
    pth = site_packages / PTH_NAME
    pth.write_text(str(home) + "\n", encoding="utf-8")
    return pth


def _site_packages(tox_env) -> Path | None:
    try:
        return Path(tox_env.env_site_package_dir())
    except (AttributeError, NotImplementedError):  # not a Python env
        return None


@impl
def tox_before_run_commands(tox_env) -> None:
    plan = _plan()
    sessions = plan.get("sessions")
    site_packages = _site_packages(tox_env)
    if site_packages is None:
        return
    (site_packages / PTH_NAME).unlink(missing_ok=True)  # left by a run that was killed
    if sessions:
        install_probe(Path(tox_env.env_dir), site_packages, Path(sessions), plan.get("watch", []),
                      bool(plan.get("past_collection_errors")))  # fmt: skip
        _load_without_autoload(tox_env.environment_variables)


def _load_without_autoload(variables: dict) -> None:
    """A project that turns pytest's plugin autoload off still gets the probe, by name."""
    if variables.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        variables["PYTEST_ADDOPTS"] = (
            f"{variables.get('PYTEST_ADDOPTS', '')} -p harness_probe".strip()
        )


@impl
def tox_after_run_commands(tox_env, exit_code, outcomes) -> None:
    site_packages = _site_packages(tox_env)
    if site_packages is not None and _plan().get("sessions"):
        (site_packages / PTH_NAME).unlink(missing_ok=True)
