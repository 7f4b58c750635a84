"""A real survey of a small project, served as an sdist by a local index, that declares itself
incompatible with the change (``packaging<25``) and keeps its unittest suite in
``tests/tests.py``, a name pytest's defaults never collect: the row is ``declares-incompatible``,
its cap measured not needed (the change installed over it with uv's overrides), and the
unittest module's tests counted beside the default-named module's. Real tox, tox-uv, uv."""

from __future__ import annotations

import io
import tarfile

import pytest

from .test_survey_limits import CELLS, FINE_TESTS, Index, environment, rows_of, sdist, survey

UNITTEST = """\
import unittest

import packaging


class TestVersions(unittest.TestCase):
    def test_one(self):
        self.assertTrue(packaging.__version__)

    def test_two(self):
        self.assertIn(packaging.__version__, ("24.2", "25.0"))

    def test_three(self):
        self.assertEqual(1 + 1, 2)
"""


def with_member(filename: str, data: bytes, path: str, text: str) -> tuple:
    """The sdist with one more file in it."""
    source, buffer = tarfile.open(fileobj=io.BytesIO(data)), io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for member in source.getmembers():
            archive.addfile(member, source.extractfile(member))
        added = tarfile.TarInfo(f"{filename.removesuffix('.tar.gz')}/{path}")
        added.size, added.mode, added.mtime = len(text.encode()), 0o644, 1_700_000_000
        archive.addfile(added, io.BytesIO(text.encode()))
    return filename, buffer.getvalue()


@pytest.mark.integration
def test_a_declared_cap_is_measured_and_a_unittest_module_is_counted(tmp_path):
    index = Index()
    try:
        index.add("capped", "1.0", *with_member(
            *sdist("capped", FINE_TESTS, dependencies=("packaging>=24,<25",)),
            "tests/tests.py", UNITTEST))  # fmt: skip
        reports = tmp_path / "survey"
        done = survey(environment(index, tmp_path), tmp_path, "capped", *CELLS, "--reports",
                      str(reports), "--timeout", "60")  # fmt: skip
    finally:
        index.close()
    assert done.returncode == 0, done.stdout + done.stderr  # a declared cap is an answer
    doc, rows = rows_of(reports)
    row = rows["capped"]
    assert (row["outcome"], row["cap"]) == ("declares-incompatible", "cap not needed"), row
    assert row["declared_caps"] == [{"package": "packaging", "requirement": "packaging<25,>=24",
                                     "where": "PKG-INFO Requires-Dist", "excludes": "packaging==25.0"}]  # fmt: skip
    control, change = row["cells"]
    assert (control["versions"]["packaging"], change["versions"]["packaging"]) == ("24.2", "25.0")
    for cell in (control, change):  # 2 tests in tests/test_capped.py, 3 in tests/tests.py
        assert (cell["verdict"], cell["tests"]["passed"], cell["tests"]["total"]) == ("pass", 5, 5)
    assert (
        "runs pytest tests -o 'python_files=test_*.py *_test.py tests.py'"
        in row["setup"]["describe"]
    )
    assert doc["summary"]["caps"] == {"cap not needed": 1}
    assert "capped 1.0: declares-incompatible" in done.stdout
