"""compat.html in a real headless browser (Chromium): the grid, the details, #CELL links.

A copy of the page gets a checking script appended. Chromium loads it, the page's own
script runs, the check clicks a cell and measures the layout, and ``--dump-dom`` returns
the document with the findings in ``<pre id="check">``.
"""

import html
import json
import os
import shutil
import subprocess

import pytest

from harness.model import Cell, CellResult, Counts, Failure
from harness.report import compat as reports
from harness.report.html import render_html

BROWSER = next(
    filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
)
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
pytestmark = pytest.mark.integration  # a real browser

TORCH = ["2.0.1", "2.1.2", "2.2.2", "2.3.1", "2.4.1", "2.5.1", "2.6.0", "2.7.1", "2.8.0", "2.9.1",
         "2.10.0", "2.11.0", "2.12.1", "2.13.0", "2.14.1", "2.15.0"]  # fmt: skip
NUMPY = ["1.26.4", "2.0.2", "2.2.6", "2.4.6"]
HOSTILE = '<img src=x onerror="document.title=1"> [x](javascript:alert(1)) \x1b[31mred'

CHECK = """
<script>(() => {
const grid = document.querySelector('table.grid');
const cells = [...grid.querySelectorAll('.cell')];
const overflowing = cells.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.dataset.cell);
const linked = document.querySelector('#details h2') ? document.querySelector('#details h2').textContent : '';
cells.find(c => c.dataset.cell === 'torch2.0.1-numpy1.26.4').click();
const clicked = document.querySelector('#details h2').textContent;
const fontPx = Math.min(...cells.map(c => parseFloat(getComputedStyle(c).fontSize)));
const failures = document.querySelector('section.failures');
const found = {
  cells: cells.length, overflowing, linked, clicked, fontPx, gridWidth: grid.offsetWidth,
  pageWidth: document.documentElement.clientWidth, scripts: document.scripts.length,
  images: document.images.length, hash: location.hash,
  stacked: [...grid.querySelectorAll('td.square')].filter(td => td.children.length > 1).length,
  failuresListed: [...failures.querySelectorAll('li a')].map(a => a.textContent),
  failuresBottom: failures.getBoundingClientRect().bottom, screen: window.innerHeight,
  failuresAboveGrid: failures.getBoundingClientRect().bottom <= grid.getBoundingClientRect().top,
};
failures.querySelector('a[href="#torch2.0.1-numpy2.0.2"]').click();
setTimeout(() => {  // the link changes the #CELL; the page follows it
  found.fromList = document.querySelector('#details h2').textContent;
  const out = document.createElement('pre');
  out.id = 'check';
  document.body.appendChild(out);
  out.textContent = JSON.stringify(found);
}, 200);
})();</script>
"""


def matrix_report():
    results = []
    for torch in TORCH:
        for numpy in NUMPY:
            name = f"torch{torch}-numpy{numpy}"
            broken = torch < "2.3" and numpy >= "2" and len(torch) == 5
            result = CellResult(
                Cell(name, {"torch": f"=={torch}", "numpy": f"=={numpy}"}),
                "fail" if broken else "pass",
                Counts(passed=63 if broken else 78, failed=15 if broken else 0, skipped=1),
                versions={"python": "3.11.7", "torch": torch, "numpy": numpy},
                failures=[Failure("tests/t.py::test_bridge", "numpy-bridge-unavailable", HOSTILE)]
                if broken else [],
            )  # fmt: skip
            results.append(result)
    twin = Cell(
        "torch21-numpy22-pandas20", {"torch": "==2.1.2", "numpy": "==2.2.6", "pandas": "==2.0.3"}
    )
    results.append(CellResult(twin, "unsatisfiable", versions={"torch": "2.1.2", "numpy": "2.2.6"}))
    return reports.build(results, "/x/torch-numpy-compat", [], False, {})


def chromium() -> str:
    """The browser; without one the test fails in CI (``.ci/run`` installs it) and skips elsewhere."""
    if BROWSER is None:
        if IN_CI:
            pytest.fail("no Chromium here, and CI is set: .ci/run must install it")
        pytest.skip("no Chromium here (.ci/run installs it)")
    return BROWSER


def browse(page, fragment=""):
    done = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--window-size=1400,1000", "--virtual-time-budget=5000",
         "--dump-dom", page.as_uri() + fragment],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    if '<pre id="check">' not in done.stdout:
        return None, done.stdout
    found = done.stdout.split('<pre id="check">', 1)[1].split("</pre>", 1)[0]
    return json.loads(html.unescape(found)), done.stdout


def test_a_64_cell_report_is_readable_and_every_cell_opens(tmp_path):
    page = tmp_path / "compat.html"
    page.write_text(render_html(matrix_report()).replace("</body>", CHECK + "</body>"))
    check, dom = browse(page, "#torch2.1.2-numpy2.2.6")
    assert check["cells"] == 65 and check["stacked"] == 1 and check["overflowing"] == []
    assert check["gridWidth"] <= check["pageWidth"] and check["fontPx"] >= 10
    assert check["linked"] == "torch2.1.2-numpy2.2.6: fail"  # the #CELL link opened its details
    assert check["clicked"] == "torch2.0.1-numpy1.26.4: pass"
    assert check["hash"] == "#torch2.0.1-numpy1.26.4"
    assert check["images"] == 0 and check["scripts"] == 3  # data, the page's script, the check
    assert len(check["failuresListed"]) == 10 and "torch2.1.2-numpy2.2.6" in check["failuresListed"]
    assert check["failuresAboveGrid"] and check["failuresBottom"] <= check["screen"]  # first screen
    assert check["fromList"] == "torch2.0.1-numpy2.0.2: fail"  # a listed cell opens its details


def test_test_output_stays_text_in_the_details(tmp_path):
    page = tmp_path / "compat.html"
    page.write_text(render_html(matrix_report()))
    _, dom = browse(page, "#torch2.1.2-numpy2.2.6")
    details = dom.split('id="details"', 1)[1].split('<script type="application/json"', 1)[0]
    assert details.count("tests/t.py::test_bridge") == 1
    assert "&lt;img src=x onerror=" in details and "<img" not in details
    assert "javascript:alert(1)" in details and "<a " not in details
    assert "numpy-bridge-unavailable" in details and "tests/t.py::test_bridge" in details


def test_the_details_say_which_of_the_project_s_requirements_the_pins_replaced(tmp_path):
    cell = Cell("py311-with_numpy2.2.6", {"numpy": "==2.2.6"},
                replaced=[{"package": "numpy", "was": "numpy<2",
                           "in": "pyproject.toml [project.dependencies]"}],
                unhashed=["requirements.txt"])  # fmt: skip
    result = CellResult(cell, "pass", Counts(passed=1), versions={"numpy": "2.2.6"})
    page = tmp_path / "compat.html"
    page.write_text(render_html(reports.build([result], "/x/capped", [], False, {})))
    _, dom = browse(page, "#py311-with_numpy2.2.6")
    details = dom.split('id="details"', 1)[1].split('<script type="application/json"', 1)[0]
    assert ("the pins replaced numpy&lt;2 (pyproject.toml [project.dependencies]); "
            "hashes not checked: requirements.txt") in details  # fmt: skip


def test_a_cell_s_details_say_each_thing_once_in_words(tmp_path):
    """Pins as requirements (not JSON), no empty ``log:``, and a failure's evidence once: the
    detail's ``E`` line that repeats it is left out, the line pytest stopped at is kept."""
    evidence = "AttributeError: `np.float_` was removed in the NumPy 2.0 release."
    failure = Failure("tests/t.py::test_alias", "numpy2-removed-name", evidence,
                      detail=">       assert np.float_(1.5) == 1.5\nE       " + evidence)  # fmt: skip
    result = CellResult(Cell("py-with_numpy2.2.6", {"numpy": "==2.2.6"}), "fail",
                        Counts(passed=1, failed=1), versions={"python": "3.11.7"},
                        failures=[failure])  # fmt: skip
    page = tmp_path / "compat.html"
    page.write_text(render_html(reports.build([result], "/x/demo", [], False, {})))
    _, dom = browse(page, "#py-with_numpy2.2.6")
    details = html.unescape(
        dom.split('id="details"', 1)[1].split('<script type="application', 1)[0]
    )
    assert "pins: numpy==2.2.6 · lock: none</p>" in details and "log:" not in details
    assert "{" not in details and details.count(evidence) == 1
    assert ">       assert np.float_(1.5) == 1.5" in details
    assert "1 failing test<" in details
