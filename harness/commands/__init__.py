"""One module per command, named after it: its parser (``add_parser``) and its handler.

A command's module is imported when that command runs (``modules``): starting one command does
not import what every other one needs."""

import importlib

NAMES = (
    "run", "probe", "lock", "list", "report", "gate", "audit", "suggest", "bisect", "plan",
    "merge", "clean", "survey",
)  # fmt: skip


def modules(names: tuple = NAMES) -> tuple:
    """The modules of the commands ``names``, in that order."""
    return tuple(importlib.import_module(f"harness.commands.{name}") for name in names)


def __getattr__(name: str):
    if name == "COMMANDS":  # every command's module
        return modules()
    raise AttributeError(name)
