"""Help for humans: every command's --help says what it does in plain words, ends with examples
that parse as that command's arguments, and lists the exit codes it can return, explained by
the one table in harness/errors.py."""

import argparse
import re
import shlex

import pytest

from harness.cli import build_parser
from harness.commands import COMMANDS
from harness.errors import EXIT_CODES

PARSER = build_parser()
SUBCOMMANDS = next(a for a in PARSER._actions if isinstance(a, argparse._SubParsersAction))
NAMES = list(SUBCOMMANDS.choices)
INTERNAL = re.compile(
    r"``|`|\b(?:stages|gate|survey|report|commands)\.[a-z_]+\b|\bremedy\b|harness/"
)


def help_of(name: str) -> str:
    return SUBCOMMANDS.choices[name].format_help()


@pytest.mark.parametrize("name", NAMES)
def test_help_has_no_markup_or_module_names(name):
    text = help_of(name)
    found = [m.group(0) for m in INTERNAL.finditer(text)]
    assert found == [] or set(found) <= {"survey.json", "gate.json"}, found


@pytest.mark.parametrize("name", NAMES)
def test_help_ends_with_examples_that_parse_and_the_exit_codes(name):
    text = help_of(name)
    examples = text.split("\nexamples:\n", 1)[1].split("\n\nexit codes:\n", 1)[0].splitlines()
    assert examples, text
    for example in examples:
        words = shlex.split(example)
        assert words[:2] == ["harness", name], example
        ours = words[1 : words.index("--")] if "--" in words else words[1:]  # the rest is tox's
        PARSER.parse_args(ours)  # an example that does not parse exits 2 here
    codes = re.findall(r"^  (\d+) +(\S.*)$", text.split("\nexit codes:\n", 1)[1], re.M)
    module = next(m for m in COMMANDS if m.__name__.endswith(f".{name}"))
    assert [int(code) for code, _ in codes] == list(module.EXITS)
    for code, first_line in codes:
        assert EXIT_CODES[int(code)].startswith(first_line.strip()), (code, first_line)
    assert {0, 2, 3, 130} <= set(module.EXITS) <= set(EXIT_CODES)


def test_the_top_level_help_names_every_command():
    text = PARSER.format_help()
    assert all(name in text for name in NAMES) and not INTERNAL.search(text)
