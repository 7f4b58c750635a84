"""The README is short and true: at most 200 lines besides the survey's folded rows; its run and gate output is the tested
getting-started page's; its exit codes are the code's; its links into the docs lead to pages."""

import re
from pathlib import Path

from harness.errors import EXIT_CODES
from tests.harness.test_getting_started import PAGE, sessions

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


FOLDED = re.compile(r"<details>.*?</details>", re.S)


def test_the_readme_is_at_most_200_lines_besides_what_it_folds():
    """A ``<details>`` block (the survey's rows) is shown folded: a reader scrolls past one line."""
    assert len(FOLDED.sub("", README).splitlines()) <= 200
    assert len(README.splitlines()) <= 300


def test_it_shows_the_numpy_2_survey_s_rows():
    """Each row of the survey's table is a release on the list it was run from."""
    listed = {line.split("#")[0].strip() for line in
              (ROOT / "benchmarks" / "numpy2-projects.txt").read_text().splitlines()}  # fmt: skip
    folded = "".join(FOLDED.findall(README))
    rows = re.findall(r"^\| ([\w.-]+) \| ([\w.!+-]+) \|", folded, re.M)[1:]
    assert len(rows) >= 50
    assert {f"{name}=={version}" for name, version in rows} == listed - {""}


def test_its_run_and_gate_output_is_the_getting_started_page_s():
    """The page's commands are run by the integration tier; the README shows the same ones."""
    page = dict(sessions(PAGE.read_text()))
    shown = [(command, lines) for command, lines in sessions(README) if "--project demo" in command]
    assert len(shown) == 3
    for command, lines in shown:
        assert page.get(command) == lines, command


def test_its_exit_codes_are_the_code_s():
    assert [int(code) for code in re.findall(r"^\| (\d+) \|", README, re.M)] == list(EXIT_CODES)


def test_its_links_lead_to_files():
    links = re.findall(r"\]\(((?:docs/|CHANGELOG)[^)#]*)", README)
    assert len(links) > 15 and all((ROOT / link).is_file() for link in links), links
