"""One module per command, named after it: its parser (``add_parser``) and its handler."""

from harness.commands import (
    audit,
    bisect,
    clean,
    gate,
    list,
    lock,
    merge,
    plan,
    probe,
    report,
    run,
    suggest,
    survey,
)  # fmt: skip

COMMANDS = (
    run,
    probe,
    lock,
    list,
    report,
    gate,
    audit,
    suggest,
    bisect,
    plan,
    merge,
    clean,
    survey,
)
