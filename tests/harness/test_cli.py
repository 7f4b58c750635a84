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
