"""``harness``: measure which environments a project's tests pass in, gate changes to them.

Each command is a short pipeline of stages; a stage either returns the next value or the
CLI stops with a clear message and an exit code. Each command lives in its own module, which
adds its parser and names its handler.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

# Only the standard library above: main() takes the signals before the commands (and their
# dependencies) are imported, so Ctrl-C or SIGTERM at any instant is one line and exit 130.


def _interrupt(signum, frame):
    processes = sys.modules.get("harness.processes")
    if processes is not None:
        processes.LIVE.kill_all()  # whatever stage the run is in, its processes end now
    raise KeyboardInterrupt


def _take_signals() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)  # CI cancels jobs with SIGTERM


def build_parser(command: str = None):
    """The parser of every command; with ``command`` (one that exists), of that one alone."""
    import argparse

    from harness import commands as every

    wanted = (command,) if command in every.NAMES else every.NAMES

    parser = argparse.ArgumentParser(
        prog="harness",
        description="Measure which environments a project's tests pass in; gate changes to them.",
        epilog="Each command's --help shows examples and its exit codes.",
    )
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("compat-harness")
    except PackageNotFoundError:  # run from a checkout (PYTHONPATH), not installed
        from harness import __version__ as installed
    parser.add_argument("--version", action="version", version=f"harness {installed}")
    commands = parser.add_subparsers(dest="command", required=True)
    for module in every.modules(wanted):
        module.add_parser(commands)
        added = list(commands.choices.values())[-1]
        added.formatter_class = argparse.RawDescriptionHelpFormatter  # the epilog's lines stay
        added.description = _wrapped(module.DESCRIPTION)
        added.epilog = epilog(module.EXAMPLES, module.EXITS)
    return parser


def _wrapped(text: str, indent: str = "") -> str:
    import textwrap

    return textwrap.fill(text, 78, initial_indent=indent, subsequent_indent=indent)


def epilog(examples: tuple, exits: tuple) -> str:
    """A command's help ends with its examples and the exit codes it can return, each
    explained by the one table of ``harness.errors``."""
    from harness.errors import EXIT_CODES

    lines = ["examples:", *(f"  {example}" for example in examples), "", "exit codes:"]
    for code in exits:
        text = _wrapped(EXIT_CODES[code], " " * 7)
        lines.append(f"  {code:<4} {text.lstrip()}")
    return "\n".join(lines)


def _one_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def main(argv: list = None) -> int:
    _take_signals()  # first: a signal during the imports below is an interrupt too
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("harness: interrupted", file=sys.stderr)
        return 130  # errors.EXIT_INTERRUPTED, whose import a signal may have cut short


def _main(argv: list = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--") if "--" in argv else len(argv)
    try:
        if argv[:1] in (["run"], ["probe"]) and not {"-h", "--help"} & set(argv[:split]):
            from harness import toxhost

            # the first cell's tox imports itself while the harness does
            toxhost.prestart(toxhost.project_of(argv[:split]))
        return _command(argv, split)
    finally:
        if "harness.toxhost" in sys.modules:
            sys.modules["harness.toxhost"].discard()  # had no cell to run


def _command(argv: list, split: int) -> int:
    import urllib.error

    from harness import processes
    from harness.errors import (
        EXIT_INTERRUPTED,
        EXIT_UNMEASURED,
        EXIT_USAGE,
        HarnessError,
        StorageError,
        ToolError,
    )  # fmt: skip
    from harness.state import State

    args = build_parser(argv[0] if argv else None).parse_args(argv[:split])
    args.posargs = argv[split + 1 :]
    processes.LIVE.stopping = False
    try:
        return args.handler(State.of(args))
    except (StorageError, ToolError) as exc:  # the disk or a tool (git, tox, uv), not the input
        print(f"harness: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_UNMEASURED
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:  # not the input either
        reason = getattr(exc, "reason", None) or exc
        print(f"harness: error: the package index could not be reached: {reason}", file=sys.stderr)
        return EXIT_UNMEASURED
    except HarnessError as exc:
        print(f"harness: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyboardInterrupt, processes.Interrupted):
        print("harness: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: one line, not a traceback, and the way to see more
        if os.environ.get("HARNESS_TRACEBACK"):
            raise
        print(f"harness: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(a bug; HARNESS_TRACEBACK=1 shows where)", file=sys.stderr)  # fmt: skip
        return EXIT_UNMEASURED


if __name__ == "__main__":
    raise SystemExit(main())
