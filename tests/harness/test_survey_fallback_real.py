"""``harness survey``'s plain-pytest fallback on a real sdist from the index: packaging-legacy
23.0.post0 ships tests/ but no tox config, test extra, dependency group or requirements file;
its tests import ``pretend``, which the fallback installs beside pytest (without it, collection
fails and the project is not measurable)."""

import configparser
import json
import subprocess
import sys

import pytest

from harness.survey import output

PROJECT = "packaging-legacy==23.0.post0"
CELLS = ["--with", "packaging==23.2", "--with", "packaging==25.0", "--python", "3.11"]


@pytest.mark.integration
def test_a_project_without_a_test_extra_is_measured_with_the_guessed_setup(tmp_path):
    reports = tmp_path / "survey"
    done = subprocess.run(
        [sys.executable, "-m", "harness", "survey", PROJECT, *CELLS, "--reports", str(reports)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    row = output.check(json.loads((reports / "survey.json").read_text()))["rows"][0]
    assert row["outcome"] == "works", row
    setup = row["setup"]
    assert (setup["kind"], setup["deps"], setup["generated"]) == ("pytest", ["pretend"], True)
    assert setup["why"] == ["pretend: import pretend in tests/test_version.py"]
    assert setup["describe"].startswith("guessed: pytest, pretend for tests/")
    tox_ini = reports / "projects" / "packaging-legacy-23.0.post0" / "src" / "tox.ini"
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(tox_ini)
    assert parser.get("testenv", "deps").split() == ["pytest", "pretend"]
    for cell in row["cells"]:
        assert cell["tests"]["passed"] > 7000 and cell["tests"]["failed"] == 0, cell
