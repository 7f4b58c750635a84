"""The CLI a newcomer meets: every command and option explains itself; --version answers."""

import pytest

from harness import __version__
from harness.cli import build_parser, main


def subparsers():
    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return commands.choices


@pytest.mark.parametrize("name", sorted(subparsers()))
def test_every_command_and_option_has_help(name):
    parser = subparsers()[name]
    assert parser.description and len(parser.description) > 40
    undocumented = [a.dest for a in parser._actions if not a.help and a.dest != "help"]
    assert undocumented == []


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"harness {__version__}"


def test_a_command_imports_its_own_module_and_not_tox():
    """Start-up is paid by every cell of a probe or a bisect: a command's run imports neither
    the other commands' modules nor tox (the cells' tox runs in a process of its own)."""
    import subprocess
    import sys

    code = (
        "import sys; from harness.cli import build_parser; build_parser('list'); "
        "print(sorted(m for m in sys.modules if m.startswith(('harness.commands.', 'tox'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['harness.commands.list']"
    assert sorted(subparsers()) == sorted(__import__("harness.commands").commands.NAMES)
