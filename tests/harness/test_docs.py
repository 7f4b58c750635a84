"""The documentation site builds with no warning (Sphinx -W -n: every internal link and heading
anchor resolves), and its command-line reference, read from the parser, holds every command and
option of `harness --help`."""

import argparse
import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import build_parser
from harness.errors import EXIT_CODES
from harness.stages.signatures import BUILTIN

pytestmark = pytest.mark.integration  # Sphinx builds the whole site (seconds)

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going",
                           "-n", "-q", "-E", str(DOCS), str(out)],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    return out


def text_of(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def test_every_command_and_option_of_the_parser_is_in_the_reference(site):
    reference = text_of(site / "reference" / "cli.html")
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        assert f"harness {name}" in reference, name
        for action in sub._actions:
            for flag in action.option_strings:
                assert flag in reference, (name, flag)
        assert sub.epilog.splitlines()[1].strip() in reference, name  # its first example


def test_the_exit_codes_and_signatures_are_the_code_s(site):
    codes = text_of(site / "reference" / "exit-codes.html")
    assert all(meaning in codes for meaning in EXIT_CODES.values())
    signatures = text_of(site / "reference" / "signatures.html")
    assert all(signature.id in signatures for signature in BUILTIN)


def test_the_readme_s_links_into_the_site_lead_to_pages_it_built(site):
    readme = (DOCS.parent / "README.md").read_text()
    linked = re.findall(r"\]\(docs/([^)#]+)\.md(?:#[^)]*)?\)", readme)
    assert linked and all((site / f"{page}.html").exists() for page in linked), linked
