from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from harness.model import Cell
from harness.stages import collect
from harness.stages.verdicts import Evidence
from tests.harness import wheelhouse

FIXTURES = Path(__file__).parent / "fixtures"

TINY_TOX = """
[tox]
env_list = pkg{23,24}-ok
labels =
    odd = pkg24-{crash,empty}
[testenv]
package = skip
deps =
    pytest
    pkg23: packaging==23.2
    pkg24: packaging==24.1
    unsat: packaging>=99
set_env =
    crash: MODE=crash
    hang: MODE=hang
    fail: MODE=fail
    importerr: MODE=importerr
commands =
    !empty: pytest {toxinidir}/tests
    empty: pytest {toxinidir}/tests -k no_such_test
"""

TINY_TEST = """
import os
import time

import packaging

MODE = os.environ.get("MODE", "")


def test_one():
    if MODE == "crash":
        import ctypes

        ctypes.string_at(0)
    if MODE == "hang":
        time.sleep(600)
    if MODE == "importerr":
        from packaging import no_such_module  # noqa: F401
    assert MODE != "fail" or packaging.__version__.startswith("23"), f"packaging {packaging.__version__} too new"


def test_two():
    pass
"""


@pytest.fixture(scope="session")
def wheelhouse_url() -> str:
    """A local index of the small projects' real wheels (``wheelhouse``), for the session."""
    with wheelhouse.served(wheelhouse.filled()) as url:
        yield url


@pytest.fixture
def wheelhouse_index(wheelhouse_url, monkeypatch) -> str:
    """uv, pip and the harness install from the local index for this test, not the network."""
    for variable in ("UV_INDEX_URL", "PIP_INDEX_URL"):
        monkeypatch.setenv(variable, wheelhouse_url)
    for variable in ("UV_DEFAULT_INDEX", "UV_INDEX", "UV_EXTRA_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        monkeypatch.delenv(variable, raising=False)
    return wheelhouse_url


@pytest.fixture
def tiny_project(tmp_path, request) -> Path:
    """A small real project whose tox envs pass, fail, crash, hang or collect nothing; an
    integration test builds its envs from the local index (``wheelhouse``)."""
    if request.node.get_closest_marker("integration"):
        request.getfixturevalue("wheelhouse_index")
    project = tmp_path / "tiny"
    (project / "tests").mkdir(parents=True)
    (project / "tox.ini").write_text(textwrap.dedent(TINY_TOX))
    (project / "tests" / "test_tiny.py").write_text(TINY_TEST)
    return project


@pytest.fixture
def recorded(tmp_path):
    """A copy of a recorded cell directory (real files from real runs, paths anonymised).

    ``scripts/record_fixture.py`` records them from a run's folder (``runs/RUN/CELL``): tox's
    journal and log, the probe's sessions; ``cell.json`` holds the cell's settings.
    """

    def copy(name: str) -> Path:
        target = tmp_path / "recorded" / name
        shutil.copytree(FIXTURES / name, target)
        return target

    return copy


def recorded_cell(directory: Path) -> Cell:
    return Cell(**json.loads((directory / "cell.json").read_text()))


def recorded_evidence(directory: Path) -> Evidence:
    """What the pipeline collects from a run folder (``pipeline.run_one``), from a recorded one."""
    return Evidence(
        duration_s=12.3,
        journal=collect.journal(directory / "tox-result.json", recorded_cell(directory).name),
        sessions=collect.sessions(directory / "sessions"),
        log=collect.log_tail(directory / "tox.log"),
    )
