"""What every command shares: exit codes, the project and reports folders, env lists."""

from __future__ import annotations

import argparse
from pathlib import Path

from .errors import HarnessError

EXIT_OK, EXIT_STRICT, EXIT_USAGE, EXIT_UNMEASURED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
DEFAULT_REPORTS = ".harness"  # a dot folder, like .tox: no build backend takes it for a package


def project(args: argparse.Namespace) -> Path:
    folder = args.project.resolve()
    if not any((folder / name).is_file() for name in ("tox.ini", "tox.toml", "pyproject.toml")):
        raise HarnessError(f"{folder} has no tox.ini, tox.toml or pyproject.toml")
    return folder


def reports(args: argparse.Namespace, project_folder: Path) -> Path:
    return (args.reports or project_folder / DEFAULT_REPORTS).resolve()


def envs(values: list) -> list:
    return [env for value in values for env in value.split(",") if env]


def add_folders(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, default=Path("."), help="folder holding tox.ini")
    parser.add_argument(
        "--reports", type=Path, default=None,
        help=f"output folder: reports, per-cell results, locks (default: PROJECT/{DEFAULT_REPORTS})",
    )  # fmt: skip


def add_selection(parser: argparse.ArgumentParser) -> None:
    add_folders(parser)
    parser.add_argument(
        "-e", "--env", dest="envs", action="append", default=[], help="tox env(s), comma-separated"
    )
    parser.add_argument(
        "-m", "--label", dest="labels", action="append", default=[], help="tox label(s)"
    )
    parser.add_argument(
        "--with", dest="adhoc", action="append", default=[], metavar="PINS",
        help="an ad-hoc cell: the first -e env (else the first of env_list) with these pins, "
        "e.g. --with torch==2.2.2,numpy==2.0.2; each --with is one more cell",
    )  # fmt: skip
